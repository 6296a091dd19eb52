"""Where a new block goes: free space next to what it connects to, never on top of another.

Qt-free: the sizes of blocks and group frames come in as numbers (``Footprint``). A position
is a block's top-left corner; edges run left to right, so a block fed from another goes to its
right, in its row when that is free, else in the nearest free row of that column. A block
spliced into an edge goes between the edge's ends, and when there is no room the target and
everything downstream of it shift right (``Placement.moves``).

The searches work in "position space": each obstacle, grown by the block's size and the gaps
to keep, becomes the open rectangle of top-left corners the new block can't take, so asking
whether a spot is free is asking whether a point lies in none of them.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import count

import networkx as nx

from designer.graph.design import Design
from designer.graph.layout.geometry import Rect
from designer.graph.model import Edge

Point = tuple[float, float]

FIRST_SEARCH_RADIUS = 256.0
PAIR_CELL = 512.0
"""Grid cell for finding overlapping pairs among many rectangles."""


def _unite(box: Rect | None, rect: Rect) -> Rect:
    return rect if box is None else box.united(rect)


@dataclass(frozen=True, slots=True)
class Footprint:
    """How big blocks and group frames are drawn, and the gaps a new block keeps to others.

    The default gaps match auto-layout's spacing: room for an edge's shape label between
    columns, and for a row of edges between rows.
    """

    block_width: float
    block_height: float
    column_gap: float = 96.0
    row_gap: float = 62.0
    group_margin: float = 0.0
    group_header: float = 0.0

    @property
    def row_step(self) -> float:
        return self.block_height + self.row_gap

    def block_rect(self, position: Point) -> Rect:
        x, y = position
        return Rect(x, y, x + self.block_width, y + self.block_height)


@dataclass(frozen=True)
class Placement:
    """Where a new block goes, and the blocks that move right to make room for it."""

    position: Point
    moves: Mapping[str, Point] = field(default_factory=dict)


# --- the design's geometry -------------------------------------------------------------------


def group_frames(
    design: Design, footprint: Footprint, positions: Mapping[str, Point] | None = None
) -> dict[str, Rect]:
    """Each group's frame as the canvas draws it expanded: its blocks and inner frames, a
    margin around and a header on top. Groups without blocks have none. ``positions``
    overrides blocks' positions (where they will be after a move)."""
    positions = positions or {}
    margin, header = footprint.group_margin, footprint.group_header
    content: dict[str, Rect] = {}
    for block in design.blocks.values():
        if block.group is not None:
            rect = footprint.block_rect(positions.get(block.id, block.position))
            content[block.group] = _unite(content.get(block.group), rect)
    frames: dict[str, Rect] = {}
    for group_id in sorted(design.groups, key=lambda g: -len(design.group_path(g))):
        box = content.get(group_id)
        if box is None:
            continue
        frame = Rect(
            box.left - margin, box.top - margin - header, box.right + margin, box.bottom + margin
        )
        frames[group_id] = frame
        parent = design.group(group_id).parent
        if parent is not None:
            content[parent] = _unite(content.get(parent), frame)
    return frames


def _positions(design: Design, moves: Mapping[str, Point]) -> dict[str, Point]:
    return {
        block_id: moves.get(block_id, block.position) for block_id, block in design.blocks.items()
    }


def _forbidden(
    design: Design,
    footprint: Footprint,
    group: str | None,
    *,
    positions: Mapping[str, Point] | None = None,
    size: Point | None = None,
) -> list[Rect]:
    """The top-left corners a new ``size`` box joining ``group`` can't take: every block and
    every frame it won't sit in, each grown by the box and the gaps (and, for what lies
    outside ``group``, by the margins of the frames the box will stretch)."""
    positions = positions if positions is not None else _positions(design, {})
    width, height = size or (footprint.block_width, footprint.block_height)
    path = {g.id for g in design.group_path(group)}
    depth = len(path)
    side = depth * footprint.group_margin
    above = depth * (footprint.group_margin + footprint.group_header)
    gap_x, gap_y = footprint.column_gap, footprint.row_gap

    def region(rect: Rect, inside: bool) -> Rect:
        extra_side, extra_top, extra_bottom = (0.0, 0.0, 0.0) if inside else (side, above, side)
        return Rect(
            rect.left - width - gap_x - extra_side,
            rect.top - height - gap_y - extra_bottom,
            rect.right + gap_x + extra_side,
            rect.bottom + gap_y + extra_top,
        )

    regions = []
    for block_id, block in design.blocks.items():
        inside = group is None or _within(design, block.group, group)
        regions.append(region(footprint.block_rect(positions[block_id]), inside))
    for group_id, frame in group_frames(design, footprint, positions).items():
        if group_id not in path:
            regions.append(region(frame, group is None or _within(design, group_id, group)))
    return regions


