"""An edge on the canvas: a curve from an output port to an input port, labelled with the shape
of the tensor it carries, red with a tooltip when that tensor doesn't fit its target."""

from __future__ import annotations

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
        self.has_error = False
        self._path = QPainterPath()
        self._label_rect = QRectF()
        self._bounds = QRectF()
        self._hit_shape = QPainterPath()

    def set_ends(self, start: QPointF, end: QPointF) -> None:
        path = QPainterPath(start)
        reach = max(40.0, abs(end.x() - start.x()) / 2)
        path.cubicTo(start + QPointF(reach, 0), end - QPointF(reach, 0), end)
        self.prepareGeometryChange()
        self._path = path
        self._place_label()

    def set_label(self, text: str, problems: list[str]) -> None:
        self.label = text
        self.has_error = bool(problems)
        tip = f"tensor {text}" if text else "shape unknown (see the upstream blocks)"
        self.setToolTip("\n".join([tip, *(f"⚠ {problem}" for problem in problems)]))
        self.prepareGeometryChange()
        self._place_label()
        self.update()

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
        if not self.label:
            return
        if option.levelOfDetailFromTransform(painter.worldTransform()) < style.DETAIL_SCALE:
            return
        colour = style.SELECTED if selected else style.ERROR if self.has_error else style.EDGE
        painter.setPen(QPen(colour, 1.0))
        painter.setBrush(QBrush(style.LABEL_FILL))
        painter.drawRoundedRect(self._label_rect, 4, 4)
        painter.setFont(_label_font())
        painter.setPen(style.ERROR if self.has_error else style.TEXT)
        painter.drawText(self._label_rect, Qt.AlignmentFlag.AlignCenter, self.label)

    def _place_label(self) -> None:
        if self.label:
            metrics = QFontMetricsF(_label_font())
            width = metrics.horizontalAdvance(self.label) + 2 * _LABEL_PAD
            height = metrics.height() + _LABEL_PAD
            centre = self._path.pointAtPercent(0.5)
            self._label_rect = QRectF(
                centre.x() - width / 2, centre.y() - height / 2, width, height
            )
        else:
            self._label_rect = QRectF(self._path.pointAtPercent(0.5), QPointF())
        stroker = QPainterPathStroker()
        stroker.setWidth(10.0)
        hit = stroker.createStroke(self._path)
        if self.label:
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
