"""Leaf modules -> kinds: which ``torch.nn`` modules a kind stands for, and the parameters read
from each module (``in_channels``, ``kernel_size``, ``eps`` ...).

A module the catalogue knows by class becomes its kind; an activation of the palette built with
torch's defaults becomes an ``activation`` block; the seed's idioms (a ``conv_block`` or
``dec_block`` Sequential, a Sequential of them over chained sizes) become those blocks; any other
one-tensor ``torch.nn`` layer becomes a ``torch_layer`` block when its constructor's arguments
can be read back from it (checked by building it again and comparing).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from designer.graph.activations import ACTIVATIONS
from designer.graph.catalogue import CATALOGUE
from designer.graph.params import CONTAINERS, NOT_LAYERS, Keywords, ParamValue

Params = dict[str, ParamValue]


class UnmappableError(Exception):
    """A module no kind stands for, and why."""


@dataclass(frozen=True, slots=True)
class LeafPlan:
    kind: str
    params: Params


_KIND_BY_CLASS: dict[type, str] = {
    getattr(nn, kind.torch_class): kind.name
    for kind in CATALOGUE.values()
    if kind.torch_class is not None and hasattr(nn, kind.torch_class)
}
_PALETTE_BY_CLASS: dict[type, str] = {
    getattr(nn, entry.module): entry.key for entry in ACTIVATIONS if entry.module != "Identity"
}


def _same(values: object, what: str) -> int:
    """One int for a size torch stores per dimension (``(3, 3)``): the kinds take square ones."""
    items = values if isinstance(values, tuple | list) else (values,)
    if not items or len(set(items)) != 1 or not isinstance(items[0], int):
        raise UnmappableError(
            f"{what} {values} differs between dimensions; the kind takes one size"
        )
    return int(items[0])


def _conv(module: Any) -> Params:
    if module.padding_mode != "zeros":
        raise UnmappableError(f"padding_mode {module.padding_mode!r}; the kind pads with zeros")
    if isinstance(module.padding, str):
        raise UnmappableError(f"padding {module.padding!r}; the kind takes a number")
    params: Params = {
        "out_channels": module.out_channels,
        "kernel_size": _same(module.kernel_size, "kernel_size"),
        "stride": _same(module.stride, "stride"),
        "padding": _same(module.padding, "padding"),
        "dilation": _same(module.dilation, "dilation"),
        "groups": module.groups,
        "bias": module.bias is not None,
    }
    if isinstance(module, nn.modules.conv._ConvTransposeNd):
        params["output_padding"] = _same(module.output_padding, "output_padding")
    return params


def _linear(module: Any) -> Params:
    return {"out_features": module.out_features, "bias": module.bias is not None}


def _running_norm(module: Any) -> Params:
    if module.momentum is None:
        raise UnmappableError("momentum None (a cumulative average); the kind takes a rate")
    return {
        "eps": float(module.eps),
        "momentum": float(module.momentum),
        "affine": module.affine,
        "track_running_stats": module.track_running_stats,
    }


def _layer_norm(module: Any) -> Params:
    return {
        "dims": len(module.normalized_shape),
        "eps": float(module.eps),
        "elementwise_affine": module.elementwise_affine,
        "bias": getattr(module, "bias", None) is not None or not module.elementwise_affine,
    }


def _rms_norm(module: Any) -> Params:
    params: Params = {
        "dims": len(module.normalized_shape),
        "elementwise_affine": module.elementwise_affine,
        "dtype_eps": module.eps is None,
    }
    if module.eps is not None:
        params["eps"] = float(module.eps)
    return params


def _group_norm(module: Any) -> Params:
    return {"num_groups": module.num_groups, "eps": float(module.eps), "affine": module.affine}


def _dropout(module: Any) -> Params:
    if module.inplace:
        raise UnmappableError("inplace=True; the kind builds it without")
    return {"p": float(module.p)}


def _pool_stride(module: Any) -> int | None:
    stride = _same(module.stride, "stride")
    return None if stride == _same(module.kernel_size, "kernel_size") else stride


def _max_pool(module: Any) -> Params:
    if module.return_indices:
        raise UnmappableError("return_indices=True; the kind returns the pooled tensor only")
    return {
        "kernel_size": _same(module.kernel_size, "kernel_size"),
        "stride": _pool_stride(module),
        "padding": _same(module.padding, "padding"),
        "dilation": _same(module.dilation, "dilation"),
        "ceil_mode": module.ceil_mode,
    }


def _avg_pool(module: Any) -> Params:
    if not module.count_include_pad or getattr(module, "divisor_override", None) is not None:
        raise UnmappableError(
            "count_include_pad=False or divisor_override; the kind keeps defaults"
        )
    return {
        "kernel_size": _same(module.kernel_size, "kernel_size"),
        "stride": _pool_stride(module),
        "padding": _same(module.padding, "padding"),
        "ceil_mode": module.ceil_mode,
    }


def _adaptive(module: Any) -> Params:
    if getattr(module, "return_indices", False):
        raise UnmappableError("return_indices=True; the kind returns the pooled tensor only")
    size = module.output_size
    sizes = tuple(size) if isinstance(size, tuple | list) else (size,)
    if any(not isinstance(item, int) for item in sizes):
        raise UnmappableError(f"output_size {size} keeps a dimension (None); the kind sizes each")
    if isinstance(module, nn.AdaptiveAvgPool1d):
        return {"output_size": sizes[0]}
    return {"output_size": sizes}


def _padding(module: Any) -> Params:
    padding = tuple(module.padding)
    params: Params = {"padding": padding[:1] if len(set(padding)) == 1 else padding}
    if hasattr(module, "value") and not isinstance(module, nn.ReflectionPad2d):
        params["value"] = float(module.value)
    return params


def _upsample(module: Any) -> Params:
    if module.size is not None or module.scale_factor is None:
        raise UnmappableError("a target size; the kind takes a scale factor")
    factor = module.scale_factor
    factors = tuple(factor) if isinstance(factor, tuple | list) else (factor,)
    if len(set(factors)) != 1:
        raise UnmappableError(f"scale_factor {factor} differs between dimensions")
    return {
        "scale_factor": float(factors[0]),
        "mode": module.mode,
        "align_corners": bool(module.align_corners),
    }


def _embedding(module: Any) -> Params:
    if module.max_norm is not None or module.scale_grad_by_freq or module.sparse:
        raise UnmappableError("max_norm, scale_grad_by_freq or sparse; the kind keeps defaults")
    return {
        "num_embeddings": module.num_embeddings,
        "embedding_dim": module.embedding_dim,
        "padding_idx": module.padding_idx,
    }


def _recurrent(module: Any) -> Params:
    if getattr(module, "proj_size", 0):
        raise UnmappableError("proj_size; the kind has no projection")
    params: Params = {
        "hidden_size": module.hidden_size,
        "num_layers": module.num_layers,
        "bias": module.bias,
        "batch_first": module.batch_first,
        "dropout": float(module.dropout),
        "bidirectional": module.bidirectional,
    }
    if isinstance(module, nn.RNN):
        params["nonlinearity"] = module.nonlinearity
    return params


def _attention(module: Any) -> Params:
    if module.bias_k is not None or module.add_zero_attn:
        raise UnmappableError("add_bias_kv or add_zero_attn; the kind keeps defaults")
    return {
        "num_heads": module.num_heads,
        "dropout": float(module.dropout),
        "bias": module.in_proj_bias is not None,
        "batch_first": module.batch_first,
    }


def _layer(module: Any) -> Params:
    activation = getattr(module, "activation", None)
    names = {torch.nn.functional.relu: "relu", torch.nn.functional.gelu: "gelu"}
    if isinstance(activation, nn.ReLU | nn.GELU):
        key = "relu" if isinstance(activation, nn.ReLU) else "gelu"
    elif activation in names:
        key = names[activation]
    else:
        raise UnmappableError(f"activation {activation}; the kind takes relu or gelu")
    return {
        "nhead": module.self_attn.num_heads,
        "dim_feedforward": module.linear1.out_features,
        "dropout": float(module.dropout.p),
        "activation": key,
        "layer_norm_eps": float(module.norm1.eps),
        "batch_first": module.self_attn.batch_first,
        "norm_first": module.norm_first,
        "bias": module.linear1.bias is not None,
    }


def _encoder(module: Any) -> Params:
    if module.norm is not None:
        raise UnmappableError("a final norm; build it as a LayerNorm block after the encoder")
    return {"num_layers": module.num_layers, **_layer(module.layers[0])}


def _flatten(module: Any) -> Params:
    return {"start_dim": module.start_dim, "end_dim": module.end_dim, "functional": False}


def _factor(name: str) -> Callable[[Any], Params]:
    return lambda module: {name: getattr(module, name)}


def _nothing(module: Any) -> Params:
    return {}


_READERS: dict[str, Callable[[Any], Params]] = {
    **{f"conv{d}d": _conv for d in (1, 2, 3)},
    **{f"conv_transpose{d}d": _conv for d in (1, 2, 3)},
    "linear": _linear, "flatten": _flatten, "upsample": _upsample,
    **{f"batch_norm{d}d": _running_norm for d in (1, 2, 3)},
    "instance_norm1d": _running_norm, "instance_norm2d": _running_norm,
    "layer_norm": _layer_norm, "rms_norm": _rms_norm, "group_norm": _group_norm,
    "dropout": _dropout, "dropout1d": _dropout, "dropout2d": _dropout,
    **{f"max_pool{d}d": _max_pool for d in (1, 2, 3)},
    **{f"avg_pool{d}d": _avg_pool for d in (1, 2, 3)},
    "adaptive_avg_pool1d": _adaptive, "adaptive_avg_pool2d": _adaptive,
    "adaptive_avg_pool3d": _adaptive, "adaptive_max_pool2d": _adaptive,
    "zero_pad2d": _padding, "constant_pad1d": _padding, "constant_pad2d": _padding,
    "reflection_pad2d": _padding,
    "pixel_shuffle": _factor("upscale_factor"), "pixel_unshuffle": _factor("downscale_factor"),
    "embedding": _embedding, "lstm": _recurrent, "gru": _recurrent, "rnn": _recurrent,
    "multihead_attention": _attention, "transformer_encoder_layer": _layer,
    "transformer_decoder_layer": _layer, "transformer_encoder": _encoder, "identity": _nothing,
}  # fmt: skip


# --- activations and the long tail -----------------------------------------------------------


def _constructor_keywords(module: nn.Module) -> dict[str, Any]:
    """The constructor's arguments, read back from same-named attributes, defaults left out."""
    found: dict[str, Any] = {}
    for name, parameter in inspect.signature(type(module).__init__).parameters.items():
        if name == "self" or parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        if name in ("device", "dtype"):
            continue
        if not hasattr(module, name):
            if parameter.default is inspect.Parameter.empty:
                raise UnmappableError(f"its argument {name} can't be read back from the module")
            continue
        value = getattr(module, name)
        if isinstance(value, list):
            value = tuple(value)
        if isinstance(parameter.default, bool) and (value is None or torch.is_tensor(value)):
            value = value is not None  # bias=True keeps a tensor in .bias, bias=False None
        elif torch.is_tensor(value):
            raise UnmappableError(f"its argument {name} can't be read back: it holds a tensor")
        if parameter.default is not inspect.Parameter.empty and value == parameter.default:
            continue
        found[name] = value
    return found


