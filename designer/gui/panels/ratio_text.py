"""A ratio to a baseline as the panels show it: "x0.83 (faster)" in green, "x1.20 (slower)" in
red, "x1.01 (same)" (within 3%) and "-" (no ratio) in the usual colour."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QColor

if TYPE_CHECKING:
    from designer.runtime.baseline import Ratio

FASTER_COLOUR = QColor("#1e8449")
SLOWER_COLOUR = QColor("#c0392b")


def ratio_colour(ratio: Ratio) -> QColor | None:
    """Green for faster, red for slower; None (the usual colour) for the same or no ratio."""
    verdict = ratio.verdict()
    if verdict == "faster":
        return FASTER_COLOUR
    if verdict == "slower":
        return SLOWER_COLOUR
    return None
