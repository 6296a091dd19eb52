"""How much memory a run will need (estimated before anything is allocated) and how much the
device has free."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from designer.compiler.inputs import input_specs
from designer.graph import Design, ShapeReport
from designer.graph.kind import End


@dataclass(frozen=True, slots=True)
class MemoryEstimate:
    parameter_bytes: int
    """Parameters and buffers, in the model's dtype."""
    activation_bytes: int
    """Every block's output (inputs included) at once, for the batch, in the compute dtype."""

    @property
    def total_bytes(self) -> int:
        return self.parameter_bytes + self.activation_bytes


def tensor_bytes(model: nn.Module) -> int:
    """Bytes of the model's parameters and buffers (works on meta: nothing is allocated)."""
    tensors = [*model.parameters(), *model.buffers()]
    return sum(tensor.numel() * tensor.element_size() for tensor in tensors)


def estimate_memory(
    model: nn.Module,
    design: Design,
    report: ShapeReport,
    batch: int,
    element_size: int,
) -> MemoryEstimate:
    """A run's memory before it starts, from the meta model and the shape report.

    Activations are taken as every block's output (inputs included) held at once, scaled from
    the declared batch to ``batch``: generous for chains (inference frees outputs as it goes),
    short for stacks (only their last output is in the report); a guard, not a forecast.
    """
    specs = input_specs(design)
    declared = specs[0].shape[0] if specs else 1
    elements = sum(
        math.prod(result.shape)
        for block_id, result in report.results.items()
        # an output block passes its input on: no tensor of its own
        if result.shape is not None and design.kind(block_id).end is not End.OUTPUT
    )
    activation_bytes = math.ceil(elements * batch / max(declared, 1)) * element_size
    return MemoryEstimate(tensor_bytes(model), activation_bytes)


def available_bytes(device: torch.device) -> int | None:
    """Memory free for a run on ``device``; None where it can't be told."""
    if device.type == "cuda":
        free, _total = torch.cuda.mem_get_info(device)
        return int(free)
    if device.type == "mps":
        recommended = getattr(torch.mps, "recommended_max_memory", None)
        if callable(recommended):
            return int(recommended()) - int(torch.mps.driver_allocated_memory())
    return _system_available_bytes()


def _system_available_bytes() -> int | None:
    """MemAvailable from /proc/meminfo; failing that, the physical memory."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None
