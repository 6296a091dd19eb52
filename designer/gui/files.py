"""Reading and writing design files for the app: atomic saves through ``QSaveFile``."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QIODevice, QSaveFile

from designer.graph import Design, dumps_design, load_design
from designer.graph.edit_plans import layout_plan
from designer.graph.edits import apply_all
from designer.graph.layout import lacks_positions


def read_design(path: Path) -> Design:
    """Load a design (raises ``DesignFileError``); lay it out when it has no positions."""
    design = load_design(path)
    if lacks_positions(design):
        apply_all(design, layout_plan(design))
    return design


def write_design(design: Design, path: Path) -> None:
    """Write all or nothing: the old file stays whole until the new one is complete."""
    data = dumps_design(design).encode()
    file = QSaveFile(str(path))
    if not file.open(QIODevice.OpenModeFlag.WriteOnly):
        raise OSError(f"can't write {path}: {file.errorString()}")
    if file.write(data) != len(data) or not file.commit():
        error = file.errorString()
        file.cancelWriting()
        raise OSError(f"can't write {path}: {error}")
