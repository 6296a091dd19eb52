"""Models for the import tests of learned tensors, causal attention and kept stacks, written as
people write them (torchvision's ViT, a GPT block, the seed's ModuleList)."""

from __future__ import annotations

import itertools

import torch
from torch import nn


class Encoder(nn.Module):
    """Owns the position embedding, added inside its own forward (torchvision's ``Encoder``)."""

    def __init__(self, length: int, width: int) -> None:
        super().__init__()
        self.pos_embedding = nn.Parameter(torch.randn(1, length, width) * 0.02)
        self.layer = nn.TransformerEncoderLayer(width, 2, 32, 0.0, batch_first=True)
        self.ln = nn.LayerNorm(width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pos_embedding + x
        return self.ln(self.layer(x))


class TinyViT(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv_proj = nn.Conv2d(3, 16, kernel_size=4, stride=4)
        self.class_token = nn.Parameter(torch.zeros(1, 1, 16))
        self.encoder = Encoder(17, 16)
        self.head = nn.Linear(16, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv_proj(x)
        x = x.flatten(2).transpose(1, 2)
        n = x.shape[0]
        batch_class_token = self.class_token.expand(n, -1, -1)
        x = torch.cat([batch_class_token, x], dim=1)
        x = self.encoder(x)
        return self.head(x[:, 0])


class Scaled(nn.Module):
    """A learned tensor used otherwise than added or prepended: no kind holds it."""

    def __init__(self) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.ones(1, 8))
        self.fc = nn.Linear(8, 8)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(x * self.scale)


class CausalBlock(nn.Module):
    """A GPT block: causal self-attention with torch's square mask and its hint."""

    def __init__(self, hinted: bool = True) -> None:
        super().__init__()
        self.hinted = hinted
        self.ln = nn.LayerNorm(16)
        self.attn = nn.MultiheadAttention(16, 2, batch_first=True)
        self.layer = nn.TransformerEncoderLayer(16, 2, 32, 0.0, batch_first=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.ln(x)
        mask = nn.Transformer.generate_square_subsequent_mask(h.shape[1], device=h.device)
        out = self.attn(h, h, h, attn_mask=mask, is_causal=self.hinted, need_weights=False)[0]
        x = x + out
        causal = nn.Transformer.generate_square_subsequent_mask(x.shape[1], device=x.device)
        return self.layer(x, src_mask=causal, is_causal=self.hinted)


class Traced(nn.Module):
    """The seed's ModuleList: every layer's output kept in ``self.trace``."""

    def __init__(self, sizes: tuple[int, ...] = (4, 8, 16)) -> None:
        super().__init__()
        self.layers = nn.ModuleList(
            [nn.Linear(in_f, out_f) for in_f, out_f in itertools.pairwise(sizes)]
        )
        self.trace: list[torch.Tensor] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.trace = []
        for layer in self.layers:
            x = layer(x)
            self.trace.append(x)
        return x


class Looped(nn.Module):
    """A ModuleList run in a loop without keeping the outputs."""

    def __init__(self) -> None:
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(4, 8), nn.Linear(8, 16)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            x = layer(x)
        return x


class Named(nn.Module):
    """Values named in forward, and a stream reassigned to one name."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(8, 8)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skip = x + self.fc(x)
        x = x * skip
        return skip + x


class SpelledOut(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.spelled = nn.Sequential(nn.Linear(4, 8), nn.Linear(8, 16))
        sizes = [16, 8, 4]
        self.listed = nn.Sequential(*[nn.Linear(a, b) for a, b in itertools.pairwise(sizes)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.listed(self.spelled(x))


class TracedConvBlocks(nn.Module):
    """The seed's conv blocks in a ModuleList whose outputs are kept."""

    def __init__(self) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(
            [
                nn.Sequential(nn.Conv2d(a, b, 3, padding=1), nn.BatchNorm2d(b), nn.ReLU())
                for a, b in itertools.pairwise([3, 8, 16])
            ]
        )
        self.kept: list[torch.Tensor] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.kept = []
        for block in self.blocks:
            x = block(x)
            self.kept.append(x)
        return x


class CausalEncoder(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        layer = nn.TransformerEncoderLayer(16, 2, 32, 0.0, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mask = nn.Transformer.generate_square_subsequent_mask(x.shape[1], device=x.device)
        return self.encoder(x, mask=mask, is_causal=True)


class PassOn(nn.Module):
    """No weights, and nothing a block stands for: it passes its input on."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.contiguous()


class CalledTwice(nn.Module):
    """Swin's blocks call one weightless module on two branches."""

    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(8, 8)
        self.fc2 = nn.Linear(8, 8)
        self.drop_path = PassOn()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.drop_path(self.fc1(x))
        return x + self.drop_path(self.fc2(x))
