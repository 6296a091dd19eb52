"""The canvas's cost map and the Model panel's cost columns, from hand-made ``CostReport``s: the
largest share takes the darkest colour, blocks without a cost keep the plain fill, Off restores
it, the legend names the measure and the range, another measure recolours, the panel shows each
module's figures and greys them after an edit, and Measure per block asks the worker's
``block_costs`` with the Benchmark panel's settings."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QStyleOptionGraphicsItem
from pytestqt.qtbot import QtBot

from designer.compiler.analysis import analyse_design
from designer.graph.edits import SetParam
from designer.graph.fileformat import model_content
from designer.gui import model_service
from designer.gui.canvas import style
from designer.gui.canvas.block_item import BlockItem
from designer.gui.canvas.cost_colours import YLORRD, relative_luminance
from designer.gui.canvas.cost_map import OFF
from designer.gui.main_window import MainWindow
from designer.gui.panels.model_panel import COLUMNS, COST_COLUMNS, STALE_NOTE
from designer.runtime.block_costs import BlockCost, CostMeasure, CostReport
from tests.gui.helpers import block_id, open_design, small_design

FIRST_COST = len(COLUMNS)


def cost(
    block: str, path: str, *, params: int, flops: int, memory: int, forward: float
) -> BlockCost:
    return BlockCost(block, path, params, flops, 2 * flops, memory, forward, 2 * forward)


def report_for(window: MainWindow) -> CostReport:
    """conv: most time, FLOPs and memory; fc: most parameters; flat: little of anything."""
    x, conv, flat, fc = (block_id(window, name) for name in ("x", "conv", "flat", "fc"))
    blocks = {
        x: cost(x, "", params=0, flops=0, memory=0, forward=0.0),
        conv: cost(conv, "conv", params=320, flops=900_000, memory=100_352, forward=3e-4),
        flat: cost(flat, "flat", params=0, flops=0, memory=100_352, forward=1e-5),
        fc: cost(fc, "fc", params=250_890, flops=500_000, memory=40, forward=1e-4),
    }
    return CostReport(blocks, "cpu", "fp32", 1, True, measured_total_s=1.3e-3)


@pytest.fixture
def shown(window: MainWindow) -> CostReport:
    """The small design open, with a report measured on it as it is."""
    open_design(window, small_design())
    report = report_for(window)
    window.model_docks.show_costs(report, model_content(window.document.design))
    return report


def item(window: MainWindow, name: str) -> BlockItem:
    return window.scene.blocks[block_id(window, name)]


def painted_fill(block: BlockItem, scale: float) -> QColor:
    """The colour painted inside the block's top-right corner (clear of its text) at ``scale``."""
    image = QImage(400, 200, QImage.Format.Format_ARGB32)
    image.fill(QColor("black"))
    painter = QPainter(image)
    painter.scale(scale, scale)
    painter.translate(-block.boundingRect().topLeft())
    block.paint(painter, QStyleOptionGraphicsItem(), None)
    painter.end()
    offset = block.boundingRect().topLeft()
    x, y = (style.BLOCK_WIDTH - 24 - offset.x()) * scale, (8 - offset.y()) * scale
    return image.pixelColor(round(x), round(y))


def test_the_largest_share_takes_the_darkest_colour(window: MainWindow, shown: CostReport) -> None:
    window.model_docks.cost_map.set_measure(CostMeasure.TIME)
    conv, flat, fc = (item(window, name) for name in ("conv", "flat", "fc"))
    assert conv.cost_colour == YLORRD[-1]
    assert flat.cost_colour is not None and fc.cost_colour is not None
    luminance = [relative_luminance(i.cost_colour or "") for i in (conv, fc, flat)]
    assert luminance == sorted(luminance)
    for name in ("x", "out"):  # costs nothing, or not measured: the plain fill
        assert item(window, name).cost_colour is None


def test_the_tooltip_gives_the_figure_and_its_share(window: MainWindow, shown: CostReport) -> None:
    window.model_docks.cost_map.set_measure(CostMeasure.TIME)
    tip = item(window, "conv").toolTip()
    assert "conv" in tip  # the shape checker's lines stay
    share = shown.share(block_id(window, "conv"), CostMeasure.TIME)
    assert f"Time (forward + backward): 900.0 µs, {share * 100:.1f}% of all" in tip
    assert "of all" not in item(window, "x").toolTip()


