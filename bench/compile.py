"""Time compiling designs to source and source to a printed model, against hand-written torch.

For designs of 10, 100 and 1000 blocks (the generator of ``bench/designs.py``, shared with
``bench/shape_check.py``) and for the seed's final model, this prints the median time of:

- design -> source: ``compile_design(design)`` with the formatter cache cleared first, so ruff
  really formats every time (and, for information, with the formatter cache warm);
- source -> printed tree: ``str(build_model(compiled))`` on the meta device with the generated
  module dropped from ``sys.modules`` and ``linecache`` first, so every run checks, compiles and
  executes the source afresh (and, for information, with the module still cached);
- design -> printed tree: both of the above in one go, caches cleared (and both caches warm);
- the peer: the same model written by hand with concrete in-sizes, built on the CPU with real,
  initialised weights, then ``str(model)``.

The garbage collector is off while these are timed, as in ``bench/shape_check.py``; design ->
printed tree and the peer are timed once more with it on, as they run in real use.

All of them run in turn once per round, so a slow spell of the shared machine lands on every
side of a ratio. The ratios against the peer, measured in the same run, are the figures to trust;
absolute times are shown against the issue's targets for information. Last, it breaks the
1000-block design -> printed tree down by stage (timed directly, and under cProfile once) and
counts the garbage collector's pauses in it.
Run from the repository root::

    python bench/compile.py
"""

from __future__ import annotations

import cProfile
import gc
import importlib
import io
import linecache
import os
import pstats
import subprocess
import sys
import time
import types
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import torch
from designs import build_design, build_torch, build_torch_eager, make_spec
from ruff.__main__ import find_ruff_bin
from timing import Timing, measure, measure_rounds, table, verdict
from torch import nn

from designer.compiler import CompiledDesign, build_model, compile_design
from designer.compiler.compile import design_digest
from designer.compiler.construction import construction_device
from designer.compiler.emit import emit_module
from designer.compiler.formatting import format_source
from designer.compiler.safety import check_source, checked_tree
from designer.graph import Design, check_design, load_design

# designs and timing are bench/designs.py and bench/timing.py: Python puts the directory of the
# script it runs on sys.path. The seed's own model code lives in the tests package.
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.append(str(ROOT))
SeedModels = Mapping[str, tuple[Callable[[], nn.Module], tuple[int, ...]]]
# imported by name so that mypy checks this script, not the tests package
SEED_MODELS = cast(SeedModels, importlib.import_module("tests.seed_models").SEED_MODELS)

SIZES = (10, 100, 1000)
WIDE = (64, (128, 256, 64))
"""Stem and channel cycle of the wide variant: ResNet-like widths, millions of parameters.
The main suite (16..32 channels) is the peer's cheapest case; this row shows the other end."""
ROUNDS = {10: 21, 100: 21, 1000: 9}
"""Rounds of every timed action, interleaved so all sides see the same machine."""
SEED_ROUNDS = 21
STAGE_REPEATS = 5
GC_RUNS = 3
SEED_DESIGN = ROOT / "resources" / "examples" / "seed_final.json"
TORCH_THREADS = 1
"""Building a model runs on one thread; so does the peer. On a shared machine torch's thread
pool also collapses whenever another process takes one of the cores it spins on."""

# The targets (issue 10, item 7).
TARGET_SEED_MS = 20.0
TARGET_RATIO = 1.0
"""peer / ours, design -> printed tree, caches cleared: at least as fast as the peer."""


# --- the generated module, and forgetting it ---------------------------------------------------


class FreshModule:
    """Drops the module ``build_model`` ran for a source, so that the next build runs it anew.

    ``load_source`` keeps each executed module in ``sys.modules`` (and its lines in
    ``linecache``) under a name made from the source's hash. ``forget`` removes both, and checks
    that the module it removes is not the one it removed last time: proof that the timed build
    in between really executed the source again.
    """

    def __init__(self, compiled: CompiledDesign) -> None:
        model = build_model(compiled)
        self.name = type(model).__module__
        module = sys.modules[self.name]
        self.filename = cast(str, module.__file__)
        self.last: types.ModuleType | None = None
        self.forgets = 0

    def forget(self) -> None:
        checked_tree.cache_clear()  # the allow-list check runs again too
        module = sys.modules.pop(self.name)
        assert module is not self.last, "the source was not executed again"
        linecache.cache.pop(self.filename, None)
        self.last = module
        self.forgets += 1


