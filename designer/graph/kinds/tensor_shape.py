"""Tensor shape operations: reshape, permute, transpose, squeeze, select, reductions, softmax.

All but Identity are expressions in ``forward``, written as a person writes them
(``x.reshape(x.shape[0], 12, 64)``, ``x[:, 0]``, ``x.mean(dim=(2, 3))``), dims counted from the
front. Dims in parameters may be negative, counted from the back as torch counts them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from designer.graph import shape_rules as rules
from designer.graph.block_code import (
    BlockCode,
    CodeContext,
    CodeRule,
    Params,
    dim_from_front,
    module,
)
from designer.graph.kind import BlockKind, always
from designer.graph.kinds.categories import TENSOR
from designer.graph.params import (
    MAX_DIM,
    ParamSpec,
    bool_param,
    int_list_param,
    int_param,
    optional_int_param,
)
from designer.graph.shape_rules import Shape, ShapeRuleError, count_text, shape_text

Refusal = Callable[[str], str]
"""A refusal in a caller's words, given the sizes' product as text."""


def _int(params: Params, name: str) -> int:
    value = params[name]
    assert isinstance(value, int)
    return value


def _sizes(params: Params, name: str) -> tuple[int, ...]:
    value = params[name]
    assert isinstance(value, tuple)
    return tuple(_size(item) for item in value)


def _size(item: object) -> int:
    assert isinstance(item, int)
    return item


def _dim(name: str, default: int, help: str) -> ParamSpec:
    return int_param(name, default, help, -8, 8)


def _list_text(values: Sequence[int]) -> str:
    return "[" + ", ".join(str(value) for value in values) + "]"


def _product_text(sizes: Sequence[int]) -> str:
    """``3x16x16 = 768``; a single size is just itself."""
    total = count_text(math.prod(sizes))
    return total if len(sizes) == 1 else f"{shape_text(sizes)} = {total}"


def _infer_sizes(
    sizes: Sequence[int], total: int, exact: Refusal, inferred: Refusal
) -> tuple[int, ...]:
    """``sizes`` with its -1 (if any) worked out so that they hold ``total`` elements.

    A product that doesn't match is refused in the caller's words: ``exact`` gets the sizes'
    product (``12x64 = 768``), ``inferred`` that of the known sizes beside a -1."""
    count = sizes.count(-1)
    if count > 1:
        raise ShapeRuleError(
            f"only one size may be -1 (inferred), but {shape_text(sizes)} has {count}",
            expected="at most one -1",
            received=shape_text(sizes),
        )
    if 0 in sizes:
        raise ShapeRuleError(
            f"a size of 0 in {shape_text(sizes)} would make an empty tensor",
            expected="sizes of at least 1 (or one -1)",
            received=shape_text(sizes),
        )
    known = [size for size in sizes if size != -1]
    product = math.prod(known)
    if count and total % product:
        raise ShapeRuleError(
            inferred(_product_text(known) if known else "1"),
            expected=f"known sizes whose product divides {count_text(total)}",
            received=shape_text(sizes),
        )
    if not count and product != total:
        raise ShapeRuleError(
            exact(_product_text(sizes)),
            expected=f"{count_text(total)} elements",
            received=f"{count_text(product)} elements",
        )
    return tuple(total // product if size == -1 else size for size in sizes)


def _subscript(name: str, rank: int, dim: int, item: str) -> str:
    """``x[:, :, item]``: ``item`` at ``dim``. A dim outside the rank puts the item past the
    last dim, which torch refuses just as it refuses the dim."""
    axis = dim_from_front(dim, rank)
    before = axis if axis >= 0 else rank
    return f"{name}[{', '.join([':'] * before + [item])}]"


def _statement(text: str) -> BlockCode:
    """A forward expression on the single input, ``{x}`` standing for its variable."""
    return BlockCode(statement=lambda names: text.format(x=names[0]))


# --- reshape, unflatten ---------------------------------------------------------------------


def _reshape_shape(params: Params, inputs: Sequence[Shape]) -> Shape:
    (shape,) = inputs
    sample, target = shape[1:], _sizes(params, "shape")
    whole = _product_text(sample) if sample else "1"
    sizes = _infer_sizes(
        target,
        math.prod(sample),
        lambda asked: f"asks for {asked} elements but gets {whole} per sample",
        lambda known: (
            f"asks for {shape_text(target)}, but {known} doesn't divide the {whole} per sample"
        ),
    )
    return (shape[0], *sizes)


def _reshape_code(context: CodeContext) -> BlockCode:
    sizes = ", ".join(str(size) for size in _sizes(context.params, "shape"))
    return BlockCode(statement=lambda names: f"{names[0]}.reshape({names[0]}.shape[0], {sizes})")


def _unflatten_shape(params: Params, inputs: Sequence[Shape]) -> Shape:
    (shape,) = inputs
    dim = _int(params, "dim")
    axis = rules.axis("dim", dim, len(shape))
    size, asked = count_text(shape[axis]), _sizes(params, "sizes")
    split = f"can't split dim {dim}, of size {size}, into"
    sizes = _infer_sizes(
        asked,
        shape[axis],
        lambda product: f"{split} {product}",
        lambda known: f"{split} {shape_text(asked)}: {known} doesn't divide {size}",
    )
    return (*shape[:axis], *sizes, *shape[axis + 1 :])


def _unflatten_code(context: CodeContext) -> BlockCode:
    dim = dim_from_front(context.params["dim"], len(context.shape))
    sizes = _sizes(context.params, "sizes")
    return _statement(f"{{x}}.unflatten({dim}, {sizes!r})")


# --- reordering -----------------------------------------------------------------------------


def _permute_shape(params: Params, inputs: Sequence[Shape]) -> Shape:
    (shape,) = inputs
    rank, dims = len(shape), _sizes(params, "dims")
    axes = [dim + rank if dim < 0 else dim for dim in dims]
    if sorted(axes) != list(range(rank)):
        every = "0" if rank == 1 else f"0 to {rank - 1}"
        need = (
            "must be [0] for a 1-d input"
            if rank == 1
            else f"must name each of a {rank}-d input's dims ({every}) once"
        )
        raise ShapeRuleError(
            f"dims {_list_text(dims)} {need}",
            expected=f"an ordering of {every}",
            received=_list_text(dims),
        )
    return tuple(shape[axis] for axis in axes)


def _permute_code(context: CodeContext) -> BlockCode:
    rank = len(context.shape)
    dims = ", ".join(str(dim_from_front(dim, rank)) for dim in _sizes(context.params, "dims"))
    return _statement(f"{{x}}.permute({dims})")


def _transpose_shape(params: Params, inputs: Sequence[Shape]) -> Shape:
    (shape,) = inputs
    first = rules.axis("dim0", _int(params, "dim0"), len(shape))
    second = rules.axis("dim1", _int(params, "dim1"), len(shape))
    swapped = list(shape)
    swapped[first], swapped[second] = shape[second], shape[first]
    return tuple(swapped)


def _transpose_code(context: CodeContext) -> BlockCode:
    rank = len(context.shape)
    first, second = (dim_from_front(context.params[name], rank) for name in ("dim0", "dim1"))
    return _statement(f"{{x}}.transpose({first}, {second})")


# --- adding and removing dims ---------------------------------------------------------------


def _squeeze_shape(params: Params, inputs: Sequence[Shape]) -> Shape:
    (shape,) = inputs
    axis = rules.axis("dim", _int(params, "dim"), len(shape))
    return shape[:axis] + shape[axis + 1 :] if shape[axis] == 1 else shape


def _squeeze_code(context: CodeContext) -> BlockCode:
    return _statement(f"{{x}}.squeeze({dim_from_front(context.params['dim'], len(context.shape))})")


def _unsqueeze_shape(params: Params, inputs: Sequence[Shape]) -> Shape:
    (shape,) = inputs
    dim, rank = _int(params, "dim"), len(shape)
    axis = dim + rank + 1 if dim < 0 else dim
    if not 0 <= axis <= rank:
        raise ShapeRuleError(
            f"dim {dim} is outside the places a {rank}-d input can gain a dim "
            f"({-rank - 1} to {rank})",
            expected=f"dim from {-rank - 1} to {rank}",
            received=f"dim {dim}",
        )
    return (*shape[:axis], 1, *shape[axis:])


def _unsqueeze_code(context: CodeContext) -> BlockCode:
    dim = dim_from_front(context.params["dim"], len(context.shape) + 1)
    return _statement(f"{{x}}.unsqueeze({dim})")


def _select_shape(params: Params, inputs: Sequence[Shape]) -> Shape:
    (shape,) = inputs
    dim, index = _int(params, "dim"), _int(params, "index")
    axis = rules.axis("dim", dim, len(shape))
    size = shape[axis]
    if not -size <= index < size:
        raise ShapeRuleError(
            f"index {index} is outside dim {dim}, of size {size}",
            expected=f"index from {-size} to {size - 1}",
            received=f"index {index}",
        )
    return shape[:axis] + shape[axis + 1 :]


def _select_code(context: CodeContext) -> BlockCode:
    rank, p = len(context.shape), context.params
    dim = _int(p, "dim")
    return BlockCode(statement=lambda names: _subscript(names[0], rank, dim, str(p["index"])))


def _slice_text(params: Params) -> str:
    """``1:``, ``:-1``, ``::2``: the slice as Python writes it, defaults left out."""
    start, stop, step = params["start"], params["stop"], params["step"]
    text = f"{start if start != 0 else ''}:{stop if stop is not None else ''}"
    return text + (f":{step}" if step != 1 else "")


def _slice_shape(params: Params, inputs: Sequence[Shape]) -> Shape:
    (shape,) = inputs
    dim = _int(params, "dim")
    axis = rules.axis("dim", dim, len(shape))
    stop = params["stop"]
    assert stop is None or isinstance(stop, int)
    kept = range(*slice(_int(params, "start"), stop, _int(params, "step")).indices(shape[axis]))
    if not kept:
        raise ShapeRuleError(
            f"slice {_slice_text(params)} of dim {dim} (of size {shape[axis]}) is empty",
            expected="a slice keeping at least one position",
            received=f"size {shape[axis]}",
        )
    return (*shape[:axis], len(kept), *shape[axis + 1 :])


def _slice_code(context: CodeContext) -> BlockCode:
    rank, dim, item = len(context.shape), _int(context.params, "dim"), _slice_text(context.params)
    return BlockCode(statement=lambda names: _subscript(names[0], rank, dim, item))


# --- reductions and softmax -----------------------------------------------------------------


def _reduce_shape(params: Params, inputs: Sequence[Shape]) -> Shape:
    (shape,) = inputs
    dims = _sizes(params, "dims")
    axes: list[int] = []
    for dim in dims:
        axis = rules.axis("dim", dim, len(shape))
        if axis in axes:
            raise ShapeRuleError(
                f"dims {_list_text(dims)} name dim {axis} of a {len(shape)}-d input twice",
                expected="each dim once",
                received=_list_text(dims),
            )
        axes.append(axis)
    if params["keepdim"]:
        return tuple(1 if axis in axes else size for axis, size in enumerate(shape))
    return tuple(size for axis, size in enumerate(shape) if axis not in axes)


def _reduce(method: str) -> CodeRule:
    def code(context: CodeContext) -> BlockCode:
        rank = len(context.shape)
        dims = tuple(dim_from_front(dim, rank) for dim in _sizes(context.params, "dims"))
        arguments = f"dim={dims[0] if len(dims) == 1 else dims!r}"
        if context.params["keepdim"]:
            arguments += ", keepdim=True"
        return _statement(f"{{x}}.{method}({arguments})")

    return code


def _softmax_shape(params: Params, inputs: Sequence[Shape]) -> Shape:
    rules.axis("dim", _int(params, "dim"), len(inputs[0]))
    return inputs[0]


def _softmax(method: str) -> CodeRule:
    def code(context: CodeContext) -> BlockCode:
        dim = dim_from_front(context.params["dim"], len(context.shape))
        return _statement(f"{{x}}.{method}(dim={dim})")

    return code


def _dims_summary(what: str, params: Params) -> str:
    dims = _sizes(params, "dims")
    listed = f"dim {dims[0]}" if len(dims) == 1 else "dims " + ", ".join(map(str, dims))
    return f"{what} on {listed}" + (", keepdim" if params["keepdim"] else "")


_REDUCE_DIMS = int_list_param("dims", (-1,), "dims to reduce over (batch is dim 0)", -8, 8, 8)
_KEEPDIM = bool_param("keepdim", False, "keep each reduced dim with size 1")

KINDS = (
    BlockKind(
        "reshape", "Reshape", TENSOR.name, "give each sample a new shape (the batch is kept)",
        (int_list_param("shape", (-1,), "shape of each sample, batch left out; one size may "
                        "be -1 (inferred)", -1, MAX_DIM, 8),),
        _reshape_shape, code=_reshape_code,
        summary=lambda p: f"reshape {shape_text(_sizes(p, 'shape'))}", forward_only=always,
        keeps_dtype=True,
    ),
    BlockKind(
        "unflatten", "Unflatten", TENSOR.name, "split one dim into several",
        (
            _dim("dim", 1, "dim to split"),
            int_list_param("sizes", (16, 16), "sizes it is split into; their product must be "
                           "its size (one may be -1, inferred)", -1, MAX_DIM, 8),
        ),
        _unflatten_shape, code=_unflatten_code,
        summary=lambda p: f"unflatten dim {p['dim']} to {shape_text(_sizes(p, 'sizes'))}",
        forward_only=always,
        keeps_dtype=True,
    ),
    BlockKind(
        "permute", "Permute", TENSOR.name, "reorder the dims (batch included)",
        (int_list_param("dims", (0, 2, 1), "every dim of the input once, in the new order "
                        "(batch is dim 0)", -8, 8, 8),),
        _permute_shape, code=_permute_code,
        summary=lambda p: f"permute {', '.join(str(d) for d in _sizes(p, 'dims'))}",
        forward_only=always,
        keeps_dtype=True,
    ),
    BlockKind(
        "transpose", "Transpose", TENSOR.name, "swap two dims",
        (_dim("dim0", 1, "first dim to swap"), _dim("dim1", 2, "second dim to swap")),
        _transpose_shape, code=_transpose_code,
        summary=lambda p: f"transpose {p['dim0']}, {p['dim1']}", forward_only=always,
        keeps_dtype=True,
    ),
    BlockKind(
        "squeeze", "Squeeze", TENSOR.name, "remove a dim of size 1",
        (_dim("dim", 1, "dim to remove; as in torch, one whose size isn't 1 is left as it is"),),
        _squeeze_shape, code=_squeeze_code, summary=lambda p: f"squeeze dim {p['dim']}",
        forward_only=always,
        keeps_dtype=True,
    ),
    BlockKind(
        "unsqueeze", "Unsqueeze", TENSOR.name, "insert a dim of size 1",
        (_dim("dim", 1, "where the new dim goes (its place in the output)"),),
        _unsqueeze_shape, code=_unsqueeze_code, summary=lambda p: f"unsqueeze at {p['dim']}",
        forward_only=always,
        keeps_dtype=True,
    ),
    BlockKind(
        "select", "Select", TENSOR.name,
        "take one position along a dim, removing it (a class token: x[:, 0])",
        (
            _dim("dim", 1, "dim to index"),
            int_param("index", 0, "position taken; negative counts from the end",
                      -MAX_DIM, MAX_DIM),
        ),
        _select_shape, code=_select_code,
        summary=lambda p: f"select {p['index']} on dim {p['dim']}", forward_only=always,
        keeps_dtype=True,
    ),
    BlockKind(
        "slice", "Slice", TENSOR.name, "keep a range of positions along a dim (x[:, 1:])",
        (
            _dim("dim", 1, "dim to slice"),
            int_param("start", 0, "first position kept; negative counts from the end",
                      -MAX_DIM, MAX_DIM),
            optional_int_param("stop", "position to stop before; null = the end", -MAX_DIM,
                               MAX_DIM),
            int_param("step", 1, "keep every step-th position", 1, MAX_DIM),
        ),
        _slice_shape, code=_slice_code,
        summary=lambda p: f"slice {_slice_text(p)} on dim {p['dim']}", forward_only=always,
        keeps_dtype=True,
    ),
    BlockKind(
        "mean", "Mean", TENSOR.name, "average over dims (global average pooling: dims 2, 3)",
        (_REDUCE_DIMS, _KEEPDIM), _reduce_shape, code=_reduce("mean"),
        summary=lambda p: _dims_summary("mean", p), forward_only=always,
    ),
    BlockKind(
        "sum", "Sum", TENSOR.name, "add up over dims",
        (_REDUCE_DIMS, _KEEPDIM), _reduce_shape, code=_reduce("sum"),
        summary=lambda p: _dims_summary("sum", p), forward_only=always,
    ),
    BlockKind(
        "softmax", "Softmax", TENSOR.name, "turn scores along a dim into probabilities",
        (_dim("dim", -1, "dim whose values sum to 1"),), _softmax_shape, code=_softmax("softmax"),
        summary=lambda p: f"softmax on dim {p['dim']}", forward_only=always,
    ),
    BlockKind(
        "log_softmax", "LogSoftmax", TENSOR.name,
        "log of softmax along a dim (for nn.NLLLoss), computed stably",
        (_dim("dim", -1, "dim whose probabilities sum to 1"),), _softmax_shape,
        code=_softmax("log_softmax"), summary=lambda p: f"log softmax on dim {p['dim']}",
        forward_only=always,
    ),
    BlockKind(
        "identity", "Identity", TENSOR.name,
        "pass the input through unchanged (a placeholder)", (), rules.identity_shape,
        code=lambda context: module("nn.Identity"), torch_class="Identity",
        keeps_dtype=True,
    ),
)  # fmt: skip
