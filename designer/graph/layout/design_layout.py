"""Auto-layout of a design: each group laid out as a unit inside its parent, long chains
wrapped into bands so the whole design reads at one zoom.

Groups are laid out from the innermost out: a group's blocks and sub-groups are arranged
(``layered.arrange``), and the group then takes part in its parent's drawing as one box of that
size with its frame's margins, so a group's frame never takes in a block that isn't its own.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from designer.graph.design import Design
from designer.graph.fileformat import natural_key
from designer.graph.layout.geometry import BLOCK_HEIGHT, BLOCK_WIDTH, GROUP_HEADER, GROUP_MARGIN
from designer.graph.layout.layered import Drawing, arrange

ASPECT = 1.6
"""Width over height a wrapped drawing aims at: a canvas beside the app's docks."""
WRAP_WIDTH = 1600.0
"""A drawing narrower than this fits a canvas at full size: it stays one band."""
BAND_GAP = 90.0
"""Room between two bands of a wrapped chain: the edge that carries on runs there."""
_GROUP_KEY = "\0group\0"
_OUTSIDE = "\0outside\0"


def layered_positions(
    design: Design, collapsed: Mapping[str, tuple[float, float]] | None = None
) -> dict[str, tuple[float, float]]:
    """A top-left position for every block. ``collapsed``: the groups shown collapsed, each
    with its box's (width, height); such a group takes that room in its parent, and its own
    blocks are laid out from the box's top-left, where they show when it is expanded."""
    scopes = _Scopes(design, collapsed or {})
    positions: dict[str, tuple[float, float]] = {}
    drawing = _wrapped(scopes.arrange(None))
    scopes.place(None, drawing, (0.0, 0.0), positions)
    return positions


def lacks_positions(design: Design) -> bool:
    """True when two or more blocks all sit at one point (a file written without positions)."""
    places = {block.position for block in design.blocks.values()}
    return len(design.blocks) > 1 and len(places) == 1


class _Scopes:
    """The design seen one group at a time: each scope's units (its blocks, its sub-groups)."""

    def __init__(self, design: Design, collapsed: Mapping[str, tuple[float, float]]) -> None:
        self.design = design
        self.collapsed = collapsed
        self.blocks: dict[str | None, list[str]] = {}
        self.groups: dict[str | None, list[str]] = {}
        for block_id in sorted(design.blocks, key=natural_key):
            self.blocks.setdefault(design.block(block_id).group, []).append(block_id)
        for group_id in sorted(design.groups, key=natural_key):
            self.groups.setdefault(design.group(group_id).parent, []).append(group_id)
        self.paths = {
            block_id: [group.id for group in design.group_path(block.group)]
            for block_id, block in design.blocks.items()
        }
        self.drawings: dict[str | None, Drawing] = {}

    def unit_of(self, block_id: str, scope: str | None) -> str | None:
        """The unit of ``scope`` that holds the block: itself, a sub-group, or None."""
        path = self.paths[block_id]
        if scope is None:
            return block_id if not path else _GROUP_KEY + path[0]
        if scope not in path:
            return None
        below = path.index(scope) + 1
        return block_id if below == len(path) else _GROUP_KEY + path[below]

    def arrange(self, scope: str | None) -> Drawing:
        sizes: dict[str, tuple[float, float]] = {}
        for group_id in self.groups.get(scope, []):
            inner = self.arrange(group_id)  # a collapsed group's blocks are placed by it too
            sizes[_GROUP_KEY + group_id] = self.collapsed.get(group_id) or (
                inner.width + 2 * GROUP_MARGIN,
                inner.height + 2 * GROUP_MARGIN + GROUP_HEADER,
            )
        units = [*self.blocks.get(scope, []), *sizes]
        sizes = {unit: sizes.get(unit, (BLOCK_WIDTH, BLOCK_HEIGHT)) for unit in units}
        ordered = sorted(sizes, key=self._first_block_key)
        edges: list[tuple[str, str]] = []
        ghosts: set[str] = set()
        for edge in self.design.edges():
            source, target = self.unit_of(edge.source, scope), self.unit_of(edge.target, scope)
            if source is not None and target is not None and source != target:
                edges.append((source, target))
            elif source is None and target is not None:  # into the group from outside
                ghosts.add(ghost := f"{_OUTSIDE}from\0{edge.source}\0{edge.source_port}")
                edges.append((ghost, target))
            elif target is None and source is not None:
                ghosts.add(ghost := f"{_OUTSIDE}to\0{source}")
                edges.append((source, ghost))
        ghost_sizes = dict.fromkeys(sorted(ghosts), (0.0, 0.0))
        drawing = arrange({**{unit: sizes[unit] for unit in ordered}, **ghost_sizes}, edges, ghosts)
        self.drawings[scope] = drawing
        return drawing

    def _first_block_key(self, unit: str) -> tuple[object, ...]:
        if not unit.startswith(_GROUP_KEY):
            return natural_key(unit)
        group_id = unit.removeprefix(_GROUP_KEY)
        inside = [b for b, path in self.paths.items() if group_id in path]
        return min((natural_key(b) for b in inside), default=natural_key(group_id))

    def place(
        self,
        scope: str | None,
        drawing: Drawing,
        origin: tuple[float, float],
        positions: dict[str, tuple[float, float]],
    ) -> None:
        for unit, (x, y) in drawing.positions.items():
            at = (origin[0] + x, origin[1] + y)
            if unit.startswith(_GROUP_KEY):
                group_id = unit.removeprefix(_GROUP_KEY)
                inner = (at[0] + GROUP_MARGIN, at[1] + GROUP_MARGIN + GROUP_HEADER)
                self.place(group_id, self.drawings[group_id], inner, positions)
            else:
                positions[unit] = (round(at[0], 1), round(at[1], 1))


