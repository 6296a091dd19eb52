"""Runs torch work in a separate, long-lived worker process: timed forward passes and training
steps, the max-batch search, and the app's model analysis (``print(model)``, module table,
FLOPs) and exports.

A crash, an out-of-memory error, a hang or a ``torch.compile`` in the worker can't take the
caller down: the caller gets a ``RunError`` and the next request starts a fresh worker. The
worker is spawned (never forked: CUDA and threads don't survive a fork), imports torch once and
is reused between requests. Each request carries a design as its file text, which the worker
compiles exactly once; progress and results stream back.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import signal
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from types import TracebackType
from typing import Any

from designer.compiler.analysis import ModelAnalysis
from designer.graph import Design, dumps_design
from designer.runtime.block_costs import CostReport
from designer.runtime.devices import DeviceInfo
from designer.runtime.errors import (
    RunCancelledError,
    RunError,
    RunTimeoutError,
    WorkerCrashedError,
)
from designer.runtime.results import BatchResult, MaxBatchResult, Progress, TrainResult
from designer.runtime.settings import MeasureSettings
from designer.runtime.worker_process import (
    AnalyseRequest,
    BlockCostsRequest,
    DevicesRequest,
    ExportRequest,
    ExportTarget,
    MaxBatchRequest,
    RunRequest,
    rebuild_error,
    worker_main,
)

logger = logging.getLogger(__name__)

STARTUP_TIMEOUT_S = 120.0
"""How long a fresh worker may take to import torch and say it's ready."""
STOP_GRACE_S = 5.0
"""How long a worker asked to stop (or terminated) gets before it is killed."""


