"""Editing a block in the inspector: sizes, size lists, refused text, shape errors."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit, QSpinBox
from pytestqt.qtbot import QtBot

from designer.graph import Design
from designer.gui.canvas.edge_item import EdgeItem
from designer.gui.main_window import MainWindow
from designer.gui.param_editors import INVALID_STYLE, OptionalIntEditor, TextEditor
from tests.gui.helpers import block_id, dump, edge_between, open_design, small_design


def type_into(qtbot: QtBot, field: QLineEdit | QSpinBox, text: str) -> None:
    """Replace the field's text as a user would: select all, type, press Enter."""
    line = field if isinstance(field, QLineEdit) else field.lineEdit()
    line.selectAll()
    qtbot.keyClick(field, Qt.Key.Key_Backspace)
    qtbot.keyClicks(field, text)
    qtbot.keyClick(field, Qt.Key.Key_Return)


def outgoing(window: MainWindow, name: str) -> EdgeItem:
    source = block_id(window, name)
    (edge,) = window.document.design.outbound(source)
    return window.scene.edges[edge]


def select(window: MainWindow, name: str) -> str:
    block = block_id(window, name)
    window.scene.select_blocks([block])
    assert window.inspector.block_id == block
    return block


def stack_design() -> Design:
    design = Design()
    design.add_block("input", name="x", position=(0, 0), block_id="x")
    design.add_block("conv_stack", name="convs", position=(300, 0), block_id="s")
    design.add_block("output", name="out", position=(600, 0), block_id="o")
    design.connect("x", "s")
    design.connect("s", "o")
    return design


def test_out_channels_spin_box_updates_edge_label(window: MainWindow, qtbot: QtBot) -> None:
    open_design(window, small_design())
    conv = select(window, "conv")
    edge = outgoing(window, "conv")
    assert edge.label == "1x32x28x28"
    spin = window.inspector.editors["out_channels"].widget
    assert isinstance(spin, QSpinBox) and spin.value() == 32
    type_into(qtbot, spin, "48")
    assert window.document.design.block(conv).params["out_channels"] == 48
    qtbot.waitUntil(lambda: edge.label == "1x48x28x28", timeout=2000)
    assert "1x48x28x28" in window.inspector.output.text()
    assert window.document.undo_stack.undoText() == "Set out_channels of conv"
    window.actions_by_name["undo"].trigger()
    qtbot.waitUntil(lambda: edge.label == "1x32x28x28", timeout=2000)
    assert spin.value() == 32  # the editor follows the undo


def test_size_list_typed_as_text_applies(window: MainWindow, qtbot: QtBot) -> None:
    open_design(window, stack_design())
    select(window, "convs")
    editor = window.inspector.editors["sizes"]
    assert isinstance(editor, TextEditor) and editor.line.text() == "32, 64"
    type_into(qtbot, editor.line, "32, 64, 128")
    assert window.document.design.block("s").params["sizes"] == (32, 64, 128)
    edge = window.scene.edges[edge_between(window, "s", "o")]
    qtbot.waitUntil(lambda: edge.label == "1x128x28x28", timeout=2000)
    assert window.inspector.error.text() == ""
    assert editor.line.styleSheet() == ""


def test_bad_size_lists_are_refused_and_kept(window: MainWindow, qtbot: QtBot) -> None:
    open_design(window, stack_design())
    select(window, "convs")
    before = dump(window)
    editor = window.inspector.editors["sizes"]
    assert isinstance(editor, TextEditor)
    for text, reason in [("32, -1", "item 1"), ("abc", "expected a whole number"), ("", "size")]:
        type_into(qtbot, editor.line, text)
        assert dump(window) == before, text
        assert editor.line.text() == text
        assert editor.line.styleSheet() == INVALID_STYLE
        shown = window.inspector.error.text()
        assert shown.startswith("Not applied: sizes:") and reason in shown, shown
    assert window.document.undo_stack.count() == 0
    assert not window.isWindowModified()
    type_into(qtbot, editor.line, "16")  # a good value clears the complaint
    assert window.document.design.block("s").params["sizes"] == (16,)
    assert window.inspector.error.text() == ""
    assert editor.line.styleSheet() == ""


