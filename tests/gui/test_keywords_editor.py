"""The torch.nn layer block in the inspector: its class name and keyword arguments typed as
text, each value read as a literal (never run), refusals kept as typed with the reason."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from designer.graph import DesignError
from designer.graph.params import ParamType
from designer.gui.main_window import MainWindow
from designer.gui.param_editors import INVALID_STYLE, KeywordsEditor, TextEditor, parse_keywords
from tests.gui.helpers import block_id, dump, open_design, small_design
from tests.gui.test_inspector import select, type_into


def open_layer(window: MainWindow) -> str:
    design = small_design()
    design.add_block("torch_layer", name="act", position=(0, 300))
    open_design(window, design)
    return select(window, "act")


def keywords_editor(window: MainWindow) -> KeywordsEditor:
    editor = window.inspector.editors["kwargs"]
    assert isinstance(editor, KeywordsEditor)
    assert editor.spec.type is ParamType.KEYWORDS
    return editor


def test_keywords_typed_as_a_call_apply(window: MainWindow, qtbot: QtBot) -> None:
    layer = open_layer(window)
    editor = keywords_editor(window)
    type_into(qtbot, editor.line, "negative_slope=0.2, inplace=True")
    assert window.document.design.block(layer).params["kwargs"] == (
        ("inplace", True),
        ("negative_slope", 0.2),
    )
    assert editor.line.text() == "inplace=True, negative_slope=0.2"  # sorted, as stored
    assert window.inspector.error.text() == ""
    type_into(qtbot, editor.line, "kernel_size=(2, 3), mode='nearest', scale=None")
    assert window.document.design.block(layer).params["kwargs"] == (
        ("kernel_size", (2, 3)),
        ("mode", "nearest"),
        ("scale", None),
    )
    type_into(qtbot, editor.line, "")
    assert window.document.design.block(layer).params["kwargs"] == ()


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("negative_slope=__import__('os')", "item 0: negative_slope: expected a literal"),
        ("p=x", "item 0: p: expected a literal"),
        ("_weight=1", "item 0: expected a keyword name (an identifier not starting with '_')"),
        ("0.2", "expected name=value pairs separated by commas"),
        ("a=1) or (b", "expected name=value pairs separated by commas"),
        ("**{'a': 1}", "item 0: expected name=value, got **"),
        ("p=[1.5]", "item 0: p: expected a number, true or false, a string, null or a list"),
        ("p={'a': 1}", "item 0: p: expected a number, true or false"),
        ("device='cuda'", "item 0: device is the runtime's to choose"),
        ("p=1e999", "item 0: p: expected a number"),
    ],
)
def test_bad_keywords_are_refused_and_kept(
    window: MainWindow, qtbot: QtBot, text: str, reason: str
) -> None:
    open_layer(window)
    editor = keywords_editor(window)
    before = dump(window)
    type_into(qtbot, editor.line, text)
    assert dump(window) == before
    assert editor.line.text() == text
    assert editor.line.styleSheet() == INVALID_STYLE
    assert window.inspector.error.text().startswith(f"Not applied: kwargs: {reason}")
    assert window.document.undo_stack.count() == 0


def test_the_class_name_is_typed_and_containers_are_refused(
    window: MainWindow, qtbot: QtBot
) -> None:
    layer = open_layer(window)
    editor = window.inspector.editors["class_name"]
    assert isinstance(editor, TextEditor)
    type_into(qtbot, editor.line, "LeakyReLU")
    assert window.document.design.block(block_id(window, "act")).params["class_name"] == (
        "LeakyReLU"
    )
    before = dump(window)
    for text in ("Sequential", "__import__", "nn.ReLU"):
        type_into(qtbot, editor.line, text)
        assert dump(window) == before, text
        assert editor.line.styleSheet() == INVALID_STYLE
        assert window.inspector.error.text().startswith(
            "Not applied: class_name: expected the name of a torch.nn layer class"
        )
    assert window.document.design.block(layer).params["class_name"] == "LeakyReLU"


def test_parse_keywords_reads_literals_only() -> None:
    assert parse_keywords("") == []
    assert parse_keywords("a=-2.0, b=[1, 2], c='x,y'") == [["a", -2.0], ["b", [1, 2]], ["c", "x,y"]]
    for text in ("a=print(1)", "a=1, 2", "a=(" * 300 + ")" * 300, "a=1" + " " * 5000):
        with pytest.raises(DesignError):
            parse_keywords(text)
