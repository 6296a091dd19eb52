"""Merges: several tensors in, one out, written as an expression in ``forward``."""

from __future__ import annotations

from designer.graph import shape_rules as rules
from designer.graph.block_code import BlockCode, CodeContext, dim_from_front
from designer.graph.kind import BlockKind, always
from designer.graph.kinds.categories import MERGES
from designer.graph.params import int_param

_INPUTS = int_param("inputs", 2, "number of tensors to merge", 2, 16)


def _concat_code(context: CodeContext) -> BlockCode:
    dim = dim_from_front(context.params["dim"], len(context.shape))
    return BlockCode(statement=lambda names: f"torch.cat([{', '.join(names)}], dim={dim})")


KINDS = (
    BlockKind(
        "add", "Add", MERGES.name, "element-wise sum (residual connections)", (_INPUTS,),
        rules.add_shape, code=lambda context: BlockCode(statement=" + ".join),
        summary=lambda p: f"add {p['inputs']} inputs", variadic_inputs=True, forward_only=always,
    ),
    BlockKind(
        "concat", "Concat", MERGES.name, "join tensors along a dimension (U-Net skips)",
        (_INPUTS, int_param("dim", 1, "dimension to join along", -8, 8)),
        rules.concat_shape, code=_concat_code,
        summary=lambda p: f"concat {p['inputs']} on dim {p['dim']}", variadic_inputs=True,
        forward_only=always,
    ),
)  # fmt: skip
