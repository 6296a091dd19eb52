"""The benchmark panel: what to time (a forward pass, or a training step with its optimizer and
loss), device, batch size or sweep, dtype, channels_last and torch.compile; Run and Cancel;
progress; a table of results and a chart (latency and throughput against batch size; a training
step's phases per batch size). Runs happen in a worker process; the last results stay until the
design changes, then they are marked stale. Max batch searches the largest batch the chosen step
fits on the device, in a worker process of its own, and shows it under the buttons.

Keep as baseline holds the shown results in the panel (not in the design: it outlives switching
designs); later runs of the same mode, device, dtype and batch size show each phase's ratio to
it ("x0.83 (faster)")."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TypeVar

from PySide6.QtCore import QCoreApplication, QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from designer.graph import dumps_design
from designer.graph.fileformat import model_content
from designer.gui.document import DesignDocument
from designer.gui.model_service import BenchRunner
from designer.gui.panels.bench_chart import BenchChart
from designer.gui.panels.ratio_text import ratio_colour
from designer.units import format_bytes

if TYPE_CHECKING:
    # the window imports no torch until it has to (designer.runtime imports it)
    from designer.runtime import BatchResult, DeviceInfo, MeasureSettings, Progress, TorchWorker
    from designer.runtime.baseline import Baseline, Comparison, Ratio
    from designer.runtime.results import MaxBatchResult, TrainResult

log = logging.getLogger(__name__)

DTYPE_CHOICES = ("fp32", "bf16", "fp16")
AUTO_DEVICE = "auto"
MAX_SWEEP = 16
MODES = (("Forward pass", "forward"), ("Training step", "train"))
OPTIMIZERS = (("SGD", "sgd"), ("AdamW", "adamw"))
LOSSES = (
    ("mse", "mse", "against a random target of the output's shape: fits any output"),
    ("cross_entropy", "cross_entropy", "class targets: the output must be N x C (or N x C x ...)"),
    ("sum", "sum", "the output summed: no target"),
)
DEFAULT_LOSS = "mse"
"""The panel's default: it fits any floating-point output, and holds about what cross_entropy
does (a tensor or two of the output's size)."""
MAX_BATCH_LOSS = DEFAULT_LOSS
"""The name others import (the per-block measurement); ``BenchPanel.step_choice`` has the
loss chosen now."""


class _OwnWorkerRunner(BenchRunner):
    """Requests in a worker of its own, one at a time. A worker that dies is reported through
    ``failed``; the next request starts a fresh one."""

    def _start(self, name: str, request: Callable[[TorchWorker], object], design_json: str) -> bool:
        if self.running:
            return False
        self.running = True
        self.running_changed.emit(True)
        if self._worker is None:
            from designer.runtime import TorchWorker

            self._worker = TorchWorker()
        worker = self._worker

        def job() -> None:
            from designer.runtime import RunError

            try:
                answer = request(worker)
            except RunError as error:  # a dead worker too, written for the user
                self._done.emit(design_json, None, error.message)
            except Exception as error:
                log.exception("%s failed", name)
                self._done.emit(design_json, None, f"{type(error).__name__}: {error}")
            else:
                self._done.emit(design_json, answer, "")

        threading.Thread(target=job, name=name, daemon=True).start()
        return True


class MaxBatchRunner(_OwnWorkerRunner):
    """Max-batch searches; ``finished`` carries a ``MaxBatchResult``."""

    def run(self, design_json: str, settings: MeasureSettings) -> bool:
        """Start a search; False when one is already going."""
        return self._start(
            "max-batch-search",
            lambda worker: worker.max_batch(
                design_json, settings, on_progress=self._progress_from_thread
            ),
            design_json,
        )


class TrainRunner(_OwnWorkerRunner):
    """Timed training steps; ``finished`` carries a list of ``TrainResult``."""

    def run(self, design_json: str, settings: MeasureSettings) -> bool:
        """Start a run; False when one is already going."""
        return self._start(
            "training-run",
            lambda worker: worker.train(
                design_json, settings, on_progress=self._progress_from_thread
            ),
            design_json,
        )


class BenchPanel(QWidget):
    device_chosen = Signal(str)
    """The device the user picked (not one the list fell back to)."""

    def __init__(
        self,
        document: DesignDocument,
        runner: BenchRunner,
        parent: QWidget | None = None,
        max_batch_runner: MaxBatchRunner | None = None,
        train_runner: BenchRunner | None = None,
    ) -> None:
        super().__init__(parent)
        self.document, self.runner = document, runner
        self.max_batch_runner = max_batch_runner or _own_runner(MaxBatchRunner())
        self.train_runner = train_runner or _own_runner(TrainRunner())
        self._make_step_widgets()
        self.device = QComboBox()
        self.device.addItem("auto (CUDA, then MPS, then CPU)", AUTO_DEVICE)
        self.wanted_device = AUTO_DEVICE
        """Chosen now or at an earlier start; shown once the worker says it is present."""
        self.batches = QLineEdit("1")
        self.batches.setToolTip("one batch size, or a sweep: 1, 8, 32")
        self.dtype = QComboBox()
        self.dtype.addItems(DTYPE_CHOICES)
        self.channels_last = QCheckBox("channels_last")
        self.compile = QCheckBox("torch.compile")
        self.run_button = QPushButton("Run")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self._make_max_batch_widgets()
        self._make_baseline_widgets()
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.status = QLabel("Run times the chosen step in a separate process.")
        self.status.setWordWrap(True)
        self.table = QTableWidget()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.chart = BenchChart()
        self._layout_widgets()
        self.results: list[BatchResult] | list[TrainResult] = []
        self.results_key: str | None = None
        self.results_model = ""
        """The class name of the design the shown results are of."""
        self._running_key: str | None = None
        self._running_model = ""
        self.run_button.clicked.connect(self.start)
        self._connect_max_batch()
        self._connect_baseline()
        self.device.currentIndexChanged.connect(self._device_picked)
        for each in (runner, self.train_runner):
            self.cancel_button.clicked.connect(each.cancel)
            each.progress.connect(self._progress)
            each.finished.connect(self._finished)
            each.failed.connect(self._failed)
            each.running_changed.connect(self._running)
        document.shapes_checked.connect(lambda _report: self._mark_stale())
        document.replaced.connect(self._mark_stale)

    def _make_step_widgets(self) -> None:
        self.mode = QComboBox()
        for label, mode in MODES:
            self.mode.addItem(label, mode)
        self.mode.setToolTip(
            "what Run times and Max batch fits: a forward pass (eval, no gradients), or a "
            "training step (zero_grad, forward, loss, backward, optimizer step)"
        )
        self.optimizer = QComboBox()
        for label, optimizer in OPTIMIZERS:
            self.optimizer.addItem(label, optimizer)
        self.optimizer.setToolTip("SGD keeps no state; AdamW keeps two moments per weight")
        self.loss = QComboBox()
        for index, (label, loss, help_text) in enumerate(LOSSES):
            self.loss.addItem(label, loss)
            self.loss.setItemData(index, help_text, Qt.ItemDataRole.ToolTipRole)
        self.loss.setCurrentIndex(self.loss.findData(DEFAULT_LOSS))
        self.loss.setToolTip("the loss a training step takes of the model's output")

    def step_choice(self) -> tuple[str, str, str]:
        """(mode, optimizer, loss) as chosen: what Run times and what Max batch fits."""
        return (
            str(self.mode.currentData()),
            str(self.optimizer.currentData()),
            str(self.loss.currentData()),
        )

    def step_text(self) -> str:
        """ "forward pass", or "training step (adamw, mse)"."""
        mode, optimizer, loss = self.step_choice()
        return "forward pass" if mode == "forward" else f"training step ({optimizer}, {loss})"

    def _make_max_batch_widgets(self) -> None:
        self.max_batch_button = QPushButton("Max batch")
        self.max_batch_button.setToolTip(
            "search the largest batch the chosen step (forward pass, or training step with its "
            "optimizer's state) fits on the device: real steps on CUDA (out of memory caught), "
            "the memory estimate elsewhere"
        )
        self.max_batch_result = QLabel("")
        self.max_batch_result.setWordWrap(True)
        self.max_batch_result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.max_batch: MaxBatchResult | None = None
        self.max_batch_key: str | None = None
        self._searching_key: str | None = None

    def _make_baseline_widgets(self) -> None:
        self.keep_baseline_button = QPushButton("Keep as baseline")
        self.keep_baseline_button.setToolTip(
            "keep the shown results: later runs (of this design after edits, or of another "
            "design) show each phase's ratio to them"
        )
        self.keep_baseline_button.setEnabled(False)
        self.clear_baseline_button = QPushButton("Clear baseline")
        self.clear_baseline_button.setEnabled(False)
        self.baseline_label = QLabel("")
        self.baseline_label.setWordWrap(True)
        self.baseline_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.baseline: Baseline | None = None
        self.comparison: Comparison | None = None

    def _connect_baseline(self) -> None:
        self.keep_baseline_button.clicked.connect(self.keep_baseline)
        self.clear_baseline_button.clicked.connect(self.clear_baseline)
        self.mode.currentIndexChanged.connect(self._show_step_choices)

    def _connect_max_batch(self) -> None:
        self.cancel_button.clicked.connect(self.max_batch_runner.cancel)
        self.max_batch_button.clicked.connect(self.start_max_batch)
        self.max_batch_runner.progress.connect(self._max_batch_progress)
        self.max_batch_runner.finished.connect(self._max_batch_found)
        self.max_batch_runner.failed.connect(self._failed)
        self.max_batch_runner.running_changed.connect(self._running)

    def _layout_widgets(self) -> None:
        form = QFormLayout()
        self._form = form
        form.addRow("time", self.mode)
        form.addRow("optimizer", self.optimizer)
        form.addRow("loss", self.loss)
        form.addRow("device", self.device)
        form.addRow("batch", self.batches)
        form.addRow("dtype", self.dtype)
        options = QHBoxLayout()
        options.addWidget(self.channels_last)
        options.addWidget(self.compile)
        form.addRow(options)
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.cancel_button)
        form.addRow(buttons)
        form.addRow(self.max_batch_button)
        form.addRow(self.max_batch_result)
        baseline = QHBoxLayout()
        baseline.addWidget(self.keep_baseline_button)
        baseline.addWidget(self.clear_baseline_button)
        form.addRow(baseline)
        form.addRow(self.baseline_label)
        form.addRow(self.progress)
        form.addRow(self.status)
        controls = QWidget()
        controls.setLayout(form)
        controls.setMaximumWidth(360)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.table)
        splitter.addWidget(self.chart)
        splitter.setSizes([600, 400])
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(controls)
        column = QVBoxLayout()
        column.addWidget(splitter)
        layout.addLayout(column, 1)
        self._show_step_choices()

    def _show_step_choices(self) -> None:
        """The optimizer and the loss only matter to a training step."""
        training = self.mode.currentData() == "train"
        self._form.setRowVisible(self.optimizer, training)
        self._form.setRowVisible(self.loss, training)

    # --- settings ----------------------------------------------------------------------------

    def show_devices(self, devices: Sequence[DeviceInfo]) -> None:
        """List the devices there are, showing the wanted one, else auto when it is gone."""
        with QSignalBlocker(self.device):
            while self.device.count() > 1:
                self.device.removeItem(1)
            for info in devices:
                self.device.addItem(f"{info.name}: {info.description}", info.name)
            self.device.setCurrentIndex(max(0, self.device.findData(self.wanted_device)))

    def want_device(self, name: str) -> None:
        """Show ``name`` now if it is listed, else once ``show_devices`` lists it."""
        self.wanted_device = name
        with QSignalBlocker(self.device):
            self.device.setCurrentIndex(max(0, self.device.findData(name)))

    def _device_picked(self) -> None:
        self.wanted_device = str(self.device.currentData())
        self.device_chosen.emit(self.wanted_device)

    def batch_sizes(self) -> tuple[int, ...]:
        """The batch sizes typed; ``ValueError`` with the reason when they aren't valid."""
        parts = [part for part in re.split(r"[,\s]+", self.batches.text().strip()) if part]
        if not parts:
            raise ValueError("type a batch size, or a sweep such as 1, 8, 32")
        sizes = []
        for part in parts:
            if not part.isdigit() or int(part) < 1:
                raise ValueError(f"batch size {part!r} is not a whole number of at least 1")
            sizes.append(int(part))
        if len(sizes) > MAX_SWEEP:
            raise ValueError(f"a sweep takes at most {MAX_SWEEP} batch sizes")
        return tuple(dict.fromkeys(sizes))

    # --- running -----------------------------------------------------------------------------

    def start(self) -> bool:
        from designer.runtime import MeasureSettings

        if not self.document.report.ok:
            self._say("Fix the shape errors first: the model can't be built.", error=True)
            return False
        try:
            batches = self.batch_sizes()
        except ValueError as error:
            self._say(str(error), error=True)
            return False
        mode, optimizer, loss = self.step_choice()
        settings = MeasureSettings(
            device=str(self.device.currentData()),
            dtype=self.dtype.currentText(),
            batches=batches,
            channels_last=self.channels_last.isChecked(),
            compile=self.compile.isChecked(),
            mode=mode,
            optimizer=optimizer,
            loss=loss,
        )
        design = self.document.design
        runner = self.train_runner if mode == "train" else self.runner
        if self._busy() or not runner.run(dumps_design(design), settings):
            self._say("A run is already going.", error=True)
            return False
        self._running_key, self._running_model = model_content(design), design.class_name
        self.progress.setRange(0, 0)
        self._say(f"Starting a run of a {self.step_text()}, batch {', '.join(map(str, batches))}…")
        return True

    def _busy(self) -> bool:
        return self.runner.running or self.train_runner.running or self.max_batch_runner.running

    def start_max_batch(self) -> bool:
        """Search the largest batch the chosen step fits on the chosen device, in a worker."""
        from designer.runtime import MeasureSettings

        if not self.document.report.ok:
            self._say("Fix the shape errors first: the model can't be built.", error=True)
            return False
        mode, optimizer, loss = self.step_choice()
        settings = MeasureSettings(
            device=str(self.device.currentData()),
            dtype=self.dtype.currentText(),
            channels_last=self.channels_last.isChecked(),
            mode=mode,
            optimizer=optimizer,
            loss=loss,
        )
        design = self.document.design
        self._searching_key = model_content(design)
        if self._busy() or not self.max_batch_runner.run(dumps_design(design), settings):
            self._say("A run is already going.", error=True)
            return False
        self.progress.setRange(0, 0)
        eager = " (eagerly: the search doesn't compile)" if self.compile.isChecked() else ""
        self._say(f"Searching the largest batch for a {self.step_text()}{eager}…")
        return True

    def close_workers(self) -> None:
        """Stop the workers of max-batch searches and training runs (the forward runs' worker
        is its runner's to close)."""
        for runner in (self.max_batch_runner, self.train_runner):
            runner.cancel()
            runner.close()

    def _running(self, _running: bool) -> None:
        running = self._busy()
        self.run_button.setEnabled(not running)
        self.max_batch_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        self.progress.setVisible(running)

    def _progress(self, progress: Progress) -> None:
        self.progress.setRange(0, progress.total)
        self.progress.setValue(progress.done)
        what = {"measuring": "timing", "compiling": "compiling", "measured": "timed"}
        self._say(
            f"{what.get(progress.stage, progress.stage)} batch {progress.batch} "
            f"({progress.done} of {progress.total} done)"
        )

    def _finished(self, _design_json: str, results: list[BatchResult] | list[TrainResult]) -> None:
        self.results = results
        from designer.runtime.results import TrainResult

        self.results_key, self.results_model = self._running_key, self._running_model
        self.keep_baseline_button.setEnabled(bool(results))
        self._show_results()
        first = results[0]
        what = ""
        if isinstance(first, TrainResult):
            what = f", training step ({first.optimizer}, {first.loss})"
        self._say(
            f"Done on {first.device_name} ({first.device}), {first.dtype}{what}"
            f"{', channels_last' if first.channels_last else ''}"
            f"{', compiled' if first.compiled else ''}.{_training_memory(first)}"
        )
        self._mark_stale()

    def _failed(self, _design_json: str, message: str) -> None:
        self._say(message, error=True)

    def _max_batch_progress(self, progress: Progress) -> None:
        if progress.stage == "confirming":
            self.progress.setRange(0, 0)
            self._say(f"confirming batch {progress.batch:,} with one step")
            return
        self.progress.setRange(0, progress.total)
        self.progress.setValue(progress.done)
        self._say(f"trying batch {progress.batch:,} ({progress.done} tried)")

    def _max_batch_found(self, _design_json: str, result: MaxBatchResult) -> None:
        from designer.runtime.report import max_batch_memory, max_batch_method, max_batch_text

        self.max_batch, self.max_batch_key = result, self._searching_key
        step = "training step" if result.mode == "train" else "forward pass"
        optimizer = f", {result.optimizer}" if result.optimizer else ""
        self.max_batch_result.setText(
            f"Largest batch: {max_batch_text(result)}, for a {step}{optimizer} on "
            f"{result.device_name} ({result.device}), {result.dtype}. "
            f"{max_batch_method(result).capitalize()}. "
            f"Memory: {max_batch_memory(result)}."
        )
        self.max_batch_result.setEnabled(True)
        self._say(f"Largest batch found: {result.batch:,}.")
        self._mark_stale()

    # --- baseline ----------------------------------------------------------------------------

    def keep_baseline(self) -> bool:
        """Keep the shown results as the baseline (until cleared, whatever design is open)."""
        from designer.runtime.baseline import baseline_of

        if not self.results:
            self._say("Run first: there are no results to keep.", error=True)
            return False
        self.baseline = baseline_of(self.results_model, self.results)
        self.clear_baseline_button.setEnabled(True)
        self._show_results()
        self._say("Kept as the baseline: later runs show their ratio to it.")
        return True

    def clear_baseline(self) -> None:
        self.baseline = None
        self.clear_baseline_button.setEnabled(False)
        if self.results:
            self._show_results()
        else:
            self._show_baseline()

    def _compare(self) -> None:
        """The shown results against the baseline (None where they can't be compared)."""
        from designer.runtime.baseline import BaselineError, compare

        self.comparison = None
        if self.baseline is None or not self.results:
            return
        try:
            self.comparison = compare(self.baseline, self.results_model, self.results)
        except BaselineError:
            self.comparison = None

    def _show_baseline(self) -> None:
        baseline, comparison = self.baseline, self.comparison
        if baseline is None:
            self.baseline_label.setText("")
            self.baseline_label.setStyleSheet("")
            return
        text = f"Baseline: {baseline.describe()}."
        mismatch = bool(self.results) and comparison is None
        if mismatch:
            text += " No ratios: these results differ in mode, device, dtype or batch size."
        elif comparison is not None and comparison.notes:
            text += " Note: " + "; ".join(comparison.notes) + "."
        self.baseline_label.setText(text)
        self.baseline_label.setStyleSheet("color: #b9770e;" if mismatch else "")

    # --- results ---------------------------------------------------------------------------

    def _show_results(self) -> None:
        from designer.runtime.results import BatchResult, TrainResult

        self._compare()
        self._show_baseline()
        if self.results and isinstance(self.results[0], TrainResult):
            trained = [result for result in self.results if isinstance(result, TrainResult)]
            rows = _train_rows(trained, self.comparison)
            self.chart.show_train_results(trained, self.baseline if self.comparison else None)
        else:
            forward = [result for result in self.results if isinstance(result, BatchResult)]
            rows = _forward_rows(forward, self.comparison)
            self.chart.show_results(forward, self.baseline if self.comparison else None)
        self._fill_table(rows)

    def _fill_table(self, rows: list[dict[str, str | Ratio]]) -> None:
        titles = list(dict.fromkeys(title for row in rows for title in row))
        self.table.clear()
        self.table.setColumnCount(len(titles))
        self.table.setRowCount(len(rows))
        self.table.setHorizontalHeaderLabels(titles)
        for row_index, row in enumerate(rows):
            for column, title in enumerate(titles):
                self.table.setItem(row_index, column, _cell(row.get(title, "")))
        self.table.resizeColumnsToContents()

    def _mark_stale(self) -> None:
        if self.results_key is None and self.max_batch_key is None:
            return
        content = model_content(self.document.design)
        if self.max_batch_key is not None:
            self.max_batch_result.setEnabled(content == self.max_batch_key)
        if self.results_key is None:
            return
        stale = content != self.results_key
        self.table.setEnabled(not stale)
        self.chart.set_stale(stale)
        if stale:
            self._say("These results are for an earlier version of the design: run again.")

    def _say(self, text: str, error: bool = False) -> None:
        self.status.setText(text)
        self.status.setStyleSheet("color: #c0392b;" if error else "")


