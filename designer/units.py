"""Sizes and counts for people: ``198.1 MiB``, ``133.2 M``."""

from __future__ import annotations


def format_bytes(count: int) -> str:
    size = float(count)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def format_count(count: float) -> str:
    """A count with an SI prefix and a trailing space, ready for a unit: ``133.2 M``."""
    for limit, prefix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(count) >= limit:
            return f"{count / limit:.1f} {prefix}"
    return f"{count:.0f} "
