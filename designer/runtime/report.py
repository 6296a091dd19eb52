"""A run's results for people (a table) and for programs (JSON)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict

from designer.runtime.results import BatchResult
from designer.text_table import text_table
from designer.units import format_bytes

Column = tuple[str, Callable[[BatchResult], str | None]]


def _optional(value: float | None, text: Callable[[float], str]) -> str | None:
    return None if value is None else text(value)


COLUMNS: tuple[Column, ...] = (
    ("batch", lambda r: str(r.batch)),
    ("median ms", lambda r: f"{r.median_s * 1e3:.3f}"),
    ("p10 ms", lambda r: f"{r.p10_s * 1e3:.3f}"),
    ("p90 ms", lambda r: f"{r.p90_s * 1e3:.3f}"),
    ("runs", lambda r: f"{r.runs:,}"),
    ("samples/s", lambda r: f"{r.throughput:,.1f}"),
    ("GFLOP", lambda r: f"{r.flops / 1e9:.4g}"),
    ("TFLOP/s", lambda r: f"{r.tflops:.4g}"),
    ("of peak", lambda r: _optional(r.peak_share, lambda share: f"{share:.1%}")),
    ("peak mem", lambda r: _optional(r.peak_memory_bytes, lambda b: format_bytes(int(b)))),
    ("params mem", lambda r: format_bytes(r.parameter_bytes)),
    ("compile s", lambda r: _optional(r.compile_s, lambda seconds: f"{seconds:.2f}")),
)
"""Columns where every result has None (no peak known, no compile) are left out."""


def results_heading(model: str, results: Sequence[BatchResult]) -> str:
    """One line: what ran where, e.g. "LeNet5 on CPU (cpu), fp32, 2 threads"."""
    first = results[0]
    variants = [first.dtype]
    if first.channels_last:
        variants.append("channels_last")
    if first.compiled:
        variants.append("torch.compile")
    threads = "" if first.device != "cpu" else f", {first.threads} threads"
    return f"{model} on {first.device_name} ({first.device}), {', '.join(variants)}{threads}"


def results_table(model: str, results: Sequence[BatchResult]) -> list[str]:
    """The heading, then one row per batch size."""
    if not results:
        return [f"{model}: no results"]
    cells = [[cell(result) for _, cell in COLUMNS] for result in results]
    shown = [index for index in range(len(COLUMNS)) if any(row[index] is not None for row in cells)]
    header = [COLUMNS[index][0] for index in shown]
    rows = [[row[index] or "-" for index in shown] for row in cells]
    return [results_heading(model, results), *text_table(header, rows, right_aligned=len(header))]


def results_json(file: str, model: str, results: Sequence[BatchResult]) -> dict[str, object]:
    """The same figures as the table, every field of every result, in SI units."""
    return {"file": file, "model": model, "results": [asdict(result) for result in results]}
