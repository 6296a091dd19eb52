"""The Benchmark panel's training mode and baseline: the mode with its optimizer and loss (kept
across starts, shared with Max batch), a training result per phase in the table and the chart,
failures in red, a killed worker replaced; Keep as baseline, ratios on later runs (another
design's too), a mismatch said plainly, Clear baseline."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from designer.graph import load_design
from designer.gui.main_window import MainWindow
from designer.gui.panels.bench_panel import BenchPanel, MaxBatchRunner, TrainRunner
from designer.runtime import BatchResult, MeasureSettings, Progress
from designer.runtime.results import PhaseTiming, TrainingMemory, TrainPhases, TrainResult
from tests.gui.conftest import make_window
from tests.gui.helpers import open_design, small_design
from tests.paths import EXAMPLES

RUN_TIMEOUT_MS = 120_000
SHOT = "/tmp/bench_train.png"


class FakeTrainRunner(TrainRunner):
    """Takes runs without a worker; the test ends them."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: list[MeasureSettings] = []

    def run(self, design_json: str, settings: MeasureSettings) -> bool:
        if self.running:
            return False
        self.asked.append(settings)
        self.running = True
        self.running_changed.emit(True)
        return True

    def end(self, results: list[TrainResult] | None, message: str = "") -> None:
        self._finish("", results, message)


class FakeSearch(MaxBatchRunner):
    def __init__(self) -> None:
        super().__init__()
        self.asked: list[MeasureSettings] = []

    def run(self, design_json: str, settings: MeasureSettings) -> bool:
        self.asked.append(settings)
        return True


def ms(median: float) -> PhaseTiming:
    return PhaseTiming(median / 1e3, median * 0.9 / 1e3, median * 1.2 / 1e3)


def trained(batch: int = 8, forward: float = 2.0, backward: float = 4.0) -> TrainResult:
    step = 0.5
    whole = forward + backward + step
    return TrainResult(
        batch=batch,
        device="cpu",
        device_name="CPU",
        dtype="fp32",
        channels_last=False,
        compiled=False,
        threads=2,
        optimizer="adamw",
        loss="mse",
        median_s=whole / 1e3,
        p10_s=whole * 0.9 / 1e3,
        p90_s=whole * 1.2 / 1e3,
        runs=50,
        throughput=batch / (whole / 1e3),
        compile_s=None,
        phases=TrainPhases(ms(forward), ms(backward), ms(step), runs=20),
        memory=TrainingMemory(1 << 20, 1 << 20, 2 << 20),
        estimated_bytes=9 << 20,
        peak_memory_bytes=None,
    )


@pytest.fixture
def fake(window: MainWindow, qtbot: QtBot) -> tuple[BenchPanel, FakeTrainRunner, FakeSearch]:
    train, search = FakeTrainRunner(), FakeSearch()
    panel = BenchPanel(
        window.document, window.model_docks.runner, max_batch_runner=search, train_runner=train
    )
    qtbot.addWidget(panel)
    panel.resize(1100, 420)
    return panel, train, search


def choose(panel: BenchPanel, mode: str, optimizer: str = "sgd", loss: str = "mse") -> None:
    panel.mode.setCurrentIndex(panel.mode.findData(mode))
    panel.optimizer.setCurrentIndex(panel.optimizer.findData(optimizer))
    panel.loss.setCurrentIndex(panel.loss.findData(loss))


def cells(panel: BenchPanel, column_title: str) -> list[str]:
    table = panel.table
    titles = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    if column_title not in titles:
        return []
    column = titles.index(column_title)
    return [table.item(row, column).text() for row in range(table.rowCount())]


