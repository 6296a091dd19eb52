"""Normalisation and regularisation: batch, layer, group, RMS and instance norm, and dropout."""

from __future__ import annotations

import math
from collections.abc import Sequence

from designer.graph import shape_rules as rules
from designer.graph.block_code import BlockCode, CodeContext, CodeRule, Params, call
from designer.graph.kind import BlockKind, Pin, Ranks
from designer.graph.kinds.categories import NORMALISATION
from designer.graph.kinds.common import IMAGE
from designer.graph.kinds.convolution import SEQUENCE, VOLUME
from designer.graph.params import (
    ParamSpec,
    bool_param,
    float_param,
    in_size_param,
    int_param,
)
from designer.graph.shape_rules import Shape, ShapeRuleError, shape_text

_BATCH_NORM_DEFAULTS = {"eps": 1e-5, "momentum": 0.1, "affine": True, "track_running_stats": True}
_INSTANCE_NORM_DEFAULTS = {**_BATCH_NORM_DEFAULTS, "affine": False, "track_running_stats": False}
_EPS = float_param("eps", 1e-5, "added to the variance for stability", 1e-12, 1.0)


def _int(params: Params, name: str) -> int:
    value = params[name]
    assert isinstance(value, int)
    return value


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


# --- batch and instance norm ---------------------------------------------------------------


def _running_norm_params(affine: bool, track: bool) -> tuple[ParamSpec, ...]:
    return (
        _EPS,
        float_param("momentum", 0.1, "running statistics update rate", 0.0, 1.0),
        bool_param("affine", affine, "learn a scale and shift per channel"),
        bool_param("track_running_stats", track, "keep running mean and variance"),
        in_size_param("num_features", "channels; inferred unless pinned"),
    )


def _per_channel(module: str) -> CodeRule:
    def code(context: CodeContext) -> BlockCode:
        changed = context.changed("eps", "momentum", "affine", "track_running_stats")
        return BlockCode(constructor=call(module, [str(context.shape[1]), *changed]))

    return code


def _instance_norm_shape(params: Params, inputs: Sequence[Shape]) -> Shape:
    (shape,) = inputs
    if not params["track_running_stats"] and math.prod(shape[2:]) == 1:
        raise ShapeRuleError(
            "without running statistics, instance norm averages over each channel's "
            f"positions, but {shape_text(shape)} has one position per channel",
            expected="more than one position per channel (or track_running_stats on)",
            received=shape_text(shape),
        )
    return shape


def _affine_per_channel(params: Params, inputs: Sequence[Shape], output: Shape) -> int:
    return 2 * inputs[0][1] if params["affine"] else 0


_CHANNELS = Pin("num_features", 1, "channels")


# --- layer and RMS norm over trailing dims -------------------------------------------------

_TRAILING = int_param("dims", 1, "how many trailing dims to normalise (sizes from the input)", 1, 8)
_ELEMENTWISE_AFFINE = bool_param("elementwise_affine", True, "learn a scale per element")


def _trailing_sizes(params: Params, shape: Shape) -> Shape:
    """The sizes a layer or RMS norm normalises: the last ``dims``, the batch left out (its
    size would be written into the module and fix the batch size)."""
    dims, rank = _int(params, "dims"), len(shape)
    if dims >= rank:
        last = "the last dim" if dims == 1 else f"the last {dims} dims"
        raise ShapeRuleError(
            f"normalises {last}, but a {rank}-d input has only {rank - 1} after the batch",
            expected=f"an input of at least {dims + 1} dims",
            received=f"{rank}-d",
        )
    return shape[rank - dims :]


def _trailing_shape(params: Params, inputs: Sequence[Shape]) -> Shape:
    _trailing_sizes(params, inputs[0])
    return inputs[0]


def _normalized_shape(context: CodeContext) -> str:
    sizes = _trailing_sizes(context.params, context.shape)
    return str(sizes[0]) if len(sizes) == 1 else repr(list(sizes))


def _layer_norm_code(context: CodeContext) -> BlockCode:
    changed = context.changed("eps", "elementwise_affine", "bias")
    return BlockCode(constructor=call("nn.LayerNorm", [_normalized_shape(context), *changed]))


