"""Convolutions: torch.nn's Conv1d, Conv2d and Conv3d and their transposed forms."""

from __future__ import annotations

from designer.graph import shape_rules as rules
from designer.graph.block_code import BlockCode, CodeContext, CodeRule, Params, call
from designer.graph.kind import BlockKind, ParameterRule, Ranks, ShapeRule
from designer.graph.kinds.categories import CONVOLUTION
from designer.graph.kinds.common import (
    BIAS,
    CHANNELS_PIN,
    DILATION,
    GROUPS,
    IMAGE,
    IN_CHANNELS,
    KERNEL,
    PADDING,
    STRIDE,
    kernel_text,
)
from designer.graph.params import MAX_KERNEL, ParamSpec, int_param

SEQUENCE = Ranks(3, 3, "3-d (N x C x L)")
VOLUME = Ranks(5, 5, "5-d (N x C x D x H x W)")
_RANKS = {1: SEQUENCE, 2: IMAGE, 3: VOLUME}
_KERNEL_SHAPES = {1: "kernel length", 2: "square kernel size", 3: "cubic kernel size"}


def window_summary(params: Params, dims: int) -> str:
    """A window on the canvas: ``k5/2`` (1-d), ``3x3/2``, ``3x3x3/2``."""
    if dims == 2:
        return kernel_text(params)
    kernel = params["kernel_size"]
    assert isinstance(kernel, int)
    text = f"k{kernel}" if dims == 1 else rules.window_text(kernel, dims)
    if params.get("stride", 1) not in (1, None):
        text += f"/{params['stride']}"
    return text


def _convolution(module: str, *keywords: str) -> CodeRule:
    def code(context: CodeContext) -> BlockCode:
        p = context.params
        kernel = f"kernel_size={p['kernel_size']}"
        arguments = [str(context.shape[1]), str(p["out_channels"]), kernel]
        return BlockCode(constructor=call(module, [*arguments, *context.changed(*keywords)]))

    return code


_OUT_CHANNELS = int_param("out_channels", 32, "output channels")
_CONV_DEFAULTS = {"stride": 1, "padding": 0, "dilation": 1, "groups": 1, "bias": True}


def _kernel(default: int, dims: int) -> ParamSpec:
    return int_param("kernel_size", default, _KERNEL_SHAPES[dims], 1, MAX_KERNEL)


def _conv(dims: int, shape_rule: ShapeRule, parameter_rule: ParameterRule) -> BlockKind:
    label = f"Conv{dims}d"
    kernel = KERNEL if dims == 2 else _kernel(3, dims)
    return BlockKind(
        f"conv{dims}d", label, CONVOLUTION.name, f"{dims}-d convolution",
        (_OUT_CHANNELS, kernel, STRIDE, PADDING, DILATION, GROUPS, BIAS, IN_CHANNELS),
        shape_rule, parameter_rule,
        _convolution(f"nn.{label}", "stride", "padding", "groups", "bias", "dilation"),
        lambda p: f"{label} {p['out_channels']}, {window_summary(p, dims)}",
        pin=CHANNELS_PIN, ranks=_RANKS[dims], torch_class=label, torch_defaults=_CONV_DEFAULTS,
    )  # fmt: skip


def _conv_transpose(dims: int, shape_rule: ShapeRule, parameter_rule: ParameterRule) -> BlockKind:
    label = f"ConvTranspose{dims}d"
    short = "ConvT" if dims == 2 else f"ConvT{dims}d"
    return BlockKind(
        f"conv_transpose{dims}d", label, CONVOLUTION.name,
        f"{dims}-d transposed convolution (upsampling)",
        (
            _OUT_CHANNELS,
            _kernel(2, dims),
            int_param("stride", 2, "step between windows", 1, MAX_KERNEL),
            int_param("padding", 0, "zeros removed from each side of the output", 0, MAX_KERNEL),
            int_param("output_padding", 0, "extra size added to one side", 0, MAX_KERNEL),
            DILATION, GROUPS, BIAS, IN_CHANNELS,
        ),
        shape_rule, parameter_rule,
        _convolution(
            f"nn.{label}", "stride", "padding", "groups", "bias", "output_padding", "dilation"
        ),
        lambda p: f"{short} {p['out_channels']}, {window_summary(p, dims)}",
        pin=CHANNELS_PIN, ranks=_RANKS[dims], torch_class=label,
        torch_defaults={**_CONV_DEFAULTS, "output_padding": 0},
    )  # fmt: skip


KINDS = (
    _conv(1, rules.conv1d_shape, rules.conv1d_parameters),
    _conv(2, rules.conv2d_shape, rules.conv2d_parameters),
    _conv(3, rules.conv3d_shape, rules.conv3d_parameters),
    _conv_transpose(1, rules.conv_transpose1d_shape, rules.conv_transpose1d_parameters),
    _conv_transpose(2, rules.conv_transpose2d_shape, rules.conv_transpose2d_parameters),
    _conv_transpose(3, rules.conv_transpose3d_shape, rules.conv_transpose3d_parameters),
)
