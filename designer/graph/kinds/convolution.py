"""Convolutions: torch.nn's Conv2d and ConvTranspose2d."""

from __future__ import annotations

from designer.graph import shape_rules as rules
from designer.graph.block_code import BlockCode, CodeContext, CodeRule, call
from designer.graph.kind import BlockKind
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
from designer.graph.params import MAX_KERNEL, int_param


def _convolution(module: str, *keywords: str) -> CodeRule:
    def code(context: CodeContext) -> BlockCode:
        p = context.params
        kernel = f"kernel_size={p['kernel_size']}"
        arguments = [str(context.shape[1]), str(p["out_channels"]), kernel]
        return BlockCode(constructor=call(module, [*arguments, *context.changed(*keywords)]))

    return code


_CONV_DEFAULTS = {"stride": 1, "padding": 0, "dilation": 1, "groups": 1, "bias": True}

KINDS = (
    BlockKind(
        "conv2d", "Conv2d", CONVOLUTION.name, "2-d convolution",
        (int_param("out_channels", 32, "output channels"), KERNEL, STRIDE, PADDING,
         DILATION, GROUPS, BIAS, IN_CHANNELS),
        rules.conv2d_shape, rules.conv2d_parameters,
        _convolution("nn.Conv2d", "stride", "padding", "groups", "bias", "dilation"),
        lambda p: f"Conv2d {p['out_channels']}, {kernel_text(p)}",
        pin=CHANNELS_PIN, ranks=IMAGE, torch_class="Conv2d", torch_defaults=_CONV_DEFAULTS,
    ),
    BlockKind(
        "conv_transpose2d", "ConvTranspose2d", CONVOLUTION.name,
        "2-d transposed convolution (upsampling)",
        (
            int_param("out_channels", 32, "output channels"),
            int_param("kernel_size", 2, "square kernel size", 1, MAX_KERNEL),
            int_param("stride", 2, "step between windows", 1, MAX_KERNEL),
            int_param("padding", 0, "zeros removed from each side of the output", 0, MAX_KERNEL),
            int_param("output_padding", 0, "extra size added to one side", 0, MAX_KERNEL),
            DILATION, GROUPS, BIAS, IN_CHANNELS,
        ),
        rules.conv_transpose2d_shape, rules.conv_transpose2d_parameters,
        _convolution(
            "nn.ConvTranspose2d", "stride", "padding", "groups", "bias", "output_padding",
            "dilation",
        ),
        lambda p: f"ConvT {p['out_channels']}, {kernel_text(p)}",
        pin=CHANNELS_PIN, ranks=IMAGE, torch_class="ConvTranspose2d",
        torch_defaults={**_CONV_DEFAULTS, "output_padding": 0},
    ),
)  # fmt: skip
