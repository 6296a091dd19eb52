"""A run's results for people (a table) and for programs (JSON)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict
from typing import TypeVar

from designer.runtime.baseline import (
    COST_TOTALS,
    FORWARD_PHASES,
    TRAIN_PHASES,
    Baseline,
    BlockRatio,
    Comparison,
    block_key,
)
from designer.runtime.block_costs import BlockCost, CostMeasure, CostReport
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


def _named_phases(result: TrainResult) -> tuple[tuple[str, PhaseTiming], ...]:
    phases = result.phases
    return (("forward", phases.forward), ("backward", phases.backward), ("step", phases.step))


def train_results_table(model: str, results: Sequence[TrainResult]) -> list[str]:
    """The heading, one row per batch size (whole steps, memory), then each batch size's phases
    with their share of the step's median."""
    if not results:
        return [f"{model}: no results"]
    phase_rows = [
        _phase_row(result, name, phase)
        for result in results
        for name, phase in _named_phases(result)
    ]
    return [
        results_heading(model, results),
        *_table(TRAIN_COLUMNS, results),
        "",
        *text_table(PHASE_HEADER, phase_rows, right_aligned=4),
        "",
        *train_memory_table(results),
    ]


TRAIN_MEMORY_COLUMNS: tuple[Column[TrainResult], ...] = (
    ("batch", lambda r: str(r.batch)),
    ("params", lambda r: format_bytes(r.memory.parameter_bytes)),
    ("grads", lambda r: format_bytes(r.memory.gradient_bytes)),
    ("optimizer state", lambda r: format_bytes(r.memory.optimizer_state_bytes)),
    ("inputs", lambda r: format_bytes(r.input_bytes)),
    ("activations est", lambda r: format_bytes(r.estimated_activation_bytes)),
    (
        "activations saved",
        lambda r: _optional(r.measured_activation_bytes, lambda b: format_bytes(int(b))),
    ),
    ("estimate", lambda r: format_bytes(r.estimated_bytes)),
    ("peak measured", lambda r: _optional(r.peak_memory_bytes, lambda b: format_bytes(int(b)))),
    ("error", lambda r: _optional(r.estimate_error, lambda error: f"{error:+.0%}")),
)
"""A training step's memory: the estimate's parts from the design, what was measured, and
the estimate's error against the measured peak."""

_PEAK_METHODS = {
    "max_memory_allocated": "torch.cuda.max_memory_allocated over one step",
    "profiler": (
        "the torch profiler's CPU allocations less frees over one step, on top of the "
        "parameters, buffers, optimizer state and inputs live at its start"
    ),
}


