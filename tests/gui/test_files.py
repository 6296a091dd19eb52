"""Saving and opening through the window's file controller; autosave."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import QSaveFile
from PySide6.QtWidgets import QSpinBox

from designer.graph import dumps_design, load_design
from designer.gui import files as files_module
from designer.gui.file_controller import Answer
from designer.gui.main_window import APP_NAME, MainWindow
from tests.gui.helpers import Calls, block_id, dump, open_design, small_design
from tests.paths import EXAMPLES

SEED = EXAMPLES / "seed_final.json"


def edit_something(window: MainWindow) -> None:
    window.scene.select_blocks([block_id(window, "conv")])
    window.add_after_selection("dropout")
    assert window.isWindowModified()


def test_save_then_open_round_trips(window: MainWindow, tmp_path: Path) -> None:
    open_design(window, small_design())
    edit_something(window)
    first = tmp_path / "first.json"
    assert window.files.save_to(first)
    assert first.read_text() == dump(window)
    assert window.windowTitle() == f"first.json[*] — {APP_NAME}"
    assert window.document.path == first.resolve()
    assert window.document.undo_stack.isClean() and not window.isWindowModified()
    assert window.files.recent()[0] == first.resolve()

    window.files.new()
    assert window.document.design.blocks == {}
    assert window.windowTitle() == f"untitled[*] — {APP_NAME}"
    assert window.files.load(first)
    assert dump(window) == first.read_text()
    second = tmp_path / "second.json"
    assert window.files.save_to(second)
    assert second.read_text() == first.read_text()
    assert window.windowTitle() == f"second.json[*] — {APP_NAME}"
    assert window.document.undo_stack.isClean() and not window.isWindowModified()
    assert window.files.recent()[:2] == [second.resolve(), first.resolve()]


def test_open_example_keeps_file_text(window: MainWindow, tmp_path: Path) -> None:
    assert window.files.load(SEED)
    target = tmp_path / "seed.json"
    assert window.files.save_to(target)
    assert target.read_text() == SEED.read_text()


def test_example_opens_untitled_and_save_asks_where(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert window.files.open_example(SEED)
    assert window.document.path is None
    assert window.windowTitle() == f"untitled (copy of seed_final)[*] — {APP_NAME}"
    asked = Calls(result=tmp_path / "copy.json")
    monkeypatch.setattr(window.files, "ask_save_path", asked)
    assert window.actions_by_name["save"].isEnabled()
    window.actions_by_name["save"].trigger()
    assert len(asked.calls) == 1
    assert (tmp_path / "copy.json").read_text() == SEED.read_text()
    assert window.windowTitle() == f"copy.json[*] — {APP_NAME}"


def test_failed_save_reports_and_changes_nothing(
    window: MainWindow, tmp_path: Path, errors: Calls
) -> None:
    open_design(window, small_design())
    edit_something(window)
    before = dump(window)
    target = tmp_path / "missing" / "design.json"
    assert not window.files.save_to(target)
    assert len(errors.calls) == 1
    title, text = errors.calls[0]
    assert title == "Can't save design" and str(target) in text
    assert not target.parent.exists()
    assert dump(window) == before
    assert window.isWindowModified() and not window.document.undo_stack.isClean()
    assert window.document.path is None
    assert window.windowTitle() == f"untitled[*] — {APP_NAME}"


class HalfWrittenSave(QSaveFile):
    """A save that fails half-way (a full disk, say): only half the bytes get written."""

    def write(self, data: bytes) -> int:  # type: ignore[override]
        return int(super().write(data[: len(data) // 2]))


def test_failed_save_keeps_the_old_file_whole(
    window: MainWindow, tmp_path: Path, errors: Calls, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A save that can't complete leaves the file on disk as it was, and no debris."""
    folder = tmp_path / "designs"
    folder.mkdir()
    target = folder / "design.json"
    assert window.files.load(SEED)
    assert window.files.save_to(target)
    original = target.read_bytes()
    first = next(iter(window.document.design.blocks))
    window.scene.select_blocks([first])
    window.add_after_selection("dropout")
    monkeypatch.setattr(files_module, "QSaveFile", HalfWrittenSave)
    assert not window.files.save_to(target)
    assert target.read_bytes() == original
    assert [p.name for p in folder.iterdir()] == ["design.json"]
    assert len(errors.calls) == 1 and errors.calls[0][0] == "Can't save design"
    assert window.isWindowModified()
    monkeypatch.setattr(files_module, "QSaveFile", QSaveFile)  # the disk has room again
    assert window.files.save_to(target)
    assert target.read_text() == dump(window)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("{", "not valid JSON"),
        ('{"blocks": 3}', "missing field 'edges'"),
        (None, "blocks[1].params.sizes: item 1: expected positive integer, got -1"),
    ],
    ids=["bad-json", "missing-field", "bad-parameter"],
)
def test_bad_file_shows_loader_message_and_keeps_design(
    window: MainWindow, tmp_path: Path, errors: Calls, content: str | None, reason: str
) -> None:
    if content is None:
        document = json.loads(SEED.read_text())
        document["blocks"][1]["params"]["sizes"] = [32, -1]
        content = json.dumps(document)
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    open_design(window, small_design())
    edit_something(window)
    before, title = dump(window), window.windowTitle()
    assert not window.files.open(bad)
    assert len(errors.calls) == 1
    assert errors.calls[0][0] == "Can't open design"
    assert str(bad) in errors.calls[0][1] and reason in errors.calls[0][1]
    assert dump(window) == before
    assert window.windowTitle() == title and window.isWindowModified()
    assert window.document.undo_stack.count() == 1  # the history survives too


