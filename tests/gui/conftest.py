"""The main window under test: its own settings file and recovery folder, shown offscreen, and
closed at the end without a prompt (a modal dialog would hang the run)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from PySide6.QtWidgets import QApplication

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before pytest-qt makes the app

import pytest
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from designer.gui.file_controller import Answer
from designer.gui.main_window import MainWindow
from designer.gui.recovery import RecoveryStore
from tests.gui.helpers import Calls


@pytest.fixture
def errors() -> Calls:
    """Filled by the window's ``show_error`` (each call's title and text)."""
    return Calls()


def make_window(qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> MainWindow:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings, RecoveryStore(tmp_path / "recovery"))
    qtbot.addWidget(window)
    files = window.files
    monkeypatch.setattr(files, "ask_save_changes", lambda: Answer.Discard)
    monkeypatch.setattr(files, "ask_open_path", lambda: None)
    monkeypatch.setattr(files, "ask_save_path", lambda: None)
    monkeypatch.setattr(files, "ask_recover", lambda entry: False)
    files.autosave_timer.stop()  # tests call autosave() themselves
    return window


@pytest.fixture
def window(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, errors: Calls
) -> Iterator[MainWindow]:
    window = make_window(qtbot, tmp_path, monkeypatch)
    monkeypatch.setattr(window.files, "show_error", errors)
    window.show()
    qtbot.waitExposed(window)
    yield window
    assert window.close(), "the window refused to close"
    # Qt's offscreen platform crashes at exit when the clipboard still holds data (xcb and
    # the desktop platforms don't); copy tests leave some
    QApplication.clipboard().clear()
