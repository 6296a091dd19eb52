"""``torch-designer bench --per-block --save-baseline / --baseline``: each block's cost kept,
a later run with each block's ratio and the totals', JSON with the ratios, and one-line
refusals of a baseline that can't be compared (CPU, two repeats)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from designer.cli import EXIT_BAD_INPUT, EXIT_OK, main
from designer.runtime.baseline import COST_TOTALS, read_baseline
from tests.paths import EXAMPLES

LENET = str(EXAMPLES / "lenet5.json")
QUICK = ("--device", "cpu", "--batch", "2", "--repeats", "2")
RATIO = r"x\d+\.\d\d \((faster|slower|same)\)"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def kept(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> Path:
    base = tmp_path / "blocks.json"
    argv = ("bench", LENET, "--per-block", *QUICK, "--save-baseline", str(base))
    code, out, err = run(capsys, *argv)
    assert code == EXIT_OK, err
    assert out.splitlines()[-1] == f"kept as the baseline in {base}"
    return base


def test_the_kept_costs_are_the_runs(kept: Path) -> None:
    baseline = read_baseline(kept)
    assert baseline.phases == {} and list(baseline.blocks) == [2]
    assert baseline.conditions.mode == "forward" and baseline.conditions.device == "cpu"
    report = baseline.blocks[2]
    assert {cost.module_path for cost in report.blocks.values()} >= {"features.0", "classifier.2"}
    assert report.measured_total_s is not None


def test_a_later_run_shows_each_blocks_ratio_and_the_totals(
    capsys: pytest.CaptureFixture[str], kept: Path
) -> None:
    code, out, err = run(capsys, "bench", LENET, "--per-block", *QUICK, "--baseline", str(kept))
    assert code == EXIT_OK, err
    lines = out.splitlines()
    assert lines[1].split()[-2:] == ["vs", "baseline"]
    assert "FLOPs vs baseline" not in lines[1]  # the same design: the same FLOPs
    conv = next(line for line in lines if " features.0 " in line)
    assert re.search(RATIO, conv), conv
    totals = next(line for line in lines if line.startswith("totals vs baseline: "))
    assert re.search(f"measured total {RATIO}", totals), totals
    assert lines[-1].startswith(f"vs baseline: {kept}: LeNet5 forward passes on cpu")


def test_json_carries_the_ratios(capsys: pytest.CaptureFixture[str], kept: Path) -> None:
    argv = ["bench", LENET, "--per-block", *QUICK, "--json", "--baseline", str(kept)]
    code, out, err = run(capsys, *argv)
    assert code == EXIT_OK, err
    compared = json.loads(out)["baseline"]
    assert compared["file"] == str(kept)
    assert set(compared["ratios"]["2"]) == set(COST_TOTALS)
    blocks = {block["key"]: block for block in compared["blocks"]["2"]}
    conv = blocks["features.0"]
    assert conv["status"] == "both"
    assert conv["flops"]["value"] == 1.0 and conv["time"]["value"] > 0


@pytest.mark.parametrize(
    ("extra", "says"),
    [
        (("--mode", "train", "--loss", "sum"), "this run asks for training steps"),
        (("--dtype", "bf16"), "this run asks for forward passes, bf16"),
    ],
)
def test_a_baseline_of_another_mode_or_dtype_is_refused(
    capsys: pytest.CaptureFixture[str], kept: Path, extra: tuple[str, ...], says: str
) -> None:
    argv = ["bench", LENET, "--per-block", *QUICK, *extra, "--baseline", str(kept)]
    code, out, err = run(capsys, *argv)
    assert code == EXIT_BAD_INPUT and out == ""
    assert err.count("\n") == 1
    assert err.startswith(f"{kept}: the baseline is LeNet5 forward passes on cpu")
    assert says in err


def test_per_block_and_timed_baselines_are_not_mixed(
    capsys: pytest.CaptureFixture[str], kept: Path, tmp_path: Path
) -> None:
    code, _out, err = run(capsys, "bench", LENET, "--device", "cpu", "--baseline", str(kept))
    assert code == EXIT_BAD_INPUT
    assert "holds per-block costs only" in err
    timed = tmp_path / "timed.json"
    argv = ("--device", "cpu", "--batch", "2", "--max-time", "0.1")
    assert run(capsys, "bench", LENET, *argv, "--save-baseline", str(timed))[0] == EXIT_OK
    code, _out, err = run(capsys, "bench", LENET, "--per-block", *QUICK, "--baseline", str(timed))
    assert code == EXIT_BAD_INPUT
    assert "holds no per-block costs" in err


def test_blocks_only_one_side_has_are_listed_and_differing_flops_get_a_column() -> None:
    from designer.runtime.baseline import compare_costs, costs_baseline_of, costs_conditions
    from designer.runtime.block_costs import BlockCost, CostReport
    from designer.runtime.report import BLOCK_FLOPS_RATIO, compared_block_costs_table

    def report(blocks: dict[str, tuple[str, int, float]]) -> CostReport:
        costs = {
            block: BlockCost(block, path, 0, flops, 0, 8, seconds, None)
            for block, (path, flops, seconds) in blocks.items()
        }
        return CostReport(costs, "cpu", "fp32", 1, False, measured_total_s=1e-3)

    before = report({"a": ("conv", 100, 2e-4), "b": ("old", 10, 1e-4)})
    after = report({"a": ("conv", 200, 1e-4), "c": ("new", 10, 1e-4)})
    baseline = costs_baseline_of(costs_conditions("Net", before), before)
    comparison = compare_costs(baseline, costs_conditions("Net", after), after)
    lines = compared_block_costs_table("Net", after, {"a": "conv1"}, "b.json", baseline, comparison)
    assert BLOCK_FLOPS_RATIO in lines[1]
    conv = next(line for line in lines if line.startswith("conv1"))
    assert conv.split()[-3:] == ["x0.50", "(faster)", "x2.00"]
    new = next(line for line in lines if line.startswith("c "))
    assert new.split()[-2:] == ["added", "added"]
    assert "removed since the baseline: old" in lines
    totals = "totals vs baseline: measured total x1.00 (same); sum of block times x0.67 (faster)"
    assert totals in lines
