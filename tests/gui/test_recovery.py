"""Crash recovery: a session that died leaves its autosave, and the next start offers it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox

from designer.graph import dumps_design, load_design
from designer.gui.file_controller import Answer, FileController
from designer.gui.main_window import APP_NAME, MainWindow
from designer.gui.recovery import RecoveryStore
from tests.gui.helpers import Calls, dump
from tests.paths import EXAMPLES, ROOT

SEED = EXAMPLES / "seed_final.json"

CRASHING_SESSION = """
import os, sys
from pathlib import Path
from designer.graph import load_design
from designer.gui.recovery import RecoveryStore

store = RecoveryStore(Path(sys.argv[1]))
design = load_design(sys.argv[2])
design.rename_block("b1", "edited_input")
store.save(design, Path(sys.argv[3]) if sys.argv[3] else None)
os._exit(1)  # dies without closing the store: the lock and the autosave stay behind
"""


def crash(recovery: Path, source: Path | None = None) -> str:
    """Run a session that autosaves an edited seed and dies; returns the design it saved."""
    args = [str(recovery), str(SEED), str(source or "")]
    done = subprocess.run(
        [sys.executable, "-c", CRASHING_SESSION, *args], cwd=ROOT, timeout=60, check=False
    )
    assert done.returncode == 1
    design = load_design(SEED)
    design.rename_block("b1", "edited_input")
    return dumps_design(design)


@pytest.fixture
def crashed(tmp_path: Path) -> str:
    """Set up before the window: what a crashed earlier session left in the recovery folder."""
    return crash(tmp_path / "recovery")


def session_files(recovery: Path) -> list[str]:
    return sorted(path.name for path in recovery.iterdir())


def test_crashed_session_is_recovered(
    crashed: str, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    recovery = tmp_path / "recovery"
    assert len([n for n in session_files(recovery) if n.endswith(".json")]) == 1
    asked = Calls(result=True)
    monkeypatch.setattr(window.files, "ask_recover", asked)
    assert window.files.offer_recovery()
    assert len(asked.calls) == 1
    (entry,) = asked.calls[0]
    assert entry.source is None
    assert dump(window) == crashed
    assert window.isWindowModified() and not window.document.undo_stack.isClean()
    assert window.windowTitle() == f"recovered[*] — {APP_NAME}"
    assert window.document.path is None
    # the orphan is gone, but the design is safe again in this session's own autosave
    store = window.files.recovery
    assert store is not None
    assert session_files(recovery) == sorted(
        [store.design_path.name, store.info_path.name, f"{store.design_path.stem}.lock"]
    )
    assert store.design_path.read_text() == crashed
    assert not window.files.offer_recovery()  # nothing else to offer
    assert len(asked.calls) == 1


def test_recovered_design_keeps_its_source_file(
    window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "mine.json"
    source.write_text(SEED.read_text())
    expected = crash(tmp_path / "recovery", source)
    monkeypatch.setattr(window.files, "ask_recover", lambda entry: True)
    assert window.files.offer_recovery()
    assert dump(window) == expected
    assert window.document.path == source
    assert window.windowTitle() == f"mine.json[*] — {APP_NAME}"
    assert window.isWindowModified()
    assert source.read_text() == SEED.read_text()  # not overwritten until the user saves
    assert window.files.save_to(source)
    assert source.read_text() == expected


def test_declined_recovery_is_set_aside_not_lost(
    crashed: str, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    recovery = tmp_path / "recovery"
    monkeypatch.setattr(window.files, "ask_recover", Calls(result=False))
    before = dump(window)
    assert not window.files.offer_recovery()
    assert dump(window) == before and not window.isWindowModified()
    declined = [n for n in session_files(recovery) if n.startswith("declined-")]
    assert len(declined) == 1 and declined[0].endswith(".json")
    assert (recovery / declined[0]).read_text() == crashed
    assert "declined" in window.statusBar().currentMessage()
    assert declined[0] in window.statusBar().currentMessage()
    store = window.files.recovery
    assert store is not None
    assert [n for n in session_files(recovery) if n.startswith("session-")] == [
        f"{store.design_path.stem}.lock"
    ]
    asked = Calls(result=True)
    monkeypatch.setattr(window.files, "ask_recover", asked)
    assert not window.files.offer_recovery()  # set aside for good: not offered again
    assert asked.calls == []


def test_unreadable_autosave_is_reported_and_set_aside(
    window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, errors: Calls
) -> None:
    recovery = tmp_path / "recovery"
    (recovery / "session-1-2.json").write_text("{ truncated")
    monkeypatch.setattr(window.files, "ask_recover", lambda entry: True)
    before = dump(window)
    assert not window.files.offer_recovery()
    assert len(errors.calls) == 1 and errors.calls[0][0] == "Can't recover"
    assert "not valid JSON" in errors.calls[0][1]
    assert dump(window) == before
    assert (recovery / "declined-session-1-2.json").read_text() == "{ truncated"


def test_running_session_is_not_offered(
    window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = RecoveryStore(tmp_path / "recovery")  # another app, still running
    try:
        other.save(load_design(SEED), None)
        asked = Calls(result=True)
        monkeypatch.setattr(window.files, "ask_recover", asked)
        assert not window.files.offer_recovery()
        assert asked.calls == []
        assert other.design_path.exists()
    finally:
        other.close()
    assert not other.design_path.exists()


def test_open_initial_prefers_recovery(
    crashed: str, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(window.files, "ask_recover", lambda entry: True)
    window.open_initial(EXAMPLES / "lenet5.json", SEED)
    assert dump(window) == crashed


def test_open_initial_falls_back_to_example(window: MainWindow) -> None:
    window.open_initial(None, SEED)
    assert dump(window) == SEED.read_text()
    assert window.document.path is None and not window.isWindowModified()
    assert window.windowTitle() == f"untitled (copy of seed_final)[*] — {APP_NAME}"


def real_prompt_answering_no(window: MainWindow, monkeypatch: pytest.MonkeyPatch) -> Calls:
    """The window's own recovery prompt, its message box answered No; returns its calls."""
    asked = Calls(result=Answer.No)
    monkeypatch.setattr(QMessageBox, "question", asked)
    files = window.files
    monkeypatch.setattr(files, "ask_recover", FileController.ask_recover.__get__(files))
    return asked


