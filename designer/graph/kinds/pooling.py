"""Pooling over image windows: max, average and adaptive average."""

from __future__ import annotations

from designer.graph import shape_rules as rules
from designer.graph.block_code import BlockCode, CodeContext, CodeRule, call
from designer.graph.kind import BlockKind
from designer.graph.kinds.categories import POOLING
from designer.graph.kinds.common import DILATION, IMAGE, dims_text, kernel_text
from designer.graph.params import (
    MAX_DIM,
    MAX_KERNEL,
    bool_param,
    int_list_param,
    int_param,
    optional_int_param,
)

_POOL_KERNEL = int_param("kernel_size", 2, "square window size", 1, MAX_KERNEL)
_POOL_STRIDE = optional_int_param("stride", "step between windows; null = the window size")
_POOL_PADDING = int_param("padding", 0, "implicit padding on each side", 0, MAX_KERNEL)
_CEIL_MODE = bool_param("ceil_mode", False, "round the output size up instead of down")


def _pool(module: str, *keywords: str) -> CodeRule:
    def code(context: CodeContext) -> BlockCode:
        kernel = f"kernel_size={context.params['kernel_size']}"
        return BlockCode(constructor=call(module, [kernel, *context.changed(*keywords)]))

    return code


def _adaptive_code(context: CodeContext) -> BlockCode:
    size = context.params["output_size"]
    assert isinstance(size, tuple)
    argument = str(size[0]) if len(size) == 1 else repr(size)
    return BlockCode(constructor=call("nn.AdaptiveAvgPool2d", [argument]))


_POOL_DEFAULTS = {"stride": None, "padding": 0, "dilation": 1, "ceil_mode": False}

KINDS = (
    BlockKind(
        "max_pool2d", "MaxPool2d", POOLING.name, "maximum over sliding windows",
        (_POOL_KERNEL, _POOL_STRIDE, _POOL_PADDING, DILATION, _CEIL_MODE),
        rules.max_pool2d_shape,
        code=_pool("nn.MaxPool2d", "stride", "padding", "dilation", "ceil_mode"),
        summary=lambda p: f"max pool {kernel_text(p)}", ranks=IMAGE,
        torch_class="MaxPool2d", torch_defaults=_POOL_DEFAULTS,
    ),
    BlockKind(
        "avg_pool2d", "AvgPool2d", POOLING.name, "average over sliding windows",
        (_POOL_KERNEL, _POOL_STRIDE, _POOL_PADDING, _CEIL_MODE),
        rules.avg_pool2d_shape,
        code=_pool("nn.AvgPool2d", "stride", "padding", "ceil_mode"),
        summary=lambda p: f"avg pool {kernel_text(p)}", ranks=IMAGE,
        torch_class="AvgPool2d",
        torch_defaults={"stride": None, "padding": 0, "ceil_mode": False},
    ),
    BlockKind(
        "adaptive_avg_pool2d", "AdaptiveAvgPool2d", POOLING.name,
        "average pooling to a fixed output size",
        (int_list_param("output_size", (1,), "output height (and width; one value = square)",
                        1, MAX_DIM, max_items=2),),
        rules.adaptive_avg_pool2d_shape, code=_adaptive_code,
        summary=lambda p: f"adaptive avg {dims_text(p['output_size'])}", ranks=IMAGE,
        torch_class="AdaptiveAvgPool2d",
    ),
)  # fmt: skip
