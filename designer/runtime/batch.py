"""A design's inputs for a given batch size, on a given device."""

from __future__ import annotations

import torch

from designer.compiler.inputs import example_inputs, input_specs
from designer.graph import Design


def batch_inputs(
    design: Design,
    batch: int,
    device: torch.device | str,
    *,
    channels_last: bool = False,
) -> tuple[torch.Tensor, ...]:
    """One tensor per input at exactly ``batch``; 4-d ones in channels_last when asked."""
    tensors = example_inputs(design, batch=batch, device=device)
    if not channels_last:
        return tensors
    return tuple(
        tensor.contiguous(memory_format=torch.channels_last) if tensor.dim() == 4 else tensor
        for tensor in tensors
    )


def has_4d_input(design: Design) -> bool:
    return any(len(spec.shape) == 4 for spec in input_specs(design))
