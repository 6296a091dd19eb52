"""Sizes and colours of canvas items, in one place."""

from __future__ import annotations

from typing import Final

from PySide6.QtGui import QColor

from designer.graph.kinds.categories import CATEGORIES as CATEGORY_RECORDS
from designer.graph.layout import geometry

# the layout, the router and the label placer work on the very boxes drawn here
BLOCK_WIDTH: Final = geometry.BLOCK_WIDTH
BLOCK_HEIGHT: Final = geometry.BLOCK_HEIGHT
PORT_RADIUS: Final = geometry.PORT_RADIUS
GROUP_MARGIN: Final = geometry.GROUP_MARGIN
GROUP_HEADER: Final = geometry.GROUP_HEADER
COLLAPSED_WIDTH: Final = 170.0
COLLAPSED_HEIGHT: Final = 44.0
DETAIL_SCALE: Final = 0.4
"""Below this zoom, group toggles go: unreadable, and they cost frame time."""
NAME_ONLY_SCALE: Final = 0.7
"""Below this zoom a block shows its name only (and a group its title), in a font that grows as
the zoom falls: its sizes, port names and edges' shape labels, under 8 px on screen by then,
go first (an edge's tooltip still gives its shape)."""
NAME_PIXELS: Final = 11.0
"""How tall (em, screen pixels) a name shown alone is drawn where the block has room."""
NAME_MIN_PIXELS: Final = 9.0
"""The least a name shown alone shrinks to before it is elided instead."""
NAME_SMALLEST_PIXELS: Final = 5.0
"""Zoomed out so far that a name can't be this tall inside its block, it isn't drawn at all."""
OVERVIEW_MAX_WIDTH: Final = 240
OVERVIEW_MAX_HEIGHT: Final = 160
OVERVIEW_MARGIN: Final = 12
"""The overview's largest size and its distance from the canvas's corner, in screen pixels."""
OVERVIEW_FILL: Final = QColor(244, 246, 247)
OVERVIEW_BLOCK: Final = QColor("#85929e")
OVERVIEW_GROUP: Final = QColor(40, 116, 166, 40)

CATEGORY_COLOURS: Final = {category.name: QColor(category.colour) for category in CATEGORY_RECORDS}
BLOCK_FILL: Final = QColor("#fdfefe")
BLOCK_BORDER: Final = QColor("#5d6d7e")
SELECTED: Final = QColor("#f39c12")
ERROR: Final = QColor("#e74c3c")
EDGE: Final = QColor("#566573")
LABEL_FILL: Final = QColor(255, 255, 255, 225)
GROUP_FILL: Final = QColor(52, 152, 219, 22)
GROUP_BORDER: Final = QColor("#2874a6")
TEXT: Final = QColor("#1c2833")
MUTED_TEXT: Final = QColor("#566573")