def clear_formatter() -> None:
    format_source.cache_clear()


def parameters(model: nn.Module) -> int:
    return sum(parameter.numel() for parameter in model.parameters())


def modules(model: nn.Module) -> int:
    return sum(1 for _ in model.modules())


# --- one design against its peer ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Result:
    label: str
    ours_modules: int
    peer_modules: int
    parameters: int
    source_lines: int
    tree_lines: int
    rounds: int
    timings: Mapping[str, Timing]

    def ratio(self, name: str, peer: str = "peer") -> float:
        return self.timings[peer].median / self.timings[name].median


def run_design(label: str, design: Design, peer: Callable[[], nn.Module], rounds: int) -> Result:
    """Time every stage of ``design`` and its peer, interleaved, after checking they agree."""
    clear_formatter()
    compiled = compile_design(design)
    ours = build_model(compiled)
    theirs = peer()
    assert parameters(ours) == parameters(theirs), (
        f"{label}: the design builds {parameters(ours):,} parameters, the peer "
        f"{parameters(theirs):,}"
    )
    assert all(p.is_meta for p in ours.parameters())
    assert not any(p.is_meta for p in theirs.parameters())
    fresh = FreshModule(compiled)

    def compile_cold() -> CompiledDesign:
        return compile_design(design)

    def tree() -> str:
        return str(build_model(compiled))

    def total() -> str:
        return str(build_model(compile_design(design)))

    def peer_tree() -> str:
        return str(peer())

    def clear_both() -> None:
        clear_formatter()
        fresh.forget()

    actions: dict[str, Callable[[], object]] = {
        "source": compile_cold,
        "source warm": compile_cold,
        "tree": tree,
        "tree cached": tree,
        "total": total,
        "total warm": total,
        "peer": peer_tree,
        "total gc on": total,
        "peer gc on": peer_tree,
    }
    before: dict[str, Callable[[], object]] = {
        "source": clear_formatter,
        "tree": fresh.forget,
        "total": clear_both,
        "total gc on": clear_both,
    }
    timings = measure_rounds(
        actions, rounds, before=before, gc_enabled=("total gc on", "peer gc on")
    )
    # every cold run really formatted, and every fresh build really executed the source
    assert fresh.forgets == 3 * (rounds + 1)
    clear_formatter()
    compile_design(design)
    info = format_source.cache_info()
    assert (info.hits, info.misses) == (0, 1), info

    return Result(
        label=label,
        ours_modules=modules(ours),
        peer_modules=modules(theirs),
        parameters=parameters(ours),
        source_lines=len(compiled.source.splitlines()),
        tree_lines=len(str(ours).splitlines()),
        rounds=rounds,
        timings=timings,
    )


def run_size(blocks: int, *, wide: bool = False) -> Result:
    spec = make_spec(blocks, *WIDE) if wide else make_spec(blocks)
    design = build_design(spec).design
    assert len(design.blocks) == blocks
    # the peer is the model shape_check.py resolves lazily, written out by hand
    lazy, _ = build_torch(spec)
    assert str(lazy) == str(build_torch_eager(spec))
    label = f"{blocks} blocks" + (", wide" if wide else "")
    return run_design(label, design, lambda: build_torch_eager(spec), ROUNDS[blocks])


def run_seed() -> Result:
    factory, _ = SEED_MODELS["seed_final"]
    return run_design("seed final", load_design(SEED_DESIGN), factory, SEED_ROUNDS)


# --- where the time goes -----------------------------------------------------------------------


