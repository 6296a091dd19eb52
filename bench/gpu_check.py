"""Every example through the ``bench`` path on an NVIDIA GPU: fp32 and bf16, eager and
``torch.compile``, one table of the figures. Installs nothing; about 3-4 minutes on one GPU.

Then the training mode: a training step of every example per dtype (fp32, bf16 under autocast,
fp16 under autocast with a gradient scaler), its phases, the peak memory
(``max_memory_allocated``) against the estimate from the design, and the largest batch a
training step fits (``--max-batch``, real steps with out-of-memory caught on CUDA).

On a machine without CUDA it says so and runs nothing (exit 0); ``--cpu`` runs a short eager
smoke run on the CPU instead (fp32 and bf16; the max-batch search estimated). Run from the
repository root::

    python bench/gpu_check.py [--cpu] [--examples lenet5,resnet_small] [--budget 270]
        [--mode forward|train|both]
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

import torch

from designer.graph import load_design
from designer.runtime import MeasureSettings, RunError, TorchWorker
from designer.runtime.results import BatchResult, MaxBatchResult, TrainResult
from designer.text_table import text_table
from designer.units import format_bytes

EXAMPLES = Path(__file__).resolve().parent.parent / "resources" / "examples"
BATCH = 8
RUN_TIMEOUT_S = 120.0
HEADER = (
    "example", "dtype", "compile", "batch", "median ms", "p10 ms", "p90 ms", "runs",
    "samples/s", "TFLOP/s", "of peak", "peak mem", "compile s",
)  # fmt: skip

TRAIN_HEADER = (
    "example", "dtype", "batch", "step ms", "forward ms", "backward ms", "optimizer ms",
    "samples/s", "peak mem", "estimate", "error", "max batch",
)  # fmt: skip
MAX_BATCH_CAP = 4096
"""The training max-batch search stops here (a few tries more per doubling)."""

log = logging.getLogger("gpu_check")


def _row(name: str, result: BatchResult) -> list[str]:
    return [
        name,
        result.dtype,
        "yes" if result.compiled else "no",
        str(result.batch),
        f"{result.median_s * 1e3:.3f}",
        f"{result.p10_s * 1e3:.3f}",
        f"{result.p90_s * 1e3:.3f}",
        f"{result.runs:,}",
        f"{result.throughput:,.0f}",
        f"{result.tflops:.4g}",
        "-" if result.peak_share is None else f"{result.peak_share:.1%}",
        "-" if result.peak_memory_bytes is None else format_bytes(result.peak_memory_bytes),
        "-" if result.compile_s is None else f"{result.compile_s:.1f}",
    ]


def _variants(cpu: bool) -> list[tuple[str, bool]]:
    if cpu:
        return [("fp32", False), ("bf16", False)]
    return [("fp32", False), ("bf16", False), ("fp32", True), ("bf16", True)]


def check(names: list[str], cpu: bool, budget_s: float) -> tuple[list[list[str]], list[str]]:
    """One row per example and variant, and the notes on the rows that failed or were skipped
    (their row says "failed" or "skipped")."""
    rows: list[list[str]] = []
    notes: list[str] = []
    started = time.monotonic()
    with TorchWorker() as worker:
        for dtype, use_compile in _variants(cpu):
            for name in names:
                label = [name, dtype, "yes" if use_compile else "no", str(BATCH)]
                if time.monotonic() - started > budget_s:
                    rows.append([*label, "skipped"])
                    notes.append(f"{' '.join(label)}: skipped, past the {budget_s:g} s budget")
                    continue
                design = load_design(EXAMPLES / f"{name}.json")
                settings = MeasureSettings(
                    device="cpu" if cpu else "cuda",
                    dtype=dtype,
                    batches=(BATCH,),
                    compile=use_compile,
                    warmup=2,
                    min_run_time=0.05,
                    max_run_time=0.3,
                )
                try:
                    results = worker.run(design, settings, timeout_s=RUN_TIMEOUT_S)
                except RunError as error:
                    rows.append([*label, "failed"])
                    notes.append(f"{' '.join(label)}: {error}")
                    continue
                rows.extend(_row(name, result) for result in results)
                log.info("%s %s compile=%s done", name, dtype, use_compile)
    return rows, notes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cpu", action="store_true", help="without CUDA: a CPU smoke run")
    parser.add_argument("--examples", help="comma-separated example names (all of them)")
    parser.add_argument("--budget", type=float, default=270.0, help="seconds before skipping")
    parser.add_argument(
        "--mode",
        choices=("forward", "train", "both"),
        default="both",
        help="forward passes, training steps, or both (both)",
    )
    arguments = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    if not arguments.cpu and not torch.cuda.is_available():
        print(
            "no CUDA device here: nothing run, the training mode included (--cpu runs a CPU "
            "smoke run)"
        )
        return 0
    names = (
        arguments.examples.split(",")
        if arguments.examples
        else sorted(path.stem for path in EXAMPLES.glob("*.json"))
    )
    missing = [name for name in names if not (EXAMPLES / f"{name}.json").is_file()]
    if missing:
        print(f"no such example: {', '.join(missing)}", file=sys.stderr)
        return 2
    started = time.monotonic()
    device = "CPU" if arguments.cpu else torch.cuda.get_device_name()
    print(f"{device}, torch {torch.__version__}, batch {BATCH}")
    if arguments.mode in ("forward", "both"):
        rows, notes = check(names, arguments.cpu, arguments.budget)
        _print_table(HEADER, rows, notes, right_aligned=len(HEADER) - 4)
    if arguments.mode in ("train", "both"):
        budget = max(arguments.budget - (time.monotonic() - started), 0.0)
        rows, notes = check_training(names, arguments.cpu, budget)
        print("\ntraining steps (sgd, sum loss), peak memory against the estimate, max batch")
        _print_table(TRAIN_HEADER, rows, notes, right_aligned=len(TRAIN_HEADER) - 2)
    print(f"{time.monotonic() - started:.0f} s in all")
    return 0


def _print_table(
    header: tuple[str, ...], rows: list[list[str]], notes: list[str], right_aligned: int
) -> None:
    width = len(header)
    padded = [row if len(row) == width else [*row, *[""] * (width - len(row))] for row in rows]
    print("\n".join(text_table(header, padded, right_aligned=right_aligned)))
    print("\n".join(notes))
    print(f"{len(rows)} runs")


def _train_variants(cpu: bool) -> list[str]:
    return ["fp32", "bf16"] if cpu else ["fp32", "bf16", "fp16"]


def check_training(
    names: list[str], cpu: bool, budget_s: float
) -> tuple[list[list[str]], list[str]]:
    """One row per example and dtype: a training step timed, its memory, and (fp32 only) the
    largest batch a step fits; the notes on the rows that failed or were skipped."""
    rows: list[list[str]] = []
    notes: list[str] = []
    started = time.monotonic()
    with TorchWorker() as worker:
        for dtype in _train_variants(cpu):
            for name in names:
                label = [name, dtype, str(BATCH)]
                if time.monotonic() - started > budget_s:
                    rows.append([*label, "skipped"])
                    notes.append(f"{' '.join(label)}: skipped, past the {budget_s:g} s budget")
                    continue
                design = load_design(EXAMPLES / f"{name}.json")
                settings = MeasureSettings(
                    device="cpu" if cpu else "cuda",
                    dtype=dtype,
                    batches=(BATCH,),
                    mode="train",
                    loss="sum",
                    warmup=2,
                    min_run_time=0.05,
                    max_run_time=0.3,
                )
                try:
                    [result] = worker.train(design, settings, timeout_s=RUN_TIMEOUT_S)
                    largest = (
                        worker.max_batch(
                            design, settings, cap=MAX_BATCH_CAP, timeout_s=RUN_TIMEOUT_S
                        )
                        if dtype == "fp32"
                        else None
                    )
                except RunError as error:
                    rows.append([*label, "failed"])
                    notes.append(f"{' '.join(label)} train: {error}")
                    continue
                rows.append(_train_row(name, result, largest))
                log.info("%s %s train done", name, dtype)
    return rows, notes


def _train_row(name: str, result: TrainResult, largest: MaxBatchResult | None) -> list[str]:
    phases = result.phases
    peak, error = result.peak_memory_bytes, result.estimate_error
    return [
        name,
        result.dtype,
        str(result.batch),
        f"{result.median_s * 1e3:.3f}",
        f"{phases.forward.median_s * 1e3:.3f}",
        f"{phases.backward.median_s * 1e3:.3f}",
        f"{phases.step.median_s * 1e3:.3f}",
        f"{result.throughput:,.0f}",
        "-" if peak is None else format_bytes(peak),
        format_bytes(result.estimated_bytes),
        "-" if error is None else f"{error:+.0%}",
        "-" if largest is None else f"{largest.batch:,} ({largest.method})",
    ]


if __name__ == "__main__":
    sys.exit(main())