def test_training_mode_runs_in_its_runner_and_shows_each_phase(
    window: MainWindow, fake: tuple[BenchPanel, FakeTrainRunner, FakeSearch], qtbot: QtBot
) -> None:
    panel, train, search = fake
    panel.show()
    open_design(window, small_design())
    assert panel.optimizer.isHidden() and panel.loss.isHidden()  # forward pass: not asked
    choose(panel, "train", "adamw", "cross_entropy")
    assert panel.optimizer.isVisible() and panel.loss.isVisible()
    panel.batches.setText("8")
    assert panel.start()
    (settings,) = train.asked
    assert (settings.mode, settings.optimizer, settings.loss, settings.batches) == (
        "train",
        "adamw",
        "cross_entropy",
        (8,),
    )
    assert not panel.run_button.isEnabled() and not panel.max_batch_button.isEnabled()
    assert not panel.start() and "already going" in panel.status.text()
    train.progress.emit(Progress("measuring", 8, 0, 1))
    assert panel.status.text() == "timing batch 8 (0 of 1 done)"
    train.end([trained()])
    assert panel.run_button.isEnabled()
    assert cells(panel, "phase") == ["whole step", "forward", "backward", "optimizer step"]
    assert cells(panel, "median ms") == ["6.500", "2.000", "4.000", "0.500"]
    assert cells(panel, "p10 ms")[1] == "1.800" and cells(panel, "p90 ms")[2] == "4.800"
    assert cells(panel, "of step")[2] == "61.5%"
    assert cells(panel, "vs baseline") == []  # no baseline yet
    assert panel.status.text() == (
        "Done on CPU (cpu), fp32, training step (adamw, mse). Training memory: parameters "
        "1.0 MiB, gradients 1.0 MiB, optimizer state 2.0 MiB."
    )
    bars = panel.chart.phase_sets
    assert list(bars) == ["forward", "backward", "optimizer step"]
    assert [bars["backward"].at(0)] == [4.0]
    assert panel.chart.categories == ["batch 8"]
    # Max batch fits the same step
    panel.max_batch_button.click()
    (searched,) = search.asked
    assert (searched.mode, searched.optimizer, searched.loss) == ("train", "adamw", "cross_entropy")


def test_a_baseline_gives_ratios_survives_another_design_and_clears(
    window: MainWindow, fake: tuple[BenchPanel, FakeTrainRunner, FakeSearch], qtbot: QtBot
) -> None:
    panel, train, _search = fake
    open_design(window, small_design())
    choose(panel, "train", "adamw")
    panel.batches.setText("8")
    assert not panel.keep_baseline_button.isEnabled()
    assert panel.start()
    train.end([trained()])
    assert panel.keep_baseline_button.click() is None and panel.baseline is not None
    assert cells(panel, "vs baseline") == ["x1.00 (same)"] * 4
    assert panel.baseline_label.text() == (
        "Baseline: Small training steps (adamw, mse) on CPU (cpu), fp32, batch 8."
    )
    # another design, its run compared with the kept one
    open_design(window, load_design(EXAMPLES / "lenet5.json"))
    assert panel.start()
    train.end([trained(forward=1.0, backward=5.0)])
    ratios = cells(panel, "vs baseline")
    assert ratios == ["x1.00 (same)", "x0.50 (faster)", "x1.25 (slower)", "x1.00 (same)"]
    column = [
        panel.table.horizontalHeaderItem(c).text() for c in range(panel.table.columnCount())
    ].index("vs baseline")
    assert panel.table.item(1, column).foreground().color().name() == "#1e8449"
    assert panel.table.item(2, column).foreground().color().name() == "#c0392b"
    assert "Note: the baseline is of Small, this run of LeNet5." in panel.baseline_label.text()
    assert panel.chart.categories == ["batch 8", "base 8"]
    assert panel.chart.phase_sets["forward"].at(1) == pytest.approx(2.0)
    panel.show()
    qtbot.waitExposed(panel)
    panel.grab().save(SHOT)
    # a run that can't be compared: said, no ratios
    panel.batches.setText("16")
    assert panel.start()
    train.end([trained(batch=16)])
    assert cells(panel, "vs baseline") == []
    assert "No ratios: these results differ in mode, device, dtype or batch size" in (
        panel.baseline_label.text()
    )
    assert "color" in panel.baseline_label.styleSheet()
    panel.clear_baseline_button.click()
    assert panel.baseline is None and panel.baseline_label.text() == ""
    assert not panel.clear_baseline_button.isEnabled()


