"""Every kind's shape and parameter-count rules against real torch modules on the meta device.

For each catalogue kind, hypothesis draws parameters and input shapes from small ranges full of
edge cases; the kind's modules (``reference_torch``) run a forward pass on empty meta tensors.
Where torch gives an output, the rule must give the same shape and parameter count; where torch
refuses (or gives a zero-size dimension), the rule must raise ``ShapeRuleError``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from designer.graph.activations import ACTIVATION_KEYS, ACTIVATIONS, ACTIVATIONS_BY_KEY, Activation
from designer.graph.catalogue import CATALOGUE, BlockKind
from designer.graph.params import ParamValue
from designer.graph.shape_rules import Shape, ShapeRuleError
from tests.profiles import examples
from tests.reference_torch import TorchOutcome, resolve_function, torch_outcome

Params = dict[str, ParamValue]
Case = tuple[Params, tuple[Shape, ...]]
"""A kind's validated parameters and the shapes arriving at its input ports."""
RuleOutcome = tuple[Shape, int] | ShapeRuleError

CPU = torch.device("cpu")
DEFAULT_EXAMPLES = 100
EXAMPLES: Mapping[str, int] = {
    "input": 30,
    "output": 30,
    "dropout": 40,
    "conv2d": 250,
    "conv_transpose2d": 250,
    "conv_stack": 200,
    "max_pool2d": 300,
    "avg_pool2d": 250,
    "flatten": 200,
    "upsample": 200,
    "add": 200,
    "concat": 200,
}
"""Examples per kind: more where the arithmetic has more corners."""

# --- building blocks of the strategies ---------------------------------------------------

batches = st.integers(1, 3)
channels = st.integers(1, 12)
features = st.integers(1, 12)
spatial = st.integers(1, 20)
small_dims = st.integers(1, 5)
kernels = st.integers(1, 7)
strides = st.integers(1, 4)
paddings = st.integers(0, 4)
dilations = st.integers(1, 3)
group_counts = st.integers(1, 4)
size_lists = st.lists(st.integers(1, 12), min_size=1, max_size=4)
activation_keys = st.sampled_from(ACTIVATION_KEYS)
pool_strides = st.none() | strides
scale_factors = st.sampled_from([0.1, 0.25, 0.3, 1 / 3, 0.5, 0.7, 1.0, 1.1, 1.5, 2.0, 2.5, 3.0])
scale_factors |= st.floats(0.05, 4.0)


@st.composite
def image_shapes(draw: st.DrawFn, channel_counts: st.SearchStrategy[int] = channels) -> Shape:
    """N x C x H x W, square about half the time."""
    height = draw(spatial)
    width = draw(st.just(height) | spatial)
    return (draw(batches), draw(channel_counts), height, width)


def any_shapes(min_rank: int = 1, max_rank: int = 5) -> st.SearchStrategy[Shape]:
    return st.lists(small_dims, min_size=min_rank, max_size=max_rank).map(tuple)


def feature_shapes() -> st.SearchStrategy[Shape]:
    """Any rank, features last: what Linear takes."""
    leading = st.lists(small_dims, max_size=3)
    return st.tuples(leading, features).map(lambda drawn: (*drawn[0], drawn[1]))


def validated(kind: str) -> Callable[[Mapping[str, object]], Params]:
    return CATALOGUE[kind].validate_params


def simple_case(
    kind: str, params: Mapping[str, st.SearchStrategy[object]], shapes: st.SearchStrategy[Shape]
) -> st.SearchStrategy[Case]:
    """Parameters drawn independently of a single input's shape."""
    drawn_params = st.fixed_dictionaries(dict(params)).map(validated(kind))
    return st.tuples(drawn_params, shapes.map(lambda shape: (shape,)))


# --- strategies with parameters and shapes that depend on each other ---------------------


def channel_counts(group_count: int) -> st.SearchStrategy[int]:
    """Channel counts that split into ``group_count`` groups about half the time."""
    return channels | st.integers(1, 3).map(lambda multiple: multiple * group_count)


