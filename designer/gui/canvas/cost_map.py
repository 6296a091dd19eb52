"""The canvas's cost map: View > Cost map colours each block by its share of the design's time,
FLOPs, parameters or activation memory (from the latest per-block measurement, a ``CostReport``),
with a legend in the canvas's corner and the figure and share in each block's tooltip.

Parameters need no measurement: the model analysis counts them, so they show before any
report. A report measured before the latest edit still colours the blocks it knows, and the
legend says it is stale. Colouring only sets each block's fill (cached by the block), so it
costs nothing per frame at any zoom.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QAbstractScrollArea, QMenu, QWidget

from designer.gui.canvas.cost_colours import (
    MEASURES,
    cost_colours,
    cost_text,
    measure_title,
    share_text,
)
from designer.gui.canvas.cost_legend import CostLegend, LegendText

if TYPE_CHECKING:
    from designer.gui.canvas.scene import DesignScene
    from designer.runtime.block_costs import CostMeasure, CostReport

OFF = "off"


def _measure(value: str) -> CostMeasure:
    # here, not at the top: the runtime package imports torch, which the window loads later
    from designer.runtime.block_costs import CostMeasure

    return CostMeasure(value)


class CostMap(QObject):
    measure_changed = Signal(object)
    """The ``CostMeasure`` the blocks are coloured by now, or None: the map is off."""

    def __init__(self, scene: DesignScene, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.scene = scene
        self.measure: CostMeasure | None = None
        self.report: CostReport | None = None
        self.stale = False
        """The design changed since ``report`` was measured."""
        self.known_parameters: dict[str, int] = {}
        """Block id -> parameters, from the model analysis (current without a measurement)."""
        self.legend: CostLegend | None = None
        self.actions: dict[str, QAction] = {}
        """The menu's entries: ``OFF`` and each ``CostMeasure`` value."""

    # --- what to show ------------------------------------------------------------------------

    def set_measure(self, measure: CostMeasure | str | None) -> None:
        """Colour by ``measure`` (a ``CostMeasure`` or its value); None or ``OFF``: plain."""
        if isinstance(measure, str):
            measure = None if measure == OFF else _measure(measure)
        if measure == self.measure:
            return
        self.measure = measure
        action = self.actions.get(OFF if measure is None else measure.value)
        if action is not None and not action.isChecked():
            action.setChecked(True)
        self.apply()
        self.measure_changed.emit(measure)

    def set_report(self, report: CostReport | None, *, stale: bool = False) -> None:
        self.report, self.stale = report, stale
        self.apply()

    def set_stale(self, stale: bool) -> None:
        """Whether the design changed since the report; re-colours blocks made since."""
        self.stale = stale
        self.apply()

    def set_known_parameters(self, parameters: Mapping[str, int]) -> None:
        self.known_parameters = dict(parameters)
        if self.measure is not None and self.measure.value == "parameters":
            self.apply()

    def values(self) -> dict[str, float]:
        """Block id -> the value of the shown measure, for blocks on the canvas that cost some
        of it (an input, or a ReLU's parameters, costs none: it keeps the plain fill)."""
        measure = self.measure
        if measure is None:
            return {}
        shown = self.scene.blocks
        if measure.value == "parameters" and self.known_parameters:
            known = self.known_parameters
            return {block: float(n) for block, n in known.items() if n > 0 and block in shown}
        report = self.report
        if report is None:
            return {}
        if measure.value == "time" and not any(
            cost.forward_s is not None or cost.backward_s is not None
            for cost in report.blocks.values()
        ):
            return {}  # nothing was timed: every block at 0 would all look the same
        values = {block: cost.value(measure) for block, cost in report.blocks.items()}
        return {block: value for block, value in values.items() if value > 0 and block in shown}

    def _total(self, values: Mapping[str, float]) -> float:
        """What shares are of: the report's whole total (blocks deleted since included)."""
        measure, report = self.measure, self.report
        if measure is None:
            return 0.0
        if report is None or (measure.value == "parameters" and self.known_parameters):
            return sum(values.values())
        return sum(cost.value(measure) for cost in report.blocks.values())

    # --- showing it --------------------------------------------------------------------------

    def apply(self) -> None:
        """Colour every block for the measure shown (or none), and refresh the legend."""
        values = self.values()
        colours = cost_colours(values)
        total = self._total(values)
        measure = self.measure
        for block_id, item in self.scene.blocks.items():
            colour = colours.get(block_id)
            note = ""
            if colour is not None and measure is not None:
                value = values[block_id]
                share = value / total if total else 0.0
                note = f"{self._title()}: {cost_text(measure, value)}, {share_text(share)} of all"
            item.set_cost_colour(colour, note)
        self._show_legend(values, total)

    def _title(self) -> str:
        assert self.measure is not None
        report = self.report
        return measure_title(self.measure, report.training if report is not None else None)

    def legend_text(self, values: Mapping[str, float], total: float) -> LegendText | None:
        measure = self.measure
        if measure is None:
            return None
        title = f"Cost map: {self._title()}"
        if not values:
            hint = f"Measure per block (Model panel) to see {measure.value}"
            return LegendText(title, "", "", (hint,))
        largest, least = max(values.values()), min(values.values())
        high = cost_text(measure, largest) + (f" ({share_text(largest / total)})" if total else "")
        notes = [f"least {cost_text(measure, least)} · total {cost_text(measure, total)}"]
        report = self.report
        from_analysis = bool(measure.value == "parameters" and self.known_parameters)
        if from_analysis:
            notes.append("counted from the model as it is now")
        elif report is not None:
            step = "training step" if report.training else "forward pass"
            notes.append(f"{step}, batch {report.batch} on {report.device}, {report.dtype}")
        stale = self.stale and not from_analysis
        if stale:
            notes.append("measured before the latest edit: measure again")
        return LegendText(title, "0", high, tuple(notes), stale)

    def _show_legend(self, values: Mapping[str, float], total: float) -> None:
        if self.legend is None:
            return
        text = self.legend_text(values, total)
        if text is None:
            self.legend.hide()
        else:
            self.legend.show_text(text)

    # --- the menu ----------------------------------------------------------------------------

    def make_menu(self, view: QAbstractScrollArea, parent: QWidget | None = None) -> QMenu:
        """View > Cost map: Off, or one measure to colour the blocks by; its legend goes over
        ``view``'s corner."""
        if self.legend is None:
            self.legend = CostLegend(view)
        menu = QMenu("Cost &map", parent)
        menu.setToolTipsVisible(True)
        group = QActionGroup(menu)
        group.setExclusive(True)
        for key, text in ((OFF, "&Off"), *MEASURES):
            action = QAction(text, menu)
            action.setCheckable(True)
            action.setChecked(key == (OFF if self.measure is None else self.measure.value))
            action.triggered.connect(lambda _checked=False, k=key: self.set_measure(k))
            group.addAction(action)
            menu.addAction(action)
            self.actions[key] = action
        self.actions[OFF].setToolTip("Blocks in their plain colours")
        menu.addSeparator()
        self.apply()
        return menu
