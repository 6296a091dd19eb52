"""The view onto the scene: wheel zoom about the cursor, middle-drag or space-drag to pan,
rubber-band selection, fit to view, and an overview map in the corner for a design that doesn't
fit."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRectF, Qt
from PySide6.QtGui import QKeyEvent, QMouseEvent, QPainter, QPaintEvent, QWheelEvent
from PySide6.QtWidgets import QGraphicsView, QWidget

from designer.gui.canvas.minimap import Minimap
from designer.gui.canvas.scene import DesignScene

ZOOM_STEP = 1.15
MIN_SCALE = 0.05
MAX_SCALE = 4.0
PORT_SCALE = 0.2
"""Below this zoom a port is under 3 px wide: ports stop taking part in hit-testing."""
CANVAS = QRectF(-50_000, -50_000, 100_000, 100_000)
"""The least the scroll bars reach; ``fit`` widens it to take in a bigger design."""


class CanvasView(QGraphicsView):
    def __init__(self, scene: DesignScene, parent: QWidget | None = None) -> None:
        super().__init__(scene, parent)
        self.minimap = Minimap(self)  # first: setSceneRect below scrolls, which moves its frame
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setOptimizationFlag(QGraphicsView.OptimizationFlag.DontSavePainterState)
        self.setAcceptDrops(True)
        self.setSceneRect(CANVAS)
        self._pan_from: QPoint | None = None
        self._space_down = False
        scene.document.changed.connect(self.minimap.design_changed)
        scene.document.replaced.connect(self.minimap.invalidate)

    def canvas_scene(self) -> DesignScene:
        scene = self.scene()
        assert isinstance(scene, DesignScene)
        return scene

    # --- zoom --------------------------------------------------------------------------------

    def zoom(self, factor: float) -> None:
        current = self.transform().m11()
        factor = max(MIN_SCALE / current, min(MAX_SCALE / current, factor))
        self.scale(factor, factor)

    def zoom_in(self) -> None:
        self.zoom(ZOOM_STEP)

    def zoom_out(self) -> None:
        self.zoom(1 / ZOOM_STEP)

    def fit(self) -> None:
        scene = self.canvas_scene()
        rect = QRectF()
        for item in scene.items():
            if item.isVisible() and item.parentItem() is None:
                rect = rect.united(item.sceneBoundingRect())
        if rect.isNull():
            self.setSceneRect(CANVAS)
            self.resetTransform()
            self.centerOn(0, 0)
            return
        # a design past the fixed canvas (1000 blocks in a row reach x = 240,000) would be cut
        # off: neither shown whole nor reachable by the scroll bars
        self.setSceneRect(CANVAS.united(rect.adjusted(-5_000, -5_000, 5_000, 5_000)))
        self.fitInView(rect.adjusted(-40, -40, 40, 40), Qt.AspectRatioMode.KeepAspectRatio)
        if self.transform().m11() > 1.0:  # a small design shows at full size, not blown up
            self.resetTransform()
            self.centerOn(rect.center())

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt's name)
        # zoom changes come from many places (wheel, fit, scale()): settle detail here
        self.canvas_scene().show_ports(self.transform().m11() >= PORT_SCALE)
        super().paintEvent(event)
        self.minimap.view_changed(self.visible_area())

    def scrollContentsBy(self, dx: int, dy: int) -> None:  # noqa: N802 (Qt's name)
        super().scrollContentsBy(dx, dy)
        # before the frame is painted, so that the map's frame moves in the same pass
        self.minimap.view_changed(self.visible_area())

    def visible_area(self) -> QRectF:
        """The part of the scene the viewport shows."""
        return self.mapToScene(self.viewport().rect()).boundingRect()

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        steps = event.angleDelta().y() / 120
        if steps:
            self.zoom(ZOOM_STEP**steps)
        event.accept()

    # --- pan ---------------------------------------------------------------------------------

    def pan_by(self, dx: int, dy: int) -> None:
        self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() + dx)
        self.verticalScrollBar().setValue(self.verticalScrollBar().value() + dy)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        middle = event.button() == Qt.MouseButton.MiddleButton
        if middle or (self._space_down and event.button() == Qt.MouseButton.LeftButton):
            self._pan_from = event.position().toPoint()
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._pan_from is not None:
            point = event.position().toPoint()
            delta = point - self._pan_from
            self._pan_from = point
            self.pan_by(-delta.x(), -delta.y())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        # a finished drag or a group collapsed by a click may have moved what the map shows
        self.minimap.invalidate()
        if self._pan_from is not None:
            self._pan_from = None
            cursor = (
                Qt.CursorShape.OpenHandCursor if self._space_down else Qt.CursorShape.ArrowCursor
            )
            self.viewport().setCursor(cursor)
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space_down = True
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
            event.accept()
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space_down = False
            self.viewport().setCursor(Qt.CursorShape.ArrowCursor)
            event.accept()
            return
        super().keyReleaseEvent(event)
