"""The code panel: the generated module, exactly as exported, highlighted and read-only;
the selected block's lines marked; Copy and Export buttons."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QColor, QFontDatabase, QGuiApplication, QTextCursor, QTextFormat
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTextEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from designer.gui.panels.python_highlighter import PythonHighlighter

_MARK = QColor(255, 236, 179)
WAITING = "Waiting for the model…"


class CodePanel(QWidget):
    export_requested = Signal(str, bool)
    """(format, with weights) as the Export menu offers them."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.status = QLabel(WAITING)
        self.status.setWordWrap(True)
        self.copy_button = QPushButton("Copy")
        self.copy_button.setToolTip("Copy the whole module to the clipboard")
        self.copy_button.clicked.connect(self.copy)
        self.export_button = QToolButton()
        self.export_button.setText("Export")
        self.export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.editor = QPlainTextEdit()
        self.editor.setReadOnly(True)
        self.editor.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.editor.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.highlighter = PythonHighlighter(self.editor.document())
        top = QHBoxLayout()
        top.addWidget(self.status, 1)
        top.addWidget(self.copy_button)
        top.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.editor)
        self.marked: tuple[int, ...] = ()
        self.set_available(False)

    def show_source(self, source: str, heading: str) -> None:
        if source != self.editor.toPlainText():
            scroll = self.editor.verticalScrollBar().value()
            self.editor.setPlainText(source)
            self.editor.verticalScrollBar().setValue(scroll)
        self.status.setText(heading)
        self.status.setStyleSheet("")
        self.set_available(True)
        self.mark_lines(self.marked)

    def show_problems(self, lines: list[str]) -> None:
        """The design can't become code right now: say why, keep the last code greyed."""
        self.status.setText("\n".join(lines))
        self.status.setStyleSheet("color: #c0392b;")
        self.set_available(False)

    def clear(self) -> None:
        """Show no code: the code shown was another design's."""
        self.editor.clear()
        self.marked = ()
        self.status.setText(WAITING)
        self.status.setStyleSheet("")
        self.set_available(False)

    def set_available(self, available: bool) -> None:
        self.editor.setEnabled(available)
        self.copy_button.setEnabled(available)
        self.export_button.setEnabled(available)

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.editor.toPlainText())

    def mark_lines(self, lines: tuple[int, ...]) -> None:
        """Highlight these 1-based lines (a selected block's) and scroll the first into view."""
        self.marked = lines
        selections = []
        document = self.editor.document()
        for line in lines:
            block = document.findBlockByNumber(line - 1)
            if not block.isValid():
                continue
            selection = QTextEdit.ExtraSelection()
            selection.format.setBackground(_MARK)
            selection.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
            cursor = QTextCursor(block)
            selection.cursor = cursor
            selections.append(selection)
        self.editor.setExtraSelections(selections)
        if lines:
            first = document.findBlockByNumber(lines[0] - 1)
            if first.isValid():
                self.editor.setTextCursor(QTextCursor(first))
                self.editor.centerCursor()
