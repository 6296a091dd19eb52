"""Per-block costs on every example: the blocks' measured times added up against the total
measured without hooks (issue 14: within 15%), forward and training, on the CPU.

    python bench/per_block_check.py [--batch 8] [--repeats 20] [--threads 1] [--mode both]

Prints, per example and mode, the sum of block times, the unhooked total, their ratio and the
hooks' own cost (hooked total / unhooked - 1), then how many ratios fall within 15%.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

from designer.compiler import compile_design
from designer.graph import load_design
from designer.runtime.per_block import measure_block_costs
from designer.runtime.report import block_time_sum
from designer.runtime.settings import MeasureSettings

EXAMPLES = Path(__file__).parents[1] / "resources" / "examples"
BOUND = 0.15


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--mode", choices=("forward", "train", "both"), default="both")
    parser.add_argument("--device", default="cpu")
    arguments = parser.parse_args()
    torch.set_num_threads(arguments.threads)
    modes = ("forward", "train") if arguments.mode == "both" else (arguments.mode,)
    print(f"batch {arguments.batch}, {arguments.repeats} repeats, {arguments.threads} threads")
    print(f"{'example':24} {'mode':8} {'sum ms':>10} {'total ms':>10} {'ratio':>7} {'hooks':>7}")
    within = checked = 0
    for path in sorted(EXAMPLES.glob("*.json")):
        design = load_design(path)
        compiled = compile_design(design)
        for mode in modes:
            settings = MeasureSettings(
                device=arguments.device, batches=(arguments.batch,), mode=mode, loss="sum"
            )
            try:
                report = measure_block_costs(compiled, design, settings, arguments.repeats)
            except Exception as error:  # a check script: report it and go on
                print(f"{path.stem:24} {mode:8} failed: {type(error).__name__}: {error}")
                continue
            total = report.measured_total_s or float("nan")
            summed = block_time_sum(report)
            ratio = summed / total
            hooks = next(note for note in report.notes if "hooks' cost" in note)
            cost = hooks.rpartition("hooks' cost: ")[2].rstrip(")")
            checked += 1
            within += abs(ratio - 1) <= BOUND
            print(
                f"{path.stem:24} {mode:8} {summed * 1e3:10.3f} {total * 1e3:10.3f} "
                f"{ratio:7.3f} {cost:>7}"
            )
    print(f"within {BOUND:.0%}: {within} of {checked}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
