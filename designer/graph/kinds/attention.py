"""Attention: MultiheadAttention and the Transformer encoder and decoder layers."""

from __future__ import annotations

from designer.graph.kind import BlockKind

KINDS: tuple[BlockKind, ...] = ()