def test_forward_results_get_a_ratio_next_to_the_median(
    window: MainWindow, fake: tuple[BenchPanel, FakeTrainRunner, FakeSearch]
) -> None:
    panel, _train, _search = fake
    open_design(window, small_design())
    panel._running_model = "Small"
    panel._finished("", [forward(0.010)])
    panel.keep_baseline()
    panel._finished("", [forward(0.008)])
    assert cells(panel, "vs baseline") == ["x0.80 (faster)"]
    titles = [panel.table.horizontalHeaderItem(c).text() for c in range(3)]
    assert titles == ["batch", "median ms", "vs baseline"]
    assert panel.chart.baseline_latency is not None
    assert panel.chart.baseline_latency.points()[0].y() == pytest.approx(10.0)


def forward(median_s: float) -> BatchResult:
    return BatchResult(
        batch=4,
        device="cpu",
        device_name="CPU",
        dtype="fp32",
        channels_last=False,
        compiled=False,
        threads=2,
        median_s=median_s,
        p10_s=median_s * 0.9,
        p90_s=median_s * 1.1,
        runs=100,
        throughput=4 / median_s,
        compile_s=None,
        flops=10**6,
        tflops=1e-4,
        peak_tflops=None,
        peak_share=None,
        parameter_bytes=1000,
        estimated_bytes=2000,
        peak_memory_bytes=None,
    )


def test_a_failed_training_run_is_red_and_the_panel_goes_on(
    window: MainWindow, fake: tuple[BenchPanel, FakeTrainRunner, FakeSearch]
) -> None:
    panel, train, _search = fake
    open_design(window, small_design())
    choose(panel, "train", loss="cross_entropy")
    assert panel.start()
    message = (
        "the cross_entropy loss needs an output of N x C (or N x C x ...) with class targets "
        "of N (or N x ...), but Small's output is 1x10x3; choose the mse or sum loss"
    )
    train.end(None, message)
    assert panel.status.text() == message and "color" in panel.status.styleSheet()
    assert panel.run_button.isEnabled() and panel.max_batch_button.isEnabled()
    assert panel.start()  # the next run is taken


def test_the_step_comes_back_after_a_restart(
    window: MainWindow, qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    choose(window.model_docks.bench_panel, "train", "adamw", "sum")
    window.settings.sync()
    restored = make_window(qtbot, tmp_path, monkeypatch).model_docks.bench_panel
    assert restored.step_choice() == ("train", "adamw", "sum")
    assert restored.step_text() == "training step (adamw, sum)"


def test_the_old_max_batch_step_setting_becomes_the_mode(
    window: MainWindow, qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window.settings.setValue("benchmark/max_batch_step", "train/adamw")
    window.settings.sync()
    restored = make_window(qtbot, tmp_path, monkeypatch).model_docks.bench_panel
    assert restored.step_choice() == ("train", "adamw", "mse")


def test_a_real_training_run_after_a_killed_worker_gets_a_fresh_one(
    window: MainWindow, qtbot: QtBot
) -> None:
    panel = window.model_docks.bench_panel
    runner = panel.train_runner
    try:
        open_design(window, load_design(EXAMPLES / "resnet_small.json"))
        choose(panel, "train", "sgd", "mse")
        panel.batches.setText("2")

        def kill(progress: Progress) -> None:
            assert runner._worker is not None and runner._worker.pid is not None
            os.kill(runner._worker.pid, signal.SIGKILL)

        runner.progress.connect(kill, Qt.ConnectionType.DirectConnection)
        assert panel.start()
        qtbot.waitUntil(lambda: not runner.running, timeout=RUN_TIMEOUT_MS)
        runner.progress.disconnect(kill)
        assert "worker process died" in panel.status.text(), panel.status.text()
        assert "color" in panel.status.styleSheet()
        # the next run gets a fresh worker
        open_design(window, small_design())
        choose(panel, "train", "adamw", "cross_entropy")
        panel.batches.setText("1")
        assert panel.start()
        qtbot.waitUntil(lambda: not runner.running, timeout=RUN_TIMEOUT_MS)
        assert panel.status.text().startswith(
            "Done on CPU (cpu), fp32, training step (adamw, cross_entropy)"
        ), panel.status.text()
        assert cells(panel, "phase") == ["whole step", "forward", "backward", "optimizer step"]
    finally:
        panel.close_workers()
