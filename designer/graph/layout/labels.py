"""Where each edge's shape label goes, so that it can't be read as another edge's.

A label is centred on a point of its own edge, and placed only where it covers no block, no
port, no other label and no other edge: so the edge nearest a label is always its own. Where
no place along the edge is free, the label tries its short text (``64x16x16`` without the batch
size); failing that it is not shown, and the edge's tooltip gives the shape.

The board keeps blocks, edges and placed labels in a uniform grid so that placing one label
looks only at its neighbourhood: a move re-places a few labels, not all of them.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Hashable, Iterator, Sequence
from dataclasses import dataclass

from designer.graph.layout.geometry import PORT_RADIUS, Point, Rect

_CELL = 96.0
_BOX_CELL = 384.0
_ALONG = (0.5, 0.42, 0.58, 0.34, 0.66, 0.26, 0.74, 0.18, 0.82, 0.1, 0.9)
"""Where along its edge (a share of its length) a label is tried, middle first."""
_BLOCK_MARGIN = (PORT_RADIUS + 2.0, 3.0)
_LABEL_MARGIN = 2.0


@dataclass(frozen=True)
class Placement:
    text: str
    rect: Rect


@dataclass(frozen=True)
class LabelText:
    """A text a label may show and its size; a label lists them longest first."""

    text: str
    width: float
    height: float


_Key = tuple[str, Hashable]


class LabelBoard:
    def __init__(self) -> None:
        self._cells: dict[tuple[int, int], set[_Key]] = {}
        self._rects: dict[_Key, Rect] = {}
        self._lines: dict[Hashable, list[Point]] = {}
        self._line_cells: dict[Hashable, set[tuple[int, int]]] = {}
        self.placements: dict[Hashable, Placement] = {}
        self._boxes: dict[Hashable, Rect] = {}
        self._box_cells: dict[tuple[int, int], set[Hashable]] = {}
        """Blocks alone, in coarser cells: the router asks for the blocks along a whole edge."""

    # --- what is on the canvas -------------------------------------------------------------

    def set_block(self, block: Hashable, rect: Rect | None) -> None:
        """A block's box (None: gone or hidden)."""
        key = ("block", block)
        self._remove_rect(key)
        old = self._boxes.pop(block, None)
        if old is not None:
            for cell in _cells_of(old, _BOX_CELL):
                self._box_cells[cell].discard(block)
        if rect is not None:
            self._boxes[block] = rect
            self._add_rect(key, rect.grown(*_BLOCK_MARGIN))
            for cell in _cells_of(rect, _BOX_CELL):
                self._box_cells.setdefault(cell, set()).add(block)

    def set_edge(self, edge: Hashable, line: Sequence[Point] | None) -> None:
        """An edge's drawn line (None: gone or hidden); its label is dropped until placed."""
        self._remove_line(edge)
        self.drop_label(edge)
        if line is not None and len(line) > 1:
            self._lines[edge] = list(line)
            cells: set[tuple[int, int]] = set()
            for a, b in itertools.pairwise(line):
                cells.update(
                    _cells_of(Rect(min(a.x, b.x), min(a.y, b.y), max(a.x, b.x), max(a.y, b.y)))
                )
            for cell in cells:
                self._cells.setdefault(cell, set()).add(("edge", edge))
            self._line_cells[edge] = cells

    def drop_label(self, edge: Hashable) -> None:
        self.placements.pop(edge, None)
        self._remove_rect(("label", edge))

    def blocks_near(self, area: Rect) -> list[tuple[Hashable, Rect]]:
        """The blocks whose boxes reach into ``area``, with their boxes."""
        found: set[Hashable] = set()
        for cell in _cells_of(area, _BOX_CELL):
            found.update(self._box_cells.get(cell, ()))
        return [(block, self._boxes[block]) for block in found if self._boxes[block].overlaps(area)]

    def labels_touching(self, area: Rect) -> list[Hashable]:
        """Edges whose placed label overlaps ``area``."""
        found = {
            key
            for cell in _cells_of(area)
            for key in self._cells.get(cell, ())
            if key[0] == "label"
        }
        return [key[1] for key in found if self._rects[key].overlaps(area)]

    def labels_crossed_by(self, edge: Hashable) -> list[Hashable]:
        """Edges whose placed label the line of ``edge`` runs through."""
        line = self._lines.get(edge)
        if line is None:
            return []
        found = {
            key
            for cell in self._line_cells.get(edge, ())
            for key in self._cells.get(cell, ())
            if key[0] == "label" and key[1] != edge
        }
        return [key[1] for key in found if _line_meets(line, self._rects[key])]

    # --- placing -----------------------------------------------------------------------------

    def place(self, edge: Hashable, texts: Sequence[LabelText]) -> Placement | None:
        """The first free place along the edge for the longest text that has one."""
        self.drop_label(edge)
        line = self._lines.get(edge)
        if line is None or not texts:
            return None
        points = [_point_along(line, share) for share in _ALONG]
        for text in texts:
            for point in points:
                rect = Rect.around(point, text.width, text.height)
                if self._is_free(edge, rect):
                    placement = Placement(text.text, rect)
                    self.placements[edge] = placement
                    self._add_rect(("label", edge), rect)
                    return placement
        return None

    def _is_free(self, edge: Hashable, rect: Rect) -> bool:
        padded = rect.grown(_LABEL_MARGIN, _LABEL_MARGIN)
        seen: set[_Key] = set()
        for cell in _cells_of(padded):
            for key in self._cells.get(cell, ()):
                if key in seen or key == ("edge", edge):
                    continue
                seen.add(key)
                kind, owner = key
                if kind == "edge":
                    if _line_meets(self._lines[owner], padded):
                        return False
                elif self._rects[key].overlaps(padded):
                    return False
        return True

    # --- the grid ----------------------------------------------------------------------------

    def _add_rect(self, key: _Key, rect: Rect) -> None:
        self._rects[key] = rect
        for cell in _cells_of(rect):
            self._cells.setdefault(cell, set()).add(key)

    def _remove_rect(self, key: _Key) -> None:
        rect = self._rects.pop(key, None)
        if rect is not None:
            for cell in _cells_of(rect):
                self._cells.get(cell, set()).discard(key)

    def _remove_line(self, edge: Hashable) -> None:
        self._lines.pop(edge, None)
        for cell in self._line_cells.pop(edge, ()):
            self._cells.get(cell, set()).discard(("edge", edge))


