"""The worker process's side of ``TorchWorker``: it receives runs as plain data, measures them
and sends back progress, results and errors.

Every request carries the design as its file text, and the worker compiles it exactly once per
request: the caller need not compile (the app's window never does), and what runs is always what
the design says.

Messages to the worker: a ``RunRequest``, ``MaxBatchRequest``, ``BlockCostsRequest``,
``AnalyseRequest`` or ``ExportRequest``, or None to stop. Messages back: ``("ready", pid)``
once torch is imported, then per request any number of ``("progress", Progress)`` and one of
``("result", ...)`` (a list of ``BatchResult``, or of ``TrainResult`` in train mode, a
``MaxBatchResult``, a ``ModelAnalysis``, a ``CostReport`` for a ``BlockCostsRequest``, or the
list of paths an export wrote) or ``("error", ErrorReport)``.
"""

from __future__ import annotations

import logging
import os
import signal
import warnings
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any, Protocol

from designer.runtime.errors import (
    MeasurementError,
    RunError,
    RuntimeSettingsError,
    TooLargeError,
)
from designer.runtime.settings import MeasureSettings

if TYPE_CHECKING:
    from designer.runtime.results import Progress

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RunRequest:
    design_json: str
    """The design as its file text (``dumps_design``): the worker compiles it, once."""
    settings: MeasureSettings


@dataclass(frozen=True, slots=True)
class MaxBatchRequest:
    """The largest batch size a step of ``settings.mode`` fits (``max_batch.find_max_batch``)."""

    design_json: str
    settings: MeasureSettings
    cap: int | None = None
    """The largest batch size to try; None for the search's default."""


@dataclass(frozen=True, slots=True)
class BlockCostsRequest:
    """Every block's cost at ``settings.batches``' one batch size (``per_block``)."""

    design_json: str
    settings: MeasureSettings
    repeats: int | None = None
    """Hooked runs whose medians are reported; None for the default."""


@dataclass(frozen=True, slots=True)
class AnalyseRequest:
    design_json: str
    origin: str | None = None
    """The design's file name, quoted in the source's header."""


@dataclass(frozen=True, slots=True)
class DevicesRequest:
    """Which devices the worker's torch sees (asking there keeps CUDA out of the caller)."""


@dataclass(frozen=True, slots=True)
class ExportTarget:
    format: str
    """``py``, ``onnx`` or ``pt2``."""
    path: str
    weights: bool = False
    """With ``py``: also write freshly initialised weights beside it."""
    origin: str | None = None


@dataclass(frozen=True, slots=True)
class ExportRequest:
    design_json: str
    target: ExportTarget


@dataclass(frozen=True, slots=True)
class ErrorReport:
    """An exception as plain data: the runtime's errors are rebuilt as their own types."""

    kind: str
    """The exception's class name."""
    message: str
    fields: dict[str, int | None] = field(default_factory=dict)


def report_error(error: BaseException) -> ErrorReport:
    if isinstance(error, TooLargeError):
        fields: dict[str, int | None] = {
            "batch": error.batch,
            "estimate_bytes": error.estimate_bytes,
            "available_bytes": error.available_bytes,
        }
        return ErrorReport("TooLargeError", error.message, fields)
    if isinstance(error, MeasurementError):
        return ErrorReport("MeasurementError", error.message, {"batch": error.batch})
    if isinstance(error, RunError):
        return ErrorReport(type(error).__name__, error.message)
    return ErrorReport(type(error).__name__, str(error))


def rebuild_error(report: ErrorReport) -> RunError:
    """The error the worker raised, as the caller should see it.

    The runtime's own errors keep their type and fields; anything else (a bug, an error torch
    raised that isn't about memory) becomes a ``MeasurementError`` naming its type.
    """
    fields = report.fields
    if report.kind == "TooLargeError":
        return TooLargeError(
            report.message,
            batch=int(fields["batch"] or 0),
            estimate_bytes=int(fields["estimate_bytes"] or 0),
            available_bytes=int(fields["available_bytes"] or 0),
        )
    if report.kind == "MeasurementError":
        return MeasurementError(report.message, batch=fields.get("batch"))
    if report.kind == "RuntimeSettingsError":
        return RuntimeSettingsError(report.message)
    if report.kind == "RunError" or report.kind in _COMPILER_ERRORS:
        return RunError(report.message)  # already written for the user
    return MeasurementError(f"the run failed: {report.kind}: {report.message}", batch=None)


