"""Tensor shape operations: reshape, permute, transpose, squeeze, select, reductions, softmax."""

from __future__ import annotations

from designer.graph.kind import BlockKind

KINDS: tuple[BlockKind, ...] = ()
