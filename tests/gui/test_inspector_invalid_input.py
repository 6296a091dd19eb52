"""Invalid input in the inspector is never silently changed or left looking applied: a number
outside a spin box's range is refused with the reason, a discarded name shows the real one
again, and a block in error shows no parameter count."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSpinBox
from pytestqt.qtbot import QtBot

from designer.gui.main_window import MainWindow
from designer.gui.name_field import NameField
from designer.gui.param_editors import INVALID_SPIN_STYLE, INVALID_STYLE, OptionalIntEditor
from tests.gui.helpers import dump, open_design, small_design
from tests.gui.test_inspector import select, type_into


def spin_of(window: MainWindow, param: str) -> QSpinBox:
    spin = window.inspector.editors[param].widget
    assert isinstance(spin, QSpinBox)
    return spin


def test_numbers_outside_a_spin_box_range_are_refused_as_typed(
    window: MainWindow, qtbot: QtBot
) -> None:
    open_design(window, small_design())
    conv = select(window, "conv")
    before = dump(window)
    cases = [
        ("out_channels", "-5", "expected a positive integer, got -5"),
        ("padding", "-1", "expected an integer from 0 to 4096, got -1"),
        ("kernel_size", "5000", "expected an integer from 1 to 4096, got 5000"),
        ("out_channels", "0", "expected a positive integer, got 0"),
    ]
    for param, text, reason in cases:
        spin = spin_of(window, param)
        type_into(qtbot, spin, text)
        assert dump(window) == before, text
        assert spin.text() == text  # kept as typed, not turned into 5 or the old value
        assert spin.styleSheet() == INVALID_SPIN_STYLE
        assert window.inspector.error.text() == f"Not applied: {param}: {reason}"
    assert window.document.undo_stack.count() == 0
    assert not window.isWindowModified()
    spin = spin_of(window, "out_channels")
    type_into(qtbot, spin, "32")  # the value it already has: the complaint goes
    assert spin.styleSheet() == "" and window.inspector.error.text() == ""
    type_into(qtbot, spin, "64")
    assert window.document.design.block(conv).params["out_channels"] == 64
    assert spin.styleSheet() == "" and window.inspector.error.text() == ""


def test_spin_box_steps_stay_in_range(window: MainWindow, qtbot: QtBot) -> None:
    open_design(window, small_design())
    conv = select(window, "conv")
    spin = spin_of(window, "padding")
    type_into(qtbot, spin, "-3")
    assert spin.styleSheet() == INVALID_SPIN_STYLE
    qtbot.keyClick(spin, Qt.Key.Key_Up)  # from a refused value, a step lands in the range
    assert window.document.design.block(conv).params["padding"] == 0
    assert spin.value() == 0 and spin.styleSheet() == ""
    qtbot.keyClick(spin, Qt.Key.Key_Down)  # no step below the minimum
    assert spin.value() == 0
    kernel = spin_of(window, "kernel_size")
    type_into(qtbot, kernel, "4096")
    qtbot.keyClick(kernel, Qt.Key.Key_Up)  # nor above the maximum
    assert kernel.value() == 4096
    assert window.document.design.block(conv).params["kernel_size"] == 4096


def test_a_pinned_size_out_of_range_is_refused(window: MainWindow, qtbot: QtBot) -> None:
    open_design(window, small_design())
    fc = select(window, "fc")
    editor = window.inspector.editors["in_features"]
    assert isinstance(editor, OptionalIntEditor)
    editor.pin.click()
    before = dump(window)
    type_into(qtbot, editor.spin, "-7")
    assert dump(window) == before
    assert editor.spin.text() == "-7" and editor.spin.styleSheet() == INVALID_SPIN_STYLE
    assert "in_features: expected null (inferred) or a positive integer, got -7" in (
        window.inspector.error.text()
    )
    assert window.document.design.block(fc).params["in_features"] == 25088


def name_field(window: MainWindow) -> NameField:
    field = window.inspector.name_edit
    assert isinstance(field, NameField)
    return field


def test_escape_discards_a_refused_name(window: MainWindow, qtbot: QtBot) -> None:
    open_design(window, small_design())
    select(window, "conv")
    field = name_field(window)
    type_into(qtbot, field, "flat")  # taken by another block
    assert field.styleSheet() == INVALID_STYLE and field.text() == "flat"
    qtbot.keyClick(field, Qt.Key.Key_Escape)
    assert field.text() == "conv" and field.styleSheet() == ""
    qtbot.keyClicks(field, "2")  # Escape also drops a name typed and not yet entered
    qtbot.keyClick(field, Qt.Key.Key_Escape)
    assert field.text() == "conv"


def test_leaving_a_refused_name_shows_the_real_one(window: MainWindow, qtbot: QtBot) -> None:
    open_design(window, small_design())
    conv = select(window, "conv")
    window.activateWindow()
    field = name_field(window)
    for entered in (True, False):
        field.setFocus()
        qtbot.waitUntil(field.hasFocus, timeout=2000)
        field.selectAll()
        qtbot.keyClicks(field, "not a name")
        if entered:
            qtbot.keyClick(field, Qt.Key.Key_Return)
            assert field.styleSheet() == INVALID_STYLE  # kept while it has focus, to correct
        window.view.setFocus()
        qtbot.waitUntil(lambda: not field.hasFocus(), timeout=2000)
        assert field.text() == "conv" and field.styleSheet() == "", entered
        assert "not an identifier" in window.inspector.error.text()  # the reason stays
    assert window.document.design.block(conv).name == "conv"


def test_another_selection_shows_real_names_unmarked(window: MainWindow, qtbot: QtBot) -> None:
    open_design(window, small_design())
    select(window, "conv")
    type_into(qtbot, name_field(window), "flat")
    select(window, "fc")
    select(window, "conv")
    assert name_field(window).text() == "conv" and name_field(window).styleSheet() == ""
    window.inspector.show_selection([], [])
    model_class = window.inspector.class_edit
    assert isinstance(model_class, NameField)
    type_into(qtbot, model_class, "class")  # a keyword
    assert model_class.styleSheet() == INVALID_STYLE
    qtbot.keyClick(model_class, Qt.Key.Key_Escape)
    assert model_class.text() == "Small" and model_class.styleSheet() == ""


def test_a_block_in_error_shows_no_parameter_count(window: MainWindow, qtbot: QtBot) -> None:
    open_design(window, small_design())
    select(window, "fc")
    output = window.inspector.output
    assert output.text() == "1x10   (250,890 parameters)"
    editor = window.inspector.editors["in_features"]
    assert isinstance(editor, OptionalIntEditor)
    editor.pin.click()
    type_into(qtbot, editor.spin, "100")
    qtbot.waitUntil(lambda: window.shape_status.text() == "1 error", timeout=2000)
    assert output.text() == "— shape error, see below"
    assert "Linear 'fc' expects 100 input features" in window.inspector.problems.text()
    window.inspector.show_selection([], [])  # the model's count would be a partial sum
    assert window.inspector.output.text() == "— 1 shape error, see below"
    select(window, "fc")
    editor = window.inspector.editors["in_features"]
    assert isinstance(editor, OptionalIntEditor)
    editor.pin.click()  # inferred again: the error is fixed
    qtbot.waitUntil(lambda: window.shape_status.text() == "shapes OK", timeout=2000)
    assert window.inspector.output.text() == "1x10   (250,890 parameters)"
    window.scene.clearSelection()
    assert window.inspector.output.text() == f"{window.document.report.total_parameters:,}"
