"""Shapes are bounded: past ``MAX_ELEMENTS`` a block's output is a shape error naming the block
and the size, never an overflow, an infinity or a number too long to print."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from designer.check_report import report_json, report_text
from designer.graph import Design, check_design
from designer.graph.params import MAX_DIM, MAX_KERNEL, ParamValue
from designer.graph.shape_rules import MAX_ELEMENTS, count_text, upsample_shape
from designer.graph.shape_rules import ShapeRuleError as RuleError

HOSTILE_CONV = ("conv_transpose2d", {"kernel_size": 4096, "stride": 4096, "out_channels": 1})
HOSTILE_UPSAMPLE = ("upsample", {"scale_factor": 1024.0})


def chain(steps: Sequence[tuple[str, Mapping[str, object]]], shape: list[int]) -> Design:
    """input -> each step in turn -> output."""
    design = Design()
    previous = design.add_block("input", name="x", params={"shape": shape}).id
    for kind, params in steps:
        block = design.add_block(kind, params=params)
        for port in design.kind(block.id).input_ports(block.params):
            design.connect(previous, block.id, port)
        previous = block.id
    design.connect(previous, design.add_block("output", name="out").id)
    return design


@pytest.mark.parametrize(
    ("step", "count", "too_large", "message"),
    [
        (
            HOSTILE_CONV, 1200, 2,
            "ConvTranspose2d 'conv_transpose2d2': its output 1x1x134217728x134217728 would "
            "have 1.8e+16 elements; a tensor here has at most 9.0e+15 (2**53)",
        ),
        (
            HOSTILE_UPSAMPLE, 200, 3,
            "Upsample 'upsample3': its output 1x1x8589934592x8589934592 would have 7.4e+19 "
            "elements; a tensor here has at most 9.0e+15 (2**53)",
        ),
    ],
    ids=["conv_transpose", "upsample"],
)  # fmt: skip
def test_a_growing_chain_stops_at_the_block_past_the_limit(
    step: tuple[str, Mapping[str, object]], count: int, too_large: int, message: str
) -> None:
    """Past the limit (the 2nd or 3rd block), every shape from there on is unknown."""
    design = chain([step] * count, [1, 1, 8, 8])
    report = check_design(design)
    (problem,) = report.problems
    assert problem.message == message
    known = [report.results[block_id].shape is not None for block_id in design.topological_order()]
    assert known == [True] * too_large + [False] * (count - too_large + 2)  # output too
    assert "?" in report_text(design, report)
    json.dumps(report_json(design, report))


def test_an_input_past_the_limit_is_its_own_error() -> None:
    design = chain([("linear", {"out_features": 4})], [MAX_DIM] * 4)
    (problem,) = check_design(design).problems
    assert problem.message.startswith("input 'x': its output 16777216x16777216x")
    assert "7.9e+28 elements" in problem.message


def test_parameters_past_the_limit_are_an_error() -> None:
    steps = [("conv2d", {"out_channels": MAX_DIM, "kernel_size": MAX_KERNEL, "padding": 2048})]
    design = chain(steps, [1, MAX_DIM, 1, 1])
    (problem,) = check_design(design).problems
    assert "Conv2d 'conv2d1': it would have " in problem.message
    assert "parameters; a block here has at most 9.0e+15 (2**53)" in problem.message


def test_exactly_the_limit_is_fine() -> None:
    shape = [MAX_DIM, MAX_DIM, 32]
    assert math.prod(shape) == MAX_ELEMENTS
    design = chain([("dropout", {})], shape)
    assert check_design(design).ok


def test_upsample_never_overflows_a_float_even_when_called_directly() -> None:
    params: dict[str, ParamValue] = {
        "scale_factor": 1024.0,
        "mode": "nearest",
        "align_corners": False,
    }
    with pytest.raises(RuleError, match="past the limit"):
        upsample_shape(params, [(1, 1, 10**400, 10**400)])


@pytest.mark.parametrize(
    ("count", "text"),
    [(0, "0"), (123_456, "123,456"), (10**15 - 1, "999,999,999,999,999"), (2**53, "9.0e+15"),
     (10**5000, "1.0e+5000"), (10**5000 - 1, "1.0e+5000"), (2**20_000, "4.0e+6020")],
    ids=lambda value: value if isinstance(value, str) else f"{value.bit_length()} bits",
)  # fmt: skip
def test_counts_read_whole_or_in_short(count: int, text: str) -> None:
    assert count_text(count) == text


GROWING_STEPS = st.one_of(
    st.builds(
        lambda kernel, stride, out: (
            "conv_transpose2d",
            {"kernel_size": kernel, "stride": stride, "out_channels": out},
        ),
        st.integers(1, MAX_KERNEL),
        st.integers(1, MAX_KERNEL),
        st.integers(1, MAX_DIM),
    ),
    st.builds(lambda scale: ("upsample", {"scale_factor": scale}), st.floats(0.01, 1024.0)),
    st.builds(
        lambda sizes: ("conv_stack", {"sizes": sizes, "kernel_size": 1}),
        st.lists(st.integers(1, MAX_DIM), min_size=1, max_size=4),
    ),
    st.builds(lambda out: ("linear", {"out_features": out}), st.integers(1, MAX_DIM)),
    st.builds(lambda inputs: ("concat", {"inputs": inputs, "dim": -1}), st.integers(2, 8)),
    st.builds(lambda inputs: ("add", {"inputs": inputs}), st.integers(2, 4)),
    st.just(("flatten", {})),
)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    steps=st.lists(GROWING_STEPS, min_size=1, max_size=30),
    shape=st.lists(st.integers(1, MAX_DIM), min_size=2, max_size=6),
)
def test_the_checker_never_raises_on_chains_of_growing_blocks(
    steps: list[tuple[str, Mapping[str, object]]], shape: list[int]
) -> None:
    design = chain(steps, shape)
    report = check_design(design)  # raises nothing: every problem is a ShapeProblem
    for block_id, result in report.results.items():
        if result.shape is not None:
            assert math.prod(result.shape) <= MAX_ELEMENTS, design.describe(block_id)
        if result.parameters is not None:
            assert result.parameters <= MAX_ELEMENTS, design.describe(block_id)
    for problem in report.problems:
        assert problem.block_id is None or problem.block_id in design.blocks
        assert "\n" not in problem.message
    json.dumps(report_json(design, report))
    report_text(design, report)
