"""An edge on the canvas: a route from an output port to an input port, labelled with the shape
of the tensor it carries, red with a tooltip when that tensor doesn't fit its target.

The scene's wiring gives the route (around blocks) and the label's place (clear of everything
else); the item draws them and reports the sizes its label's texts take.
"""

from __future__ import annotations

import itertools

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QFont,
    QFontMetricsF,
    QPainter,
    QPainterPath,
    QPainterPathStroker,
    QPen,
)
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from designer.graph import Edge
from designer.graph.layout.geometry import Point, Rect
from designer.graph.layout.labels import LabelText, Placement
from designer.graph.layout.routes import is_straight, s_curve
from designer.gui.canvas import style

_LABEL_PAD = 3.0
_PENS = {  # by (selected, has_error)
    (False, False): QPen(style.EDGE, 1.8),
    (False, True): QPen(style.ERROR, 3.0),
    (True, False): QPen(style.SELECTED, 3.0),
    (True, True): QPen(style.SELECTED, 3.0),
}
_NO_BRUSH = QBrush(Qt.BrushStyle.NoBrush)


class EdgeItem(QGraphicsItem):
    def __init__(self, edge: Edge) -> None:
        super().__init__()
        self.edge = edge
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setZValue(0.5)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)  # frames blit it
        self.label = ""
        self.shown_label = ""
        """The label's text as drawn: the shape, shortened or empty where there's no room."""
        self.has_error = False
        self._path = QPainterPath()
        self._label_rect = QRectF()
        self._bounds = QRectF()
        self._hit_shape = QPainterPath()

    def set_route(self, points: list[Point]) -> None:
        """Draw the edge along a route: level and vertical runs straight, the rest S-curves."""
        path = QPainterPath(QPointF(*points[0]))
        for a, b in itertools.pairwise(points):
            if is_straight(a, b):
                path.lineTo(QPointF(*b))
            else:
                c1, c2 = s_curve(a, b)
                path.cubicTo(QPointF(*c1), QPointF(*c2), QPointF(*b))
        self.prepareGeometryChange()
        self._path = path
        self._update_shape()

    def set_label(self, text: str, problems: list[str]) -> None:
        """The shape the edge carries (and what is wrong with it); the wiring places it."""
        self.label = text
        self.has_error = bool(problems)
        tip = f"tensor {text}" if text else "shape unknown (see the upstream blocks)"
        self.setToolTip("\n".join([tip, *(f"⚠ {problem}" for problem in problems)]))
        self.update()

    def label_texts(self) -> list[LabelText]:
        """What the label may show, longest first: the shape, then without the batch size."""
        if not self.label:
            return []
        metrics = QFontMetricsF(_label_font())
        texts = [self.label]
        short = self.label.partition("x")[2]
        if short:
            texts.append(short)
        return [
            LabelText(
                text,
                metrics.horizontalAdvance(text) + 2 * _LABEL_PAD,
                metrics.height() + _LABEL_PAD,
            )
            for text in texts
        ]

    def set_label_place(self, placement: Placement | None) -> None:
        """Show the label there, in that text; None: no room, the tooltip tells the shape."""
        self.prepareGeometryChange()
        if placement is None:
            self.shown_label = ""
            self._label_rect = QRectF(self._path.pointAtPercent(0.5), QPointF())
        else:
            self.shown_label = placement.text
            rect = placement.rect
            self._label_rect = QRectF(rect.left, rect.top, rect.width, rect.height)
        self._update_shape()
        self.update()

    def label_rect(self) -> Rect | None:
        """Where the label is drawn; None when it isn't."""
        if not self.shown_label:
            return None
        rect = self._label_rect
        return Rect(rect.left(), rect.top(), rect.right(), rect.bottom())

    def drawn_path(self) -> QPainterPath:
        return QPainterPath(self._path)

    def label_centre(self) -> QPointF:
        return self._label_rect.center()

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt's name)
        return self._bounds

    def shape(self) -> QPainterPath:
        return self._hit_shape

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        # a zoom or a load repaints every edge at once: pens made once, few calls
        selected = self.isSelected()
        painter.setPen(_PENS[selected, self.has_error])
        painter.setBrush(_NO_BRUSH)
        painter.drawPath(self._path)
        if not self.shown_label:
            return
        if option.levelOfDetailFromTransform(painter.worldTransform()) < style.NAME_ONLY_SCALE:
            return
        colour = style.SELECTED if selected else style.ERROR if self.has_error else style.EDGE
        painter.setPen(QPen(colour, 1.0))
        painter.setBrush(QBrush(style.LABEL_FILL))
        painter.drawRoundedRect(self._label_rect, 4, 4)
        painter.setFont(_label_font())
        painter.setPen(style.ERROR if self.has_error else style.TEXT)
        painter.drawText(self._label_rect, Qt.AlignmentFlag.AlignCenter, self.shown_label)

    def _update_shape(self) -> None:
        stroker = QPainterPathStroker()
        stroker.setWidth(10.0)
        hit = stroker.createStroke(self._path)
        if self.shown_label:
            hit.addRect(self._label_rect)
        self._hit_shape = hit
        self._bounds = self._path.boundingRect().united(self._label_rect).adjusted(-4, -4, 4, 4)


_fonts: list[QFont] = []


def _label_font() -> QFont:
    if not _fonts:
        font = QFont()
        font.setPointSizeF(8.0)
        font.setFamily("monospace")
        font.setStyleHint(QFont.StyleHint.Monospace)
        _fonts.append(font)
    return _fonts[0]
