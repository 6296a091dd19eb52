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


@dataclass(frozen=True, slots=True)
class Reference:
    build: Callable[[], nn.Module]
    inputs: Callable[[], tuple[torch.Tensor, ...]]


MODERN_MODELS: dict[str, Reference] = {
    "m5_audio": Reference(M5, lambda: (torch.randn(2, 1, 16000),)),
    "video_3d": Reference(VideoNet, lambda: (torch.randn(2, 3, 8, 32, 32),)),
    "lstm_classifier": Reference(TextClassifier, lambda: (torch.randint(5000, (4, 32)),)),
}
