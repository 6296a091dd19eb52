"""The benchmark panel: device, batch size or sweep, dtype, channels_last and torch.compile;
Run and Cancel; progress; a table of results and a chart of latency and throughput against
batch size. Runs happen in a worker process; the last results stay until the design changes,
then they are marked stale. Max batch searches the largest batch a forward pass or a training
step fits on the device, in a worker process of its own, and shows it under the buttons."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

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

if TYPE_CHECKING:
    from designer.runtime import BatchResult, DeviceInfo, MeasureSettings, Progress
    from designer.runtime.results import MaxBatchResult

log = logging.getLogger(__name__)

DTYPE_CHOICES = ("fp32", "bf16", "fp16")
AUTO_DEVICE = "auto"
MAX_SWEEP = 16
MAX_BATCH_STEPS = (
    ("forward pass", "forward"),
    ("training step, SGD", "train/sgd"),
    ("training step, AdamW", "train/adamw"),
)
"""What the max-batch search fits: (label, "mode" or "mode/optimizer")."""
MAX_BATCH_LOSS = "mse"
"""The panel's training steps take the mse loss: it fits any floating-point output, and holds
about what cross_entropy does (a tensor or two of the output's size)."""


class MaxBatchRunner(BenchRunner):
    """Max-batch searches in a worker of their own, one at a time; ``finished`` carries a
    ``MaxBatchResult``. A worker that dies is reported through ``failed``; the next search
    starts a fresh one."""

    def run(self, design_json: str, settings: MeasureSettings) -> bool:
        """Start a search; False when one is already going."""
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
                result = worker.max_batch(
                    design_json, settings, on_progress=self._progress_from_thread
                )
            except RunError as error:  # a dead worker too, written for the user
                self._done.emit(design_json, None, error.message)
            except Exception as error:
                log.exception("max-batch search failed")
                self._done.emit(design_json, None, f"{type(error).__name__}: {error}")
            else:
                self._done.emit(design_json, result, "")

        threading.Thread(target=job, name="max-batch-search", daemon=True).start()
        return True


class BenchPanel(QWidget):
    device_chosen = Signal(str)
    """The device the user picked (not one the list fell back to)."""

    def __init__(
        self,
        document: DesignDocument,
        runner: BenchRunner,
        parent: QWidget | None = None,
        max_batch_runner: MaxBatchRunner | None = None,
    ) -> None:
        super().__init__(parent)
        self.document, self.runner = document, runner
        self.max_batch_runner = max_batch_runner or _own_max_batch_runner()
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
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.status = QLabel("Run times the forward pass in a separate process.")
        self.status.setWordWrap(True)
        self.table = QTableWidget()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.chart = BenchChart()
        self._layout_widgets()
        self.results: list[BatchResult] = []
        self.results_key: str | None = None
        self._running_key: str | None = None
        self.run_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(runner.cancel)
        self._connect_max_batch()
        self.device.currentIndexChanged.connect(self._device_picked)
        runner.progress.connect(self._progress)
        runner.finished.connect(self._finished)
        runner.failed.connect(self._failed)
        runner.running_changed.connect(self._running)
        document.shapes_checked.connect(lambda _report: self._mark_stale())
        document.replaced.connect(self._mark_stale)

    def _make_max_batch_widgets(self) -> None:
        self.max_batch_step = QComboBox()
        for label, step in MAX_BATCH_STEPS:
            self.max_batch_step.addItem(label, step)
        self.max_batch_step.setToolTip(
            "what the largest batch must fit: a forward pass, or a training step (mse loss) "
            "with the optimizer's state"
        )
        self.max_batch_button = QPushButton("Max batch")
        self.max_batch_button.setToolTip(
            "search the largest batch that fits on the device: real steps on CUDA (out of "
            "memory caught), the memory estimate elsewhere"
        )
        self.max_batch_result = QLabel("")
        self.max_batch_result.setWordWrap(True)
        self.max_batch_result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.max_batch: MaxBatchResult | None = None
        self.max_batch_key: str | None = None
        self._searching_key: str | None = None

    def _connect_max_batch(self) -> None:
        self.cancel_button.clicked.connect(self.max_batch_runner.cancel)
        self.max_batch_button.clicked.connect(self.start_max_batch)
        self.max_batch_runner.progress.connect(self._max_batch_progress)
        self.max_batch_runner.finished.connect(self._max_batch_found)
        self.max_batch_runner.failed.connect(self._failed)
        self.max_batch_runner.running_changed.connect(self._running)

    def _layout_widgets(self) -> None:
        form = QFormLayout()
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
        search = QHBoxLayout()
        search.addWidget(self.max_batch_button)
        search.addWidget(self.max_batch_step, 1)
        form.addRow(search)
        form.addRow(self.max_batch_result)
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
        settings = MeasureSettings(
            device=str(self.device.currentData()),
            dtype=self.dtype.currentText(),
            batches=batches,
            channels_last=self.channels_last.isChecked(),
            compile=self.compile.isChecked(),
        )
        design = self.document.design
        self._running_key = model_content(design)
        if self.max_batch_runner.running or not self.runner.run(dumps_design(design), settings):
            self._say("A run is already going.", error=True)
            return False
        self.progress.setRange(0, 0)
        self._say(f"Starting a run of batch {', '.join(map(str, batches))}…")
        return True

    def start_max_batch(self) -> bool:
        """Search the largest batch the chosen step fits on the chosen device, in a worker."""
        from designer.runtime import MeasureSettings

        if not self.document.report.ok:
            self._say("Fix the shape errors first: the model can't be built.", error=True)
            return False
        mode, _, optimizer = str(self.max_batch_step.currentData()).partition("/")
        settings = MeasureSettings(
            device=str(self.device.currentData()),
            dtype=self.dtype.currentText(),
            channels_last=self.channels_last.isChecked(),
            mode=mode,
            optimizer=optimizer or "sgd",
            loss=MAX_BATCH_LOSS,
        )
        design = self.document.design
        self._searching_key = model_content(design)
        if self.runner.running or not self.max_batch_runner.run(dumps_design(design), settings):
            self._say("A run is already going.", error=True)
            return False
        self.progress.setRange(0, 0)
        eager = " (eagerly: the search doesn't compile)" if self.compile.isChecked() else ""
        self._say(f"Searching the largest batch for a {self.max_batch_step.currentText()}{eager}…")
        return True

    def close_workers(self) -> None:
        """Stop the max-batch search's worker (the runs' worker is its runner's to close)."""
        self.max_batch_runner.cancel()
        self.max_batch_runner.close()

    def _running(self, _running: bool) -> None:
        running = self.runner.running or self.max_batch_runner.running
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

    def _finished(self, _design_json: str, results: list[BatchResult]) -> None:
        self.results = list(results)
        self.results_key = self._running_key
        self._show_results()
        first = results[0]
        self._say(
            f"Done on {first.device_name} ({first.device}), {first.dtype}"
            f"{', channels_last' if first.channels_last else ''}"
            f"{', compiled' if first.compiled else ''}."
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

    def _show_results(self) -> None:
        from designer.runtime.report import COLUMNS

        columns = [
            (title, value)
            for title, value in COLUMNS
            if any(value(result) is not None for result in self.results)
        ]
        self.table.clear()
        self.table.setColumnCount(len(columns))
        self.table.setRowCount(len(self.results))
        self.table.setHorizontalHeaderLabels([title for title, _ in columns])
        for row, result in enumerate(self.results):
            for column, (_title, value) in enumerate(columns):
                item = QTableWidgetItem(value(result) or "")
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, column, item)
        self.table.resizeColumnsToContents()
        self.chart.show_results(self.results)

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


def _own_max_batch_runner() -> MaxBatchRunner:
    """A runner whose worker stops when the app quits (a panel made without one)."""
    runner = MaxBatchRunner()
    app = QCoreApplication.instance()
    if app is not None:
        app.aboutToQuit.connect(runner.close)
    return runner
