"""The Benchmark panel's Max batch: the settings it sends, the result it shows (stale after an
edit), failures in red, one run at a time; a real search in a worker (the window compiles
nothing), a worker killed mid-search reported and replaced, the step kept across starts (CPU)."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from designer.graph import load_design
from designer.graph.edits import SetParam
from designer.gui.main_window import MainWindow
from designer.gui.panels.bench_panel import BenchPanel, MaxBatchRunner
from designer.runtime import MeasureSettings, Progress
from designer.runtime.results import BatchTry, MaxBatchResult
from tests.gui.conftest import make_window
from tests.gui.helpers import block_id, open_design, small_design
from tests.paths import DATA, EXAMPLES
from tests.runtime.compile_spy import spy_on_compiles

SEARCH_TIMEOUT_MS = 120_000


class FakeRunner(MaxBatchRunner):
    """Takes searches without a worker; the test ends them."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: list[tuple[str, MeasureSettings]] = []

    def run(self, design_json: str, settings: MeasureSettings) -> bool:
        if self.running:
            return False
        self.asked.append((design_json, settings))
        self.running = True
        self.running_changed.emit(True)
        return True

    def end(self, result: MaxBatchResult | None, message: str = "") -> None:
        self._finish(self.asked[-1][0], result, message)


def found(batch: int = 2048) -> MaxBatchResult:
    return MaxBatchResult(
        batch=batch,
        cap=65536,
        capped=False,
        mode="train",
        device="cuda:0",
        device_name="NVIDIA H200",
        dtype="bf16",
        channels_last=False,
        optimizer="adamw",
        loss="mse",
        method="measured",
        confirmed=True,
        peak_memory_bytes=3 << 30,
        estimated_bytes=2 << 30,
        available_bytes=None,
        limit_bytes=None,
        tries=(BatchTry(batch, True, 3 << 30), BatchTry(batch + 1, False, None)),
    )


def choose_step(panel: BenchPanel, mode: str, optimizer: str = "sgd") -> None:
    """The step Run times and Max batch fits: the mode (and in training, the optimizer)."""
    panel.mode.setCurrentIndex(panel.mode.findData(mode))
    panel.optimizer.setCurrentIndex(panel.optimizer.findData(optimizer))


@pytest.fixture
def fake_panel(window: MainWindow, qtbot: QtBot) -> tuple[BenchPanel, FakeRunner]:
    runner = FakeRunner()
    panel = BenchPanel(window.document, window.model_docks.runner, max_batch_runner=runner)
    qtbot.addWidget(panel)
    return panel, runner


def test_the_search_gets_the_panels_settings_and_shows_its_result(
    window: MainWindow, fake_panel: tuple[BenchPanel, FakeRunner], qtbot: QtBot
) -> None:
    panel, runner = fake_panel
    open_design(window, small_design())
    choose_step(panel, "train", "adamw")
    panel.dtype.setCurrentText("bf16")
    panel.compile.setChecked(True)
    panel.max_batch_button.click()
    ((_design_json, settings),) = runner.asked
    assert (settings.mode, settings.optimizer, settings.loss, settings.dtype) == (
        "train",
        "adamw",
        "mse",
        "bf16",
    )
    assert settings.device == "auto" and not settings.compile
    assert "eagerly" in panel.status.text()
    # one at a time: neither Run nor another search while it goes
    assert not panel.max_batch_button.isEnabled() and not panel.run_button.isEnabled()
    assert panel.cancel_button.isEnabled() and not panel.progress.isHidden()
    assert not panel.start() and "already going" in panel.status.text()
    assert not panel.start_max_batch()
    runner.progress.emit(Progress("trying", 64, 6, 32))
    assert panel.status.text() == "trying batch 64 (6 tried)"
    assert (panel.progress.maximum(), panel.progress.value()) == (32, 6)
    runner.end(found())
    assert panel.max_batch_button.isEnabled() and panel.run_button.isEnabled()
    assert panel.progress.isHidden()
    assert panel.status.text() == "Largest batch found: 2,048."
    text = panel.max_batch_result.text()
    assert text.startswith(
        "Largest batch: 2,048, for a training step, adamw on NVIDIA H200 (cuda:0), bf16. "
        "Measured: a training step at each batch size tried on cuda:0"
    )
    assert "peak 3.0 GiB (max_memory_allocated), estimate 2.0 GiB" in text
    assert panel.max_batch is not None and panel.max_batch.batch == 2048
    assert panel.max_batch_result.isEnabled()
    conv = block_id(window, "conv")
    window.document.edit("Set out_channels", [SetParam(conv, "out_channels", 8)])
    qtbot.waitUntil(lambda: not panel.max_batch_result.isEnabled(), timeout=2000)
    window.actions_by_name["undo"].trigger()
    qtbot.waitUntil(panel.max_batch_result.isEnabled, timeout=2000)


