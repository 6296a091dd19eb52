"""The model's inputs as the design declares them: one per input block, in forward order."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from designer.compiler.scopes import build_scopes
from designer.graph import Design
from designer.graph.kind import INDEX_DTYPES


@dataclass(frozen=True, slots=True)
class InputSpec:
    name: str
    """The input block's name."""
    shape: tuple[int, ...]
    """Batch first."""
    dtype: torch.dtype
    index_limit: int | None = None
    """For token indices (int64): one past the largest index every Embedding takes."""


def input_specs(design: Design) -> list[InputSpec]:
    """The input blocks in the order the generated ``forward`` takes them as arguments."""
    specs = []
    limit = _index_limit(design)
    for block_id in build_scopes(design).inputs:
        block = design.blocks[block_id]
        shape, dtype = block.params["shape"], block.params["dtype"]
        assert isinstance(shape, tuple) and isinstance(dtype, str)
        sizes = tuple(size for size in shape if isinstance(size, int))
        indices = limit if dtype in INDEX_DTYPES else None
        specs.append(InputSpec(block.name, sizes, torch_dtype(dtype), indices))
    return specs


def _index_limit(design: Design) -> int:
    """The fewest embeddings any block looks indices up in: random indices below it fit all."""
    counts = [
        count
        for block in design.blocks.values()
        if design.kind(block.id).takes_indices
        and isinstance(count := block.params.get("num_embeddings"), int)
    ]
    return min(counts, default=1)


def example_inputs(
    design: Design,
    *,
    min_batch: int = 1,
    batch: int | None = None,
    device: str | torch.device = "cpu",
) -> tuple[torch.Tensor, ...]:
    """One tensor per input (random; empty on meta): batch ``batch`` when given, else
    ``max(min_batch, declared)``."""
    tensors = []
    for spec in input_specs(design):
        size = batch if batch is not None else max(min_batch, spec.shape[0])
        shape = (size, *spec.shape[1:])
        if torch.device(device).type == "meta":
            tensors.append(torch.empty(shape, dtype=spec.dtype, device=device))
        elif spec.index_limit is not None:
            tensors.append(torch.randint(spec.index_limit, shape, device=device))
        else:
            tensors.append(torch.rand(shape, dtype=spec.dtype, device=device))
    return tuple(tensors)


def torch_dtype(name: str) -> torch.dtype:
    """The torch dtype a design names ("float32" -> ``torch.float32``)."""
    dtype = getattr(torch, name)
    assert isinstance(dtype, torch.dtype), name
    return dtype
