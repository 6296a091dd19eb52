"""A warm import worker: a spawned process that imports torch and the importer (and traces a
tiny model once) before it is needed, then serves exactly one import and ends.

Importing torch takes a child 1-2 s, and the first trace pays for torch's lazy set-up; a worker
started while the app is idle has both behind it when the user asks for an import. It serves
one request only: the model's code runs in it and may leave anything behind (modules in
``sys.modules``, global state, threads), so every import gets a fresh process. Its parent may
kill it at any time (Cancel, the time limit).

The protocol, on one duplex pipe: the worker sends ``READY`` once warm; the parent sends one
``ImportRequest``; the worker answers as ``loading.answer_import`` does.
"""

from __future__ import annotations

import logging
import multiprocessing
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

from designer.importer.loading import (
    DEFAULT_TIMEOUT,
    ImportRequest,
    ImportResult,
    answer_import,
    ended_before_answering,
    result_of,
    took_too_long,
)
from designer.importer.report import ImportFailedError

log = logging.getLogger(__name__)

READY = ("ready",)
"""What a worker sends once torch and the importer are loaded."""
_JOIN_S = 2.0
_ANSWER_GRACE_S = 10.0
"""How long a worker that closed its end of the pipe gets to exit, so its exit code is known."""


def serve_one(connection: Connection) -> None:
    """The worker process: warm up, say so, then answer one request (none: the parent went)."""
    _import_torch()
    if not connection.poll():  # no request waiting yet: time to trace once, ahead of it
        _trace_once()
    try:
        connection.send(READY)
        request = connection.recv()
    except (EOFError, OSError):
        return
    answer_import(request, connection)


def _import_torch() -> None:
    from designer.torch_noise import quiet_torch_imports

    quiet_torch_imports()
    import torch  # noqa: F401  # the point: imported before the request comes

    from designer.importer import mapping, tracing  # noqa: F401


def _trace_once() -> None:
    """Trace a three-layer model once, on meta: the first trace pays for torch's set-up."""
    import torch
    from torch import nn

    from designer.importer.loading import model_to_design

    try:
        with torch.device("meta"):
            tiny = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU())
        model_to_design(tiny, (1, 3, 8, 8))
    except Exception:  # only a head start: the real import reports whatever is wrong
        log.exception("warming the import worker up failed")


@dataclass(slots=True)
class ImportWorker:
    """The parent's handle on one worker process."""

    process: BaseProcess
    connection: Connection
    warm: bool = False

    @classmethod
    def start(cls) -> ImportWorker:
        context = multiprocessing.get_context("spawn")
        mine, theirs = context.Pipe(duplex=True)
        process = context.Process(
            target=serve_one, args=(theirs,), name="import-worker", daemon=True
        )
        process.start()
        theirs.close()
        log.info("import worker started (pid %s)", process.pid)
        return cls(process, mine)

    @property
    def pid(self) -> int | None:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.is_alive()

    def is_ready(self) -> bool:
        """Whether it has said it is warm (reads that message; never blocks)."""
        if not self.warm:
            try:
                if self.connection.poll():
                    self.warm = self.connection.recv() == READY
            except (EOFError, OSError):
                return False
        return self.warm

    def send(self, request: ImportRequest) -> None:
        """Hand it the import; ``OSError`` (a broken pipe) when it has ended."""
        self.connection.send(request)

    def answer(self) -> object | None:
        """Its answer if one has come (the ``READY`` greeting is skipped); ``EOFError`` when
        it ended without one. Never blocks."""
        while self.connection.poll():
            message: object = self.connection.recv()
            if message == READY:
                self.warm = True
                continue
            return message
        return None

    def stop(self) -> None:
        """Kill it now (it may be running the model's code) and reap it."""
        if self.process.is_alive():
            self.process.kill()
        self.process.join(_JOIN_S)
        self.connection.close()


def import_model(request: ImportRequest, timeout: float = DEFAULT_TIMEOUT) -> ImportResult:
    """The import in a fresh worker, waited for (the CLI's way; the app polls its own):
    ``ImportFailedError`` with one line when it can't be done. The worker is stopped either
    way."""
    worker = ImportWorker.start()  # the request is waiting when it is warm: no warm-up trace
    try:
        worker.send(request)
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0 and worker.connection.poll(left):
            answer = worker.answer()  # None after the READY greeting
            if answer is not None:
                return result_of(answer)
        raise ImportFailedError(took_too_long(request.source, timeout))
    except (EOFError, OSError):
        worker.process.join(_ANSWER_GRACE_S)
        raise ImportFailedError(ended_before_answering(worker.process.exitcode)) from None
    finally:
        worker.stop()