@pytest.mark.parametrize("scale", [1.0, 0.5])
def test_the_fill_is_painted_at_both_levels_of_detail(
    window: MainWindow, shown: CostReport, scale: float
) -> None:
    conv = item(window, "conv")
    assert painted_fill(conv, scale) == style.BLOCK_FILL
    window.model_docks.cost_map.set_measure(CostMeasure.TIME)
    assert painted_fill(conv, scale) == QColor(YLORRD[-1])


def test_off_restores_the_plain_fill(window: MainWindow, shown: CostReport) -> None:
    cost_map = window.model_docks.cost_map
    cost_map.actions["time"].trigger()
    assert cost_map.measure is CostMeasure.TIME
    assert cost_map.legend is not None and cost_map.legend.isVisible()
    cost_map.actions[OFF].trigger()
    assert cost_map.measure is None
    for block in window.scene.blocks.values():
        assert block.cost_colour is None
        assert "of all" not in block.toolTip()
    assert painted_fill(item(window, "conv"), 1.0) == style.BLOCK_FILL
    assert not cost_map.legend.isVisible()


def test_the_view_menu_offers_off_and_each_measure(window: MainWindow) -> None:
    view_menu = next(
        action.menu() for action in window.menuBar().actions() if action.text() == "&View"
    )
    cost_menu = next(a.menu() for a in view_menu.actions() if a.text() == "Cost &map")
    texts = [action.text() for action in cost_menu.actions() if action.text()]
    assert texts == [
        "&Off",
        "&Time",
        "&FLOPs",
        "&Parameters",
        "Activation &memory",
        "Measure &per Block",
    ]


def test_the_legend_shows_the_measure_and_the_range(window: MainWindow, shown: CostReport) -> None:
    cost_map = window.model_docks.cost_map
    cost_map.set_measure(CostMeasure.TIME)
    legend = cost_map.legend
    assert legend is not None and legend.isVisible()
    text = legend.text
    assert text.title == "Cost map: Time (forward + backward)"
    assert text.low == "0"
    conv_share = shown.share(block_id(window, "conv"), CostMeasure.TIME)
    assert text.high == f"900.0 µs ({conv_share * 100:.1f}%)"
    assert text.notes[0] == "least 30.0 µs · total 1.23 ms"
    assert text.notes[1] == "training step, batch 1 on cpu, fp32"
    assert not text.stale
    view = window.view.viewport().geometry()
    assert view.contains(legend.geometry())


def test_switching_measure_recolours(window: MainWindow, shown: CostReport) -> None:
    cost_map = window.model_docks.cost_map
    cost_map.set_measure(CostMeasure.TIME)
    assert item(window, "conv").cost_colour == YLORRD[-1]
    cost_map.actions["parameters"].trigger()
    assert item(window, "fc").cost_colour == YLORRD[-1]
    assert item(window, "flat").cost_colour is None  # measured, and none: no colour
    conv = item(window, "conv").cost_colour
    assert conv is not None and relative_luminance(conv) > relative_luminance(YLORRD[-1])
    assert cost_map.legend is not None
    assert cost_map.legend.text.title == "Cost map: Parameters"
    assert cost_map.legend.text.high == "250.9 k (99.9%)"
    cost_map.set_measure(CostMeasure.MEMORY)
    assert cost_map.legend.text.high == "98.0 KiB (50.0%)"
    assert item(window, "fc").cost_colour == YLORRD[0]  # 40 bytes: the least there is


def test_without_a_measurement_time_asks_for_one(window: MainWindow) -> None:
    open_design(window, small_design())
    cost_map = window.model_docks.cost_map
    cost_map.set_measure(CostMeasure.TIME)
    assert all(block.cost_colour is None for block in window.scene.blocks.values())
    assert cost_map.legend is not None
    assert cost_map.legend.text.notes == ("Measure per block (Model panel) to see time",)


def test_parameters_show_from_the_model_before_any_measurement(window: MainWindow) -> None:
    open_design(window, small_design())
    window.model_docks.live.updated.emit(analyse_design(window.document.design))
    cost_map = window.model_docks.cost_map
    cost_map.set_measure(CostMeasure.PARAMETERS)
    assert item(window, "fc").cost_colour == YLORRD[-1]  # 250,890 of 251,210
    assert item(window, "conv").cost_colour is not None
    assert item(window, "x").cost_colour is None
    assert cost_map.legend is not None
    assert "counted from the model as it is now" in cost_map.legend.text.notes


