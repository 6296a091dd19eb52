"""A run's results for people (a table) and for programs (JSON)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict
from typing import TypeVar

from designer.runtime.results import BatchResult, MaxBatchResult, PhaseTiming, TrainResult
from designer.text_table import text_table
from designer.units import format_bytes

R = TypeVar("R", BatchResult, TrainResult)
Column = tuple[str, Callable[[R], str | None]]


def _optional(value: float | None, text: Callable[[float], str]) -> str | None:
    return None if value is None else text(value)


COLUMNS: tuple[Column[BatchResult], ...] = (
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


TRAIN_COLUMNS: tuple[Column[TrainResult], ...] = (
    ("batch", lambda r: str(r.batch)),
    ("step ms", lambda r: f"{r.median_s * 1e3:.3f}"),
    ("p10 ms", lambda r: f"{r.p10_s * 1e3:.3f}"),
    ("p90 ms", lambda r: f"{r.p90_s * 1e3:.3f}"),
    ("runs", lambda r: f"{r.runs:,}"),
    ("samples/s", lambda r: f"{r.throughput:,.1f}"),
    ("params mem", lambda r: format_bytes(r.memory.parameter_bytes)),
    ("grads mem", lambda r: format_bytes(r.memory.gradient_bytes)),
    ("optimizer mem", lambda r: format_bytes(r.memory.optimizer_state_bytes)),
    ("estimate", lambda r: format_bytes(r.estimated_bytes)),
    ("peak mem", lambda r: _optional(r.peak_memory_bytes, lambda b: format_bytes(int(b)))),
    ("compile s", lambda r: _optional(r.compile_s, lambda seconds: f"{seconds:.2f}")),
)
"""A training step per batch size (columns with None everywhere are left out, as above)."""

PHASE_HEADER = ("batch", "phase", "median ms", "p10 ms", "p90 ms", "of step")


def results_heading(model: str, results: Sequence[BatchResult] | Sequence[TrainResult]) -> str:
    """One line: what ran where, e.g. "LeNet5 on CPU (cpu), fp32, 2 threads"; for training
    steps "LeNet5 training steps on CPU (cpu), fp32, sgd optimizer, cross_entropy loss, ..."."""
    first = results[0]
    variants = [first.dtype]
    if first.channels_last:
        variants.append("channels_last")
    if first.compiled:
        variants.append("torch.compile")
    what = model
    if isinstance(first, TrainResult):
        what = f"{model} training steps"
        variants += [f"{first.optimizer} optimizer", f"{first.loss} loss"]
    threads = "" if first.device != "cpu" else f", {first.threads} threads"
    return f"{what} on {first.device_name} ({first.device}), {', '.join(variants)}{threads}"


def results_table(model: str, results: Sequence[BatchResult]) -> list[str]:
    """The heading, then one row per batch size."""
    if not results:
        return [f"{model}: no results"]
    return [results_heading(model, results), *_table(COLUMNS, results)]


def train_results_table(model: str, results: Sequence[TrainResult]) -> list[str]:
    """The heading, one row per batch size (whole steps, memory), then each batch size's phases
    with their share of the step's median."""
    if not results:
        return [f"{model}: no results"]
    phase_rows = [
        _phase_row(result, name, phase)
        for result in results
        for name, phase in (
            ("forward", result.phases.forward),
            ("backward", result.phases.backward),
            ("step", result.phases.step),
        )
    ]
    return [
        results_heading(model, results),
        *_table(TRAIN_COLUMNS, results),
        "",
        *text_table(PHASE_HEADER, phase_rows, right_aligned=4),
    ]


def _phase_row(result: TrainResult, name: str, phase: PhaseTiming) -> list[str]:
    return [
        str(result.batch),
        name,
        f"{phase.median_s * 1e3:.3f}",
        f"{phase.p10_s * 1e3:.3f}",
        f"{phase.p90_s * 1e3:.3f}",
        f"{phase.median_s / result.median_s:.1%}",
    ]


