"""Check the runtime's timing against an independent ``torch.utils.benchmark`` measurement.

For the seed's final model and the ResNet example, on the CPU in fp32 at batch 1, this prints
the median ``measure_forward`` reports, the median of a separate
``Timer.blocked_autorange`` of the same model, input and thread count (under
``torch.inference_mode``, as the runtime runs), and their ratio (target: within 15%). Each
side is measured in two alternating rounds and its lower median kept.
Run from the repository root::

    python bench/timing_accuracy.py
"""

from __future__ import annotations

import logging
from pathlib import Path

import torch
from torch.utils.benchmark import Timer

from designer.compiler import build_model, compile_design, materialize
from designer.graph import load_design
from designer.runtime import MeasureSettings, measure_forward
from designer.runtime.batch import batch_inputs

EXAMPLES = Path(__file__).resolve().parent.parent / "resources" / "examples"
NAMES = ("seed_final", "resnet_small")
BATCH = 1
TOLERANCE = 0.15


def independent_median(name: str) -> float:
    design = load_design(EXAMPLES / f"{name}.json")
    model = materialize(build_model(compile_design(design)), "cpu")
    inputs = batch_inputs(design, BATCH, "cpu")
    timer = Timer(
        stmt="model(*inputs)",
        globals={"model": model, "inputs": inputs},
        num_threads=torch.get_num_threads(),
    )
    with torch.inference_mode():
        for _ in range(3):
            model(*inputs)
        return float(timer.blocked_autorange(min_run_time=1.0).median)


def runtime_median(name: str) -> float:
    design = load_design(EXAMPLES / f"{name}.json")
    settings = MeasureSettings(device="cpu", batches=(BATCH,), max_run_time=5.0)
    [result] = measure_forward(compile_design(design), design, settings)
    return result.median_s


def main() -> int:
    logging.basicConfig(level=logging.WARNING)
    print(f"CPU, {torch.get_num_threads()} threads, fp32, batch {BATCH}")
    print(f"{'model':<14} {'ours (ms)':>10} {'Timer (ms)':>11} {'ratio':>7}")
    failures = 0
    for name in NAMES:
        # two rounds, each side in turn, and each side's best median: a slow spell of the
        # shared machine then lands on both sides rather than on one
        rounds = [(runtime_median(name), independent_median(name)) for _ in range(2)]
        ours = min(pair[0] for pair in rounds)
        theirs = min(pair[1] for pair in rounds)
        ratio = ours / theirs
        failures += abs(ratio - 1) > TOLERANCE
        print(f"{name:<14} {ours * 1e3:>10.3f} {theirs * 1e3:>11.3f} {ratio:>7.3f}")
    print("within 15%" if not failures else f"{failures} outside 15%")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
