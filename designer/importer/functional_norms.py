"""``F.layer_norm`` called with a module's own weight and bias, as torchvision's
``LayerNorm2d`` (a LayerNorm over the channels of an image) and GPTs' bias-optional
LayerNorm write it: a LayerNorm block without affine weights, then a ``learned_tensor``
block scaling by the weight and one shifting by the bias, each per feature. The two learned
tensors keep the module's ``weight`` and ``bias`` keys in the ``state_dict``.

A call whose weight or bias is anything but a parameter read for it alone, or which
normalises more than the last dim, is left to the mapper, which reports it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
from torch import fx, nn

from designer.importer.learned_tensors import LearnedUse, written_init
from designer.importer.modules import Params

_ARGUMENTS = ("input", "normalized_shape", "weight", "bias", "eps")
_DEFAULTS: dict[str, object] = {"weight": None, "bias": None, "eps": 1e-5}


@dataclass(frozen=True, slots=True)
class NormUse:
    """A functional layer norm: the block that normalises, and those that scale and shift."""

    scope: str
    """The module that owns the weight and bias: the blocks go in its group."""
    norm: Params
    source: fx.Node
    affine: tuple[LearnedUse, ...]
    """The weight's scale, then the bias's shift, for those that are given."""


@dataclass(slots=True)
class FunctionalNorms:
    uses: dict[fx.Node, NormUse] = field(default_factory=dict)
    absorbed: set[fx.Node] = field(default_factory=set)
    """The weight and bias reads the blocks stand for."""


def _arguments(node: fx.Node) -> dict[str, object] | None:
    if len(node.args) > len(_ARGUMENTS) or any(key not in _ARGUMENTS for key in node.kwargs):
        return None
    given = {**_DEFAULTS, **dict(zip(_ARGUMENTS, node.args, strict=False)), **node.kwargs}
    return given if "normalized_shape" in given and "input" in given else None


def _read(value: object, parameters: dict[str, nn.Parameter]) -> str | None:
    """The parameter's path, when ``value`` reads one for this call alone."""
    if not isinstance(value, fx.Node) or value.op != "get_attr" or len(value.users) != 1:
        return None
    path = str(value.target)
    return path if path in parameters else None


def _norm_use(
    node: fx.Node, root: nn.Module, values: dict[fx.Node, Any]
) -> tuple[NormUse, list[fx.Node]] | None:
    given = _arguments(node)
    source = given.get("input") if given is not None else None
    if given is None or not isinstance(source, fx.Node):
        return None
    value = values.get(source)
    sizes = given["normalized_shape"]
    eps = given["eps"]
    if not isinstance(value, torch.Tensor) or value.dim() < 2 or not isinstance(eps, float):
        return None
    if not isinstance(sizes, tuple | list) or list(sizes) != [value.shape[-1]]:
        return None
    parameters = dict(root.named_parameters())
    affine: list[LearnedUse] = []
    reads: list[fx.Node] = []
    scope: str | None = None
    for name, mode, otherwise in (("weight", "scale", "ones"), ("bias", "shift", "zeros")):
        tensor = given[name]
        if tensor is None:
            continue
        path = _read(tensor, parameters)
        if path is None or tuple(parameters[path].shape) != (value.shape[-1],):
            return None
        owner = path.rpartition(".")[0]
        if scope is not None and owner != scope:
            return None
        scope = owner
        init = written_init(root, path) or otherwise
        affine.append(LearnedUse(path, {"mode": f"{mode}_features", "init": init}, source))
        assert isinstance(tensor, fx.Node)
        reads.append(tensor)
    if scope is None:
        return None  # no weights of a module's own: a plain F.layer_norm
    norm: Params = {"dims": 1, "eps": eps, "elementwise_affine": False, "bias": True}
    return NormUse(scope, norm, source, tuple(affine)), reads


def find_functional_norms(
    graph: fx.Graph, root: nn.Module, values: dict[fx.Node, Any]
) -> FunctionalNorms:
    found = FunctionalNorms()
    for node in graph.nodes:
        if node.op != "call_function" or node.target is not torch.nn.functional.layer_norm:
            continue
        use = _norm_use(node, root, values)
        if use is not None:
            found.uses[node] = use[0]
            found.absorbed.update(use[1])
    return found
