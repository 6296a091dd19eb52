"""One compile per answer: each request the worker answers compiles its design exactly once.

The worker's side runs here, in this process, so every ``compile_design`` call can be counted.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from designer.graph import dumps_design, load_design
from designer.runtime import MeasureSettings
from designer.runtime.worker_process import (
    AnalyseRequest,
    ExportRequest,
    ExportTarget,
    RunRequest,
    answer_request,
)
from tests.paths import EXAMPLES
from tests.runtime.compile_spy import spy_on_compiles

QUICK = MeasureSettings(device="cpu", batches=(1, 2), warmup=1, min_run_time=0.02, max_run_time=0.1)


class Sent:
    """A stand-in for the worker's end of the pipe: what was sent on it."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, object]] = []

    def send(self, message: tuple[str, object]) -> None:
        self.messages.append(message)


@pytest.fixture
def lenet_text() -> str:
    return dumps_design(load_design(EXAMPLES / "lenet5.json"))


def test_a_run_compiles_once_for_every_batch_size(
    monkeypatch: pytest.MonkeyPatch, lenet_text: str
) -> None:
    compiled = spy_on_compiles(monkeypatch)
    sent = Sent()
    results = answer_request(RunRequest(lenet_text, QUICK), sent)
    assert isinstance(results, list) and [result.batch for result in results] == [1, 2]
    assert len(compiled) == 1
    assert dumps_design(compiled[0]) == lenet_text
    assert [kind for kind, _ in sent.messages] == ["progress"] * 4


def test_an_analysis_compiles_once(monkeypatch: pytest.MonkeyPatch, lenet_text: str) -> None:
    compiled = spy_on_compiles(monkeypatch)
    answer_request(AnalyseRequest(lenet_text, "lenet5.json"), Sent())
    assert len(compiled) == 1


def test_an_export_compiles_once(
    monkeypatch: pytest.MonkeyPatch, lenet_text: str, tmp_path: Path
) -> None:
    compiled = spy_on_compiles(monkeypatch)
    target = ExportTarget("py", str(tmp_path / "lenet.py"), weights=True)
    written = answer_request(ExportRequest(lenet_text, target), Sent())
    assert written == [str(tmp_path / "lenet.py"), str(tmp_path / "lenet.pt")]
    assert len(compiled) == 1
