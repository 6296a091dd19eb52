"""Learned tensors in a traced graph: an ``nn.Parameter`` added to a tensor (``x +
self.pos_embed``), prepended to it along dim 1 (``torch.cat([self.cls_token.expand(n, -1,
-1), x], dim=1)``), as a ViT or a GPT holds them, or multiplying or adding one value per channel
or per feature (``self.layer_scale * self.block(x)``, ConvNeXt): a ``learned_tensor`` block
each.

A parameter read anywhere else, read twice, or shaped otherwise than the block makes it (one
sample's worth to add; ``count`` positions of the input's width to prepend; one value per
channel, dim 1, or per feature, the last dim, to multiply or add) is left to the mapper, which
reports it.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import fx, nn

from designer.importer.modules import Params
from designer.importer.written import parameter_init

_ADDS = frozenset({operator.add, operator.iadd, torch.add})
_MULS = frozenset({operator.mul, operator.imul, torch.mul})
_CATS = frozenset({torch.cat, torch.concat, torch.concatenate})


@dataclass(frozen=True, slots=True)
class LearnedUse:
    """The node that uses a learned tensor, what block stands for it, and its input."""

    path: str
    """The parameter's path in the model: ``encoder.pos_embedding``."""
    params: Params
    source: fx.Node
    """The tensor the parameter is added to or prepended to."""


@dataclass(slots=True)
class LearnedTensors:
    uses: dict[fx.Node, LearnedUse] = field(default_factory=dict)
    """The ``+`` or ``cat`` node -> the block that stands for it."""
    absorbed: set[fx.Node] = field(default_factory=set)
    """Nodes the blocks stand for besides those in ``uses`` (the read, the ``expand``)."""


def _shape(values: dict[fx.Node, Any], node: object) -> tuple[int, ...] | None:
    value = values.get(node) if isinstance(node, fx.Node) else None
    return tuple(value.shape) if isinstance(value, torch.Tensor) else None


def written_init(root: nn.Module, path: str) -> str | None:
    """How the model's code fills the parameter ``path``, when it says (``zeros``,
    ``randn``)."""
    owner, _, attribute = path.rpartition(".")
    return parameter_init(root.get_submodule(owner) if owner else root, attribute)


def _init(root: nn.Module, path: str, parameter: torch.Tensor) -> str:
    """How the model's code fills it (``torch.zeros``, ``torch.randn``); otherwise ``zeros``
    unless real values say otherwise (a model built on meta has none)."""
    written = written_init(root, path)
    if written is not None:
        return written
    if parameter.is_meta or not bool(parameter.detach().any()):
        return "zeros"
    return "randn"


def _added(node: fx.Node, read: fx.Node, values: dict[fx.Node, Any]) -> fx.Node | None:
    """The tensor ``read`` is added to by ``node``, when the block can stand for that sum."""
    if node.op != "call_function" or node.target not in _ADDS or node.kwargs:
        return None
    if len(node.args) != 2 or read not in node.args or node.args[0] is node.args[1]:
        return None
    source = node.args[1] if node.args[0] is read else node.args[0]
    shape, own = _shape(values, source), _shape(values, read)
    if shape is None or own is None or own != (1, *shape[1:]) or _shape(values, node) != shape:
        return None
    assert isinstance(source, fx.Node)
    return source


def _per_value(
    node: fx.Node, read: fx.Node, values: dict[fx.Node, Any], operations: frozenset[object]
) -> tuple[fx.Node, str] | None:
    """The tensor ``read`` scales or shifts in ``node`` (an ``operations`` call) by a value per
    channel or per feature, and which (``channels``, ``features``), when the block can stand
    for it."""
    if node.op != "call_function" or node.target not in operations or node.kwargs:
        return None
    if len(node.args) != 2 or read not in node.args or node.args[0] is node.args[1]:
        return None
    source = node.args[1] if node.args[0] is read else node.args[0]
    shape, own = _shape(values, source), _shape(values, read)
    if shape is None or own is None or len(shape) < 2 or _shape(values, node) != shape:
        return None
    assert isinstance(source, fx.Node)
    if own == (shape[1], *[1] * (len(shape) - 2)):
        return source, "channels"
    if own == (shape[-1],):
        return source, "features"
    return None


def _expanded(node: fx.Node, read: fx.Node, values: dict[fx.Node, Any]) -> fx.Node | None:
    """``read.expand(n, -1, -1)`` as its only use, then ``torch.cat([that, x], dim=1)``: the
    cat node."""
    if node.op != "call_method" or node.target != "expand" or len(node.users) != 1:
        return None
    (cat,) = node.users
    if cat.op != "call_function" or cat.target not in _CATS:
        return None
    tensors = cat.args[0] if cat.args else cat.kwargs.get("tensors")
    dim = cat.args[1] if len(cat.args) > 1 else cat.kwargs.get("dim", 0)
    if not isinstance(tensors, list | tuple) or len(tensors) != 2 or tensors[0] is not node:
        return None
    source, own = tensors[1], _shape(values, read)
    shape = _shape(values, source)
    if shape is None or own is None or len(shape) < 2 or dim not in (1, 1 - len(shape)):
        return None
    if own != (1, own[1], *shape[2:]) or _shape(values, node) != (shape[0], *own[1:]):
        return None
    return cat


def learned_value(
    root: nn.Module, path: str, node: fx.Node, read: fx.Node, values: dict[fx.Node, Any]
) -> LearnedUse | None:
    """``node`` scaling (``*``) or shifting (``+``) a tensor by the parameter ``path`` that
    ``read`` reads, one value per channel or per feature: the block that stands for it."""
    for mode, operations in (("scale", _MULS), ("shift", _ADDS)):
        found = _per_value(node, read, values, operations)
        if found is not None:
            source, over = found
            # unless written otherwise, a scale starts at one and a shift at zero: the
            # tensor passes unchanged
            init = written_init(root, path) or ("ones" if mode == "scale" else "zeros")
            return LearnedUse(path, {"mode": f"{mode}_{over}", "init": init}, source)
    return None


def find_learned_tensors(
    graph: fx.Graph, root: nn.Module, values: dict[fx.Node, Any]
) -> LearnedTensors:
    found = LearnedTensors()
    reads: dict[str, list[fx.Node]] = {}
    for node in graph.nodes:
        if node.op == "get_attr":
            reads.setdefault(str(node.target), []).append(node)
    parameters = dict(root.named_parameters())
    for path, nodes in reads.items():
        if path not in parameters or len(nodes) != 1 or len(nodes[0].users) != 1:
            continue
        (read,) = nodes
        (user,) = read.users
        parameter = parameters[path]
        source = _added(user, read, values)
        if source is not None:
            params: Params = {"mode": "add", "init": _init(root, path, parameter)}
            found.uses[user] = LearnedUse(path, params, source)
            found.absorbed.add(read)
            continue
        use = learned_value(root, path, user, read, values)
        if use is not None:
            found.uses[user] = use
            found.absorbed.add(read)
            continue
        cat = _expanded(user, read, values)
        if cat is not None:
            count = int(parameter.shape[1])
            params = {"mode": "prepend", "count": count, "init": _init(root, path, parameter)}
            tensors = cat.args[0] if cat.args else cat.kwargs["tensors"]
            assert isinstance(tensors, list | tuple) and isinstance(tensors[1], fx.Node)
            found.uses[cat] = LearnedUse(path, params, tensors[1])
            found.absorbed |= {read, user}
    return found
