"""Crash recovery: a session that died leaves its autosave, and the next start offers it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from designer.graph import dumps_design, load_design
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
    assert window.windowTitle() == f"seed_final[*] — {APP_NAME}"
