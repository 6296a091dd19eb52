"""Auto-layout for a design shown with some groups collapsed: each collapsed group takes the
room of its collapsed box, not of its blocks, so a big model opened with its deep groups
folded shows no gaps where their blocks would be (``layered_positions(collapsed=...)``).

The blocks inside a collapsed group are laid out from the box's top-left; expanding it calls
for a new layout (the canvas does one when the expanded frame would cover a neighbour).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from designer.graph.design import Design
from designer.graph.edits import Edit, MoveBlock
from designer.graph.layout.design_layout import layered_positions

Box = tuple[float, float]
"""A collapsed group's (width, height) on the canvas."""


def deep_groups(design: Design, depth: int) -> list[str]:
    """The groups nested ``depth`` or more levels deep (top-level groups are 1 deep)."""
    return [g for g in design.groups if len(design.group_path(g)) >= depth]


def collapsed_positions(
    design: Design, collapsed: Collection[str], box: Box
) -> dict[str, tuple[float, float]]:
    """A top-left position for every block, the groups in ``collapsed`` all drawn as boxes of
    ``box``."""
    return layered_positions(design, dict.fromkeys(collapsed, box))


def layout_edits(design: Design, collapsed: Mapping[str, Box]) -> list[Edit]:
    """The moves that lay ``design`` out as shown, with ``collapsed`` groups as their boxes
    (Auto-Layout's undoable step); only blocks that move."""
    positions = layered_positions(design, collapsed)
    return [
        MoveBlock(block_id, position)
        for block_id, position in positions.items()
        if design.block(block_id).position != position
    ]
