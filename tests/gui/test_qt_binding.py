"""The Qt binding itself: a build that loses references to None crashes the app within
seconds ("deallocating None"), so this fails loudly before the app does."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication, QLabel

CALLS = 500


class _Sender(QObject):
    fired = Signal(object)


def test_void_calls_keep_none_alive(qapp: QApplication) -> None:
    label = QLabel("x")
    sender = _Sender()
    received: list[object] = []
    sender.fired.connect(received.append)
    calls = (
        qapp.processEvents,
        lambda: label.setText("y"),
        label.update,
        lambda: sender.fired.emit(1),
    )
    for call in calls:
        call()
        before = sys.getrefcount(None)
        for _ in range(CALLS):
            call()
        # other references to None come and go; a binding bug loses one per call
        assert sys.getrefcount(None) > before - CALLS // 2, call
    assert len(received) == CALLS + 1
