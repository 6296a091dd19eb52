"""Tell the user when a view fails to follow an edit, rather than only logging it.

A listener of the design that raises (a bug of ours) leaves its view possibly out of step with
the design: the canvas may show a block that no longer exists, or miss one. The design itself
is intact, so the user is told what failed and how to get a true picture back, and nothing is
lost.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QMessageBox, QWidget

from designer.graph.events import ListenerFailure, report_listener_failures

log = logging.getLogger(__name__)

ADVICE = (
    "The design itself is intact and nothing was lost, but this view may now be out of step "
    "with it. Save the design, then open it again to bring every view back in step."
)


class ListenerAlert(QObject):
    """Shows a non-modal warning for each failure (one box, updated), until ``stop``."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self._window = parent
        self._box: QMessageBox | None = None
        self._stop = report_listener_failures(self.show_failure)
        self.destroyed.connect(self._stop)

    @property
    def box(self) -> QMessageBox | None:
        """The warning shown, if one has been."""
        return self._box

    def stop(self) -> None:
        self._stop()

    def show_failure(self, failure: ListenerFailure) -> None:
        if self._box is None:
            self._box = QMessageBox(
                QMessageBox.Icon.Warning, "A view failed to follow an edit", "", parent=self._window
            )
            self._box.setInformativeText(ADVICE)
        self._box.setText(f"Internal error in a view of the design: {failure.describe()}")
        self._box.open()  # non-modal: the user keeps working and can save
