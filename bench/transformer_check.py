"""Time the shape check of a 1000-block transformer design against torchinfo.

The design (``transformer_design``) is a stack of pre-norm transformer blocks written out
block by block (LayerNorm, causal MultiheadAttention, residual Add, LayerNorm, Linear, GELU,
Linear, Add), each followed by a TransformerEncoderLayer and a Reshape into heads and back:
exactly 1000 blocks. The peer is ``torchinfo.summary`` of the very model the design compiles to,
with real weights on the CPU. The script prints the median time of a full check with a cold
rule cache, with a warm one, and of a re-check after one edit in the middle, next to the peer
and the issue's targets; then checks, in a fresh interpreter, that checking the design never
imports torch. Run from the repository root::

    python bench/transformer_check.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import torch
import torchinfo

# bench/ is on sys.path when a script in it runs: these are bench/timing.py and
# bench/transformer_design.py
from timing import measure, measure_rounds, table, verdict
from transformer_design import INPUT_SHAPE, WIDTH, transformer_design

from designer.compiler import build_model, compile_design
from designer.compiler.live import materialize
from designer.graph import ShapeChecker, check_design
from designer.graph.shapes import clear_result_cache

ROUNDS = 15
REPEATS = 41
TARGET_COLD_MS = 5.0
TARGET_RECHECK_MS = 0.1


_CHILD = """
import json, sys
sys.path.insert(0, "bench")
from transformer_design import transformer_design
from designer.graph import check_design
design, _ = transformer_design()
report = check_design(design)
print(json.dumps({"ok": report.ok, "torch_loaded": "torch" in sys.modules}))
"""


def torch_free_check() -> dict[str, object]:
    """Check the design in a fresh interpreter that never imports torch itself."""
    done = subprocess.run(
        [sys.executable, "-c", _CHILD],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(Path.cwd())},
    )
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> int:
    started = time.perf_counter()
    torch.set_num_threads(1)
    design, middle = transformer_design()
    report = check_design(design)
    assert report.ok, [problem.message for problem in report.problems]
    model = materialize(build_model(compile_design(design)))
    parameters = sum(parameter.numel() for parameter in model.parameters())
    assert parameters == report.total_parameters, (parameters, report.total_parameters)
    with torch.no_grad():
        output = model(torch.randn(INPUT_SHAPE))
    out_id = next(b.id for b in design.blocks.values() if b.kind == "output")
    assert tuple(output.shape) == report.results[out_id].shape

    def cold() -> object:
        clear_result_cache()
        return check_design(design)

    def peer() -> object:
        return torchinfo.summary(model, input_size=INPUT_SHAPE, device="cpu", verbose=0)

    timings = measure_rounds(
        {"cold": cold, "warm": lambda: check_design(design), "peer": peer},
        ROUNDS,
        settle=lambda: check_design(design),
    )
    checker = ShapeChecker(design)
    checker.check()
    flip = {"value": 0}

    def edit() -> None:
        flip["value"] ^= 1
        design.set_param(middle, "out_features", (4 * WIDTH, 2 * WIDTH)[flip["value"]])

    recomputed = {"count": 0}

    def recheck() -> None:
        result = checker.check()
        assert result.ok
        recomputed["count"] = len(result.recomputed)

    recheck_timing = measure(recheck, REPEATS, before=edit)
    checker.close()
    child = torch_free_check()

    print("Transformer shape check benchmark")
    print(
        f"python {sys.version.split()[0]}, torch {torch.__version__} (1 thread), torchinfo "
        f"{torchinfo.__version__}, {os.cpu_count()} CPUs; input {'x'.join(map(str, INPUT_SHAPE))}"
    )
    print(
        f"{len(design.blocks)} blocks, {sum(1 for _ in model.modules())} torch modules, "
        f"{parameters:,} parameters; the design's output shape and parameter count were "
        "asserted equal to the compiled model's"
    )
    cold_t, warm_t, peer_t = timings["cold"], timings["warm"], timings["peer"]
    table(
        ["", "median ms", "range ms"],
        [
            ["full check, cold cache", cold_t.ms(), cold_t.span()],
            ["full check, warm cache", warm_t.ms(), warm_t.span()],
            [f"re-check after one edit ({recomputed['count']} blocks redone)",
             recheck_timing.ms(), recheck_timing.span()],
            ["torchinfo.summary (peer)", peer_t.ms(), peer_t.span()],
        ],
    )  # fmt: skip
    print(
        f"\npeer / cold check: {peer_t.median / cold_t.median:,.0f}x; "
        f"peer / warm check: {peer_t.median / warm_t.median:,.0f}x"
    )
    print(
        f"checked in a fresh interpreter: ok={child['ok']}, torch imported: {child['torch_loaded']}"
    )
    print("\nTargets (absolute times depend on this machine)")
    table(
        ["target", "goal", "measured", "verdict"],
        [
            ["full check, cold", f"< {TARGET_COLD_MS} ms", f"{cold_t.median * 1e3:.2f} ms",
             verdict(cold_t.median * 1e3 < TARGET_COLD_MS)],
            ["one-edit re-check", f"< {TARGET_RECHECK_MS} ms",
             f"{recheck_timing.median * 1e3:.3f} ms",
             verdict(recheck_timing.median * 1e3 < TARGET_RECHECK_MS)],
            ["checker torch-free", "no torch", str(not child["torch_loaded"]),
             verdict(not child["torch_loaded"])],
        ],
    )  # fmt: skip
    print(f"\ntotal run time {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
