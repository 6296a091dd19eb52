"""Named ports on the canvas: an LSTM's h_n and c_n beside their own output ports, dragged from
by name, each edge labelled with the shape its port gives."""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt
from pytestqt.qtbot import QtBot

from designer.graph import Design
from designer.gui.main_window import MainWindow
from tests.gui.helpers import edge_between, open_design, view_point

LEFT = Qt.MouseButton.LeftButton


def recurrent_design() -> Design:
    design = Design()
    design.add_block("input", name="x", params={"shape": [2, 7, 16]}, block_id="x")
    design.add_block("lstm", name="lstm", params={"hidden_size": 12}, position=(250, 0),
                     block_id="lstm")  # fmt: skip
    design.add_block("linear", name="head", position=(550, 120), block_id="head")
    design.connect("x", "lstm")
    return design


def drag(window: MainWindow, qtbot: QtBot, start: QPointF, end: QPointF) -> None:
    viewport = window.view.viewport()
    qtbot.mousePress(viewport, LEFT, pos=view_point(window, start))
    qtbot.mouseMove(viewport, pos=view_point(window, (start + end) / 2))
    qtbot.mouseMove(viewport, pos=view_point(window, end))
    qtbot.mouseRelease(viewport, LEFT, pos=view_point(window, end))


def test_each_output_has_a_port_of_its_own(window: MainWindow) -> None:
    open_design(window, recurrent_design())
    item = window.scene.blocks["lstm"]
    assert list(item.outputs) == ["out", "h_n", "c_n"]
    heights = [port.pos().y() for port in item.outputs.values()]
    assert heights == sorted(heights) and len(set(heights)) == 3
    assert "final hidden state" in item.outputs["h_n"].toolTip()
    assert [name for _, name, _ in item._port_labels] == ["out", "h_n", "c_n"]
    assert list(window.scene.blocks["head"].outputs) == ["out"]
    assert window.scene.blocks["head"]._port_labels == []


def test_dragging_from_h_n_connects_that_output(window: MainWindow, qtbot: QtBot) -> None:
    open_design(window, recurrent_design())
    start = window.scene.blocks["lstm"].outputs["h_n"].scenePos()
    end = window.scene.blocks["head"].inputs["in"].scenePos()
    drag(window, qtbot, start, end)
    edge = edge_between(window, "lstm", "head")
    assert edge is not None and edge.source_port == "h_n"
    window.document.check_now()
    assert window.scene.edges[edge].label == "1x2x12"  # layers x batch x hidden
    assert window.document.undo_stack.undoText() == "Connect lstm.h_n → head"
    window.actions_by_name["undo"].trigger()
    assert edge_between(window, "lstm", "head") is None
    window.actions_by_name["redo"].trigger()
    assert edge_between(window, "lstm", "head") == edge


def test_the_inspector_lists_every_output(window: MainWindow) -> None:
    open_design(window, recurrent_design())
    window.document.check_now()
    window.scene.select_blocks(["lstm"])
    assert window.inspector.output.text().startswith("2x7x12, h_n 1x2x12, c_n 1x2x12")


def test_the_inspector_wraps_a_long_output_line(window: MainWindow) -> None:
    open_design(window, recurrent_design())
    window.document.check_now()
    window.scene.select_blocks(["lstm"])
    assert window.inspector.output.wordWrap()
