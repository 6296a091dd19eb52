"""``torch-designer bench --mode train``: the tables, --json, and one-line refusals (CPU)."""

from __future__ import annotations

import json
from itertools import pairwise
from pathlib import Path

import pytest

from designer.cli import main
from designer.graph import Design, save_design
from tests.paths import EXAMPLES

LENET = str(EXAMPLES / "lenet5.json")
QUICK = ("--device", "cpu", "--max-time", "0.1")
TRAIN = ("--mode", "train", *QUICK)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_train_mode_prints_the_steps_and_their_phases(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "bench", LENET, *TRAIN, "--sweep", "1,4")
    assert code == 0, err
    assert err == ""
    lines = out.splitlines()
    blank, memory_blank = (index for index, line in enumerate(lines) if line == "")
    (heading, header, rule, *rows), (phase_header, phase_rule, *phase_rows) = (
        lines[:blank],
        lines[blank + 1 : memory_blank],
    )
    assert heading.startswith(
        "LeNet5 training steps on CPU (cpu), fp32, sgd optimizer, cross_entropy loss, "
    )
    assert header.split() == [
        "batch", "step", "ms", "p10", "ms", "p90", "ms", "runs", "samples/s", "params", "mem",
        "grads", "mem", "optimizer", "mem", "estimate", "peak", "mem",
    ]  # fmt: skip
    assert set(rule.replace(" ", "")) == {"-"}
    assert [row.split()[0] for row in rows] == ["1", "4"]
    for row in rows:
        cells = row.split()
        assert 0 < float(cells[2]) <= float(cells[1]) <= float(cells[3])
        assert cells[-6:-4] == ["0", "B"]  # plain SGD keeps no state
    assert phase_header.split() == [
        "batch", "phase", "median", "ms", "p10", "ms", "p90", "ms", "of", "step",
    ]  # fmt: skip
    assert set(phase_rule.replace(" ", "")) == {"-"}
    assert [row.split()[:2] for row in phase_rows] == [
        ["1", "forward"], ["1", "backward"], ["1", "step"],
        ["4", "forward"], ["4", "backward"], ["4", "step"],
    ]  # fmt: skip
    for row in phase_rows:
        median, p10, p90 = (float(cell) for cell in row.split()[2:5])
        assert 0 < p10 <= median <= p90
        assert row.endswith("%")


def test_train_mode_json_has_the_new_figures(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        capsys, "bench", LENET, *TRAIN, "--batch", "2", "--optimizer", "adamw", "--loss", "mse",
        "--dtype", "bf16", "--json",
    )  # fmt: skip
    assert code == 0, err
    document = json.loads(out)
    assert (document["file"], document["model"], document["mode"]) == (LENET, "LeNet5", "train")
    (result,) = document["results"]
    assert (result["batch"], result["optimizer"], result["loss"], result["dtype"]) == (
        2,
        "adamw",
        "mse",
        "bf16",
    )
    assert result["throughput"] == pytest.approx(2 / result["median_s"])
    phases = result["phases"]
    for phase in ("forward", "backward", "step"):
        assert 0 < phases[phase]["p10_s"] <= phases[phase]["median_s"] <= phases[phase]["p90_s"]
    assert phases["runs"] >= 3
    memory = result["memory"]
    assert memory["parameter_bytes"] == memory["gradient_bytes"] > 0
    assert memory["optimizer_state_bytes"] == 2 * memory["parameter_bytes"]
    assert result["estimated_bytes"] > 4 * memory["parameter_bytes"]
    assert result["compile_s"] is None
    assert result["peak_memory_bytes"] > 0 and result["peak_memory_method"] == "profiler"


def test_forward_mode_json_is_unchanged(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "bench", LENET, *QUICK, "--json")
    assert code == 0
    document = json.loads(out)
    assert set(document) == {"file", "model", "results"}
    assert set(document["results"][0]) == {
        "batch", "device", "device_name", "dtype", "channels_last", "compiled", "threads",
        "median_s", "p10_s", "p90_s", "runs", "throughput", "compile_s", "flops", "tflops",
        "peak_tflops", "peak_share", "parameter_bytes", "estimated_bytes", "peak_memory_bytes",
    }  # fmt: skip


def _save(tmp_path: Path, name: str, blocks: list[tuple[str, dict[str, object]]]) -> str:
    design = Design(name)
    ids = [
        design.add_block(kind, name=f"b{index}", params=params).id
        for index, (kind, params) in enumerate(blocks)
    ]
    for source, target in pairwise(ids):
        design.connect(source, target)
    path = tmp_path / f"{name}.json"
    save_design(design, path)
    return str(path)


def test_refusals_are_one_line_word_for_word_and_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    averaged = _save(
        tmp_path,
        "Averaged",
        [
            ("input", {"shape": [3, 20]}),
            ("linear", {"out_features": 5}),
            ("mean", {"dims": [-1]}),
            ("output", {}),
        ],
    )
    weightless = _save(
        tmp_path, "NoWeights", [("input", {"shape": [1, 20]}), ("activation", {}), ("output", {})]
    )
    cases = [
        (
            (LENET, *QUICK, "--optimizer", "adamw"),
            "--optimizer and --loss apply to --mode train",
        ),
        (
            (averaged, *TRAIN, "--batch", "3"),
            f"{averaged}: the cross_entropy loss needs an output of N x C (or N x C x ...) with "
            "class targets of N (or N x ...), but Averaged's output is 3; choose the mse or sum "
            "loss",
        ),
        (
            (weightless, *TRAIN),
            f"{weightless}: NoWeights has no parameters to train; a training step needs at "
            "least one block with weights",
        ),
    ]
    for arguments, message in cases:
        code, out, err = run(capsys, "bench", *arguments)
        assert (code, out, err) == (2, "", message + "\n")
