"""FLOPs of one forward pass, counted on the meta device: no memory, whatever the model.

``FlopCounterMode`` counts the matrix work only (matmul, addmm, bmm, convolution and attention:
2 FLOPs per multiply-accumulate); bias additions, normalisation, activations and pooling count
nothing. That is the convention peak figures are quoted in, so achieved / peak is fair.
"""

from __future__ import annotations

import torch
from torch.utils.flop_counter import FlopCounterMode

from designer.compiler.compile import CompiledDesign
from designer.compiler.live import build_model
from designer.graph import Design
from designer.runtime.batch import batch_inputs


def forward_flops(compiled: CompiledDesign, design: Design, batch: int) -> int:
    """FLOPs of one forward pass of ``compiled`` over a batch of ``batch``."""
    model = build_model(compiled)
    inputs = batch_inputs(design, batch, "meta")
    counter = FlopCounterMode(display=False)
    with torch.inference_mode(), counter:
        model(*inputs)
    return int(counter.get_total_flops())
