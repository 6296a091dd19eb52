"""The cost map's colour scale (no Qt): darker for a larger share, the largest share darkest,
text that reads on every colour, and figures written with their units."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from designer.gui.canvas.cost_colours import (
    YLORRD,
    contrast,
    cost_colours,
    cost_text,
    format_seconds,
    relative_luminance,
    scale_colour,
    share_text,
    text_colours_on,
)
from designer.runtime.block_costs import CostMeasure

shares = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)


@given(shares, shares)
def test_a_larger_share_is_never_lighter(first: float, second: float) -> None:
    low, high = sorted((first, second))
    assert relative_luminance(scale_colour(high)) <= relative_luminance(scale_colour(low))


@given(st.floats(min_value=0.0, max_value=0.99, allow_nan=False))
def test_a_clearly_larger_share_is_darker(share: float) -> None:
    lighter, darker = scale_colour(share), scale_colour(share + 0.01)
    assert relative_luminance(darker) < relative_luminance(lighter)


def test_the_scale_runs_from_its_lightest_to_its_darkest_stop() -> None:
    assert scale_colour(0.0) == YLORRD[0]
    assert scale_colour(1.0) == YLORRD[-1]
    assert scale_colour(-3.0) == YLORRD[0]
    assert scale_colour(7.0) == YLORRD[-1]
    assert scale_colour(float("nan")) == YLORRD[0]
    luminances = [relative_luminance(colour) for colour in YLORRD]
    assert luminances == sorted(luminances, reverse=True)


@given(st.dictionaries(st.text(min_size=1, max_size=4), shares, min_size=1, max_size=30))
def test_the_largest_value_gets_the_darkest_colour(values: dict[str, float]) -> None:
    colours = cost_colours(values)
    assert set(colours) == set(values)
    darkest = min(colours.values(), key=relative_luminance)
    largest = max(values.values())
    if largest > 0:
        assert all(colours[block] == YLORRD[-1] for block, v in values.items() if v == largest)
        assert darkest == YLORRD[-1]
    ranked = sorted(values, key=values.__getitem__)
    luminances = [relative_luminance(colours[block]) for block in ranked]
    assert luminances == sorted(luminances, reverse=True)


def test_all_zero_values_take_the_lightest_colour() -> None:
    assert cost_colours({"a": 0.0, "b": 0.0}) == {"a": YLORRD[0], "b": YLORRD[0]}
    assert cost_colours({}) == {}


@given(shares)
def test_text_reads_on_every_colour_of_the_scale(share: float) -> None:
    fill = scale_colour(share)
    name, sizes = text_colours_on(fill)
    assert contrast(fill, name) >= 3.8
    assert contrast(fill, sizes) >= 3.0


@pytest.mark.parametrize(
    ("measure", "value", "text"),
    [
        (CostMeasure.TIME, 0.00123, "1.23 ms"),
        (CostMeasure.TIME, 12.3e-6, "12.3 µs"),
        (CostMeasure.FLOPS, 4.1e9, "4.1 GFLOPs"),
        (CostMeasure.PARAMETERS, 2_400_000, "2.4 M"),
        (CostMeasure.PARAMETERS, 448, "448"),
        (CostMeasure.MEMORY, 3 * 1024 * 1024, "3.0 MiB"),
    ],
)
def test_figures_carry_their_units(measure: CostMeasure, value: float, text: str) -> None:
    assert cost_text(measure, value) == text


def test_seconds_and_shares_read_plainly() -> None:
    assert format_seconds(0.0) == "0 s"
    assert format_seconds(850e-9) == "850 ns"
    assert format_seconds(1.2) == "1.20 s"
    assert share_text(0.0) == "0%"
    assert share_text(0.0004) == "<0.1%"
    assert share_text(0.421) == "42.1%"