@st.composite
def conv2d_cases(draw: st.DrawFn) -> Case:
    groups = draw(group_counts)
    params = {
        "out_channels": draw(channel_counts(groups)),
        "kernel_size": draw(kernels),
        "stride": draw(strides),
        "padding": draw(paddings),
        "dilation": draw(dilations),
        "groups": groups,
        "bias": draw(st.booleans()),
    }
    return validated("conv2d")(params), (draw(image_shapes(channel_counts(groups))),)


@st.composite
def conv_transpose2d_cases(draw: st.DrawFn) -> Case:
    groups = draw(group_counts)
    params = {
        "out_channels": draw(channel_counts(groups)),
        "kernel_size": draw(kernels),
        "stride": draw(strides),
        "padding": draw(paddings),
        "output_padding": draw(st.integers(0, 4)),
        "dilation": draw(dilations),
        "groups": groups,
        "bias": draw(st.booleans()),
    }
    return validated("conv_transpose2d")(params), (draw(image_shapes(channel_counts(groups))),)


@st.composite
def batch_norm_cases(draw: st.DrawFn, kind: str, shapes: st.SearchStrategy[Shape]) -> Case:
    params = {
        "eps": draw(st.sampled_from([1e-12, 1e-5, 1e-3, 1.0])),
        "momentum": draw(st.floats(0.0, 1.0)),
        "affine": draw(st.booleans()),
        "track_running_stats": draw(st.booleans()),
    }
    return validated(kind)(params), (draw(shapes),)


def dims_of(rank: int) -> st.SearchStrategy[int]:
    """A dim of a rank-``rank`` tensor, counted from either end, or sometimes out of range."""
    return st.integers(-rank, rank - 1) | st.integers(-6, 6)


@st.composite
def flatten_cases(draw: st.DrawFn) -> Case:
    shape = draw(any_shapes())
    dims = dims_of(len(shape))
    params = {"start_dim": draw(dims), "end_dim": draw(dims), "functional": draw(st.booleans())}
    return validated("flatten")(params), (shape,)


@st.composite
def activation_cases(draw: st.DrawFn) -> Case:
    key = draw(activation_keys)
    # without a functional form, 'functional' is a problem the catalogue's problem rule reports
    has_function = ACTIVATIONS_BY_KEY[key].function is not None
    functional = draw(st.booleans()) if has_function else False
    params = validated("activation")({"activation": key, "functional": functional})
    return params, (draw(any_shapes()),)


@st.composite
def broadcast_variant(draw: st.DrawFn, base: Shape, compatible: bool) -> Shape:
    """``base`` with leading dims dropped or added and dims set to 1 or, unless compatible, to
    anything."""
    dropped = draw(st.integers(0, len(base) - 1))
    added = tuple(draw(st.lists(small_dims, max_size=1)))
    choices = [st.just(1)] if compatible else [st.just(1), small_dims]
    shape = [draw(st.sampled_from([size]) | st.one_of(choices)) for size in base[dropped:]]
    return (*added, *shape)


@st.composite
def add_cases(draw: st.DrawFn) -> Case:
    count = draw(st.integers(2, 4))
    base = draw(any_shapes(max_rank=4))
    compatible = draw(st.booleans())
    shapes = tuple(draw(broadcast_variant(base, compatible)) for _ in range(count))
    return validated("add")({"inputs": count}), shapes


@st.composite
def concat_variant(draw: st.DrawFn, base: Shape, axis: int | None, exact: bool) -> Shape:
    """``base`` resized on ``axis``; unless exact, also resized, grown or shrunk elsewhere."""
    shape = list(base)
    if axis is not None:
        shape[axis] = draw(small_dims)
    if not exact:
        change = draw(st.sampled_from(["resize", "grow", "shrink"]))
        if change == "resize":
            shape[draw(st.integers(0, len(shape) - 1))] = draw(small_dims)
        elif change == "grow":
            shape.append(draw(small_dims))
        elif len(shape) > 1:
            shape.pop()
    return tuple(shape)


