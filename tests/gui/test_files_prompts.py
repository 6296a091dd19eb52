"""What the unsaved-changes prompt asks, when, and how often: on Open, and for the copy of an
example. The prompt is the real ``ask_save_changes`` with ``QMessageBox.question`` answered
here, so the tests read the text the user would see."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox

from designer.gui.file_controller import Answer, FileController
from designer.gui.main_window import APP_NAME, MainWindow
from tests.gui.helpers import Calls, dump, open_design, small_design
from tests.paths import EXAMPLES

SEED = EXAMPLES / "seed_final.json"


class Questions(Calls):
    """Stands in for ``QMessageBox.question``: answers ``result``, keeps each question's text."""

    @property
    def texts(self) -> list[str]:
        return [str(call[2]) for call in self.calls]  # (parent, title, text, buttons, default)


@pytest.fixture
def questions(window: MainWindow, monkeypatch: pytest.MonkeyPatch) -> Questions:
    """The window's real unsaved-changes prompt, answered by a ``Questions`` (Discard unless
    a test says otherwise; whatever it says last also answers the closing at teardown)."""
    asked = Questions(result=Answer.Discard)
    monkeypatch.setattr(QMessageBox, "question", asked)
    files = window.files
    monkeypatch.setattr(files, "ask_save_changes", FileController.ask_save_changes.__get__(files))
    return asked


def edit_something(window: MainWindow) -> None:
    first = next(iter(window.document.design.blocks))
    window.scene.select_blocks([first])
    window.add_after_selection("dropout")
    assert window.isWindowModified()


# --- Open: at most one question, and only once a file is chosen ----------------------------


def test_open_chooses_the_file_first_then_asks_once(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch, questions: Questions
) -> None:
    open_design(window, small_design())
    edit_something(window)
    asked_before_choosing: list[int] = []

    def choose_the_seed() -> Path:
        asked_before_choosing.append(len(questions.texts))
        return SEED

    monkeypatch.setattr(window.files, "ask_open_path", choose_the_seed)
    window.actions_by_name["open"].trigger()
    assert asked_before_choosing == [0]
    assert questions.texts == ["Save the changes to untitled before closing it?"]
    assert dump(window) == SEED.read_text()
    assert window.windowTitle() == f"seed_final.json[*] — {APP_NAME}"


def test_cancelled_chooser_asks_nothing_and_keeps_the_changes(
    window: MainWindow, questions: Questions
) -> None:
    open_design(window, small_design())
    edit_something(window)
    before = dump(window)
    for _ in range(2):
        window.actions_by_name["open"].trigger()  # the fixture's chooser is cancelled
    assert questions.texts == []
    assert dump(window) == before
    assert window.isWindowModified() and not window.document.undo_stack.isClean()
    assert window.document.undo_stack.count() == 1
    assert window.windowTitle() == f"untitled[*] — {APP_NAME}"


def test_unreadable_choice_asks_nothing(
    window: MainWindow, tmp_path: Path, questions: Questions, errors: Calls
) -> None:
    open_design(window, small_design())
    edit_something(window)
    before = dump(window)
    assert not window.files.open(tmp_path / "gone.json")  # Open Recent of a deleted file
    assert questions.texts == []
    assert len(errors.calls) == 1 and "gone.json" in errors.calls[0][1]
    assert dump(window) == before and window.isWindowModified()


def test_cancel_in_the_question_keeps_the_design(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch, questions: Questions
) -> None:
    open_design(window, small_design())
    edit_something(window)
    before = dump(window)
    monkeypatch.setattr(window.files, "ask_open_path", lambda: SEED)
    questions.result = Answer.Cancel
    window.actions_by_name["open"].trigger()
    assert len(questions.texts) == 1
    assert dump(window) == before and window.isWindowModified()
    questions.result = Answer.Discard


# --- the copy of an example ----------------------------------------------------------------


def test_example_copy_says_it_is_a_copy_and_saves_elsewhere(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, questions: Questions
) -> None:
    example = SEED.read_text()
    assert window.files.open_example(SEED)
    assert window.windowTitle() == f"untitled (copy of seed_final)[*] — {APP_NAME}"
    assert window.statusBar().currentMessage() == "Opened a copy of seed_final.json"
    edit_something(window)
    questions.result = Answer.Cancel
    assert not window.close()
    (text,) = questions.texts
    assert text.startswith("Save your copy of seed_final?")
    assert "The example itself is never changed" in text
    # Save on the copy goes to Save As, which starts beside the launch folder, not on the example
    chosen = Calls(result=tmp_path / "mine.json")
    monkeypatch.setattr(window.files, "ask_save_path", chosen)
    questions.result = Answer.Save
    assert window.files.maybe_save()
    assert len(chosen.calls) == 1
    assert (tmp_path / "mine.json").read_text() == dump(window)
    assert SEED.read_text() == example
    assert window.windowTitle() == f"mine.json[*] — {APP_NAME}"
    assert not window.isWindowModified()
    questions.result = Answer.Discard


def test_save_as_refuses_to_overwrite_the_example(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch, errors: Calls
) -> None:
    example = SEED.read_text()
    assert window.files.open_example(SEED)
    edit_something(window)
    monkeypatch.setattr(window.files, "ask_save_path", lambda: SEED)
    window.actions_by_name["save"].trigger()
    assert SEED.read_text() == example
    assert len(errors.calls) == 1 and "seed_final.json is the example" in errors.calls[0][1]
    assert window.document.path is None and window.isWindowModified()


def test_save_as_suggests_a_copy_name_away_from_the_examples(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert window.files.open_example(SEED)
    monkeypatch.chdir(tmp_path)
    assert window.files.suggested_save_path() == tmp_path / "seed_final-copy.json"
    monkeypatch.chdir(EXAMPLES)  # launched from the examples folder itself
    assert window.files.suggested_save_path() == Path.home() / "seed_final-copy.json"
    window.files.new()
    assert window.files.suggested_save_path() == EXAMPLES / "untitled.json"
    assert window.windowTitle() == f"untitled[*] — {APP_NAME}"
