"""Padding and pixel rearrangement: ZeroPad2d, ConstantPad, ReflectionPad2d, PixelShuffle."""

from __future__ import annotations

from designer.graph.kind import BlockKind

KINDS: tuple[BlockKind, ...] = ()
