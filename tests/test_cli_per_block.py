"""``torch-designer bench --per-block``: the table, JSON, and what it refuses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from designer.cli import EXIT_BAD_INPUT, EXIT_OK, main

LENET = str(Path(__file__).parents[1] / "resources" / "examples" / "lenet5.json")
QUICK = ["--device", "cpu", "--batch", "2", "--repeats", "2"]


def test_per_block_prints_a_row_per_block_and_the_ratio(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", LENET, "--per-block", *QUICK]) == EXIT_OK
    out = capsys.readouterr().out
    assert "LeNet5 per block, forward at batch 2 on cpu, fp32" in out
    assert "fwd GFLOP" in out and "of time" in out
    assert "sum of block times" in out and "ratio" in out


def test_per_block_json_in_train_mode(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["bench", LENET, "--per-block", "--mode", "train", "--loss", "sum", "--json", *QUICK]
    assert main(argv) == EXIT_OK
    document = json.loads(capsys.readouterr().out)
    assert document["per_block"] is True and document["training"] is True
    assert document["ratio"] == pytest.approx(
        document["block_time_sum_s"] / document["measured_total_s"]
    )
    conv = next(block for block in document["blocks"] if block["module_path"] == "features.0")
    assert conv["flops_backward"] > 0 and conv["backward_s"] is not None


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--sweep", "1,2"], "drop --sweep"),
        (["--compile"], "drop --compile"),
        (["--repeats", "0"], "at least 1"),
    ],
)
def test_per_block_refuses(
    extra: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["bench", LENET, "--per-block", "--device", "cpu", *extra]) == EXIT_BAD_INPUT
    assert message in capsys.readouterr().err


def test_repeats_needs_per_block(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", LENET, "--repeats", "3"]) == EXIT_BAD_INPUT
    assert "--repeats applies to --per-block" in capsys.readouterr().err
