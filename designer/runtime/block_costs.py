"""What each block of a design costs: the records a per-block measurement fills and the
Model panel and the canvas cost map read (no torch here, so the window can import them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class CostMeasure(Enum):
    """What the canvas cost map colours blocks by."""

    TIME = "time"
    FLOPS = "FLOPs"
    PARAMETERS = "parameters"
    MEMORY = "activation memory"


@dataclass(frozen=True, slots=True)
class BlockCost:
    """One block's share of a forward pass (and, in training mode, of a backward pass)."""

    block_id: str
    module_path: str
    """Where the block lives in ``named_modules()`` ("" for a block that is an expression)."""
    parameters: int
    flops_forward: int
    flops_backward: int
    activation_bytes: int
    """Bytes of the block's outputs (what backward keeps of it in training)."""
    forward_s: float | None
    """Measured median time of the block's forward; None where it wasn't timed."""
    backward_s: float | None

    def value(self, measure: CostMeasure) -> float:
        if measure is CostMeasure.TIME:
            return (self.forward_s or 0.0) + (self.backward_s or 0.0)
        if measure is CostMeasure.FLOPS:
            return float(self.flops_forward + self.flops_backward)
        if measure is CostMeasure.PARAMETERS:
            return float(self.parameters)
        return float(self.activation_bytes)


@dataclass(frozen=True, slots=True)
class CostReport:
    """Every block's cost, from one run of one design at one batch, device and dtype."""

    blocks: dict[str, BlockCost]
    device: str
    dtype: str
    batch: int
    training: bool
    measured_total_s: float | None
    """The whole step (or forward) timed without per-block hooks, to compare the sum with."""
    notes: list[str] = field(default_factory=list)

    def share(self, block_id: str, measure: CostMeasure) -> float:
        """The block's share of the total for ``measure``, 0 to 1."""
        total = sum(cost.value(measure) for cost in self.blocks.values())
        return self.blocks[block_id].value(measure) / total if total else 0.0
