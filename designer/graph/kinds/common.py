"""Parameter declarations and canvas wording shared by several families of kinds."""

from __future__ import annotations

from collections.abc import Mapping

from designer.graph.activations import ACTIVATION_KEYS, ACTIVATIONS_BY_KEY
from designer.graph.block_code import Params
from designer.graph.kind import Pin, Ranks
from designer.graph.params import (
    MAX_DIM,
    MAX_KERNEL,
    ParamSpec,
    ParamValue,
    bool_param,
    choice_param,
    in_size_param,
    int_param,
)


def activation_param(default: str) -> ParamSpec:
    return choice_param(
        "activation", default, ACTIVATION_KEYS, "activation picked from the palette (ModuleDict)"
    )


KERNEL = int_param("kernel_size", 3, "square kernel size", 1, MAX_KERNEL)
STRIDE = int_param("stride", 1, "step between windows", 1, MAX_KERNEL)
PADDING = int_param("padding", 1, "zeros added on each side", 0, MAX_KERNEL)
DILATION = int_param("dilation", 1, "spacing between kernel taps", 1, MAX_KERNEL)
GROUPS = int_param("groups", 1, "blocked connections from input to output channels", 1, MAX_DIM)
BIAS = bool_param("bias", True, "learn an additive bias")
IN_CHANNELS = in_size_param("in_channels", "input channels; inferred unless pinned")
IN_FEATURES = in_size_param("in_features", "input features; inferred unless pinned")
FUNCTIONAL = bool_param(
    "functional", False, "apply in forward() as a function, not as a sub-module"
)

CHANNELS_PIN = Pin("in_channels", 1, "input channels")
FEATURES_PIN = Pin("in_features", -1, "input features")
IMAGE = Ranks(4, 4, "4-d (N x C x H x W)")


def function_problems(params: Mapping[str, ParamValue]) -> list[str]:
    key = params["activation"]
    assert isinstance(key, str)
    if params["functional"] and ACTIVATIONS_BY_KEY[key].function is None:
        return [
            f"{key} can't be applied as a function in forward() "
            "(it has weights or no functional form); untick 'functional'"
        ]
    return []


# --- canvas wording ------------------------------------------------------------------------


def sizes_text(params: Params, name: str = "sizes") -> str:
    sizes = params[name]
    assert isinstance(sizes, tuple)
    return "[" + ", ".join(str(size) for size in sizes) + "]"


def kernel_text(params: Params) -> str:
    kernel = params["kernel_size"]
    text = f"{kernel}x{kernel}"
    if params.get("stride", 1) not in (1, None):
        text += f"/{params['stride']}"
    return text


def dims_text(value: ParamValue) -> str:
    assert isinstance(value, tuple)
    return "x".join(str(size) for size in value)
