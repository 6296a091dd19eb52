"""Keys go to the widget that has focus, and an idle app does no work."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from designer.graph import dumps_design
from designer.graph.edits import SetClassName
from designer.gui.main_window import MainWindow
from tests.gui.helpers import open_design, small_design


def test_canvas_keys_act_only_while_the_canvas_has_focus(window: MainWindow, qtbot: QtBot) -> None:
    open_design(window, small_design())
    before = dumps_design(window.document.design)
    window.docks["code"].raise_()
    window.model_docks.code_panel.set_available(True)  # as once the model is built
    editor = window.model_docks.code_panel.editor
    editor.setPlainText("some code")
    window.activateWindow()
    editor.setFocus()
    qtbot.waitUntil(editor.hasFocus)
    qtbot.keyClick(editor, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(editor, Qt.Key.Key_Delete)
    assert window.scene.selected_block_ids() == []
    assert dumps_design(window.document.design) == before
    assert editor.textCursor().selectedText() == "some code"

    window.view.setFocus()
    qtbot.waitUntil(window.view.hasFocus)
    qtbot.keyClick(window.view, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    assert len(window.scene.selected_block_ids()) == len(window.document.design.blocks)
    qtbot.keyClick(window.view, Qt.Key.Key_Delete)
    assert window.document.design.blocks == {}


def test_an_idle_window_checks_no_shapes(window: MainWindow, qtbot: QtBot) -> None:
    open_design(window, small_design())
    window.model_docks.live.enable()  # as once torch is ready; the service is never answered
    checks: list[object] = []
    window.document.shapes_checked.connect(checks.append)
    qtbot.wait(1500)
    assert checks == []


def test_undoing_a_model_rename_shows_the_old_name(window: MainWindow) -> None:
    open_design(window, small_design())
    window.inspector.show_selection([], [])
    old = window.document.design.class_name
    window.document.edit("Rename the model", [SetClassName("Renamed")])
    window.document.undo_stack.undo()
    assert window.inspector.class_edit is not None
    assert window.inspector.class_edit.text() == old