def _table(columns: Sequence[Column[R]], results: Sequence[R]) -> list[str]:
    cells = [[cell(result) for _, cell in columns] for result in results]
    shown = [index for index in range(len(columns)) if any(row[index] is not None for row in cells)]
    header = [columns[index][0] for index in shown]
    rows = [[row[index] or "-" for index in shown] for row in cells]
    return text_table(header, rows, right_aligned=len(header))


def results_json(file: str, model: str, results: Sequence[BatchResult]) -> dict[str, object]:
    """The same figures as the table, every field of every result, in SI units."""
    return {"file": file, "model": model, "results": [asdict(result) for result in results]}


def train_results_json(file: str, model: str, results: Sequence[TrainResult]) -> dict[str, object]:
    """As ``results_json``, marked ``"mode": "train"``: each result's phases and training
    memory nested under ``phases`` and ``memory``."""
    return {
        "file": file,
        "model": model,
        "mode": "train",
        "results": [asdict(result) for result in results],
    }


def max_batch_lines(model: str, result: MaxBatchResult) -> list[str]:
    """What was searched where, the largest batch size, how it was found, its memory and the
    batch sizes tried."""
    tried = ", ".join(f"{t.batch:,}" + ("" if t.fits else " (no)") for t in result.tries)
    return [
        max_batch_heading(model, result),
        f"largest batch: {max_batch_text(result)}",
        f"found by: {max_batch_method(result)}",
        f"memory at batch {result.batch:,}: {max_batch_memory(result)}",
        f"tried ({len(result.tries)}; no: didn't fit): {tried}",
    ]


def max_batch_heading(model: str, result: MaxBatchResult) -> str:
    """E.g. "LeNet5 training steps on CPU (cpu), fp32, sgd optimizer, cross_entropy loss"."""
    what = f"{model} training steps" if result.mode == "train" else f"{model} forward passes"
    variants = [result.dtype]
    if result.channels_last:
        variants.append("channels_last")
    if result.optimizer is not None:
        variants += [f"{result.optimizer} optimizer", f"{result.loss} loss"]
    return f"{what} on {result.device_name} ({result.device}), {', '.join(variants)}"


def max_batch_text(result: MaxBatchResult) -> str:
    """The batch size, and whether the search stopped at its cap: "4,096" or "65,536 (the
    search's cap: more may fit)"."""
    return f"{result.batch:,}" + (" (the search's cap: more may fit)" if result.capped else "")


def max_batch_method(result: MaxBatchResult) -> str:
    """How the batch size was found, in words."""
    step = "training step" if result.mode == "train" else "forward pass"
    if result.method == "measured":
        return (
            f"measured: a {step} at each batch size tried on {result.device}, "
            f"out of memory caught ({len(result.tries)} tries)"
        )
    found = f"estimated from the design{_estimate_limit(result)}"
    batch = f"{result.batch:,}"
    if result.confirmed is None:
        return f"{found}; not confirmed: a {step} at batch {batch} isn't cheap here"
    if result.confirmed:
        return f"{found}; confirmed by a {step} at batch {batch}"
    return (
        f"{found}; a {step} at batch {batch} ran out of memory: the estimate is short "
        "for this design, try a smaller batch"
    )


def _estimate_limit(result: MaxBatchResult) -> str:
    """ " against 18.2 GiB (80% of the 22.7 GiB available)"."""
    limit, available = result.limit_bytes, result.available_bytes
    if limit is None or not available:
        return ""
    return (
        f" against {format_bytes(limit)} ({limit / available:.0%} of the "
        f"{format_bytes(available)} available)"
    )


def max_batch_memory(result: MaxBatchResult) -> str:
    estimate = f"estimate {format_bytes(result.estimated_bytes)}"
    if result.peak_memory_bytes is None:
        return f"{estimate}; peak not measured (CUDA only)"
    return f"peak {format_bytes(result.peak_memory_bytes)} (max_memory_allocated), {estimate}"


def max_batch_json(file: str, model: str, result: MaxBatchResult) -> dict[str, object]:
    """Every field of the result (the tries included), in SI units, marked
    ``"search": "max_batch"``."""
    return {"file": file, "model": model, "search": "max_batch", "result": asdict(result)}
