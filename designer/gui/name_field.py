"""A line edit for a name the design may refuse (a block's, a group's, a class).

Enter or leaving the field submits the text. A refused name is marked and kept while the field
has focus, so it can be corrected; Escape or leaving the field discards it, and the field shows
the real name again, unmarked (the reason stays in the inspector's message).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QFocusEvent, QKeyEvent
from PySide6.QtWidgets import QLineEdit, QWidget

from designer.gui.param_editors import INVALID_STYLE

Submit = Callable[[str], bool]
"""Applies a stripped name; False when the design refused it (and the reason was shown)."""

# focus that only seems to leave: a context menu, or another window made active for a while
_STAYING = (Qt.FocusReason.PopupFocusReason, Qt.FocusReason.ActiveWindowFocusReason)


class NameField(QLineEdit):
    def __init__(
        self,
        current: Callable[[], str],
        submit: Submit,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(current(), parent)
        self.current, self.submit = current, submit
        self.textEdited.connect(lambda _text: self.setStyleSheet(""))
        self.editingFinished.connect(self._finish)

    @property
    def refused(self) -> bool:
        return self.styleSheet() == INVALID_STYLE

    def show_current(self) -> None:
        """The real name, unmarked: what the field shows once a typed name is discarded."""
        self.setText(self.current())
        self.setStyleSheet("")

    def _finish(self) -> None:
        self.setStyleSheet("" if self.submit(self.text().strip()) else INVALID_STYLE)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt's name)
        if event.key() == Qt.Key.Key_Escape and self.text() != self.current():
            self.show_current()
            event.accept()
            return
        super().keyPressEvent(event)

    def focusOutEvent(self, event: QFocusEvent) -> None:  # noqa: N802 (Qt's name)
        super().focusOutEvent(event)  # emits editingFinished for a changed text
        if self.refused and event.reason() not in _STAYING:
            self.show_current()
