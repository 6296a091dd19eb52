"""Undo commands: each wraps a list of reversible edits from ``designer.graph.edits``.

The document applies a command's edits before pushing it (so a refused edit never reaches the
stack), which is why the first ``redo`` Qt calls on push does nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtGui import QUndoCommand

from designer.graph import Design
from designer.graph.edits import Edit, SetParam, apply_all, undo_all

_MERGE_SET_PARAM = 1


class EditCommand(QUndoCommand):
    def __init__(self, design: Design, text: str, edits: Sequence[Edit]) -> None:
        super().__init__(text)
        self._design = design
        self.edits = list(edits)
        self._applied = False
        self.view_after_undo: Callable[[], None] | None = None
        """What the view puts back with the edits (the collapsed group an expand opened)."""
        self.view_after_redo: Callable[[], None] | None = None

    def apply_first(self) -> None:
        """Apply the edits once, all or none; raises the ``DesignError`` of a refused one."""
        apply_all(self._design, self.edits)
        self._applied = True

    def redo(self) -> None:
        if self._applied:
            self._applied = False  # the push after apply_first: already done
            return
        apply_all(self._design, self.edits)
        if self.view_after_redo is not None:
            self.view_after_redo()

    def undo(self) -> None:
        undo_all(self._design, self.edits)
        if self.view_after_undo is not None:
            self.view_after_undo()

    def id(self) -> int:
        if len(self.edits) == 1 and isinstance(self.edits[0], SetParam):
            return _MERGE_SET_PARAM
        return -1

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 (Qt's name)
        """Steps of one spin box (arrow keys, wheel) on one parameter make one undo entry."""
        if not isinstance(other, EditCommand) or other.id() != self.id():
            return False
        mine, theirs = self.edits[0], other.edits[0]
        assert isinstance(mine, SetParam) and isinstance(theirs, SetParam)
        if (mine.block_id, mine.name) != (theirs.block_id, theirs.name):
            return False
        mine.value = theirs.value
        if mine.value == mine.old:
            self.setObsolete(True)
        return True
