"""Layered auto-layout: blocks in columns by data-flow depth, for designs without positions.

A block's column is the length of the longest path reaching it, so every edge points right;
within a column blocks keep their order of creation, centred on the row axis.
"""

from __future__ import annotations

from designer.graph.design import Design
from designer.graph.fileformat import natural_key

COLUMN_SPACING = 280.0
ROW_SPACING = 120.0


def layered_positions(design: Design) -> dict[str, tuple[float, float]]:
    """A position for every block: column = longest path from a source, rows centred."""
    depth: dict[str, int] = {}
    for block_id in design.topological_order():
        before = [depth[source] for source in design.graph.predecessors(block_id)]
        depth[block_id] = max(before, default=-1) + 1
    columns: dict[int, list[str]] = {}
    for block_id in sorted(depth, key=natural_key):
        columns.setdefault(depth[block_id], []).append(block_id)
    positions: dict[str, tuple[float, float]] = {}
    for column, members in columns.items():
        top = -(len(members) - 1) * ROW_SPACING / 2
        for row, block_id in enumerate(members):
            positions[block_id] = (column * COLUMN_SPACING, top + row * ROW_SPACING)
    return positions


def lacks_positions(design: Design) -> bool:
    """True when two or more blocks all sit at one point (a file written without positions)."""
    places = {block.position for block in design.blocks.values()}
    return len(design.blocks) > 1 and len(places) == 1
