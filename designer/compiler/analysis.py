"""Everything the app's model and code panels show, worked out in one go from a design:
the generated source, ``print(model)``, a row per module (type, output shape, parameters),
totals, and which module and which source lines each block became (as the compiler recorded
them while writing the code: ``CompiledDesign.places``).

The model is built on the meta device, so this takes no memory whatever the model's size.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from designer.compiler.compile import compile_design
from designer.compiler.inputs import example_inputs
from designer.compiler.live import build_model
from designer.compiler.summary import MODEL_ROW_NAME, ModuleRow, module_rows
from designer.graph import Design


@dataclass(frozen=True, slots=True)
class ModelAnalysis:
    design_digest: str
    source: str
    class_name: str
    printed: str
    """``print(model)``, exactly."""
    rows: tuple[ModuleRow, ...]
    parameters: int
    parameter_bytes: int
    flops_per_sample: int
    """FLOPs of one forward pass per sample (matrix work, 2 per multiply-add), counted over
    the design's own example batch: a batch of one may not run (batch-statistics norms, a
    batch dimension the design fixes)."""
    block_modules: Mapping[str, str]
    """Block id -> the qualified name of the module it became (blocks that became one)."""
    block_lines: Mapping[str, tuple[int, ...]]
    """Block id -> the 1-based source lines that define or apply it (a member of an
    ``nn.Sequential``: the statement that builds the Sequential; an input: the model's
    ``def forward``; an output: its ``return``)."""


def analyse_design(design: Design, origin: str | None = None) -> ModelAnalysis:
    """Compile, build on meta and look at the model; raises the compiler's errors."""
    from torch.utils.flop_counter import FlopCounterMode

    compiled = compile_design(design, origin)
    model = build_model(compiled)
    inputs = example_inputs(design, device="meta")
    counter = FlopCounterMode(display=False)  # as designer.runtime.flops counts them
    with counter:
        rows = tuple(module_rows(model, inputs))
    batch = max(1, inputs[0].shape[0]) if inputs and inputs[0].dim() else 1
    parameters = list(model.parameters())
    places = compiled.places
    return ModelAnalysis(
        design_digest=compiled.design_digest,
        source=compiled.source,
        class_name=compiled.class_name,
        printed=str(model),
        rows=rows,
        parameters=sum(p.numel() for p in parameters),
        parameter_bytes=sum(p.numel() * p.element_size() for p in parameters),
        flops_per_sample=int(counter.get_total_flops()) // batch,
        block_modules={
            block_id: place.module_path
            for block_id, place in places.items()
            if place.module_path is not None
        },
        block_lines={block_id: place.lines for block_id, place in places.items()},
    )


__all__ = ["MODEL_ROW_NAME", "ModelAnalysis", "analyse_design"]
