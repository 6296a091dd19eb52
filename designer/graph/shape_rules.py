"""Analytic shape and parameter-count rules, one per block kind.

Plain integer arithmetic on shapes that include the batch dimension. A rule gets the block's
validated parameters and the shapes arriving at its input ports (already checked for rank and
pinned in-sizes by the checker), and returns the output shape or raises ``ShapeRuleError`` with
a sentence a person can act on. A test cross-checks every rule against torch on the meta device.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Final, cast

from designer.graph.activations import ACTIVATIONS_BY_KEY
from designer.graph.params import ParamValue

Shape = tuple[int, ...]
Params = Mapping[str, ParamValue]

MAX_ELEMENTS: Final = 2**53
"""The most elements a block's output (or its parameters, all together) may have.

Far past any real tensor (8 PiB of float32), and the largest count up to which every integer
is exact in a float: rules that scale sizes by a float (Upsample) stay exact and finite. The
checker refuses a larger output as a shape error on the block that makes it, so no rule ever
receives an input past it and no message has to print a number of thousands of digits.
"""


class ShapeRuleError(Exception):
    """A block can't produce an output from the shapes it receives."""

    def __init__(
        self,
        message: str,
        *,
        expected: str | None = None,
        received: str | None = None,
        port_index: int = 0,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.expected = expected
        self.received = received
        self.port_index = port_index


def shape_text(shape: Sequence[int]) -> str:
    """``1x64x28x28``: how shapes read in labels and messages."""
    return "x".join(str(size) for size in shape) if shape else "scalar"


def count_text(count: int) -> str:
    """``1,048,576`` for counts a person reads whole; ``4.8e+24`` past 15 digits. Never
    converts the whole integer (Python refuses past 4300 digits, a float past 1e308)."""
    if count < 10**15:
        return f"{count:,}"
    if count.bit_length() < 1000:
        return f"{float(count):.1e}"
    exponent = math.floor(math.log10(count))
    mantissa = 10 ** (math.log10(count) - exponent)
    if round(mantissa, 1) >= 10:
        mantissa, exponent = 1.0, exponent + 1
    return f"{mantissa:.1f}e+{exponent}"


def _int(params: Params, name: str) -> int:
    value = params[name]
    assert isinstance(value, int)
    return value


def _sizes(params: Params, name: str = "sizes") -> tuple[int, ...]:
    value = params[name]
    assert isinstance(value, tuple) and all(isinstance(item, int) for item in value)
    return cast(tuple[int, ...], value)


def _activation_parameters(params: Params) -> int:
    key = params["activation"]
    assert isinstance(key, str)
    return ACTIVATIONS_BY_KEY[key].parameters


# --- spatial arithmetic -------------------------------------------------------------------


def _window_output(
    size: int, kernel: int, stride: int, padding: int, dilation: int, ceil_mode: bool
) -> int | None:
    """Output length of a sliding window (conv or pool) over ``size``, None if it doesn't fit.

    Torch's arithmetic: in ceil mode the last window may hang over the padded input, as long as
    it starts inside the input or its left padding.
    """
    span = size + 2 * padding - dilation * (kernel - 1) - 1
    out = (span + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (out - 1) * stride >= size + padding:
        out -= 1
    return out if out >= 1 else None


def window_text(size: int, dims: int) -> str:
    """A window's size over ``dims`` spatial dims: ``5``, ``3x3``, ``3x3x3``."""
    return "x".join([str(size)] * dims)


def _spatial(
    shape: Shape,
    *,
    kernel: int,
    stride: int,
    padding: int,
    dilation: int = 1,
    ceil_mode: bool = False,
    dims: int = 2,
) -> tuple[int, ...]:
    """The output sizes of a window sliding over the last ``dims`` dimensions of ``shape``."""
    sizes = shape[-dims:]
    outputs = [_window_output(size, kernel, stride, padding, dilation, ceil_mode) for size in sizes]
    found = [out for out in outputs if out is not None]
    if len(found) < dims:
        reach = dilation * (kernel - 1) + 1
        # in ceil mode a window may hang stride - 1 past the padded input
        needed = window_text(reach - (stride - 1 if ceil_mode else 0), dims)
        kernel_text = f"kernel {window_text(kernel, dims)}" + (
            f" with dilation {dilation}" if dilation > 1 else ""
        )
        if ceil_mode and stride > 1:
            kernel_text += f" at stride {stride} in ceil mode"
        padded = shape_text([size + 2 * padding for size in sizes])
        raise ShapeRuleError(
            f"{kernel_text} needs at least {needed} after padding, but gets "
            f"{padded} ({shape_text(sizes)} padded by {padding})",
            expected=f"at least {needed} after padding",
            received=f"{shape_text(sizes)} with padding {padding}",
        )
    return tuple(found)


def _check_groups(in_channels: int, out_channels: int, groups: int) -> None:
    for what, channels in (("input", in_channels), ("output", out_channels)):
        if channels % groups:
            raise ShapeRuleError(
                f"{channels} {what} channels can't be split into {groups} groups",
                expected=f"{what} channels divisible by {groups}",
                received=f"{channels} channels",
            )


# --- rules ---------------------------------------------------------------------------------


def input_shape(params: Params, inputs: Sequence[Shape]) -> Shape:
    return _sizes(params, "shape")


def identity_shape(params: Params, inputs: Sequence[Shape]) -> Shape:
    return inputs[0]


def _conv_shape(params: Params, inputs: Sequence[Shape], dims: int) -> Shape:
    (shape,) = inputs
    out_channels = _int(params, "out_channels")
    _check_groups(shape[1], out_channels, _int(params, "groups"))
    sizes = _spatial(
        shape,
        kernel=_int(params, "kernel_size"),
        stride=_int(params, "stride"),
        padding=_int(params, "padding"),
        dilation=_int(params, "dilation"),
        dims=dims,
    )
    return (shape[0], out_channels, *sizes)


def conv1d_shape(params: Params, inputs: Sequence[Shape]) -> Shape:
    return _conv_shape(params, inputs, 1)


def conv2d_shape(params: Params, inputs: Sequence[Shape]) -> Shape:
    return _conv_shape(params, inputs, 2)


def conv3d_shape(params: Params, inputs: Sequence[Shape]) -> Shape:
    return _conv_shape(params, inputs, 3)


def _conv_transpose_shape(params: Params, inputs: Sequence[Shape], dims: int) -> Shape:
    (shape,) = inputs
    out_channels = _int(params, "out_channels")
    kernel, stride = _int(params, "kernel_size"), _int(params, "stride")
    padding, dilation = _int(params, "padding"), _int(params, "dilation")
    output_padding = _int(params, "output_padding")
    _check_groups(shape[1], out_channels, _int(params, "groups"))
    if output_padding >= max(stride, dilation):
        raise ShapeRuleError(
            f"output_padding {output_padding} must be smaller than the stride ({stride}) "
            f"or the dilation ({dilation})",
            expected=f"output_padding below {max(stride, dilation)}",
            received=f"output_padding {output_padding}",
        )
    sizes = [
        (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1
        for size in shape[-dims:]
    ]
    if min(sizes) < 1:
        given = shape_text(shape[-dims:])
        source = f"an input of length {given}" if dims == 1 else f"a {given} input"
        raise ShapeRuleError(
            f"padding {padding} removes more than the transposed convolution produces "
            f"from {source}",
            expected=f"an output of at least {window_text(1, dims)}",
            received="x".join(str(size) for size in sizes),
        )
    return (shape[0], out_channels, *sizes)


def conv_transpose1d_shape(params: Params, inputs: Sequence[Shape]) -> Shape:
    return _conv_transpose_shape(params, inputs, 1)


def conv_transpose2d_shape(params: Params, inputs: Sequence[Shape]) -> Shape:
    return _conv_transpose_shape(params, inputs, 2)


def conv_transpose3d_shape(params: Params, inputs: Sequence[Shape]) -> Shape:
    return _conv_transpose_shape(params, inputs, 3)


def _conv_block_layer(params: Params, shape: Shape, out_channels: int) -> Shape:
    sizes = _spatial(
        shape,
        kernel=_int(params, "kernel_size"),
        stride=_int(params, "stride"),
        padding=_int(params, "padding"),
    )
    return (shape[0], out_channels, *sizes)


def conv_block_shape(params: Params, inputs: Sequence[Shape]) -> Shape:
    return _conv_block_layer(params, inputs[0], _int(params, "out_channels"))


def conv_stack_shape(params: Params, inputs: Sequence[Shape]) -> Shape:
    shape = inputs[0]
    sizes = _sizes(params)
    for index, out_channels in enumerate(sizes):
        try:
            shape = _conv_block_layer(params, shape, out_channels)
        except ShapeRuleError as error:
            error.message = (
                f"layer {index + 1} of {len(sizes)} ({shape[1]} -> {out_channels} channels): "
                + error.message
            )
            raise
    return shape


def linear_shape(params: Params, inputs: Sequence[Shape]) -> Shape:
    return (*inputs[0][:-1], _int(params, "out_features"))


def linear_stack_shape(params: Params, inputs: Sequence[Shape]) -> Shape:
    return (*inputs[0][:-1], _sizes(params)[-1])


def _pool_stride(params: Params) -> int:
    stride = params["stride"]
    return _int(params, "kernel_size") if stride is None else _int(params, "stride")


def _check_pool_padding(kernel: int, padding: int, dims: int) -> None:
    if padding > kernel // 2:
        window = f"window of {kernel}" if dims == 1 else f"{window_text(kernel, dims)} window"
        raise ShapeRuleError(
            f"padding {padding} is more than half the {window}",
            expected=f"padding at most {kernel // 2}",
            received=f"padding {padding}",
        )


def _max_pool_shape(params: Params, inputs: Sequence[Shape], dims: int) -> Shape:
    (shape,) = inputs
    kernel, padding = _int(params, "kernel_size"), _int(params, "padding")
    _check_pool_padding(kernel, padding, dims)
    sizes = _spatial(
        shape,
        kernel=kernel,
        stride=_pool_stride(params),
        padding=padding,
        dilation=_int(params, "dilation"),
        ceil_mode=bool(params["ceil_mode"]),
        dims=dims,
    )
    return (*shape[:-dims], *sizes)


def max_pool1d_shape(params: Params, inputs: Sequence[Shape]) -> Shape:
    return _max_pool_shape(params, inputs, 1)


def max_pool2d_shape(params: Params, inputs: Sequence[Shape]) -> Shape:
    return _max_pool_shape(params, inputs, 2)


def max_pool3d_shape(params: Params, inputs: Sequence[Shape]) -> Shape:
    return _max_pool_shape(params, inputs, 3)


def _avg_pool_shape(params: Params, inputs: Sequence[Shape], dims: int) -> Shape:
    (shape,) = inputs
    kernel, padding = _int(params, "kernel_size"), _int(params, "padding")
    _check_pool_padding(kernel, padding, dims)
    if dims == 3 and min(shape[-3:]) < kernel:  # AvgPool3d leaves padding out of this check
        window, given = window_text(kernel, 3), shape_text(shape[-3:])
        raise ShapeRuleError(
            f"kernel {window} needs at least {window} before any padding, but gets {given}",
            expected=f"at least {window} before padding",
            received=given,
        )
    sizes = _spatial(
        shape,
        kernel=kernel,
        stride=_pool_stride(params),
        padding=padding,
        ceil_mode=bool(params["ceil_mode"]),
        dims=dims,
    )
    return (*shape[:-dims], *sizes)


def avg_pool1d_shape(params: Params, inputs: Sequence[Shape]) -> Shape:
    return _avg_pool_shape(params, inputs, 1)


def avg_pool2d_shape(params: Params, inputs: Sequence[Shape]) -> Shape:
    return _avg_pool_shape(params, inputs, 2)


def avg_pool3d_shape(params: Params, inputs: Sequence[Shape]) -> Shape:
    return _avg_pool_shape(params, inputs, 3)


def adaptive_pool1d_shape(params: Params, inputs: Sequence[Shape]) -> Shape:
    return (*inputs[0][:-1], _int(params, "output_size"))


def adaptive_pool2d_shape(params: Params, inputs: Sequence[Shape]) -> Shape:
    sizes = _sizes(params, "output_size")
    height, width = (sizes[0], sizes[0]) if len(sizes) == 1 else sizes
    return (*inputs[0][:-2], height, width)


def adaptive_pool3d_shape(params: Params, inputs: Sequence[Shape]) -> Shape:
    sizes = _sizes(params, "output_size")
    if len(sizes) not in (1, 3):
        raise ShapeRuleError(
            f"output_size takes 1 value (a cube) or 3 (depth, height, width), but gets "
            f"{len(sizes)}: {shape_text(sizes)}",
            expected="1 or 3 output sizes",
            received=f"{len(sizes)} output sizes",
        )
    cube = sizes * 3 if len(sizes) == 1 else sizes
    return (*inputs[0][:-3], *cube)


_PADDED_DIMS = ("width", "height")
"""What torch's padding pairs pad, from the last dimension back (1-d pads say length)."""


def _pad_amounts(params: Params, sides: int) -> tuple[int, ...]:
    """Padding for each side, (left, right, top, bottom)[:sides], from 1 value or ``sides``.

    Torch would read 2 values given to a 2-d pad as the width's alone; the catalogue asks for
    the documented 1 or 4 instead of guessing what was meant.
    """
    padding = _sizes(params, "padding")
    if len(padding) == 1:
        return padding * sides
    if len(padding) != sides:
        named = "left, right" if sides == 2 else "left, right, top, bottom"
        raise ShapeRuleError(
            f"padding takes 1 value (every side) or {sides} ({named}), but gets "
            f"{len(padding)}: {', '.join(str(amount) for amount in padding)}",
            expected=f"1 or {sides} padding values",
            received=f"{len(padding)} padding values",
        )
    return padding


def _dim_names(sides: int) -> tuple[str, ...]:
    return ("length",) if sides == 2 else _PADDED_DIMS


def _constant_pad_shape(params: Params, inputs: Sequence[Shape], sides: int) -> Shape:
    (shape,) = inputs
    amounts = _pad_amounts(params, sides)
    padded = list(shape)
    for pair, name in enumerate(_dim_names(sides)):
        before, after = amounts[2 * pair], amounts[2 * pair + 1]
        dim = len(shape) - 1 - pair
        size = shape[dim] + before + after
        cut = -min(before, 0) - min(after, 0)  # negative padding crops, before any padding
        if cut > shape[dim] or size < 1:
            raise ShapeRuleError(
                f"padding {before} and {after} crops {cut} from a {name} of {shape[dim]}",
                expected=f"a {name} larger than {cut}",
                received=f"{name} {shape[dim]}",
            )
        padded[dim] = size
    return tuple(padded)


def constant_pad1d_shape(params: Params, inputs: Sequence[Shape]) -> Shape:
    return _constant_pad_shape(params, inputs, 2)


def constant_pad2d_shape(params: Params, inputs: Sequence[Shape]) -> Shape:
    return _constant_pad_shape(params, inputs, 4)


def reflection_pad2d_shape(params: Params, inputs: Sequence[Shape]) -> Shape:
    (shape,) = inputs
    amounts = _pad_amounts(params, 4)
    sides = ("left", "right", "top", "bottom")
    for index, (amount, side) in enumerate(zip(amounts, sides, strict=True)):
        name, size = _PADDED_DIMS[index // 2], shape[-1 - index // 2]
        if amount >= size:  # a reflection repeats no edge value: it needs amount + 1 values
            raise ShapeRuleError(
                f"reflection padding {amount} on the {side} must be smaller than the "
                f"{name} ({size})",
                expected=f"a {name} above {amount}",
                received=f"{name} {size}",
            )
    return _constant_pad_shape(params, inputs, 4)


def pixel_shuffle_shape(params: Params, inputs: Sequence[Shape]) -> Shape:
    (shape,) = inputs
    factor = _int(params, "upscale_factor")
    channels, height, width = shape[-3:]
    block = factor * factor
    if channels % block:
        raise ShapeRuleError(
            f"upscale factor {factor} needs channels divisible by {factor}x{factor} = {block}, "
            f"but gets {channels}",
            expected=f"channels divisible by {block}",
            received=f"{channels} channels",
        )
    return (*shape[:-3], channels // block, height * factor, width * factor)


def pixel_unshuffle_shape(params: Params, inputs: Sequence[Shape]) -> Shape:
    (shape,) = inputs
    factor = _int(params, "downscale_factor")
    channels, height, width = shape[-3:]
    if height % factor or width % factor:
        raise ShapeRuleError(
            f"downscale factor {factor} needs a height and width divisible by {factor}, "
            f"but gets {height}x{width}",
            expected=f"height and width divisible by {factor}",
            received=f"{height}x{width}",
        )
    return (*shape[:-3], channels * factor * factor, height // factor, width // factor)


def batch_norm_shape(params: Params, inputs: Sequence[Shape]) -> Shape:
    (shape,) = inputs
    values_per_channel = math.prod(shape) // shape[1]
    if not params["track_running_stats"] and values_per_channel == 1:
        raise ShapeRuleError(
            "without running statistics, batch norm averages over the batch and positions, "
            f"but {shape_text(shape)} has one value per channel",
            expected="more than one value per channel (or track_running_stats on)",
            received=shape_text(shape),
        )
    return shape


def upsample_shape(params: Params, inputs: Sequence[Shape]) -> Shape:
    (shape,) = inputs
    scale = params["scale_factor"]
    assert isinstance(scale, float)
    largest = max(shape[-2:])
    if largest > MAX_ELEMENTS:  # the checker never passes one on; a float would overflow
        raise ShapeRuleError(
            f"a size of {count_text(largest)} is past the limit of {count_text(MAX_ELEMENTS)}",
            expected=f"sizes up to {count_text(MAX_ELEMENTS)}",
            received=count_text(largest),
        )
    sizes = [math.floor(size * scale) for size in shape[-2:]]
    if min(sizes) < 1:
        raise ShapeRuleError(
            f"scale factor {scale:g} shrinks {shape_text(shape[-2:])} to nothing",
            expected="an output of at least 1x1",
            received=f"{sizes[0]}x{sizes[1]}",
        )
    return (*shape[:-2], sizes[0], sizes[1])


def axis(name: str, value: int, rank: int) -> int:
    """Dim ``value`` (parameter ``name``) counted from the front, or a refusal naming the
    input's rank."""
    counted = value + rank if value < 0 else value
    if not 0 <= counted < rank:
        raise ShapeRuleError(
            f"{name} {value} is outside a {rank}-d input",
            expected=f"{name} from {-rank} to {rank - 1}",
            received=f"{name} {value}",
        )
    return counted


def flatten_shape(params: Params, inputs: Sequence[Shape]) -> Shape:
    (shape,) = inputs
    rank = len(shape)
    start, end = _int(params, "start_dim"), _int(params, "end_dim")
    first, last = axis("start_dim", start, rank), axis("end_dim", end, rank)
    if first > last:
        raise ShapeRuleError(
            f"start_dim {start} comes after end_dim {end} in a {rank}-d input",
            expected="start_dim at or before end_dim",
            received=f"start_dim {start}, end_dim {end}",
        )
    return (*shape[:first], math.prod(shape[first : last + 1]), *shape[last + 1 :])


@dataclass(frozen=True, slots=True)
class BroadcastClash:
    """Two sizes that neither match nor are 1, at ``dim`` of the shapes aligned at the end."""

    dim: int
    first: int
    second: int


def broadcast(first: Shape, second: Shape) -> Shape | BroadcastClash:
    """Torch's broadcasting of two shapes: aligned at the end, each size equal or 1."""
    rank = max(len(first), len(second))
    left = (1,) * (rank - len(first)) + first
    right = (1,) * (rank - len(second)) + second
    for dim, (a, b) in enumerate(zip(left, right, strict=True)):
        if a != b and 1 not in (a, b):
            return BroadcastClash(dim, a, b)
    return tuple(max(a, b) for a, b in zip(left, right, strict=True))


def broadcast_all(inputs: Sequence[Shape], clash_text: Callable[[Shape, Shape], str]) -> Shape:
    """Every input broadcast in turn (a merge's); ``clash_text(so_far, shape)`` begins the
    refusal of the first that doesn't broadcast, which is then blamed on its port."""
    result: Shape = inputs[0]
    for port_index, shape in enumerate(inputs[1:], start=1):
        merged = broadcast(result, shape)
        if isinstance(merged, BroadcastClash):
            raise ShapeRuleError(
                f"{clash_text(result, shape)}: dim {merged.dim} is {merged.second} against "
                f"{merged.first} (sizes must match or be 1)",
                expected=f"{shape_text(result)} or a shape that broadcasts to it",
                received=shape_text(shape),
                port_index=port_index,
            )
        result = merged
    return result


def add_shape(params: Params, inputs: Sequence[Shape]) -> Shape:
    return broadcast_all(
        inputs, lambda so_far, shape: f"can't add {shape_text(shape)} to {shape_text(so_far)}"
    )


def concat_shape(params: Params, inputs: Sequence[Shape]) -> Shape:
    first = inputs[0]
    rank = len(first)
    dim = _int(params, "dim")
    along = axis("dim", dim, rank)
    expected = "x".join("*" if index == along else str(size) for index, size in enumerate(first))
    total = 0
    for port_index, shape in enumerate(inputs):
        if len(shape) != rank:
            raise ShapeRuleError(
                f"can't join a {len(shape)}-d input to {rank}-d ones",
                expected=expected,
                received=shape_text(shape),
                port_index=port_index,
            )
        for other in range(rank):
            if other != along and shape[other] != first[other]:
                raise ShapeRuleError(
                    f"joining along dim {dim} needs every other dim to match, but dim {other} "
                    f"is {shape[other]} against {first[other]}",
                    expected=expected,
                    received=shape_text(shape),
                    port_index=port_index,
                )
        total += shape[along]
    return (*first[:along], total, *first[along + 1 :])


# --- parameter counts ----------------------------------------------------------------------


def no_parameters(params: Params, inputs: Sequence[Shape], output: Shape) -> int:
    return 0


def _bias(params: Params, out: int) -> int:
    return out if params["bias"] else 0


def _conv_parameters(params: Params, inputs: Sequence[Shape], output: Shape, dims: int) -> int:
    in_channels, out_channels = inputs[0][1], output[1]
    taps = math.prod([_int(params, "kernel_size")] * dims)
    weights = in_channels // _int(params, "groups") * out_channels * taps
    return weights + _bias(params, out_channels)


def conv1d_parameters(params: Params, inputs: Sequence[Shape], output: Shape) -> int:
    return _conv_parameters(params, inputs, output, 1)


def conv2d_parameters(params: Params, inputs: Sequence[Shape], output: Shape) -> int:
    return _conv_parameters(params, inputs, output, 2)


def conv3d_parameters(params: Params, inputs: Sequence[Shape], output: Shape) -> int:
    return _conv_parameters(params, inputs, output, 3)


def _conv_transpose_parameters(
    params: Params, inputs: Sequence[Shape], output: Shape, dims: int
) -> int:
    in_channels, out_channels = inputs[0][1], output[1]
    taps = math.prod([_int(params, "kernel_size")] * dims)
    weights = in_channels * (out_channels // _int(params, "groups")) * taps
    return weights + _bias(params, out_channels)


def conv_transpose1d_parameters(params: Params, inputs: Sequence[Shape], output: Shape) -> int:
    return _conv_transpose_parameters(params, inputs, output, 1)


def conv_transpose2d_parameters(params: Params, inputs: Sequence[Shape], output: Shape) -> int:
    return _conv_transpose_parameters(params, inputs, output, 2)


def conv_transpose3d_parameters(params: Params, inputs: Sequence[Shape], output: Shape) -> int:
    return _conv_transpose_parameters(params, inputs, output, 3)


def _conv_block_layer_parameters(params: Params, in_channels: int, out_channels: int) -> int:
    kernel = _int(params, "kernel_size")
    count = in_channels * out_channels * kernel * kernel + _bias(params, out_channels)
    if params["batch_norm"]:
        count += 2 * out_channels
    return count + _activation_parameters(params)


def conv_block_parameters(params: Params, inputs: Sequence[Shape], output: Shape) -> int:
    return _conv_block_layer_parameters(params, inputs[0][1], output[1])


def conv_stack_parameters(params: Params, inputs: Sequence[Shape], output: Shape) -> int:
    sizes = (inputs[0][1], *_sizes(params))
    return sum(_conv_block_layer_parameters(params, a, b) for a, b in pairwise(sizes))


def linear_parameters(params: Params, inputs: Sequence[Shape], output: Shape) -> int:
    in_features, out_features = inputs[0][-1], output[-1]
    return in_features * out_features + _bias(params, out_features)


def dec_block_parameters(params: Params, inputs: Sequence[Shape], output: Shape) -> int:
    return linear_parameters(params, inputs, output) + _activation_parameters(params)


def linear_stack_parameters(params: Params, inputs: Sequence[Shape], output: Shape) -> int:
    sizes = (inputs[0][-1], *_sizes(params))
    return sum(a * b + _bias(params, b) for a, b in pairwise(sizes))


def dec_stack_parameters(params: Params, inputs: Sequence[Shape], output: Shape) -> int:
    layers = len(_sizes(params))
    per_layer_activation = _activation_parameters(params)
    return linear_stack_parameters(params, inputs, output) + layers * per_layer_activation


def batch_norm_parameters(params: Params, inputs: Sequence[Shape], output: Shape) -> int:
    return 2 * inputs[0][1] if params["affine"] else 0


def activation_parameters(params: Params, inputs: Sequence[Shape], output: Shape) -> int:
    return 0 if params["functional"] else _activation_parameters(params)
