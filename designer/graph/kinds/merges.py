"""Merges: several tensors in, one out, written as an expression in ``forward``."""

from __future__ import annotations

from collections.abc import Sequence

from designer.graph import shape_rules as rules
from designer.graph.block_code import BlockCode, CodeContext, Params, dim_from_front
from designer.graph.kind import BlockKind, InputPort, always
from designer.graph.kinds.categories import MERGES
from designer.graph.params import int_param
from designer.graph.shape_rules import Shape, ShapeRuleError, shape_text

MAX_MERGE_INPUTS = 64
"""A DenseNet's block joins up to 49 tensors in one ``torch.cat``."""
_INPUTS = int_param("inputs", 2, "number of tensors to merge", 2, MAX_MERGE_INPUTS)


def _concat_code(context: CodeContext) -> BlockCode:
    dim = dim_from_front(context.params["dim"], len(context.shape))
    return BlockCode(statement=lambda names: f"torch.cat([{', '.join(names)}], dim={dim})")


def _mul_shape(params: Params, inputs: Sequence[Shape]) -> Shape:
    return rules.broadcast_all(
        inputs,
        lambda so_far, shape: f"can't multiply {shape_text(so_far)} by {shape_text(shape)}",
    )


def _matmul_shape(params: Params, inputs: Sequence[Shape]) -> Shape:
    """``torch.matmul``: a 1-d first input is a row, a 1-d second a column (both dropped from
    the output); the dims before the last two broadcast as batch dims."""
    first, second = inputs
    left = (1, *first) if len(first) == 1 else first
    right = (*second, 1) if len(second) == 1 else second

    def refuse(why: str, expected: str) -> ShapeRuleError:
        return ShapeRuleError(
            f"can't matrix-multiply {shape_text(first)} by {shape_text(second)}: {why}",
            expected=expected,
            received=shape_text(second),
            port_index=1,
        )

    inner, other = left[-1], right[-2]
    if inner != other:
        where = "size" if len(second) == 1 else "second-to-last size"
        raise refuse(
            f"the first's last size is {inner} but the second's {where} is {other} "
            "(they must match)",
            f"{inner} in the second's {where}",
        )
    left_batch = left[:-2]
    batch = rules.broadcast(left_batch, right[:-2])
    if isinstance(batch, rules.BroadcastClash):
        raise refuse(
            f"the batch sizes {batch.first} and {batch.second} don't broadcast "
            "(they must match or be 1)",
            f"batch dims that broadcast with {shape_text(left_batch)}",
        )
    rows = (left[-2],) if len(first) > 1 else ()
    columns = (right[-1],) if len(second) > 1 else ()
    return (*batch, *rows, *columns)


KINDS = (
    BlockKind(
        "add", "Add", MERGES.name, "element-wise sum (residual connections)", (_INPUTS,),
        rules.add_shape, code=lambda context: BlockCode(statement=" + ".join),
        summary=lambda p: f"add {p['inputs']} inputs", variadic_inputs=True, forward_only=always,
    ),
    BlockKind(
        "mul", "Multiply", MERGES.name,
        "element-wise product, shapes broadcast (gating, squeeze-and-excitation)", (_INPUTS,),
        _mul_shape, code=lambda context: BlockCode(statement=" * ".join),
        summary=lambda p: f"multiply {p['inputs']} inputs", variadic_inputs=True,
        forward_only=always,
    ),
    BlockKind(
        "concat", "Concat", MERGES.name, "join tensors along a dimension (U-Net skips)",
        (_INPUTS, int_param("dim", 1, "dimension to join along", -8, 8)),
        rules.concat_shape, code=_concat_code,
        summary=lambda p: f"concat {p['inputs']} on dim {p['dim']}", variadic_inputs=True,
        forward_only=always,
    ),
    BlockKind(
        "matmul", "MatMul", MERGES.name,
        "matrix product of two tensors, as torch.matmul (attention scores: q @ k)", (),
        _matmul_shape, code=lambda context: BlockCode(statement=" @ ".join),
        forward_only=always,
        named_inputs=(
            InputPort("in0", "the first (left) tensor: its last size is the inner one"),
            InputPort("in1", "the second (right) tensor: its second-to-last size (its only "
                      "one if 1-d) is the inner one"),
        ),
    ),
)  # fmt: skip
