"""The worker's other requests: model analysis, exports and the device list (CPU only)."""

from __future__ import annotations

import threading
import time
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from designer.compiler.analysis import analyse_design
from designer.graph import Design, load_design
from designer.runtime import RunCancelledError, RunError, TorchWorker
from designer.runtime.worker_process import ExportTarget
from tests.exported import check_pt2_export, check_py_export
from tests.paths import DATA, EXAMPLES


@pytest.fixture(scope="module")
def worker() -> Iterator[TorchWorker]:
    worker = TorchWorker()
    try:
        yield worker
    finally:
        worker.close()
        assert worker.pid is None


def example(name: str) -> Design:
    return load_design(EXAMPLES / f"{name}.json")


@pytest.mark.parametrize("name", ["seed_final", "resnet_small"])
def test_analysis_in_the_worker_is_the_one_in_process(worker: TorchWorker, name: str) -> None:
    design = example(name)
    answer = worker.analyse(design, f"{name}.json")
    assert answer == analyse_design(design, f"{name}.json")
    assert f"{name}.json" in answer.source.splitlines()[0]


def test_the_worker_is_reused_between_analyses(worker: TorchWorker) -> None:
    worker.analyse(example("lenet5"))
    pid = worker.pid
    assert pid is not None
    worker.analyse(example("seed_sequential"))
    assert worker.pid == pid


def test_an_analysis_with_shape_errors_raises_them(worker: TorchWorker) -> None:
    design = load_design(DATA / "seed_final_buggy.json")
    pid = worker.pid
    with pytest.raises(RunError) as raised:
        worker.analyse(design)
    message = raised.value.message
    assert "shape error" in message
    assert "decoder.dec_blocks" in message and "25088" in message
    assert "Traceback" not in message
    assert worker.pid == pid or pid is None  # a design's errors don't cost the worker
    assert worker.analyse(example("seed_final")).class_name  # and it answers the next one


def test_export_py(worker: TorchWorker, tmp_path: Path) -> None:
    design = example("seed_final")
    target = ExportTarget("py", str(tmp_path / "final.py"), origin="seed_final.json")
    written = worker.export(design, target)
    assert written == [str(tmp_path / "final.py")]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["final.py"]
    check_py_export(design, tmp_path / "final.py", None)


def test_export_py_with_weights(worker: TorchWorker, tmp_path: Path) -> None:
    design = example("resnet_small")
    target = ExportTarget("py", str(tmp_path / "resnet.py"), weights=True)
    written = worker.export(design, target)
    assert written == [str(tmp_path / "resnet.py"), str(tmp_path / "resnet.pt")]
    check_py_export(design, tmp_path / "resnet.py", tmp_path / "resnet.pt")


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_export_pt2(worker: TorchWorker, tmp_path: Path) -> None:
    design = example("resnet_small")
    written = worker.export(design, ExportTarget("pt2", str(tmp_path / "resnet.pt2")))
    assert written == [str(tmp_path / "resnet.pt2")]
    check_pt2_export(design, tmp_path / "resnet.pt2")


def test_export_of_a_design_with_shape_errors_writes_nothing(
    worker: TorchWorker, tmp_path: Path
) -> None:
    design = load_design(DATA / "seed_final_buggy.json")
    with pytest.raises(RunError, match="shape error"):
        worker.export(design, ExportTarget("py", str(tmp_path / "buggy.py")))
    assert list(tmp_path.iterdir()) == []


def test_export_to_an_unknown_format_is_refused(worker: TorchWorker, tmp_path: Path) -> None:
    with pytest.raises(RunError, match="unknown export format"):
        worker.export(example("lenet5"), ExportTarget("tflite", str(tmp_path / "m.tflite")))


def test_devices_include_the_cpu(worker: TorchWorker) -> None:
    devices = worker.devices()
    names = [device.name for device in devices]
    assert "cpu" in names
    assert names[0] == "cpu"
    assert all(device.description for device in devices)


def test_a_request_waiting_its_turn_when_the_worker_closes_is_cancelled() -> None:
    """Closing cancels the request in progress and those queued behind it: none of them may
    start a worker after the close (nobody would close that one)."""
    worker = TorchWorker()
    answers: dict[str, object] = {}

    def ask(name: str) -> None:
        try:
            answers[name] = worker.devices()
        except RunError as error:
            answers[name] = error

    first = threading.Thread(target=ask, args=("first",))
    first.start()
    deadline = time.monotonic() + 30
    while not worker._running and time.monotonic() < deadline:  # it holds the worker
        time.sleep(0.01)
    second = threading.Thread(target=ask, args=("second",))
    second.start()
    time.sleep(0.3)  # it waits for its turn
    worker.close()
    first.join(60)
    second.join(60)
    assert not first.is_alive() and not second.is_alive()
    assert isinstance(answers["second"], RunCancelledError), answers["second"]
    assert isinstance(answers["first"], list | RunCancelledError), answers["first"]
    assert worker.pid is None
    assert "cpu" in [device.name for device in worker.devices()]  # usable again
    worker.close()


def test_a_cancel_just_before_the_worker_process_starts_is_not_lost() -> None:
    worker = TorchWorker()
    context = worker._context

    def process(*args: Any, **kwargs: Any) -> Any:
        worker.cancel()  # as another thread would, between the request's start and the spawn
        return context.Process(*args, **kwargs)

    worker._context = types.SimpleNamespace(Pipe=context.Pipe, Process=process)  # type: ignore[assignment]
    try:
        with pytest.raises(RunCancelledError):
            worker.devices()
        assert worker.pid is None
    finally:
        worker.close()