def _rebuilds_alike(module: nn.Module, keywords: dict[str, Any]) -> bool:
    try:
        with torch.device("meta"):
            again = type(module)(**keywords)
    except Exception:  # a constructor we guessed wrong for: not mappable
        return False
    shapes = {name: tuple(value.shape) for name, value in again.state_dict().items()}
    original = {name: tuple(value.shape) for name, value in module.state_dict().items()}
    return repr(again) == repr(module) and shapes == original


def _literal(value: object) -> bool:
    if isinstance(value, tuple):
        return all(isinstance(item, int) and not isinstance(item, bool) for item in value)
    return value is None or isinstance(value, bool | int | float | str)


def _torch_layer(module: nn.Module) -> LeafPlan:
    keywords = _constructor_keywords(module)
    odd = [name for name, value in keywords.items() if not _literal(value)]
    if odd:
        raise UnmappableError(f"its arguments {', '.join(odd)} aren't literals a block can hold")
    if not _rebuilds_alike(module, keywords):
        raise UnmappableError("its constructor's arguments can't be read back from it")
    pairs: Keywords = tuple(sorted(keywords.items()))
    return LeafPlan("torch_layer", {"class_name": type(module).__name__, "kwargs": pairs})


def _activation(module: nn.Module, key: str) -> LeafPlan:
    if _constructor_keywords(module):
        return _torch_layer(module)  # ReLU(inplace=True), LeakyReLU(0.2): kept as built
    return LeafPlan("activation", {"activation": key, "functional": False})


