"""Run one model import in an import worker process, watched from the GUI thread.

The model's code never runs in the window's process: each import is served by its own worker
(``designer.importer.import_worker``), a spawned process that has usually imported torch
before it is needed. ``ImportWorkers`` keeps one such worker waiting once the window has
time to spare, and starts the next one after each import, so an import pays for neither
the process nor torch's import. A timer polls the worker's pipe, counts the seconds, and
kills the worker on Cancel or at the time limit; where the pipe is a file descriptor (not on
Windows) a notifier reads the answer the moment it comes.
"""

from __future__ import annotations

import logging
import sys
import time

from PySide6.QtCore import QObject, QSocketNotifier, QTimer, Signal

from designer.importer.import_worker import ImportWorker
from designer.importer.loading import (
    ImportRequest,
    ended_before_answering,
    result_of,
    took_too_long,
)
from designer.importer.report import ImportFailedError

log = logging.getLogger(__name__)

POLL_MS = 100
REFILL_DELAY_MS = 2000
"""After an import, the next worker waits this long: the window is busy opening the design."""


class ImportWorkers(QObject):
    """At most one warm worker waiting for the next import.

    Until ``keep_warm`` is called, nothing waits and each import starts its own worker (a
    dialog made on its own, in tests). ``take`` hands the waiting worker over (or a fresh one),
    and a new one is started a little later.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._spare: ImportWorker | None = None
        self._warm_wanted = False
        self._refill_timer = QTimer(self)
        self._refill_timer.setSingleShot(True)
        self._refill_timer.timeout.connect(self._refill_now)

    @property
    def spare(self) -> ImportWorker | None:
        return self._spare

    @property
    def kept_warm(self) -> bool:
        """Whether a worker is kept waiting (``keep_warm`` was called, ``close`` wasn't)."""
        return self._warm_wanted

    def keep_warm(self) -> None:
        """From now on keep a worker waiting; start it now if none is."""
        self._warm_wanted = True
        self._refill_now()

    def ready(self) -> bool:
        """A worker is waiting, warm."""
        return self._spare is not None and self._spare.alive() and self._spare.is_ready()

    def take(self) -> ImportWorker:
        """The waiting worker, else a fresh one (``OSError`` when none can be started)."""
        spare, self._spare = self._spare, None
        if spare is not None and not spare.alive():
            log.warning(
                "the waiting import worker ended by itself (exit code %s); starting another",
                spare.process.exitcode,
            )
            spare.stop()
            spare = None
        return spare if spare is not None else ImportWorker.start()

    def refill(self) -> None:
        """An import ended: start the next waiting worker soon, if workers are kept warm."""
        if self._warm_wanted:
            self._refill_timer.start(REFILL_DELAY_MS)

    def _refill_now(self) -> None:
        self._refill_timer.stop()
        if self._spare is not None and not self._spare.alive():
            self._spare.stop()
            self._spare = None
        if self._spare is None and self._warm_wanted:
            try:
                self._spare = ImportWorker.start()
            except OSError as error:  # out of processes or memory: imports start their own
                log.warning("no import worker could be started ahead: %s", error)

    def close(self) -> None:
        """Stop the waiting worker and start no other (the window is closing)."""
        self._warm_wanted = False
        self._refill_timer.stop()
        if self._spare is not None:
            self._spare.stop()
            self._spare = None


class ImportRunner(QObject):
    succeeded = Signal(object)
    """An ``ImportResult``."""
    failed = Signal(str)
    """One line saying why nothing was imported."""
    ticked = Signal(float)
    """Seconds since the import started, while it runs."""

    def __init__(self, parent: QObject | None = None, workers: ImportWorkers | None = None):
        super().__init__(parent)
        self.workers = workers if workers is not None else ImportWorkers(self)
        self._worker: ImportWorker | None = None
        self._request: ImportRequest | None = None
        self._time_limit = 0.0
        self._began = 0.0
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._poll)
        self._notifier: QSocketNotifier | None = None

    @property
    def running(self) -> bool:
        return self._worker is not None

    @property
    def pid(self) -> int | None:
        """The worker's process id while it runs."""
        return self._worker.pid if self._worker is not None else None

    def start(self, request: ImportRequest, time_limit: float) -> None:
        """Hand the request to a worker (``OSError`` when no process can be started)."""
        if self.running:
            raise RuntimeError("an import is already running")
        worker = self.workers.take()
        try:
            worker.send(request)
        except OSError:  # it ended between the check and the request: one fresh try
            log.warning("the import worker ended before its request; starting another")
            worker.stop()
            worker = ImportWorker.start()
            worker.send(request)
        self._worker, self._request = worker, request
        self._time_limit = time_limit
        self._began = time.monotonic()
        self._timer.start()
        if sys.platform != "win32":
            self._notifier = QSocketNotifier(
                worker.connection.fileno(), QSocketNotifier.Type.Read, self
            )
            self._notifier.activated.connect(self.poll_now)
        log.info("importing %s (worker pid %s, warm: %s)", request.source, worker.pid, worker.warm)

    def cancel(self) -> None:
        """Kill the worker now; nothing is emitted."""
        if self.running:
            log.info("import cancelled")
            self._stop()

    def elapsed(self) -> float:
        return time.monotonic() - self._began if self.running else 0.0

    def poll_now(self) -> None:
        """Look for the answer at once (the timer does this every ``POLL_MS``)."""
        if self.running:
            self._poll()

    def _poll(self) -> None:
        assert self._worker is not None and self._request is not None
        elapsed = self.elapsed()
        try:
            answer = self._worker.answer()
        except (EOFError, OSError):
            self._worker.process.join(1.0)
            code = self._worker.process.exitcode
            self._finish_failed(
                f"{ended_before_answering(code)}; a new one is started for the next import"
            )
            return
        if answer is not None:
            self._finish(answer)
        elif elapsed > self._time_limit:
            self._finish_failed(took_too_long(self._request.source, self._time_limit))
        else:
            self.ticked.emit(elapsed)

    def _finish(self, answer: object) -> None:
        self._stop()
        try:
            result = result_of(answer)
        except ImportFailedError as failure:
            self.failed.emit(failure.message)
            return
        self.succeeded.emit(result)

    def _finish_failed(self, message: str) -> None:
        self._stop()
        self.failed.emit(message)

    def _stop(self) -> None:
        self._timer.stop()
        if self._notifier is not None:
            self._notifier.setEnabled(False)
            self._notifier.deleteLater()
            self._notifier = None
        worker, self._worker, self._request = self._worker, None, None
        if worker is not None:
            worker.stop()
        self.workers.refill()
