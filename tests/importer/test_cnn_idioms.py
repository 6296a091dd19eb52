"""The idioms of torchvision's CNNs, written here so they're tested where torchvision isn't:
functional pooling, ``x.chunk`` and a channel shuffle, ``nn.Sequential(OrderedDict(...))``, a
private class, ``Dropout(inplace=True)``, a wide ``torch.cat``, a name that can't be an
attribute, and an unmapped call giving several tensors."""

from __future__ import annotations

from collections import OrderedDict

import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn

from designer.compiler import compile_design
from designer.compiler.live import build_model
from designer.importer.loading import model_to_design


def _round_trip(original: nn.Module, shape: tuple[int, ...]) -> nn.Module:
    design, report = model_to_design(original.eval(), shape)
    assert report.clean, report.lines()
    rebuilt = build_model(compile_design(design), "cpu").eval()
    rebuilt.load_state_dict(original.state_dict(), strict=True)
    example = torch.randn(shape)
    with torch.no_grad():
        torch.testing.assert_close(rebuilt(example), original(example))
    return rebuilt


class _Shuffle(nn.Module):
    """ShuffleNet's unit: half the channels pass, half are convolved, then they're shuffled."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(4, 4, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        kept, changed = x.chunk(2, dim=1)
        x = torch.cat((kept, self.conv(changed)), dim=1)
        batch, channels, height, width = x.size()
        x = x.view(batch, 2, channels // 2, height, width)
        x = torch.transpose(x, 1, 2).contiguous()
        return x.view(batch, channels, height, width)


class ShuffleNetLike(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, padding=1)
        self.unit = _Shuffle()
        self.classifier = nn.Sequential(nn.Dropout(0.2, inplace=True), nn.Linear(8, 5))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.max_pool2d(self.unit(self.stem(x)), kernel_size=3, stride=2, padding=1)
        x = F.avg_pool2d(x, 2)
        x = torch.flatten(F.adaptive_avg_pool2d(x, (1, 1)), 1)
        return self.classifier(x)


def test_chunks_a_shuffle_functional_pools_and_an_inplace_dropout() -> None:
    torch.manual_seed(0)
    rebuilt = _round_trip(ShuffleNetLike(), (2, 3, 16, 16))
    assert type(rebuilt.unit).__name__ == "_Shuffle"  # a private class keeps its underscore
    assert "Dropout(p=0.2, inplace=True)" in str(rebuilt)


class DenseNetLike(nn.Module):
    """A Sequential with named members, and a ``torch.cat`` of more than 16 tensors."""

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            OrderedDict(
                [("conv0", nn.Conv2d(3, 4, 3)), ("norm0", nn.BatchNorm2d(4)), ("relu0", nn.ReLU())]
            )
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)
        return torch.cat([x] * 20, dim=1)


def test_named_sequential_members_keep_their_names_and_a_wide_cat() -> None:
    torch.manual_seed(0)
    rebuilt = _round_trip(DenseNetLike(), (1, 3, 8, 8))
    assert [name for name, _ in rebuilt.features.named_children()] == ["conv0", "norm0", "relu0"]


class OddNames(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.add_module("block-1", nn.Linear(4, 4))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = getattr(self, "block-1")(x)
        return torch.sort(x)[0]


def test_what_changes_the_state_dict_or_has_no_kind_is_reported() -> None:
    _design, report = model_to_design(OddNames().eval(), (2, 4))
    whats = [item.what for item in report.unmapped]
    assert "module block-1" in whats
    assert "torch.sort" in whats
