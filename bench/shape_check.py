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
import gc
import json
import os
import pstats
import statistics
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import torch
import torchinfo
from torch import nn

from designer.graph import Design, ShapeChecker, ShapeReport, check_design
from designer.graph.shapes import clear_result_cache

SIZES = (10, 100, 1000)
INPUT_SHAPE = (1, 3, 32, 32)
CHANNEL_CYCLE = (24, 32, 16)
ACTIVATION_CYCLE = ("relu", "gelu", "prelu", "silu", "lrelu")
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


# --- the generator spec ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Layer:
    """One block of the design, one module (or small Sequential) of the torch model."""

    kind: str
    name: str
    params: Mapping[str, object]


@dataclass(frozen=True, slots=True)
class Residual:
    """A group ``body -> Add(body output, group input)``: a residual block without projection."""

    name: str
    body: tuple[Layer, ...]

    @property
    def blocks(self) -> int:
        return len(self.body) + 1  # the Add


Item = Layer | Residual


def item_blocks(item: Item) -> int:
    return 1 if isinstance(item, Layer) else item.blocks


def conv_block(name: str, out_channels: int, activation: str = "relu") -> Layer:
    params = {
        "out_channels": out_channels,
        "kernel_size": 3,
        "stride": 1,
        "padding": 1,
        "bias": True,
        "batch_norm": True,
        "activation": activation,
    }
    return Layer("conv_block", name, params)


def residual(name: str, channels: int) -> Residual:
    return Residual(
        name,
        (
            conv_block("conv1", channels),
            Layer(
                "conv2d",
                "conv2",
                {"out_channels": channels, "kernel_size": 3, "padding": 1, "bias": False},
            ),
            Layer("batch_norm2d", "bn2", {}),
        ),
    )


