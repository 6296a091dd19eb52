"""The import report panel: what the last import couldn't map (each with the line of the
model's code that calls it, and what to do) and its notes. Clicking an unmapped operation asks
for the block that stands in for it."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from designer.importer.report import ImportReport

NOTHING_YET = "Import a model (File > Import Model…) to see what it couldn't map."
BLOCK_ROLE = Qt.ItemDataRole.UserRole
COLUMNS = ("What", "Where", "What to do")


class ImportReportPanel(QWidget):
    block_chosen = Signal(str)
    """The id of the block an unmapped operation became."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.summary = QLabel(NOTHING_YET)
        self.summary.setWordWrap(True)
        self.tree = QTreeWidget()
        self.tree.setColumnCount(len(COLUMNS))
        self.tree.setHeaderLabels(COLUMNS)
        self.tree.setRootIsDecorated(False)
        self.tree.setWordWrap(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.itemClicked.connect(self._clicked)
        self.tree.itemActivated.connect(self._clicked)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.summary)
        layout.addWidget(self.tree)

    def show_report(self, report: ImportReport, source: str) -> None:
        self.tree.clear()
        count = len(report.unmapped)
        if count:
            standing_in = sum(bool(unmapped.block) for unmapped in report.unmapped)
            self.summary.setText(
                f"{source}: {count} thing{'s' if count != 1 else ''} couldn't be mapped"
                + (
                    f"; {standing_in} stood in for by a block (click one to select it)."
                    if standing_in
                    else "."
                )
            )
        else:
            self.summary.setText(f"{source}: every operation was mapped.")
        for unmapped in report.unmapped:
            item = QTreeWidgetItem([unmapped.what, unmapped.where or "(unknown)", unmapped.advice])
            item.setData(0, BLOCK_ROLE, unmapped.block)
            item.setToolTip(0, unmapped.line())
            item.setToolTip(2, unmapped.advice)
            self.tree.addTopLevelItem(item)
        for note in report.notes:
            item = QTreeWidgetItem(["note", "", note])
            item.setData(0, BLOCK_ROLE, "")
            item.setToolTip(2, note)
            self.tree.addTopLevelItem(item)
        for column in range(len(COLUMNS) - 1):
            self.tree.resizeColumnToContents(column)

    def entries(self) -> list[QTreeWidgetItem]:
        items = (self.tree.topLevelItem(row) for row in range(self.tree.topLevelItemCount()))
        return [item for item in items if item is not None]

    def _clicked(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        block_id = item.data(0, BLOCK_ROLE)
        if block_id:
            self.block_chosen.emit(str(block_id))
