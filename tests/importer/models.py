"""Models written for the import tests: a ResNet-like one with BasicBlocks, and bad ones."""

from __future__ import annotations

import sys

import torch
from torch import nn


class BasicBlock(nn.Module):
    """torchvision's BasicBlock, trimmed: one ReLU module called twice."""

    def __init__(self, inplanes: int, planes: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample: nn.Module | None = None
        if stride != 1 or inplanes != planes:
            self.downsample = nn.Sequential(
                nn.Conv2d(inplanes, planes, 1, stride=stride, bias=False), nn.BatchNorm2d(planes)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        return self.relu(out)


class TinyResNet(nn.Module):
    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.relu = nn.ReLU(inplace=True)
        self.layer1 = nn.Sequential(BasicBlock(16, 16), BasicBlock(16, 16))
        self.layer2 = nn.Sequential(BasicBlock(16, 32, 2), BasicBlock(32, 32))
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(32, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer2(self.layer1(x))
        x = torch.flatten(self.avgpool(x), 1)
        return self.fc(x)


def tiny_resnet(num_classes: int = 10) -> nn.Module:
    return TinyResNet(num_classes)


class Tokens(nn.Module):
    """Functional calls and tensor methods the mapping knows, and a getitem."""

    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(50, 16)
        self.lstm = nn.LSTM(16, 8, batch_first=True)
        self.proj = nn.Linear(8, 8)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        x, (_h, _c) = self.lstm(self.embed(tokens))
        x = torch.cat([x, self.proj(x)], dim=2).permute(0, 2, 1)
        x = x.softmax(dim=1).mean(dim=2)
        return x[:, 1:] * x[:, :-1]


class Branches(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.sum() > 0:
            return self.fc(x)
        return x


class Raises(nn.Module):
    def __init__(self, size: int) -> None:
        super().__init__()
        raise ValueError(f"size {size} is not supported")


class ReturnsText(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x: torch.Tensor) -> str:
        self.fc(x)
        return "done"


class Exits(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        sys.exit(3)


class Loops(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        while True:
            pass


class Unmapped(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.clamp(self.fc(x), 0.0, 1.0)


class Attention(nn.Module):
    """Attention whose weights are unpacked and never read, a layer outside the catalogue's
    kinds (a torch.nn layer block), and a transpose, reshape and gelu."""

    def __init__(self) -> None:
        super().__init__()
        self.attn = nn.MultiheadAttention(8, 2, batch_first=True)
        self.norm = nn.LayerNorm(8)
        self.act = nn.Hardtanh(-2.0, 2.0)
        self.pool = nn.MaxPool1d(2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a, _ = self.attn(x, x, x)
        x = self.norm(x + a)
        x = self.act(x).transpose(1, 2)
        x = self.pool(x)
        return torch.nn.functional.gelu(x.reshape(x.shape[0], -1))
