"""The long tail: any non-container ``torch.nn`` layer, its shape found by torch on meta.

A ``torch_layer`` block names a class (``Hardtanh``, ``LPPool2d``, ``ChannelShuffle``) and
literal keyword arguments; it takes one tensor and gives one. No rule of ours describes such a
class, so torch is asked: the layer is built on the meta device (no memory) and run on an empty
tensor of the input's shape. Torch is imported only then, so a design without this kind never
imports it; results are cached by class, keywords and input shape.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from designer.graph.block_code import BlockCode, CodeContext, Params, module
from designer.graph.kind import BlockKind
from designer.graph.kinds.categories import LAYERS
from designer.graph.params import (
    NOT_LAYERS,
    Keywords,
    KeywordValue,
    class_name_param,
    keywords_param,
)
from designer.graph.shape_rules import Shape, ShapeRuleError, shape_text

MAX_MESSAGE = 200
"""Torch's messages are cut to this many characters (some print whole tensors)."""
_CACHE_SIZE = 1024

TypedKeywords = tuple[tuple[str, str, KeywordValue], ...]
"""Keywords with each value's type: ``True``, ``1`` and ``1.0`` are equal, and so hash alike,
but a layer may take one and refuse another."""


@dataclass(frozen=True, slots=True)
class _Outcome:
    """What torch made of a layer and an input: the output's shape and the parameter count,
    or why it refused."""

    shape: Shape | None
    parameters: int
    error: str | None = None


def _class_name(params: Params) -> str:
    name = params["class_name"]
    assert isinstance(name, str)
    return name


def _keywords(params: Params) -> Keywords:
    value = params["kwargs"]
    assert isinstance(value, tuple)
    return value  # type: ignore[return-value]


def _typed(keywords: Keywords) -> TypedKeywords:
    return tuple((name, type(value).__name__, value) for name, value in keywords)


def _outcome(params: Params, inputs: Sequence[Shape]) -> _Outcome:
    return _run_on_meta(_class_name(params), _typed(_keywords(params)), inputs[0])


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _run_on_meta(class_name: str, keywords: TypedKeywords, shape: Shape) -> _Outcome:
    from designer.torch_noise import quiet_torch_imports

    quiet_torch_imports()
    import torch

    layer_class = _layer_class(torch.nn, class_name)
    if isinstance(layer_class, str):
        return _Outcome(None, 0, layer_class)
    arguments = {name: value for name, _, value in keywords}
    try:
        with warnings.catch_warnings(), torch.device("meta"):
            warnings.simplefilter("ignore")
            layer = layer_class(**arguments).eval()
            with torch.no_grad():
                output = layer(torch.empty(shape))
            parameters = sum(parameter.numel() for parameter in layer.parameters())
    except Exception as error:  # whatever the layer raises is the user's to read
        return _Outcome(None, 0, f"nn.{class_name}: {_first_line(error)}")
    return _checked_output(class_name, output, parameters, torch.Tensor)


def _layer_class(nn: Any, class_name: str) -> type | str:
    """The ``torch.nn`` class, or why it isn't one a block may name."""
    found = getattr(nn, class_name, None)
    if not (isinstance(found, type) and issubclass(found, nn.Module)):
        what = "no such class" if found is None else "not an nn.Module class"
        return f"torch.nn has no layer class {class_name} ({what})"
    refused = tuple(
        getattr(nn, name) for name in sorted(NOT_LAYERS - {"Module"}) if hasattr(nn, name)
    )
    if found is nn.Module or issubclass(found, refused):
        return f"nn.{class_name} is a container, not a layer: build it from blocks and groups"
    if issubclass(found, nn.modules.lazy.LazyModuleMixin):
        # its weights take shape at the first call: a model built on meta and given storage
        # afterwards (as the designer builds every model) would have none to give storage to
        return (
            f"nn.{class_name} sizes its weights lazily, which a designed model can't: "
            "name the class that takes its in-size (a Linear block infers it)"
        )
    return found


def _checked_output(
    class_name: str, output: object, parameters: int, tensor_type: type
) -> _Outcome:
    if isinstance(output, tuple | list):
        return _Outcome(
            None,
            0,
            f"nn.{class_name} returns a {type(output).__name__}; only one-tensor layers fit a "
            "torch.nn layer block",
        )
    if not isinstance(output, tensor_type):
        return _Outcome(None, 0, f"nn.{class_name} returns a {type(output).__name__}, not a tensor")
    shape = tuple(output.shape)  # type: ignore[attr-defined]
    if 0 in shape:
        return _Outcome(None, 0, f"nn.{class_name} gives an empty output ({shape_text(shape)})")
    return _Outcome(shape, parameters)


def _first_line(error: Exception) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    text = lines[0] if lines else type(error).__name__
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 3] + "..."


def torch_layer_shape(params: Params, inputs: Sequence[Shape]) -> Shape:
    outcome = _outcome(params, inputs)
    if outcome.shape is None:
        assert outcome.error is not None
        raise ShapeRuleError(outcome.error, expected=f"an input nn.{_class_name(params)} takes")
    return outcome.shape


def torch_layer_parameters(params: Params, inputs: Sequence[Shape], output: Shape) -> int:
    return _outcome(params, inputs).parameters


def _code(context: CodeContext) -> BlockCode:
    arguments = [f"{name}={value!r}" for name, value in _keywords(context.params)]
    return module(f"nn.{_class_name(context.params)}", arguments)


KINDS = (
    BlockKind(
        "torch_layer", "torch.nn layer", LAYERS.name,
        "any one-tensor torch.nn layer, by class name, with literal keyword arguments",
        (
            class_name_param("class_name", "Hardtanh", "the torch.nn class (Hardtanh, LPPool2d)"),
            keywords_param("kwargs", "keyword arguments: negative_slope=0.2, inplace=True"),
        ),
        torch_layer_shape, torch_layer_parameters, _code, summary=_class_name,
    ),
)  # fmt: skip
