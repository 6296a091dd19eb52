"""Hand-written reference models for the examples of today's networks.

Each is written as a person would write it from the paper or tutorial, independently of the
designer; ``tests/compiler/test_modern_examples.py`` compares the models compiled from
``resources/examples`` with them: the printed tree, the state_dict's keys and shapes, and the
outputs once the reference's weights are loaded into the compiled model.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn


class M5(nn.Module):
    """Dai et al.'s M5 on raw audio (as in torchaudio's speech-command tutorial)."""

    def __init__(self, n_input: int = 1, n_output: int = 35, channels: int = 32) -> None:
        super().__init__()
        self.conv1 = nn.Conv1d(n_input, channels, kernel_size=80, stride=16)
        self.bn1 = nn.BatchNorm1d(channels)
        self.relu1 = nn.ReLU()
        self.pool1 = nn.MaxPool1d(4)
        self.conv2 = nn.Conv1d(channels, channels, kernel_size=3)
        self.bn2 = nn.BatchNorm1d(channels)
        self.relu2 = nn.ReLU()
        self.pool2 = nn.MaxPool1d(4)
        self.conv3 = nn.Conv1d(channels, 2 * channels, kernel_size=3)
        self.bn3 = nn.BatchNorm1d(2 * channels)
        self.relu3 = nn.ReLU()
        self.pool3 = nn.MaxPool1d(4)
        self.conv4 = nn.Conv1d(2 * channels, 2 * channels, kernel_size=3)
        self.bn4 = nn.BatchNorm1d(2 * channels)
        self.relu4 = nn.ReLU()
        self.pool4 = nn.MaxPool1d(4)
        self.gap = nn.AdaptiveAvgPool1d(1)
        self.flat = nn.Flatten()
        self.fc = nn.Linear(2 * channels, n_output)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for stage in range(1, 5):
            for part in ("conv", "bn", "relu", "pool"):
                x = getattr(self, f"{part}{stage}")(x)
        return self.fc(self.flat(self.gap(x)))


class VideoNet(nn.Module):
    """A small 3-D convolutional video classifier."""

    def __init__(self, n_classes: int = 10) -> None:
        super().__init__()
        self.conv1 = nn.Conv3d(3, 16, 3, padding=1)
        self.bn1 = nn.BatchNorm3d(16)
        self.relu1 = nn.ReLU()
        self.pool1 = nn.MaxPool3d(2)
        self.conv2 = nn.Conv3d(16, 32, 3, padding=1)
        self.bn2 = nn.BatchNorm3d(32)
        self.relu2 = nn.ReLU()
        self.gap = nn.AdaptiveAvgPool3d(1)
        self.flat = nn.Flatten()
        self.fc = nn.Linear(32, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool1(self.relu1(self.bn1(self.conv1(x))))
        x = self.relu2(self.bn2(self.conv2(x)))
        return self.fc(self.flat(self.gap(x)))


class TextClassifier(nn.Module):
    """Token embeddings, a two-layer bidirectional LSTM, the last step's features, a head."""

    def __init__(self, vocabulary: int = 5000, classes: int = 2) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocabulary, 64, padding_idx=0)
        self.lstm = nn.LSTM(
            64, 128, num_layers=2, batch_first=True, dropout=0.2, bidirectional=True
        )
        self.drop = nn.Dropout(0.3)
        self.head = nn.Linear(2 * 128, classes)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        x, _ = self.lstm(self.embed(tokens))
        return self.head(self.drop(x[:, -1]))


class ViT(nn.Module):
    """A small vision transformer: strided-conv patches, a class token, positional embeddings,
    pre-norm encoder layers, a head on the class token."""

    def __init__(self, dim: int = 64, patch: int = 4, image: int = 32, classes: int = 10) -> None:
        super().__init__()
        self.patch_embed = nn.Conv2d(3, dim, kernel_size=patch, stride=patch)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, (image // patch) ** 2 + 1, dim))
        layer = nn.TransformerEncoderLayer(
            dim, 4, dim_feedforward=2 * dim, dropout=0.0, activation="gelu",
            batch_first=True, norm_first=True,
        )  # fmt: skip
        self.encoder = nn.TransformerEncoder(layer, num_layers=2, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, classes)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        x = self.patch_embed(image).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1) + self.pos_embed
        return self.head(self.norm(self.encoder(x))[:, 0])


class Block(nn.Module):
    """A GPT block: pre-norm causal self-attention and a GELU MLP, each a residual."""

    def __init__(self, dim: int = 64, heads: int = 4) -> None:
        super().__init__()
        self.ln1 = nn.LayerNorm(dim)
        self.attn = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.ln2 = nn.LayerNorm(dim)
        self.fc = nn.Linear(dim, 4 * dim)
        self.act = nn.GELU()
        self.proj = nn.Linear(4 * dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.ln1(x)
        mask = nn.Transformer.generate_square_subsequent_mask(x.shape[1], device=x.device)
        x = x + self.attn(h, h, h, attn_mask=mask, is_causal=True, need_weights=False)[0]
        return x + self.proj(self.act(self.fc(self.ln2(x))))


class GPT(nn.Module):
    """A GPT-style decoder: token and position embeddings, two blocks, an LM head."""

    def __init__(self, vocabulary: int = 256, context: int = 16, dim: int = 64) -> None:
        super().__init__()
        self.tok_embed = nn.Embedding(vocabulary, dim)
        self.pos_embed = nn.Parameter(torch.zeros(1, context, dim))
        self.block1 = Block(dim)
        self.block2 = Block(dim)
        self.ln_f = nn.LayerNorm(dim)
        self.lm_head = nn.Linear(dim, vocabulary, bias=False)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        x = self.tok_embed(tokens) + self.pos_embed
        return self.lm_head(self.ln_f(self.block2(self.block1(x))))


@dataclass(frozen=True, slots=True)
class Reference:
    build: Callable[[], nn.Module]
    inputs: Callable[[], tuple[torch.Tensor, ...]]


MODERN_MODELS: dict[str, Reference] = {
    "m5_audio": Reference(M5, lambda: (torch.randn(2, 1, 16000),)),
    "video_3d": Reference(VideoNet, lambda: (torch.randn(2, 3, 8, 32, 32),)),
    "lstm_classifier": Reference(TextClassifier, lambda: (torch.randint(5000, (4, 32)),)),
    "vit_small": Reference(ViT, lambda: (torch.randn(2, 3, 32, 32),)),
    "gpt_small": Reference(GPT, lambda: (torch.randint(256, (2, 16)),)),
}
