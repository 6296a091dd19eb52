"""What ``torch-designer summary`` prints: ``print(model)``, then a table of every module.

The table's output shapes are recorded by forward hooks during one forward pass on the meta
device, with the design's input shapes: no weights or activations take real memory.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from designer.compiler.errors import ModelRunError, first_line
from designer.compiler.inputs import example_inputs
from designer.compiler.live import model_device
from designer.graph import Design, shape_text
from designer.text_table import text_table

MODEL_ROW_NAME = "(model)"
"""The model itself, whose qualified name is empty."""
NOT_CALLED = "-"
"""The output shape of a module forward never calls (a ``ModuleList`` container, say)."""


@dataclass(frozen=True, slots=True)
class ModuleRow:
    name: str
    """Qualified, as ``named_modules()`` gives it."""
    type: str
    output_shape: str
    parameters: int
    """Its own and its children's."""


def module_rows(model: nn.Module, inputs: Sequence[torch.Tensor]) -> list[ModuleRow]:
    """One row per module, in ``named_modules()`` order, after one forward pass on ``inputs``."""
    shapes: dict[str, list[str]] = {}
    modules = list(model.named_modules())

    def recorder(name: str) -> Any:
        def hook(_module: nn.Module, _inputs: Any, output: Any) -> None:
            shapes.setdefault(name, []).append(_output_text(output))

        return hook

    handles = [module.register_forward_hook(recorder(name)) for name, module in modules]
    try:
        with torch.no_grad():
            model(*inputs)
    except Exception as error:
        raise ModelRunError(
            f"the forward pass failed: {type(error).__name__}: {first_line(error)}"
        ) from error
    finally:
        for handle in handles:
            handle.remove()
    return [
        ModuleRow(
            name or MODEL_ROW_NAME,
            type(module).__name__,
            ", ".join(dict.fromkeys(shapes.get(name, [NOT_CALLED]))),
            sum(parameter.numel() for parameter in module.parameters()),
        )
        for name, module in modules
    ]


def summary_text(model: nn.Module, design: Design) -> str:
    """``print(model)``, a blank line, the table and the total; ``model`` may be on meta."""
    device = model_device(model)
    rows = module_rows(model, example_inputs(design, device=device))
    header = ("module", "type", "output shape", "parameters")
    table = [(row.name, row.type, row.output_shape, f"{row.parameters:,}") for row in rows]
    lines = [str(model), "", *text_table(header, table)]
    total = sum(parameter.numel() for parameter in model.parameters())
    lines.append(f"total parameters: {total:,}")
    return "\n".join(lines)


def _output_text(output: Any) -> str:
    if isinstance(output, torch.Tensor):
        return shape_text(tuple(output.shape))
    if isinstance(output, tuple | list):
        return "(" + ", ".join(_output_text(item) for item in output) + ")"
    return type(output).__name__
