"""Every example through the ``bench`` path on an NVIDIA GPU: fp32 and bf16, eager and
``torch.compile``, one table of the figures. Installs nothing; about 3-4 minutes on one GPU.

On a machine without CUDA it says so and runs nothing (exit 0); ``--cpu`` runs a short eager
smoke run on the CPU instead. Run from the repository root::

    python bench/gpu_check.py [--cpu] [--examples lenet5,resnet_small] [--budget 270]
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
from designer.runtime.results import BatchResult
from designer.text_table import text_table
from designer.units import format_bytes

EXAMPLES = Path(__file__).resolve().parent.parent / "resources" / "examples"
BATCH = 8
RUN_TIMEOUT_S = 120.0
HEADER = (
    "example", "dtype", "compile", "batch", "median ms", "p10 ms", "p90 ms", "runs",
    "samples/s", "TFLOP/s", "of peak", "peak mem", "compile s",
)  # fmt: skip

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
    arguments = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    if not arguments.cpu and not torch.cuda.is_available():
        print("no CUDA device here: nothing run (--cpu runs a CPU smoke run)")
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
    rows, notes = check(names, arguments.cpu, arguments.budget)
    device = "CPU" if arguments.cpu else torch.cuda.get_device_name()
    print(f"{device}, torch {torch.__version__}, batch {BATCH}")
    width = len(HEADER)
    padded = [row if len(row) == width else [*row, *[""] * (width - len(row))] for row in rows]
    print("\n".join(text_table(HEADER, padded, right_aligned=width - 4)))
    print("\n".join(notes))
    print(f"{len(rows)} runs in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
