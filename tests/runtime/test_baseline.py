"""Baselines (no torch, no worker): a result against itself is x1.00 everywhere, ratios invert
when swapped, per phase and per block; mismatched runs are refused naming both; files round-trip
and damaged ones are refused in one line."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from designer.runtime.baseline import (
    FORWARD_PHASES,
    TRAIN_PHASES,
    Baseline,
    BaselineError,
    Ratio,
    baseline_from_json,
    baseline_json,
    baseline_of,
    compare,
    compare_blocks,
    read_baseline,
    write_baseline,
)
from designer.runtime.block_costs import BlockCost, CostReport
from designer.runtime.results import (
    BatchResult,
    PhaseTiming,
    TrainingMemory,
    TrainPhases,
    TrainResult,
)

seconds = st.floats(min_value=1e-6, max_value=10.0, allow_nan=False, allow_infinity=False)


@st.composite
def phase_timings(draw: st.DrawFn) -> PhaseTiming:
    low, middle, high = sorted(draw(st.tuples(seconds, seconds, seconds)))
    return PhaseTiming(middle, low, high)


def forward_result(batch: int, timing: PhaseTiming, **changes: object) -> BatchResult:
    result = BatchResult(
        batch=batch,
        device="cpu",
        device_name="CPU",
        dtype="fp32",
        channels_last=False,
        compiled=False,
        threads=2,
        median_s=timing.median_s,
        p10_s=timing.p10_s,
        p90_s=timing.p90_s,
        runs=10,
        throughput=batch / timing.median_s,
        compile_s=None,
        flops=1000,
        tflops=1e-9,
        peak_tflops=None,
        peak_share=None,
        parameter_bytes=100,
        estimated_bytes=200,
        peak_memory_bytes=None,
    )
    return dataclasses.replace(result, **changes)  # type: ignore[arg-type]


def train_result(
    batch: int, whole: PhaseTiming, phases: tuple[PhaseTiming, ...], **changes: object
) -> TrainResult:
    result = TrainResult(
        batch=batch,
        device="cpu",
        device_name="CPU",
        dtype="fp32",
        channels_last=False,
        compiled=False,
        threads=2,
        optimizer="sgd",
        loss="mse",
        median_s=whole.median_s,
        p10_s=whole.p10_s,
        p90_s=whole.p90_s,
        runs=10,
        throughput=batch / whole.median_s,
        compile_s=None,
        phases=TrainPhases(*phases, runs=5),
        memory=TrainingMemory(100, 100, 0),
        estimated_bytes=400,
        peak_memory_bytes=None,
    )
    return dataclasses.replace(result, **changes)  # type: ignore[arg-type]


@st.composite
def train_results(draw: st.DrawFn, batches: tuple[int, ...] = (1, 8)) -> list[TrainResult]:
    return [
        train_result(batch, draw(phase_timings()), tuple(draw(phase_timings()) for _ in range(3)))
        for batch in batches
    ]


@st.composite
def forward_results(draw: st.DrawFn, batches: tuple[int, ...] = (1, 8)) -> list[BatchResult]:
    return [forward_result(batch, draw(phase_timings())) for batch in batches]


runs = st.one_of(train_results(), forward_results())


@given(runs)
def test_a_result_against_itself_is_one_everywhere(results: list[BatchResult]) -> None:
    comparison = compare(baseline_of("Net", results), "Net", results)
    names = TRAIN_PHASES if isinstance(results[0], TrainResult) else FORWARD_PHASES
    for result in results:
        assert set(comparison.ratios[result.batch]) == set(names)
        for name in names:
            ratio = comparison.ratio(result.batch, name)
            assert ratio.value == pytest.approx(1.0)
            assert ratio.text() == "x1.00 (same)"
    assert comparison.notes == ()


@given(st.data())
def test_ratios_invert_when_swapped(data: st.DataObject) -> None:
    if data.draw(st.booleans()):
        first, second = data.draw(train_results()), data.draw(train_results())
    else:
        first, second = data.draw(forward_results()), data.draw(forward_results())
    one_way = compare(baseline_of("Net", first), "Net", second)
    other_way = compare(baseline_of("Net", second), "Net", first)
    for batch, ratios in one_way.ratios.items():
        for name, ratio in ratios.items():
            back = other_way.ratio(batch, name).value
            assert ratio.value is not None and back is not None
            assert ratio.value * back == pytest.approx(1.0)


def test_the_ratio_reads_as_faster_or_slower() -> None:
    assert Ratio(0.834).text() == "x0.83 (faster)"
    assert Ratio(1.2).text() == "x1.20 (slower)"
    assert Ratio(1.02).text() == "x1.02 (same)"
    assert Ratio(None).text() == "-"
    timing = PhaseTiming(0.010, 0.009, 0.011)
    faster = PhaseTiming(0.005, 0.004, 0.006)
    comparison = compare(
        baseline_of("Net", [forward_result(4, timing)]), "Net", [forward_result(4, faster)]
    )
    assert comparison.ratio(4, FORWARD_PHASES[0]).text() == "x0.50 (faster)"
    assert comparison.ratio(99, FORWARD_PHASES[0]).value is None


TIMING = PhaseTiming(0.010, 0.009, 0.011)
PHASES = (TIMING, TIMING, TIMING)


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"device": "cuda:0", "device_name": "NVIDIA H200"}, "NVIDIA H200 (cuda:0)"),
        ({"dtype": "bf16"}, "bf16"),
        ({"batch": 16}, "batch 16"),
    ],
)
def test_a_different_device_dtype_or_batch_is_refused_naming_both(
    changes: dict[str, object], named: str
) -> None:
    baseline = baseline_of("Net", [train_result(8, TIMING, PHASES)])
    with pytest.raises(BaselineError) as caught:
        later = dataclasses.replace(train_result(8, TIMING, PHASES), **changes)  # type: ignore[arg-type]
        compare(baseline, "Net", [later])
    message = str(caught.value)
    assert message.startswith(
        "the baseline is Net training steps (sgd, mse) on CPU (cpu), fp32, batch 8; this run is "
    )
    assert named in message.split("this run is", 1)[1]
    assert message.endswith("a ratio needs the same mode, device, dtype and batch size")
    assert "\n" not in message


def test_a_different_mode_is_refused() -> None:
    baseline = baseline_of("Net", [forward_result(8, TIMING)])
    with pytest.raises(BaselineError, match="this run is Net training steps"):
        compare(baseline, "Net", [train_result(8, TIMING, PHASES)])


def test_what_one_changes_to_go_faster_is_noted_not_refused() -> None:
    baseline = baseline_of("Net", [train_result(8, TIMING, PHASES)])
    later = train_result(
        8, TIMING, PHASES, compiled=True, optimizer="adamw", channels_last=True, threads=4
    )
    comparison = compare(baseline, "Other", [later])
    assert comparison.notes == (
        "the baseline is of Net, this run of Other",
        "channels_last on now, off then",
        "torch.compile on now, off then",
        "optimizer adamw now, sgd then",
        "4 CPU threads now, 2 then",
    )


def cost(block_id: str, path: str, scale: float = 1.0, timed: bool = True) -> BlockCost:
    return BlockCost(
        block_id=block_id,
        module_path=path,
        parameters=int(100 * scale),
        flops_forward=int(1000 * scale),
        flops_backward=int(2000 * scale),
        activation_bytes=int(4096 * scale),
        forward_s=0.001 * scale if timed else None,
        backward_s=0.002 * scale if timed else None,
    )


def report(*costs: BlockCost, batch: int = 8) -> CostReport:
    return CostReport(
        blocks={each.block_id: each for each in costs},
        device="cpu",
        dtype="fp32",
        batch=batch,
        training=True,
        measured_total_s=0.01,
    )


scales = st.floats(min_value=0.01, max_value=100.0, allow_nan=False)


@given(st.lists(scales, min_size=1, max_size=6), st.lists(scales, min_size=1, max_size=6))
def test_block_ratios_are_one_against_themselves_and_invert_when_swapped(
    first_scales: list[float], second_scales: list[float]
) -> None:
    count = min(len(first_scales), len(second_scales))
    first = report(*(cost(f"b{i}", f"layer{i}", s) for i, s in enumerate(first_scales[:count])))
    second = report(*(cost(f"b{i}", f"layer{i}", s) for i, s in enumerate(second_scales[:count])))
    for block in compare_blocks(first, first):
        for ratio in (block.forward, block.backward, block.flops, block.parameters):
            assert ratio.value is None or ratio.value == pytest.approx(1.0)
        assert block.activation.value == pytest.approx(1.0)
    swapped = {block.key: block for block in compare_blocks(second, first)}
    for block in compare_blocks(first, second):
        back = swapped[block.key]
        assert block.forward.value is not None and back.forward.value is not None
        assert block.forward.value * back.forward.value == pytest.approx(1.0)
        assert block.backward.value * back.backward.value == pytest.approx(1.0)  # type: ignore[operator]


def test_blocks_are_matched_by_module_path_and_the_unmatched_listed() -> None:
    before = report(cost("b1", "conv1"), cost("b2", "fc"), cost("b3", "", timed=False))
    after = report(cost("b7", "conv1", 0.5), cost("b3", "", 2.0), cost("b9", "head"))
    compared = {block.key: block for block in compare_blocks(before, after)}
    assert compared["conv1"].forward.text() == "x0.50 (faster)"  # another id, the same module
    assert compared["conv1"].status == "both"
    assert compared["b3"].activation.value == pytest.approx(2.0)  # an expression: by its id
    assert compared["b3"].forward.value is None  # not timed in the baseline
    assert compared["head"].status == "added" and compared["head"].forward.value is None
    assert compared["fc"].status == "removed"
    assert list(compared) == ["conv1", "b3", "head", "fc"]


def test_a_comparison_carries_block_ratios_where_both_have_them() -> None:
    results = [train_result(8, TIMING, PHASES)]
    baseline = baseline_of("Net", results, {8: report(cost("b1", "conv1"))})
    comparison = compare(baseline, "Net", results, {8: report(cost("b1", "conv1", 3.0))})
    (block,) = comparison.blocks[8]
    assert block.flops.value == pytest.approx(3.0)
    assert compare(baseline, "Net", results).blocks == {}


def test_a_baseline_file_round_trips(tmp_path: Path) -> None:
    results = [train_result(1, TIMING, PHASES), train_result(8, TIMING, PHASES)]
    baseline = baseline_of("Net", results, {8: report(cost("b1", "conv1"), cost("b2", ""))})
    path = tmp_path / "base.json"
    write_baseline(baseline, path)
    assert read_baseline(path) == baseline
    document = json.loads(path.read_text())
    assert document["format"] == "torch-designer-baseline"
    assert set(document["batches"]["1"]["phases"]) == set(TRAIN_PHASES)
    assert baseline_from_json(baseline_json(baseline)) == baseline


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("{", "not JSON"),
        ('{"format": "torch-designer"}', "not a Torch Designer baseline"),
        ('{"format": "torch-designer-baseline", "version": 9}', "baseline version 9 is not 1"),
        ('{"format": "torch-designer-baseline", "version": 1}', "the baseline is damaged"),
    ],
)
def test_a_bad_baseline_file_is_refused_in_one_line(tmp_path: Path, text: str, says: str) -> None:
    path = tmp_path / "base.json"
    path.write_text(text)
    with pytest.raises(BaselineError) as caught:
        read_baseline(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert says in str(caught.value)
    with pytest.raises(BaselineError, match="can't read the baseline"):
        read_baseline(tmp_path / "missing.json")


def test_a_baseline_of_nothing_is_refused() -> None:
    with pytest.raises(BaselineError, match="no result to keep"):
        baseline_of("Net", [])
    assert isinstance(baseline_of("Net", [forward_result(1, TIMING)]), Baseline)
