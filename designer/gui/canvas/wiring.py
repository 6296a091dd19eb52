"""Edges' routes and labels' places, kept in step with the blocks as they move.

The scene tells the wiring what changed (a block moved, appeared or went; an edge's label
changed; groups collapsed); the wiring reroutes the edges concerned around the blocks near
them (``layout.routes``) and re-places the labels that the change touched
(``layout.labels``), so a drag costs a few edges, not the whole design.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping

from PySide6.QtCore import QPointF, QRectF

from designer.graph import Edge
from designer.graph.layout.geometry import Point, Rect
from designer.graph.layout.labels import LabelBoard
from designer.graph.layout.routes import polyline, route
from designer.gui.canvas.edge_item import EdgeItem

_REACH = 400.0
"""How far above and below an edge's ends the router looks for blocks to go around."""

Anchor = Callable[[Edge], tuple[QPointF, QPointF, Hashable, Hashable]]
"""An edge's start and end points and the obstacles (blocks or collapsed groups) it joins."""


class Wiring:
    def __init__(self, anchor: Anchor) -> None:
        self._anchor = anchor
        self.board = LabelBoard()

    def reset(self, obstacles: Mapping[Hashable, QRectF], edges: Mapping[Edge, EdgeItem]) -> None:
        """Start afresh from every visible block's (or collapsed group's) box and edge."""
        self.board = LabelBoard()
        for key, rect in obstacles.items():
            self.board.set_block(key, _rect(rect))
        for item in edges.values():
            if item.isVisible():
                self._reroute(item)
        for item in edges.values():
            if item.isVisible():
                self.place_label(item)

    def set_obstacle(self, key: Hashable, rect: QRectF | None) -> list[Hashable]:
        """A block (or collapsed group) moved, appeared or went: the labels it now covers,
        which the caller re-places once its edges are rerouted."""
        box = None if rect is None else _rect(rect)
        self.board.set_block(key, box)
        if box is None:
            return []
        return self.board.labels_touching(box.grown(8.0, 8.0))

    def reroute(self, items: Iterable[EdgeItem], edges: Mapping[Edge, EdgeItem]) -> None:
        """Route these edges again and place their labels, and any labels their new lines now
        run through."""
        moved = [item for item in items if item.isVisible()]
        for item in moved:
            self._reroute(item)
        crossed: set[Hashable] = set()
        for item in moved:
            crossed.update(self.board.labels_crossed_by(item.edge))
        for item in moved:
            self.place_label(item)
        for key in crossed:
            other = edges.get(key)  # type: ignore[call-overload]
            if other is not None and other not in moved:
                self.place_label(other)

    def remove(self, edge: Edge) -> None:
        self.board.set_edge(edge, None)

    def place_label(self, item: EdgeItem) -> None:
        item.set_label_place(self.board.place(item.edge, item.label_texts()))

    def _reroute(self, item: EdgeItem) -> None:
        start, end, source, target = self._anchor(item.edge)
        a, b = Point(start.x(), start.y()), Point(end.x(), end.y())
        area = Rect(
            min(a.x, b.x) - 40,
            min(a.y, b.y) - _REACH,
            max(a.x, b.x) + 40,
            max(a.y, b.y) + _REACH,
        )
        obstacles = [
            rect for key, rect in self.board.blocks_near(area) if key not in (source, target)
        ]
        points = route(a, b, obstacles)
        item.set_route(points)
        self.board.set_edge(item.edge, polyline(points))


def _rect(rect: QRectF) -> Rect:
    return Rect(rect.left(), rect.top(), rect.right(), rect.bottom())
