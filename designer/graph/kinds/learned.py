"""Learned tensors: an ``nn.Parameter`` added to the input (a positional embedding) or
prepended to it along the sequence (a class token), as a ViT or a GPT holds them."""

from __future__ import annotations

import math
from collections.abc import Sequence

from designer.graph.block_code import BlockCode, CodeContext, Params, call
from designer.graph.kind import BlockKind, Ranks, always
from designer.graph.kinds.categories import MERGES
from designer.graph.params import choice_param, int_param
from designer.graph.shape_rules import Shape

_MODES = ("add", "prepend")


def _tensor_shape(params: Params, shape: Shape) -> Shape:
    """The parameter's shape: one sample's worth to add, or ``count`` positions to prepend."""
    if params["mode"] == "add":
        return (1, *shape[1:])
    count = params["count"]
    assert isinstance(count, int)
    return (1, count, *shape[2:])


def _learned_shape(params: Params, inputs: Sequence[Shape]) -> Shape:
    (shape,) = inputs
    if params["mode"] == "add":
        return shape
    count = params["count"]
    assert isinstance(count, int)
    return (shape[0], shape[1] + count, *shape[2:])


def _learned_parameters(params: Params, inputs: Sequence[Shape], output: Shape) -> int:
    return math.prod(_tensor_shape(params, inputs[0]))


def _learned_code(context: CodeContext) -> BlockCode:
    shape = _tensor_shape(context.params, context.shape)
    init = "torch.randn" if context.params["init"] == "randn" else "torch.zeros"
    constructor = call("nn.Parameter", [call(init, [str(size) for size in shape])])
    if context.params["mode"] == "add":
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
    return f"prepend {params['count']} learned"


KINDS = (
    BlockKind(
        "learned_tensor", "learned tensor", MERGES.name,
        "an nn.Parameter added to the input (positional embedding) or prepended along dim 1 "
        "(class token)",
        (
            choice_param("mode", "add", _MODES,
                         "add: one per position (positional embedding); prepend: new positions "
                         "before the sequence (class token)"),
            int_param("count", 1, "positions to prepend (prepend mode)", 1, 4096),
            choice_param("init", "zeros", ("zeros", "randn"), "initial values"),
        ),
        _learned_shape, _learned_parameters, _learned_code, _learned_text,
        ranks=Ranks(2, None, "2-d or more (N x ...)"), custom_call=always,
    ),
)  # fmt: skip