def make_spec(blocks: int) -> list[Item]:
    """A ResNet-like chain of exactly ``blocks`` blocks."""
    head: list[Item] = [
        Layer("input", "x", {"shape": INPUT_SHAPE, "dtype": "float32"}),
        conv_block("stem", 16),
    ]
    tail: list[Item] = [
        Layer("flatten", "flatten", {"start_dim": 1, "end_dim": -1}),
        Layer("dec_block", "fc1", {"out_features": 32, "activation": "relu", "bias": True}),
        Layer("linear", "head", {"out_features": 10, "bias": True}),
        Layer("output", "out", {}),
    ]
    budget = blocks - len(head) - len(tail)
    if budget < 0:
        raise ValueError(f"a design needs at least {len(head) + len(tail)} blocks")
    body: list[Item] = []
    used = 0
    channels, size = 16, INPUT_SHAPE[-1]
    pools_at = [budget * k // 4 for k in (1, 2, 3)] if blocks >= 100 else []
    step = 0
    while used < budget:
        left = budget - used
        unit: list[Item]
        if pools_at and used >= pools_at[0] and size >= 8:
            pools_at.pop(0)
            size //= 2
            unit = [Layer("max_pool2d", f"pool{step}", {"kernel_size": 2, "stride": 2})]
        elif step % 3 == 2 and left >= 2:
            channels = CHANNEL_CYCLE[(step // 3) % len(CHANNEL_CYCLE)]
            activation = ACTIVATION_CYCLE[step % len(ACTIVATION_CYCLE)]
            unit = [
                conv_block(f"conv{step}", channels, activation),
                Layer("dropout", f"drop{step}", {"p": 0.1}),
            ]
        elif left >= 5:
            activation = ACTIVATION_CYCLE[step % len(ACTIVATION_CYCLE)]
            unit = [
                residual(f"res{step}", channels),
                Layer("activation", f"act{step}", {"activation": activation, "functional": False}),
            ]
        elif left >= 4:
            unit = [residual(f"res{step}", channels)]
        else:
            unit = [Layer("dropout", f"drop{step}", {"p": 0.1})]
        body.extend(unit)
        used += sum(item_blocks(item) for item in unit)
        step += 1
    spec = [*head, *body, *tail]
    assert sum(item_blocks(item) for item in spec) == blocks
    return spec


# --- the design --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Built:
    design: Design
    output_id: str
    edit_id: str
    """The first conv block of the residual group nearest the middle of the design."""
    edit_name: str
    edit_values: tuple[int, int]


def build_design(spec: Sequence[Item]) -> Built:
    design = Design("BenchNet")
    previous: str | None = None
    residual_heads: list[tuple[str, str, int]] = []  # (block id, qualified name, channels)
    for item in spec:
        if isinstance(item, Layer):
            block = design.add_block(item.kind, name=item.name, params=item.params)
            if previous is not None:
                design.connect(previous, block.id)
            previous = block.id
            continue
        assert previous is not None
        group = design.add_group(item.name)
        source = previous
        for index, layer in enumerate(item.body):
            block = design.add_block(
                layer.kind, name=layer.name, params=layer.params, group=group.id
            )
            design.connect(source, block.id)
            source = block.id
            if index == 0:
                channels = layer.params["out_channels"]
                assert isinstance(channels, int)
                residual_heads.append((block.id, design.qualified_name(block.id), channels))
        add = design.add_block("add", name="residual", params={"inputs": 2}, group=group.id)
        design.connect(source, add.id, "in0")
        design.connect(previous, add.id, "in1")
        previous = add.id
    assert previous is not None and residual_heads
    order = design.topological_order()
    middle = len(order) // 2
    edit_id, edit_name, channels = min(
        residual_heads, key=lambda head: abs(order.index(head[0]) - middle)
    )
    other = channels + 8 if channels < 32 else channels - 8
    return Built(design, previous, edit_id, edit_name, (channels, other))


# --- the equivalent torch model ----------------------------------------------------------------

_ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "gelu": nn.GELU,
    "prelu": nn.PReLU,
    "silu": nn.SiLU,
    "lrelu": nn.LeakyReLU,
    "sigmoid": nn.Sigmoid,
}


class ResidualBlock(nn.Module):
    def __init__(self, body: nn.Sequential) -> None:
        super().__init__()
        self.body = body

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.body(x) + x
        return out


def _int(params: Mapping[str, object], name: str) -> int:
    value = params[name]
    assert isinstance(value, int)
    return value


def _str(params: Mapping[str, object], name: str) -> str:
    value = params[name]
    assert isinstance(value, str)
    return value


def torch_layer(layer: Layer) -> nn.Module | None:
    """The module for one block; in-sizes are left to torch (lazy modules)."""
    p = layer.params
    match layer.kind:
        case "input" | "output":
            return None
        case "conv_block":
            modules: list[nn.Module] = [
                nn.LazyConv2d(
                    _int(p, "out_channels"),
                    _int(p, "kernel_size"),
                    stride=_int(p, "stride"),
                    padding=_int(p, "padding"),
                    bias=bool(p["bias"]),
                )
            ]
            if p["batch_norm"]:
                modules.append(nn.LazyBatchNorm2d())
            modules.append(_ACTIVATIONS[_str(p, "activation")]())
            return nn.Sequential(*modules)
        case "conv2d":
            return nn.LazyConv2d(
                _int(p, "out_channels"),
                _int(p, "kernel_size"),
                padding=_int(p, "padding"),
                bias=bool(p["bias"]),
            )
        case "batch_norm2d":
            return nn.LazyBatchNorm2d()
        case "activation":
            return _ACTIVATIONS[_str(p, "activation")]()
        case "max_pool2d":
            return nn.MaxPool2d(_int(p, "kernel_size"), _int(p, "stride"))
        case "dropout":
            p_drop = p["p"]
            assert isinstance(p_drop, float)
            return nn.Dropout(p_drop)
        case "flatten":
            return nn.Flatten(_int(p, "start_dim"), _int(p, "end_dim"))
        case "dec_block":
            return nn.Sequential(
                nn.LazyLinear(_int(p, "out_features"), bias=bool(p["bias"])),
                _ACTIVATIONS[_str(p, "activation")](),
            )
        case "linear":
            return nn.LazyLinear(_int(p, "out_features"), bias=bool(p["bias"]))
    raise ValueError(f"no torch module for {layer.kind}")


def build_torch(spec: Sequence[Item]) -> tuple[nn.Module, tuple[int, ...]]:
    """The torch model, its lazy in-sizes resolved by one forward pass; and its output shape."""
    modules: list[nn.Module] = []
    for item in spec:
        if isinstance(item, Layer):
            module = torch_layer(item)
            if module is not None:
                modules.append(module)
        else:
            body = [torch_layer(layer) for layer in item.body]
            modules.append(ResidualBlock(nn.Sequential(*[m for m in body if m is not None])))
    model = nn.Sequential(*modules)
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # lazy modules warn that they are new
        output = model(torch.zeros(INPUT_SHAPE))
    model.eval()
    return model, tuple(output.shape)


# --- timing ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Timing:
    median: float
    low: float
    high: float

    def ms(self) -> str:
        return f"{self.median * 1e3:.3f}"

    def span(self, digits: int = 3) -> str:
        return f"{self.low * 1e3:.{digits}f}..{self.high * 1e3:.{digits}f}"


def measure(
    action: Callable[[], object],
    repeats: int,
    *,
    before: Callable[[], object] | None = None,
    warmup: int = 1,
) -> Timing:
    """Median seconds of ``action``; ``before`` runs untimed ahead of each call; gc is off."""
    for _ in range(warmup):
        if before is not None:
            before()
        action()
    gc.collect()
    times: list[float] = []
    for _ in range(repeats):
        if before is not None:
            before()
        gc.disable()
        try:
            start = time.perf_counter()
            action()
            times.append(time.perf_counter() - start)
        finally:
            gc.enable()
    return Timing(statistics.median(times), min(times), max(times))


def measure_rounds(
    actions: Mapping[str, Callable[[], object]],
    rounds: int,
    *,
    settle: Callable[[], object] | None = None,
    warmup: int = 1,
) -> dict[str, Timing]:
    """Median seconds of each action, run in turn once per round (gc off while timed).

    Interleaving keeps a slow spell of a shared machine from landing on one side of a ratio.
    ``settle`` runs untimed before each action, so that an action timed right after a big one
    (the peer) doesn't pay for the CPU caches the big one evicted.
    """
    times: dict[str, list[float]] = {name: [] for name in actions}
    for round_number in range(warmup + rounds):
        gc.collect()
        for name, action in actions.items():
            if settle is not None:
                settle()
            gc.disable()
            try:
                start = time.perf_counter()
                action()
                elapsed = time.perf_counter() - start
            finally:
                gc.enable()
            if round_number >= warmup:
                times[name].append(elapsed)
    return {
        name: Timing(statistics.median(values), min(values), max(values))
        for name, values in times.items()
    }


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


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    widths = [max(len(row[i]) for row in [headers, *rows]) for i in range(len(headers))]
    print("  ".join(h.rjust(w) for h, w in zip(headers, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)))


def verdict(met: bool) -> str:
    return "met" if met else "NOT MET"


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