def _within(design: Design, inner: str | None, outer: str) -> bool:
    """Whether group ``inner`` is ``outer`` or nested in it."""
    return any(g.id == outer for g in design.group_path(inner))


# --- searching for a free spot ---------------------------------------------------------------


def _is_free(regions: Iterable[Rect], point: Point) -> bool:
    return not any(region.holds(point) for region in regions)


def _free_row(regions: Sequence[Rect], x: float, y: float, step: float) -> Point:
    """The free spot at ``x`` nearest row ``y``: that row, then one below, one above..."""
    column = [r for r in regions if r.left < x < r.right]
    for offset in count():
        for row in (y + offset * step, y - offset * step) if offset else (y,):
            if not any(r.top < row < r.bottom for r in column):
                return (x, row)
    raise AssertionError("unreachable: rows beyond every region are free")


def _nearest_free(regions: Sequence[Rect], wanted: Point) -> Point:
    """The free point nearest ``wanted``.

    It lies on the border of the regions, at a corner or straight across from ``wanted``, so
    the candidates are the border coordinates of regions near ``wanted`` crossed with each
    other and with ``wanted``'s own; the search widens until one within reach is free.
    """
    if _is_free(regions, wanted):
        return wanted
    radius = FIRST_SEARCH_RADIUS
    while True:
        near = [r for r in regions if r.distance_to(wanted) < radius]
        xs = {wanted[0], *(r.left for r in near), *(r.right for r in near)}
        ys = {wanted[1], *(r.top for r in near), *(r.bottom for r in near)}
        candidates = sorted(
            ((x, y) for x in xs for y in ys),
            # ties broken by position, so the choice doesn't depend on set order
            key=lambda point: (math.dist(point, wanted), point[1], point[0]),
        )
        for candidate in candidates:
            if math.dist(candidate, wanted) > radius:
                break
            if _is_free(near, candidate):
                return candidate
        radius *= 2


# --- placing a new block ---------------------------------------------------------------------


def place_near(
    design: Design, footprint: Footprint, wanted: Point, *, group: str | None = None
) -> Point:
    """The free spot nearest ``wanted`` (a block dropped away from any output)."""
    return _nearest_free(_forbidden(design, footprint, group), wanted)


def place_after(
    design: Design, footprint: Footprint, source: str, *, group: str | None = None
) -> Point:
    """Right of block ``source``: in its row when free, else the nearest free row there."""
    x, y = design.block(source).position
    regions = _forbidden(design, footprint, group)
    return _free_row(
        regions, x + footprint.block_width + footprint.column_gap, y, footprint.row_step
    )


def place_beside_everything(design: Design, footprint: Footprint) -> Point:
    """Right of the whole design, in the row of its rightmost block (nothing to connect to)."""
    if not design.blocks:
        return (0.0, 0.0)
    rightmost = max(design.blocks.values(), key=lambda b: (b.position[0], -b.position[1]))
    rects = [footprint.block_rect(b.position) for b in design.blocks.values()]
    rects += group_frames(design, footprint).values()
    x = max(rect.right for rect in rects) + footprint.column_gap
    regions = _forbidden(design, footprint, None)
    return _free_row(regions, x, rightmost.position[1], footprint.row_step)


def place_in_edge(
    design: Design, footprint: Footprint, edge: Edge, *, group: str | None = None
) -> Placement:
    """Between ``edge``'s ends: in the gap when there is room, else right of the source with
    the target and everything downstream of it shifted right by the room needed. An edge
    drawn right to left has no order to keep: the block goes to the free spot nearest its
    middle."""
    source, target = design.block(edge.source).position, design.block(edge.target).position
    width, gap, step = footprint.block_width, footprint.column_gap, footprint.row_step
    if target[0] <= source[0]:
        middle = ((source[0] + target[0]) / 2, (source[1] + target[1]) / 2)
        return Placement(place_near(design, footprint, middle, group=group))
    room = target[0] - (source[0] + width)
    if room >= width + 2 * gap:
        x = source[0] + width + (room - width) / 2
        position = _free_row(_forbidden(design, footprint, group), x, source[1], step)
        if abs(position[1] - source[1]) <= step:
            return Placement(position)
    x = source[0] + width + gap
    shift = x + width + gap - target[0]
    fixed = {edge.source, *nx.ancestors(design.graph, edge.source)}
    moves = shift_right(design, footprint, [edge.target], shift, fixed=fixed)
    regions = _forbidden(design, footprint, group, positions=_positions(design, moves))
    return Placement(_free_row(regions, x, source[1], step), moves)


