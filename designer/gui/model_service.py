"""The app's link to its torch worker processes: model analysis, exports, per-block costs and
benchmark runs.

The models are compiled, built and run in worker processes, never in the app's: every request
carries the design's file text, and the worker compiles it once. Each request is sent
from a short-lived thread that waits on a ``TorchWorker`` and hands the answer back to the GUI
thread through a queued signal, so the window never waits. Analyses coalesce: while one runs,
only the newest design waits its turn, and an answer for a design that has changed since is
dropped. Per-block measurements run in a worker of their own, one at a time, so analyses go on
meanwhile.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

if TYPE_CHECKING:
    from designer.runtime import MeasureSettings, Progress, TorchWorker
    from designer.runtime.worker_process import ExportTarget

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AnalysisJob:
    design_json: str
    origin: str | None


def _new_worker() -> TorchWorker:
    from designer.runtime import TorchWorker

    return TorchWorker()


class ModelService(QObject):
    analysed = Signal(object, object)
    """(design file text, ``ModelAnalysis``) for the newest design asked about."""
    analysis_failed = Signal(object, str)
    """(design file text, message) when the newest design can't be compiled or built."""
    busy_changed = Signal(bool)
    exported = Signal(object)
    """The list of paths an export wrote."""
    export_failed = Signal(str)
    devices_found = Signal(object)
    """A list of ``DeviceInfo``."""
    costs_measured = Signal(object, object)
    """(design file text, ``CostReport``) from ``measure_block_costs``."""
    costs_failed = Signal(object, str)
    """(design file text, message)."""
    measuring_changed = Signal(bool)
    _job_done = Signal(object, object, str)
    _costs_done = Signal(object, object, str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._job_done.connect(self._finish)
        self._worker: TorchWorker | None = None
        self._worker_lock = threading.Lock()
        self._running: AnalysisJob | None = None
        self._pending: AnalysisJob | None = None
        self._latest: str | None = None
        self._closed = False
        self._cost_worker: TorchWorker | None = None
        self.measuring = False
        self._costs_done.connect(self._costs_finished)

    # --- analysis ----------------------------------------------------------------------------

    def analyse(self, design_json: str, origin: str | None) -> None:
        """Ask about a design (its file text); answers for older texts are dropped."""
        if self._closed:
            return
        self._latest = design_json
        job = AnalysisJob(design_json, origin)
        if self._running is not None:
            self._pending = job
            return
        self._start(job)

    def forget(self) -> None:
        """The design can't be analysed now (shape errors): drop answers still to come."""
        self._latest = None
        self._pending = None

    @property
    def latest(self) -> str | None:
        return self._latest

    def _start(self, job: AnalysisJob) -> None:
        self._running = job
        self.busy_changed.emit(True)
        self._in_thread(lambda: self._analyse_job(job))

    def _analyse_job(self, job: AnalysisJob) -> None:
        from designer.runtime import RunError

        try:
            analysis = self.worker().analyse(job.design_json, job.origin)
        except RunError as error:
            self._job_done.emit(job, None, error.message)
        except Exception as error:  # a bug: say it, don't lose the panel
            log.exception("analysis failed")
            self._job_done.emit(job, None, f"{type(error).__name__}: {error}")
        else:
            self._job_done.emit(job, analysis, "")

    def _finish(self, job: AnalysisJob, analysis: object, message: str) -> None:
        self._running = None
        if job.design_json == self._latest:
            if analysis is not None:
                self.analysed.emit(job.design_json, analysis)
            else:
                self.analysis_failed.emit(job.design_json, message)
        pending, self._pending = self._pending, None
        if pending is not None and not self._closed:
            self._start(pending)
        else:
            self.busy_changed.emit(False)

    # --- exports and devices -----------------------------------------------------------------

    def export(self, design_json: str, target: ExportTarget) -> None:
        def job() -> None:
            from designer.runtime import RunError

            try:
                paths = self.worker().export(design_json, target)
            except RunError as error:
                self.export_failed.emit(error.message)
            except Exception as error:
                log.exception("export failed")
                self.export_failed.emit(f"{type(error).__name__}: {error}")
            else:
                self.exported.emit(paths)

        self._in_thread(job)

    def find_devices(self) -> None:
        def job() -> None:
            from designer.runtime import RunError

            try:
                self.devices_found.emit(self.worker().devices())
            except RunError as error:  # cancelled by close(), or the worker died
                log.info("device query failed: %s", error.message)
            except Exception:
                log.exception("device query failed")

        self._in_thread(job)

    # --- per-block costs ---------------------------------------------------------------------

    def measure_block_costs(self, design_json: str, settings: MeasureSettings) -> bool:
        """Measure what each block costs (``TorchWorker.block_costs``) in a worker of its own;
        answers through ``costs_measured`` or ``costs_failed``. False when one is going."""
        if self._closed or self.measuring:
            return False
        with self._worker_lock:
            if self._cost_worker is None:
                self._cost_worker = _new_worker()
            worker = self._cost_worker
        self.measuring = True
        self.measuring_changed.emit(True)

        def job() -> None:
            from designer.runtime import RunError

            try:
                report = worker.block_costs(design_json, settings)
            except RunError as error:  # the compiler's errors too, written for the user
                self._costs_done.emit(design_json, None, error.message)
            except Exception as error:
                log.exception("per-block measurement failed")
                self._costs_done.emit(design_json, None, f"{type(error).__name__}: {error}")
            else:
                self._costs_done.emit(design_json, report, "")

        self._in_thread(job)
        return True

    def cancel_block_costs(self) -> None:
        worker = self._cost_worker
        if worker is not None and self.measuring:
            worker.cancel()

    def _costs_finished(self, design_json: str, report: object, message: str) -> None:
        self.measuring = False
        self.measuring_changed.emit(False)
        if report is not None:
            self.costs_measured.emit(design_json, report)
        else:
            self.costs_failed.emit(design_json, message)

    # --- the worker --------------------------------------------------------------------------

    def worker(self) -> TorchWorker:
        """The worker, started on first use; after ``close``, a request still on its way
        gets ``RunCancelledError`` rather than a new worker nobody would close."""
        from designer.runtime import RunCancelledError

        with self._worker_lock:
            if self._closed:
                raise RunCancelledError("the model service is closed")
            if self._worker is None:
                self._worker = _new_worker()
            return self._worker

    def close(self) -> None:
        with self._worker_lock:
            self._closed = True
            self._pending = None
            worker, self._worker = self._worker, None
            cost_worker, self._cost_worker = self._cost_worker, None
        for each in (worker, cost_worker):
            if each is not None:
                each.close()

    def _in_thread(self, work: Callable[[], None]) -> None:
        threading.Thread(target=work, name="torch-worker-request", daemon=True).start()


class BenchRunner(QObject):
    """Benchmark runs in their own worker (so analyses go on meanwhile); one at a time."""

    progress = Signal(object)
    """A ``Progress``."""
    finished = Signal(object, object)
    """(design file text, list of ``BatchResult``)."""
    failed = Signal(object, str)
    """(design file text, message)."""
    running_changed = Signal(bool)
    _done = Signal(object, object, str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._worker: TorchWorker | None = None
        self.running = False
        self._done.connect(self._finish)

    def run(self, design_json: str, settings: MeasureSettings) -> bool:
        """Start a run; False when one is already going."""
        if self.running:
            return False
        self.running = True
        self.running_changed.emit(True)
        if self._worker is None:
            self._worker = _new_worker()
        worker = self._worker

        def job() -> None:
            from designer.runtime import RunError

            try:
                results = worker.run(design_json, settings, on_progress=self._progress_from_thread)
            except RunError as error:  # the compiler's errors too, written for the user
                self._done.emit(design_json, None, error.message)
            except Exception as error:
                log.exception("benchmark failed")
                self._done.emit(design_json, None, f"{type(error).__name__}: {error}")
            else:
                self._done.emit(design_json, results, "")

        threading.Thread(target=job, name="benchmark-run", daemon=True).start()
        return True

    def _progress_from_thread(self, progress: Progress) -> None:
        self.progress.emit(progress)

    def _finish(self, design_json: str, results: object, message: str) -> None:
        self.running = False
        self.running_changed.emit(False)
        if results is not None:
            self.finished.emit(design_json, results)
        else:
            self.failed.emit(design_json, message)

    def cancel(self) -> None:
        if self._worker is not None and self.running:
            self._worker.cancel()

    def close(self) -> None:
        if self._worker is not None:
            self._worker.close()
            self._worker = None