def train_memory_table(results: Sequence[TrainResult]) -> list[str]:
    """The memory breakdown per batch size, under a line saying how the peak was measured
    (activations saved: the bytes ``saved_tensors_hooks`` saw, each storage once)."""
    if not results:
        return []
    method = results[0].peak_memory_method
    how = _PEAK_METHODS.get(method or "", "not measured on this device")
    return [
        f"training memory: estimate from the design; peak measured by {how}",
        *_table(TRAIN_MEMORY_COLUMNS, results),
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


# --- compared with a baseline ---------------------------------------------------------------

TRAIN_PHASE_NAMES = {"forward": "forward", "backward": "backward", "step": "optimizer step"}
"""The phase table's names, and the baseline's for the same phases."""


def baseline_heading(file: str, baseline: Baseline, comparison: Comparison) -> list[str]:
    """What the ratios are against, and the settings that differ from it."""
    lines = [f"vs baseline: {file}: {baseline.describe()} (x0.83: 83% of its time, faster)"]
    lines += [f"note: {note}" for note in comparison.notes]
    return lines


def compared_results_table(
    model: str, results: Sequence[BatchResult], comparison: Comparison
) -> list[str]:
    """``results_table`` with the median's ratio to the baseline next to it."""
    if not results:
        return [f"{model}: no results"]
    phase = FORWARD_PHASES[0]
    ratio_column: Column[BatchResult] = (
        "vs baseline",
        lambda r: comparison.ratio(r.batch, phase).text(),
    )
    columns = _after(COLUMNS, "median ms", ratio_column)
    return [results_heading(model, results), *_table(columns, results)]


def compared_train_results_table(
    model: str, results: Sequence[TrainResult], comparison: Comparison
) -> list[str]:
    """``train_results_table`` with each phase's (and the whole step's) ratio to the baseline."""
    if not results:
        return [f"{model}: no results"]
    whole = TRAIN_PHASES[0]
    ratio_column: Column[TrainResult] = (
        "vs baseline",
        lambda r: comparison.ratio(r.batch, whole).text(),
    )
    phase_rows = [
        [
            *_phase_row(result, name, phase),
            comparison.ratio(result.batch, TRAIN_PHASE_NAMES[name]).text(),
        ]
        for result in results
        for name, phase in _named_phases(result)
    ]
    return [
        results_heading(model, results),
        *_table(_after(TRAIN_COLUMNS, "step ms", ratio_column), results),
        "",
        *text_table((*PHASE_HEADER, "vs baseline"), phase_rows, right_aligned=5),
    ]


def _after(columns: Sequence[Column[R]], title: str, column: Column[R]) -> tuple[Column[R], ...]:
    chosen: list[Column[R]] = list(columns)
    chosen.insert([name for name, _ in columns].index(title) + 1, column)
    return tuple(chosen)


def comparison_json(file: str, baseline: Baseline, comparison: Comparison) -> dict[str, object]:
    """The ratios (later over baseline, per batch size and phase; null where there is none),
    the baseline's conditions and the notes; block ratios where both carry block costs."""
    return {
        "file": file,
        "conditions": asdict(baseline.conditions),
        "ratios": {
            str(batch): {name: ratio.value for name, ratio in phases.items()}
            for batch, phases in comparison.ratios.items()
        },
        "notes": list(comparison.notes),
        "blocks": {
            str(batch): [asdict(block) for block in blocks]
            for batch, blocks in comparison.blocks.items()
        },
    }


BLOCK_COST_HEADER = (
    "block",
    "module",
    "params",
    "fwd GFLOP",
    "bwd GFLOP",
    "activations",
    "fwd ms",
    "bwd ms",
    "of time",
)


def block_time_sum(report: CostReport) -> float:
    """The blocks' measured times added up (forward and backward), in seconds."""
    return sum(cost.value(CostMeasure.TIME) for cost in report.blocks.values())


def block_costs_heading(model: str, report: CostReport) -> str:
    """E.g. "SmallResNet per block, training (forward and backward) at batch 8 on cpu, fp32"."""
    what = "training (forward and backward)" if report.training else "forward"
    return f"{model} per block, {what} at batch {report.batch} on {report.device}, {report.dtype}"


def block_costs_sum_line(report: CostReport) -> str:
    """The blocks' times added up against the total measured without hooks, with the ratio."""
    total = block_time_sum(report)
    measured = report.measured_total_s
    if not measured:
        return f"sum of block times {total * 1e3:.3f} ms; no total measured"
    return (
        f"sum of block times {total * 1e3:.3f} ms, measured total (no hooks) "
        f"{measured * 1e3:.3f} ms: ratio {total / measured:.3f}"
    )


def block_costs_table(
    model: str, report: CostReport, names: Mapping[str, str] | None = None
) -> list[str]:
    """The heading, one row per block (``names``: block id -> its name in the design), the
    blocks' time against the measured total, and the run's notes."""
    names = names or {}
    rows = [
        _block_cost_row(cost, names.get(block_id, block_id), report)
        for block_id, cost in report.blocks.items()
    ]
    return [
        block_costs_heading(model, report),
        *text_table(BLOCK_COST_HEADER, rows, right_aligned=7),
        "",
        block_costs_sum_line(report),
        *(f"note: {note}" for note in report.notes),
    ]


def _block_cost_row(cost: BlockCost, name: str, report: CostReport) -> list[str]:
    def milliseconds(seconds: float | None) -> str:
        return "-" if seconds is None else f"{seconds * 1e3:.3f}"

    return [
        name,
        cost.module_path or "-",
        f"{cost.parameters:,}",
        f"{cost.flops_forward / 1e9:.4g}",
        f"{cost.flops_backward / 1e9:.4g}" if report.training else "-",
        format_bytes(cost.activation_bytes),
        milliseconds(cost.forward_s),
        milliseconds(cost.backward_s),
        f"{report.share(cost.block_id, CostMeasure.TIME):.1%}",
    ]


def block_costs_json(
    file: str, model: str, report: CostReport, names: Mapping[str, str] | None = None
) -> dict[str, object]:
    """Every field of the report, each block with its ``name``, the sum of the blocks' times
    and its ratio to the measured total, in SI units; marked ``"per_block": true``."""
    names = names or {}
    total = block_time_sum(report)
    measured = report.measured_total_s
    blocks = [
        {"name": names.get(block_id, block_id), **asdict(cost)}
        for block_id, cost in report.blocks.items()
    ]
    return {
        "file": file,
        "model": model,
        "per_block": True,
        "device": report.device,
        "dtype": report.dtype,
        "batch": report.batch,
        "training": report.training,
        "blocks": blocks,
        "block_time_sum_s": total,
        "measured_total_s": measured,
        "ratio": total / measured if measured else None,
        "notes": list(report.notes),
    }


# --- per block, compared with a baseline ----------------------------------------------------

BLOCK_TIME_RATIO = "vs baseline"
BLOCK_FLOPS_RATIO = "FLOPs vs baseline"


def compared_block_costs_table(
    model: str,
    report: CostReport,
    names: Mapping[str, str] | None,
    file: str,
    baseline: Baseline,
    comparison: Comparison,
) -> list[str]:
    """``block_costs_table`` with each block's time (forward and backward) over the baseline's,
    its FLOPs' where some block's differ, "added" for a block the baseline hasn't; then the
    totals' ratios, the blocks only the baseline has, and what the ratios are against."""
    names = names or {}
    compared = {block.key: block for block in comparison.blocks.get(report.batch, [])}
    ratios = [compared.get(block_key(cost)) for cost in report.blocks.values()]
    flops_differ = any(_flops_differ(block) for block in ratios)
    header = [*BLOCK_COST_HEADER, BLOCK_TIME_RATIO]
    if flops_differ:
        header.append(BLOCK_FLOPS_RATIO)
    rows = []
    for (block_id, cost), block in zip(report.blocks.items(), ratios, strict=True):
        row = [*_block_cost_row(cost, names.get(block_id, block_id), report), _time_text(block)]
        if flops_differ:
            row.append(_flops_text(block))
        rows.append(row)
    totals = comparison.ratios.get(report.batch, {})
    total_line = "; ".join(
        f"{name} {totals[name].text()}" for name in COST_TOTALS if name in totals
    )
    removed = [block.key for block in compared.values() if block.status == "removed"]
    return [
        block_costs_heading(model, report),
        *text_table(header, rows, right_aligned=len(header) - 2),
        "",
        block_costs_sum_line(report),
        f"totals vs baseline: {total_line}",
        *([f"removed since the baseline: {', '.join(removed)}"] if removed else []),
        *(f"note: {note}" for note in report.notes),
        "",
        *baseline_heading(file, baseline, comparison),
    ]


def _time_text(block: BlockRatio | None) -> str:
    if block is None or block.status == "added":
        return "added"
    return block.time.text()


def _flops_differ(block: BlockRatio | None) -> bool:
    return block is not None and block.flops.value is not None and block.flops.value != 1.0


def _flops_text(block: BlockRatio | None) -> str:
    if block is None or block.status == "added":
        return "added"
    return f"x{block.flops.value:.2f}" if _flops_differ(block) else ""
