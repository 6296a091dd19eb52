"""A group on the canvas: a labelled frame around its blocks, collapsible to one box.

The frame follows its members (the scene sets its rectangle); dragging the header moves every
member, and the triangle in the header collapses or expands it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QFont, QFontMetricsF, QPainter, QPainterPath, QPen, QPolygonF
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsSceneMouseEvent,
    QStyleOptionGraphicsItem,
    QWidget,
)

from designer.graph import Group
from designer.gui.canvas import style
from designer.gui.canvas.block_item import ScaledLabel, scaled_label

if TYPE_CHECKING:
    from designer.gui.canvas.scene import DesignScene

_TOGGLE = QRectF(4, 4, 14, 14)
_TITLE_LEFT = _TOGGLE.right() + 4
_TITLE_TALLEST = round(style.GROUP_HEADER + style.GROUP_MARGIN) - 6
"""A title drawn large when zoomed out keeps to the room above the members (and inside a
collapsed box): the header and the margin."""
_TITLE_RIGHT_ROOM = 12.0
COLLAPSED_MAX_WIDTH = 2 * style.COLLAPSED_WIDTH
"""A collapsed box widens to its title up to this; a longer title shows its class alone."""


class GroupItem(QGraphicsItem):
    def __init__(self, group: Group, depth: int) -> None:
        super().__init__()
        self.group_id = group.id
        self.record = group
        self.collapsed = False
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setZValue(-10.0 + depth)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)  # frames blit it
        self._rect = QRectF(0, 0, style.COLLAPSED_WIDTH, style.COLLAPSED_HEIGHT)
        self._drag_from: QPointF | None = None
        self._collapsed_width = style.COLLAPSED_WIDTH

    def title(self) -> str:
        return group_title(self.record)

    def collapsed_size(self) -> tuple[float, float]:
        """The collapsed box: wide enough for the title, within ``COLLAPSED_MAX_WIDTH``."""
        return self._collapsed_width, style.COLLAPSED_HEIGHT

    def shown_title(self, width: float) -> str:
        """The title as it fits ``width``: whole, else the class alone, else elided."""
        metrics = QFontMetricsF(_header_font())
        title = self.title()
        if metrics.horizontalAdvance(title) <= width:
            return title
        short = self.record.class_name or title
        return metrics.elidedText(short, Qt.TextElideMode.ElideRight, width)

    def set_group(self, group: Group) -> None:
        self.record = group
        self._collapsed_width = collapsed_size(group)[0]
        self.setToolTip(
            f"group {group.name!r} becomes the sub-module self.{group.name}"
            + (f" of class {group.class_name}" if group.class_name else "")
        )
        self.update()

    def set_frame(self, rect: QRectF) -> None:
        if rect != self._rect:
            self.prepareGeometryChange()
            self._rect = rect

    def frame(self) -> QRectF:
        return self._rect

    def input_anchor(self) -> QPointF:
        return QPointF(self._rect.left(), self._rect.center().y())

    def output_anchor(self) -> QPointF:
        return QPointF(self._rect.right(), self._rect.center().y())

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt's name)
        return self._rect.adjusted(-2, -2, 2, 2)

    def shape(self) -> QPainterPath:
        """Only the header (or the whole collapsed box) takes clicks: the blocks inside must
        stay reachable, and rubber-band selection must start on the frame's empty inside."""
        path = QPainterPath()
        if self.collapsed:
            path.addRect(self._rect)
        else:
            path.addRect(
                QRectF(
                    self._rect.topLeft(),
                    QPointF(self._rect.right(), self._rect.top() + style.GROUP_HEADER),
                )
            )
        return path

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        border = style.SELECTED if self.isSelected() else style.GROUP_BORDER
        painter.setPen(QPen(border, 2.0 if self.isSelected() else 1.2, Qt.PenStyle.DashLine))
        painter.setBrush(QBrush(style.GROUP_FILL if not self.collapsed else style.BLOCK_FILL))
        painter.drawRoundedRect(self._rect, 8, 8)
        detail = option.levelOfDetailFromTransform(painter.worldTransform())
        if detail < style.DETAIL_SCALE:
            self._paint_scaled_title(painter, detail)
            return
        toggle = _TOGGLE.translated(self._rect.topLeft())
        painter.setBrush(QBrush(style.GROUP_BORDER))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.drawPolygon(_triangle(toggle, self.collapsed))
        if detail < style.NAME_ONLY_SCALE:
            self._paint_scaled_title(painter, detail)
            return
        painter.setPen(style.GROUP_BORDER)
        painter.setFont(_header_font())
        header = QRectF(
            toggle.right() + 4,
            self._rect.top() + 3,
            self._rect.width() - _TITLE_LEFT - _TITLE_RIGHT_ROOM / 2,
            18,
        )
        painter.drawText(header, Qt.AlignmentFlag.AlignLeft, self.shown_title(header.width()))

    def title_label(self, scale: float) -> ScaledLabel | None:
        """The group's name (its class goes first) as drawn at ``scale`` below
        ``NAME_ONLY_SCALE``; None: not drawn."""
        room = min(float(_TITLE_TALLEST), self._rect.height() - 8)
        width = self._rect.width() - _TITLE_LEFT - 8
        return scaled_label(self.record.name, scale, width, int(room), bold=True)

    def _paint_scaled_title(self, painter: QPainter, scale: float) -> None:
        """Zoomed out, the title grows to stay readable, in the room above the members."""
        label = self.title_label(scale)
        if label is None:
            return
        painter.setPen(style.GROUP_BORDER)
        painter.setFont(label.font)
        top_left = self._rect.topLeft() + QPointF(_TITLE_LEFT, 3)
        box = QRectF(top_left, QPointF(self._rect.right() - 8, top_left.y() + _TITLE_TALLEST))
        painter.drawText(box, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop, label.text)

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        if _TOGGLE.translated(self._rect.topLeft()).contains(event.pos()):
            owner: DesignScene = self.scene()  # type: ignore[assignment]
            owner.toggle_collapsed(self.group_id)
            event.accept()
            return
        super().mousePressEvent(event)
        if event.button() == Qt.MouseButton.LeftButton:
            self._drag_from = event.scenePos()

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        if self._drag_from is None:
            super().mouseMoveEvent(event)
            return
        owner: DesignScene = self.scene()  # type: ignore[assignment]
        owner.drag_group(self.group_id, event.scenePos() - self._drag_from)
        self._drag_from = event.scenePos()

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        super().mouseReleaseEvent(event)  # the scene's release commits the moves
        self._drag_from = None


def group_title(group: Group) -> str:
    return f"{group.name}: {group.class_name or 'auto'}"


def collapsed_size(group: Group) -> tuple[float, float]:
    """A collapsed group's box: wide enough for its title, within ``COLLAPSED_MAX_WIDTH``."""
    title_width = QFontMetricsF(_header_font()).horizontalAdvance(group_title(group))
    width = max(style.COLLAPSED_WIDTH, _TITLE_LEFT + title_width + _TITLE_RIGHT_ROOM)
    return min(COLLAPSED_MAX_WIDTH, float(round(width))), style.COLLAPSED_HEIGHT


def _triangle(box: QRectF, collapsed: bool) -> QPolygonF:
    if collapsed:  # pointing right
        points = [box.topLeft(), box.bottomLeft(), QPointF(box.right(), box.center().y())]
    else:  # pointing down
        points = [box.topLeft(), box.topRight(), QPointF(box.center().x(), box.bottom())]
    return QPolygonF(points)


_fonts: list[QFont] = []


def _header_font() -> QFont:
    if not _fonts:
        font = QFont()
        font.setBold(True)
        font.setPointSizeF(9.0)
        _fonts.append(font)
    return _fonts[0]
