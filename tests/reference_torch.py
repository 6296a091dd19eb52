"""Test-only reference: the real torch modules each catalogue kind stands for.

``torch_outcome`` builds them for a kind's validated parameters and input shapes, runs a
forward pass on empty tensors and reports the output shape and the learnable parameter count,
or why torch refused. Shape rules are checked against it; nothing here is used by the app.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import reduce
from itertools import pairwise

import torch
import torch.nn.functional as F  # noqa: N812 (the palette spells functions F.relu, ...)
from torch import Tensor, nn

from designer.graph.activations import ACTIVATIONS_BY_KEY, activation_palette
from designer.graph.params import ParamValue

Shape = tuple[int, ...]
Params = Mapping[str, ParamValue]
Forward = Callable[[Sequence[Tensor]], Tensor]

TORCH_ERRORS = (RuntimeError, ValueError, IndexError, AssertionError)
"""What torch raises for inputs or settings it can't take (anything else is a test bug)."""

_FUNCTION_NAMESPACES: Mapping[str, object] = {"F": F, "torch": torch}


@dataclass(frozen=True, slots=True)
class Reference:
    """What a block compiles to: a module holding its weights, and how it runs its inputs."""

    module: nn.Module
    forward: Forward


Builder = Callable[[Params, Sequence[Shape]], Reference]


@dataclass(frozen=True, slots=True)
class TorchOutcome:
    """Torch's verdict: an output shape and parameter count, or the error it raised."""

    shape: Shape | None
    parameters: int | None
    error: str | None = None

    @property
    def refused(self) -> bool:
        return self.shape is None


def resolve_function(path: str) -> Callable[..., Tensor]:
    """The callable an activation's ``function`` names (``F.leaky_relu``, ``torch.sigmoid``)."""
    head, *attributes = path.split(".")
    found: object = _FUNCTION_NAMESPACES[head]
    for attribute in attributes:
        found = getattr(found, attribute)
    if not callable(found):
        raise TypeError(f"{path} is not callable")
    return found


def torch_outcome(
    kind: str, params: Params, inputs: Sequence[Shape], device: torch.device
) -> TorchOutcome:
    """Build ``kind``'s modules on ``device`` and run ``inputs``; zero-size output is refused."""
    try:
        with device:
            reference = BUILDERS[kind](params, inputs)
            reference.module.eval()
        tensors = [torch.empty(shape, device=device) for shape in inputs]
        with torch.no_grad():
            output = reference.forward(tensors)
    except TORCH_ERRORS as error:
        return TorchOutcome(None, None, f"{type(error).__name__}: {error}")
    shape = tuple(output.shape)
    if 0 in shape:
        return TorchOutcome(None, None, f"zero-size output {shape}")
    parameters = sum(parameter.numel() for parameter in reference.module.parameters())
    return TorchOutcome(shape, parameters)


# --- helpers -------------------------------------------------------------------------------


def _int(params: Params, name: str) -> int:
    value = params[name]
    assert isinstance(value, int) and not isinstance(value, bool)
    return value


def _flag(params: Params, name: str) -> bool:
    value = params[name]
    assert isinstance(value, bool)
    return value


def _float(params: Params, name: str) -> float:
    value = params[name]
    assert isinstance(value, float)
    return value


def _ints(params: Params, name: str) -> tuple[int, ...]:
    value = params[name]
    assert isinstance(value, tuple)
    return value


def _text(params: Params, name: str) -> str:
    value = params[name]
    assert isinstance(value, str)
    return value


def _single(module: nn.Module) -> Reference:
    """A module taking one input."""
    return Reference(module, lambda tensors: module(*tensors))


def _activation_module(params: Params) -> nn.Module:
    """A fresh palette module, as the seed's ``conv_block`` picks it from its ModuleDict."""
    return activation_palette()[_text(params, "activation")]


# --- builders, one per kind ----------------------------------------------------------------


def _conv_block_layers(params: Params, in_channels: int, out_channels: int) -> list[nn.Module]:
    layers: list[nn.Module] = [
        nn.Conv2d(
            in_channels,
            out_channels,
            _int(params, "kernel_size"),
            stride=_int(params, "stride"),
            padding=_int(params, "padding"),
            bias=_flag(params, "bias"),
        )
    ]
    if _flag(params, "batch_norm"):
        layers.append(nn.BatchNorm2d(out_channels))
    layers.append(_activation_module(params))
    return layers


def _dec_block_layers(params: Params, in_features: int, out_features: int) -> list[nn.Module]:
    linear = nn.Linear(in_features, out_features, bias=_flag(params, "bias"))
    return [linear, _activation_module(params)]


def _conv_block(params: Params, inputs: Sequence[Shape]) -> Reference:
    layers = _conv_block_layers(params, inputs[0][1], _int(params, "out_channels"))
    return _single(nn.Sequential(*layers))


def _dec_block(params: Params, inputs: Sequence[Shape]) -> Reference:
    layers = _dec_block_layers(params, inputs[0][-1], _int(params, "out_features"))
    return _single(nn.Sequential(*layers))


def _conv_stack(params: Params, inputs: Sequence[Shape]) -> Reference:
    sizes = (inputs[0][1], *_ints(params, "sizes"))
    blocks = [nn.Sequential(*_conv_block_layers(params, a, b)) for a, b in pairwise(sizes)]
    return _single(nn.Sequential(*blocks))


def _dec_stack(params: Params, inputs: Sequence[Shape]) -> Reference:
    sizes = (inputs[0][-1], *_ints(params, "sizes"))
    blocks = [nn.Sequential(*_dec_block_layers(params, a, b)) for a, b in pairwise(sizes)]
    return _single(nn.Sequential(*blocks))


