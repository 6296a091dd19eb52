"""Pooling over windows of a sequence, an image or a volume: max, average and adaptive."""

from __future__ import annotations

from designer.graph import shape_rules as rules
from designer.graph.block_code import BlockCode, CodeContext, CodeRule, call
from designer.graph.kind import BlockKind, ShapeRule
from designer.graph.kinds.categories import POOLING
from designer.graph.kinds.common import DILATION, IMAGE, dims_text
from designer.graph.kinds.convolution import SEQUENCE, VOLUME, window_summary
from designer.graph.params import (
    MAX_DIM,
    MAX_KERNEL,
    ParamSpec,
    bool_param,
    int_list_param,
    int_param,
    optional_int_param,
)

_RANKS = {1: SEQUENCE, 2: IMAGE, 3: VOLUME}
_WINDOW_SHAPES = {1: "window length", 2: "square window size", 3: "cubic window size"}
_POOL_STRIDE = optional_int_param("stride", "step between windows; null = the window size")
_POOL_PADDING = int_param("padding", 0, "implicit padding on each side", 0, MAX_KERNEL)
_CEIL_MODE = bool_param("ceil_mode", False, "round the output size up instead of down")


def _pool_kernel(dims: int) -> ParamSpec:
    return int_param("kernel_size", 2, _WINDOW_SHAPES[dims], 1, MAX_KERNEL)


def _pool(module: str, *keywords: str) -> CodeRule:
    def code(context: CodeContext) -> BlockCode:
        kernel = f"kernel_size={context.params['kernel_size']}"
        return BlockCode(constructor=call(module, [kernel, *context.changed(*keywords)]))

    return code


def _adaptive(module: str) -> CodeRule:
    def code(context: CodeContext) -> BlockCode:
        size = context.params["output_size"]
        assert isinstance(size, tuple)
        argument = str(size[0]) if len(size) == 1 else repr(size)
        return BlockCode(constructor=call(module, [argument]))

    return code


def _adaptive_length(context: CodeContext) -> BlockCode:
    return BlockCode(constructor=call("nn.AdaptiveAvgPool1d", [str(context.params["output_size"])]))


_MAX_POOL_DEFAULTS = {"stride": None, "padding": 0, "dilation": 1, "ceil_mode": False}
_AVG_POOL_DEFAULTS = {"stride": None, "padding": 0, "ceil_mode": False}


def _max_pool(dims: int, shape_rule: ShapeRule) -> BlockKind:
    label = f"MaxPool{dims}d"
    return BlockKind(
        f"max_pool{dims}d", label, POOLING.name, "maximum over sliding windows",
        (_pool_kernel(dims), _POOL_STRIDE, _POOL_PADDING, DILATION, _CEIL_MODE),
        shape_rule, code=_pool(f"nn.{label}", "stride", "padding", "dilation", "ceil_mode"),
        summary=lambda p: f"max pool {window_summary(p, dims)}", ranks=_RANKS[dims],
        torch_class=label, torch_defaults=_MAX_POOL_DEFAULTS,
    )  # fmt: skip


def _avg_pool(dims: int, shape_rule: ShapeRule) -> BlockKind:
    label = f"AvgPool{dims}d"
    return BlockKind(
        f"avg_pool{dims}d", label, POOLING.name, "average over sliding windows",
        (_pool_kernel(dims), _POOL_STRIDE, _POOL_PADDING, _CEIL_MODE),
        shape_rule, code=_pool(f"nn.{label}", "stride", "padding", "ceil_mode"),
        summary=lambda p: f"avg pool {window_summary(p, dims)}", ranks=_RANKS[dims],
        torch_class=label, torch_defaults=_AVG_POOL_DEFAULTS,
    )  # fmt: skip


def _adaptive_pool(reduction: str, dims: int, shape_rule: ShapeRule, sizes: str) -> BlockKind:
    label = f"Adaptive{reduction.capitalize()}Pool{dims}d"
    short = reduction.lower()
    return BlockKind(
        f"adaptive_{short}_pool{dims}d", label, POOLING.name,
        f"{'average' if short == 'avg' else 'maximum'} pooling to a fixed output size",
        (int_list_param("output_size", (1,), sizes, 1, MAX_DIM, max_items=dims),),
        shape_rule, code=_adaptive(f"nn.{label}"),
        summary=lambda p: f"adaptive {short} {dims_text(p['output_size'])}", ranks=_RANKS[dims],
        torch_class=label,
    )  # fmt: skip


KINDS = (
    _max_pool(1, rules.max_pool1d_shape),
    _max_pool(2, rules.max_pool2d_shape),
    _max_pool(3, rules.max_pool3d_shape),
    _avg_pool(1, rules.avg_pool1d_shape),
    _avg_pool(2, rules.avg_pool2d_shape),
    _avg_pool(3, rules.avg_pool3d_shape),
    BlockKind(
        "adaptive_avg_pool1d", "AdaptiveAvgPool1d", POOLING.name,
        "average pooling to a fixed output length",
        (int_param("output_size", 1, "output length", 1, MAX_DIM),),
        rules.adaptive_pool1d_shape, code=_adaptive_length,
        summary=lambda p: f"adaptive avg {p['output_size']}", ranks=SEQUENCE,
        torch_class="AdaptiveAvgPool1d",
    ),
    _adaptive_pool("avg", 2, rules.adaptive_pool2d_shape,
                   "output height (and width; one value = square)"),
    _adaptive_pool("avg", 3, rules.adaptive_pool3d_shape,
                   "output depth, height and width (one value = cube)"),
    _adaptive_pool("max", 2, rules.adaptive_pool2d_shape,
                   "output height (and width; one value = square)"),
)  # fmt: skip