def stage_breakdown(blocks: int) -> list[tuple[str, Timing]]:
    """Each stage of design -> printed tree timed on its own, as ``compile_design`` and
    ``build_model`` run them; and the peer's two stages."""
    spec = make_spec(blocks)
    design = build_design(spec).design
    report = check_design(design)
    header = "a header\n"
    raw = emit_module(design, report, header).source
    clear_formatter()
    source = format_source(raw)
    compiled = compile_design(design)
    class_name = compiled.class_name
    filename = "<bench_generated>"
    code = compile(source, filename, "exec")

    def execute() -> types.ModuleType:
        module = types.ModuleType("bench_generated")
        exec(code, module.__dict__)
        return module

    model_class = cast(type[nn.Module], getattr(execute(), class_name))

    def construct() -> nn.Module:
        with construction_device("meta"):  # as build_model constructs
            return model_class().eval()

    model = construct()
    assert str(model).replace("bench_generated", "") == str(build_model(compiled))
    peer_model = build_torch_eager(spec)
    stages: list[tuple[str, Callable[[], object], Callable[[], object] | None]] = [
        ("shape check (check_design, rule cache warm)", lambda: check_design(design), None),
        (
            "design digest (sha256 of the compact design JSON)",
            lambda: design_digest(design),
            None,
        ),
        ("emit_module", lambda: emit_module(design, report, header), None),
        ("format_source (ruff subprocess)", lambda: format_source(raw), clear_formatter),
        (
            "check_source (AST allow-list; once per text)",
            lambda: check_source(source),
            checked_tree.cache_clear,
        ),
        (
            "compile() to bytecode (from the checked tree)",
            lambda: compile(checked_tree(source), filename, "exec"),
            None,
        ),
        ("exec (defines the classes)", execute, None),
        ("construct on meta", construct, None),
        ("str(model)", lambda: str(model), None),
        ("peer: construct on the CPU, real weights", lambda: build_torch_eager(spec), None),
        ("peer: str(model)", lambda: str(peer_model), None),
    ]
    return [
        (name, measure(action, STAGE_REPEATS, before=before)) for name, action, before in stages
    ]


def profile_total(blocks: int) -> tuple[float, list[tuple[str, int, float]], str]:
    """cProfile one cold design -> printed tree: (wall seconds, stage rows, top functions)."""
    design = build_design(make_spec(blocks)).design
    fresh = FreshModule(compile_design(design))
    fresh.forget()
    clear_formatter()
    profiler = cProfile.Profile()
    gc.collect()
    gc.disable()  # a collection would be charged to whichever function happened to allocate
    try:
        start = time.perf_counter()
        profiler.enable()
        str(build_model(compile_design(design)))
        profiler.disable()
        wall = time.perf_counter() - start
    finally:
        gc.enable()

    stats = pstats.Stats(profiler)
    entries = cast(
        dict[tuple[str, int, str], tuple[int, int, float, float, object]],
        stats.stats,  # type: ignore[attr-defined]
    )

    def find(file_part: str, function: str) -> tuple[int, float]:
        """Calls and cumulative seconds of the outermost matching function."""
        matches = [
            (calls, cumulative)
            for (file, _, name), (_, calls, _, cumulative, _) in entries.items()
            if file_part in file and name == function
        ]
        return max(matches, key=lambda match: match[1], default=(0, 0.0))

    rows = [
        ("compile_design", *find("compiler/compile.py", "compile_design")),
        ("  check_design", *find("graph", "check_design")),
        ("  design_digest", *find("compiler/compile.py", "design_digest")),
        ("  emit_module", *find("compiler/emit.py", "emit_module")),
        ("  format_source", *find("compiler/formatting.py", "format_source")),
        ("    subprocess.run (ruff)", *find("subprocess.py", "run")),
        ("  checked_tree (parse + allow-list, once per text)", *find("safety.py", "checked_tree")),
        ("    ast.parse", *find("ast.py", "parse")),
        ("build_model", *find("compiler/live.py", "build_model")),
        ("  load_source", *find("compiler/live.py", "load_source")),
        ("    builtins.compile", *find("~", "<built-in method builtins.compile>")),
        ("    builtins.exec", *find("~", "<built-in method builtins.exec>")),
        ("  construction (the model class's __init__)", *find("<designer_generated_", "__init__")),
        ("    activations() palettes", *find("<designer_generated_", "activations")),
        ("    nn.Module.__init__", *find("torch/nn/modules/module.py", "__init__")),
        ("    nn.Module.__setattr__", *find("torch/nn/modules/module.py", "__setattr__")),
        ("  eval()", *find("torch/nn/modules/module.py", "eval")),
        ("repr (nn.Module.__repr__)", *find("torch/nn/modules/module.py", "__repr__")),
    ]
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(20)
    top = text.getvalue()
    top = top[top.find("   ncalls") :]
    return wall, rows, top


