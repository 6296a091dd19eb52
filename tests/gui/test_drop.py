"""Dropping palette entries on the canvas, and adding blocks from the block palette."""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt
from pytestqt.qtbot import QtBot

from designer.graph import CATALOGUE, Design
from designer.gui.canvas import mime, style
from designer.gui.main_window import MainWindow
from tests.gui.helpers import block_id, drop, dump, edge_between, open_design, small_design


def added(window: MainWindow, before: set[str]) -> str:
    (new,) = set(window.document.design.blocks) - before
    return new


def centre_of(window: MainWindow, name: str) -> QPointF:
    return window.scene.blocks[block_id(window, name)].sceneBoundingRect().center()


def test_drop_on_empty_canvas_adds_block_at_drop_point(window: MainWindow) -> None:
    point = QPointF(100, 80)
    assert drop(window, mime.BLOCK_KIND, "conv_block", point)
    design = window.document.design
    assert len(design.blocks) == 1
    block = next(iter(design.blocks.values()))
    assert block.kind == "conv_block"
    centre = QPointF(
        block.position[0] + style.BLOCK_WIDTH / 2, block.position[1] + style.BLOCK_HEIGHT / 2
    )
    assert (centre - point).manhattanLength() <= 2  # a pixel of rounding each way
    assert window.scene.selected_block_ids() == [block.id]
    assert list(design.edges()) == []
    assert window.isWindowModified()


def test_drop_on_edge_splices_block_into_it(window: MainWindow) -> None:
    open_design(window, small_design())
    conv, flat = block_id(window, "conv"), block_id(window, "flat")
    edge = edge_between(window, conv, flat)
    before = set(window.document.design.blocks)
    assert drop(window, mime.BLOCK_KIND, "dropout", window.scene.edges[edge].label_centre())
    new = added(window, before)
    assert window.document.design.block(new).kind == "dropout"
    assert edge_between(window, conv, flat) is None
    assert edge_between(window, conv, new) is not None
    assert edge_between(window, new, flat) is not None
    assert window.document.undo_stack.count() == 1  # one undo step for the whole splice


def test_drop_right_of_output_feeds_new_block_from_it(window: MainWindow) -> None:
    design = Design()
    x = design.add_block("input", name="x", position=(0, 0)).id
    conv = design.add_block("conv_block", name="conv", position=(300, 0)).id
    design.connect(x, conv)
    open_design(window, design)
    port = window.scene.blocks[conv].output
    assert port is not None
    before = set(window.document.design.blocks)
    assert drop(window, mime.BLOCK_KIND, "max_pool2d", port.scenePos() + QPointF(60, 20))
    new = added(window, before)
    assert edge_between(window, conv, new) is not None


def test_drop_far_from_any_output_leaves_block_unconnected(window: MainWindow) -> None:
    open_design(window, small_design())
    before = set(window.document.design.blocks)
    assert drop(window, mime.BLOCK_KIND, "max_pool2d", QPointF(600, 400))
    new = added(window, before)
    assert window.document.design.inbound(new) == {}


def test_drop_activation_on_conv_block_sets_it(window: MainWindow) -> None:
    open_design(window, small_design())
    conv = block_id(window, "conv")
    assert drop(window, mime.ACTIVATION, "gelu", centre_of(window, "conv"))
    assert window.document.design.block(conv).params["activation"] == "gelu"
    window.actions_by_name["undo"].trigger()
    assert window.document.design.block(conv).params["activation"] == "relu"


def test_drop_activation_on_block_without_one_is_refused(window: MainWindow) -> None:
    open_design(window, small_design())
    before = dump(window)
    drop(window, mime.ACTIVATION, "gelu", centre_of(window, "flat"))
    assert dump(window) == before
    assert window.document.undo_stack.count() == 0
    assert "'flat' (Flatten) has no activation" in window.statusBar().currentMessage()


def test_drop_unknown_kind_is_refused(window: MainWindow) -> None:
    before = dump(window)
    drop(window, mime.BLOCK_KIND, "warp_drive", QPointF(0, 0))
    assert dump(window) == before
    assert "warp_drive" in window.statusBar().currentMessage()


def test_drag_without_designer_payload_is_not_accepted(window: MainWindow) -> None:
    assert not drop(window, "text/plain", "conv_block", QPointF(0, 0))
    assert window.document.design.blocks == {}


def test_palette_double_click_adds_after_selected_block(window: MainWindow, qtbot: QtBot) -> None:
    open_design(window, small_design())
    conv = block_id(window, "conv")
    window.scene.select_blocks([conv])
    tree = window.block_palette.tree
    item = window.block_palette.items["max_pool2d"]
    tree.scrollToItem(item)
    rect = tree.visualItemRect(item)
    before = set(window.document.design.blocks)
    qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert set(window.document.design.blocks) == before  # a single click only selects
    qtbot.mouseDClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    new = added(window, before)
    block = window.document.design.block(new)
    assert block.kind == "max_pool2d"
    assert edge_between(window, conv, new) is not None
    # the next column (conv right + 96) in a free row: flat takes conv's row there
    assert block.position == (300 + 184.0 + 96.0, 120.0)
    assert window.scene.selected_block_ids() == [new]


def test_palette_enter_without_selection_adds_right_of_everything(
    window: MainWindow, qtbot: QtBot
) -> None:
    open_design(window, small_design())
    tree = window.block_palette.tree
    tree.setFocus()
    tree.setCurrentItem(window.block_palette.items["dropout"])
    before = set(window.document.design.blocks)
    qtbot.keyClick(tree, Qt.Key.Key_Return)
    new = added(window, before)
    block = window.document.design.block(new)
    assert block.kind == "dropout"
    assert block.position[0] > 1200  # right of the output block
    assert window.document.design.inbound(new) == {}


def test_palette_search_filters_entries(window: MainWindow, qtbot: QtBot) -> None:
    palette = window.block_palette
    qtbot.keyClicks(palette.search, "pool")
    shown = {kind for kind, item in palette.items.items() if not item.isHidden()}
    matching = {
        name
        for name, kind in CATALOGUE.items()
        if "pool" in f"{kind.name} {kind.label} {kind.category} {kind.help}".lower()
    }
    assert shown == matching
    assert {"max_pool2d", "avg_pool2d", "adaptive_avg_pool2d", "max_pool1d"} <= shown
    headings = [palette.tree.topLevelItem(i) for i in range(palette.tree.topLevelItemCount())]
    assert {h.text(0) for h in headings if h is not None and not h.isHidden()} == {
        CATALOGUE[name].category for name in matching
    }
    palette.search.clear()
    assert all(not item.isHidden() for item in palette.items.values())
    qtbot.keyClicks(palette.search, "conv block")  # every word must match
    shown = {kind for kind, item in palette.items.items() if not item.isHidden()}
    assert "conv_block" in shown and "linear" not in shown
