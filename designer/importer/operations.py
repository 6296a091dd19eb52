"""Functional calls and tensor methods -> kinds: ``F.relu``, ``+``, ``torch.cat``, ``x.view``,
``x.permute``, ``x.mean``, ``softmax``, ``x[:, 0]`` ...

Each rule gets the call's arguments, with every value that isn't a tensor already worked out
(``x.size(0)`` is the number it was on the traced input), and says which kind stands for the
call, with which parameters and which tensor arguments in port order; or that the call only
passes its input on (``contiguous``); or raises ``UnmappableError``.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn.functional as F  # noqa: N812

from designer.graph.kinds.merges import MAX_MERGE_INPUTS
from designer.graph.params import ParamValue
from designer.importer.modules import UnmappableError

Params = dict[str, ParamValue]


@dataclass(frozen=True, slots=True)
class Tensor:
    """A tensor argument: which of the call's tensor values it is, and its shape."""

    index: int
    shape: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class OpPlan:
    kind: str | None
    """None: the call passes ``inputs[0]`` on unchanged (no block)."""
    params: Params = field(default_factory=dict)
    inputs: tuple[Tensor, ...] = ()
    parts: tuple[OpPlan, ...] = ()
    """For a call giving several tensors (``x.chunk(2)``): a plan per piece, in order."""
    note: str = ""
    """What the import report should say about the call (what passing it on leaves out)."""


@dataclass(frozen=True, slots=True)
class Call:
    name: str
    """``relu``, ``add``, ``view``: the function's or method's name."""
    args: tuple[Any, ...]
    """Tensors as ``Tensor``, the rest as values."""
    kwargs: dict[str, Any]
    output: Any
    """The value the call gave on the traced input."""


Rule = Callable[[Call], OpPlan]


def _tensor(value: object, what: str = "the input") -> Tensor:
    if isinstance(value, torch.Tensor):  # a weight or a constant: its values would flood
        raise UnmappableError(
            f"{what} is a tensor of shape {tuple(value.shape)} the model holds (a parameter, "
            "buffer or constant), not one computed from the input"
        )
    if not isinstance(value, Tensor):
        raise UnmappableError(f"{what} is {value!r}, not a tensor")
    return value


def _argument(call: Call, index: int, name: str, default: object) -> object:
    if len(call.args) > index:
        return call.args[index]
    return call.kwargs.get(name, default)


def _only(call: Call, allowed: dict[str, object], first: int = 1) -> None:
    """Refuse arguments past the tensor whose values the kind can't hold (they must be
    ``allowed``'s defaults); ``inplace`` changes nothing in what comes out."""
    names = list(allowed)
    given = dict(zip(names, call.args[first:], strict=False))
    if len(call.args) - first > len(names):
        raise UnmappableError(f"{len(call.args) - first} extra arguments")
    given.update(call.kwargs)
    for name, value in given.items():
        if name == "inplace":
            continue
        if name not in allowed or value != allowed[name]:
            raise UnmappableError(f"{name}={value!r}; the block keeps {name}'s default")


# --- activations ---------------------------------------------------------------------------

_ACTIVATION_DEFAULTS: dict[str, tuple[str, dict[str, object]]] = {
    "relu": ("relu", {"inplace": False}),
    "leaky_relu": ("lrelu", {"negative_slope": 0.01, "inplace": False}),
    "sigmoid": ("sigmoid", {}),
    "tanh": ("tanh", {}),
    "gelu": ("gelu", {"approximate": "none"}),
    "silu": ("silu", {"inplace": False}),
    "elu": ("elu", {"alpha": 1.0, "inplace": False}),
    "selu": ("selu", {"inplace": False}),
    "mish": ("mish", {"inplace": False}),
    "softplus": ("softplus", {"beta": 1.0, "threshold": 20.0}),
    "hardswish": ("hardswish", {"inplace": False}),
    "hardsigmoid": ("hardsigmoid", {"inplace": False}),
    "relu6": ("relu6", {"inplace": False}),
}


def _activation(call: Call) -> OpPlan:
    key, allowed = _ACTIVATION_DEFAULTS[call.name]
    _only(call, allowed)
    return OpPlan("activation", {"activation": key, "functional": True}, (_tensor(call.args[0]),))


