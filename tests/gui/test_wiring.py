"""Connecting ports with the mouse: drag from an output port, release on an input."""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QGraphicsLineItem
from pytestqt.qtbot import QtBot

from designer.graph import Design
from designer.gui.main_window import MainWindow
from tests.gui.helpers import dump, edge_between, open_design, view_point

LEFT = Qt.MouseButton.LeftButton


def wiring_design() -> Design:
    """x -> c below; a (unfed) -> b on the top row."""
    design = Design()
    design.add_block("input", name="x", position=(0, 0), block_id="x")
    design.add_block("conv_block", name="a", position=(300, 0), block_id="a")
    design.add_block("conv_block", name="b", position=(600, 0), block_id="b")
    design.add_block("conv_block", name="c", position=(300, 200), block_id="c")
    design.connect("a", "b")
    design.connect("x", "c")
    return design


def drag_wire(window: MainWindow, qtbot: QtBot, source: str, end: QPointF) -> None:
    viewport = window.view.viewport()
    port = window.scene.blocks[source].output
    assert port is not None
    start = port.scenePos()
    qtbot.mousePress(viewport, LEFT, pos=view_point(window, start))
    qtbot.mouseMove(viewport, pos=view_point(window, (start + end) / 2))
    qtbot.mouseMove(viewport, pos=view_point(window, end))
    qtbot.mouseRelease(viewport, LEFT, pos=view_point(window, end))


def input_port(window: MainWindow, block: str) -> QPointF:
    return window.scene.blocks[block].inputs["in"].scenePos()


def no_wire_left(window: MainWindow) -> bool:
    return not any(isinstance(item, QGraphicsLineItem) for item in window.scene.items())


def test_drag_from_output_to_input_connects(window: MainWindow, qtbot: QtBot) -> None:
    open_design(window, wiring_design())
    drag_wire(window, qtbot, "x", input_port(window, "a"))
    edge = edge_between(window, "x", "a")
    assert edge is not None and edge.target_port == "in"
    assert edge in window.scene.edges
    assert no_wire_left(window)
    assert window.document.undo_stack.count() == 1
    assert window.isWindowModified()
    window.actions_by_name["undo"].trigger()
    assert edge_between(window, "x", "a") is None
    assert edge not in window.scene.edges
    window.actions_by_name["redo"].trigger()
    assert edge_between(window, "x", "a") is not None


def test_release_on_block_body_takes_first_free_input(window: MainWindow, qtbot: QtBot) -> None:
    open_design(window, wiring_design())
    body = window.scene.blocks["a"].sceneBoundingRect().center()
    drag_wire(window, qtbot, "x", body)
    assert edge_between(window, "x", "a") is not None


def test_wire_making_a_cycle_is_refused(window: MainWindow, qtbot: QtBot) -> None:
    open_design(window, wiring_design())
    before = dump(window)
    drag_wire(window, qtbot, "b", input_port(window, "a"))
    assert dump(window) == before
    assert window.document.undo_stack.count() == 0
    message = window.statusBar().currentMessage()
    assert "refused" in message and "cycle" in message, message
    assert no_wire_left(window)


def test_wire_to_taken_input_is_refused(window: MainWindow, qtbot: QtBot) -> None:
    open_design(window, wiring_design())
    before = dump(window)
    drag_wire(window, qtbot, "a", input_port(window, "c"))
    assert dump(window) == before
    message = window.statusBar().currentMessage()
    assert "refused" in message and "already connected" in message, message
    drag_wire(window, qtbot, "b", window.scene.blocks["c"].sceneBoundingRect().center())
    assert dump(window) == before
    assert "every input of 'c' is taken" in window.statusBar().currentMessage()


def test_wire_dropped_on_empty_canvas_does_nothing(window: MainWindow, qtbot: QtBot) -> None:
    open_design(window, wiring_design())
    before = dump(window)
    drag_wire(window, qtbot, "x", QPointF(150, 400))
    assert dump(window) == before
    assert "drop the wire on an input port" in window.statusBar().currentMessage()
    assert no_wire_left(window)


def test_wire_onto_an_input_block_is_refused(window: MainWindow, qtbot: QtBot) -> None:
    open_design(window, wiring_design())
    before = dump(window)
    drag_wire(window, qtbot, "b", window.scene.blocks["x"].sceneBoundingRect().center())
    assert dump(window) == before
    assert "'x' is an input and takes no input" in window.statusBar().currentMessage()
