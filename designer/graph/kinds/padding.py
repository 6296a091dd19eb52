"""Padding and pixel rearrangement: ZeroPad2d, ConstantPad, ReflectionPad2d, PixelShuffle."""

from __future__ import annotations

from designer.graph import shape_rules as rules
from designer.graph.block_code import BlockCode, CodeContext, CodeRule, Params, call
from designer.graph.kind import BlockKind, Ranks
from designer.graph.kinds.categories import CONVOLUTION
from designer.graph.params import MAX_KERNEL, ParamSpec, float_param, int_list_param, int_param

_PLANE = Ranks(3, 4, "3-d or 4-d (C x H x W or N x C x H x W)")
_LINE = Ranks(2, 3, "2-d or 3-d (C x L or N x C x L)")
_CHANNELS_AND_PLANE = Ranks(3, None, "3-d or more (... x C x H x W)")
_MAX_VALUE = 1e9
_SIDES_2D = "1 value for every side, or 4 (left, right, top, bottom)"


def _padding(sides: int, help: str, minimum: int = -MAX_KERNEL) -> ParamSpec:
    return int_list_param("padding", (1,), help, minimum, MAX_KERNEL, max_items=sides)


_VALUE = float_param("value", 0.0, "the value padded in", -_MAX_VALUE, _MAX_VALUE)


def _padding_text(params: Params) -> str:
    """``1`` for one value, ``(1, 1, 2, 2)`` for several, as torch takes them."""
    padding = params["padding"]
    assert isinstance(padding, tuple)
    return str(padding[0]) if len(padding) == 1 else repr(padding)


def _pad(module: str, *, with_value: bool = False) -> CodeRule:
    def code(context: CodeContext) -> BlockCode:
        arguments = [_padding_text(context.params)]
        if with_value:
            arguments.append(repr(context.params["value"]))
        return BlockCode(constructor=call(module, arguments))

    return code


def _factor_code(module: str, name: str) -> CodeRule:
    def code(context: CodeContext) -> BlockCode:
        return BlockCode(constructor=call(module, [str(context.params[name])]))

    return code


def _summary_padding(params: Params) -> str:
    return _padding_text(params).strip("()")


KINDS = (
    BlockKind(
        "zero_pad2d", "ZeroPad2d", CONVOLUTION.name,
        "pad height and width with zeros (negative padding crops)",
        (_padding(4, f"zeros added: {_SIDES_2D}; negative crops"),),
        rules.constant_pad2d_shape, code=_pad("nn.ZeroPad2d"),
        summary=lambda p: f"zero pad {_summary_padding(p)}", ranks=_PLANE,
        torch_class="ZeroPad2d",
    ),
    BlockKind(
        "constant_pad1d", "ConstantPad1d", CONVOLUTION.name,
        "pad the last dimension with a constant (negative padding crops)",
        (_padding(2, "padding: 1 value for both ends, or 2 (left, right); negative crops"),
         _VALUE),
        rules.constant_pad1d_shape, code=_pad("nn.ConstantPad1d", with_value=True),
        summary=lambda p: f"pad {_summary_padding(p)} with {p['value']:g}", ranks=_LINE,
        torch_class="ConstantPad1d",
    ),
    BlockKind(
        "constant_pad2d", "ConstantPad2d", CONVOLUTION.name,
        "pad height and width with a constant (negative padding crops)",
        (_padding(4, f"padding: {_SIDES_2D}; negative crops"), _VALUE),
        rules.constant_pad2d_shape, code=_pad("nn.ConstantPad2d", with_value=True),
        summary=lambda p: f"pad {_summary_padding(p)} with {p['value']:g}", ranks=_PLANE,
        torch_class="ConstantPad2d",
    ),
    BlockKind(
        "reflection_pad2d", "ReflectionPad2d", CONVOLUTION.name,
        "pad height and width with the mirror image of the edge",
        (_padding(4, f"padding: {_SIDES_2D}; each below the size it pads", minimum=0),),
        rules.reflection_pad2d_shape, code=_pad("nn.ReflectionPad2d"),
        summary=lambda p: f"reflect pad {_summary_padding(p)}", ranks=_PLANE,
        torch_class="ReflectionPad2d",
    ),
    BlockKind(
        "pixel_shuffle", "PixelShuffle", CONVOLUTION.name,
        "upsample by moving channels into space: C*r*r x H x W to C x H*r x W*r",
        (int_param("upscale_factor", 2, "r: how much height and width grow", 1, MAX_KERNEL),),
        rules.pixel_shuffle_shape, code=_factor_code("nn.PixelShuffle", "upscale_factor"),
        summary=lambda p: f"pixel shuffle x{p['upscale_factor']}", ranks=_CHANNELS_AND_PLANE,
        torch_class="PixelShuffle",
    ),
    BlockKind(
        "pixel_unshuffle", "PixelUnshuffle", CONVOLUTION.name,
        "downsample by moving space into channels: C x H*r x W*r to C*r*r x H x W",
        (int_param("downscale_factor", 2, "r: how much height and width shrink", 1,
                   MAX_KERNEL),),
        rules.pixel_unshuffle_shape, code=_factor_code("nn.PixelUnshuffle", "downscale_factor"),
        summary=lambda p: f"pixel unshuffle /{p['downscale_factor']}", ranks=_CHANNELS_AND_PLANE,
        torch_class="PixelUnshuffle",
    ),
)  # fmt: skip
