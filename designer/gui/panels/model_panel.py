"""The model panel: the live module as an expandable tree (name, type, output shape,
parameters) beside the exact text ``print(model)`` gives, with the model's totals above."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from designer.units import format_bytes, format_count

if TYPE_CHECKING:
    from designer.compiler.analysis import ModelAnalysis

_NAME_ROLE = Qt.ItemDataRole.UserRole
COLUMNS = ("module", "type", "output shape", "parameters")
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
WAITING = "Waiting for the model…"


class ModelPanel(QWidget):
    module_selected = Signal(str)
    """The qualified name of a module picked in the tree ("" for the model itself)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.totals = QLabel(WAITING)
        self.totals.setWordWrap(True)
        self.tree = QTreeWidget()
        self.tree.setColumnCount(len(COLUMNS))
        self.tree.setHeaderLabels(list(COLUMNS))
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
        layout.addWidget(self.totals)
        layout.addWidget(splitter, 1)
        self.items: dict[str, QTreeWidgetItem] = {}
        self.tree.itemSelectionChanged.connect(self._picked)

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
                item.setTextAlignment(
                    3, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                )
                self.items[name] = item
            for name, item in self.items.items():
                item.setExpanded(name in expanded or (first and name.count(".") < 1))
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

    def _picked(self) -> None:
        selected = self.tree.selectedItems()
        if selected:
            self.module_selected.emit(str(selected[0].data(0, _NAME_ROLE)))
