"""The exported ``.py`` stands alone and builds the live model, in a process of its own.

For every example and for many random valid designs, the compiled source is written to a file
that a separate Python process (``round_trip_worker.py``, which imports only torch) imports by
path. That process must print the same tree, have the same state_dict keys, shapes and dtypes
and, given the live model's weights, compute the same outputs (and keep the same traces) from
the same inputs as the live instance. One worker process serves the whole module: starting
Python and importing torch costs more than a check.
"""

from __future__ import annotations

import ast
import contextlib
import itertools
import json
import queue
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, Final

import pytest
import torch
from hypothesis import HealthCheck, assume, given, note, settings
from torch import nn

from designer.compiler import CompileError, build_model, compile_design, materialize
from designer.graph import CATALOGUE, Design, check_design, dumps_design, load_design
from tests.compiler.design_strategies import designs, example_inputs, kinds_used
from tests.compiler.round_trip_worker import Results, run_model, state_summary
from tests.paths import EXAMPLES
from tests.profiles import examples

WORKER: Final = Path(__file__).with_name("round_trip_worker.py")
REPLY_TIMEOUT_S: Final = 120
RANDOM_ROUND_TRIPS: Final = examples(300)
EXAMPLE_NAMES: Final = sorted(path.stem for path in EXAMPLES.glob("*.json"))


class Worker:
    """The worker process, asked one check at a time."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._numbers = itertools.count()
        self._stderr: IO[str] = (directory / "worker.stderr").open("w+", encoding="utf-8")
        self._process = subprocess.Popen(
            [sys.executable, str(WORKER)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            encoding="utf-8",
        )
        self._replies: queue.Queue[str] = queue.Queue()
        self._reader = threading.Thread(target=self._read_replies, daemon=True)
        self._reader.start()

    def _read_replies(self) -> None:
        assert self._process.stdout is not None
        for line in self._process.stdout:
            self._replies.put(line)
        self._replies.put("")  # the worker is gone

    def new_case(self) -> Path:
        case = self.directory / f"case{next(self._numbers)}"
        case.mkdir()
        return case

    def ask(self, request: dict[str, str]) -> dict[str, Any]:
        assert self._process.stdin is not None
        self._process.stdin.write(json.dumps(request) + "\n")
        self._process.stdin.flush()
        try:
            line = self._replies.get(timeout=REPLY_TIMEOUT_S)
        except queue.Empty:
            raise AssertionError(f"no reply from the worker in {REPLY_TIMEOUT_S} s") from None
        if not line:
            self._stderr.seek(0)
            raise AssertionError(f"the worker died:\n{self._stderr.read()[-4000:]}")
        reply: dict[str, Any] = json.loads(line)
        return reply

    def close(self) -> None:
        assert self._process.stdin is not None
        with contextlib.suppress(BrokenPipeError):  # if it has died, ask() has said so
            self._process.stdin.close()  # the worker's cue to finish
        try:
            self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._reader.join(timeout=30)
        assert self._process.stdout is not None
        self._process.stdout.close()
        self._stderr.close()


@pytest.fixture(scope="module")
def worker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Worker]:
    started = Worker(tmp_path_factory.mktemp("round_trip"))
    yield started
    started.close()


# --- the check -------------------------------------------------------------------------------


def vary_statistics(model: nn.Module, seed: int = 1) -> None:
    """Running statistics away from 0 and 1, so that loading them is seen in the outputs."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, buffer in model.named_buffers():
            if name.endswith("running_mean"):
                buffer.copy_(torch.randn(buffer.shape, generator=generator) * 0.1)
            elif name.endswith("running_var"):
                buffer.copy_(torch.rand(buffer.shape, generator=generator) + 0.5)


def _prefixed(where: str) -> Callable[[str], str]:
    return lambda message: f"{where}: {message}"