_COMPILER_ERRORS = frozenset(
    {
        "CompileError",
        "ShapeCheckError",
        "UnsafeSourceError",
        "GeneratedCodeError",
        "ModelRunError",
        "MissingExtraError",
    }
)


def worker_main(connection: Connection, log_level: int) -> None:
    """The worker's loop: one run at a time until told to stop or the caller goes away."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the caller's to handle
    _quiet(log_level)
    import torch  # noqa: F401  (imported before "ready": a run starts without the wait)

    connection.send(("ready", os.getpid()))
    while True:
        try:
            request = connection.recv()
        except (EOFError, OSError):
            return  # the caller went away
        if request is None:
            return
        try:
            results = answer_request(request, connection)
        except Exception as error:
            logger.debug("run failed", exc_info=True)
            connection.send(("error", report_error(error)))
        else:
            connection.send(("result", results))


class Sender(Protocol):
    """Where progress goes: the worker's end of the pipe."""

    def send(self, obj: Any) -> None: ...


def answer_request(request: object, connection: Sender) -> object:
    """The answer to one request (compiling its design exactly once); progress goes to
    ``connection`` as it happens."""
    if isinstance(request, RunRequest):
        return _run(request, connection)
    if isinstance(request, MaxBatchRequest):
        return _max_batch(request, connection)
    if isinstance(request, BlockCostsRequest):
        return _block_costs(request, connection)
    if isinstance(request, AnalyseRequest):
        return _analyse(request)
    if isinstance(request, ExportRequest):
        return _export(request)
    if isinstance(request, DevicesRequest):
        from designer.runtime.devices import available_devices

        return available_devices()
    raise RunError(f"the worker can't handle a {type(request).__name__}")


def _analyse(request: AnalyseRequest) -> object:
    from designer.compiler.analysis import analyse_design
    from designer.graph import loads_design

    return analyse_design(loads_design(request.design_json), request.origin)


def _export(request: ExportRequest) -> list[str]:
    from pathlib import Path

    from designer.compiler import compile_design
    from designer.compiler.export import export_design
    from designer.graph import loads_design

    design = loads_design(request.design_json)
    target = request.target
    compiled = compile_design(design, target.origin)
    written = export_design(compiled, design, target.format, Path(target.path), target.weights)
    return [str(path) for path in written]


def _run(request: RunRequest, connection: Sender) -> object:
    from designer.compiler import compile_design
    from designer.graph import loads_design
    from designer.runtime.measure import measure_forward

    design = loads_design(request.design_json)
    compiled = compile_design(design)

    def send_progress(progress: Progress) -> None:
        connection.send(("progress", progress))

    if request.settings.mode == "train":
        from designer.runtime.train_step import measure_train_step

        return measure_train_step(compiled, design, request.settings, send_progress)
    return measure_forward(compiled, design, request.settings, on_progress=send_progress)


def _max_batch(request: MaxBatchRequest, connection: Sender) -> object:
    from designer.compiler import compile_design
    from designer.graph import loads_design
    from designer.runtime.max_batch import MAX_BATCH_CAP, find_max_batch

    design = loads_design(request.design_json)
    compiled = compile_design(design)

    def send_progress(progress: Progress) -> None:
        connection.send(("progress", progress))

    cap = MAX_BATCH_CAP if request.cap is None else request.cap
    return find_max_batch(compiled, design, request.settings, cap=cap, on_progress=send_progress)


def _block_costs(request: BlockCostsRequest, connection: Sender) -> object:
    from designer.compiler import compile_design
    from designer.graph import loads_design
    from designer.runtime.per_block import DEFAULT_REPEATS, measure_block_costs
    from designer.runtime.results import Progress

    design = loads_design(request.design_json)
    compiled = compile_design(design)
    batch = request.settings.batches[0] if request.settings.batches else 1
    connection.send(("progress", Progress("measuring", batch, 0, 1)))
    repeats = DEFAULT_REPEATS if request.repeats is None else request.repeats
    report = measure_block_costs(compiled, design, request.settings, repeats)
    connection.send(("progress", Progress("measured", batch, 1, 1)))
    return report


def _quiet(log_level: int) -> None:
    """The caller's log level; torch's warnings and log lines only when debugging."""
    logging.basicConfig(level=log_level, format="%(levelname)s %(name)s (worker): %(message)s")
    if log_level > logging.DEBUG:
        logging.getLogger("torch").setLevel(logging.CRITICAL)
        warnings.simplefilter("ignore")
    else:
        logging.captureWarnings(True)
