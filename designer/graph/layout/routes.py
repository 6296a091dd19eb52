"""Edge routes around blocks, from the blocks' boxes alone.

A route is a list of points. Between two points on one level or one vertical the edge runs
straight; otherwise it is an S-curve with level tangents (``s_curve``). An edge that runs left
to right passes each column of blocks it crosses at a height free in that column (keeping its
height while it can, so skip connections run level above or below the branch they skip); an
edge that runs back (the next band of a wrapped chain, or blocks moved by hand) leaves to the
right, runs back along a free corridor and enters from the left.

Routes are computed from positions, not stored: a block moved by hand reroutes its edges the
same way, and the file format needs no waypoints.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence

from designer.graph.layout.geometry import Point, Rect

CLEARANCE = 12.0
"""How far an edge keeps from a block's box."""
STUB = 16.0
"""How far an edge runs level out of a port before turning."""
_CURVE_SAMPLES = 12


def route(start: Point, end: Point, obstacles: Iterable[Rect]) -> list[Point]:
    """The points of an edge from an output port to an input port, around ``obstacles`` (every
    box near the edge except its own two blocks)."""
    boxes = [box.grown(2.0, CLEARANCE) for box in obstacles]
    if end.x - start.x > 2 * STUB:
        return _forward(start, end, boxes)
    return _backward(start, end, boxes)


def _forward(start: Point, end: Point, boxes: Sequence[Rect]) -> list[Point]:
    """Level while the height is free; where a column blocks it, turn to the nearest free
    height in the last gap before that column from which the turn meets no box."""
    columns = _columns(boxes, start.x, end.x)
    points = [start]
    y = start.y
    for left, _, members in columns:
        free = _free_intervals(members)
        if _inside(y, free):
            continue
        level = _nearest_free(y, free, toward=end.y)
        turn = _turn_from(points[-1].x, left, y, level, columns)
        points += [Point(turn, y), Point(left, level)]
        y = level
    turn = _turn_from(points[-1].x, end.x, y, end.y, columns)
    points += [Point(turn, y), end]
    return _without_repeats(points)


def _turn_from(
    after: float,
    before: float,
    y1: float,
    y2: float,
    columns: Sequence[tuple[float, float, list[Rect]]],
) -> float:
    """Where, between ``after`` and ``before``, a turn from height y1 to y2 can start: past the
    last box in the way of the heights between."""
    low, high = min(y1, y2), max(y1, y2)
    turn = after
    for left, right, members in columns:
        if left >= before or right <= after:
            continue
        if any(box.top < high and low < box.bottom for box in members):
            turn = max(turn, min(right, before))
    return turn


def _backward(start: Point, end: Point, boxes: Sequence[Rect]) -> list[Point]:
    out_x, in_x = start.x + STUB, end.x - STUB
    low, high = min(in_x, out_x), max(in_x, out_x)
    across = [box for box in boxes if box.right > low and box.left < high]
    middle = (start.y + end.y) / 2
    corridor = _nearest_free(middle, _free_intervals(across), toward=end.y)
    out_x = _clear_vertical(out_x, start.y, corridor, boxes, step=1.0)
    in_x = _clear_vertical(in_x, corridor, end.y, boxes, step=-1.0)
    return _without_repeats(
        [
            start,
            Point(out_x, start.y),
            Point(out_x, corridor),
            Point(in_x, corridor),
            Point(in_x, end.y),
            end,
        ]
    )


def _clear_vertical(x: float, y1: float, y2: float, boxes: Sequence[Rect], step: float) -> float:
    """``x`` moved (right for ``step`` 1, left for -1) until a vertical from y1 to y2 there
    touches no box."""
    low, high = min(y1, y2), max(y1, y2)
    for _ in range(len(boxes) + 1):
        hit = [
            box for box in boxes if box.left < x < box.right and box.top < high and low < box.bottom
        ]
        if not hit:
            return x
        x = (
            max(box.right for box in hit) + STUB
            if step > 0
            else min(box.left for box in hit) - STUB
        )
    return x


def _columns(
    boxes: Sequence[Rect], left: float, right: float
) -> list[tuple[float, float, list[Rect]]]:
    """The boxes between ``left`` and ``right``, clustered into columns that overlap in x."""
    between = sorted(
        (box for box in boxes if box.right > left and box.left < right), key=lambda b: b.left
    )
    columns: list[tuple[float, float, list[Rect]]] = []
    for box in between:
        if columns and box.left < columns[-1][1]:
            first, last, members = columns[-1]
            members.append(box)
            columns[-1] = (first, max(last, box.right), members)
        else:
            columns.append((box.left, box.right, [box]))
    return [(max(first, left), min(last, right), members) for first, last, members in columns]


def _free_intervals(boxes: Sequence[Rect]) -> list[tuple[float, float]]:
    """The heights no box covers, as open intervals from minus to plus infinity."""
    spans = sorted((box.top, box.bottom) for box in boxes)
    free: list[tuple[float, float]] = []
    low = float("-inf")
    for top, bottom in spans:
        if top > low:
            free.append((low, top))
        low = max(low, bottom)
    free.append((low, float("inf")))
    return free


def _inside(y: float, free: Sequence[tuple[float, float]]) -> bool:
    return any(low <= y <= high for low, high in free)


def _nearest_free(y: float, free: Sequence[tuple[float, float]], toward: float) -> float:
    """The free height nearest ``y``; a narrow gap is passed through its middle, and ties go
    the way the edge is heading."""
    best: tuple[float, float, float] | None = None
    for low, high in free:
        if low == float("-inf") or high == float("inf") or high - low > 2 * CLEARANCE:
            candidate = min(max(y, low + CLEARANCE), high - CLEARANCE)
            if low == float("-inf") and high == float("inf"):
                candidate = y
        else:
            candidate = (low + high) / 2
        key = (abs(candidate - y), abs(candidate - toward), candidate)
        if best is None or key < best:
            best = key
    assert best is not None
    return best[2]


def _without_repeats(points: Sequence[Point]) -> list[Point]:
    kept = [points[0]]
    for point in points[1:]:
        if point != kept[-1]:
            kept.append(point)
    return kept


# --- the drawn shape -------------------------------------------------------------------------


def is_straight(a: Point, b: Point) -> bool:
    return a.x == b.x or a.y == b.y


def s_curve(a: Point, b: Point) -> tuple[Point, Point]:
    """The two control points of the cubic from ``a`` to ``b`` with level tangents."""
    middle = (a.x + b.x) / 2
    return Point(middle, a.y), Point(middle, b.y)


def polyline(points: Sequence[Point]) -> list[Point]:
    """The route as straight pieces: S-curves sampled, for hit tests and label places."""
    line = [points[0]]
    for a, b in itertools.pairwise(points):
        if is_straight(a, b):
            line.append(b)
            continue
        c1, c2 = s_curve(a, b)
        for step in range(1, _CURVE_SAMPLES + 1):
            t = step / _CURVE_SAMPLES
            u = 1 - t
            line.append(
                Point(
                    u**3 * a.x + 3 * u * u * t * c1.x + 3 * u * t * t * c2.x + t**3 * b.x,
                    u**3 * a.y + 3 * u * u * t * c1.y + 3 * u * t * t * c2.y + t**3 * b.y,
                )
            )
    return line
