"""The model's edges: what it receives and what it returns."""

from __future__ import annotations

from designer.graph import shape_rules as rules
from designer.graph.block_code import Params
from designer.graph.kind import BlockKind, End
from designer.graph.kinds.categories import INPUT_OUTPUT
from designer.graph.params import MAX_DIM, choice_param, int_list_param


def _input_text(params: Params) -> str:
    shape = params["shape"]
    assert isinstance(shape, tuple)
    return (
        f"{rules.shape_text([size for size in shape if isinstance(size, int)])} {params['dtype']}"
    )


KINDS = (
    BlockKind(
        "input", "input", INPUT_OUTPUT.name, "the tensor the model receives",
        (
            int_list_param("shape", (1, 1, 28, 28), "input shape, batch first", 1, MAX_DIM),
            choice_param("dtype", "float32", ("float32", "float16", "bfloat16", "float64", "int64"),
                         "element type of the input (int64: token indices, for an Embedding)"),
        ),
        rules.input_shape, summary=_input_text, end=End.INPUT,
    ),
    BlockKind(
        "output", "output", INPUT_OUTPUT.name, "a tensor the model returns", (),
        rules.identity_shape, summary=lambda params: "returned", end=End.OUTPUT,
    ),
)  # fmt: skip
