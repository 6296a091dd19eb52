"""Latency and throughput against batch size, for a sweep (QtCharts)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCharts import QChart, QChartView, QLineSeries, QLogValueAxis, QValueAxis
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPainter, QPen

if TYPE_CHECKING:
    from designer.runtime import BatchResult

LATENCY_COLOUR = QColor("#2874a6")
THROUGHPUT_COLOUR = QColor("#d35400")


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

    def show_results(self, results: Sequence[BatchResult]) -> None:
        chart = self._chart
        chart.removeAllSeries()
        for axis in chart.axes():
            chart.removeAxis(axis)
        self.latency = QLineSeries()
        self.latency.setName("median latency (ms)")
        self.latency.setPen(QPen(LATENCY_COLOUR, 2.0))
        self.throughput = QLineSeries()
        self.throughput.setName("throughput (samples/s)")
        self.throughput.setPen(QPen(THROUGHPUT_COLOUR, 2.0))
        for result in sorted(results, key=lambda r: r.batch):
            self.latency.append(result.batch, result.median_s * 1e3)
            self.throughput.append(result.batch, result.throughput)
        for series in (self.latency, self.throughput):
            series.setPointsVisible(True)
            chart.addSeries(series)
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
        self.latency.attachAxis(batch_axis)
        self.latency.attachAxis(latency_axis)
        self.throughput.attachAxis(batch_axis)
        self.throughput.attachAxis(throughput_axis)
        batches = [result.batch for result in results]
        batch_axis.setRange(min(batches) / 1.5, max(batches) * 1.5)
        latency_axis.setRange(0, max(r.median_s for r in results) * 1e3 * 1.15)
        throughput_axis.setRange(0, max(r.throughput for r in results) * 1.15)
        chart.setTitle("latency and throughput against batch size")

    def set_stale(self, stale: bool) -> None:
        title = "latency and throughput against batch size"
        if self._chart.series():
            self._chart.setTitle(f"{title} (stale: the design changed)" if stale else title)