def _linear_stack(params: Params, inputs: Sequence[Shape]) -> Reference:
    sizes = (inputs[0][-1], *_ints(params, "sizes"))
    bias = _flag(params, "bias")
    layers = nn.ModuleList(nn.Linear(a, b, bias=bias) for a, b in pairwise(sizes))
    return Reference(layers, lambda tensors: reduce(lambda x, layer: layer(x), layers, tensors[0]))


def _conv2d(params: Params, inputs: Sequence[Shape]) -> Reference:
    return _single(
        nn.Conv2d(
            inputs[0][1],
            _int(params, "out_channels"),
            _int(params, "kernel_size"),
            stride=_int(params, "stride"),
            padding=_int(params, "padding"),
            dilation=_int(params, "dilation"),
            groups=_int(params, "groups"),
            bias=_flag(params, "bias"),
        )
    )


def _conv_transpose2d(params: Params, inputs: Sequence[Shape]) -> Reference:
    return _single(
        nn.ConvTranspose2d(
            inputs[0][1],
            _int(params, "out_channels"),
            _int(params, "kernel_size"),
            stride=_int(params, "stride"),
            padding=_int(params, "padding"),
            output_padding=_int(params, "output_padding"),
            groups=_int(params, "groups"),
            bias=_flag(params, "bias"),
            dilation=_int(params, "dilation"),
        )
    )


def _linear(params: Params, inputs: Sequence[Shape]) -> Reference:
    return _single(nn.Linear(inputs[0][-1], _int(params, "out_features"), _flag(params, "bias")))


def _batch_norm(module_class: type[nn.BatchNorm1d | nn.BatchNorm2d]) -> Builder:
    def build(params: Params, inputs: Sequence[Shape]) -> Reference:
        return _single(
            module_class(
                inputs[0][1],
                eps=_float(params, "eps"),
                momentum=_float(params, "momentum"),
                affine=_flag(params, "affine"),
                track_running_stats=_flag(params, "track_running_stats"),
            )
        )

    return build


def _max_pool2d(params: Params, inputs: Sequence[Shape]) -> Reference:
    stride = params["stride"]
    assert stride is None or isinstance(stride, int)
    return _single(
        nn.MaxPool2d(
            _int(params, "kernel_size"),
            stride=stride,
            padding=_int(params, "padding"),
            dilation=_int(params, "dilation"),
            ceil_mode=_flag(params, "ceil_mode"),
        )
    )


def _avg_pool2d(params: Params, inputs: Sequence[Shape]) -> Reference:
    stride = params["stride"]
    assert stride is None or isinstance(stride, int)
    return _single(
        nn.AvgPool2d(
            _int(params, "kernel_size"),
            stride=stride,
            padding=_int(params, "padding"),
            ceil_mode=_flag(params, "ceil_mode"),
        )
    )


def _adaptive_avg_pool2d(params: Params, inputs: Sequence[Shape]) -> Reference:
    sizes = _ints(params, "output_size")
    return _single(nn.AdaptiveAvgPool2d(sizes[0] if len(sizes) == 1 else sizes))


def _dropout(params: Params, inputs: Sequence[Shape]) -> Reference:
    return _single(nn.Dropout(_float(params, "p")))


def _flatten(params: Params, inputs: Sequence[Shape]) -> Reference:
    start, end = _int(params, "start_dim"), _int(params, "end_dim")
    if _flag(params, "functional"):
        return Reference(nn.Module(), lambda tensors: torch.flatten(tensors[0], start, end))
    return _single(nn.Flatten(start, end))


def _upsample(params: Params, inputs: Sequence[Shape]) -> Reference:
    mode = _text(params, "mode")
    align_corners = _flag(params, "align_corners") if mode in ("bilinear", "bicubic") else None
    scale_factor = _float(params, "scale_factor")
    return _single(nn.Upsample(scale_factor=scale_factor, mode=mode, align_corners=align_corners))


def _activation(params: Params, inputs: Sequence[Shape]) -> Reference:
    entry = ACTIVATIONS_BY_KEY[_text(params, "activation")]
    if not _flag(params, "functional"):
        return _single(_activation_module(params))
    assert entry.function is not None, f"{entry.key} has no functional form"
    function = resolve_function(entry.function)
    kwargs = dict(entry.kwargs)
    return Reference(nn.Module(), lambda tensors: function(tensors[0], **kwargs))


def _add(params: Params, inputs: Sequence[Shape]) -> Reference:
    return Reference(nn.Module(), lambda tensors: reduce(torch.add, tensors))


def _concat(params: Params, inputs: Sequence[Shape]) -> Reference:
    dim = _int(params, "dim")
    return Reference(nn.Module(), lambda tensors: torch.cat(list(tensors), dim))


def _identity(params: Params, inputs: Sequence[Shape]) -> Reference:
    return _single(nn.Identity())


BUILDERS: Mapping[str, Builder] = {
    "output": _identity,
    "conv_block": _conv_block,
    "dec_block": _dec_block,
    "conv_stack": _conv_stack,
    "dec_stack": _dec_stack,
    "linear_stack": _linear_stack,
    "conv2d": _conv2d,
    "conv_transpose2d": _conv_transpose2d,
    "linear": _linear,
    "batch_norm1d": _batch_norm(nn.BatchNorm1d),
    "batch_norm2d": _batch_norm(nn.BatchNorm2d),
    "max_pool2d": _max_pool2d,
    "avg_pool2d": _avg_pool2d,
    "adaptive_avg_pool2d": _adaptive_avg_pool2d,
    "dropout": _dropout,
    "flatten": _flatten,
    "upsample": _upsample,
    "activation": _activation,
    "add": _add,
    "concat": _concat,
}
"""Every kind but ``input``, which has no module: its rule just echoes its ``shape``."""
