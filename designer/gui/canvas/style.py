"""Sizes and colours of canvas items, in one place."""

from __future__ import annotations

from typing import Final

from PySide6.QtGui import QColor

from designer.graph.kinds.categories import CATEGORIES as CATEGORY_RECORDS

BLOCK_WIDTH: Final = 184.0
BLOCK_HEIGHT: Final = 58.0
PORT_RADIUS: Final = 6.0
GROUP_MARGIN: Final = 18.0
GROUP_HEADER: Final = 22.0
COLLAPSED_WIDTH: Final = 170.0
COLLAPSED_HEIGHT: Final = 44.0
DETAIL_SCALE: Final = 0.4
"""Below this zoom, blocks drop their text: it would be unreadable and costs frame time."""

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
