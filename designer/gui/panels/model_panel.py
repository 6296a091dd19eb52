"""The model panel: the live module as an expandable tree (name, type, output shape,
parameters) beside the exact text ``print(model)`` gives, with the model's totals above.

Measure per block asks for each block's cost (a ``CostReport``); its figures fill more columns
(FLOPs, activation memory, time and share of time), a module's being the sum of the blocks
inside it. They stay until the next measurement, greyed once the design has changed.

Keep costs as baseline holds the shown costs (in the panel, not the design: it outlives switching
designs, as the Benchmark panel's baseline does); later measurements of the same step, device,
dtype and batch size show each module's time over the baseline's in the "vs baseline" column
("x0.83 (faster)" in green; "added" for a module the baseline hasn't), matched by module name.
Clear baseline drops it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFontDatabase
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from designer.gui.canvas.cost_colours import format_seconds, share_text
from designer.gui.panels.ratio_text import ratio_colour
from designer.units import format_bytes, format_count

if TYPE_CHECKING:
    from collections.abc import Iterable

    from designer.compiler.analysis import ModelAnalysis
    from designer.runtime.baseline import Baseline, Comparison, Ratio
    from designer.runtime.block_costs import CostReport

_NAME_ROLE = Qt.ItemDataRole.UserRole
COLUMNS = ("module", "type", "output shape", "parameters")
COST_COLUMNS = ("FLOPs", "activation memory", "time (fwd+bwd)", "share of time")
"""Filled by Measure per block; blank before it."""
RATIO_TITLE = "vs baseline"
"""The column after the cost columns: filled with a baseline kept."""
_FIRST_COST = len(COLUMNS)
RATIO_COLUMN = _FIRST_COST + len(COST_COLUMNS)
ADDED = "added"
"""The ratio column of a module the baseline hasn't."""
_STALE = QColor("#99a3a4")
STALE_NOTE = "These per-block figures are for an earlier version of the design: measure again."
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
WAITING = "Waiting for the model…"