def assert_round_trip(worker: Worker, design: Design, origin: str | None = None) -> dict[str, Any]:
    """Export ``design``, rebuild it in the worker and compare with the live model."""
    compiled = compile_design(design, origin)
    live = materialize(build_model(compiled))
    vary_statistics(live)
    inputs = example_inputs(design)
    expected = run_model(live, inputs)
    case = worker.new_case()
    paths = {name: case / name for name in ("model.py", "state.pt", "inputs.pt", "results.pt")}
    paths["model.py"].write_text(compiled.source, encoding="utf-8")
    torch.save(live.state_dict(), paths["state.pt"])
    torch.save(inputs, paths["inputs.pt"])
    reply = worker.ask(
        {
            "source": str(paths["model.py"]),
            "class_name": compiled.class_name,
            "dtype": compiled.dtype,  # the weights' dtype: token inputs are int64
            "state": str(paths["state.pt"]),
            "inputs": str(paths["inputs.pt"]),
            "results": str(paths["results.pt"]),
        }
    )
    assert reply["ok"], f"the exported file failed in a fresh process:\n{reply['error']}"
    assert not reply["designer_imported"], "the exported file needs the designer"
    assert reply["printed"] == str(live)
    assert reply["state"] == state_summary(live)
    results: Results = torch.load(paths["results.pt"], weights_only=True)
    assert results.keys() == expected.keys(), "the same outputs and traces"
    for key, values in expected.items():
        assert len(results[key]) == len(values), key
        for index, (got, want) in enumerate(zip(results[key], values, strict=True)):
            where = f"{key}[{index}]"
            assert got.shape == want.shape and got.dtype == want.dtype, where
            # a window over padding only can give -inf, and NaN after it, in both alike
            torch.testing.assert_close(got, want, equal_nan=True, msg=_prefixed(where))
    shutil.rmtree(case)  # state files can be large; a failing case's files stay for a look
    return reply


# --- examples --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_examples_round_trip(worker: Worker, name: str) -> None:
    assert_round_trip(worker, load_design(EXAMPLES / f"{name}.json"), f"{name}.json")


def test_keep_outputs_traces_round_trip(worker: Worker) -> None:
    design = load_design(EXAMPLES / "seed_modulelist.json")
    live = materialize(build_model(compile_design(design)))
    assert set(run_model(live, example_inputs(design))) == {"outputs", "trace"}
    assert_round_trip(worker, design)


@pytest.mark.parametrize(
    "origin",
    [
        r"C:\Users\me\Models\lenet5.json",
        'three """ quotes.json',
        'ends in a quote"',
        "tab\tnew\nline\rand NUL\x00.json",
        "undecodable \udcff byte.json",
        r"\N{BULLET} not an escape.json",
    ],
)
def test_any_file_name_reads_back_from_the_header(worker: Worker, origin: str) -> None:
    """The header quotes the design's file name: every name must leave the file importable."""
    reply = assert_round_trip(worker, load_design(EXAMPLES / "lenet5.json"), origin)
    # shown whole, what can't be printed as its escape, the header wrapped at any space
    shown = "".join(char if char.isprintable() else repr(char)[1:-1] for char in origin)
    assert f"from {shown} (design digest" in " ".join(reply["doc"].split())


@pytest.mark.parametrize("name", ["F", "nn", "torch", "conv_block", "activations", "super", "zip"])
def test_a_model_class_name_that_would_hide_what_the_code_uses_is_refused(name: str) -> None:
    design = load_design(EXAMPLES / "seed_final.json")  # uses F, the helpers, super and zip
    design.set_class_name(name)
    with pytest.raises(CompileError, match=f"model class name {name} "):
        compile_design(design)


# --- random designs --------------------------------------------------------------------------


