"""The overview: a small map in the canvas's corner of every block (a rectangle each) and of the
part the view shows (a frame); a click or a drag there centres the view on that place.

It shows while the design doesn't fit the view, unless View > Overview is off. Its picture of
the blocks is drawn once per change of the design's geometry (not per frame): a frame of the
canvas only moves the visible-area frame over the cached picture.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRect, QRectF, QSettings, QSize, Qt, QTimer
from PySide6.QtGui import (
    QAction,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPixmap,
    QTransform,
)
from PySide6.QtWidgets import QWidget

from designer.graph.events import (
    BlockAdded,
    BlockChanged,
    BlockRemoved,
    Change,
    GroupAdded,
    GroupChanged,
    GroupRemoved,
)
from designer.gui.canvas import style

if TYPE_CHECKING:
    from designer.gui.canvas.block_item import BlockItem
    from designer.gui.canvas.view import CanvasView

SETTING = "view/overview"
_PAD = 4.0
"""Room between the map's border and the design, in the map's pixels."""
_FIT_SLACK = 1.0
"""Scene units a design may poke out of the view and still count as fitting (rounding)."""


class Minimap(QWidget):
    """An overlay child of the canvas view (not of its viewport, which scrolls its children)."""

    def __init__(self, view: CanvasView) -> None:
        super().__init__(view)
        self._view = view
        self.wanted = True
        """View > Overview: off, the map never shows."""
        self._stale = True
        self._design = QRectF()
        self._visible = QRectF()
        self._to_map = QTransform()
        self._picture: QPixmap | None = None
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(0)  # after the edit's other listeners: one per command
        self._refresh_timer.timeout.connect(self.refresh)
        # not WA_OpaquePaintEvent, though it paints every pixel: an opaque sibling leaves the
        # viewport a clip region with a hole, which slows each frame of the canvas more than
        # painting the map again over it (a cached pixmap) costs
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Overview: click or drag to move the view")
        self.hide()

    # --- keeping up --------------------------------------------------------------------------

    def design_changed(self, change: Change) -> None:
        """A change that moves, adds or drops a block or a group redraws the map (soon)."""
        if isinstance(change, BlockChanged):
            old, new = change.old, change.new
            if old.position == new.position and old.group == new.group:
                return  # a parameter or a name: the map has neither
        elif not isinstance(
            change, BlockAdded | BlockRemoved | GroupAdded | GroupRemoved | GroupChanged
        ):
            return
        self.invalidate()

    def invalidate(self) -> None:
        """The design's geometry may have changed: measure it again once events settle."""
        self._stale = True
        self._refresh_timer.start()

    def refresh(self) -> None:
        """Measure the design now, if it changed, and show or hide the map accordingly."""
        self._refresh_timer.stop()
        if self._stale:
            self._stale = False
            self._design = self._design_rect()
            self._picture = None
            self._place()
        self._sync_visibility()
        self.update()

    def view_changed(self, visible: QRectF) -> None:
        """The view shows ``visible`` (scene coordinates) now: move the frame, show or hide."""
        if visible == self._visible:
            return
        self._visible = visible
        if self._stale:
            self.refresh()
            return
        self._place()
        self._sync_visibility()
        if self.isVisible():
            self.update()

    def set_wanted(self, wanted: bool) -> None:
        self.wanted = wanted
        self.refresh()

    def needed(self) -> bool:
        """Whether the map should show: wanted, and some of the design is out of view."""
        if not self.wanted or self._design.isEmpty():
            return False
        slack = _FIT_SLACK
        return not self._visible.adjusted(-slack, -slack, slack, slack).contains(self._design)

    def make_action(self, parent: QWidget, settings: QSettings) -> QAction:
        """View > Overview: checked, the map shows whenever the design doesn't fit the view;
        the choice is kept in ``settings``."""
        action = QAction("&Overview", parent)
        action.setCheckable(True)
        action.setToolTip("Show a map of the whole design while it doesn't fit the view")
        action.setChecked(bool(settings.value(SETTING, True, type=bool)))
        self.set_wanted(action.isChecked())

        def toggled(checked: bool) -> None:
            settings.setValue(SETTING, checked)
            self.set_wanted(checked)

        action.toggled.connect(toggled)
        return action

    # --- geometry ----------------------------------------------------------------------------

    def _design_rect(self) -> QRectF:
        scene = self._view.canvas_scene()
        rect = QRectF()
        for block in scene.blocks.values():
            if block.isVisible():
                rect = rect.united(_block_box(block))
        for group in scene.groups.values():
            if group.isVisible():
                rect = rect.united(group.frame())
        return rect

    def _place(self) -> None:
        """Size to the design's proportions; sit in the viewport's bottom-right corner."""
        area = self._design
        if area.isEmpty():
            return
        width, height = float(style.OVERVIEW_MAX_WIDTH), float(style.OVERVIEW_MAX_HEIGHT)
        if area.width() * height > area.height() * width:
            height = max(40.0, width * area.height() / area.width())
        else:
            width = max(40.0, height * area.width() / area.height())
        size = QSize(round(width), round(height))
        viewport = self._view.viewport().geometry()
        margin = style.OVERVIEW_MARGIN
        corner = viewport.bottomRight() - QRect(0, 0, size.width(), size.height()).bottomRight()
        geometry = QRect(corner.x() - margin, corner.y() - margin, size.width(), size.height())
        if geometry != self.geometry():
            self.setGeometry(geometry)
            self._picture = None
        self._to_map = self._transform_for(size)

    def _transform_for(self, size: QSize) -> QTransform:
        """Scene to map: the design fills the map, kept in proportion, centred."""
        area = self._design
        scale = min(
            (size.width() - 2 * _PAD) / area.width(), (size.height() - 2 * _PAD) / area.height()
        )
        dx = (size.width() - area.width() * scale) / 2 - area.left() * scale
        dy = (size.height() - area.height() * scale) / 2 - area.top() * scale
        return QTransform(scale, 0, 0, scale, dx, dy)

    def _sync_visibility(self) -> None:
        shown = self.needed()
        if shown != self.isVisible():
            self.setVisible(shown)
            if shown:
                self.raise_()

    def scene_point(self, point: QPointF) -> QPointF:
        """The scene place under ``point`` of the map."""
        inverse, _ = self._to_map.inverted()
        return inverse.map(point)

    def map_point(self, scene_point: QPointF) -> QPointF:
        """Where the scene place ``scene_point`` is on the map."""
        return self._to_map.map(scene_point)

    def map_rect(self, scene_rect: QRectF) -> QRectF:
        return self._to_map.mapRect(scene_rect)

    def map_scale(self) -> float:
        """Map pixels per scene unit."""
        return self._to_map.m11()

    def design_area(self) -> QRectF:
        """What the map shows: every shown block and group frame, in scene coordinates."""
        return QRectF(self._design)

    # --- drawing -----------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt's name)
        if self._picture is None or self._picture.size() != self.size() * self.devicePixelRatio():
            self._picture = self._draw_picture()
        painter = QPainter(self)
        painter.drawPixmap(0, 0, self._picture)
        frame = self.map_rect(self._visible).intersected(QRectF(self.rect()).adjusted(1, 1, -1, -1))
        if not frame.isEmpty():
            painter.setPen(QPen(style.SELECTED, 1.5))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(frame)
        painter.end()

    def _draw_picture(self) -> QPixmap:
        """The design's blocks and groups as rectangles: a few thousand fillRects, not a
        rendering of the scene."""
        ratio = self.devicePixelRatio()
        picture = QPixmap(self.size() * ratio)
        picture.setDevicePixelRatio(ratio)
        picture.fill(style.OVERVIEW_FILL)
        painter = QPainter(picture)
        scene = self._view.canvas_scene()
        for group in scene.groups.values():
            if group.isVisible():
                painter.fillRect(self.map_rect(group.frame()), style.OVERVIEW_GROUP)
        for block in scene.blocks.values():
            if block.isVisible():
                painter.fillRect(self.map_rect(_block_box(block)), style.OVERVIEW_BLOCK)
        painter.setPen(QPen(style.BLOCK_BORDER, 1.0))
        painter.drawRect(QRectF(0.5, 0.5, self.width() - 1.0, self.height() - 1.0))
        painter.end()
        return picture

    # --- moving the view ---------------------------------------------------------------------

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            self._view.centerOn(self.scene_point(event.position()))
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.buttons() & Qt.MouseButton.LeftButton:
            self._view.centerOn(self.scene_point(event.position()))
        event.accept()


def _block_box(block: BlockItem) -> QRectF:
    """The block's box in scene coordinates (its bounding rectangle takes in the ports too)."""
    position = block.scenePos()
    return QRectF(position.x(), position.y(), style.BLOCK_WIDTH, style.BLOCK_HEIGHT)
