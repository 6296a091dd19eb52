"""Keeps the model and code panels in step with the design: after a burst of edits settles,
the design goes to the worker for analysis; a design with shape errors shows its errors
instead; answers for a design that has changed since are dropped (by the service).
Opening another design (New, Open, a recovery) forgets the old design's model at once.

Moving blocks changes no code, so only changes to the model's content start an analysis.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal

from designer.graph import dumps_design
from designer.graph.fileformat import model_content
from designer.graph.shapes import problem_lines
from designer.gui.document import DesignDocument
from designer.gui.model_service import ModelService

if TYPE_CHECKING:
    from designer.compiler.analysis import ModelAnalysis

log = logging.getLogger(__name__)

ANALYSIS_DELAY_MS = 250
"""How long edits must pause before the model is rebuilt."""


class LiveModel(QObject):
    updated = Signal(object)
    """A fresh ``ModelAnalysis`` of the design as it is now."""
    unavailable = Signal(list)
    """Lines saying why there is no model right now (shape errors, a compile error)."""
    busy_changed = Signal(bool)
    reset = Signal()
    """Another design replaced the open one: the model shown so far is not its model."""

    def __init__(self, document: DesignDocument, service: ModelService) -> None:
        super().__init__(document)
        self.document, self.service = document, service
        self.analysis: ModelAnalysis | None = None
        self._content: str | None = None
        self._asked: str | None = None
        self._asked_content: str | None = None
        self._enabled = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(ANALYSIS_DELAY_MS)
        self._timer.timeout.connect(self.refresh)
        document.shapes_checked.connect(lambda _report: self._timer.start())
        document.replaced.connect(self._replaced)
        service.analysed.connect(self._analysed)
        service.analysis_failed.connect(self._failed)
        service.busy_changed.connect(self.busy_changed)

    def enable(self) -> None:
        """Start analysing (once torch can be used); until then the panels wait."""
        self._enabled = True
        self.refresh()

    def origin(self) -> str | None:
        path = self.document.path
        return path.name if path is not None else None

    def refresh(self) -> None:
        """Analyse the design now if its content changed since the last answer."""
        if not self._enabled:
            return
        report = self.document.report  # fresh: shapes_checked or replaced started the timer
        if not report.ok:
            self.service.forget()
            self._asked = self._asked_content = self._content = None
            self.analysis = None
            self.unavailable.emit(problem_lines(report.problems, "shape error"))
            return
        content = model_content(self.document.design)
        if content == self._content:  # shown already (an undo, say): drop answers still to come
            if self._asked_content != content:
                self.service.forget()
                self._asked = self._asked_content = None
            return
        if content == self._asked_content:
            return
        self._asked_content = content
        self._asked = dumps_design(self.document.design)
        self.service.analyse(self._asked, self.origin())

    def _replaced(self) -> None:
        # even one with the same content (a reopened file) is analysed afresh: the panels
        # were cleared, so "shown already" no longer holds
        self._timer.stop()
        self.service.forget()
        self.analysis = None
        self._asked = self._asked_content = self._content = None
        self.reset.emit()
        self.refresh()

    def _analysed(self, design_json: str, analysis: ModelAnalysis) -> None:
        if design_json != self._asked:
            return
        self.analysis = analysis
        self._content = self._asked_content
        self.updated.emit(analysis)

    def _failed(self, design_json: str, message: str) -> None:
        if design_json != self._asked:
            return
        self.analysis = None  # the same content isn't asked again: edits bring a new one
        self._content = None  # and going back to the last model asks for it again
        self.unavailable.emit([message])

    def block_for_module(self, module: str) -> list[str]:
        if self.analysis is None:
            return []
        return [block for block, name in self.analysis.block_modules.items() if name == module]
