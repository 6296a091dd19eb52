"""Opening what can't be read in the app: the same one line the command line gives, at once."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from designer.gui.main_window import MainWindow
from tests.gui.helpers import Calls


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_refused_without_waiting(
    window: MainWindow, tmp_path: Path, errors: Calls
) -> None:
    fifo = tmp_path / "design.json"
    os.mkfifo(fifo)
    assert not window.files.load(fifo)  # no writer ever comes: a blocking read would hang
    assert errors.calls[0] == (
        "Can't open design",
        f"cannot read {fifo}: it is a named pipe (FIFO), not a regular file",
    )


def test_a_symlink_loop_is_named(window: MainWindow, tmp_path: Path, errors: Calls) -> None:
    loop = tmp_path / "loop.json"
    loop.symlink_to(loop)
    assert not window.files.load(loop)
    assert errors.calls[0][1] == f"cannot read {loop}: too many levels of symbolic links"