def gc_pauses(blocks: int, runs: int = GC_RUNS) -> tuple[float, list[tuple[int, int, float]]]:
    """Run a cold design -> printed tree ``runs`` times with gc on, and time every collection.

    Returns the median wall seconds of a run and, per generation, the collections and the
    seconds they took, summed over the runs.
    """
    design = build_design(make_spec(blocks)).design
    fresh = FreshModule(compile_design(design))
    pauses: dict[int, list[float]] = {0: [], 1: [], 2: []}
    started: list[float] = []

    def callback(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started.append(time.perf_counter())
        else:
            pauses[info["generation"]].append(time.perf_counter() - started.pop())

    walls: list[float] = []
    gc.collect()
    gc.callbacks.append(callback)
    try:
        for _ in range(runs):
            fresh.forget()
            clear_formatter()
            start = time.perf_counter()
            str(build_model(compile_design(design)))
            walls.append(time.perf_counter() - start)
    finally:
        gc.callbacks.remove(callback)
    rows = [(generation, len(times), sum(times)) for generation, times in pauses.items()]
    return sorted(walls)[len(walls) // 2], rows


# --- report ------------------------------------------------------------------------------------


def ms(timing: Timing) -> str:
    return timing.ms() if timing.median < 0.1 else f"{timing.median * 1e3:.1f}"


def ruff_version() -> str:
    done = subprocess.run(
        [find_ruff_bin(), "--version"], capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def main(argv: Sequence[str] | None = None) -> int:
    del argv
    started = time.perf_counter()
    torch.set_num_threads(TORCH_THREADS)
    print("Compile benchmark: design -> source -> meta print(model), against hand-written torch")
    print(
        f"python {sys.version.split()[0]}, torch {torch.__version__} "
        f"(set to {torch.get_num_threads()} thread, for both sides), {ruff_version()}, "
        f"{os.cpu_count()} CPUs"
    )
    print(
        "times in ms, medians after one warm-up round, gc off while timed; all actions of a "
        "design run in turn once per round"
    )

    results = [*(run_size(blocks) for blocks in SIZES), run_size(100, wide=True)]
    seed = run_seed()
    every = [*results, seed]

    print(
        "\nsource      = compile_design(design), formatter cache cleared first (ruff runs)\n"
        "source warm = the same, formatter cache warm (no ruff)\n"
        "tree        = str(build_model(compiled)) on meta, the module dropped from sys.modules "
        "and linecache first\n"
        "              (check_source + compile + exec + construct + repr)\n"
        "tree cached = the same with the module still cached (check_source + construct + repr)\n"
        "total       = str(build_model(compile_design(design))), both caches cleared first\n"
        "total warm  = the same with both caches warm\n"
        "peer        = str(model) of the model written by hand with concrete in-sizes, built on "
        "the CPU with real weights\n"
        "The shape checker's own result cache stays warm throughout, as in the live designer."
    )
    names = ("source", "source warm", "tree", "tree cached")
    table(
        ["design", "rounds", *names],
        [[r.label, str(r.rounds), *(ms(r.timings[name]) for name in names)] for r in every],
    )
    print("\nDesign -> printed tree against the peer (gc off; then both with gc on)")
    table(
        ["design", "total", "total warm", "peer", "peer/total", "peer/total warm",
         "total gc on", "peer gc on", "peer/total gc on"],
        [
            [
                r.label, ms(r.timings["total"]), ms(r.timings["total warm"]), ms(r.timings["peer"]),
                f"{r.ratio('total'):,.1f}x", f"{r.ratio('total warm'):,.1f}x",
                ms(r.timings["total gc on"]), ms(r.timings["peer gc on"]),
                f"{r.ratio('total gc on', 'peer gc on'):,.1f}x",
            ]
            for r in every
        ],
    )  # fmt: skip
    print()
    table(
        ["design", "source lines", "tree lines", "modules (ours/peer)", "parameters",
         "total min..max", "peer min..max"],
        [
            [
                r.label, str(r.source_lines), str(r.tree_lines),
                f"{r.ours_modules}/{r.peer_modules}", f"{r.parameters:,}",
                r.timings["total"].span(1), r.timings["peer"].span(1),
            ]
            for r in every
        ],
    )  # fmt: skip
    print(
        "(the peer wraps each residual body in an nn.Sequential, one module more per residual "
        "group than the generated classes)"
    )

    by_label = {r.label: r for r in every}
    big, hundred = by_label["1000 blocks"], by_label["100 blocks"]
    print("\nTargets (absolute times depend on this machine; the peer ratios are measured here)")
    seed_cold, seed_warm = seed.timings["total"].median, seed.timings["total warm"].median
    seed_gc = seed.timings["total gc on"].median
    big_total = big.timings["total"].median
    table(
        ["target", "goal", "measured", "verdict"],
        [
            [
                "seed final, design -> printed tree, warm process, caches cleared",
                f"< {TARGET_SEED_MS:g} ms", f"{seed_cold * 1e3:.1f} ms",
                verdict(seed_cold * 1e3 < TARGET_SEED_MS),
            ],
            [
                "seed final, design -> printed tree, caches warm too",
                f"< {TARGET_SEED_MS:g} ms", f"{seed_warm * 1e3:.1f} ms",
                verdict(seed_warm * 1e3 < TARGET_SEED_MS),
            ],
            [
                "seed final, design -> printed tree, caches cleared, gc on",
                f"< {TARGET_SEED_MS:g} ms", f"{seed_gc * 1e3:.1f} ms",
                verdict(seed_gc * 1e3 < TARGET_SEED_MS),
            ],
            *(
                [
                    f"peer / ours, {r.label}, caches cleared{extra}",
                    f">= {TARGET_RATIO:g}x", f"{r.ratio(ours, peer):.2f}x",
                    verdict(r.ratio(ours, peer) >= TARGET_RATIO),
                ]
                for r in (hundred, big)
                for ours, peer, extra in (
                    ("total", "peer", ""), ("total gc on", "peer gc on", ", gc on (both)")
                )
            ),
            [
                "peer / ours, 100 blocks, caches warm",
                f">= {TARGET_RATIO:g}x", f"{hundred.ratio('total warm'):.2f}x",
                verdict(hundred.ratio("total warm") >= TARGET_RATIO),
            ],
        ],
    )  # fmt: skip

    blocks = SIZES[-1]
    stages = stage_breakdown(blocks)
    print(
        f"\nWhere the time goes, {blocks} blocks: each stage timed on its own "
        f"({STAGE_REPEATS} repeats, median)"
    )
    ours = stages[:-2]
    ours_sum = sum(timing.median for _, timing in ours) + stages[4][1].median  # check twice
    table(
        ["stage", "ms", "share of ours"],
        [
            [name, ms(timing), f"{timing.median / ours_sum:.0%}" if index < len(ours) else ""]
            for index, (name, timing) in enumerate(stages)
        ],
    )
    print(
        f"sum of our stages (check_source counted twice): {ours_sum * 1e3:.1f} ms; "
        f"measured total above: {big_total * 1e3:.1f} ms"
    )

    gc_wall, collections = gc_pauses(blocks)
    print(
        f"\nGarbage collector pauses in {GC_RUNS} runs of the {blocks}-block design -> printed "
        f"tree, caches cleared, gc on (median run {gc_wall * 1e3:.1f} ms; this process tracks "
        f"{len(gc.get_objects()):,} objects, which every full collection walks)"
    )
    table(
        ["generation", "collections", "ms in all", "ms per run"],
        [
            [str(generation), str(count), f"{seconds * 1e3:.1f}", f"{seconds * 1e3 / GC_RUNS:.1f}"]
            for generation, count, seconds in collections
        ],
    )

    wall, rows, top = profile_total(blocks)
    print(
        f"\ncProfile of one {blocks}-block design -> printed tree, caches cleared, gc off "
        f"({wall * 1e3:.0f} ms under the profiler, which inflates Python-heavy stages)"
    )
    table(
        ["function", "calls", "cumulative ms"],
        [[name, str(calls), f"{seconds * 1e3:.1f}"] for name, calls, seconds in rows],
    )
    print(f"\nTop 20 functions by own time:\n{top.rstrip()}")
    print(f"\ntotal run time {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
