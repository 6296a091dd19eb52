"""Python syntax colours for the code panel: keywords, builtins, strings, numbers, comments,
decorators and the names that ``def`` and ``class`` introduce."""

from __future__ import annotations

import builtins
import keyword
import re

from PySide6.QtGui import QColor, QFont, QSyntaxHighlighter, QTextCharFormat, QTextDocument


def _format(colour: str, bold: bool = False, italic: bool = False) -> QTextCharFormat:
    text_format = QTextCharFormat()
    text_format.setForeground(QColor(colour))
    if bold:
        text_format.setFontWeight(QFont.Weight.Bold)
    text_format.setFontItalic(italic)
    return text_format


_KEYWORDS = r"\b(?:" + "|".join(keyword.kwlist) + r")\b"
_BUILTINS = r"\b(?:" + "|".join(name for name in dir(builtins) if not name.startswith("_")) + r")\b"
_TRIPLE = re.compile(r'"""|\'\'\'')
_IN_DOCSTRING = 1


class PythonHighlighter(QSyntaxHighlighter):
    def __init__(self, document: QTextDocument) -> None:
        super().__init__(document)
        self._string = _format("#a31515")
        self._rules = [
            (re.compile(_KEYWORDS), _format("#0000c0", bold=True)),
            (re.compile(_BUILTINS), _format("#795e26")),
            (re.compile(r"\bself\b"), _format("#808080", italic=True)),
            (re.compile(r"\b\d+(?:\.\d*)?(?:e[+-]?\d+)?\b"), _format("#098658")),
            (re.compile(r"(?<=\bdef )\w+|(?<=\bclass )\w+"), _format("#267f99", bold=True)),
            (re.compile(r"@\w+"), _format("#af00db")),
            (re.compile(r"\"[^\"\\n]*\"|'[^'\\n]*'"), self._string),
            (re.compile(r"#.*$"), _format("#008000", italic=True)),
        ]

    def highlightBlock(self, text: str) -> None:  # noqa: N802 (Qt's name)
        for pattern, text_format in self._rules:
            for match in pattern.finditer(text):
                self.setFormat(match.start(), match.end() - match.start(), text_format)
        self._docstrings(text)

    def _docstrings(self, text: str) -> None:
        """Triple-quoted strings, which may span lines (the block state carries them on)."""
        self.setCurrentBlockState(0)
        position = 0
        if self.previousBlockState() == _IN_DOCSTRING:
            closing = _TRIPLE.search(text)
            if closing is None:
                self.setFormat(0, len(text), self._string)
                self.setCurrentBlockState(_IN_DOCSTRING)
                return
            self.setFormat(0, closing.end(), self._string)
            position = closing.end()
        while (opening := _TRIPLE.search(text, position)) is not None:
            closing = _TRIPLE.search(text, opening.end())
            if closing is None:
                self.setFormat(opening.start(), len(text) - opening.start(), self._string)
                self.setCurrentBlockState(_IN_DOCSTRING)
                return
            self.setFormat(opening.start(), closing.end() - opening.start(), self._string)
            position = closing.end()