def place_fragment(
    design: Design,
    footprint: Footprint,
    positions: Sequence[Point],
    offset: Point,
    visible: Rect | None = None,
) -> Point:
    """The offset that puts pasted blocks (at ``positions`` when copied) in free space:
    nearest ``offset``, or nearest the middle of ``visible`` when ``offset`` would put them
    out of sight. The fragment keeps its shape and goes in whole, at the top level."""
    box = Rect.enclosing(positions, footprint.block_width, footprint.block_height)
    if box is None:
        return offset
    if visible is not None and not visible.contains(box.moved(*offset)):
        middle, centre = visible.centre, box.centre
        offset = (middle[0] - centre[0], middle[1] - centre[1])
    regions = _forbidden(design, footprint, None, size=(box.width, box.height))
    left, top = _nearest_free(regions, (box.left + offset[0], box.top + offset[1]))
    return (left - box.left, top - box.top)


# --- making room -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Thing:
    """A block or a group frame: something that takes room on the canvas."""

    members: frozenset[str]
    group: str | None = None
    """The group whose frame this is; None for a block."""


def shift_right(
    design: Design,
    footprint: Footprint,
    start: Iterable[str],
    shift: float,
    *,
    fixed: Collection[str] = (),
) -> dict[str, Point]:
    """New positions for ``start`` and everything downstream of it, moved right by ``shift``,
    together with whatever they would newly run into (and its downstream, in turn); never the
    ``fixed`` blocks. The moved set is closed downstream, so an edge into it only gets longer
    and no edge pointing right comes to point left."""
    if shift <= 0:
        return {}
    graph = design.graph
    moved: set[str] = set()
    pending = set(start) - set(fixed)
    things = _things(design)
    old = _thing_rects(design, footprint, things, {})
    while pending:
        for block_id in list(pending):
            pending |= nx.descendants(graph, block_id)
        moved |= pending - set(fixed)
        moves = {b: _shifted(design.block(b).position, shift) for b in moved}
        new = _thing_rects(design, footprint, things, moves)
        pending = set()
        for first, second in _new_clashes(footprint, things, old, new):
            pending |= _to_push(things[first], things[second], moved) - set(fixed)
    return {b: _shifted(design.block(b).position, shift) for b in moved}


def _shifted(position: Point, shift: float) -> Point:
    return (position[0] + shift, position[1])


def _things(design: Design) -> list[_Thing]:
    things = [_Thing(frozenset([block_id])) for block_id in design.blocks]
    subtree: dict[str, set[str]] = defaultdict(set)
    for block in design.blocks.values():
        for group in design.group_path(block.group):
            subtree[group.id].add(block.id)
    things += [_Thing(frozenset(members), group) for group, members in subtree.items()]
    return things


def _thing_rects(
    design: Design, footprint: Footprint, things: Sequence[_Thing], moves: Mapping[str, Point]
) -> list[Rect]:
    frames = group_frames(design, footprint, moves)
    rects = []
    for thing in things:
        if thing.group is not None:
            rects.append(frames[thing.group])
        else:
            (block_id,) = thing.members
            rects.append(footprint.block_rect(moves.get(block_id, design.block(block_id).position)))
    return rects


def _new_clashes(
    footprint: Footprint, things: Sequence[_Thing], old: Sequence[Rect], new: Sequence[Rect]
) -> Iterator[tuple[int, int]]:
    """Pairs of unrelated things that now overlap, or come closer than the gaps, and didn't
    before (two blocks already too close may not come to overlap either)."""
    half_x, half_y = footprint.column_gap / 2, footprint.row_gap / 2
    old_near = [rect.grown(half_x, half_y) for rect in old]
    new_near = [rect.grown(half_x, half_y) for rect in new]
    for first, second in _overlapping_pairs(new_near):
        if _nested(things[first], things[second]):
            continue
        closer = not old_near[first].overlaps(old_near[second])
        onto = new[first].overlaps(new[second]) and not old[first].overlaps(old[second])
        if closer or onto:
            yield first, second


def _nested(first: _Thing, second: _Thing) -> bool:
    return first.members <= second.members or second.members <= first.members


def _to_push(first: _Thing, second: _Thing, moved: set[str]) -> set[str]:
    """What to move next for a clash: the side that stayed put, or, when both moved in
    part (a stretched frame), what each left behind."""
    still = [thing for thing in (first, second) if not thing.members & moved]
    if still:
        return set().union(*(thing.members for thing in still))
    return set((first.members | second.members) - moved)


def _overlapping_pairs(rects: Sequence[Rect]) -> Iterator[tuple[int, int]]:
    cells: dict[tuple[int, int], list[int]] = defaultdict(list)
    for index, rect in enumerate(rects):
        for column in range(
            math.floor(rect.left / PAIR_CELL), math.floor(rect.right / PAIR_CELL) + 1
        ):
            for row in range(
                math.floor(rect.top / PAIR_CELL), math.floor(rect.bottom / PAIR_CELL) + 1
            ):
                cells[(column, row)].append(index)
    seen: set[tuple[int, int]] = set()
    for members in cells.values():
        for position, first in enumerate(members):
            for second in members[position + 1 :]:
                pair = (first, second)
                if pair not in seen and rects[first].overlaps(rects[second]):
                    seen.add(pair)
                    yield pair
