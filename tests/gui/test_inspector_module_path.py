"""The inspector says where a block of a class-less chain group lands: the group numbers it."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from designer.graph import load_design
from designer.graph.edits import SetGroupClass
from designer.gui.main_window import MainWindow
from tests.gui.helpers import block_id, open_design
from tests.paths import EXAMPLES


def test_a_block_in_a_sequential_group_is_said_to_be_numbered(
    window: MainWindow, qtbot: QtBot
) -> None:
    open_design(window, load_design(EXAMPLES / "seed_sequential.json"))
    fc1 = block_id(window, "fc1")
    window.scene.select_blocks([fc1])
    note = window.inspector.path_note
    qtbot.waitUntil(lambda: "decoder.0" in note.text(), timeout=2000)
    assert "numbers its children" in note.text()
    assert "Give the group a class" in note.text()
    group = window.document.design.block(fc1).group
    assert group is not None
    window.document.edit("Set class", [SetGroupClass(group, "Decoder")])
    qtbot.waitUntil(lambda: note.text() == "", timeout=2000)
    window.scene.select_blocks([block_id(window, "conv_block1")])  # at the top: no note
    assert window.inspector.path_note.text() == ""
