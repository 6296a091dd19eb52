"""How a block reads on the canvas: its key sizes in a few words ("conv 32, 3x3, lrelu").

Plain functions of the block record, with no Qt, so the wording is tested on its own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from designer.graph import Block, block_kind
from designer.graph.params import ParamValue

Params = Mapping[str, ParamValue]


def _sizes(params: Params) -> str:
    sizes = params["sizes"]
    assert isinstance(sizes, tuple)
    return "[" + ", ".join(str(size) for size in sizes) + "]"


def _kernel(params: Params) -> str:
    kernel = params["kernel_size"]
    text = f"{kernel}x{kernel}"
    if params.get("stride", 1) not in (1, None):
        text += f"/{params['stride']}"
    return text


def _dims(value: ParamValue) -> str:
    assert isinstance(value, tuple)
    return "x".join(str(size) for size in value)


def _with_activation(text: str, params: Params) -> str:
    extra = ", bn" if params.get("batch_norm") else ""
    return f"{text}{extra}, {params['activation']}"


_SUMMARIES: dict[str, Callable[[Params], str]] = {
    "input": lambda p: (
        "x".join(str(size) for size in p["shape"])  # type: ignore[union-attr]
        + f" {p['dtype']}"
    ),
    "output": lambda p: "returned",
    "conv_block": lambda p: _with_activation(f"conv {p['out_channels']}, {_kernel(p)}", p),
    "dec_block": lambda p: f"dec {p['out_features']}, {p['activation']}",
    "conv_stack": lambda p: _with_activation(f"conv {_sizes(p)}, {_kernel(p)}", p),
    "dec_stack": lambda p: f"dec {_sizes(p)}, {p['activation']}",
    "linear_stack": lambda p: f"linear {_sizes(p)}",
    "conv2d": lambda p: f"Conv2d {p['out_channels']}, {_kernel(p)}",
    "conv_transpose2d": lambda p: f"ConvT {p['out_channels']}, {_kernel(p)}",
    "linear": lambda p: f"Linear {p['out_features']}",
    "batch_norm1d": lambda p: "BatchNorm1d",
    "batch_norm2d": lambda p: "BatchNorm2d",
    "max_pool2d": lambda p: f"max pool {_kernel(p)}",
    "avg_pool2d": lambda p: f"avg pool {_kernel(p)}",
    "adaptive_avg_pool2d": lambda p: f"adaptive avg {_dims(p['output_size'])}",
    "dropout": lambda p: f"dropout {p['p']:g}",
    "flatten": lambda p: f"flatten {p['start_dim']}..{p['end_dim']}",
    "upsample": lambda p: f"upsample x{p['scale_factor']:g}, {p['mode']}",
    "activation": lambda p: str(p["activation"]),
    "add": lambda p: f"add {p['inputs']} inputs",
    "concat": lambda p: f"concat {p['inputs']} on dim {p['dim']}",
}


def block_summary(block: Block) -> str:
    """The block's kind and key sizes, e.g. ``conv 32, 3x3, lrelu``."""
    summary = _SUMMARIES.get(block.kind)
    return summary(block.params) if summary else block_kind(block.kind).label
