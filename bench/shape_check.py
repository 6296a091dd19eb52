"""Time shape checking against torchinfo, and measure the memory of checking a huge design.

For designs of 10, 100 and 1000 blocks (input, conv blocks, batch norms, activations, pools,
residual groups with Add, a flatten, a dec block, a linear, output) this builds the design
through the ``Design`` API and, from the same spec, the equivalent torch model directly (lazy
modules, so torch infers every in-size itself). It asserts both agree on the output shape and
the total parameter count, then prints the median time of:

- a full check with a cold rule cache (``clear_result_cache()`` then ``check_design``);
- a full check with the rule cache warm;
- a re-check by a long-lived ``ShapeChecker`` after one parameter edit in the middle of the
  design (the edit itself is timed separately);
- the peer: ``torchinfo.summary`` of the torch model with real weights on the CPU,

and the peer's time over the checker's at each size. Last, a subprocess that loads only
``designer.graph`` checks a design with 10 billion parameters and reports its peak RSS.

The machine this runs on may be shared and noisy: the ratios against the peer, measured in the
same run, are the figures to trust; absolute times are shown against the issue's targets for
information. Run from the repository root::

    python bench/shape_check.py [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torchinfo

# bench/ is on sys.path when a script in it runs: these are bench/designs.py and bench/timing.py
from designs import INPUT_SHAPE, build_design, build_torch, make_spec
from timing import Timing, measure, measure_rounds, table, verdict

from designer.graph import ShapeChecker, ShapeReport, check_design
from designer.graph.shapes import clear_result_cache

SIZES = (10, 100, 1000)
CHECK_REPEATS = 21
ROUNDS = {10: 21, 100: 21, 1000: 15}
"""Rounds of (cold check, warm check, peer), interleaved so both sides see the same machine."""
HUGE_FEATURES = 100_000
TORCH_THREADS = 1
"""The checker runs on one thread; so does the peer. On a shared machine torch's thread pool
also collapses (a 10x slowdown) whenever another process takes one of the cores it spins on."""

# The targets.
TARGET_FULL_MS = 10.0
TARGET_RECHECK_MS = 2.0
TARGET_SPEEDUP = {100: 100.0, 1000: 250.0}
TARGET_RSS_MB = 400.0


# --- timing ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SizeResult:
    blocks: int
    modules: int
    parameters: int
    output_shape: tuple[int, ...]
    cold: Timing
    warm: Timing
    edit: Timing
    recheck: Timing
    recomputed: int
    edit_text: str
    peer: Timing
    rounds: int


def run_size(blocks: int) -> SizeResult:
    spec = make_spec(blocks)
    built = build_design(spec)
    design = built.design
    assert len(design.blocks) == blocks
    model, torch_shape = build_torch(spec)
    torch_parameters = sum(parameter.numel() for parameter in model.parameters())

    report = check_design(design)
    assert report.ok, [str(problem) for problem in report.problems]
    shape = report.results[built.output_id].shape
    assert shape == torch_shape, f"{blocks} blocks: design gives {shape}, torch {torch_shape}"
    assert report.total_parameters == torch_parameters, (
        f"{blocks} blocks: design counts {report.total_parameters} parameters, "
        f"torch {torch_parameters}"
    )

    def cold_check() -> ShapeReport:
        clear_result_cache()
        return check_design(design)

    def peer() -> object:
        return torchinfo.summary(model, input_size=INPUT_SHAPE, device="cpu", verbose=0)

    rounds = ROUNDS[blocks]
    timings = measure_rounds(
        {"cold": cold_check, "warm": lambda: check_design(design), "peer": peer},
        rounds,
        settle=lambda: check_design(design),
    )

    checker = ShapeChecker(design)
    checker.check()
    values = built.edit_values
    state = {"flip": 0, "recomputed": -1}

    def edit() -> None:
        state["flip"] ^= 1
        design.set_param(built.edit_id, "out_channels", values[state["flip"]])

    def recheck() -> None:
        result = checker.check()
        assert result.ok
        recomputed = len(result.recomputed)
        assert state["recomputed"] in (-1, recomputed)
        state["recomputed"] = recomputed

    recheck_timing = measure(recheck, CHECK_REPEATS, before=edit)
    # the edit on its own: set_param, its change record and the checker marking a block dirty
    edit_timing = measure(edit, CHECK_REPEATS, before=checker.check)
    checker.close()

    return SizeResult(
        blocks=blocks,
        modules=sum(1 for _ in model.modules()),
        parameters=torch_parameters,
        output_shape=torch_shape,
        cold=timings["cold"],
        warm=timings["warm"],
        edit=edit_timing,
        recheck=recheck_timing,
        recomputed=state["recomputed"],
        edit_text=f"out_channels of '{built.edit_name}' {values[0]} <-> {values[1]}",
        peer=timings["peer"],
        rounds=rounds,
    )


# --- memory of a huge design -------------------------------------------------------------------

_HUGE_CHILD = f"""
import json, resource, sys, time
rss = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
def hwm():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return None
from designer.graph import Design, check_design
after_import = rss()
design = Design("Huge")
x = design.add_block("input", name="x", params={{"shape": [1, {HUGE_FEATURES}]}})
fc = design.add_block("linear", name="fc", params={{"out_features": {HUGE_FEATURES}}})
out = design.add_block("output", name="out")
design.connect(x.id, fc.id)
design.connect(fc.id, out.id)
start = time.perf_counter()
report = check_design(design)
seconds = time.perf_counter() - start
print(json.dumps({{
    "ok": report.ok,
    "parameters": report.total_parameters,
    "shape": report.results[out.id].shape,
    "seconds": seconds,
    "maxrss_import_kib": after_import,
    "maxrss_kib": rss(),
    "vmhwm_kib": hwm(),
    "torch_loaded": "torch" in sys.modules,
    "numpy_loaded": "numpy" in sys.modules,
}}))
"""

_BASELINE_CHILD = """
import json, resource, sys
{imports}
print(json.dumps({{"maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}}))
"""


# On Linux a process keeps the peak RSS of the process it was exec'ed from (ru_maxrss survives
# exec), so a child started straight from this process, which has torch loaded, would report this
# process's peak. A small intermediate interpreter starts the real child instead.
_SPAWN = (
    "import subprocess, sys; "
    "sys.exit(subprocess.run([sys.executable, '-c', sys.argv[1]], check=False).returncode)"
)


def run_child(code: str) -> dict[str, object]:
    """Run ``code`` in a fresh interpreter; the JSON object its last line printed."""
    done = subprocess.run(
        [sys.executable, "-c", _SPAWN, code],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def mib(kib: object) -> float:
    assert isinstance(kib, int)
    return kib / 1024


# --- report ------------------------------------------------------------------------------------


def profile(blocks: int) -> None:
    """cProfile the full check (cold and warm) and the one-edit re-check of one size."""
    built = build_design(make_spec(blocks))
    design = built.design
    check_design(design)

    def cold() -> ShapeReport:
        clear_result_cache()
        return check_design(design)

    for title, action in (
        ("full check, cold cache", cold),
        ("full check, warm cache", lambda: check_design(design)),
    ):
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(20):
            action()
        profiler.disable()
        print(f"\n=== {blocks} blocks: {title} (20 runs) ===")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(15)
    checker = ShapeChecker(design)
    checker.check()
    profiler = cProfile.Profile()
    for flip in range(200):
        design.set_param(built.edit_id, "out_channels", built.edit_values[flip % 2])
        profiler.enable()
        checker.check()
        profiler.disable()
    print(f"\n=== {blocks} blocks: one-edit re-check (200 runs, check() only) ===")
    pstats.Stats(profiler).sort_stats("tottime").print_stats(15)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--profile", action="store_true", help="cProfile the 1000-block checks instead"
    )
    args = parser.parse_args(argv)
    if args.profile:
        profile(1000)
        return 0

    started = time.perf_counter()
    torch.set_num_threads(TORCH_THREADS)
    print("Shape check benchmark")
    print(
        f"python {sys.version.split()[0]}, torch {torch.__version__} "
        f"(set to {torch.get_num_threads()} thread, as the checker), "
        f"torchinfo {torchinfo.__version__}, {os.cpu_count()} CPUs; "
        f"input {'x'.join(map(str, INPUT_SHAPE))}"
    )
    print(
        "times in ms, medians after one warm-up, gc off while timed; every design was asserted "
        "to give its torch model's output shape and parameter count"
    )

    results = [run_size(blocks) for blocks in SIZES]

    print(
        "\nFull check (check_design; cold = clear_result_cache() first) against the peer, "
        "torchinfo.summary(model, input_size=..., verbose=0) with real weights on the CPU;\n"
        "cold, warm and peer run in turn once per round"
    )
    table(
        ["blocks", "torch modules", "parameters", "output", "rounds", "full cold", "full warm",
         "torchinfo", "peer/cold", "peer/warm"],
        [
            [
                str(r.blocks), str(r.modules), f"{r.parameters:,}",
                "x".join(map(str, r.output_shape)), str(r.rounds), r.cold.ms(), r.warm.ms(),
                r.peer.ms(), f"{r.peer.median / r.cold.median:,.0f}x",
                f"{r.peer.median / r.warm.median:,.0f}x",
            ]
            for r in results
        ],
    )  # fmt: skip
    for r in results:
        print(
            f"  {r.blocks:>4} blocks, min..max ms: cold {r.cold.span()}, warm {r.warm.span()}, "
            f"torchinfo {r.peer.span(1)}"
        )

    print(
        f"\nOne edit in the middle, long-lived ShapeChecker ({CHECK_REPEATS} repeats): "
        "edit = set_param alone; re-check = checker.check() after it"
    )
    table(
        ["blocks", "edited parameter", "edit", "re-check", "min..max", "recomputed",
         "peer/re-check"],
        [
            [
                str(r.blocks), r.edit_text, r.edit.ms(), r.recheck.ms(),
                r.recheck.span(), str(r.recomputed),
                f"{r.peer.median / r.recheck.median:,.0f}x",
            ]
            for r in results
        ],
    )  # fmt: skip

    print(f"\nHuge design: Linear({HUGE_FEATURES} -> {HUGE_FEATURES}) in a subprocess")
    huge = run_child(_HUGE_CHILD)
    bare = run_child(_BASELINE_CHILD.format(imports=""))
    with_torch = run_child(_BASELINE_CHILD.format(imports="import torch"))
    assert huge["ok"] is True
    huge_parameters = huge["parameters"]
    assert isinstance(huge_parameters, int)
    assert huge_parameters == HUGE_FEATURES * HUGE_FEATURES + HUGE_FEATURES
    huge_mb = mib(huge["maxrss_kib"])
    seconds = huge["seconds"]
    assert isinstance(seconds, float)
    table(
        ["fresh process", "peak RSS (MiB), ru_maxrss"],
        [
            ["bare python", f"{mib(bare['maxrss_kib']):.1f}"],
            ["python + import designer.graph", f"{mib(huge['maxrss_import_kib']):.1f}"],
            ["... + check of the 10B-parameter design", f"{huge_mb:.1f}"],
            ["python + import torch (for reference)", f"{mib(with_torch['maxrss_kib']):.1f}"],
        ],
    )
    print(f"VmHWM of the checking process (cross-check): {mib(huge['vmhwm_kib']):.1f} MiB")
    print(
        f"check reported {huge_parameters:,} parameters, output {huge['shape']}, "
        f"in {seconds * 1e3:.2f} ms; torch in sys.modules: {huge['torch_loaded']}; "
        f"numpy in sys.modules: {huge['numpy_loaded']}"
    )

    by_size = {r.blocks: r for r in results}
    big = by_size[1000]
    print("\nTargets (absolute times depend on this machine; the peer ratios are measured here)")
    rows = [
        [
            "full check, 1000 blocks (cold)",
            f"< {TARGET_FULL_MS:g} ms",
            f"{big.cold.median * 1e3:.2f} ms",
            verdict(big.cold.median * 1e3 < TARGET_FULL_MS),
        ],
        [
            "full check, 1000 blocks (warm)",
            f"< {TARGET_FULL_MS:g} ms",
            f"{big.warm.median * 1e3:.2f} ms",
            verdict(big.warm.median * 1e3 < TARGET_FULL_MS),
        ],
        [
            "one-edit re-check, 1000 blocks",
            f"< {TARGET_RECHECK_MS:g} ms",
            f"{big.recheck.median * 1e3:.3f} ms",
            verdict(big.recheck.median * 1e3 < TARGET_RECHECK_MS),
        ],
        *[
            [
                f"peer / full {cache}, {blocks} blocks",
                f">= {target:g}x",
                f"{ratio:,.0f}x",
                verdict(ratio >= target),
            ]
            for blocks, target in TARGET_SPEEDUP.items()
            for cache, ratio in (
                ("cold", by_size[blocks].peer.median / by_size[blocks].cold.median),
                ("warm", by_size[blocks].peer.median / by_size[blocks].warm.median),
            )
        ],
        [
            "peak RSS, 10B-parameter check",
            f"< {TARGET_RSS_MB:g} MB",
            f"{huge_mb:.1f} MiB",
            verdict(huge_mb < TARGET_RSS_MB and huge["torch_loaded"] is False),
        ],
    ]
    table(["target", "goal", "measured", "verdict"], rows)
    print(f"\ntotal run time {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