# --- merges --------------------------------------------------------------------------------


def _binary(kind: str) -> Rule:
    def rule(call: Call) -> OpPlan:
        if len(call.args) != 2 or call.kwargs:
            raise UnmappableError("arguments beyond two tensors")
        first, second = call.args
        if not (isinstance(first, Tensor) and isinstance(second, Tensor)):
            raise UnmappableError("a number and a tensor; the block takes two tensors")
        return OpPlan(kind, {} if kind == "matmul" else {"inputs": 2}, (first, second))

    return rule


def _cat(call: Call) -> OpPlan:
    tensors = _argument(call, 0, "tensors", ())
    dim = _argument(call, 1, "dim", 0)
    if not isinstance(tensors, list | tuple) or not all(isinstance(t, Tensor) for t in tensors):
        raise UnmappableError("tensors that aren't a list of tensors")
    if len(tensors) == 1:
        return OpPlan(None, inputs=(tensors[0],))
    if len(tensors) > MAX_MERGE_INPUTS:
        raise UnmappableError(
            f"{len(tensors)} tensors; a Concat block joins at most {MAX_MERGE_INPUTS}"
        )
    return OpPlan("concat", {"inputs": len(tensors), "dim": int(dim)}, tuple(tensors))  # type: ignore[call-overload]


# --- shapes --------------------------------------------------------------------------------


def _sizes(call: Call, first: int = 1) -> list[object]:
    rest = list(call.args[first:])
    if len(rest) == 1 and isinstance(rest[0], list | tuple | torch.Size):
        rest = list(rest[0])
    if not rest:
        rest = list(call.kwargs.get("shape", call.kwargs.get("dims", ())))
    return rest


def _reshape(call: Call) -> OpPlan:
    source = _tensor(call.args[0])
    sizes = _sizes(call)
    if not all(isinstance(size, int) for size in sizes):
        raise UnmappableError(f"sizes {sizes} that aren't numbers")
    shape = tuple(call.output.shape)
    if not sizes or not source.shape or shape[0] != source.shape[0]:
        raise UnmappableError("it changes the batch dimension; a Reshape block keeps it")
    if sizes[0] not in (-1, source.shape[0]):
        raise UnmappableError(f"its first size {sizes[0]} isn't the batch")
    return OpPlan("reshape", {"shape": tuple(int(s) for s in sizes[1:])}, (source,))  # type: ignore[call-overload]


def _flatten(call: Call) -> OpPlan:
    start = _argument(call, 1, "start_dim", 0)
    end = _argument(call, 2, "end_dim", -1)
    params: Params = {"start_dim": int(start), "end_dim": int(end), "functional": True}  # type: ignore[call-overload]
    return OpPlan("flatten", params, (_tensor(call.args[0]),))


def _permute(call: Call) -> OpPlan:
    dims = tuple(int(dim) for dim in _sizes(call))  # type: ignore[call-overload]
    return OpPlan("permute", {"dims": dims}, (_tensor(call.args[0]),))


def _transpose(call: Call) -> OpPlan:
    first = _argument(call, 1, "dim0", None)
    second = _argument(call, 2, "dim1", None)
    return OpPlan("transpose", {"dim0": first, "dim1": second}, (_tensor(call.args[0]),))  # type: ignore[dict-item]


def _squeeze(kind: str) -> Rule:
    def rule(call: Call) -> OpPlan:
        dim = _argument(call, 1, "dim", None)
        if not isinstance(dim, int):
            raise UnmappableError(f"dim {dim!r}; the block takes one dim")
        return OpPlan(kind, {"dim": dim}, (_tensor(call.args[0]),))

    return rule


def _reduce(kind: str) -> Rule:
    def rule(call: Call) -> OpPlan:
        dim = _argument(call, 1, "dim", None)
        keepdim = _argument(call, 2, "keepdim", False)
        if "dtype" in call.kwargs or len(call.args) > 3:
            raise UnmappableError("a dtype; the block keeps the input's")
        dims = tuple(dim) if isinstance(dim, list | tuple) else (dim,)
        if not dims or not all(isinstance(d, int) for d in dims):
            raise UnmappableError(
                "no dims (a reduction to one number); the block reduces named dims"
            )
        return OpPlan(kind, {"dims": dims, "keepdim": bool(keepdim)}, (_tensor(call.args[0]),))

    return rule


