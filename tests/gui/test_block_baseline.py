"""The Model panel's per-block baseline, from hand-made ``CostReport``s: Keep costs as baseline
holds the shown costs, a later measurement shows each module's time over them (green faster,
red slower, "same" within 3%, "added" for a module the baseline hasn't), one of another batch
size shows none and says why, the baseline outlives switching designs, and Clear baseline
empties and hides the column."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QColor

from designer.compiler.analysis import analyse_design
from designer.graph.fileformat import model_content
from designer.gui.main_window import MainWindow
from designer.gui.panels.model_panel import RATIO_COLUMN, RATIO_TITLE, ModelPanel
from designer.gui.panels.ratio_text import FASTER_COLOUR, SLOWER_COLOUR
from designer.runtime.block_costs import BlockCost, CostReport
from tests.gui.helpers import block_id, open_design, small_design

TIMES = {"conv": 3e-4, "flat": 1e-5, "fc": 1e-4}


def report_of(
    window: MainWindow, times: dict[str, float], *, batch: int = 1, paths: dict[str, str] | None
) -> CostReport:
    """A training step's costs with each named block's forward time (backward twice it)."""
    paths = paths or {}
    blocks = {}
    for name, seconds in times.items():
        block = block_id(window, name)
        path = paths.get(name, name)
        blocks[block] = BlockCost(block, path, 10, 1000, 2000, 64, seconds, 2 * seconds)
    total = 3 * sum(times.values())
    return CostReport(blocks, "cpu", "fp32", batch, True, measured_total_s=total)


def show(window: MainWindow, report: CostReport) -> ModelPanel:
    docks = window.model_docks
    docks.show_costs(report, model_content(window.document.design))
    return docks.model_panel


def ratio_cell(panel: ModelPanel, module: str) -> tuple[str, QColor]:
    item = panel.items[module]
    return item.text(RATIO_COLUMN), item.foreground(RATIO_COLUMN).color()


@pytest.fixture
def analysed(window: MainWindow) -> MainWindow:
    open_design(window, small_design())
    window.model_docks.live.updated.emit(analyse_design(window.document.design))
    return window


def test_kept_costs_give_later_ones_a_ratio_per_module(analysed: MainWindow) -> None:
    panel = show(analysed, report_of(analysed, TIMES, paths=None))
    assert panel.tree.isColumnHidden(RATIO_COLUMN)
    assert panel.tree.headerItem().text(RATIO_COLUMN) == RATIO_TITLE
    assert panel.keep_baseline_button.isEnabled()
    assert not panel.clear_baseline_button.isEnabled()
    assert panel.keep_baseline()
    assert not panel.tree.isColumnHidden(RATIO_COLUMN)
    assert ratio_cell(panel, "conv")[0] == "x1.00 (same)"  # the baseline against itself

    later = {"conv": 1.5e-4, "flat": 1.02e-5, "fc": 2e-4}
    show(analysed, report_of(analysed, later, paths=None))
    assert ratio_cell(panel, "conv") == ("x0.50 (faster)", FASTER_COLOUR)
    assert ratio_cell(panel, "fc") == ("x2.00 (slower)", SLOWER_COLOUR)
    text, colour = ratio_cell(panel, "flat")
    assert text == "x1.02 (same)"
    assert colour not in (FASTER_COLOUR, SLOWER_COLOUR)
    assert ratio_cell(panel, "")[0] == "x0.88 (faster)"  # 3.602e-4 of 4.1e-4 in all
    assert "Costs baseline: " in panel.baseline_label.text()
    assert "Measured whole: x0.88 (faster)" in panel.baseline_label.text()


def test_a_module_the_baseline_hasnt_is_added(analysed: MainWindow) -> None:
    panel = show(analysed, report_of(analysed, TIMES, paths={"fc": "head"}))
    panel.keep_baseline()
    show(analysed, report_of(analysed, TIMES, paths=None))
    assert ratio_cell(panel, "fc")[0] == "added"
    assert ratio_cell(panel, "conv")[0] == "x1.00 (same)"


def test_costs_of_another_batch_get_no_ratio_and_say_why(analysed: MainWindow) -> None:
    panel = show(analysed, report_of(analysed, TIMES, paths=None))
    panel.keep_baseline()
    show(analysed, report_of(analysed, TIMES, batch=8, paths=None))
    assert panel.comparison is None
    assert all(item.text(RATIO_COLUMN) == "" for item in panel.items.values())
    assert "No ratios" in panel.baseline_label.text()


def test_the_baseline_outlives_another_design_and_clear_drops_it(analysed: MainWindow) -> None:
    panel = show(analysed, report_of(analysed, TIMES, paths=None))
    panel.keep_baseline()
    analysed.model_docks.live.reset.emit()  # another design opened: its model isn't this one
    assert panel.costs is None and panel.baseline is not None
    analysed.model_docks.live.updated.emit(analyse_design(analysed.document.design))
    show(analysed, report_of(analysed, {**TIMES, "conv": 6e-4}, paths=None))
    assert ratio_cell(panel, "conv") == ("x2.00 (slower)", SLOWER_COLOUR)
    panel.clear_baseline_button.click()
    assert panel.baseline is None and panel.baseline_label.text() == ""
    assert all(item.text(RATIO_COLUMN) == "" for item in panel.items.values())
    assert panel.tree.isColumnHidden(RATIO_COLUMN)
    assert not panel.clear_baseline_button.isEnabled()