def test_recovery_prompt_names_the_file_model_and_time(
    window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "mine.json"
    source.write_text(SEED.read_text())
    crash(tmp_path / "recovery", source)
    (info,) = (tmp_path / "recovery").glob("session-*.info")
    saved_at = json.loads(info.read_text())["saved_at"]
    asked = real_prompt_answering_no(window, monkeypatch)
    assert not window.files.offer_recovery()
    (call,) = asked.calls
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(saved_at))
    assert call[2] == (  # (parent, title, text, buttons, default)
        "Torch Designer closed unexpectedly with unsaved changes to “mine.json”.\n\n"
        "Model: MyCustomCNN, 6 blocks\n"
        f"File: {source}\n"
        f"Autosaved: {when}\n\n"
        "Restore it? (No keeps the autosave file aside.)"
    )


def test_recovery_prompt_for_a_never_saved_design(
    window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    recovery = tmp_path / "recovery"
    crash(recovery)
    (autosave,) = recovery.glob("session-*.json")
    autosave.with_suffix(".info").write_text('{"source": null}')  # an older app's info: no time
    two_days_ago = time.time() - 2 * 86_400
    os.utime(autosave, (two_days_ago, two_days_ago))  # then the file's own time is shown
    asked = real_prompt_answering_no(window, monkeypatch)
    assert not window.files.offer_recovery()
    (call,) = asked.calls
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(two_days_ago))
    assert call[2].startswith(
        "Torch Designer closed unexpectedly with unsaved changes to a design never saved to "
        f"a file.\n\nModel: MyCustomCNN, 6 blocks\nAutosaved: {when}\n\n"
    )


def test_recovery_prompt_sits_over_the_design_that_would_open(
    crashed: str, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not over an empty design in error: the fallback is open behind the prompt, and stays
    open, clean, when the prompt is declined."""
    behind: list[tuple[str, str, str]] = []

    def look_behind_the_prompt(_entry: object) -> bool:
        behind.append((dump(window), window.shape_status.text(), window.windowTitle()))
        return False

    monkeypatch.setattr(window.files, "ask_recover", look_behind_the_prompt)
    window.open_initial(None, SEED)
    assert behind == [
        (SEED.read_text(), "shapes OK", f"untitled (copy of seed_final)[*] — {APP_NAME}")
    ]
    assert dump(window) == SEED.read_text() and not window.isWindowModified()


def test_recovery_accepted_over_the_named_file_says_so(
    crashed: str, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    lenet = EXAMPLES / "lenet5.json"
    seen: list[str] = []

    def accept_after_a_look(_entry: object) -> bool:
        seen.append(dump(window))
        return True

    monkeypatch.setattr(window.files, "ask_recover", accept_after_a_look)
    window.open_initial(lenet, SEED)
    assert seen == [lenet.read_text()]
    assert dump(window) == crashed and window.isWindowModified()
    assert window.statusBar().currentMessage() == (
        "Showing the recovered design instead of lenet5.json (File > Open Recent)"
    )
    assert window.files.recent()[0] == lenet.resolve()