def _cells_of(rect: Rect, size: float = _CELL) -> Iterator[tuple[int, int]]:
    for i in range(math.floor(rect.left / size), math.floor(rect.right / size) + 1):
        for j in range(math.floor(rect.top / size), math.floor(rect.bottom / size) + 1):
            yield i, j


def _point_along(line: Sequence[Point], share: float) -> Point:
    lengths = [math.dist(a, b) for a, b in itertools.pairwise(line)]
    goal = sum(lengths) * share
    for (a, b), length in zip(itertools.pairwise(line), lengths, strict=True):
        if goal <= length and length > 0:
            t = goal / length
            return Point(a.x + (b.x - a.x) * t, a.y + (b.y - a.y) * t)
        goal -= length
    return line[-1]


def _line_meets(line: Sequence[Point], rect: Rect) -> bool:
    return any(_segment_meets(a, b, rect) for a, b in itertools.pairwise(line))


def _segment_meets(a: Point, b: Point, rect: Rect) -> bool:
    """Whether the segment from ``a`` to ``b`` enters ``rect`` (Liang-Barsky clipping)."""
    t0, t1 = 0.0, 1.0
    dx, dy = b.x - a.x, b.y - a.y
    for p, q in (
        (-dx, a.x - rect.left),
        (dx, rect.right - a.x),
        (-dy, a.y - rect.top),
        (dy, rect.bottom - a.y),
    ):
        if p == 0:
            if q < 0:
                return False
            continue
        t = q / p
        if p < 0:
            t0 = max(t0, t)
        else:
            t1 = min(t1, t)
        if t0 > t1:
            return False
    return True