@settings(
    max_examples=RANDOM_ROUND_TRIPS,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(design=designs())
def test_random_designs_round_trip(worker: Worker, design: Design) -> None:
    assume(check_design(design).ok)
    note(dumps_design(design))
    assert_round_trip(worker, design)


def test_the_strategy_draws_every_kind_and_valid_designs() -> None:
    """Guards the random designs above: all kinds appear, and nearly every design is valid."""
    seen: set[str] = set()
    checked = {"valid": 0, "all": 0}

    @settings(
        # in every profile: fewer draws miss kinds (some 75, a few reached from one rank
        # only, and hypothesis's draws are far from uniform), and this guards them
        max_examples=500,
        deadline=None,
        derandomize=True,  # the same draws each run: a guard that must not flake
        suppress_health_check=list(HealthCheck),
    )
    @given(design=designs())
    def draw(design: Design) -> None:
        checked["all"] += 1
        if check_design(design).ok:
            checked["valid"] += 1
            seen.update(kinds_used(design))

    draw()
    assert seen == set(CATALOGUE), f"never drawn: {sorted(set(CATALOGUE) - seen)}"
    assert checked["valid"] >= 0.9 * checked["all"], checked


def test_groups_that_name_their_class_share_it_only_when_alike() -> None:
    """A derived class name never takes a name another group asks for by name."""
    design = Design("Net")
    x = design.add_block("input", name="x", params={"shape": [2, 4]})
    first = design.add_block("linear", params={"out_features": 4})
    relu = design.add_block("activation", params={"functional": True})
    second = design.add_block("linear", params={"out_features": 4, "bias": False})
    out = design.add_block("output")
    for start, end in ((x, first), (first, relu), (relu, second), (second, out)):
        design.connect(start.id, end.id)
    design.add_group("my_stage", [first.id, relu.id])  # derives MyStage...
    design.add_group("other", [second.id], class_name="MyStage")  # ...which this one asks for
    source = compile_design(design).source
    tree = ast.parse(source)
    classes = [node.name for node in tree.body if isinstance(node, ast.ClassDef)]
    assert sorted(classes) == ["MyStage", "MyStage_1", "Net"]
    assert "self.other = MyStage()" in source


def test_a_group_whose_results_stay_inside_only_runs(worker: Worker) -> None:
    """A dead end grouped alone: its class returns nothing and the parent just calls it."""
    design = Design("Net")
    x = design.add_block("input", name="x", params={"shape": [2, 4]})
    fc = design.add_block("linear", name="fc", params={"out_features": 3})
    probe = design.add_block("linear", name="probe", params={"out_features": 5})
    out = design.add_block("output", name="y")
    design.connect(x.id, fc.id)
    design.connect(fc.id, out.id)
    design.connect(x.id, probe.id)
    design.add_group("side", [probe.id])
    source = compile_design(design).source
    assert "def forward(self, x: torch.Tensor) -> None:" in source
    assert "        self.side(x)\n" in source
    assert_round_trip(worker, design)


def test_negative_dims_are_written_counting_from_the_front() -> None:
    """The safety allow-list has no unary minus: dim=-1 on a 2-d tensor is written dim=1."""
    design = Design("Net")
    x = design.add_block("input", name="x", params={"shape": [2, 3, 4, 5]})
    flat = design.add_block("flatten", params={"start_dim": -3, "end_dim": -2, "functional": True})
    flat_module = design.add_block("flatten", params={"start_dim": -2})
    join = design.add_block("concat", params={"dim": -1})
    out = design.add_block("output")
    design.connect(x.id, flat.id)
    design.connect(flat.id, flat_module.id)
    design.connect(flat_module.id, join.id, "in0")
    design.connect(flat_module.id, join.id, "in1")
    design.connect(join.id, out.id)
    compiled = compile_design(design)
    assert "x.flatten(1, 2)" in compiled.source
    assert "nn.Flatten()" in compiled.source
    assert re.search(r"torch\.cat\(\[(\w+), \1\], dim=1\)", compiled.source)
    model = build_model(compiled, "cpu")
    assert model(torch.rand(2, 3, 4, 5)).shape == (2, 120)
