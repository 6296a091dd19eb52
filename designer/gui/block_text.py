"""How a block reads on the canvas: its key sizes in a few words ("conv 32, 3x3, lrelu").

The wording is each catalogue entry's ``summary``; this is the canvas's one way to ask.
"""

from __future__ import annotations

from designer.graph import Block, block_kind


def block_summary(block: Block) -> str:
    """The block's kind and key sizes, e.g. ``conv 32, 3x3, lrelu``."""
    return block_kind(block.kind).describe_block(block.params)
