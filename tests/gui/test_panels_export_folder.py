"""File > Export starts beside the open design, named after it; an untitled design's export
starts in the last export folder (kept across restarts), else the home folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from designer.gui.main_window import MainWindow
from tests.gui.conftest import make_window
from tests.gui.helpers import Calls, open_design, small_design
from tests.paths import EXAMPLES


def record_exports(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch, chosen: Path | None
) -> Calls:
    """The chooser answers ``chosen``; the export itself is only recorded (no worker)."""
    asked = Calls(chosen)
    monkeypatch.setattr(window.model_docks, "ask_path", asked)
    monkeypatch.setattr(window.model_docks, "export_to", Calls(True))
    return asked


def suggested(asked: Calls) -> Path:
    return Path(asked.calls[-1][2])


def test_export_starts_beside_the_design_named_after_it(
    window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "designs"
    folder.mkdir()
    shutil.copy(EXAMPLES / "seed_final.json", folder / "seed_final.json")
    assert window.files.load(folder / "seed_final.json")
    asked = record_exports(window, monkeypatch, None)
    menu = window.model_docks.export_menu
    (python,) = [a for a in menu.actions() if a.text().startswith("Python module (")]
    (onnx,) = [a for a in menu.actions() if "ONNX" in a.text()]
    python.trigger()
    assert suggested(asked) == folder.resolve() / "seed_final.py"
    onnx.trigger()  # the code panel's Export button offers the same menu
    assert suggested(asked) == folder.resolve() / "seed_final.onnx"
    assert window.model_docks.code_panel.export_button.menu() is menu


def test_an_untitled_design_exports_to_the_last_export_folder(
    window: MainWindow, qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    open_design(window, small_design())  # untitled, class "Small"
    exports = tmp_path / "exports"
    exports.mkdir()
    asked = record_exports(window, monkeypatch, exports / "first.py")
    assert window.model_docks.ask_export("py", False)
    assert suggested(asked) == home / "small.py"  # no export yet: the home folder
    assert window.model_docks.ask_export("onnx", False)
    assert suggested(asked) == exports / "small.onnx"
    window.settings.sync()
    # after a restart, the folder is remembered
    second = make_window(qtbot, tmp_path, monkeypatch)
    open_design(second, small_design())
    asked = record_exports(second, monkeypatch, None)
    assert not second.model_docks.ask_export("pt2", False)
    assert suggested(asked) == exports / "small.pt2"
    # a folder since removed: the home folder again, without a word
    exports.rmdir()
    assert not second.model_docks.ask_export("py", False)
    assert suggested(asked) == home / "small.py"