class ModelPanel(QWidget):
    module_selected = Signal(str)
    """The qualified name of a module picked in the tree ("" for the model itself)."""
    measure_requested = Signal()
    """Measure per block was pressed."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.totals = QLabel(WAITING)
        self.totals.setWordWrap(True)
        self.measure_button = QPushButton("Measure per block")
        self.measure_button.setToolTip(
            "time each block (and count its FLOPs and activation memory) with the Benchmark "
            "panel's device, dtype and first batch size, in a separate process"
        )
        self.measure_button.clicked.connect(self.measure_requested)
        self.cost_status = QLabel("")
        self.cost_status.setWordWrap(True)
        self._make_baseline_widgets()
        self.tree = QTreeWidget()
        self.tree.setColumnCount(RATIO_COLUMN + 1)
        self.tree.setHeaderLabels([*COLUMNS, *COST_COLUMNS, RATIO_TITLE])
        self.tree.setUniformRowHeights(True)
        self.tree.header().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.printed = QPlainTextEdit()
        self.printed.setReadOnly(True)
        self.printed.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.printed.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.printed.setToolTip("print(model), exactly")
        splitter = QSplitter()
        splitter.addWidget(self.tree)
        splitter.addWidget(self.printed)
        splitter.setSizes([500, 500])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        top = QHBoxLayout()
        top.addWidget(self.totals, 1)
        top.addWidget(self.measure_button)
        top.addWidget(self.keep_baseline_button)
        top.addWidget(self.clear_baseline_button)
        layout.addLayout(top)
        layout.addWidget(self.cost_status)
        layout.addWidget(self.baseline_label)
        layout.addWidget(splitter, 1)
        self.items: dict[str, QTreeWidgetItem] = {}
        self.costs: CostReport | None = None
        """The latest per-block measurement, None before one."""
        self.costs_stale = False
        self.model_name = "the model"
        """The class name of the model shown: what a kept baseline says it is of."""
        self.tree.itemSelectionChanged.connect(self._picked)

    def _make_baseline_widgets(self) -> None:
        self.keep_baseline_button = QPushButton("Keep costs as baseline")
        self.keep_baseline_button.setToolTip(
            "hold these per-block costs: later measurements (of this or another design) show "
            "each module's time over them"
        )
        self.keep_baseline_button.setEnabled(False)
        self.keep_baseline_button.clicked.connect(self.keep_baseline)
        self.clear_baseline_button = QPushButton("Clear baseline")
        self.clear_baseline_button.setEnabled(False)
        self.clear_baseline_button.clicked.connect(self.clear_baseline)
        self.baseline_label = QLabel("")
        self.baseline_label.setWordWrap(True)
        self.baseline: Baseline | None = None
        """The kept per-block costs, None before Keep costs as baseline."""
        self.comparison: Comparison | None = None
        """The shown costs against the baseline; None where there is none or they differ."""

    def show_analysis(self, analysis: ModelAnalysis) -> None:
        expanded = {name for name, item in self.items.items() if item.isExpanded()}
        first = not self.items
        with QSignalBlocker(self.tree):
            self.tree.clear()
            self.items = {}
            for row in analysis.rows:
                name = "" if row.name == analysis.rows[0].name else row.name
                parent_name = name.rpartition(".")[0]
                parent = self.items.get(parent_name) if name else None
                label = name.rpartition(".")[2] if name else analysis.class_name
                values = [label, row.type, row.output_shape, f"{row.parameters:,}"]
                item = (
                    QTreeWidgetItem(values) if parent is None else QTreeWidgetItem(parent, values)
                )
                if parent is None:
                    self.tree.addTopLevelItem(item)
                item.setData(0, _NAME_ROLE, name)
                for column in range(3, RATIO_COLUMN + 1):
                    item.setTextAlignment(column, _RIGHT)
                self.items[name] = item
            for name, item in self.items.items():
                item.setExpanded(name in expanded or (first and name.count(".") < 1))
            self._fill_costs()
        self.model_name = analysis.class_name
        if self.printed.toPlainText() != analysis.printed:
            self.printed.setPlainText(analysis.printed)
        self.totals.setStyleSheet("")
        self.totals.setText(
            f"<b>{analysis.class_name}</b>: {analysis.parameters:,} parameters "
            f"({format_bytes(analysis.parameter_bytes)}), "
            f"{format_count(analysis.flops_per_sample)}FLOPs per sample"
        )
        self.setEnabled(True)

    def show_problems(self, lines: list[str]) -> None:
        self.totals.setText("\n".join(lines))
        self.totals.setStyleSheet("color: #c0392b;")
        self.tree.setEnabled(False)
        self.printed.setEnabled(False)

    def clear(self) -> None:
        """Show no model: the one shown was another design's."""
        with QSignalBlocker(self.tree):
            self.tree.clear()
        self.items = {}
        self.printed.clear()
        self.totals.setText(WAITING)
        self.totals.setStyleSheet("")
        self.show_costs(None)

    def show_ready(self) -> None:
        self.tree.setEnabled(True)
        self.printed.setEnabled(True)

    def select_module(self, name: str | None) -> None:
        """Select a module's row (None clears), without announcing it back."""
        with QSignalBlocker(self.tree):
            self.tree.clearSelection()
            item = self.items.get(name) if name is not None else None
            if item is not None:
                item.setSelected(True)
                self.tree.scrollToItem(item)

    # --- per-block costs ---------------------------------------------------------------------

    def show_costs(self, report: CostReport | None, *, stale: bool = False) -> None:
        """Fill the cost columns from ``report`` (None: blank them)."""
        self.costs, self.costs_stale = report, stale
        time_header = "time (fwd+bwd)" if report is None or report.training else "time (fwd)"
        self.tree.headerItem().setText(_FIRST_COST + 2, time_header)
        self.keep_baseline_button.setEnabled(report is not None)
        self._compare()
        self._fill_costs()
        self._say_costs()

    def set_costs_stale(self, stale: bool) -> None:
        """Whether the design changed since the figures shown were measured."""
        if stale == self.costs_stale or self.costs is None:
            return
        self.costs_stale = stale
        self._fill_costs()
        self._say_costs()

    def set_measuring(self, text: str | None) -> None:
        """A measurement is going (``text`` says so) or not (None)."""
        self.measure_button.setEnabled(text is None)
        if text is not None:
            self.cost_status.setStyleSheet("")
            self.cost_status.setText(text)
        else:
            self._say_costs()

    def show_cost_error(self, message: str) -> None:
        self.measure_button.setEnabled(True)
        self.cost_status.setText(f"Measure per block: {message}")
        self.cost_status.setStyleSheet("color: #c0392b;")

    # --- baseline ----------------------------------------------------------------------------

    def keep_baseline(self) -> bool:
        """Keep the shown costs as the baseline (until cleared, whatever design is open)."""
        from designer.runtime.baseline import costs_baseline_of, costs_conditions

        if self.costs is None:
            return False
        conditions = costs_conditions(self.model_name, self.costs)
        self.baseline = costs_baseline_of(conditions, self.costs)
        self.clear_baseline_button.setEnabled(True)
        self._compare()
        self._fill_costs()
        return True

    def clear_baseline(self) -> None:
        self.baseline = self.comparison = None
        self.clear_baseline_button.setEnabled(False)
        self._compare()
        self._fill_costs()

    def module_ratios(self) -> dict[str, Ratio | str]:
        """Each module's time over the baseline's (matched by name), ``ADDED`` where the
        baseline hasn't it; empty without a comparison."""
        from designer.runtime.baseline import ratio

        if self.comparison is None or self.costs is None or self.baseline is None:
            return {}
        before = module_costs(self.baseline.blocks[self.costs.batch], self.items)
        return {
            name: ratio(now.time, before[name].time) if name in before else ADDED
            for name, now in module_costs(self.costs, self.items).items()
        }

    def _compare(self) -> None:
        """Compare the shown costs with the baseline and say how (or why not)."""
        from designer.runtime.baseline import (
            COST_TOTALS,
            BaselineError,
            compare_costs,
            costs_conditions,
        )

        self.comparison = None
        baseline, report = self.baseline, self.costs
        self.tree.setColumnHidden(RATIO_COLUMN, baseline is None)
        if baseline is None:
            self.baseline_label.setText("")
            self.baseline_label.setStyleSheet("")
            return
        text = f"Costs baseline: {baseline.describe()}."
        mismatch = False
        if report is not None:
            conditions = costs_conditions(self.model_name, report)
            try:
                self.comparison = compare_costs(baseline, conditions, report)
            except BaselineError:
                mismatch = True
                text += " No ratios: these costs differ in step, device, dtype or batch size."
            else:
                total = self.comparison.ratio(report.batch, COST_TOTALS[0])
                text += f" Measured whole: {total.text()}."
        self.baseline_label.setText(text)
        self.baseline_label.setStyleSheet("color: #b9770e;" if mismatch else "")

    def _say_costs(self) -> None:
        report = self.costs
        self.cost_status.setStyleSheet("")
        if report is None:
            self.cost_status.setText("")
            return
        step = "training step" if report.training else "forward pass"
        said = f"Per-block costs of a {step}, batch {report.batch} on {report.device}, "
        said += report.dtype
        if report.measured_total_s is not None:
            timed = sum(
                (cost.forward_s or 0.0) + (cost.backward_s or 0.0)
                for cost in report.blocks.values()
            )
            said += (
                f"; the blocks' times add up to {format_seconds(timed)} of "
                f"{format_seconds(report.measured_total_s)} measured whole"
            )
        said += "."
        self.cost_status.setText(STALE_NOTE if self.costs_stale else said)
        self.cost_status.setToolTip("\n".join([said, *report.notes]))

    def _fill_costs(self) -> None:
        figures = module_costs(self.costs, self.items) if self.costs is not None else {}
        total_time = figures[""].time if "" in figures else None
        brush = QBrush(_STALE) if self.costs_stale else QBrush()
        ratios = self.module_ratios()
        for name, item in self.items.items():
            figure = figures.get(name)
            texts: tuple[str, ...] = ("", "", "", "")
            if figure is not None:
                share = (
                    share_text(figure.time / total_time)
                    if figure.time is not None and total_time
                    else ""
                )
                texts = (
                    f"{format_count(figure.flops)}FLOPs",
                    format_bytes(figure.activation_bytes),
                    format_seconds(figure.time) if figure.time is not None else "",
                    share,
                )
            for offset, text in enumerate(texts):
                item.setText(_FIRST_COST + offset, text)
                item.setForeground(_FIRST_COST + offset, brush)
            self._fill_ratio(item, ratios.get(name), brush)

    def _fill_ratio(self, item: QTreeWidgetItem, value: Ratio | str | None, brush: QBrush) -> None:
        if value is None or isinstance(value, str):
            item.setText(RATIO_COLUMN, value or "")
            item.setForeground(RATIO_COLUMN, brush)
            item.setToolTip(RATIO_COLUMN, "")
            return
        item.setText(RATIO_COLUMN, value.text())
        colour = ratio_colour(value)
        fresh = QBrush(colour) if colour is not None else QBrush()
        item.setForeground(RATIO_COLUMN, brush if self.costs_stale else fresh)
        item.setToolTip(RATIO_COLUMN, "this module's time over the baseline's: below 1 is faster")

    def _picked(self) -> None:
        selected = self.tree.selectedItems()
        if selected:
            self.module_selected.emit(str(selected[0].data(0, _NAME_ROLE)))


@dataclass(slots=True)
class ModuleCost:
    """A module's figures: the sums over the blocks inside it."""

    flops: int = 0
    activation_bytes: int = 0
    time: float | None = None
    """Forward and backward seconds; None where none of its blocks was timed."""


def module_costs(report: CostReport, modules: Iterable[str]) -> dict[str, ModuleCost]:
    """Each module's (qualified name; "" for the model) sums over the blocks that became it or a
    module inside it; the model's take in every block, expressions in ``forward`` too."""
    wanted = set(modules)
    figures: dict[str, ModuleCost] = {}
    for cost in report.blocks.values():
        path = cost.module_path
        owners = {""}
        while path:
            owners.add(path)
            path = path.rpartition(".")[0]
        timed = cost.forward_s is not None or cost.backward_s is not None
        for owner in owners & wanted:
            figure = figures.setdefault(owner, ModuleCost())
            figure.flops += cost.flops_forward + cost.flops_backward
            figure.activation_bytes += cost.activation_bytes
            if timed:
                figure.time = (figure.time or 0.0) + (cost.forward_s or 0.0)
                figure.time += cost.backward_s or 0.0
    return figures