def test_the_model_panel_shows_each_modules_figures(window: MainWindow, shown: CostReport) -> None:
    docks = window.model_docks
    docks.live.updated.emit(analyse_design(window.document.design))
    panel = docks.model_panel
    headers = [panel.tree.headerItem().text(FIRST_COST + n) for n in range(len(COST_COLUMNS))]
    assert headers == ["FLOPs", "activation memory", "time (fwd+bwd)", "share of time"]
    conv = [panel.items["conv"].text(FIRST_COST + n) for n in range(len(COST_COLUMNS))]
    assert conv == ["2.7 MFLOPs", "98.0 KiB", "900.0 µs", "73.2%"]
    model = [panel.items[""].text(FIRST_COST + n) for n in range(len(COST_COLUMNS))]
    assert model == ["4.2 MFLOPs", "196.0 KiB", "1.23 ms", "100.0%"]
    assert panel.items["conv.0"].text(FIRST_COST) == ""  # no block became it alone
    assert "training step, batch 1 on cpu, fp32" in panel.cost_status.text()
    assert "1.23 ms of 1.30 ms measured whole" in panel.cost_status.text()


def test_the_figures_go_stale_after_an_edit_and_back_after_undo(
    window: MainWindow, shown: CostReport
) -> None:
    docks = window.model_docks
    docks.live.updated.emit(analyse_design(window.document.design))
    docks.cost_map.set_measure(CostMeasure.TIME)
    panel = docks.model_panel
    assert not panel.costs_stale
    window.document.edit("Set out_features", [SetParam(block_id(window, "fc"), "out_features", 5)])
    window.document.check_now()
    assert panel.costs_stale
    assert panel.cost_status.text() == STALE_NOTE
    assert panel.items["conv"].text(FIRST_COST + 2) == "900.0 µs"  # kept, greyed
    assert panel.items["conv"].foreground(FIRST_COST + 2).color() != QColor("black")
    assert docks.cost_map.legend is not None and docks.cost_map.legend.text.stale
    assert item(window, "conv").cost_colour == YLORRD[-1]  # still shown, said stale
    window.document.undo_stack.undo()
    window.document.check_now()
    assert not panel.costs_stale
    assert not docks.cost_map.legend.text.stale


def test_another_design_drops_the_figures(window: MainWindow, shown: CostReport) -> None:
    docks = window.model_docks
    docks.cost_map.set_measure(CostMeasure.TIME)
    open_design(window, small_design())
    assert docks.model_panel.costs is None
    assert docks.cost_map.report is None
    assert all(block.cost_colour is None for block in window.scene.blocks.values())


class FakeWorker:
    """Stands in for ``TorchWorker``: answers ``block_costs`` with a prepared report."""

    def __init__(self, answer: CostReport) -> None:
        self.answer = answer
        self.asked: list[tuple[str, Any]] = []
        self.thread: threading.Thread | None = None

    def block_costs(self, design_json: str, settings: Any, **_options: Any) -> CostReport:
        self.asked.append((design_json, settings))
        return self.answer

    def cancel(self) -> None:
        pass

    def close(self) -> None:
        pass


def test_measure_per_block_asks_the_worker_with_the_benchmark_settings(
    window: MainWindow, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    open_design(window, small_design())
    worker = FakeWorker(report_for(window))
    monkeypatch.setattr(model_service, "_new_worker", lambda: worker)
    docks = window.model_docks
    docks.bench_panel.batches.setText("4, 8")
    docks.bench_panel.dtype.setCurrentText("bf16")
    docks.model_panel.measure_button.click()
    qtbot.waitUntil(lambda: docks.model_panel.costs is not None, timeout=10_000)
    ((_design, settings),) = worker.asked
    assert settings.batches == (4,)
    assert settings.dtype == "bf16"
    assert settings.mode == docks.bench_panel.step_choice()[0]
    assert docks.cost_map.measure is CostMeasure.TIME  # the map comes on to show it
    assert item(window, "conv").cost_colour == YLORRD[-1]
    assert docks.model_panel.measure_button.isEnabled()


def test_measure_per_block_refuses_a_design_with_shape_errors(window: MainWindow) -> None:
    open_design(window, small_design())
    fc = block_id(window, "fc")
    window.document.edit("Break", [SetParam(fc, "in_features", 3)])
    window.document.check_now()
    assert not window.document.report.ok
    assert not window.model_docks.measure_block_costs()
    assert "fix the shape errors first" in window.model_docks.model_panel.cost_status.text()
