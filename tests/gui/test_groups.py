"""Collapsing a group: its blocks hide and the edges crossing its border meet the frame."""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt
from pytestqt.qtbot import QtBot

from designer.gui.main_window import MainWindow
from tests.gui.helpers import block_id, edge_between, open_design, small_design, view_point


def grouped(window: MainWindow) -> str:
    design = small_design()
    members = [b.id for b in design.blocks.values() if b.name in ("conv", "flat")]
    group = design.add_group("features", members).id
    open_design(window, design)
    return group


def meets(window: MainWindow, source: str, target: str, point: QPointF) -> bool:
    return window.scene.edges[edge_between(window, source, target)].shape().contains(point)


def test_collapse_hides_members_and_routes_edges_to_frame(window: MainWindow) -> None:
    group = grouped(window)
    scene = window.scene
    x, conv, flat, fc = (block_id(window, n) for n in ("x", "conv", "flat", "fc"))
    conv_in = scene.blocks[conv].inputs["in"].scenePos()
    assert meets(window, x, conv, conv_in)
    expanded = scene.groups[group].frame()

    scene.toggle_collapsed(group)
    box = scene.groups[group]
    assert scene.is_collapsed(group) and box.collapsed and box.isVisible()
    assert not scene.blocks[conv].isVisible() and not scene.blocks[flat].isVisible()
    assert scene.blocks[x].isVisible() and scene.blocks[fc].isVisible()
    assert not scene.edges[edge_between(window, conv, flat)].isVisible()  # inside the box
    assert box.frame().topLeft() == expanded.topLeft()
    assert box.frame().width() < expanded.width()
    assert meets(window, x, conv, box.input_anchor())
    assert not meets(window, x, conv, conv_in)
    assert meets(window, flat, fc, box.output_anchor())
    assert scene.edges[edge_between(window, x, conv)].isVisible()

    scene.toggle_collapsed(group)
    assert not scene.is_collapsed(group) and not box.collapsed
    assert all(item.isVisible() for item in scene.blocks.values())
    assert all(item.isVisible() for item in scene.edges.values())
    assert box.frame() == expanded
    assert meets(window, x, conv, conv_in)
    flat_out = scene.blocks[flat].output
    assert flat_out is not None and meets(window, flat, fc, flat_out.scenePos())


def test_header_triangle_toggles_with_the_mouse(window: MainWindow, qtbot: QtBot) -> None:
    group = grouped(window)
    scene = window.scene
    conv = block_id(window, "conv")

    def click_triangle() -> None:
        corner = scene.groups[group].frame().topLeft() + QPointF(11, 11)
        qtbot.mouseClick(
            window.view.viewport(), Qt.MouseButton.LeftButton, pos=view_point(window, corner)
        )

    click_triangle()
    assert scene.is_collapsed(group) and not scene.blocks[conv].isVisible()
    click_triangle()
    assert not scene.is_collapsed(group) and scene.blocks[conv].isVisible()
    assert window.document.undo_stack.count() == 0  # collapsing is a view, not an edit


def test_select_all_skips_hidden_blocks(window: MainWindow) -> None:
    group = grouped(window)
    window.scene.toggle_collapsed(group)
    window.actions_by_name["select_all"].trigger()
    names = {window.document.design.block(b).name for b in window.scene.selected_block_ids()}
    assert names == {"x", "fc", "out"}
