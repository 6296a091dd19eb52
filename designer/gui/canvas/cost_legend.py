"""The cost map's legend: a small panel in the canvas's top-right corner with the colour scale,
what it measures, and the range of the blocks' values with units.

Like the overview map, it is a child of the canvas view (not of its viewport, which scrolls its
children); it follows the view's size through an event filter."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QLinearGradient, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QAbstractScrollArea, QWidget

from designer.gui.canvas import style
from designer.gui.canvas.cost_colours import YLORRD

MARGIN = 12
"""Screen pixels between the legend and the canvas's corner."""
WIDTH = 290
_LINE = 14.0
_PAD = 8.0
_BAR_HEIGHT = 12.0


@dataclass(frozen=True, slots=True)
class LegendText:
    """What the legend says: its title, the scale's two ends, and lines under it."""

    title: str
    low: str
    high: str
    notes: tuple[str, ...] = ()
    stale: bool = False


class CostLegend(QWidget):
    def __init__(self, view: QAbstractScrollArea) -> None:
        super().__init__(view)
        self._view = view
        self.text = LegendText("", "", "")
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setFixedSize(WIDTH, _height(0))
        self._title_font = QFont()
        self._title_font.setBold(True)
        self._title_font.setPointSizeF(8.5)
        self._small_font = QFont()
        self._small_font.setPointSizeF(7.5)
        view.installEventFilter(self)
        self.hide()

    def show_text(self, text: LegendText) -> None:
        self.text = text
        self.setFixedSize(WIDTH, _height(len(text.notes)))
        self._place()
        self.show()
        self.raise_()
        self.update()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if watched is self._view and event.type() == QEvent.Type.Resize:
            self._place()
        return False

    def _place(self) -> None:
        viewport = self._view.viewport().geometry()
        self.move(viewport.right() - WIDTH - MARGIN, viewport.top() + MARGIN)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt's name)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        frame = QRectF(0.5, 0.5, self.width() - 1.0, self.height() - 1.0)
        painter.setPen(QPen(style.BLOCK_BORDER, 1.0))
        painter.setBrush(QColor(255, 255, 255, 235))
        painter.drawRoundedRect(frame, 4, 4)
        inner = self.width() - 2 * _PAD
        painter.setPen(style.MUTED_TEXT if self.text.stale else style.TEXT)
        painter.setFont(self._title_font)
        title = self.text.title + (" (stale)" if self.text.stale else "")
        painter.drawText(QRectF(_PAD, 4, inner, 16), Qt.AlignmentFlag.AlignLeft, title)
        bar = QRectF(_PAD, 23, inner, _BAR_HEIGHT)
        gradient = QLinearGradient(QPointF(bar.left(), 0), QPointF(bar.right(), 0))
        for index, colour in enumerate(YLORRD):
            gradient.setColorAt(index / (len(YLORRD) - 1), QColor(colour))
        painter.setPen(QPen(style.BLOCK_BORDER, 0.8))
        painter.setBrush(gradient)
        painter.drawRect(bar)
        painter.setFont(self._small_font)
        painter.setPen(style.TEXT)
        ends = QRectF(_PAD, bar.bottom() + 2, inner, 14)
        painter.drawText(ends, Qt.AlignmentFlag.AlignLeft, self.text.low)
        painter.drawText(ends, Qt.AlignmentFlag.AlignRight, self.text.high)
        painter.setPen(style.MUTED_TEXT)
        metrics = painter.fontMetrics()
        for index, line in enumerate(self.text.notes):
            rect = QRectF(_PAD, ends.bottom() + 1 + index * _LINE, inner, _LINE)
            shown = metrics.elidedText(line, Qt.TextElideMode.ElideRight, round(inner))
            painter.drawText(rect, Qt.AlignmentFlag.AlignLeft, shown)
        painter.end()


def _height(lines: int) -> int:
    """The legend's height with ``lines`` lines under the scale."""
    return round(23 + _BAR_HEIGHT + 2 + _LINE + lines * _LINE + 6)