# --- the seed's idioms ---------------------------------------------------------------------


def _plain_activation(module: nn.Module) -> str | None:
    key = _PALETTE_BY_CLASS.get(type(module))
    if key is None or _constructor_keywords(module):
        return None
    return key


def _default_batch_norm(module: nn.Module, channels: int) -> bool:
    return (
        type(module) is nn.BatchNorm2d
        and module.num_features == channels
        and _running_norm(module) == _running_norm(nn.BatchNorm2d(1, device="meta"))
    )


def _conv_block(module: nn.Module) -> Params | None:
    """A Sequential of Conv2d, (default BatchNorm2d,) palette activation: the seed's block."""
    if type(module) is not nn.Sequential or len(module) not in (2, 3):
        return None
    conv, *middle, act = list(module)
    key = _plain_activation(act)
    if type(conv) is not nn.Conv2d or key is None:
        return None
    try:
        conv_params = _conv(conv)
    except UnmappableError:
        return None
    if conv_params.pop("dilation") != 1 or conv_params.pop("groups") != 1:
        return None
    if middle and not _default_batch_norm(middle[0], conv.out_channels):
        return None
    return {**conv_params, "batch_norm": bool(middle), "activation": key}


def _dec_block(module: nn.Module) -> Params | None:
    if type(module) is not nn.Sequential or len(module) != 2:
        return None
    linear, act = list(module)
    key = _plain_activation(act)
    if type(linear) is not nn.Linear or key is None:
        return None
    return {**_linear(linear), "activation": key}


