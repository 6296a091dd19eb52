"""File handling for the main window: new, open, save, recent files, examples, the unsaved-
changes prompt, autosave and recovery.

Dialogs are reached through small methods (``ask_*``) so tests can answer them.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QSettings, QTimer
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from designer.graph import Design, DesignError, DesignFileError
from designer.graph.file_access import design_error_line, os_error_text
from designer.gui.document import DesignDocument
from designer.gui.files import read_design, write_design
from designer.gui.recovery import AUTOSAVE_INTERVAL_MS, Recovered, RecoveryStore, forget

if TYPE_CHECKING:
    from collections.abc import Callable

log = logging.getLogger(__name__)

MAX_RECENT = 8
FILE_FILTER = "Torch Designer designs (*.json);;All files (*)"
Answer = QMessageBox.StandardButton


class FileController(QObject):
    def __init__(
        self,
        window: QWidget,
        document: DesignDocument,
        settings: QSettings,
        recovery: RecoveryStore | None,
        on_message: Callable[[str], None],
    ) -> None:
        super().__init__(window)
        self.window, self.document, self.settings = window, document, settings
        self.recovery = recovery
        self.message = on_message
        self.untitled_name = "untitled"
        self._changed_since_autosave = False
        """Set by every design change: the undo index alone can't tell (merged spin-box steps,
        or an edit replacing an undone one, leave the index where it was)."""
        self.autosave_timer = QTimer(self)
        self.autosave_timer.setInterval(AUTOSAVE_INTERVAL_MS)
        self.autosave_timer.timeout.connect(self.autosave)
        self.autosave_timer.start()
        document.undo_stack.cleanChanged.connect(self._clean_changed)
        document.changed.connect(self._design_changed)

    # --- dialogs (tests replace these) -------------------------------------------------------

    def ask_save_changes(self) -> Answer:
        name = self.display_name()
        return QMessageBox.question(
            self.window,
            "Unsaved changes",
            f"Save the changes to {name} before closing it?",
            Answer.Save | Answer.Discard | Answer.Cancel,
            Answer.Save,
        )

    def ask_open_path(self) -> Path | None:
        start = str(self.document.path.parent) if self.document.path else ""
        chosen, _ = QFileDialog.getOpenFileName(self.window, "Open design", start, FILE_FILTER)
        return Path(chosen) if chosen else None

    def ask_save_path(self) -> Path | None:
        start = str(self.document.path or Path.cwd() / f"{self.untitled_name}.json")
        chosen, _ = QFileDialog.getSaveFileName(self.window, "Save design as", start, FILE_FILTER)
        if not chosen:
            return None
        path = Path(chosen)
        return path if path.suffix else path.with_suffix(".json")

    def show_error(self, title: str, text: str) -> None:
        QMessageBox.critical(self.window, title, text)

    def ask_recover(self, entry: Recovered) -> bool:
        when = datetime.fromtimestamp(entry.saved_at).strftime("%Y-%m-%d %H:%M:%S")
        source = f" (from {entry.source})" if entry.source else ""
        answer = QMessageBox.question(
            self.window,
            "Recover unsaved work?",
            f"Torch Designer closed unexpectedly. A design autosaved at {when}{source} "
            "can be recovered. Restore it?",
            Answer.Yes | Answer.No,
            Answer.Yes,
        )
        return answer == Answer.Yes

    # --- names -------------------------------------------------------------------------------

    def display_name(self) -> str:
        return self.document.path.name if self.document.path else self.untitled_name

    # --- commands ----------------------------------------------------------------------------

    def maybe_save(self) -> bool:
        """True when it is fine to drop the open design (saved, discarded or unchanged)."""
        if self.document.undo_stack.isClean():
            return True
        answer = self.ask_save_changes()
        if answer == Answer.Save:
            return self.save()
        return answer == Answer.Discard

    def new(self) -> None:
        if self.maybe_save():
            self.untitled_name = "untitled"
            self.document.replace(Design(), None)

    def open(self, path: Path | None = None) -> bool:
        if not self.maybe_save():
            return False
        path = path or self.ask_open_path()
        return path is not None and self.load(path)

    def load(self, path: Path, as_copy: bool = False) -> bool:
        """Open ``path``; on a bad file show why and keep the open design as it is.
        ``as_copy`` opens it untitled (examples: Save asks where to put the copy)."""
        try:
            design = read_design(path)
        except DesignFileError as error:
            self.show_error("Can't open design", design_error_line(path, error))
            return False
        except DesignError as error:
            self.show_error("Can't open design", f"{path}:\n{error}")
            return False
        except OSError as error:
            self.show_error("Can't open design", os_error_text(error, path))
            return False
        self.untitled_name = path.stem if as_copy else "untitled"
        self.document.replace(design, None if as_copy else path.resolve())
        if not as_copy:
            self.add_recent(path.resolve())
        self.message(f"Opened {path.name}")
        return True

    def open_example(self, path: Path) -> bool:
        return self.maybe_save() and self.load(path, as_copy=True)

    def save(self) -> bool:
        if self.document.path is None:
            return self.save_as()
        return self.save_to(self.document.path)

    def save_as(self) -> bool:
        path = self.ask_save_path()
        return path is not None and self.save_to(path)

    def save_to(self, path: Path) -> bool:
        try:
            write_design(self.document.design, path)
        except OSError as error:
            self.show_error("Can't save design", str(error))
            return False
        self.document.set_path(path.resolve())
        self.document.undo_stack.setClean()
        self.add_recent(path.resolve())
        self.message(f"Saved {path}")
        return True

    # --- recent files ------------------------------------------------------------------------

    def recent(self) -> list[Path]:
        value = self.settings.value("recent", [])
        paths = value if isinstance(value, list) else [value] if value else []
        return [Path(str(path)) for path in paths]

    def add_recent(self, path: Path) -> None:
        paths = [path, *(p for p in self.recent() if p != path)][:MAX_RECENT]
        self.settings.setValue("recent", [str(p) for p in paths])

    # --- autosave and recovery ---------------------------------------------------------------

    def autosave(self) -> None:
        if self.recovery is None:
            return
        stack = self.document.undo_stack
        if stack.isClean() or not self._changed_since_autosave:
            return
        try:
            self.recovery.save(self.document.design, self.document.path)
            self._changed_since_autosave = False
        except OSError as error:
            log.warning("autosave failed: %s", error)
            self.message(f"Autosave failed: {error}")

    def _design_changed(self, _change: object) -> None:
        self._changed_since_autosave = True

    def _clean_changed(self, clean: bool) -> None:
        if clean and self.recovery is not None:
            self.recovery.discard()

    def offer_recovery(self) -> bool:
        """Offer the newest orphaned autosave; True when one was restored."""
        try:
            return self._offer_recovery()
        except OSError as error:  # a vanished file, another instance racing us, permissions
            log.warning("recovery failed: %s", error)
            self.message(f"Could not look for unsaved work to recover: {error}")
            return False

    def _offer_recovery(self) -> bool:
        if self.recovery is None:
            return False
        for entry in self.recovery.orphans():
            if not self.ask_recover(entry):
                kept = self.recovery.set_aside(entry)
                self.message(f"Recovery declined; the autosave is kept as {kept}")
                return False
            try:
                design = read_design(entry.design_path)
            except (DesignError, OSError) as error:
                self.show_error("Can't recover", f"{entry.design_path}:\n{error}")
                self.recovery.set_aside(entry)
                continue
            self.untitled_name = entry.source.stem if entry.source else "recovered"
            self.document.replace(design, entry.source)
            self.document.undo_stack.resetClean()
            forget(entry)
            self.recovery.save(design, entry.source)
            self.message("Recovered the autosaved design; save it to keep it")
            return True
        return False