class TorchWorker:
    """A worker process for torch work; one request at a time.

    ``run``, ``analyse`` and ``export`` block until the answer comes back; ``cancel`` (from
    another thread) stops the request in progress. Use it as a context manager, or call
    ``close`` when done.
    """

    def __init__(self, log_level: int = logging.WARNING) -> None:
        self._log_level = log_level
        self._context = multiprocessing.get_context("spawn")
        self._process: BaseProcess | None = None
        self._connection: Connection | None = None
        self._run_lock = threading.Lock()
        self._state_lock = threading.Lock()
        self._running = False
        self._cancelled = False
        self._closes = 0
        """How often ``close`` was called: a request that waited for its turn across a close
        is cancelled rather than start a worker nobody will close."""

    def __enter__(self) -> TorchWorker:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def pid(self) -> int | None:
        """The worker process's id; None while there is none."""
        return None if self._process is None else self._process.pid

    def start(self) -> None:
        """Start the worker now (it starts on the first run otherwise); waits until it's ready."""
        with self._run_lock:
            self._begin()
            try:
                self._ensure_worker()
            finally:
                self._end()

    def run(
        self,
        design: Design | str,
        settings: MeasureSettings,
        *,
        on_progress: Callable[[Progress], None] | None = None,
        timeout_s: float | None = None,
    ) -> list[BatchResult]:
        """Compile ``design`` (a ``Design`` or its file text) in the worker and time its forward
        pass (``settings.mode`` "forward"; ``train`` times training steps).

        ``on_progress`` is called in this thread as progress arrives. ``timeout_s`` counts from
        when the worker is ready. Raises what ``measure_forward`` raises (same types, same
        messages), the compiler's errors as ``RunError``s whose message is the compiler's,
        ``WorkerCrashedError``, ``RunTimeoutError`` or ``RunCancelledError``.
        """
        if settings.mode != "forward":
            raise ValueError(f"run measures forward passes; train measures mode '{settings.mode}'")
        return self._measure(design, settings, on_progress, timeout_s)

    def train(
        self,
        design: Design | str,
        settings: MeasureSettings,
        *,
        on_progress: Callable[[Progress], None] | None = None,
        timeout_s: float | None = None,
    ) -> list[TrainResult]:
        """As ``run``, for training steps (``settings.mode`` "train"): raises what
        ``measure_train_step`` raises."""
        if settings.mode != "train":
            raise ValueError(f"train measures training steps, not mode '{settings.mode}'")
        return self._measure(design, settings, on_progress, timeout_s)

    def max_batch(
        self,
        design: Design | str,
        settings: MeasureSettings,
        *,
        cap: int | None = None,
        on_progress: Callable[[Progress], None] | None = None,
        timeout_s: float | None = None,
    ) -> MaxBatchResult:
        """The largest batch size (up to ``cap``; None for the search's default) that a step of
        ``settings.mode`` fits on ``settings.device``, searched in the worker: raises what
        ``find_max_batch`` raises, and the worker's errors as ``run`` does."""
        request = MaxBatchRequest(_design_text(design), settings, cap)
        answer = self._exchange(request, on_progress, timeout_s)
        if not isinstance(answer, MaxBatchResult):
            raise RunError("the worker sent an unexpected answer to a max-batch search")
        return answer

    def block_costs(
        self,
        design: Design | str,
        settings: MeasureSettings,
        *,
        repeats: int | None = None,
        on_progress: Callable[[Progress], None] | None = None,
        timeout_s: float | None = None,
    ) -> CostReport:
        """Every block's FLOPs, parameters, activation memory and measured time at the one
        batch size of ``settings`` in ``settings.mode``, measured in the worker (``repeats``
        runs; None for the default): raises what ``measure_block_costs`` raises, and the
        worker's errors as ``run`` does."""
        request = BlockCostsRequest(_design_text(design), settings, repeats)
        answer = self._exchange(request, on_progress, timeout_s)
        if not isinstance(answer, CostReport):
            raise RunError("the worker sent an unexpected answer to a per-block measurement")
        return answer

    def _measure(
        self,
        design: Design | str,
        settings: MeasureSettings,
        on_progress: Callable[[Progress], None] | None,
        timeout_s: float | None,
    ) -> list[Any]:
        request = RunRequest(_design_text(design), settings)
        results = self._exchange(request, on_progress, timeout_s)
        if not isinstance(results, list):
            raise RunError("the worker sent an unexpected answer to a run")
        return results

    def analyse(
        self, design: Design | str, origin: str | None = None, *, timeout_s: float | None = None
    ) -> ModelAnalysis:
        """``analyse_design`` in the worker (``design`` a ``Design`` or its file text): raises
        the compiler's errors as ``RunError``s whose message is the compiler's."""
        request = AnalyseRequest(_design_text(design), origin)
        answer = self._exchange(request, None, timeout_s)
        if not isinstance(answer, ModelAnalysis):
            raise RunError("the worker sent an unexpected answer to an analysis")
        return answer

    def export(
        self,
        design: Design | str,
        target: ExportTarget,
        *,
        timeout_s: float | None = None,
    ) -> list[str]:
        """Compile ``design`` (a ``Design`` or its file text) and write an export in the worker
        (real weights take real memory: an out-of-memory there can't take the caller down);
        returns the paths written."""
        answer = self._exchange(ExportRequest(_design_text(design), target), None, timeout_s)
        if not isinstance(answer, list):
            raise RunError("the worker sent an unexpected answer to an export")
        return [str(path) for path in answer]

    def devices(self, *, timeout_s: float | None = None) -> list[DeviceInfo]:
        """The devices torch sees in the worker: the CPU, each CUDA GPU by name, MPS."""
        answer = self._exchange(DevicesRequest(), None, timeout_s)
        if not isinstance(answer, list):
            raise RunError("the worker sent an unexpected answer to a device query")
        return answer

    def _exchange(
        self,
        request: object,
        on_progress: Callable[[Progress], None] | None,
        timeout_s: float | None,
    ) -> object:
        closes = self._closes
        with self._run_lock:
            if self._closes != closes:
                raise RunCancelledError("the worker was closed before the request's turn came")
            self._begin()
            try:
                connection = self._ensure_worker()
                connection.send(request)
                deadline = None if timeout_s is None else time.monotonic() + timeout_s
                while True:
                    kind, payload = self._receive(deadline, timeout_s)
                    if kind == "progress" and isinstance(payload, Progress):
                        if on_progress is not None:
                            on_progress(payload)
                    elif kind == "result":
                        return payload
                    elif kind == "error":
                        raise rebuild_error(payload)  # type: ignore[arg-type]
                    else:
                        raise RunError(f"the worker sent an unexpected message ({kind})")
            except RunError:
                raise
            except BaseException:  # a callback's error, Ctrl-C: the worker's state is unknown
                self._discard()
                raise
            finally:
                self._end()

    def cancel(self) -> None:
        """Stop the run in progress, if any: its worker is terminated and ``run`` raises
        ``RunCancelledError``. Safe to call from any thread."""
        with self._state_lock:
            if not self._running:
                return
            self._cancelled = True  # a worker about to start is not started (_ensure_worker)
            process = self._process
        if process is None:
            return
        logger.info("cancelling the run: terminating worker %s", process.pid)
        process.terminate()

    def close(self) -> None:
        """Stop the worker (asking first, then terminating it); requests waiting for their turn
        are cancelled; a later run starts a new one."""
        with self._state_lock:
            self._closes += 1
        self.cancel()
        with self._run_lock:
            if self._connection is not None and self._process is not None:
                with contextlib.suppress(OSError, ValueError):  # it's gone already
                    self._connection.send(None)
                self._process.join(STOP_GRACE_S)
            self._discard()

    def _begin(self) -> None:
        with self._state_lock:
            self._running = True
            self._cancelled = False

    def _end(self) -> None:
        with self._state_lock:
            self._running = False
            self._cancelled = False

    def _ensure_worker(self) -> Connection:
        if self._process is not None and self._connection is not None:
            if self._process.is_alive():
                return self._connection
            self._discard()
        ours, theirs = self._context.Pipe()
        process = self._context.Process(
            target=worker_main,
            args=(theirs, self._log_level),
            name="torch-designer-worker",
            daemon=True,
        )
        with self._state_lock:
            if self._cancelled:
                ours.close()
                theirs.close()
                raise RunCancelledError("the run was cancelled")
            process.start()
            self._process, self._connection = process, ours
        theirs.close()
        kind, payload = self._receive(time.monotonic() + STARTUP_TIMEOUT_S, STARTUP_TIMEOUT_S)
        if kind != "ready":
            self._discard()
            raise RunError(f"the worker sent an unexpected message ({kind}) while starting")
        logger.info("torch worker %s ready", payload)
        return ours

    def _receive(self, deadline: float | None, timeout_s: float | None) -> tuple[str, object]:
        """The worker's next message; a crash, the deadline or a cancel raise instead."""
        process, connection = self._process, self._connection
        assert process is not None and connection is not None
        while True:
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready = wait([connection, process.sentinel], remaining)
            if connection in ready:
                try:
                    message: tuple[str, object] = connection.recv()
                except (EOFError, OSError):
                    pass  # it died: the sentinel tells how
                else:
                    return message
            if self._cancelled:
                self._discard()
                raise RunCancelledError("the run was cancelled")
            if ready:
                process.join(STOP_GRACE_S)
                description = _exit_description(process.exitcode)
                self._discard()
                raise WorkerCrashedError(
                    f"the worker process died ({description}); the next run starts a new one"
                )
            if deadline is not None and time.monotonic() >= deadline:
                self._discard()
                raise RunTimeoutError(
                    f"the run took longer than {timeout_s:g} s and was stopped; the next run "
                    "starts a new worker"
                )

    def _discard(self) -> None:
        """Terminate the worker, if there is one, and wait for it: no zombies."""
        with self._state_lock:
            process, connection = self._process, self._connection
            self._process = self._connection = None
        if process is not None:
            if process.is_alive():
                process.terminate()
                process.join(STOP_GRACE_S)
            if process.is_alive():
                process.kill()
            process.join()
            process.close()
        if connection is not None:
            connection.close()


def _design_text(design: Design | str) -> str:
    return design if isinstance(design, str) else dumps_design(design)


def _exit_description(exitcode: int | None) -> str:
    if exitcode is None:
        return "exit status unknown"
    if exitcode < 0:
        try:
            return f"killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"killed by signal {-exitcode}"
    return f"exit code {exitcode}"
