"""The canvas's sizes in scene units, without Qt: the layout, the router and the label placer
work on the same boxes the canvas draws (``designer.gui.canvas.style`` takes them from here)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Final, NamedTuple

BLOCK_WIDTH: Final = 184.0
BLOCK_HEIGHT: Final = 58.0
PORT_RADIUS: Final = 6.0
GROUP_MARGIN: Final = 18.0
GROUP_HEADER: Final = 22.0


class Point(NamedTuple):
    x: float
    y: float


class Rect(NamedTuple):
    left: float
    top: float
    right: float
    bottom: float

    @property
    def width(self) -> float:
        return self.right - self.left

    @property
    def height(self) -> float:
        return self.bottom - self.top

    @property
    def centre(self) -> Point:
        return Point((self.left + self.right) / 2, (self.top + self.bottom) / 2)

    def overlaps(self, other: Rect) -> bool:
        """True when the insides meet; rectangles that only touch don't overlap."""
        return (
            self.left < other.right
            and other.left < self.right
            and self.top < other.bottom
            and other.top < self.bottom
        )

    def holds(self, point: tuple[float, float]) -> bool:
        """True for a point strictly inside."""
        x, y = point
        return self.left < x < self.right and self.top < y < self.bottom

    def contains(self, other: Rect) -> bool:
        return (
            self.left <= other.left
            and other.right <= self.right
            and self.top <= other.top
            and other.bottom <= self.bottom
        )

    def grown(self, dx: float, dy: float) -> Rect:
        return Rect(self.left - dx, self.top - dy, self.right + dx, self.bottom + dy)

    def moved(self, dx: float, dy: float) -> Rect:
        return Rect(self.left + dx, self.top + dy, self.right + dx, self.bottom + dy)

    def united(self, other: Rect) -> Rect:
        return Rect(
            min(self.left, other.left),
            min(self.top, other.top),
            max(self.right, other.right),
            max(self.bottom, other.bottom),
        )

    def distance_to(self, point: tuple[float, float]) -> float:
        x, y = point
        dx = max(self.left - x, 0.0, x - self.right)
        dy = max(self.top - y, 0.0, y - self.bottom)
        return math.hypot(dx, dy)

    @staticmethod
    def around(centre: Point, width: float, height: float) -> Rect:
        """The ``width`` x ``height`` box centred on ``centre``."""
        return Rect(
            centre.x - width / 2, centre.y - height / 2, centre.x + width / 2, centre.y + height / 2
        )

    @staticmethod
    def enclosing(
        corners: Iterable[tuple[float, float]], width: float, height: float
    ) -> Rect | None:
        """The box holding a ``width`` x ``height`` block at each top-left corner; None for
        no corners."""
        box: Rect | None = None
        for x, y in corners:
            rect = Rect(x, y, x + width, y + height)
            box = rect if box is None else box.united(rect)
        return box


def block_rect(position: tuple[float, float]) -> Rect:
    """A block's box from its top-left corner."""
    x, y = position
    return Rect(x, y, x + BLOCK_WIDTH, y + BLOCK_HEIGHT)
