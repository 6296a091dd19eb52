"""``torch-designer bench --max-batch``: the lines it prints, --json, and refusals with the
bench command's exit codes (CPU: the estimated search)."""

from __future__ import annotations

import json
from itertools import pairwise
from pathlib import Path

import pytest

from designer.cli import main
from designer.graph import Design, save_design
from tests.paths import DATA, EXAMPLES

LENET = str(EXAMPLES / "lenet5.json")
SEARCH = ("--max-batch", "--device", "cpu")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_max_batch_prints_the_batch_how_it_was_found_and_its_memory(
    capsys: pytest.CaptureFixture[str],
) -> None:
    arguments = ("--mode", "train", "--max-batch-cap", "48")
    code, out, err = run(capsys, "bench", LENET, *SEARCH, *arguments)
    assert (code, err) == (0, "")
    heading, largest, found, memory, tried = out.splitlines()
    assert heading == "LeNet5 training steps on CPU (cpu), fp32, sgd optimizer, cross_entropy loss"
    assert largest == "largest batch: 48 (the search's cap: more may fit)"
    assert found.startswith("found by: estimated from the design against ")
    assert "% of the " in found and found.endswith(
        " available); confirmed by a training step at batch 48"
    )
    assert memory.startswith("memory at batch 48: estimate ")
    assert memory.endswith("; peak not measured (CUDA only)")
    assert tried == "tried (6; no: didn't fit): 2, 4, 8, 16, 32, 48"  # training starts at 2


def test_max_batch_json_has_every_field(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "bench", LENET, *SEARCH, "--max-batch-cap", "5", "--json")
    assert (code, err) == (0, "")
    document = json.loads(out)
    assert (document["file"], document["model"], document["search"]) == (
        LENET,
        "LeNet5",
        "max_batch",
    )
    result = document["result"]
    assert set(result) == {
        "batch", "cap", "capped", "mode", "device", "device_name", "dtype", "channels_last",
        "optimizer", "loss", "method", "confirmed", "peak_memory_bytes", "estimated_bytes",
        "available_bytes", "limit_bytes", "tries",
    }  # fmt: skip
    assert (result["batch"], result["cap"], result["capped"], result["mode"]) == (
        5,
        5,
        True,
        "forward",
    )
    assert (result["method"], result["confirmed"], result["optimizer"]) == (
        "estimated",
        True,
        None,
    )
    assert 0 < result["estimated_bytes"] <= result["limit_bytes"] < result["available_bytes"]
    assert [t["batch"] for t in result["tries"]] == [1, 2, 4, 5]
    assert all(t["fits"] for t in result["tries"])


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


def test_refusals_are_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    weightless = _save(
        tmp_path, "NoWeights", [("input", {"shape": [1, 20]}), ("activation", {}), ("output", {})]
    )
    cases = [
        ((LENET, *SEARCH, "--compile"), "--max-batch runs eagerly: drop --compile"),
        ((LENET, *SEARCH, "--max-batch-cap", "0"), "--max-batch-cap 0: give a whole number of "
         "at least 1"),
        ((LENET, "--device", "cpu", "--max-batch-cap", "8"), "--max-batch-cap applies to "
         "--max-batch"),
        ((LENET, *SEARCH, "--loss", "mse"), "--optimizer and --loss apply to --mode train"),
        (
            (weightless, *SEARCH, "--mode", "train"),
            f"{weightless}: NoWeights has no parameters to train; a training step needs at "
            "least one block with weights",
        ),
    ]  # fmt: skip
    for arguments, message in cases:
        code, out, err = run(capsys, "bench", *arguments)
        assert (code, out, err) == (2, "", message + "\n")
    code, out, err = run(capsys, "bench", LENET, "--max-batch", "--device", "tpu")
    assert (code, out) == (2, "")
    assert err.startswith(f"{LENET}: unknown device 'tpu'; this machine has: cpu")


def test_max_batch_takes_no_batch_sizes_and_shape_errors_are_exit_1(
    capsys: pytest.CaptureFixture[str],
) -> None:
    for sizes in (("--batch", "4"), ("--sweep", "1,2")):
        with pytest.raises(SystemExit) as caught:
            main(["bench", LENET, *SEARCH, *sizes])
        assert caught.value.code == 2
        assert "not allowed with argument" in capsys.readouterr().err
    code, out, err = run(capsys, "bench", str(DATA / "seed_final_buggy.json"), *SEARCH)
    assert (code, out) == (1, "")
    assert err