@st.composite
def concat_cases(draw: st.DrawFn) -> Case:
    count = draw(st.integers(2, 4))
    base = draw(any_shapes(max_rank=4))
    rank = len(base)
    dim = draw(dims_of(rank))
    axis = dim % rank if -rank <= dim < rank else None
    exact = draw(st.booleans())
    shapes = tuple(draw(concat_variant(base, axis, exact)) for _ in range(count))
    return validated("concat")({"inputs": count, "dim": dim}), shapes


CASES: Mapping[str, st.SearchStrategy[Case]] = {
    "input": st.tuples(
        st.fixed_dictionaries(
            {
                "shape": st.lists(st.integers(1, 64), min_size=1, max_size=5),
                "dtype": st.sampled_from(["float32", "float16", "bfloat16", "float64"]),
            }
        ).map(validated("input")),
        st.just(()),
    ),
    "output": simple_case("output", {}, any_shapes()),
    "conv_block": simple_case(
        "conv_block",
        {
            "out_channels": channels,
            "kernel_size": kernels,
            "stride": strides,
            "padding": paddings,
            "bias": st.booleans(),
            "batch_norm": st.booleans(),
            "activation": activation_keys,
        },
        image_shapes(),
    ),
    "dec_block": simple_case(
        "dec_block",
        {"out_features": features, "bias": st.booleans(), "activation": activation_keys},
        feature_shapes(),
    ),
    "conv_stack": simple_case(
        "conv_stack",
        {
            "sizes": size_lists,
            "kernel_size": kernels,
            "stride": strides,
            "padding": paddings,
            "bias": st.booleans(),
            "batch_norm": st.booleans(),
            "activation": activation_keys,
            "keep_outputs": st.booleans(),
        },
        image_shapes(),
    ),
    "dec_stack": simple_case(
        "dec_stack",
        {
            "sizes": size_lists,
            "bias": st.booleans(),
            "activation": activation_keys,
            "keep_outputs": st.booleans(),
        },
        feature_shapes(),
    ),
    "linear_stack": simple_case(
        "linear_stack",
        {"sizes": size_lists, "bias": st.booleans(), "keep_outputs": st.booleans()},
        feature_shapes(),
    ),
    "conv2d": conv2d_cases(),
    "conv_transpose2d": conv_transpose2d_cases(),
    "linear": simple_case(
        "linear", {"out_features": features, "bias": st.booleans()}, feature_shapes()
    ),
    "batch_norm1d": batch_norm_cases("batch_norm1d", any_shapes(2, 3)),
    "batch_norm2d": batch_norm_cases("batch_norm2d", image_shapes()),
    "max_pool2d": simple_case(
        "max_pool2d",
        {
            "kernel_size": kernels,
            "stride": pool_strides,
            "padding": paddings,
            "dilation": dilations,
            "ceil_mode": st.booleans(),
        },
        image_shapes(),
    ),
    "avg_pool2d": simple_case(
        "avg_pool2d",
        {
            "kernel_size": kernels,
            "stride": pool_strides,
            "padding": paddings,
            "ceil_mode": st.booleans(),
        },
        image_shapes(),
    ),
    "adaptive_avg_pool2d": simple_case(
        "adaptive_avg_pool2d",
        {"output_size": st.lists(st.integers(1, 12), min_size=1, max_size=2)},
        image_shapes(),
    ),
    "dropout": simple_case("dropout", {"p": st.floats(0.0, 1.0)}, any_shapes()),
    "flatten": flatten_cases(),
    "upsample": simple_case(
        "upsample",
        {
            "scale_factor": scale_factors,
            "mode": st.sampled_from(["nearest", "nearest-exact", "bilinear", "bicubic"]),
            "align_corners": st.booleans(),
        },
        image_shapes(),
    ),
    "activation": activation_cases(),
    "add": add_cases(),
    "concat": concat_cases(),
}
"""One strategy per catalogue kind; a kind without one fails the cross-check."""


# --- the checks --------------------------------------------------------------------------