def _softmax(kind: str) -> Rule:
    def rule(call: Call) -> OpPlan:
        dim = _argument(call, 1, "dim", None)
        if not isinstance(dim, int) or call.kwargs.get("dtype") is not None:
            raise UnmappableError(f"dim {dim!r} or a dtype; the block takes a dim")
        return OpPlan(kind, {"dim": dim}, (_tensor(call.args[0]),))

    return rule


def _getitem(call: Call) -> OpPlan:
    source = _tensor(call.args[0])
    index = call.args[1]
    items = index if isinstance(index, tuple) else (index,)
    leading = 0
    while leading < len(items) and items[leading] == slice(None):
        leading += 1
    rest = items[leading:]
    if len(rest) == 0:
        return OpPlan(None, inputs=(source,))
    if len(rest) != 1:
        raise UnmappableError(f"index {index!r}; a block takes one position or range on one dim")
    (item,) = rest
    if isinstance(item, int) and not isinstance(item, bool):
        return OpPlan("select", {"dim": leading, "index": item}, (source,))
    if isinstance(item, slice) and all(
        part is None or isinstance(part, int) for part in (item.start, item.stop, item.step)
    ):
        params: Params = {
            "dim": leading,
            "start": item.start or 0,
            "stop": item.stop,
            "step": item.step or 1,
        }
        return OpPlan("slice", params, (source,))
    raise UnmappableError(f"index {index!r}; a block takes one position or range on one dim")


def _passthrough(call: Call) -> OpPlan:
    if call.kwargs or len(call.args) > 1:
        raise UnmappableError("arguments the block can't hold")
    return OpPlan(None, inputs=(_tensor(call.args[0]),))


def _dropout(call: Call) -> OpPlan:
    p = _argument(call, 1, "p", 0.5)
    training = _argument(call, 2, "training", True)
    if not training:
        return OpPlan(None, inputs=(_tensor(call.args[0]),))
    return OpPlan("dropout", {"p": float(p)}, (_tensor(call.args[0]),))  # type: ignore[arg-type]


# --- pooling, stochastic depth, pieces -------------------------------------------------------


def _one_size(value: object, what: str) -> int:
    """One int for a size given per dimension (``(3, 3)``, ``[2]``): the kinds take one."""
    items = list(value) if isinstance(value, list | tuple) else [value]
    if not items or len(set(items)) != 1 or not isinstance(items[0], int):
        raise UnmappableError(f"{what} {value!r} differs between dimensions; the block takes one")
    return int(items[0])


def _window(call: Call, names: tuple[str, ...]) -> dict[str, Any]:
    given = dict(zip(names, call.args[1:], strict=False))
    given.update(call.kwargs)
    kernel = _one_size(given.get("kernel_size"), "kernel_size")
    stride = given.get("stride")
    stride = kernel if stride is None or stride == [] else _one_size(stride, "stride")
    return {**given, "kernel_size": kernel, "stride": None if stride == kernel else stride,
            "padding": _one_size(given.get("padding", 0), "padding")}  # fmt: skip


def _max_pool2d(call: Call) -> OpPlan:
    names = ("kernel_size", "stride", "padding", "dilation", "ceil_mode", "return_indices")
    given = _window(call, names)
    if given.get("return_indices", False):
        raise UnmappableError("return_indices=True; the block returns the pooled tensor only")
    params: Params = {
        "kernel_size": given["kernel_size"], "stride": given["stride"],
        "padding": given["padding"], "dilation": _one_size(given.get("dilation", 1), "dilation"),
        "ceil_mode": bool(given.get("ceil_mode", False)),
    }  # fmt: skip
    return OpPlan("max_pool2d", params, (_tensor(call.args[0]),))


def _avg_pool2d(call: Call) -> OpPlan:
    names = ("kernel_size", "stride", "padding", "ceil_mode", "count_include_pad",
             "divisor_override")  # fmt: skip
    given = _window(call, names)
    if not given.get("count_include_pad", True) or given.get("divisor_override") is not None:
        raise UnmappableError("count_include_pad=False or divisor_override; the block keeps "
                              "defaults")  # fmt: skip
    params: Params = {
        "kernel_size": given["kernel_size"], "stride": given["stride"],
        "padding": given["padding"], "ceil_mode": bool(given.get("ceil_mode", False)),
    }  # fmt: skip
    return OpPlan("avg_pool2d", params, (_tensor(call.args[0]),))


