"""Delete joins a deleted block's neighbours when shapes allow; a plain delete stays at hand."""

from __future__ import annotations

from itertools import pairwise

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu
from pytestqt.qtbot import QtBot

from designer.graph import Design, check_design
from designer.gui.main_window import MainWindow
from tests.gui.helpers import block_id, dump, edge_between, open_design

CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


def chain_design(pin_fc: bool = False) -> Design:
    """x 1x1x28x28 -> conv -> drop -> flat -> fc -> out, laid out left to right."""
    design = Design("Chain")
    ids = [
        design.add_block(kind, name=name, position=(300 * index, 0)).id
        for index, (kind, name) in enumerate(
            [
                ("input", "x"),
                ("conv_block", "conv"),
                ("dropout", "drop"),
                ("flatten", "flat"),
                ("linear", "fc"),
                ("output", "out"),
            ]
        )
    ]
    for source, target in pairwise(ids):
        design.connect(source, target)
    if pin_fc:
        flat_shape = check_design(design).results[ids[3]].shape
        assert flat_shape is not None
        design.set_param(ids[4], "in_features", flat_shape[-1])
    return design


def edit_menu_action(window: MainWindow, text: str) -> QAction:
    """The Edit menu's entry called ``text`` (as the user reads it, ``&`` left out)."""
    edit = next(menu for menu in window.menuBar().findChildren(QMenu) if menu.title() == "&Edit")
    return next(action for action in edit.actions() if action.text().replace("&", "") == text)


def select(window: MainWindow, *names: str) -> None:
    window.scene.select_blocks([block_id(window, name) for name in names])


def focus_canvas(window: MainWindow, qtbot: QtBot) -> None:
    window.activateWindow()
    window.view.setFocus()
    qtbot.waitUntil(window.view.hasFocus)


def status(window: MainWindow) -> str:
    return window.statusBar().currentMessage()


def joined(window: MainWindow, source: str, target: str) -> bool:
    ids = block_id(window, source), block_id(window, target)
    edge = edge_between(window, *ids)
    return edge is not None and edge in window.scene.edges


def check_one_undo_step_back(window: MainWindow, before: str) -> None:
    stack = window.document.undo_stack
    assert stack.count() == 1
    assert stack.undoText() == "Delete 1 item"
    stack.undo()
    assert dump(window) == before


def test_the_delete_key_joins_the_neighbours_in_one_undo_step(
    window: MainWindow, qtbot: QtBot
) -> None:
    open_design(window, chain_design())
    before, drop = dump(window), block_id(window, "drop")
    select(window, "drop")
    focus_canvas(window, qtbot)
    qtbot.keyClick(window.view, Qt.Key.Key_Delete)

    assert drop not in window.scene.blocks
    assert joined(window, "conv", "flat")
    assert status(window) == "Deleted 'drop' and reconnected 'conv' to 'flat'"
    assert window.document.check_now().ok
    check_one_undo_step_back(window, before)
    assert joined(window, "conv", "drop") and joined(window, "drop", "flat")


def test_edit_delete_joins_a_run_of_selected_blocks(window: MainWindow) -> None:
    open_design(window, chain_design())
    before = dump(window)
    select(window, "drop", "flat")
    edit_menu_action(window, "Delete").trigger()
    assert joined(window, "conv", "fc")
    assert status(window) == "Deleted 'drop', 'flat' and reconnected 'conv' to 'fc'"
    stack = window.document.undo_stack
    assert (stack.count(), stack.undoText()) == (1, "Delete 2 items")
    stack.undo()
    assert dump(window) == before


def test_a_join_that_breaks_shapes_is_left_open_and_the_status_bar_says_why(
    window: MainWindow, qtbot: QtBot
) -> None:
    open_design(window, chain_design(pin_fc=True))
    before = dump(window)
    select(window, "flat")
    focus_canvas(window, qtbot)
    qtbot.keyClick(window.view, Qt.Key.Key_Delete)
    assert block_id(window, "fc") not in {e.target for e in window.document.design.edges()}
    assert status(window).startswith("Deleted 'flat'; not reconnected: Linear 'fc' expects 25088")
    check_one_undo_step_back(window, before)


def test_delete_without_reconnecting_leaves_the_gap(window: MainWindow, qtbot: QtBot) -> None:
    open_design(window, chain_design())
    before = dump(window)
    select(window, "drop")
    focus_canvas(window, qtbot)
    qtbot.keyClick(window.view, Qt.Key.Key_Delete, CTRL_SHIFT)
    assert "drop" not in {block.name for block in window.document.design.blocks.values()}
    assert not joined(window, "conv", "flat")
    assert not window.document.check_now().ok  # 'flat' has nothing at its input
    check_one_undo_step_back(window, before)

    select(window, "drop")
    edit_menu_action(window, "Delete Without Reconnecting").trigger()
    assert not joined(window, "conv", "flat")
    check_one_undo_step_back(window, before)


def test_the_plain_delete_key_is_free_of_cut_and_delete() -> None:
    plain = QKeySequence("Ctrl+Shift+Del")
    for taken in (QKeySequence.StandardKey.Cut, QKeySequence.StandardKey.Delete):
        assert plain not in QKeySequence.keyBindings(taken)


def test_the_plain_delete_shortcut_is_the_menu_entrys(window: MainWindow) -> None:
    action = edit_menu_action(window, "Delete Without Reconnecting")
    assert action.shortcut() == QKeySequence("Ctrl+Shift+Del")
    assert action is window.actions_by_name["delete_plain"]
