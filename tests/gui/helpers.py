"""Small helpers shared by the GUI tests: designs to open, points on the canvas, events."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from designer.graph import Design, dumps_design
from designer.gui.canvas import mime
from designer.gui.main_window import MainWindow


class Calls:
    """A stand-in for a dialog method: records the arguments of every call."""

    def __init__(self, result: Any = None) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.result = result

    def __call__(self, *args: Any) -> Any:
        self.calls.append(args)
        return self.result


def small_design() -> Design:
    """x 1x1x28x28 -> conv (32) -> flat -> fc (10) -> out, laid out left to right."""
    design = Design("Small")
    ids = [
        design.add_block("input", name="x", position=(0, 0)).id,
        design.add_block("conv_block", name="conv", position=(300, 0)).id,
        design.add_block("flatten", name="flat", position=(600, 0)).id,
        design.add_block("linear", name="fc", position=(900, 0)).id,
        design.add_block("output", name="out", position=(1200, 0)).id,
    ]
    for source, target in pairwise(ids):
        design.connect(source, target)
    return design


def open_design(window: MainWindow, design: Design) -> None:
    """Show ``design`` as a freshly opened, clean document, every block on screen."""
    window.document.replace(design, None)
    window.view.resetTransform()
    window.view.centerOn(window.scene.itemsBoundingRect().center())


def block_id(window: MainWindow, name: str) -> str:
    for block in window.document.design.blocks.values():
        if block.name == name:
            return block.id
    raise KeyError(name)


def dump(window: MainWindow) -> str:
    return dumps_design(window.document.design)


def view_point(window: MainWindow, scene_pos: QPointF) -> QPoint:
    return window.view.mapFromScene(scene_pos)


def edge_between(window: MainWindow, source: str, target: str) -> Any:
    design = window.document.design
    found = [e for e in design.edges() if (e.source, e.target) == (source, target)]
    return found[0] if found else None


def _drag_event(
    kind: type[QDragEnterEvent] | type[QDragMoveEvent], point: QPoint, data: QMimeData
) -> QDragMoveEvent:
    # the QPoint form, which every supported PySide6 takes. Not "try QPointF, catch TypeError":
    # after torch.compile has run in this process, shiboken can't even build that TypeError's
    # message (it trips over inductor's kernel modules in sys.modules) and aborts
    return kind(
        point, Qt.DropAction.CopyAction, data, Qt.MouseButton.LeftButton, Qt.KeyboardModifier(0)
    )


def drop(window: MainWindow, mime_type: str, value: str, scene_pos: QPointF) -> bool:
    """Drag enter, move and drop a palette payload at ``scene_pos``; True if it was accepted."""
    viewport = window.view.viewport()
    point = view_point(window, scene_pos)
    data = mime.mime_for(mime_type, value)
    for kind in (QDragEnterEvent, QDragMoveEvent):
        event = _drag_event(kind, point, data)
        QApplication.sendEvent(viewport, event)
        if not event.isAccepted():
            return False
    dropped = QDropEvent(
        QPointF(point),
        Qt.DropAction.CopyAction,
        data,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier(0),
    )
    QApplication.sendEvent(viewport, dropped)
    return dropped.isAccepted()