def _adaptive_pool(kind: str) -> Rule:
    """``F.adaptive_avg_pool2d(x, 1)``: the module kind, which gives the same values (it has no
    weights; ``print(model)`` shows it as one more module)."""

    def rule(call: Call) -> OpPlan:
        size = _argument(call, 1, "output_size", None)
        items = tuple(size) if isinstance(size, list | tuple) else (size,)
        sizes = tuple(item for item in items if isinstance(item, int))
        if len(sizes) != len(items) or "return_indices" in call.kwargs:
            raise UnmappableError(f"output_size {size!r} keeps a dimension (None); the block "
                                  "sizes each")  # fmt: skip
        output: ParamValue = sizes[0] if kind == "adaptive_avg_pool1d" else sizes
        return OpPlan(kind, {"output_size": output}, (_tensor(call.args[0]),))

    return rule


def _stochastic_depth(call: Call) -> OpPlan:
    """torchvision's ``stochastic_depth``: out of training (or with p=0) it passes its input
    on; in training it drops whole samples at random, which no kind does."""
    p = _argument(call, 1, "p", 0.0)
    training = _argument(call, 3, "training", True)
    if not training or p == 0:
        note = (
            "stochastic_depth passes its input on (the model was imported in eval mode, or p is "
            "0), so it has no block: the design doesn't drop samples in training"
        )
        return OpPlan(None, inputs=(_tensor(call.args[0]),), note=note)
    raise UnmappableError(
        "in training mode it drops whole samples at random, which no block does; import the "
        "model in eval mode (model.eval()), where it passes its input on"
    )


def _pieces(call: Call) -> OpPlan:
    """``x.chunk(2, dim=1)``, ``x.split(4, dim=1)``, ``x.unbind(1)``: a Slice (or Select) block
    per piece, each picked where the pieces are indexed."""
    source = _tensor(call.args[0])
    if not isinstance(call.output, tuple | list) or not source.shape:
        raise UnmappableError("its pieces aren't a tuple of tensors")
    dim = _argument(call, 1 if call.name == "unbind" else 2, "dim", 0)
    if not isinstance(dim, int):
        raise UnmappableError(f"dim {dim!r}; the blocks take one dim")
    dim = dim if dim >= 0 else dim + len(source.shape)
    if call.name == "unbind":
        parts = tuple(
            OpPlan("select", {"dim": dim, "index": index}, (source,))
            for index in range(len(call.output))
        )
        return OpPlan(None, inputs=(source,), parts=parts)
    pieces: list[OpPlan] = []
    start = 0
    for piece in call.output:
        stop = start + int(piece.shape[dim])
        params: Params = {"dim": dim, "start": start, "stop": stop, "step": 1}
        pieces.append(OpPlan("slice", params, (source,)))
        start = stop
    return OpPlan(None, inputs=(source,), parts=tuple(pieces))


_BY_NAME: dict[str, Rule] = {
    **{name: _activation for name in _ACTIVATION_DEFAULTS},
    "add": _binary("add"), "iadd": _binary("add"), "mul": _binary("mul"),
    "imul": _binary("mul"), "matmul": _binary("matmul"), "bmm": _binary("matmul"),
    "cat": _cat, "concat": _cat, "concatenate": _cat,
    "view": _reshape, "reshape": _reshape, "flatten": _flatten,
    "permute": _permute, "transpose": _transpose,
    "squeeze": _squeeze("squeeze"), "unsqueeze": _squeeze("unsqueeze"),
    "mean": _reduce("mean"), "sum": _reduce("sum"),
    "softmax": _softmax("softmax"), "log_softmax": _softmax("log_softmax"),
    "getitem": _getitem, "contiguous": _passthrough, "clone": _passthrough,
    "dropout": _dropout,
    "max_pool2d": _max_pool2d, "avg_pool2d": _avg_pool2d,
    "adaptive_avg_pool1d": _adaptive_pool("adaptive_avg_pool1d"),
    "adaptive_avg_pool2d": _adaptive_pool("adaptive_avg_pool2d"),
    "adaptive_avg_pool3d": _adaptive_pool("adaptive_avg_pool3d"),
    "adaptive_max_pool2d": _adaptive_pool("adaptive_max_pool2d"),
    "stochastic_depth": _stochastic_depth,
    "chunk": _pieces, "split": _pieces, "unbind": _pieces,
}  # fmt: skip

