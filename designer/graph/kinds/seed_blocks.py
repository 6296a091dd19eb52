"""The seed's blocks: conv and dec blocks built by factories, and stacks of them over a list of
sizes (an ``nn.Sequential``, or an ``nn.ModuleList`` whose every output is kept)."""

from __future__ import annotations

from designer.graph import shape_rules as rules
from designer.graph.block_code import BlockCode, CodeContext, Params, call
from designer.graph.kind import BlockKind
from designer.graph.kinds.categories import BLOCKS
from designer.graph.kinds.common import (
    BIAS,
    CHANNELS_PIN,
    FEATURES_PIN,
    IMAGE,
    IN_CHANNELS,
    IN_FEATURES,
    KERNEL,
    PADDING,
    STRIDE,
    activation_param,
    kernel_text,
    sizes_text,
)
from designer.graph.params import bool_param, int_list_param, int_param

FACTORY_ACTIVATION_DEFAULTS = {"conv_block": "relu", "dec_block": "sigmoid"}
"""The activation each factory picks when not told: calls leave it out."""

_BATCH_NORM = bool_param("batch_norm", True, "follow the convolution with BatchNorm2d")
_KEEP_OUTPUTS = bool_param(
    "keep_outputs", False, "keep every layer's output (an nn.ModuleList with a trace)"
)


def _factory_call(factory: str, in_size: str, out_size: str, context: CodeContext) -> str:
    params, needs = context.params, context.needs
    activation = params["activation"]
    assert isinstance(activation, str)
    needs.palette.add(activation)
    arguments = [in_size, out_size]
    if activation != FACTORY_ACTIVATION_DEFAULTS[factory]:
        arguments.append(f"activation={activation!r}")
    if factory == "conv_block":
        needs.conv_block = True
        if not params["batch_norm"]:
            needs.conv_block_batch_norm = True
            arguments.append("batch_norm=False")
        arguments.append(f"kernel_size={params['kernel_size']}")
        arguments += context.keywords({"stride": 1, "padding": 0})
    else:
        needs.dec_block = True
    arguments += context.keywords({"bias": True})
    return call(factory, arguments)


def _stack(context: CodeContext, in_size: int, item: str) -> BlockCode:
    params, sizes_name = context.params, context.sizes_name
    sizes = params["sizes"]
    assert isinstance(sizes, tuple)
    context.needs.stacks = True
    pairs = f"for in_f, out_f in zip({sizes_name}, {sizes_name}[1:])"
    keep = bool(params["keep_outputs"])
    constructor = (
        f"nn.ModuleList([{item} {pairs}])" if keep else f"nn.Sequential(*[{item} {pairs}])"
    )
    return BlockCode(
        setup=(f"{sizes_name} = {[in_size, *sizes]!r}",),
        constructor=constructor,
        keeps_outputs=keep,
    )


def _conv_block_code(context: CodeContext) -> BlockCode:
    out = str(context.params["out_channels"])
    return BlockCode(constructor=_factory_call("conv_block", str(context.shape[1]), out, context))


def _dec_block_code(context: CodeContext) -> BlockCode:
    out = str(context.params["out_features"])
    return BlockCode(constructor=_factory_call("dec_block", str(context.shape[-1]), out, context))


def _conv_stack_code(context: CodeContext) -> BlockCode:
    item = _factory_call("conv_block", "in_f", "out_f", context)
    return _stack(context, context.shape[1], item)


def _dec_stack_code(context: CodeContext) -> BlockCode:
    item = _factory_call("dec_block", "in_f", "out_f", context)
    return _stack(context, context.shape[-1], item)


def _linear_stack_code(context: CodeContext) -> BlockCode:
    item = call("nn.Linear", ["in_f", "out_f", *context.keywords({"bias": True})])
    return _stack(context, context.shape[-1], item)


def _with_activation(text: str, params: Params) -> str:
    extra = ", bn" if params.get("batch_norm") else ""
    return f"{text}{extra}, {params['activation']}"


KINDS = (
    BlockKind(
        "conv_block", "conv block", BLOCKS.name,
        "Conv2d, optional BatchNorm2d and an activation (the seed's conv_block)",
        (
            int_param("out_channels", 32, "output channels"),
            KERNEL, STRIDE, PADDING, BIAS, _BATCH_NORM, activation_param("relu"), IN_CHANNELS,
        ),
        rules.conv_block_shape, rules.conv_block_parameters, _conv_block_code,
        lambda p: _with_activation(f"conv {p['out_channels']}, {kernel_text(p)}", p),
        pin=CHANNELS_PIN, ranks=IMAGE,
    ),
    BlockKind(
        "dec_block", "dec block", BLOCKS.name, "Linear and an activation (the seed's dec_block)",
        (int_param("out_features", 512, "output features"), BIAS, activation_param("sigmoid"),
         IN_FEATURES),
        rules.linear_shape, rules.dec_block_parameters, _dec_block_code,
        lambda p: f"dec {p['out_features']}, {p['activation']}", pin=FEATURES_PIN,
    ),
    BlockKind(
        "conv_stack", "conv stack", BLOCKS.name,
        "conv blocks over a list of channel sizes (the seed's dynamic Sequential)",
        (
            int_list_param("sizes", (32, 64), "output channels of each conv block"),
            KERNEL, STRIDE, PADDING, BIAS, _BATCH_NORM, activation_param("relu"), _KEEP_OUTPUTS,
            IN_CHANNELS,
        ),
        rules.conv_stack_shape, rules.conv_stack_parameters, _conv_stack_code,
        lambda p: _with_activation(f"conv {sizes_text(p)}, {kernel_text(p)}", p),
        pin=CHANNELS_PIN, ranks=IMAGE, stack=True,
    ),
    BlockKind(
        "dec_stack", "dec stack", BLOCKS.name, "dec blocks over a list of feature sizes",
        (
            int_list_param("sizes", (1024, 512), "output features of each dec block"),
            BIAS, activation_param("sigmoid"), _KEEP_OUTPUTS, IN_FEATURES,
        ),
        rules.linear_stack_shape, rules.dec_stack_parameters, _dec_stack_code,
        lambda p: f"dec {sizes_text(p)}, {p['activation']}", pin=FEATURES_PIN, stack=True,
    ),
    BlockKind(
        "linear_stack", "linear stack", BLOCKS.name, "Linear layers over a list of feature sizes",
        (int_list_param("sizes", (16, 32), "output features of each layer"), BIAS,
         _KEEP_OUTPUTS, IN_FEATURES),
        rules.linear_stack_shape, rules.linear_stack_parameters, _linear_stack_code,
        lambda p: f"linear {sizes_text(p)}", pin=FEATURES_PIN, stack=True,
    ),
)  # fmt: skip
