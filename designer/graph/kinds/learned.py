"""Learned tensors: an ``nn.Parameter`` added to the input (a positional embedding),
prepended to it along the sequence (a class token), as a ViT or a GPT holds them, or
scaling or shifting it by a value per channel or per feature (ConvNeXt's layer scale, the
weight and bias of a norm written with ``F.layer_norm``)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from designer.graph.block_code import BlockCode, CodeContext, Params, call
from designer.graph.kind import BlockKind, Ranks, always
from designer.graph.kinds.categories import MERGES
from designer.graph.params import choice_param, int_param
from designer.graph.shape_rules import Shape

_PER_VALUE = {
    f"{operation}_{over}": (operation, over)
    for operation in ("scale", "shift")
    for over in ("channels", "features")
}
"""Modes that hold one value per channel or per feature, broadcast, and multiply (scale) or add
(shift) it: mode -> (operation, over)."""
_MODES = ("add", "prepend", *_PER_VALUE)
_INITS = {"zeros": "torch.zeros", "ones": "torch.ones", "randn": "torch.randn"}


def _tensor_shape(params: Params, shape: Shape) -> Shape:
    """The parameter's shape: one sample's worth to add, ``count`` positions to prepend, or
    (to scale or shift) one value per channel, dim 1, broadcast over the dims after it, or per
    feature, the last dim."""
    if params["mode"] == "add":
        return (1, *shape[1:])
    if params["mode"] in _PER_VALUE:
        if _PER_VALUE[str(params["mode"])][1] == "features":
            return (shape[-1],)
        return (shape[1], *[1] * (len(shape) - 2))
    count = params["count"]
    assert isinstance(count, int)
    return (1, count, *shape[2:])


def _learned_shape(params: Params, inputs: Sequence[Shape]) -> Shape:
    (shape,) = inputs
    if params["mode"] != "prepend":
        return shape
    count = params["count"]
    assert isinstance(count, int)
    return (shape[0], shape[1] + count, *shape[2:])


def _learned_parameters(params: Params, inputs: Sequence[Shape], output: Shape) -> int:
    return math.prod(_tensor_shape(params, inputs[0]))


def _learned_code(context: CodeContext) -> BlockCode:
    shape = _tensor_shape(context.params, context.shape)
    init = _INITS[str(context.params["init"])]
    constructor = call("nn.Parameter", [call(init, [str(size) for size in shape])])
    if _PER_VALUE.get(str(context.params["mode"]), ("",))[0] == "scale":
        return BlockCode(
            constructor=constructor,
            call=lambda tensor, names: f"{tensor} * {names[0]}",
            is_module=False,
        )
    if context.params["mode"] != "prepend":
        return BlockCode(
            constructor=constructor,
            call=lambda tensor, names: f"{names[0]} + {tensor}",
            is_module=False,
        )
    rest = ", ".join(["-1"] * (len(shape) - 1))

    def prepend(tensor: str, names: Sequence[str]) -> str:
        expanded = f"{tensor}.expand({names[0]}.shape[0], {rest})"
        return f"torch.cat([{expanded}, {names[0]}], dim=1)"

    return BlockCode(constructor=constructor, call=prepend, is_module=False)


def _learned_text(params: Params) -> str:
    if params["mode"] == "add":
        return f"+ learned ({params['init']})"
    if params["mode"] in _PER_VALUE:
        operation, over = _PER_VALUE[str(params["mode"])]
        sign = "x" if operation == "scale" else "+"
        return f"{sign} learned per {over[:-1]} ({params['init']})"
    return f"prepend {params['count']} learned"


KINDS = (
    BlockKind(
        "learned_tensor", "learned tensor", MERGES.name,
        "an nn.Parameter added (positional embedding) or prepended (class token), or a "
        "per-channel or per-feature scale (layer scale) or shift",
        (
            choice_param("mode", "add", _MODES,
                         "add: per position; prepend: before dim 1; scale_/shift_: times/plus "
                         "per channel or feature"),
            int_param("count", 1, "positions to prepend (prepend mode)", 1, 4096),
            choice_param("init", "zeros", tuple(_INITS), "initial values"),
        ),
        _learned_shape, _learned_parameters, _learned_code, _learned_text,
        ranks=Ranks(2, None, "2-d or more (N x ...)"), custom_call=always,
    ),
)  # fmt: skip
