"""The benchmark chart (QtCharts): latency and throughput against batch size for forward passes;
a training step's phases (forward, backward, optimizer step) stacked per batch size, each
phase's p10/p90 in its bar's tooltip. A comparable baseline is drawn beside: a dashed latency
line, or a bar of its own next to each batch size's."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCharts import (
    QBarCategoryAxis,
    QBarSet,
    QChart,
    QChartView,
    QLineSeries,
    QLogValueAxis,
    QStackedBarSeries,
    QValueAxis,
)
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QToolTip

if TYPE_CHECKING:
    from designer.runtime import BatchResult
    from designer.runtime.baseline import Baseline
    from designer.runtime.results import PhaseTiming, TrainResult

LATENCY_COLOUR = QColor("#2874a6")
THROUGHPUT_COLOUR = QColor("#d35400")
PHASE_COLOURS = {
    "forward": QColor("#2874a6"),
    "backward": QColor("#d35400"),
    "optimizer step": QColor("#7d3c98"),
}
"""The training step's phases as the baseline names them, bottom to top."""
FORWARD_TITLE = "latency and throughput against batch size"
TRAIN_TITLE = "training step by phase (median ms)"


class BenchChart(QChartView):
    def __init__(self) -> None:
        self._chart = QChart()
        super().__init__(self._chart)
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self._chart.setTitle("Run a sweep (e.g. 1, 8, 32) to chart it")
        self._chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
        self.setMinimumSize(320, 220)
        self.latency = QLineSeries()
        self.throughput = QLineSeries()
        self.baseline_latency: QLineSeries | None = None
        self.phase_sets: dict[str, QBarSet] = {}
        self.categories: list[str] = []
        self._title = FORWARD_TITLE

    def _clear(self) -> None:
        chart = self._chart
        chart.removeAllSeries()
        for axis in chart.axes():
            chart.removeAxis(axis)
        self.baseline_latency = None
        self.phase_sets = {}
        self.categories = []

    def show_results(
        self, results: Sequence[BatchResult], baseline: Baseline | None = None
    ) -> None:
        """Forward passes; ``baseline`` (of forward passes at these batch sizes) dashed."""
        chart = self._chart
        self._clear()
        self.latency = QLineSeries()
        self.latency.setName("median latency (ms)")
        self.latency.setPen(QPen(LATENCY_COLOUR, 2.0))
        self.throughput = QLineSeries()
        self.throughput.setName("throughput (samples/s)")
        self.throughput.setPen(QPen(THROUGHPUT_COLOUR, 2.0))
        for result in sorted(results, key=lambda r: r.batch):
            self.latency.append(result.batch, result.median_s * 1e3)
            self.throughput.append(result.batch, result.throughput)
        latencies = [r.median_s for r in results]
        series = [self.latency, self.throughput]
        if baseline is not None:
            self.baseline_latency = _baseline_line(baseline, [r.batch for r in results])
            latencies += [point.y() / 1e3 for point in self.baseline_latency.points()]
            series.append(self.baseline_latency)
        for each in series:
            each.setPointsVisible(True)
            chart.addSeries(each)
        batch_axis = QLogValueAxis()
        batch_axis.setBase(2.0)
        batch_axis.setLabelFormat("%g")
        batch_axis.setTitleText("batch size")
        chart.addAxis(batch_axis, Qt.AlignmentFlag.AlignBottom)
        latency_axis = QValueAxis()
        latency_axis.setTitleText("ms")
        latency_axis.setLabelsColor(LATENCY_COLOUR)
        chart.addAxis(latency_axis, Qt.AlignmentFlag.AlignLeft)
        throughput_axis = QValueAxis()
        throughput_axis.setTitleText("samples/s")
        throughput_axis.setLabelsColor(THROUGHPUT_COLOUR)
        chart.addAxis(throughput_axis, Qt.AlignmentFlag.AlignRight)
        for each in series:
            each.attachAxis(batch_axis)
            each.attachAxis(throughput_axis if each is self.throughput else latency_axis)
        batches = [result.batch for result in results]
        batch_axis.setRange(min(batches) / 1.5, max(batches) * 1.5)
        latency_axis.setRange(0, max(latencies) * 1e3 * 1.15)
        throughput_axis.setRange(0, max(r.throughput for r in results) * 1.15)
        self._title = FORWARD_TITLE
        chart.setTitle(self._title)

    def show_train_results(
        self, results: Sequence[TrainResult], baseline: Baseline | None = None
    ) -> None:
        """Each batch size's phases stacked; with ``baseline`` (of training steps at these batch
        sizes), its phases in a bar beside each."""
        from designer.runtime.baseline import phases_of

        chart = self._chart
        self._clear()
        timings: list[dict[str, PhaseTiming]] = []
        for result in sorted(results, key=lambda r: r.batch):
            self.categories.append(f"batch {result.batch:,}")
            timings.append(phases_of(result))
            if baseline is not None and result.batch in baseline.phases:
                self.categories.append(f"base {result.batch:,}")
                timings.append(baseline.phases[result.batch])
        bars = QStackedBarSeries()
        for phase, colour in PHASE_COLOURS.items():
            bar_set = QBarSet(phase)
            bar_set.setColor(colour)
            bar_set.setBorderColor(colour)
            for timing in timings:
                bar_set.append(timing[phase].median_s * 1e3)
            bar_set.hovered.connect(
                lambda on, index, name=phase: self._phase_tip(on, index, name, timings)
            )
            self.phase_sets[phase] = bar_set
            bars.append(bar_set)
        chart.addSeries(bars)
        category_axis = QBarCategoryAxis()
        category_axis.append(self.categories)
        chart.addAxis(category_axis, Qt.AlignmentFlag.AlignBottom)
        time_axis = QValueAxis()
        time_axis.setTitleText("ms")
        chart.addAxis(time_axis, Qt.AlignmentFlag.AlignLeft)
        bars.attachAxis(category_axis)
        bars.attachAxis(time_axis)
        tallest = max(sum(t[p].median_s for p in PHASE_COLOURS) for t in timings)
        time_axis.setRange(0, tallest * 1e3 * 1.15)
        self._title = TRAIN_TITLE
        chart.setTitle(self._title)

    def _phase_tip(
        self, on: bool, index: int, phase: str, timings: Sequence[dict[str, PhaseTiming]]
    ) -> None:
        if not on:
            QToolTip.hideText()
            return
        QToolTip.showText(
            self.cursor().pos(), phase_tip(self.categories[index], phase, timings[index][phase])
        )

    def set_stale(self, stale: bool) -> None:
        if self._chart.series():
            title = self._title
            self._chart.setTitle(f"{title} (stale: the design changed)" if stale else title)


def phase_tip(category: str, phase: str, timing: PhaseTiming) -> str:
    """E.g. "batch 32, backward: median 4.120 ms (p10 4.010, p90 4.380)"."""
    return (
        f"{category}, {phase}: median {timing.median_s * 1e3:.3f} ms "
        f"(p10 {timing.p10_s * 1e3:.3f}, p90 {timing.p90_s * 1e3:.3f})"
    )


def _baseline_line(baseline: Baseline, batches: Sequence[int]) -> QLineSeries:
    """The baseline's median latency at the batch sizes shown, dashed."""
    from designer.runtime.baseline import FORWARD_PHASES

    line = QLineSeries()
    line.setName("baseline latency (ms)")
    pen = QPen(LATENCY_COLOUR, 1.5)
    pen.setStyle(Qt.PenStyle.DashLine)
    line.setPen(pen)
    for batch in sorted(batches):
        phases = baseline.phases.get(batch)
        if phases is not None and FORWARD_PHASES[0] in phases:
            line.append(batch, phases[FORWARD_PHASES[0]].median_s * 1e3)
    return line
