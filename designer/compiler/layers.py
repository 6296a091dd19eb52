"""What each block kind becomes in code: a constructor, or a statement in ``forward``.

Constructors name only the arguments that differ from torch's defaults, as a person would
write them; in-sizes come from the shape check. Stacks become a comprehension over
``zip(sizes, sizes[1:])`` of the seed's ``conv_block`` / ``dec_block`` factories.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from designer.graph import ACTIVATIONS_BY_KEY, Block
from designer.graph.params import ParamValue
from designer.graph.shape_rules import Shape

Statement = Callable[[Sequence[str]], str]
"""Given the input variables, the expression a forward-only block computes."""

FACTORY_ACTIVATION_DEFAULTS = {"conv_block": "relu", "dec_block": "sigmoid"}


@dataclass(slots=True)
class Needs:
    """The helpers and imports the generated module must define."""

    conv_block: bool = False
    conv_block_batch_norm: bool = False
    """Whether some conv block leaves out BatchNorm2d (the factory then takes batch_norm)."""
    dec_block: bool = False
    palette: set[str] = field(default_factory=set)
    functional: bool = False
    stacks: bool = False
    """Whether some stack iterates ``zip(sizes, sizes[1:])``."""


@dataclass(frozen=True, slots=True)
class BlockCode:
    setup: tuple[str, ...] = ()
    """Lines run in ``__init__`` before the constructor (a stack's size list)."""
    constructor: str | None = None
    """The sub-module; None for blocks that live in ``forward`` only."""
    statement: Statement | None = None
    """For forward-only blocks: the expression computing their output."""
    keeps_outputs: bool = False
    """An ``nn.ModuleList`` whose every output ``forward`` keeps in a trace."""


def _literal(value: ParamValue) -> str:
    return repr(list(value)) if isinstance(value, tuple) else repr(value)


def _keywords(params: Mapping[str, ParamValue], defaults: Mapping[str, ParamValue]) -> list[str]:
    return [
        f"{name}={_literal(params[name])}"
        for name, default in defaults.items()
        if params[name] != default
    ]


def _dim(value: ParamValue, rank: int) -> int:
    """A dimension counted from the front: the safety allow-list has no negative numbers."""
    assert isinstance(value, int)
    return value + rank if value < 0 else value


def _call(function: str, arguments: Sequence[str]) -> str:
    return f"{function}({', '.join(arguments)})"


def _activation_module(key: str) -> str:
    entry = ACTIVATIONS_BY_KEY[key]
    return _call(f"nn.{entry.module}", [f"{name}={value!r}" for name, value in entry.kwargs])


def _factory_call(
    factory: str, in_size: str, out_size: str, params: Mapping[str, ParamValue], needs: Needs
) -> str:
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
        arguments += _keywords(params, {"stride": 1, "padding": 0})
    else:
        needs.dec_block = True
    arguments += _keywords(params, {"bias": True})
    return _call(factory, arguments)


def _stack(block: Block, in_size: int, sizes_name: str, item: str, needs: Needs) -> BlockCode:
    sizes = block.params["sizes"]
    assert isinstance(sizes, tuple)
    needs.stacks = True
    container = "nn.ModuleList" if block.params["keep_outputs"] else "nn.Sequential"
    pairs = f"for in_f, out_f in zip({sizes_name}, {sizes_name}[1:])"
    if container == "nn.Sequential":
        constructor = f"{container}(*[{item} {pairs}])"
    else:
        constructor = f"{container}([{item} {pairs}])"
    return BlockCode(
        setup=(f"{sizes_name} = {[in_size, *sizes]!r}",),
        constructor=constructor,
        keeps_outputs=bool(block.params["keep_outputs"]),
    )


def _convolution(
    module: str, shape: Shape, params: Mapping[str, ParamValue], defaults: Mapping[str, ParamValue]
) -> BlockCode:
    """A convolution's constructor: in and out channels, kernel, and what differs from torch."""
    common = {"stride": 1, "padding": 0, "groups": 1, "bias": True}
    arguments = [str(shape[1]), str(params["out_channels"]), f"kernel_size={params['kernel_size']}"]
    keywords = _keywords(params, {**common, **defaults})
    return BlockCode(constructor=_call(module, [*arguments, *keywords]))


def block_code(block: Block, inputs: Sequence[Shape], sizes_name: str, needs: Needs) -> BlockCode:
    """The code for one block, given the shapes reaching it."""
    p = block.params
    shape = inputs[0] if inputs else ()
    match block.kind:
        case "conv_block":
            return BlockCode(
                constructor=_factory_call(
                    "conv_block", str(shape[1]), str(p["out_channels"]), p, needs
                )
            )
        case "dec_block":
            return BlockCode(
                constructor=_factory_call(
                    "dec_block", str(shape[-1]), str(p["out_features"]), p, needs
                )
            )
        case "conv_stack":
            item = _factory_call("conv_block", "in_f", "out_f", p, needs)
            return _stack(block, shape[1], sizes_name, item, needs)
        case "dec_stack":
            item = _factory_call("dec_block", "in_f", "out_f", p, needs)
            return _stack(block, shape[-1], sizes_name, item, needs)
        case "linear_stack":
            item = _call("nn.Linear", ["in_f", "out_f", *_keywords(p, {"bias": True})])
            return _stack(block, shape[-1], sizes_name, item, needs)
        case "conv2d":
            return _convolution("nn.Conv2d", shape, p, {"dilation": 1})
        case "conv_transpose2d":
            return _convolution(
                "nn.ConvTranspose2d", shape, p, {"output_padding": 0, "dilation": 1}
            )
        case "linear":
            return BlockCode(
                constructor=_call(
                    "nn.Linear",
                    [str(shape[-1]), str(p["out_features"]), *_keywords(p, {"bias": True})],
                )
            )
        case "batch_norm1d" | "batch_norm2d":
            module = "nn.BatchNorm1d" if block.kind == "batch_norm1d" else "nn.BatchNorm2d"
            return BlockCode(
                constructor=_call(
                    module,
                    [
                        str(shape[1]),
                        *_keywords(
                            p,
                            {
                                "eps": 1e-5,
                                "momentum": 0.1,
                                "affine": True,
                                "track_running_stats": True,
                            },
                        ),
                    ],
                )
            )
        case "max_pool2d":
            return BlockCode(
                constructor=_call(
                    "nn.MaxPool2d",
                    [
                        f"kernel_size={p['kernel_size']}",
                        *_keywords(
                            p, {"stride": None, "padding": 0, "dilation": 1, "ceil_mode": False}
                        ),
                    ],
                )
            )
        case "avg_pool2d":
            return BlockCode(
                constructor=_call(
                    "nn.AvgPool2d",
                    [
                        f"kernel_size={p['kernel_size']}",
                        *_keywords(p, {"stride": None, "padding": 0, "ceil_mode": False}),
                    ],
                )
            )
        case "adaptive_avg_pool2d":
            size = p["output_size"]
            assert isinstance(size, tuple)
            argument = str(size[0]) if len(size) == 1 else repr(size)
            return BlockCode(constructor=_call("nn.AdaptiveAvgPool2d", [argument]))
        case "dropout":
            return BlockCode(constructor=_call("nn.Dropout", _keywords(p, {"p": 0.5})))
        case "flatten":
            start = _dim(p["start_dim"], len(shape))
            end = p["end_dim"] if p["end_dim"] == -1 else _dim(p["end_dim"], len(shape))
            if p["functional"]:
                tail = f"{start}" if end == -1 else f"{start}, {end}"
                return BlockCode(statement=lambda names: f"{names[0]}.flatten({tail})")
            dims = {"start_dim": start, "end_dim": end}
            return BlockCode(
                constructor=_call("nn.Flatten", _keywords(dims, {"start_dim": 1, "end_dim": -1}))
            )
        case "upsample":
            keywords = [f"scale_factor={p['scale_factor']!r}", f"mode={p['mode']!r}"]
            if p["mode"] in ("bilinear", "bicubic") and p["align_corners"]:
                keywords.append("align_corners=True")
            return BlockCode(constructor=_call("nn.Upsample", keywords))
        case "activation":
            key = p["activation"]
            assert isinstance(key, str)
            function = ACTIVATIONS_BY_KEY[key].function
            if p["functional"] and function is not None:
                needs.functional = needs.functional or function.startswith("F.")
                return BlockCode(statement=lambda names: f"{function}({names[0]})")
            return BlockCode(constructor=_activation_module(key))
        case "add":
            return BlockCode(statement=" + ".join)
        case "concat":
            dim = _dim(p["dim"], len(shape))
            return BlockCode(statement=lambda names: f"torch.cat([{', '.join(names)}], dim={dim})")
    raise AssertionError(f"no code for block kind {block.kind!r}")  # a catalogue test guards


def palette_source(keys: set[str]) -> str:
    """The ModuleDict entries for the activations the factories pick from, in palette order."""
    entries = [f"{key!r}: {_activation_module(key)}" for key in ACTIVATIONS_BY_KEY if key in keys]
    return "{" + ", ".join(entries) + "}"
