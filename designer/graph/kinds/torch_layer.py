"""The long tail: any non-container ``torch.nn`` layer, its shape found by torch on meta."""

from __future__ import annotations

from designer.graph.kind import BlockKind

KINDS: tuple[BlockKind, ...] = ()