@pytest.fixture(scope="session")
def meta() -> torch.device:
    """The meta device, warmed up: its first forward pass takes a while."""
    device = torch.device("meta")
    with device:
        conv = nn.Conv2d(1, 1, 1)
    conv(torch.empty((1, 1, 1, 1), device=device))
    return device


def rule_outcome(kind: BlockKind, params: Params, inputs: Sequence[Shape]) -> RuleOutcome:
    try:
        shape = kind.shape_rule(params, inputs)
    except ShapeRuleError as error:
        return error
    return shape, kind.parameter_rule(params, inputs, shape)


def agrees(rule: RuleOutcome, verdict: TorchOutcome) -> bool:
    if verdict.refused:
        return isinstance(rule, ShapeRuleError)
    return rule == (verdict.shape, verdict.parameters)


def check_against_torch(
    kind: BlockKind, params: Params, inputs: tuple[Shape, ...], meta: torch.device
) -> None:
    for shape in inputs:
        assert kind.ranks.accepts(len(shape)), f"the strategy drew a rank-{len(shape)} input"
    rule = rule_outcome(kind, params, inputs)
    verdict = torch_outcome(kind.name, params, inputs, meta)
    if not agrees(rule, verdict):
        # meta kernels skip some checks the CPU ones make (ConvTranspose2d's output_padding
        # limit): where they disagree with the rule, the real kernels decide
        verdict = torch_outcome(kind.name, params, inputs, CPU)
    if verdict.refused:
        assert isinstance(rule, ShapeRuleError), (
            f"torch refuses {inputs} ({verdict.error}), but the rule gives {rule}"
        )
        return
    assert not isinstance(rule, ShapeRuleError), (
        f"torch gives {verdict.shape} from {inputs}, but the rule raises: {rule.message}"
    )
    assert rule == (verdict.shape, verdict.parameters), "(shape, parameters): rule vs torch"


@pytest.mark.parametrize("name", [name for name in CATALOGUE if name in CASES])
def test_rules_match_torch(name: str, meta: torch.device) -> None:
    """The seed's kinds against a second, hand-written description (every kind is also checked
    against the code it writes, in ``test_kinds_against_code.py``)."""
    kind = CATALOGUE[name]

    @settings(max_examples=examples(EXAMPLES.get(name, DEFAULT_EXAMPLES)), deadline=None)
    @given(CASES[name])
    def check(case: Case) -> None:
        params, inputs = case
        if name == "input":
            assert kind.shape_rule(params, inputs) == params["shape"]
            assert kind.parameter_rule(params, inputs, params["shape"]) == 0
        else:
            check_against_torch(kind, params, inputs, meta)

    check()


@pytest.mark.parametrize(
    ("name", "shape"), [("batch_norm1d", (1, 3)), ("batch_norm2d", (1, 3, 1, 1))]
)
def test_batch_norm_without_running_stats_refuses_one_value_per_channel(
    name: str, shape: Shape, meta: torch.device
) -> None:
    kind = CATALOGUE[name]
    params = kind.validate_params({"track_running_stats": False})
    assert torch_outcome(name, params, (shape,), meta).refused
    with pytest.raises(ShapeRuleError):
        kind.shape_rule(params, (shape,))


# --- the activation palette --------------------------------------------------------------


@pytest.mark.parametrize("entry", ACTIVATIONS, ids=lambda entry: entry.key)
def test_activation_parameters_match_its_module(entry: Activation) -> None:
    module = getattr(nn, entry.module)(**dict(entry.kwargs))
    assert entry.parameters == sum(parameter.numel() for parameter in module.parameters())


@pytest.mark.parametrize(
    "entry", [entry for entry in ACTIVATIONS if entry.function], ids=lambda entry: entry.key
)
def test_activation_function_matches_its_module(entry: Activation) -> None:
    assert entry.function is not None
    function = resolve_function(entry.function)
    module = getattr(nn, entry.module)(**dict(entry.kwargs))
    values = torch.linspace(-6.0, 6.0, 49)
    torch.testing.assert_close(function(values, **dict(entry.kwargs)), module(values))
