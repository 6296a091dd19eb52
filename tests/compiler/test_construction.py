"""Building on meta without initialising: the same model, tensor for tensor, as torch builds."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from designer.compiler import build_model, compile_design, materialize
from designer.compiler.construction import construction_device
from designer.graph import load_design
from tests.paths import EXAMPLES


def _tensors(model: nn.Module) -> list[tuple[str, tuple[int, ...], torch.dtype, bool]]:
    named = [*model.named_parameters(), *model.named_buffers()]
    return [(name, tuple(t.shape), t.dtype, t.is_meta) for name, t in named]


@pytest.mark.parametrize("name", sorted(path.stem for path in EXAMPLES.glob("*.json")))
def test_meta_construction_builds_what_torch_device_builds(name: str) -> None:
    compiled = compile_design(load_design(EXAMPLES / f"{name}.json"))
    ours = build_model(compiled)
    model_class = type(ours)
    with torch.device("meta"):
        theirs = model_class().eval()
    assert str(ours) == str(theirs)
    assert _tensors(ours) == _tensors(theirs)
    assert all(is_meta for *_, is_meta in _tensors(ours))


def test_initialisers_still_run_off_meta() -> None:
    with construction_device("cpu"):
        layer = nn.Linear(4, 3)
    assert not layer.weight.is_meta
    assert layer.weight.abs().sum() > 0
    with construction_device("meta"):
        norm = nn.BatchNorm1d(3)
    assert norm.running_var.is_meta


def test_a_materialized_model_is_initialised() -> None:
    compiled = compile_design(load_design(EXAMPLES / "lenet5.json"))
    model = materialize(build_model(compiled))
    weights = [p for p in model.parameters() if p.dim() > 1]
    assert weights and all(p.abs().sum() > 0 for p in weights)
    assert all(not p.is_meta for p in model.parameters())