def _layer_norm_parameters(params: Params, inputs: Sequence[Shape], output: Shape) -> int:
    if not params["elementwise_affine"]:
        return 0
    elements = math.prod(_trailing_sizes(params, inputs[0]))
    return 2 * elements if params["bias"] else elements


def _rms_norm_code(context: CodeContext) -> BlockCode:
    p = context.params
    arguments = [_normalized_shape(context)]
    if not p["dtype_eps"]:
        arguments.append(f"eps={p['eps']!r}")
    arguments += context.changed("elementwise_affine")
    return BlockCode(constructor=call("nn.RMSNorm", arguments))


def _rms_norm_parameters(params: Params, inputs: Sequence[Shape], output: Shape) -> int:
    if not params["elementwise_affine"]:
        return 0
    return math.prod(_trailing_sizes(params, inputs[0]))


def _trailing_summary(label: str, params: Params) -> str:
    dims = _int(params, "dims")
    return label if dims == 1 else f"{label}, last {dims} dims"


# --- group norm -----------------------------------------------------------------------------


def _group_norm_shape(params: Params, inputs: Sequence[Shape]) -> Shape:
    (shape,) = inputs
    groups, channels = _int(params, "num_groups"), shape[1]
    if channels % groups:
        raise ShapeRuleError(
            f"{_count(channels, 'channel')} can't be split into {_count(groups, 'group')}",
            expected=f"channels divisible by {groups}",
            received=f"{channels} channels",
        )
    # torch counts the batch in: it refuses only a whole input of one value per group
    if shape[0] * (channels // groups) * math.prod(shape[2:]) == 1:
        raise ShapeRuleError(
            f"{_count(channels, 'channel')} in {_count(groups, 'group')} leave one value per "
            f"group in {shape_text(shape)}, and group norm needs more than one",
            expected="more than one value per group",
            received=shape_text(shape),
        )
    return shape


def _group_norm_code(context: CodeContext) -> BlockCode:
    arguments = [str(context.params["num_groups"]), str(context.shape[1])]
    return BlockCode(
        constructor=call("nn.GroupNorm", [*arguments, *context.changed("eps", "affine")])
    )


def _dropout(module: str) -> CodeRule:
    def code(context: CodeContext) -> BlockCode:
        return BlockCode(constructor=call(module, context.changed("p")))

    return code


_P = float_param("p", 0.5, "probability of zeroing an element", 0.0, 1.0)
_CHANNEL_P = float_param("p", 0.5, "probability of zeroing a whole channel", 0.0, 1.0)

KINDS = (
    BlockKind(
        "batch_norm1d", "BatchNorm1d", NORMALISATION.name,
        "batch normalisation over N x C or N x C x L",
        _running_norm_params(True, True), rules.batch_norm_shape, rules.batch_norm_parameters,
        _per_channel("nn.BatchNorm1d"), ranks=Ranks(2, 3, "2-d or 3-d (N x C or N x C x L)"),
        pin=_CHANNELS, torch_class="BatchNorm1d", torch_defaults=_BATCH_NORM_DEFAULTS,
    ),
    BlockKind(
        "batch_norm2d", "BatchNorm2d", NORMALISATION.name, "batch normalisation over N x C x H x W",
        _running_norm_params(True, True), rules.batch_norm_shape, rules.batch_norm_parameters,
        _per_channel("nn.BatchNorm2d"), pin=_CHANNELS, ranks=IMAGE,
        torch_class="BatchNorm2d", torch_defaults=_BATCH_NORM_DEFAULTS,
    ),
    BlockKind(
        "batch_norm3d", "BatchNorm3d", NORMALISATION.name,
        "batch normalisation over N x C x D x H x W",
        _running_norm_params(True, True), rules.batch_norm_shape, rules.batch_norm_parameters,
        _per_channel("nn.BatchNorm3d"), pin=_CHANNELS, ranks=VOLUME,
        torch_class="BatchNorm3d", torch_defaults=_BATCH_NORM_DEFAULTS,
    ),
    BlockKind(
        "layer_norm", "LayerNorm", NORMALISATION.name,
        "normalise each sample over its last dims (transformers: the features)",
        (
            _TRAILING, _EPS, _ELEMENTWISE_AFFINE,
            bool_param("bias", True, "learn a shift per element too (with elementwise_affine)"),
        ),
        _trailing_shape, _layer_norm_parameters, _layer_norm_code,
        lambda p: _trailing_summary("LayerNorm", p), ranks=Ranks(2, None, "at least 2-d"),
        torch_class="LayerNorm",
        torch_defaults={"eps": 1e-5, "elementwise_affine": True, "bias": True},
    ),
    BlockKind(
        "rms_norm", "RMSNorm", NORMALISATION.name,
        "scale each sample by the root mean square of its last dims (no centring)",
        (
            _TRAILING,
            bool_param("dtype_eps", True,
                       "use torch's default eps, the input type's machine epsilon"),
            float_param("eps", 1e-6, "added for stability when dtype_eps is off", 1e-12, 1.0),
            _ELEMENTWISE_AFFINE,
        ),
        _trailing_shape, _rms_norm_parameters, _rms_norm_code,
        lambda p: _trailing_summary("RMSNorm", p), ranks=Ranks(2, None, "at least 2-d"),
        torch_class="RMSNorm", torch_defaults={"elementwise_affine": True},
    ),
    BlockKind(
        "group_norm", "GroupNorm", NORMALISATION.name,
        "normalise each sample over groups of channels (batch-size independent)",
        (
            int_param("num_groups", 32, "groups the channels are split into; must divide them"),
            _EPS, bool_param("affine", True, "learn a scale and shift per channel"),
            in_size_param("num_channels", "channels; inferred unless pinned"),
        ),
        _group_norm_shape, _affine_per_channel, _group_norm_code,
        lambda p: f"GroupNorm {p['num_groups']} groups",
        ranks=Ranks(2, None, "at least 2-d (N x C x ...)"),
        pin=Pin("num_channels", 1, "channels"), torch_class="GroupNorm",
        torch_defaults={"eps": 1e-5, "affine": True},
    ),
    BlockKind(
        "instance_norm1d", "InstanceNorm1d", NORMALISATION.name,
        "normalise each channel of each sample over its length",
        _running_norm_params(False, False), _instance_norm_shape, _affine_per_channel,
        _per_channel("nn.InstanceNorm1d"), pin=_CHANNELS, ranks=SEQUENCE,
        torch_class="InstanceNorm1d", torch_defaults=_INSTANCE_NORM_DEFAULTS,
    ),
    BlockKind(
        "instance_norm2d", "InstanceNorm2d", NORMALISATION.name,
        "normalise each channel of each sample over its height and width (style transfer)",
        _running_norm_params(False, False), _instance_norm_shape, _affine_per_channel,
        _per_channel("nn.InstanceNorm2d"), pin=_CHANNELS, ranks=IMAGE,
        torch_class="InstanceNorm2d", torch_defaults=_INSTANCE_NORM_DEFAULTS,
    ),
    BlockKind(
        "dropout", "Dropout", NORMALISATION.name, "randomly zero elements while training",
        (_P,), rules.identity_shape, code=_dropout("nn.Dropout"),
        summary=lambda p: f"dropout {p['p']:g}", torch_class="Dropout",
        torch_defaults={"p": 0.5},
    ),
    BlockKind(
        "dropout1d", "Dropout1d", NORMALISATION.name,
        "randomly zero whole channels of N x C x L while training",
        (_CHANNEL_P,), rules.identity_shape, code=_dropout("nn.Dropout1d"),
        summary=lambda p: f"dropout1d {p['p']:g}", ranks=SEQUENCE, torch_class="Dropout1d",
        torch_defaults={"p": 0.5},
    ),
    BlockKind(
        "dropout2d", "Dropout2d", NORMALISATION.name,
        "randomly zero whole channels of N x C x H x W while training",
        (_CHANNEL_P,), rules.identity_shape, code=_dropout("nn.Dropout2d"),
        summary=lambda p: f"dropout2d {p['p']:g}", ranks=IMAGE, torch_class="Dropout2d",
        torch_defaults={"p": 0.5},
    ),
)  # fmt: skip