_FUNCTIONS: dict[object, str] = {
    operator.add: "add", operator.iadd: "iadd", operator.mul: "mul", operator.imul: "imul",
    operator.matmul: "matmul", operator.getitem: "getitem",
    torch.add: "add", torch.mul: "mul", torch.matmul: "matmul", torch.bmm: "bmm",
    torch.cat: "cat", torch.concat: "concat", torch.concatenate: "concatenate",
    torch.flatten: "flatten", torch.reshape: "reshape", torch.permute: "permute",
    torch.transpose: "transpose", torch.squeeze: "squeeze", torch.unsqueeze: "unsqueeze",
    torch.mean: "mean", torch.sum: "sum", torch.softmax: "softmax",
    torch.log_softmax: "log_softmax", F.softmax: "softmax", F.log_softmax: "log_softmax",
    torch.relu: "relu", torch.sigmoid: "sigmoid", torch.tanh: "tanh", torch.selu: "selu",
    F.relu: "relu", F.leaky_relu: "leaky_relu", F.sigmoid: "sigmoid", F.tanh: "tanh",
    F.gelu: "gelu", F.silu: "silu", F.elu: "elu", F.selu: "selu", F.mish: "mish",
    F.softplus: "softplus", F.hardswish: "hardswish", F.hardsigmoid: "hardsigmoid",
    F.relu6: "relu6", F.dropout: "dropout",
    F.max_pool2d: "max_pool2d", torch.max_pool2d: "max_pool2d", F.avg_pool2d: "avg_pool2d",
    F.adaptive_avg_pool1d: "adaptive_avg_pool1d",
    torch.adaptive_avg_pool1d: "adaptive_avg_pool1d",
    F.adaptive_avg_pool2d: "adaptive_avg_pool2d", F.adaptive_avg_pool3d: "adaptive_avg_pool3d",
    F.adaptive_max_pool2d: "adaptive_max_pool2d",
    torch.chunk: "chunk", torch.split: "split", torch.unbind: "unbind",
}  # fmt: skip
_FUNCTIONS_BY_PATH = {"torchvision.ops.stochastic_depth.stochastic_depth": "stochastic_depth"}
"""Functions of libraries the designer doesn't import, by ``module.name``."""
_METHODS = frozenset(_BY_NAME) - {"getitem", "iadd", "imul", "cat", "concat", "concatenate"}


def function_name(target: object) -> str:
    """How a report names a function: ``F.interpolate``, ``torch.where``, ``operator.pow``."""
    module = getattr(target, "__module__", None) or ""
    name = getattr(target, "__name__", repr(target))
    if module.startswith("torch.nn.functional"):
        return f"F.{name}"
    if module in ("_operator", "operator"):
        return f"operator.{name}"
    if module == "torch" or module.startswith("torch.") or module == "":
        return f"torch.{name}"
    return f"{module}.{name}"


def rule_for(op: str, target: object) -> tuple[str, Rule] | None:
    """The rule for a ``call_function`` or ``call_method`` node, with the call's name."""
    if op == "call_method":
        assert isinstance(target, str)
        return (target, _BY_NAME[target]) if target in _METHODS else None
    name = _FUNCTIONS.get(target) or _FUNCTIONS_BY_PATH.get(
        f"{getattr(target, '__module__', '')}.{getattr(target, '__name__', '')}"
    )
    return (name, _BY_NAME[name]) if name is not None else None


def plan(call: Call, rule: Rule) -> OpPlan:
    return rule(call)


def tensors_in(values: Sequence[object]) -> list[Tensor]:
    found: list[Tensor] = []
    for value in values:
        if isinstance(value, Tensor):
            found.append(value)
        elif isinstance(value, list | tuple):
            found += tensors_in(value)
    return found
