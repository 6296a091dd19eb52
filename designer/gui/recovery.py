"""Autosave and crash recovery.

While the app runs it holds a lock file and writes the open design to a recovery file beside it
(every 30 s when something changed since the last autosave). A clean exit removes both. At the
next start a recovery file whose lock is no longer held (its app died) is offered back.
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QLockFile, QStandardPaths

from designer.graph import Design, dumps_design
from designer.graph.fileformat import write_atomically

log = logging.getLogger(__name__)

AUTOSAVE_INTERVAL_MS = 30_000


@dataclass(frozen=True)
class Recovered:
    design_path: Path
    source: Path | None
    """The file the design was opened from, if any."""
    saved_at: float
    model_name: str | None = None
    """The design's model class name, once its file has been read."""
    block_count: int | None = None

    def describe(self) -> str:
        """What the recovery prompt says it would restore: which design, and from when."""
        subject = f"“{self.source.name}”" if self.source else "a design never saved to a file"
        lines = [f"Torch Designer closed unexpectedly with unsaved changes to {subject}.", ""]
        if self.model_name:
            count = self.block_count
            blocks = "" if count is None else f", {count} block{'s' if count != 1 else ''}"
            lines.append(f"Model: {self.model_name}{blocks}")
        if self.source is not None:
            lines.append(f"File: {self.source}")
        when = datetime.fromtimestamp(self.saved_at).strftime("%Y-%m-%d %H:%M")
        lines.append(f"Autosaved: {when}")
        return "\n".join(lines)


def default_recovery_dir() -> Path:
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    return Path(base) / "recovery"


class RecoveryStore:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        session = f"session-{os.getpid()}-{int(time.time() * 1000)}"
        self.design_path = directory / f"{session}.json"
        self.info_path = directory / f"{session}.info"
        self._lock = QLockFile(str(directory / f"{session}.lock"))
        self._lock.setStaleLockTime(0)
        if not self._lock.tryLock(100):
            log.warning("can't lock the recovery session in %s", directory)

    def save(self, design: Design, source: Path | None) -> None:
        write_atomically(self.design_path, dumps_design(design).encode())
        info = {"source": str(source) if source else None, "saved_at": time.time()}
        write_atomically(self.info_path, json.dumps(info).encode())

    def discard(self) -> None:
        """Nothing unsaved any more: remove this session's recovery file."""
        for path in (self.design_path, self.info_path):
            path.unlink(missing_ok=True)

    def close(self) -> None:
        self.discard()
        self._lock.unlock()

    def orphans(self) -> list[Recovered]:
        """Recovery files left by sessions that ended without cleaning up, newest first."""
        found: list[Recovered] = []
        for design_path in self.directory.glob("session-*.json"):
            if design_path == self.design_path:
                continue
            lock = QLockFile(str(design_path.with_suffix(".lock")))
            lock.setStaleLockTime(0)
            if not lock.tryLock(0):
                continue  # another running app owns it
            lock.unlock()
            found.append(_read_info(design_path))
        return sorted(found, key=lambda entry: -entry.saved_at)

    def set_aside(self, entry: Recovered) -> Path:
        """Keep a declined recovery file (renamed) rather than delete someone's work."""
        kept = entry.design_path.with_name(f"declined-{entry.design_path.name}")
        entry.design_path.replace(kept)
        forget(entry)
        return kept


def forget(entry: Recovered) -> None:
    entry.design_path.unlink(missing_ok=True)
    entry.design_path.with_suffix(".info").unlink(missing_ok=True)
    entry.design_path.with_suffix(".lock").unlink(missing_ok=True)


def _read_info(design_path: Path) -> Recovered:
    source, saved_at = None, design_path.stat().st_mtime
    try:
        info = json.loads(design_path.with_suffix(".info").read_text())
        if isinstance(info.get("source"), str):
            source = Path(info["source"])
        if isinstance(info.get("saved_at"), int | float):
            saved_at = float(info["saved_at"])
    except (OSError, ValueError, AttributeError):
        log.info("recovery file %s has no readable info; offering it anyway", design_path)
    return Recovered(design_path, source, saved_at)
