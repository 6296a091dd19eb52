"""Cases for convolutions, pools, pads and pixel shuffles over 1, 2 or 3 spatial dimensions.

Generic draws rarely make these valid: grouped convolutions need channel counts that split,
3-d windows a volume they fit in, reflection padding less than the size it pads, a pixel
shuffle channels divisible by the factor squared. Each strategy here hits such cases about
half the time and misses them the rest, so both the shapes and the refusals are checked.
The 2-d pads take 1 or 4 values: the catalogue refuses the 2 that torch reads as the width
alone, so those are left out (a test in ``test_spatial_kinds`` checks the refusal).
"""

from __future__ import annotations

from collections.abc import Mapping

from hypothesis import strategies as st

from designer.graph.catalogue import CATALOGUE
from tests.kind_cases import Case, Shape

batches = st.integers(1, 2)
small = st.integers(1, 4)


def _channels(groups: int) -> st.SearchStrategy[int]:
    """Channel counts that split into ``groups`` groups about half the time."""
    return st.integers(1, 6) | st.integers(1, 3).map(lambda multiple: multiple * groups)


def _spatial_sizes(dims: int, largest: int) -> st.SearchStrategy[tuple[int, ...]]:
    """Cubes about half the time (the dims agree), else each size drawn on its own."""
    size = st.integers(1, largest)
    cubes = size.map(lambda side: (side,) * dims)
    return cubes | st.tuples(*[size] * dims)


def _case(kind: str, params: Mapping[str, object], *shapes: Shape) -> Case:
    return CATALOGUE[kind].validate_params(params), shapes


@st.composite
def _conv_cases(draw: st.DrawFn, dims: int, transposed: bool) -> Case:
    groups = draw(st.integers(1, 3))
    params: dict[str, object] = {
        "out_channels": draw(_channels(groups)),
        "kernel_size": draw(st.integers(1, 5)),
        "stride": draw(st.integers(1, 3)),
        "padding": draw(st.integers(0, 3)),
        "dilation": draw(st.integers(1, 3)),
        "groups": groups,
        "bias": draw(st.booleans()),
    }
    if transposed:
        params["output_padding"] = draw(st.integers(0, 3))
    largest = 12 if dims == 1 else 7
    shape = (draw(batches), draw(_channels(groups)), *draw(_spatial_sizes(dims, largest)))
    return _case(f"conv{'_transpose' if transposed else ''}{dims}d", params, shape)


@st.composite
def _pool_cases(draw: st.DrawFn, kind: str, dims: int) -> Case:
    kernel = draw(st.integers(1, 4))
    params: dict[str, object] = {
        "kernel_size": kernel,
        "stride": draw(st.none() | st.integers(1, 3)),
        "padding": draw(st.integers(0, kernel // 2) | st.integers(0, 3)),
        "ceil_mode": draw(st.booleans()),
    }
    if kind.startswith("max"):
        params["dilation"] = draw(st.integers(1, 3))
    largest = 12 if dims == 1 else 7
    shape = (draw(batches), draw(small), *draw(_spatial_sizes(dims, largest)))
    return _case(kind, params, shape)


def _plane_shapes() -> st.SearchStrategy[Shape]:
    """3-d or 4-d inputs, as the 2-d pads take them."""
    height_width = _spatial_sizes(2, 6)
    return st.tuples(st.lists(small, min_size=1, max_size=2), height_width).map(
        lambda drawn: (*drawn[0], *drawn[1])
    )


def _pad_values(minimum: int) -> st.SearchStrategy[tuple[int, ...]]:
    amount = st.integers(minimum, 4)
    return st.tuples(amount) | st.tuples(amount, amount, amount, amount)


@st.composite
def _constant_pad_cases(draw: st.DrawFn, kind: str) -> Case:
    params: dict[str, object] = {"padding": draw(_pad_values(-3))}
    if kind == "constant_pad2d":
        params["value"] = draw(st.sampled_from([0.0, -1.5, 2.0]))
    return _case(kind, params, draw(_plane_shapes()))


@st.composite
def _reflection_pad_cases(draw: st.DrawFn) -> Case:
    shape = draw(_plane_shapes())
    fitting = st.integers(0, min(shape[-2:]) - 1)  # every side below the size it pads
    padding = draw(st.tuples(fitting) | st.tuples(fitting, fitting, fitting, fitting))
    padding = draw(st.just(padding) | _pad_values(0))
    return _case("reflection_pad2d", {"padding": padding}, shape)


@st.composite
def _pixel_shuffle_cases(draw: st.DrawFn) -> Case:
    factor = draw(st.integers(1, 3))
    channels = draw(st.integers(1, 3).map(lambda multiple: multiple * factor * factor) | small)
    leading = draw(st.lists(small, min_size=0, max_size=2))
    shape = (*leading, channels, *draw(_spatial_sizes(2, 5)))
    return _case("pixel_shuffle", {"upscale_factor": factor}, shape)


@st.composite
def _pixel_unshuffle_cases(draw: st.DrawFn) -> Case:
    factor = draw(st.integers(1, 3))
    multiples = _spatial_sizes(2, 3).map(lambda sizes: tuple(size * factor for size in sizes))
    height_width = draw(multiples | _spatial_sizes(2, 7))
    leading = draw(st.lists(small, min_size=0, max_size=2))
    shape = (*leading, draw(small), *height_width)
    return _case("pixel_unshuffle", {"downscale_factor": factor}, shape)


CASES = {
    "conv1d": _conv_cases(1, transposed=False),
    "conv3d": _conv_cases(3, transposed=False),
    "conv_transpose1d": _conv_cases(1, transposed=True),
    "conv_transpose3d": _conv_cases(3, transposed=True),
    "max_pool1d": _pool_cases("max_pool1d", 1),
    "max_pool3d": _pool_cases("max_pool3d", 3),
    "avg_pool1d": _pool_cases("avg_pool1d", 1),
    "avg_pool3d": _pool_cases("avg_pool3d", 3),
    "zero_pad2d": _constant_pad_cases("zero_pad2d"),
    "constant_pad2d": _constant_pad_cases("constant_pad2d"),
    "reflection_pad2d": _reflection_pad_cases(),
    "pixel_shuffle": _pixel_shuffle_cases(),
    "pixel_unshuffle": _pixel_unshuffle_cases(),
}