def _stack(module: nn.Module) -> LeafPlan | None:
    """A Sequential of two or more alike conv blocks, dec blocks or Linears, sizes chained."""
    if type(module) is not nn.Sequential or len(module) < 2:
        return None
    members = list(module)
    if all(type(member) is nn.Linear for member in members):
        items = [_linear(member) for member in members]
        kind, size, inner = "linear_stack", "out_features", [m.in_features for m in members]
    elif all(_conv_block(member) is not None for member in members):
        items = [p for p in map(_conv_block, members) if p is not None]
        kind, size = "conv_stack", "out_channels"
        inner = [_first(member).in_channels for member in members]
    elif all(_dec_block(member) is not None for member in members):
        items = [p for p in map(_dec_block, members) if p is not None]
        kind, size = "dec_stack", "out_features"
        inner = [_first(member).in_features for member in members]
    else:
        return None
    sizes = tuple(_integer(item.pop(size)) for item in items)
    if any(item != items[0] for item in items) or list(sizes[:-1]) != inner[1:]:
        return None
    return LeafPlan(kind, {**items[0], "sizes": sizes, "keep_outputs": False})


def kept_stack_plan(members: list[nn.Module]) -> LeafPlan | None:
    """An ``nn.ModuleList``'s members, run in a chain whose every output is kept: the stack
    they match, keeping its outputs; None when they match none."""
    plan = _stack(nn.Sequential(*members))
    return None if plan is None else LeafPlan(plan.kind, {**plan.params, "keep_outputs": True})


def _first(module: nn.Module) -> Any:
    return next(iter(module.children()))


def _integer(value: ParamValue) -> int:
    assert isinstance(value, int)
    return value


def _idiom(module: nn.Module) -> LeafPlan | None:
    names = [name for name, _ in module.named_children()]
    if names != [str(index) for index in range(len(names))]:
        return None  # Sequential(OrderedDict(conv0=...)): an idiom would number its members
    conv_block = _conv_block(module)
    if conv_block is not None:
        return LeafPlan("conv_block", conv_block)
    dec_block = _dec_block(module)
    if dec_block is not None:
        return LeafPlan("dec_block", dec_block)
    return _stack(module)


# --- the answers ----------------------------------------------------------------------------


def _is_torch_layer_class(module: nn.Module) -> bool:
    cls = type(module)
    return (
        cls.__module__.startswith("torch.nn.")
        and getattr(nn, cls.__name__, None) is cls
        and cls.__name__ not in NOT_LAYERS | CONTAINERS
    )


def is_leaf(module: nn.Module) -> bool:
    """Whether tracing stops at ``module``: a kind (or a torch.nn layer) stands for it."""
    cls = type(module)
    if cls in _KIND_BY_CLASS or cls in _PALETTE_BY_CLASS or _is_torch_layer_class(module):
        return True
    return _idiom(module) is not None


def leaf_plan(module: nn.Module) -> LeafPlan:
    """The kind and parameters of a leaf; ``UnmappableError`` says why there is none."""
    cls = type(module)
    if cls in _PALETTE_BY_CLASS:
        return _activation(module, _PALETTE_BY_CLASS[cls])
    if cls in _KIND_BY_CLASS:
        kind = _KIND_BY_CLASS[cls]
        try:
            return LeafPlan(kind, _READERS[kind](module))
        except UnmappableError as refused:
            try:  # Dropout(inplace=True): the kind can't hold it, a torch_layer block can
                return _torch_layer(module)
            except UnmappableError:
                raise refused from None
    idiom = _idiom(module)
    if idiom is not None:
        return idiom
    return _torch_layer(module)
