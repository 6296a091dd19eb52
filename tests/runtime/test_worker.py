"""The worker process: results, reuse, progress, and every way a run can end badly (CPU)."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from designer.graph import Design, dumps_design, load_design
from designer.runtime import (
    MeasurementError,
    MeasureSettings,
    Progress,
    RunCancelledError,
    RunError,
    RunTimeoutError,
    RuntimeSettingsError,
    TooLargeError,
    TorchWorker,
    WorkerCrashedError,
)
from designer.runtime.worker_process import rebuild_error, report_error
from tests.paths import DATA, EXAMPLES

QUICK = {"device": "cpu", "warmup": 1, "min_run_time": 0.02, "max_run_time": 0.2}
LONG = {"device": "cpu", "warmup": 1, "min_run_time": 60.0, "max_run_time": 60.0}
"""A run that goes on for a minute unless something stops it."""


@pytest.fixture(scope="module")
def worker() -> Iterator[TorchWorker]:
    with TorchWorker() as bench_worker:
        bench_worker.start()
        yield bench_worker


@pytest.fixture(scope="module")
def lenet() -> Design:
    return load_design(EXAMPLES / "lenet5.json")


def _settings(base: dict[str, Any], **changes: Any) -> MeasureSettings:
    return MeasureSettings(**{**base, **changes})


def test_results_come_back_with_every_field(worker: TorchWorker, lenet: Design) -> None:
    design = lenet
    results = worker.run(design, _settings(QUICK, batches=(1, 4)))
    assert [result.batch for result in results] == [1, 4]
    for result in results:
        assert result.device == "cpu"
        assert result.device_name == "CPU"
        assert 0 < result.p10_s <= result.median_s <= result.p90_s
        assert result.runs > 0
        assert result.throughput == pytest.approx(result.batch / result.median_s)
        assert result.flops > 0
        assert result.parameter_bytes > 0
        assert result.compile_s is None
    assert results[1].flops == 4 * results[0].flops


def test_the_worker_is_reused_and_progress_arrives_in_order(
    worker: TorchWorker, lenet: Design
) -> None:
    design = lenet
    worker.run(design, _settings(QUICK))
    pid = worker.pid
    seen: list[Progress] = []
    worker.run(design, _settings(QUICK, batches=(2, 3)), on_progress=seen.append)
    assert worker.pid == pid
    assert [(p.stage, p.batch, p.done, p.total) for p in seen] == [
        ("measuring", 2, 0, 2),
        ("measured", 2, 1, 2),
        ("measuring", 3, 1, 2),
        ("measured", 3, 2, 2),
    ]


@pytest.mark.parametrize(
    ("changes", "message"),
    [({"batches": (0,)}, "batch size 0"), ({"device": "tpu"}, "tpu")],
)
def test_settings_errors_come_back_as_themselves(
    worker: TorchWorker,
    lenet: Design,
    changes: dict[str, Any],
    message: str,
) -> None:
    design = lenet
    pid = worker.pid
    with pytest.raises(RuntimeSettingsError, match=message):
        worker.run(design, _settings(QUICK, **changes))
    assert worker.pid == pid  # a refusal leaves the worker as it was


def test_a_run_takes_the_design_as_its_file_text(worker: TorchWorker, lenet: Design) -> None:
    (result,) = worker.run(dumps_design(lenet), _settings(QUICK))
    assert result.batch == 1 and result.median_s > 0


def test_a_design_the_worker_cannot_compile_is_the_compilers_message(
    worker: TorchWorker,
) -> None:
    design = load_design(DATA / "seed_final_buggy.json")
    pid = worker.pid
    with pytest.raises(RunError, match="shape error") as caught:
        worker.run(design, _settings(QUICK))
    assert "Traceback" not in caught.value.message
    assert worker.pid == pid


def test_a_design_too_large_is_refused_with_the_estimate(worker: TorchWorker) -> None:
    # 200,000 x 200,000 float32 weights: 160 GB, estimated on meta, never allocated
    design = Design("Huge")
    source = design.add_block("input", name="x", params={"shape": [1, 200_000]}).id
    layer = design.add_block("linear", name="fc", params={"out_features": 200_000}).id
    design.connect(source, layer)
    design.connect(layer, design.add_block("output", name="out").id)
    with pytest.raises(TooLargeError, match="needs about") as caught:
        worker.run(design, _settings(QUICK))
    assert caught.value.batch == 1
    assert caught.value.estimate_bytes > caught.value.available_bytes > 0


def test_errors_survive_the_trip_as_their_types() -> None:
    too_large = TooLargeError("big", batch=3, estimate_bytes=10, available_bytes=5)
    rebuilt = rebuild_error(report_error(too_large))
    assert isinstance(rebuilt, TooLargeError)
    assert (rebuilt.message, rebuilt.batch, rebuilt.estimate_bytes) == ("big", 3, 10)
    out_of_memory = rebuild_error(report_error(MeasurementError("out of memory", batch=8)))
    assert isinstance(out_of_memory, MeasurementError)
    assert (out_of_memory.message, out_of_memory.batch) == ("out of memory", 8)
    other = rebuild_error(report_error(ValueError("odd")))
    assert isinstance(other, MeasurementError)
    assert other.message == "the run failed: ValueError: odd"


def _call_when_measuring(action: Any) -> Any:
    """A progress callback that runs ``action`` (once) when the first batch starts timing."""

    def on_progress(progress: Progress) -> None:
        if progress.stage == "measuring" and progress.done == 0:
            action()

    return on_progress


def test_a_killed_worker_is_a_crash_and_the_next_run_gets_a_new_one(
    worker: TorchWorker, lenet: Design
) -> None:
    design = lenet
    pid = worker.pid
    assert pid is not None
    kill = _call_when_measuring(lambda: os.kill(pid, signal.SIGKILL))
    with pytest.raises(WorkerCrashedError, match="SIGKILL"):
        worker.run(design, _settings(LONG), on_progress=kill)
    assert worker.pid is None
    worker.run(design, _settings(QUICK))
    assert worker.pid not in (None, pid)


def test_a_run_past_its_timeout_is_stopped(worker: TorchWorker, lenet: Design) -> None:
    design = lenet
    worker.start()
    pid = worker.pid
    started = time.monotonic()
    with pytest.raises(RunTimeoutError, match="longer than 1 s"):
        worker.run(design, _settings(LONG), timeout_s=1.0)
    assert time.monotonic() - started < 10
    assert pid is not None and not _alive(pid)
    assert len(worker.run(design, _settings(QUICK))) == 1


def test_cancel_from_another_thread_stops_the_run_quickly(
    worker: TorchWorker, lenet: Design
) -> None:
    design = lenet
    worker.start()
    pid = worker.pid
    cancelled_at: list[float] = []

    def cancel_soon() -> None:
        def cancel() -> None:
            cancelled_at.append(time.monotonic())
            worker.cancel()

        threading.Timer(0.2, cancel).start()

    with pytest.raises(RunCancelledError):
        worker.run(design, _settings(LONG), on_progress=_call_when_measuring(cancel_soon))
    assert time.monotonic() - cancelled_at[0] < 5
    assert pid is not None and not _alive(pid)
    assert len(worker.run(design, _settings(QUICK))) == 1


def test_cancel_without_a_run_does_nothing(worker: TorchWorker) -> None:
    worker.start()
    pid = worker.pid
    worker.cancel()
    assert worker.pid == pid


def test_close_stops_the_worker() -> None:
    bench_worker = TorchWorker()
    bench_worker.start()
    pid = bench_worker.pid
    bench_worker.close()
    assert bench_worker.pid is None
    assert pid is not None and not _alive(pid)


def _alive(pid: int) -> bool:
    """Whether a process with ``pid`` exists (a zombie counts: it wasn't joined)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
