"""``torch-designer bench``: the table, --json, and one-line refusals (CPU, short budgets)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from designer import runtime
from designer.cli import main
from designer.graph import Design, dumps_design
from designer.runtime import MeasureSettings
from designer.runtime.worker_process import RunRequest, answer_request
from tests.paths import DATA, EXAMPLES
from tests.runtime.compile_spy import spy_on_compiles

LENET = str(EXAMPLES / "lenet5.json")
QUICK = ("--device", "cpu", "--max-time", "0.1")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_bench_prints_a_table_with_sane_numbers(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "bench", LENET, *QUICK, "--sweep", "1,4")
    assert code == 0, err
    assert err == ""  # progress only goes to a terminal
    heading, header, rule, *rows = out.splitlines()
    assert heading.startswith("LeNet5 on CPU (cpu), fp32, ")
    assert header.split() == [
        "batch", "median", "ms", "p10", "ms", "p90", "ms", "runs", "samples/s", "GFLOP",
        "TFLOP/s", "params", "mem",
    ]  # fmt: skip
    assert set(rule.replace(" ", "")) == {"-"}
    assert [row.split()[0] for row in rows] == ["1", "4"]
    for row in rows:
        batch, median, p10, p90, runs, throughput = row.split()[:6]
        assert 0 < float(p10) <= float(median) <= float(p90) < 1000
        assert int(runs.replace(",", "")) > 0
        assert float(throughput.replace(",", "")) == pytest.approx(
            int(batch) / float(median) * 1e3, rel=0.01
        )
        assert row.endswith("KiB")


def test_bench_json_has_every_figure(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "bench", LENET, *QUICK, "--batch", "2", "--json")
    assert code == 0
    document = json.loads(out)
    assert document["file"] == LENET
    assert document["model"] == "LeNet5"
    (result,) = document["results"]
    assert result["batch"] == 2
    assert result["device"] == "cpu"
    assert result["dtype"] == "fp32"
    assert result["flops"] > 0
    assert result["median_s"] > 0
    assert result["throughput"] == pytest.approx(2 / result["median_s"])
    assert result["compile_s"] is None
    assert result["peak_share"] is None


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("--device", "tpu"), "unknown device 'tpu'"),
        (("--device", "cpu", "--batch", "0"), "batch size 0"),
        (("--device", "cpu", "--sweep", "1,x"), "--sweep 1,x"),
        (("--device", "cpu", "--max-time", "0"), "--max-time 0"),
    ],
)
def test_bench_refusals_are_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], arguments: tuple[str, ...], message: str
) -> None:
    code, out, err = run(capsys, "bench", LENET, *arguments)
    assert code == 2
    assert out == ""
    assert len(err.splitlines()) == 1
    assert message in err


def test_bench_of_a_design_with_shape_errors_exits_1(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(capsys, "bench", str(DATA / "seed_final_buggy.json"), *QUICK)
    assert code == 1
    assert out == ""
    assert "Traceback" not in err


class InProcessWorker:
    """``TorchWorker``'s run, answered in this process, so the worker's compiles count here."""

    def __init__(self, log_level: int) -> None:
        self.log_level = log_level

    def __enter__(self) -> InProcessWorker:
        return self

    def __exit__(self, *exc_info: object) -> None:
        pass

    def run(self, design: Design | str, settings: MeasureSettings, **_options: Any) -> object:
        text = design if isinstance(design, str) else dumps_design(design)
        return answer_request(RunRequest(text, settings), _Discard())


class _Discard:
    def send(self, message: object) -> None:
        pass


def test_bench_compiles_once_for_its_messages_and_once_in_the_worker(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runtime, "TorchWorker", InProcessWorker)
    compiled = spy_on_compiles(monkeypatch)
    code, _, err = run(capsys, "bench", LENET, *QUICK, "--sweep", "1,2")
    assert code == 0, err
    assert len(compiled) == 2  # the command's own (for shape errors), the worker's
    assert dumps_design(compiled[0]) == dumps_design(compiled[1])
