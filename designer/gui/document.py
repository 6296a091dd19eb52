"""The open design as the app sees it: the design, its undo stack, its file and its shapes.

Views connect to the document's signals: ``changed`` carries every change record the design
emits, ``replaced`` says a whole new design was opened, and ``shapes_checked`` brings a fresh
shape report a moment after a burst of edits (the check is debounced: many edits in one event
loop turn cost one check).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QUndoStack

from designer.graph import Design, ShapeChecker, ShapeReport
from designer.graph.edits import Edit
from designer.graph.events import Change
from designer.gui.commands import EditCommand

log = logging.getLogger(__name__)

SHAPE_CHECK_DELAY_MS = 10
"""How long the shape check waits for more edits; short enough to feel immediate."""


class DesignDocument(QObject):
    changed = Signal(object)
    """A ``designer.graph.events`` change record."""
    replaced = Signal()
    shapes_checked = Signal(object)
    """A ``ShapeReport``."""
    path_changed = Signal()

    def __init__(self, design: Design | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.undo_stack = QUndoStack(self)
        self._design = design if design is not None else Design()
        self._path: Path | None = None
        self._checker = ShapeChecker(self._design)
        self._design.subscribe(self._on_change)
        self._report: ShapeReport = self._checker.check()
        self._check_timer = QTimer(self)
        self._check_timer.setSingleShot(True)
        self._check_timer.setInterval(SHAPE_CHECK_DELAY_MS)
        self._check_timer.timeout.connect(self.check_now)

    @property
    def design(self) -> Design:
        return self._design

    @property
    def path(self) -> Path | None:
        return self._path

    @property
    def report(self) -> ShapeReport:
        """The newest shape report (may trail the design by one debounce interval)."""
        return self._report

    def set_path(self, path: Path | None) -> None:
        self._path = path
        self.path_changed.emit()

    def replace(self, design: Design, path: Path | None) -> None:
        """Open another design: a fresh undo history, clean, and checked at once."""
        self._design.unsubscribe(self._on_change)
        self._checker.close()
        self._design = design
        self._checker = ShapeChecker(design)
        design.subscribe(self._on_change)
        self.undo_stack.clear()
        self.undo_stack.setClean()
        self._report = self._checker.check()
        self._path = path
        self.replaced.emit()
        self.path_changed.emit()
        self.shapes_checked.emit(self._report)

    def edit(self, text: str, edits: Sequence[Edit]) -> EditCommand:
        """Apply ``edits`` as one undoable step; raises ``DesignError`` and changes nothing
        when one of them is refused."""
        command = EditCommand(self._design, text, edits)
        command.apply_first()
        self.undo_stack.push(command)
        return command

    def check_now(self) -> ShapeReport:
        self._check_timer.stop()
        self._report = self._checker.check()
        self.shapes_checked.emit(self._report)
        return self._report

    def _on_change(self, change: Change) -> None:
        self.changed.emit(change)
        if not self._check_timer.isActive():
            self._check_timer.start()
