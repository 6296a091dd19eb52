"""File handling for the main window: new, open, save, recent files, examples, the unsaved-
changes prompt, autosave and recovery.

Dialogs are reached through small methods (``ask_*``) so tests can answer them.
"""

from __future__ import annotations

import logging
from dataclasses import replace
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
        self.copied_from: Path | None = None
        """The example the open, untitled design was copied from: never saved over."""
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
        return QMessageBox.question(
            self.window,
            "Unsaved changes",
            self.save_changes_question(),
            Answer.Save | Answer.Discard | Answer.Cancel,
            Answer.Save,
        )

    def ask_open_path(self) -> Path | None:
        start = str(self.document.path.parent) if self.document.path else ""
        chosen, _ = QFileDialog.getOpenFileName(self.window, "Open design", start, FILE_FILTER)
        return Path(chosen) if chosen else None

    def ask_save_path(self) -> Path | None:
        start = str(self.document.path or self.suggested_save_path())
        chosen, _ = QFileDialog.getSaveFileName(self.window, "Save design as", start, FILE_FILTER)
        if not chosen:
            return None
        path = Path(chosen)
        return path if path.suffix else path.with_suffix(".json")

    def show_error(self, title: str, text: str) -> None:
        QMessageBox.critical(self.window, title, text)

    def ask_recover(self, entry: Recovered) -> bool:
        answer = QMessageBox.question(
            self.window,
            "Recover unsaved work?",
            f"{entry.describe()}\n\nRestore it? (No keeps the autosave file aside.)",
            Answer.Yes | Answer.No,
            Answer.Yes,
        )
        return answer == Answer.Yes

    # --- names -------------------------------------------------------------------------------

    def display_name(self) -> str:
        if self.document.path is not None:
            return self.document.path.name
        if self.copied_from is not None:
            return f"untitled (copy of {self.copied_from.stem})"
        return self.untitled_name

    def save_changes_question(self) -> str:
        if self.document.path is None and self.copied_from is not None:
            # the copy's own name reads as the example's: say that the example stays as it is
            return (
                f"Save your copy of {self.copied_from.stem}? The example itself is never "
                "changed; saving asks where to put the copy."
            )
        return f"Save the changes to {self.display_name()} before closing it?"

    def suggested_save_path(self) -> Path:
        """Where Save As starts for an untitled design: never the example it was copied from."""
        if self.copied_from is None:
            return Path.cwd() / f"{self.untitled_name}.json"
        folder = Path.cwd()
        if folder.resolve() == self.copied_from.parent.resolve():
            folder = Path.home()
        return folder / f"{self.copied_from.stem}-copy.json"

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
            self.untitled_name, self.copied_from = "untitled", None
            self.document.replace(Design(), None)

    def open(self, path: Path | None = None) -> bool:
        """Choose a file first and read it; only then ask about unsaved changes, once: a
        cancelled chooser or a bad file asks nothing and leaves the open design as it is."""
        path = path or self.ask_open_path()
        return path is not None and self._replace_asking(path, as_copy=False)

    def open_example(self, path: Path) -> bool:
        return self._replace_asking(path, as_copy=True)

    def open_imported(self, design: Design, name: str) -> bool:
        """Open a design just imported, untitled and named after the model; asks about unsaved
        changes first, and a Cancel there keeps the open design as it is."""
        if not self.maybe_save():
            return False
        self.untitled_name, self.copied_from = name, None
        self.document.replace(design, None)
        self.message(f"Imported {name}")
        return True

    def _replace_asking(self, path: Path, as_copy: bool) -> bool:
        design = self._read(path)
        if design is None or not self.maybe_save():
            return False
        self._show(design, path, as_copy)
        return True

    def load(self, path: Path, as_copy: bool = False) -> bool:
        """Open ``path`` without asking about unsaved changes; on a bad file show why and keep
        the open design as it is. ``as_copy`` opens it untitled (examples: Save asks where to
        put the copy)."""
        design = self._read(path)
        if design is None:
            return False
        self._show(design, path, as_copy)
        return True

    def _read(self, path: Path, title: str = "Can't open design") -> Design | None:
        """The design in ``path``; None when it can't be used, the reason shown (as every
        command words it) under ``title``."""
        try:
            return read_design(path)
        except DesignFileError as error:
            self.show_error(title, design_error_line(path, error))
        except DesignError as error:
            self.show_error(title, f"{path}:\n{error}")
        except OSError as error:
            self.show_error(title, os_error_text(error, path))
        return None

    def _show(self, design: Design, path: Path, as_copy: bool) -> None:
        self.untitled_name = "untitled"
        self.copied_from = path.resolve() if as_copy else None
        self.document.replace(design, None if as_copy else path.resolve())
        if not as_copy:
            self.add_recent(path.resolve())
        self.message(f"Opened a copy of {path.name}" if as_copy else f"Opened {path.name}")

    def save(self) -> bool:
        if self.document.path is None:
            return self.save_as()
        return self.save_to(self.document.path)

    def save_as(self) -> bool:
        path = self.ask_save_path()
        if path is None:
            return False
        if self.copied_from is not None and path.resolve() == self.copied_from:
            self.show_error(
                "Can't save design",
                f"{path.name} is the example this design was copied from, and stays as it is. "
                "Save the copy under another name.",
            )
            return False
        return self.save_to(path)

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
        for found in self.recovery.orphans():
            # read first: the prompt names the design, and an unreadable one isn't offered
            design = self._read(found.design_path, "Can't recover")
            if design is None:
                self.recovery.set_aside(found)
                continue
            entry = replace(found, model_name=design.class_name, block_count=len(design.blocks))
            if not self.ask_recover(entry):
                kept = self.recovery.set_aside(entry)
                self.message(f"Recovery declined; the autosave is kept as {kept}")
                return False
            self.untitled_name = entry.source.stem if entry.source else "recovered"
            self.copied_from = None
            self.document.replace(design, entry.source)
            self.document.undo_stack.resetClean()
            forget(entry)
            self.recovery.save(design, entry.source)
            self.message("Recovered the autosaved design; save it to keep it")
            return True
        return False
