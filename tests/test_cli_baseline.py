"""``torch-designer bench --save-baseline / --baseline``: a run kept, a later run with a ratio
next to each phase, and one-line refusals (CPU, short budgets)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from designer.cli import main
from designer.runtime.baseline import TRAIN_PHASES, read_baseline
from tests.paths import EXAMPLES

LENET = str(EXAMPLES / "lenet5.json")
QUICK = ("--device", "cpu", "--max-time", "0.1")
RATIO = r"x\d+\.\d\d \((faster|slower|same)\)"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_a_forward_run_kept_then_compared(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    base = tmp_path / "base.json"
    code, out, err = run(
        capsys, "bench", LENET, *QUICK, "--sweep", "1,4", "--save-baseline", str(base)
    )
    assert code == 0, err
    assert out.splitlines()[-1] == f"kept as the baseline in {base}"
    kept = read_baseline(base)
    assert sorted(kept.phases) == [1, 4] and kept.conditions.mode == "forward"
    code, out, err = run(capsys, "bench", LENET, *QUICK, "--batch", "4", "--baseline", str(base))
    assert code == 0, err
    lines = out.splitlines()
    header = lines[1].split()
    assert header[:5] == ["batch", "median", "ms", "vs", "baseline"]
    assert lines[3].split()[0] == "4"
    assert re.search(RATIO, lines[3]), lines[3]
    assert lines[-1].startswith(f"vs baseline: {base}: LeNet5 forward passes on CPU (cpu), fp32")


def test_a_training_run_compared_shows_each_phases_ratio_and_json(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    base = tmp_path / "base.json"
    train = ("--mode", "train", "--batch", "2")
    code, _out, err = run(capsys, "bench", LENET, *QUICK, *train, "--save-baseline", str(base))
    assert code == 0, err
    code, out, err = run(
        capsys, "bench", LENET, *QUICK, *train, "--optimizer", "adamw", "--baseline", str(base)
    )
    assert code == 0, err
    phase_rows = [
        line
        for line in out.splitlines()
        if line.split()[:2] in (["2", "forward"], ["2", "backward"], ["2", "step"])
    ]
    assert len(phase_rows) == 3
    for row in phase_rows:
        assert re.search(RATIO + "$", row.rstrip()), row
    assert "note: optimizer adamw now, sgd then" in out
    code, out, err = run(capsys, "bench", LENET, *QUICK, *train, "--baseline", str(base), "--json")
    assert code == 0, err
    ratios = json.loads(out)["baseline"]["ratios"]["2"]
    assert set(ratios) == set(TRAIN_PHASES)
    assert all(value > 0 for value in ratios.values())


def test_a_baseline_of_another_batch_or_mode_is_refused_before_running(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    base = tmp_path / "base.json"
    code, _out, err = run(capsys, "bench", LENET, *QUICK, "--save-baseline", str(base))
    assert code == 0, err
    code, out, err = run(capsys, "bench", LENET, *QUICK, "--batch", "8", "--baseline", str(base))
    assert code == 2 and out == ""
    assert err == (
        f"{base}: the baseline is LeNet5 forward passes on CPU (cpu), fp32, batch 1; this run "
        "asks for forward passes, fp32, batch 8: a ratio needs the same mode, device, dtype "
        "and batch size\n"
    )
    code, out, err = run(capsys, "bench", LENET, *QUICK, "--mode", "train", "--baseline", str(base))
    assert code == 2 and "this run asks for training steps" in err
    assert err.count("\n") == 1


def test_bad_baseline_options_are_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    missing = tmp_path / "missing.json"
    code, _out, err = run(capsys, "bench", LENET, *QUICK, "--baseline", str(missing))
    assert code == 2 and err.startswith(f"{missing}: can't read the baseline")
    assert err.count("\n") == 1
    code, _out, err = run(capsys, "bench", LENET, *QUICK, "--max-batch", "--baseline", str(missing))
    assert code == 2
    assert err == "--baseline and --save-baseline apply to timed runs, not --max-batch\n"
