"""Plain-text tables as the command line prints them: a header, a rule, then the rows."""

from __future__ import annotations

from collections.abc import Sequence


def text_table(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    right_aligned: int = 1,
) -> list[str]:
    """The table's lines: columns padded to fit, the last ``right_aligned`` (numbers)
    right-aligned."""
    table = [tuple(header), *(tuple(row) for row in rows)]
    widths = [max(len(line[column]) for line in table) for column in range(len(header))]
    lines = []
    for index, line in enumerate(table):
        cells = [
            cell.rjust(width) if column >= len(header) - right_aligned else cell.ljust(width)
            for column, (cell, width) in enumerate(zip(line, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
        if index == 0:
            lines.append("  ".join("-" * width for width in widths))
    return lines
