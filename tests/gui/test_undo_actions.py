"""Undo and redo through the window's actions, and the modified mark in the title."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QCheckBox
from pytestqt.qtbot import QtBot

from designer.gui.main_window import APP_NAME, MainWindow
from tests.gui.helpers import block_id, dump, edge_between, open_design, small_design, view_point


def trigger(window: MainWindow, name: str) -> None:
    action = window.actions_by_name[name]
    assert action.isEnabled(), name
    action.trigger()


def check_undo_redo(window: MainWindow, edit: Callable[[], object], text: str) -> None:
    """``edit`` makes one undo step named ``text``; undo and redo go back and forth exactly."""
    before, was_modified = dump(window), window.isWindowModified()
    edit()
    after = dump(window)
    assert after != before
    stack = window.document.undo_stack
    assert stack.undoText() == text
    assert window.isWindowModified()
    trigger(window, "undo")
    assert dump(window) == before
    assert window.isWindowModified() == was_modified == (not stack.isClean())
    trigger(window, "redo")
    assert dump(window) == after
    assert window.isWindowModified()


def test_title_marks_modification_with_the_undo_stack(window: MainWindow) -> None:
    open_design(window, small_design())
    assert window.windowTitle() == f"untitled[*] — {APP_NAME}"
    assert not window.isWindowModified()
    assert not window.actions_by_name["undo"].isEnabled()
    window.add_after_selection("dropout")
    assert window.isWindowModified()
    trigger(window, "undo")
    assert not window.isWindowModified()
    assert not window.actions_by_name["undo"].isEnabled()
    trigger(window, "redo")
    assert window.isWindowModified()


def test_undo_add(window: MainWindow) -> None:
    open_design(window, small_design())
    conv = block_id(window, "conv")
    window.scene.select_blocks([conv])
    check_undo_redo(window, lambda: window.add_after_selection("dropout"), "Add Dropout")


def test_undo_delete_restores_block_and_edges(window: MainWindow) -> None:
    open_design(window, small_design())
    conv = block_id(window, "conv")
    window.scene.select_blocks([conv])
    edges_before = set(window.scene.edges)
    check_undo_redo(window, lambda: trigger(window, "delete"), "Delete 1 item")
    assert conv not in window.scene.blocks
    trigger(window, "undo")
    assert conv in window.scene.blocks
    assert set(window.scene.edges) == edges_before


def test_delete_selected_edge(window: MainWindow) -> None:
    open_design(window, small_design())
    edge = edge_between(window, block_id(window, "conv"), block_id(window, "flat"))
    window.scene.edges[edge].setSelected(True)
    check_undo_redo(window, lambda: trigger(window, "delete"), "Delete 1 item")
    trigger(window, "undo")
    assert edge in window.scene.edges


def test_undo_mouse_move_restores_position(window: MainWindow, qtbot: QtBot) -> None:
    open_design(window, small_design())
    conv = block_id(window, "conv")
    item = window.scene.blocks[conv]
    start = item.sceneBoundingRect().center()
    viewport = window.view.viewport()
    left = Qt.MouseButton.LeftButton
    qtbot.mousePress(viewport, left, pos=view_point(window, start))
    for step in (QPointF(10, 10), QPointF(50, 60), QPointF(100, 120)):
        qtbot.mouseMove(viewport, pos=view_point(window, start + step))
    qtbot.mouseRelease(viewport, left, pos=view_point(window, start + QPointF(100, 120)))
    moved = window.document.design.block(conv).position
    assert moved == pytest.approx((400.0, 120.0), abs=2)
    assert window.document.undo_stack.count() == 1
    assert window.document.undo_stack.undoText() == "Move conv"
    edge = window.scene.edges[edge_between(window, conv, block_id(window, "flat"))]
    port = item.output
    assert port is not None
    assert edge.boundingRect().contains(port.scenePos())  # the edge followed the block
    trigger(window, "undo")
    assert window.document.design.block(conv).position == (300.0, 0.0)
    assert item.pos() == QPointF(300.0, 0.0)
    assert not window.isWindowModified()
    trigger(window, "redo")
    assert item.pos() == QPointF(*window.document.design.block(conv).position)


def test_click_without_moving_makes_no_undo_step(window: MainWindow, qtbot: QtBot) -> None:
    open_design(window, small_design())
    conv = block_id(window, "conv")
    centre = window.scene.blocks[conv].sceneBoundingRect().center()
    qtbot.mouseClick(
        window.view.viewport(), Qt.MouseButton.LeftButton, pos=view_point(window, centre)
    )
    assert window.scene.selected_block_ids() == [conv]
    assert window.inspector.block_id == conv
    assert window.document.undo_stack.count() == 0


def test_undo_connect(window: MainWindow) -> None:
    design = small_design()
    extra = design.add_block("conv_block", name="extra", position=(300, 300)).id
    open_design(window, design)
    x = block_id(window, "x")
    check_undo_redo(window, lambda: window.scene.connect_ports(x, extra, None), "Connect x → extra")


def test_undo_parameter_and_rename(window: MainWindow) -> None:
    open_design(window, small_design())
    conv = block_id(window, "conv")
    window.scene.select_blocks([conv])
    box = window.inspector.editors["batch_norm"].widget
    assert isinstance(box, QCheckBox)
    was = box.isChecked()
    check_undo_redo(window, box.click, "Set batch_norm of conv")
    assert window.document.design.block(conv).params["batch_norm"] is (not was)
    assert box.isChecked() is (not was)  # the editor followed undo and redo
    name = window.inspector.name_edit
    assert name is not None
    name.setText("features")
    check_undo_redo(window, name.editingFinished.emit, "Rename")
    assert window.document.design.block(conv).name == "features"


def test_undo_group_and_ungroup(window: MainWindow) -> None:
    open_design(window, small_design())
    conv, flat = block_id(window, "conv"), block_id(window, "flat")
    window.scene.select_blocks([conv, flat])
    group_ids: list[str | None] = []
    check_undo_redo(
        window, lambda: group_ids.append(window.group_selection("features")), "Group as features"
    )
    group = group_ids[0]
    assert group is not None and group in window.scene.groups
    assert window.document.design.block(conv).group == group
    window.scene.clearSelection()
    window.scene.groups[group].setSelected(True)
    assert window.inspector.group_id == group
    check_undo_redo(window, lambda: trigger(window, "ungroup"), "Ungroup")
    assert group not in window.scene.groups
    trigger(window, "undo")
    assert group in window.scene.groups


def test_group_refusals_go_to_status_bar(window: MainWindow) -> None:
    open_design(window, small_design())
    assert window.group_selection("g") is None
    assert "select the blocks" in window.statusBar().currentMessage()
    window.scene.select_blocks([block_id(window, "conv")])
    before = dump(window)
    assert window.group_selection("not a name") is None
    assert dump(window) == before
    message = window.statusBar().currentMessage()
    assert "refused" in message and "not an identifier" in message, message


def test_copy_paste_two_connected_blocks(window: MainWindow) -> None:
    open_design(window, small_design())
    conv, flat = block_id(window, "conv"), block_id(window, "flat")
    window.scene.select_blocks([conv, flat])
    assert window.copy()
    before = set(window.document.design.blocks)
    window.paste()
    design = window.document.design
    new = sorted(set(design.blocks) - before)
    assert len(new) == 2
    assert sorted(window.scene.selected_block_ids()) == new
    names = {design.block(b).name for b in new}
    assert names.isdisjoint({"x", "conv", "flat", "fc", "out"})
    by_kind = {design.block(b).kind: b for b in new}
    assert edge_between(window, by_kind["conv_block"], by_kind["flatten"]) is not None
    assert design.inbound(by_kind["conv_block"]) == {}  # no edge from outside the copy
    # offset by (40, 40) would cover the copy: the nearest free spot is the row below
    assert design.block(by_kind["conv_block"]).position == (340.0, 120.0)
    trigger(window, "undo")
    assert set(design.blocks) == before
    window.paste()  # pasting again works and picks fresh names again
    assert len(design.blocks) == len(before) + 2


def test_paste_of_plain_text_is_refused(window: MainWindow) -> None:
    from PySide6.QtGui import QGuiApplication

    open_design(window, small_design())
    QGuiApplication.clipboard().setText("not a fragment")
    before = dump(window)
    window.paste()
    assert dump(window) == before
    assert window.statusBar().currentMessage().startswith("Paste: ")


def test_cut_removes_and_paste_brings_back(window: MainWindow) -> None:
    open_design(window, small_design())
    conv = block_id(window, "conv")
    window.scene.select_blocks([conv])
    trigger(window, "cut")
    assert conv not in window.document.design.blocks
    window.paste()
    kinds = sorted(b.kind for b in window.document.design.blocks.values())
    assert kinds.count("conv_block") == 1
