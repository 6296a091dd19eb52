"""Inputs that once broke an import or loaded the wrong weights without a word."""

from __future__ import annotations

from collections import OrderedDict

import pytest
import torch
from torch import nn

from designer.compiler import compile_design
from designer.compiler.live import build_model
from designer.importer.loading import model_to_design, parse_input_shape, parse_kwargs
from designer.importer.report import ImportFailedError


def _round_trip(model: nn.Module, shape: tuple[int, ...]) -> nn.Module:
    model.eval()
    design, report = model_to_design(model, shape)
    assert not report.unmapped, report.lines()
    rebuilt = build_model(compile_design(design), "cpu").eval()
    rebuilt.load_state_dict(model.state_dict(), strict=True)
    example = torch.randn(shape)
    with torch.no_grad():
        torch.testing.assert_close(rebuilt(example), model(example))
    return rebuilt


class Keyed(nn.Module):
    def __init__(self, members: list[tuple[str, nn.Module]]) -> None:
        super().__init__()
        self.features = nn.Sequential(OrderedDict(members))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x)


@pytest.mark.parametrize("names", [("0", "2"), ("1", "0")], ids=["a gap", "out of order"])
def test_numbers_that_are_not_0_1_2_stay_the_keys(names: tuple[str, str]) -> None:
    members = [(names[0], nn.Linear(4, 4)), (names[1], nn.ReLU())]
    rebuilt = _round_trip(Keyed(members), (2, 4))
    assert list(rebuilt.state_dict()) == [
        f"features.{names[0]}.weight",
        f"features.{names[0]}.bias",
    ]


class Kernels(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.tall = nn.Conv2d(3, 8, (3, 1))
        self.wide = nn.Conv2d(8, 8, (1, 3), bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.wide(self.tall(x))


def test_non_square_kernels_with_and_without_bias() -> None:
    rebuilt = _round_trip(Kernels(), (1, 3, 8, 8))
    assert rebuilt.wide.bias is None and rebuilt.tall.bias is not None


class Net(nn.Module):
    """The model's own class name, used again inside it (another file's Net)."""

    def __init__(self, inner: nn.Module | None = None, features: int = 4) -> None:
        super().__init__()
        self.inner = inner if inner is not None else nn.Identity()
        self.fc = nn.Linear(features, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.inner(x))


def test_a_class_named_like_the_model_is_renamed_with_a_note() -> None:
    design, report = model_to_design(Net(Net(), features=2).eval(), (2, 4))
    assert any("its class is written as Net2" in note for note in report.notes)
    assert "class Net2(nn.Module)" in compile_design(design).source
    _round_trip(Net(Net(), features=2), (2, 4))


@pytest.mark.parametrize("text", ["1,3,\u00b2", "1,,3", "0,3"])
def test_an_input_shape_of_anything_but_ascii_sizes_is_refused(text: str) -> None:
    with pytest.raises(ImportFailedError, match="--input-shape must be sizes"):
        parse_input_shape(text)


def test_arguments_nested_too_deeply_are_refused_in_one_line() -> None:
    with pytest.raises(ImportFailedError, match="nested too deeply"):
        parse_kwargs("[" * 100_000)


def test_a_module_named_with_a_keyword_is_refused_naming_it() -> None:
    model = Keyed([("in", nn.Linear(4, 4)), ("out", nn.ReLU())])
    with pytest.raises(ImportFailedError, match=r"named with a Python keyword \(features.in\)"):
        model_to_design(model.eval(), (2, 4))
