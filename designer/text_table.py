"""Plain-text tables as the command line prints them: a header, a rule, then the rows."""

from __future__ import annotations

from collections.abc import Sequence


def text_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """The table's lines: columns padded to fit, the last (a number) right-aligned."""
    table = [tuple(header), *(tuple(row) for row in rows)]
    widths = [max(len(line[column]) for line in table) for column in range(len(header))]
    lines = []
    for index, line in enumerate(table):
        cells = [
            cell.rjust(width) if column == len(header) - 1 else cell.ljust(width)
            for column, (cell, width) in enumerate(zip(line, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
        if index == 0:
            lines.append("  ".join("-" * width for width in widths))
    return lines
