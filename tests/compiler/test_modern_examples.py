"""The examples of today's networks compile to the models a person writes by hand
(``tests/modern_models.py``): the same printed tree, the same state_dict keys and shapes, and,
with the hand-written model's weights loaded, the same outputs."""

from __future__ import annotations

import pytest
import torch

from designer.compiler import build_model, compile_design
from designer.compiler.live import materialize
from designer.graph import check_design, load_design
from tests.modern_models import MODERN_MODELS
from tests.paths import EXAMPLES


@pytest.mark.parametrize("name", sorted(MODERN_MODELS))
def test_print_and_state_dict_match_the_hand_written_model(name: str) -> None:
    reference = MODERN_MODELS[name]
    with torch.device("meta"):
        expected = reference.build()
    model = build_model(compile_design(load_design(EXAMPLES / f"{name}.json")))
    assert str(model) == str(expected)
    assert [(key, tuple(value.shape)) for key, value in model.state_dict().items()] == [
        (key, tuple(value.shape)) for key, value in expected.state_dict().items()
    ]


@pytest.mark.parametrize("name", sorted(MODERN_MODELS))
def test_outputs_match_with_shared_weights(name: str) -> None:
    reference = MODERN_MODELS[name]
    torch.manual_seed(0)
    expected = reference.build().eval()
    design = load_design(EXAMPLES / f"{name}.json")
    model = materialize(build_model(compile_design(design)))
    model.load_state_dict(expected.state_dict())
    inputs = reference.inputs()
    with torch.no_grad():
        torch.testing.assert_close(model(*inputs), expected(*inputs))
    report = check_design(design)
    assert report.ok
    assert report.total_parameters == sum(p.numel() for p in expected.parameters())