def test_a_failed_search_is_shown_in_red_and_shape_errors_are_refused(
    window: MainWindow, fake_panel: tuple[BenchPanel, FakeRunner]
) -> None:
    panel, runner = fake_panel
    open_design(window, small_design())
    assert panel.start_max_batch()
    runner.end(None, "out of memory at batch 1 on cuda:0: not even one sample fits")
    assert panel.status.text() == "out of memory at batch 1 on cuda:0: not even one sample fits"
    assert "color" in panel.status.styleSheet()
    assert panel.max_batch_button.isEnabled()
    assert panel.max_batch_result.text() == ""
    open_design(window, load_design(DATA / "seed_final_buggy.json"))
    assert not panel.start_max_batch()
    assert "shape errors" in panel.status.text()
    assert len(runner.asked) == 1


def test_a_real_search_runs_in_a_worker_and_a_killed_one_is_replaced(
    window: MainWindow, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    window_compiles = spy_on_compiles(monkeypatch)
    panel = window.model_docks.bench_panel
    runner = panel.max_batch_runner
    try:
        # a worker killed as it confirms (resnet's step takes a while): a clear message
        open_design(window, load_design(EXAMPLES / "resnet_small.json"))
        choose_step(panel, "train", "sgd")

        def kill(progress: Progress) -> None:
            assert runner._worker is not None and runner._worker.pid is not None
            os.kill(runner._worker.pid, signal.SIGKILL)

        # in the search's thread, before it reads on: the worker is still mid-step
        runner.progress.connect(kill, Qt.ConnectionType.DirectConnection)
        assert panel.start_max_batch()
        qtbot.waitUntil(lambda: not runner.running, timeout=SEARCH_TIMEOUT_MS)
        runner.progress.disconnect(kill)
        text = panel.status.text()
        assert "worker process died" in text and "SIGKILL" in text, text
        assert "color" in panel.status.styleSheet()
        assert panel.max_batch_button.isEnabled()
        # the next search gets a fresh worker and finds the batch
        open_design(window, small_design())
        choose_step(panel, "forward")
        assert panel.start_max_batch()
        qtbot.waitUntil(lambda: not runner.running, timeout=SEARCH_TIMEOUT_MS)
        assert panel.status.text().startswith("Largest batch found: "), panel.status.text()
        assert panel.max_batch_result.text().startswith("Largest batch: ")
        assert "for a forward pass on CPU (cpu), fp32. Estimated from the design against" in (
            panel.max_batch_result.text()
        )
        assert panel.max_batch is not None and panel.max_batch.batch >= 1
        assert window_compiles == []  # the worker compiled; the window never did
    finally:
        panel.close_workers()
    assert runner._worker is None


def test_the_step_to_fit_comes_back_after_a_restart(
    window: MainWindow, qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    panel = window.model_docks.bench_panel
    choose_step(panel, "train", "adamw")
    window.settings.sync()
    second = make_window(qtbot, tmp_path, monkeypatch)
    restored = second.model_docks.bench_panel
    assert restored.step_choice() == ("train", "adamw", "mse")
    assert restored.step_text() == "training step (adamw, mse)"