def test_bad_float_text_is_refused(window: MainWindow, qtbot: QtBot) -> None:
    design = small_design()
    design.add_block("dropout", name="drop", position=(0, 300))
    open_design(window, design)
    select(window, "drop")
    before = dump(window)
    editor = window.inspector.editors["p"]
    assert isinstance(editor, TextEditor)
    type_into(qtbot, editor.line, "abc")
    assert dump(window) == before
    assert "expected a number, got 'abc'" in window.inspector.error.text()
    type_into(qtbot, editor.line, "1.5")
    assert dump(window) == before
    assert window.inspector.error.text().startswith("Not applied: p:")
    type_into(qtbot, editor.line, "0.25")
    assert window.document.design.block(block_id(window, "drop")).params["p"] == 0.25


def test_rename_in_inspector_and_refused_name(window: MainWindow, qtbot: QtBot) -> None:
    open_design(window, small_design())
    conv = select(window, "conv")
    field = window.inspector.name_edit
    assert field is not None
    type_into(qtbot, field, "features")
    assert window.document.design.block(conv).name == "features"
    before = dump(window)
    type_into(qtbot, field, "flat")  # taken by another block
    assert dump(window) == before
    assert field.styleSheet() == INVALID_STYLE
    assert "flat" in window.inspector.error.text()


def test_pinned_in_features_mismatch_is_a_shape_error(window: MainWindow, qtbot: QtBot) -> None:
    open_design(window, small_design())
    assert window.shape_status.text() == "shapes OK"
    fc = select(window, "fc")
    editor = window.inspector.editors["in_features"]
    assert isinstance(editor, OptionalIntEditor)
    assert editor.inferred.text() == "inferred: 25088"
    editor.pin.click()  # pinning takes the inferred size: still fine
    assert window.document.design.block(fc).params["in_features"] == 25088
    type_into(qtbot, editor.spin, "100")
    assert window.document.design.block(fc).params["in_features"] == 100
    message = "Linear 'fc' expects 100 input features"
    qtbot.waitUntil(lambda: window.shape_status.text() == "1 error", timeout=2000)
    item = window.scene.blocks[fc]
    edge = window.scene.edges[edge_between(window, block_id(window, "flat"), fc)]
    assert item.has_error and message in item.toolTip()
    assert edge.has_error and message in edge.toolTip()
    assert message in window.shape_status.toolTip()
    assert message in window.inspector.problems.text()
    editor.pin.click()  # unpinned: inferred again
    assert window.document.design.block(fc).params["in_features"] is None
    qtbot.waitUntil(lambda: window.shape_status.text() == "shapes OK", timeout=2000)
    assert not item.has_error and "⚠" not in item.toolTip()
    assert not edge.has_error and "⚠" not in edge.toolTip()
    assert window.inspector.problems.text() == ""


def test_encoder_change_breaks_pinned_decoder(window: MainWindow, qtbot: QtBot) -> None:
    """A pinned size that no longer fits once an upstream size changes; undo mends it."""
    open_design(window, small_design())
    fc = select(window, "fc")
    pin = window.inspector.editors["in_features"]
    assert isinstance(pin, OptionalIntEditor)
    pin.pin.click()
    select(window, "conv")
    spin = window.inspector.editors["out_channels"].widget
    assert isinstance(spin, QSpinBox)
    type_into(qtbot, spin, "16")
    qtbot.waitUntil(lambda: window.shape_status.text() == "1 error", timeout=2000)
    assert window.scene.blocks[fc].has_error
    assert "expects 32*28*28 = 25088 input features" in window.scene.blocks[fc].toolTip()
    assert "'conv' gives 16x28x28 = 12544" in window.scene.blocks[fc].toolTip()
    window.actions_by_name["undo"].trigger()
    qtbot.waitUntil(lambda: window.shape_status.text() == "shapes OK", timeout=2000)
    assert not window.scene.blocks[fc].has_error
