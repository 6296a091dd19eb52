"""New blocks land in free space next to what they connect to, and the view follows them."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QPointF, QRectF, Qt
from pytestqt.qtbot import QtBot

from designer.graph import Design
from designer.gui.canvas import mime, style
from designer.gui.main_window import MainWindow
from tests.gui.helpers import block_id, drop, dump, edge_between, open_design, small_design

SCREENSHOTS = os.environ.get("TD_PLACEMENT_SCREENSHOTS")
"""A folder to save screenshots in, to look at them; none saved when unset."""


def block_rect(window: MainWindow, key: str) -> QRectF:
    x, y = window.document.design.block(key).position
    return QRectF(x, y, style.BLOCK_WIDTH, style.BLOCK_HEIGHT)


def overlapping(window: MainWindow) -> list[tuple[str, str]]:
    keys = sorted(window.document.design.blocks)
    return [
        (a, b)
        for n, a in enumerate(keys)
        for b in keys[n + 1 :]
        if block_rect(window, a).intersects(block_rect(window, b))
    ]


def in_view(window: MainWindow, key: str) -> bool:
    seen = window.view.mapToScene(window.view.viewport().rect()).boundingRect()
    return seen.contains(window.scene.blocks[key].sceneBoundingRect())


def added(window: MainWindow, before: set[str]) -> list[str]:
    return sorted(set(window.document.design.blocks) - before)


def positions(window: MainWindow) -> dict[str, tuple[float, float]]:
    return {key: block.position for key, block in window.document.design.blocks.items()}


def save_screenshot(window: MainWindow, name: str) -> None:
    if SCREENSHOTS:
        window.grab().save(str(Path(SCREENSHOTS) / f"place_{name}.png"))


def test_a_block_dropped_right_of_an_output_goes_beside_its_source(window: MainWindow) -> None:
    design = Design()
    x = design.add_block("input", name="x", position=(0, 0)).id
    conv = design.add_block("conv_block", name="conv", position=(300, 0)).id
    design.connect(x, conv)
    open_design(window, design)
    port = window.scene.blocks[conv].output
    assert port is not None
    before = set(window.document.design.blocks)
    assert drop(window, mime.BLOCK_KIND, "max_pool2d", port.scenePos() + QPointF(20, 10))
    (new,) = added(window, before)
    assert edge_between(window, conv, new) is not None
    assert not block_rect(window, new).intersects(block_rect(window, conv))
    assert block_rect(window, new).left() > block_rect(window, conv).right()  # edge points right
    assert window.document.design.block(new).position[1] == 0.0  # in its source's row


def test_a_block_dropped_on_another_is_nudged_off_it(window: MainWindow) -> None:
    open_design(window, small_design())
    before = set(window.document.design.blocks)
    centre = block_rect(window, block_id(window, "fc")).center() + QPointF(0, 40)
    assert drop(window, mime.BLOCK_KIND, "max_pool2d", centre)
    assert added(window, before) and overlapping(window) == []


def test_a_spliced_dropout_makes_room_in_one_undo_step(window: MainWindow) -> None:
    open_design(window, small_design())
    conv, flat = block_id(window, "conv"), block_id(window, "flat")
    edge = edge_between(window, conv, flat)
    before, text = positions(window), dump(window)
    assert drop(window, mime.BLOCK_KIND, "dropout", window.scene.edges[edge].label_centre())
    (new,) = added(window, set(before))
    assert edge_between(window, conv, new) and edge_between(window, new, flat)
    assert overlapping(window) == []
    chain = (
        [block_id(window, n) for n in ("x", "conv")]
        + [new]
        + [block_id(window, n) for n in ("flat", "fc", "out")]
    )
    lefts = [block_rect(window, key).left() for key in chain]
    assert lefts == sorted(lefts) and len(set(lefts)) == len(lefts)  # still left to right
    assert all(  # the items follow their blocks
        window.scene.blocks[key].pos() == QPointF(*window.document.design.block(key).position)
        for key in chain
    )
    window.view.fit()
    save_screenshot(window, "splice")
    assert window.document.undo_stack.count() == 1
    window.actions_by_name["undo"].trigger()
    assert positions(window) == before and dump(window) == text
    window.actions_by_name["redo"].trigger()
    assert overlapping(window) == []


def test_adding_after_a_block_with_a_downstream_takes_a_free_row(window: MainWindow) -> None:
    open_design(window, small_design())
    conv = block_id(window, "conv")
    window.scene.select_blocks([conv])
    before = set(window.document.design.blocks)
    window.add_after_selection("max_pool2d")
    (new,) = added(window, before)
    assert edge_between(window, conv, new) is not None
    assert overlapping(window) == []
    assert window.scene.selected_block_ids() == [new]
    assert in_view(window, new)


def test_a_double_clicked_palette_entry_is_brought_into_view(
    window: MainWindow, qtbot: QtBot
) -> None:
    open_design(window, small_design())
    view = window.view
    view.scale(1.5, 1.5)
    view.centerOn(block_rect(window, block_id(window, "x")).center())
    zoom = view.transform().m11()
    tree = window.block_palette.tree
    item = window.block_palette.items["dropout"]
    tree.scrollToItem(item)
    before = set(window.document.design.blocks)
    where = tree.visualItemRect(item).center()
    qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=where)
    qtbot.mouseDClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=where)
    (new,) = added(window, before)
    assert block_rect(window, new).left() > block_rect(window, block_id(window, "out")).right()
    assert overlapping(window) == []
    assert in_view(window, new)
    assert view.transform().m11() == zoom  # the view scrolled; the zoom stayed


def test_a_paste_lands_clear_of_every_block_and_in_view(window: MainWindow) -> None:
    open_design(window, small_design())
    conv, flat = block_id(window, "conv"), block_id(window, "flat")
    window.scene.select_blocks([conv, flat])
    assert window.copy()
    for _ in range(3):  # each paste finds fresh room
        before = set(window.document.design.blocks)
        window.paste()
        pasted = added(window, before)
        assert len(pasted) == 2 and overlapping(window) == []
        assert all(in_view(window, key) for key in pasted)
        assert sorted(window.scene.selected_block_ids()) == pasted
    assert window.document.undo_stack.count() == 3