# --- wrapping a long chain into bands ----------------------------------------------------------


def _wrapped(drawing: Drawing) -> Drawing:
    """The drawing cut at layer boundaries into bands stacked top to bottom, when it is much
    wider than it is high; cuts go where fewest edges cross."""
    spans = drawing.layer_spans
    bands = round(math.sqrt(drawing.width / (ASPECT * (drawing.height + BAND_GAP)))) if spans else 1
    if bands <= 1 or len(spans) < 2 * bands or drawing.width < WRAP_WIDTH:
        return drawing
    cuts = _cuts(drawing, drawing.width / bands)
    starts = [0, *(cut + 1 for cut in cuts)]
    ends = [*cuts, len(spans) - 1]
    positions: dict[str, tuple[float, float]] = {}
    top = 0.0
    width = 0.0
    for first, last in zip(starts, ends, strict=True):
        band_top = min(drawing.layer_extents[layer][0] for layer in range(first, last + 1))
        band_bottom = max(drawing.layer_extents[layer][1] for layer in range(first, last + 1))
        left = spans[first][0]
        for unit, (x, y) in drawing.positions.items():
            if first <= drawing.layer_of[unit] <= last:
                positions[unit] = (x - left, y - band_top + top)
        width = max(width, spans[last][1] - left)
        top += band_bottom - band_top + BAND_GAP
    return Drawing(positions, width, top - BAND_GAP)


def _cuts(drawing: Drawing, band_width: float) -> list[int]:
    """The layers after which to cut: near each band's width, where fewest edges cross."""
    crossing = _crossing_counts(drawing)
    spans = drawing.layer_spans
    cuts: list[int] = []
    start = 0
    while spans[-1][1] - spans[start][0] > 1.3 * band_width:
        left = spans[start][0]
        ideal = left + band_width
        candidates = [
            layer
            for layer in range(start, len(spans) - 1)
            if 0.6 * band_width <= spans[layer][1] - left <= 1.3 * band_width
        ] or [min(range(start, len(spans) - 1), key=lambda layer: abs(spans[layer][1] - ideal))]
        cut = min(candidates, key=lambda layer: (crossing[layer], abs(spans[layer][1] - ideal)))
        cuts.append(cut)
        start = cut + 1
    return cuts


def _crossing_counts(drawing: Drawing) -> list[int]:
    """How many edges cross each layer boundary (the one after each layer)."""
    counts = [0] * len(drawing.layer_spans)
    for source, target in drawing.edge_layers:
        for layer in range(source, target):
            counts[layer] += 1
    return counts