def test_missing_file_shows_error(window: MainWindow, tmp_path: Path, errors: Calls) -> None:
    assert not window.files.load(tmp_path / "nowhere.json")
    assert errors.calls and "nowhere.json" in errors.calls[0][1]


def test_unsaved_changes_prompt_can_cancel_open_and_close(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    open_design(window, small_design())
    edit_something(window)
    before = dump(window)
    asked = Calls(result=Answer.Cancel)
    monkeypatch.setattr(window.files, "ask_save_changes", asked)
    assert not window.files.open(SEED)
    window.files.new()
    assert not window.close()
    assert len(asked.calls) == 3
    assert dump(window) == before and window.isVisible()
    # "Save" on an untitled design asks where; declining that keeps the design open too
    monkeypatch.setattr(window.files, "ask_save_changes", lambda: Answer.Save)
    assert not window.files.open(SEED)
    assert dump(window) == before
    monkeypatch.setattr(window.files, "ask_save_changes", lambda: Answer.Discard)


def test_autosave_writes_recovery_file_and_save_removes_it(
    window: MainWindow, tmp_path: Path
) -> None:
    store = window.files.recovery
    assert store is not None
    open_design(window, small_design())
    window.files.autosave()
    assert not store.design_path.exists()  # nothing unsaved yet
    edit_something(window)
    window.files.autosave()
    assert store.design_path.exists() and store.info_path.exists()
    assert dumps_design(load_design(store.design_path)) == dump(window)
    info = json.loads(store.info_path.read_text())
    assert info["source"] is None
    written = store.design_path.stat().st_mtime_ns
    window.files.autosave()  # no new edit: not written again
    assert store.design_path.stat().st_mtime_ns == written
    assert window.files.save_to(tmp_path / "saved.json")
    assert not store.design_path.exists() and not store.info_path.exists()


def test_autosave_removed_when_undone_to_clean(window: MainWindow) -> None:
    store = window.files.recovery
    assert store is not None
    open_design(window, small_design())
    edit_something(window)
    window.files.autosave()
    assert store.design_path.exists()
    window.actions_by_name["undo"].trigger()
    assert not store.design_path.exists()
    window.actions_by_name["redo"].trigger()
    window.files.autosave()  # the same step as before, but the file is gone: write it again
    assert store.design_path.exists()


def test_autosave_follows_merged_spin_box_steps(window: MainWindow) -> None:
    """Steps of one spin box merge into one undo entry; each new value is still autosaved."""
    store = window.files.recovery
    assert store is not None
    open_design(window, small_design())
    conv = block_id(window, "conv")
    window.scene.select_blocks([conv])
    spin = window.inspector.editors["out_channels"].widget
    assert isinstance(spin, QSpinBox)
    spin.stepUp()
    window.files.autosave()
    assert load_design(store.design_path).block(conv).params["out_channels"] == 33
    spin.stepUp()
    assert window.document.undo_stack.count() == 1  # merged with the first step
    window.files.autosave()
    assert load_design(store.design_path).block(conv).params["out_channels"] == 34


def test_autosave_after_undo_and_a_different_edit(window: MainWindow) -> None:
    """An edit that replaces an undone one sits at the same place in the history."""
    store = window.files.recovery
    assert store is not None
    open_design(window, small_design())
    edit_something(window)  # one step that stays
    window.scene.select_blocks([block_id(window, "fc")])
    window.add_after_selection("dropout")
    window.files.autosave()
    window.actions_by_name["undo"].trigger()
    window.scene.select_blocks([block_id(window, "fc")])
    window.add_after_selection("linear")  # replaces the undone step in the history
    window.files.autosave()
    assert store.design_path.read_text() == dump(window)
