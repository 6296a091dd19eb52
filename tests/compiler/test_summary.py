"""The summary table: output shapes from one forward pass on meta, parameters per module."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from designer.compiler import ModelRunError, build_model, compile_design
from designer.compiler.inputs import example_inputs
from designer.compiler.summary import module_rows, summary_text
from designer.graph import load_design
from tests.paths import EXAMPLES


def test_module_rows_record_each_call_on_meta() -> None:
    design = load_design(EXAMPLES / "seed_modulelist.json")
    model = build_model(compile_design(design))
    rows = {row.name: row for row in module_rows(model, example_inputs(design, device="meta"))}
    assert rows["(model)"].type == "MyModule" and rows["(model)"].parameters == 576
    assert rows["layers"].output_shape == "-"  # a ModuleList is never called itself
    assert (rows["layers.0"].output_shape, rows["layers.1"].output_shape) == ("4x16", "4x32")
    assert all(parameter.is_meta for parameter in model.parameters())
    assert not model._forward_hooks and not model.layers[0]._forward_hooks  # hooks removed


def test_several_outputs_and_calls_are_all_shown() -> None:
    class Twice(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(4, 4)

        def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            return self.fc(x), self.fc(x[:1])

    with torch.device("meta"):
        model = Twice()
    rows = module_rows(model, [torch.empty(3, 4, device="meta")])
    assert [(row.name, row.output_shape, row.parameters) for row in rows] == [
        ("(model)", "(3x4, 1x4)", 20),
        ("fc", "3x4, 1x4", 20),
    ]


def test_a_failing_forward_is_a_model_run_error_and_leaves_no_hooks() -> None:
    design = load_design(EXAMPLES / "lenet5.json")
    model = build_model(compile_design(design))
    with torch.device("meta"):
        model.classifier = nn.Linear(7, 7)
    with pytest.raises(ModelRunError, match="^the forward pass failed: RuntimeError: "):
        summary_text(model, design)
    assert all(not module._forward_hooks for module in model.modules())


@pytest.mark.parametrize("name", sorted(path.stem for path in EXAMPLES.glob("*.json")))
def test_every_example_summarises_on_meta_with_the_checkers_total(name: str) -> None:
    design = load_design(EXAMPLES / f"{name}.json")
    compiled = compile_design(design)
    text = summary_text(build_model(compiled), design)
    assert text.splitlines()[-1] == f"total parameters: {compiled.report.total_parameters:,}"
