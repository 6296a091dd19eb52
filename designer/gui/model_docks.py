"""The live model beside the canvas: the model, code and benchmark panels in docks, kept in
step with the design, with selection shared between the canvas and the model tree, and the
compiler's exports on the File menu and the code panel.

Measure per block (the Model panel's button, or View > Cost map) measures each block's cost with
the Benchmark panel's settings; the figures fill the Model panel's cost columns and the canvas's
cost map, and both say they are stale once the design's content changes.

Exports start beside the open design, named after it; an untitled design's start in the
folder of the last export (kept in the settings), else the home folder."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QSettings, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QAbstractScrollArea, QFileDialog, QMainWindow, QMenu

from designer.graph import dumps_design
from designer.graph.fileformat import model_content
from designer.gui.canvas.cost_map import CostMap
from designer.gui.canvas.scene import DesignScene
from designer.gui.docks import add_dock
from designer.gui.document import DesignDocument
from designer.gui.live_model import LiveModel
from designer.gui.model_service import BenchRunner, ModelService
from designer.gui.panels.bench_panel import BenchPanel
from designer.gui.panels.bench_settings import remember_bench_settings
from designer.gui.panels.code_panel import CodePanel
from designer.gui.panels.model_panel import ModelPanel

if TYPE_CHECKING:
    from collections.abc import Callable

    from designer.compiler.analysis import ModelAnalysis
    from designer.runtime import MeasureSettings
    from designer.runtime.block_costs import CostReport

log = logging.getLogger(__name__)

_BOTTOM = Qt.DockWidgetArea.BottomDockWidgetArea
EXPORTS = (
    ("py", False, "Python module (.py)…", "Python (*.py)", ".py"),
    ("py", True, "Python module and weights (.py + .pt)…", "Python (*.py)", ".py"),
    ("onnx", False, "ONNX (.onnx)…", "ONNX (*.onnx)", ".onnx"),
    ("pt2", False, "torch.export program (.pt2)…", "PyTorch programs (*.pt2)", ".pt2"),
)
EXPORT_FOLDER_KEY = "export/last_folder"


class ModelDocks(QObject):
    def __init__(
        self,
        window: QMainWindow,
        document: DesignDocument,
        scene: DesignScene,
        settings: QSettings,
        on_message: Callable[[str], None],
    ) -> None:
        super().__init__(window)
        self.window, self.document, self.scene = window, document, scene
        self.settings = settings
        self.message = on_message
        self.service = ModelService(self)
        self.runner = BenchRunner(self)
        self.live = LiveModel(document, self.service)
        self.model_panel = ModelPanel()
        self.code_panel = CodePanel()
        self.bench_panel = BenchPanel(document, self.runner)
        remember_bench_settings(self.bench_panel, settings)
        self.docks = {
            "model": add_dock(window, "Model", self.model_panel, _BOTTOM),
            "code": add_dock(window, "Code", self.code_panel, _BOTTOM),
            "benchmark": add_dock(window, "Benchmark", self.bench_panel, _BOTTOM),
        }
        window.tabifyDockWidget(self.docks["model"], self.docks["code"])
        window.tabifyDockWidget(self.docks["code"], self.docks["benchmark"])
        self.docks["model"].raise_()
        self.export_menu = QMenu("E&xport", window)
        for format_, weights, label, _filter, _suffix in EXPORTS:
            action = QAction(label, window)
            action.triggered.connect(
                lambda _checked=False, f=format_, w=weights: self.ask_export(f, w)
            )
            self.export_menu.addAction(action)
        self.code_panel.export_button.setMenu(self.export_menu)
        self.cost_map = CostMap(scene, self)
        self.measure_action = QAction("Measure &per Block", window)
        self.measure_action.setToolTip("Time each block with the Benchmark panel's settings")
        self.measure_action.triggered.connect(lambda _checked=False: self.measure_block_costs())
        self._costs_key: str | None = None
        """The model content the shown per-block costs were measured on."""
        self._measuring_key: str | None = None
        self._syncing = False
        self.live.updated.connect(self._show)
        self.live.reset.connect(self._forget_model)
        self.live.unavailable.connect(self._unavailable)
        self.live.busy_changed.connect(self._busy)
        self.model_panel.module_selected.connect(self._module_picked)
        self.scene.selectionChanged.connect(self._canvas_selection)
        self.service.exported.connect(self._exported)
        self.service.export_failed.connect(self._export_failed)
        self.service.devices_found.connect(self.bench_panel.show_devices)
        self.model_panel.measure_requested.connect(self.measure_block_costs)
        self.service.costs_measured.connect(self._costs_measured)
        self.service.costs_failed.connect(self._costs_failed)
        self.service.measuring_changed.connect(self._measuring)
        document.shapes_checked.connect(lambda _report: self._costs_maybe_stale())
        self.ask_path: Callable[[str, str, str], Path | None] = self._ask_path

    def start(self) -> None:
        """Torch can be used now: build the model and ask which devices there are."""
        self.live.enable()
        self.service.find_devices()

    def close(self) -> None:
        self.scene.selectionChanged.disconnect(self._canvas_selection)
        self.runner.cancel()
        self.runner.close()
        self.service.close()

    # --- showing the model -------------------------------------------------------------------

    def _show(self, analysis: ModelAnalysis) -> None:
        self.model_panel.show_ready()
        self.model_panel.show_analysis(analysis)
        parameters = {row.name: row.parameters for row in analysis.rows}
        self.cost_map.set_known_parameters(
            {
                block: parameters[module]
                for block, module in analysis.block_modules.items()
                if module in parameters
            }
        )
        origin = self.live.origin() or "the open design"
        self.code_panel.show_source(
            analysis.source, f"{analysis.class_name}: the module Export writes ({origin})"
        )
        self._canvas_selection()

    def _forget_model(self) -> None:
        self.model_panel.clear()
        self.code_panel.clear()
        self._costs_key = self._measuring_key = None  # another design: its blocks aren't these
        self.cost_map.set_known_parameters({})
        self.cost_map.set_report(None)

    def _unavailable(self, lines: list[str]) -> None:
        self.model_panel.show_problems(lines)
        self.code_panel.show_problems(lines)

    def _busy(self, busy: bool) -> None:
        title = "Model (updating…)" if busy else "Model"
        self.docks["model"].setWindowTitle(title)

    # --- per-block costs ---------------------------------------------------------------------

    def cost_map_menu(self, view: QAbstractScrollArea) -> QMenu:
        """View > Cost map: what colours the blocks, and Measure per Block; legend over ``view``."""
        menu = self.cost_map.make_menu(view, self.window)
        menu.addAction(self.measure_action)
        return menu

    def cost_settings(self) -> MeasureSettings:
        """The Benchmark panel's step (forward pass or training step, with its optimizer and
        loss), device, dtype, first batch size and channels_last; ``ValueError`` with the reason
        when its batch sizes aren't valid."""
        from designer.runtime import MeasureSettings

        panel = self.bench_panel
        mode, optimizer, loss = panel.step_choice()
        return MeasureSettings(
            device=str(panel.device.currentData()),
            dtype=panel.dtype.currentText(),
            batches=panel.batch_sizes()[:1],
            channels_last=panel.channels_last.isChecked(),
            mode=mode,
            optimizer=optimizer,
            loss=loss,
        )

    def measure_block_costs(self) -> bool:
        """Measure each block's cost in a worker; False when it can't start."""
        if not self.document.report.ok:
            self.model_panel.show_cost_error("fix the shape errors first")
            return False
        try:
            settings = self.cost_settings()
        except ValueError as error:
            self.model_panel.show_cost_error(f"the Benchmark panel's batch: {error}")
            return False
        design = self.document.design
        self._measuring_key = model_content(design)
        if not self.service.measure_block_costs(dumps_design(design), settings):
            self.model_panel.show_cost_error("a measurement is already going")
            return False
        step = "training step" if settings.mode == "train" else "forward pass"
        self.model_panel.set_measuring(
            f"Measuring each block of a {step}, batch {settings.batches[0]} on "
            f"{settings.device}, {settings.dtype}…"
        )
        self.message("Measuring per block…")
        return True

    def show_costs(self, report: CostReport | None, key: str | None) -> None:
        """Show ``report``, measured on the model content ``key``, in the panel and the map."""
        self._costs_key = key
        stale = key != model_content(self.document.design)
        self.model_panel.show_costs(report, stale=stale)
        self.cost_map.set_report(report, stale=stale)

    def _costs_measured(self, _design_json: str, report: CostReport) -> None:
        key, self._measuring_key = self._measuring_key, None
        if key is None:
            return  # measured on a design since closed
        self.show_costs(report, key)
        if self.cost_map.measure is None:
            self.cost_map.set_measure("time")
        self.message("Measured per block: View > Cost map colours the blocks")

    def _costs_failed(self, _design_json: str, message: str) -> None:
        self._measuring_key = None
        self.model_panel.show_cost_error(message)
        self.message(f"Measure per block failed: {message}")

    def _measuring(self, measuring: bool) -> None:
        self.measure_action.setEnabled(not measuring)
        if not measuring:
            self.model_panel.set_measuring(None)

    def _costs_maybe_stale(self) -> None:
        if self._costs_key is None:
            if self.cost_map.measure is not None:
                self.cost_map.apply()  # an undone delete brings a block back uncoloured
            return
        stale = self._costs_key != model_content(self.document.design)
        self.model_panel.set_costs_stale(stale)
        self.cost_map.set_stale(stale)

    # --- selection, both ways ----------------------------------------------------------------

    def _canvas_selection(self) -> None:
        if self._syncing:
            return
        analysis = self.live.analysis
        if analysis is None:
            return
        blocks = self.scene.selected_block_ids()
        block = blocks[0] if len(blocks) == 1 else None
        self.model_panel.select_module(analysis.block_modules.get(block) if block else None)
        self.code_panel.mark_lines(analysis.block_lines.get(block, ()) if block else ())

    def _module_picked(self, module: str) -> None:
        blocks = self.live.block_for_module(module)
        self._syncing = True
        try:
            self.scene.select_blocks(blocks)
        finally:
            self._syncing = False
        analysis = self.live.analysis
        if analysis is not None and len(blocks) == 1:
            self.code_panel.mark_lines(analysis.block_lines.get(blocks[0], ()))
            item = self.scene.blocks.get(blocks[0])
            if item is not None:
                item.ensureVisible()

    # --- exports -----------------------------------------------------------------------------

    def _ask_path(self, title: str, file_filter: str, suggestion: str) -> Path | None:
        chosen, _ = QFileDialog.getSaveFileName(self.window, title, suggestion, file_filter)
        return Path(chosen) if chosen else None

    def ask_export(self, format_: str, weights: bool) -> bool:
        if not self.document.report.ok:
            self.message("Export: fix the shape errors first")
            return False
        label, file_filter, suffix = next(
            (entry[2], entry[3], entry[4])
            for entry in EXPORTS
            if entry[0] == format_ and entry[1] == weights
        )
        suggestion = self.export_suggestion(suffix)
        path = self.ask_path(f"Export {label.rstrip('…')}", file_filter, str(suggestion))
        if path is None:
            return False
        self.settings.setValue(EXPORT_FOLDER_KEY, str(path.parent))
        if not path.suffix:
            path = path.with_suffix(suffix)
        return self.export_to(format_, weights, path)

    def export_suggestion(self, suffix: str) -> Path:
        """Where the export chooser starts: beside the design and named after it."""
        path = self.document.path
        if path is not None:
            return path.with_suffix(suffix)  # never the design itself: it ends in .json
        last = self.settings.value(EXPORT_FOLDER_KEY)
        folder = Path(last) if isinstance(last, str) and last else None
        if folder is None or not folder.is_dir():
            folder = Path.home()
        return folder / f"{self.document.design.class_name.lower()}{suffix}"

    def export_to(self, format_: str, weights: bool, path: Path) -> bool:
        from designer.runtime.worker_process import ExportTarget

        if self.document.path is not None and path.resolve() == self.document.path:
            self.message("Export: that is the design file itself; choose another name")
            return False
        target = ExportTarget(format_, str(path), weights, self.live.origin())
        self.service.export(dumps_design(self.document.design), target)
        self.message(f"Exporting {path.name}…")
        return True

    def _exported(self, paths: list[str]) -> None:
        self.message("Exported " + ", ".join(paths))

    def _export_failed(self, message: str) -> None:
        self.message(f"Export failed: {message}")
