"""The canvas's sizes in scene units, without Qt: the layout, the router and the label placer
work on the same boxes the canvas draws (``designer.gui.canvas.style`` takes them from here)."""

from __future__ import annotations

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
        return (
            self.left < other.right
            and other.left < self.right
            and self.top < other.bottom
            and other.top < self.bottom
        )

    def grown(self, dx: float, dy: float) -> Rect:
        return Rect(self.left - dx, self.top - dy, self.right + dx, self.bottom + dy)

    @staticmethod
    def around(centre: Point, width: float, height: float) -> Rect:
        return Rect(
            centre.x - width / 2, centre.y - height / 2, centre.x + width / 2, centre.y + height / 2
        )


def block_rect(position: tuple[float, float]) -> Rect:
    """A block's box from its top-left corner."""
    x, y = position
    return Rect(x, y, x + BLOCK_WIDTH, y + BLOCK_HEIGHT)