Runner = TypeVar("Runner", bound=BenchRunner)


def _own_runner(runner: Runner) -> Runner:
    """``runner``, its worker stopped when the app quits (a panel made without one)."""
    app = QCoreApplication.instance()
    if app is not None:
        app.aboutToQuit.connect(runner.close)
    return runner


BASELINE_TITLE = "vs baseline"


def _forward_rows(
    results: Sequence[BatchResult], comparison: Comparison | None
) -> list[dict[str, str | Ratio]]:
    """One row per batch size: the report's columns (those with a figure somewhere), the
    median's ratio to the baseline after the median."""
    from designer.runtime.baseline import FORWARD_PHASES
    from designer.runtime.report import COLUMNS

    shown = [
        (title, value)
        for title, value in COLUMNS
        if any(value(result) is not None for result in results)
    ]
    rows: list[dict[str, str | Ratio]] = []
    for result in results:
        row: dict[str, str | Ratio] = {}
        for title, value in shown:
            row[title] = value(result) or ""
            if title == "median ms" and comparison is not None:
                row[BASELINE_TITLE] = comparison.ratio(result.batch, FORWARD_PHASES[0])
        rows.append(row)
    return rows


def _train_rows(
    results: Sequence[TrainResult], comparison: Comparison | None
) -> list[dict[str, str | Ratio]]:
    """Per batch size: the whole step, then its phases (forward, backward, optimizer step),
    each with median, p10/p90, share of the step and ratio to the baseline."""
    from designer.runtime.baseline import TRAIN_PHASES, phases_of

    rows: list[dict[str, str | Ratio]] = []
    for result in results:
        for name, timing in phases_of(result).items():
            whole = name == TRAIN_PHASES[0]
            row: dict[str, str | Ratio] = {
                "batch": str(result.batch),
                "phase": name,
                "median ms": f"{timing.median_s * 1e3:.3f}",
                "p10 ms": f"{timing.p10_s * 1e3:.3f}",
                "p90 ms": f"{timing.p90_s * 1e3:.3f}",
                "of step": f"{timing.median_s / result.median_s:.1%}",
            }
            if comparison is not None:
                row[BASELINE_TITLE] = comparison.ratio(result.batch, name)
            row["samples/s"] = f"{result.throughput:,.1f}" if whole else ""
            row["estimate"] = format_bytes(result.estimated_bytes) if whole else ""
            if result.peak_memory_bytes is not None:
                row["peak mem"] = format_bytes(result.peak_memory_bytes) if whole else ""
            if result.compile_s is not None:
                row["compile s"] = f"{result.compile_s:.2f}" if whole else ""
            rows.append(row)
    return rows


def _cell(value: str | Ratio) -> QTableWidgetItem:
    if isinstance(value, str):
        item = QTableWidgetItem(value)
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return item
    item = QTableWidgetItem(value.text())
    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    colour = ratio_colour(value)
    if colour is not None:
        item.setForeground(colour)
    item.setToolTip("this run's median over the baseline's: below 1 is faster")
    return item


def _training_memory(result: BatchResult | TrainResult) -> str:
    """ " Training memory: parameters 241 KiB, gradients 241 KiB, optimizer state 0 B." for a
    training step; "" for a forward pass."""
    from designer.runtime.results import TrainResult

    if not isinstance(result, TrainResult):
        return ""
    memory = result.memory
    return (
        f" Training memory: parameters {format_bytes(memory.parameter_bytes)}, gradients "
        f"{format_bytes(memory.gradient_bytes)}, optimizer state "
        f"{format_bytes(memory.optimizer_state_bytes)}."
    )
