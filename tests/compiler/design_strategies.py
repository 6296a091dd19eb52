"""Random valid designs for hypothesis, built through the public ``Design`` API.

A design starts from one input, sometimes two: an image (N x C x H x W), features (N x F), a
signal (N x C x L), a volume (N x C x D x H x W), a sequence (N x L x E), or token indices
(int64, N x L) that an Embedding turns into a sequence. It grows a main line: single blocks of
every kind with parameters drawn from small ranges, residual branches merged by Add (some
broadcasting a 1x1 gate), gates merged by Multiply, skips joined by Concat, U-Net style
down-and-up skips, attention written out with MatMul, cross-attention and decoder layers over a
second sequence, recurrent layers whose final states are read too, shape operations that move
the line from one rank to another, and units built inside a group (twice with one class name,
sometimes, so that the class is shared). Contiguous runs of blocks are then grouped, nested
sometimes, with and without class names, and one or two outputs are attached.

Along the way: pinned in-sizes, keep_outputs stacks, functional activations and flattens,
negative dims, dead ends (a block nothing reads), an input nothing reads, outputs that return
an input, a recurrent layer's final state or a value inside a group, block and input names that
clash with what generated code uses (``x``, ``out``, ``layer``, ``trace``, ``self``, ``F``,
``torch``, ``zip``...), and inputs in float64, float16 or bfloat16 now and then.

Every block's output shape is worked out with the catalogue's own rule before the block is
added; a block whose drawn parameters don't fit its input is simply not added. So nearly every
design is valid, and tests keep the rest out with ``assume(check_design(design).ok)``.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

import torch
from hypothesis import strategies as st

from designer.compiler.inputs import input_specs
from designer.graph import ACTIVATIONS_BY_KEY, Design, block_kind, check_design
from designer.graph.kind import INDEX_DTYPES
from designer.graph.model import OUTPUT_PORT
from designer.graph.params import ParamValue
from designer.graph.shape_rules import ShapeRuleError

Shape = tuple[int, ...]
Params = dict[str, ParamValue]

ACTIVATION_KEYS: Final = tuple(ACTIVATIONS_BY_KEY)
FUNCTIONAL_KEYS: Final = tuple(key for key, entry in ACTIVATIONS_BY_KEY.items() if entry.function)
MAX_ELEMENTS: Final = 30_000
"""Largest tensor (batch included) a design may make: keeps every model tiny and fast."""
MAX_CHANNELS: Final = 8
MAX_FEATURES: Final = 16
MAX_HIDDEN: Final = 16
"""Widest hidden layer of a recurrent or feed-forward block."""
DTYPES: Final = ("float32",) * 5 + ("float64", "float16", "bfloat16")
"""Mostly float32; the weights take the inputs' dtype."""
VOLUME_DTYPES: Final = ("float32",) * 3 + ("float64",)
"""Torch has no AvgPool3d for float16 or bfloat16 on the CPU."""
MODEL_CLASS_NAMES: Final = ("Net", "MyModel", "Tiny", "Model")
INPUT_NAMES: Final = ("x", "image", "features", "input", "F", "torch", "out", "layer")
"""Names that also read as forward() locals, builtins or module names: the compiler must cope."""
AWKWARD_NAMES: Final = (
    "x", "x1", "out", "out_1", "layer", "layers", "trace", "layer_trace", "torch",
    "nn", "F", "sum", "zip", "list", "super", "conv_block", "activations",
)  # fmt: skip
GROUP_NAMES: Final = ("stage", "block", "encoder", "head", "my_stage", "unit", "x", "layer")
CLASS_NAME_STEMS: Final = ("MyStage", "Unit", "Body")
TORCH_LAYERS: Final[tuple[tuple[str, ParamValue], ...]] = (
    ("Hardtanh", ()),
    ("Hardtanh", (("min_val", -0.5), ("max_val", 0.5))),
    ("LeakyReLU", (("negative_slope", 0.2),)),
    ("Softsign", ()),
    ("CELU", (("alpha", 0.5),)),
    ("Threshold", (("threshold", 0.1), ("value", -1.0))),
)
"""torch.nn layers for the torch_layer kind: any shape in, the same shape out."""
INPUT_LINES: Final = (
    ("volume",) * 3 + ("tokens",) * 3 + ("sequence",) * 3 + ("signal",) * 3
    + ("features",) * 3 + ("image",) * 6
)  # fmt: skip
"""The kinds of first input. Hypothesis draws the first of a list more often than the last,
here and in the other lists: the lines and kinds with fewest other ways in come first."""


@dataclass(frozen=True, slots=True)
class Value:
    """A block's output (at one of its ports) and its shape (batch first)."""

    block_id: str
    shape: Shape
    port: str = OUTPUT_PORT
    indices: bool = False
    """It holds integer indices (token ids), which only an Embedding reads."""


@dataclass(frozen=True, slots=True)
class Step:
    """A block to add: its kind and the parameters that differ from the defaults."""

    kind: str
    params: Mapping[str, ParamValue]


Inputs = Sequence[Value] | Mapping[str, Value]
"""What a block reads: one value for each input port in order, or values by port (ports that
default to another, as attention's key and value do, may be left out)."""


@dataclass(slots=True)
class Builder:
    """A design under construction, with the shape of every value it has made."""

    design: Design
    draw: st.DrawFn
    scope_items: dict[str | None, list[str]] = field(default_factory=lambda: {None: []})
    """The blocks and groups in each scope (None: the top level), in creation order."""
    values: list[Value] = field(default_factory=list)
    """Every value made at the top level, for extra outputs."""
    class_names: Counter[str] = field(default_factory=Counter)
    memory: Value | None = None
    """A second sequence (an input) that cross-attention and decoder layers may attend to."""

    def add(
        self,
        step: Step,
        inputs: Inputs,
        *,
        group: str | None = None,
        named: bool = True,
    ) -> Value | None:
        """Add ``step`` fed by ``inputs``; None (and nothing added) if its shapes don't fit."""
        entry = block_kind(step.kind)
        params = entry.validate_params(step.params)
        ports = entry.input_ports(params)
        if isinstance(inputs, Mapping):
            connected = dict(inputs)
        else:
            assert len(inputs) <= len(ports)
            connected = dict(zip(ports, inputs, strict=False))
        fed = [entry.fed_from(port, connected) for port in ports]
        if None in fed:
            return None
        shapes = [connected[port].shape for port in fed if port is not None]
        if not all(entry.ranks.accepts(len(shape)) for shape in shapes):
            return None
        if any(
            value.indices != entry.takes_indices and not (value.indices and entry.keeps_dtype)
            for value in connected.values()
        ):
            return None
        if entry.problem_rule is not None and entry.problem_rule(params):
            return None
        try:
            shape = entry.shape_rule(params, shapes)
            others = entry.outputs_rule(params, shapes, shape) if entry.outputs_rule else ()
        except ShapeRuleError:
            return None
        if not all(made and math.prod(made) <= MAX_ELEMENTS for made in (shape, *others)):
            return None
        if min(shape) < 1:
            return None
        name = None
        if named and self.draw(st.integers(0, 9)) == 0:
            wanted = self.draw(st.sampled_from(AWKWARD_NAMES))
            name = None if self.design.name_in_use(wanted, group) else wanted
        block = self.design.add_block(step.kind, name=name, params=step.params, group=group)
        for port, value in connected.items():
            self.design.connect(value.block_id, block.id, port, value.port)
        if group in self.scope_items:
            self.scope_items[group].append(block.id)
        indices = entry.keeps_dtype and any(value.indices for value in connected.values())
        made = Value(block.id, shape, indices=indices)
        if group is None:
            self.values.append(made)
            for port, other in zip(entry.output_ports()[1:], others, strict=True):
                self.values.append(Value(block.id, other, port))
        return made

    def state(self, value: Value, port: str) -> Value:
        """Another output of the block that made ``value`` (a recurrent layer's ``h_n``)."""
        for made in self.values:
            if made.block_id == value.block_id and made.port == port:
                return made
        raise AssertionError(f"{value.block_id} has no output {port}")

    def chain(
        self,
        value: Value,
        steps: Callable[[st.DrawFn, Shape], Step],
        count: int,
        group: str | None = None,
    ) -> Value:
        """``count`` steps drawn one after another; the ones that don't fit are left out."""
        for _ in range(count):
            value = self.add(steps(self.draw, value.shape), [value], group=group) or value
        return value

    def replay(self, value: Value, plan: Sequence[Step], group: str | None) -> Value:
        for step in plan:
            value = self.add(step, [value], group=group, named=False) or value
        return value

    def new_class_name(self) -> str:
        stem = self.draw(st.sampled_from(CLASS_NAME_STEMS))
        self.class_names[stem] += 1
        return f"{stem}{self.class_names[stem]}"


# --- parameters ------------------------------------------------------------------------------


def _flag(draw: st.DrawFn) -> bool:
    return draw(st.booleans())


def _pin(draw: st.DrawFn, size: int) -> int | None:
    """An in-size: inferred (None) mostly, sometimes pinned to the size that arrives."""
    return size if draw(st.integers(0, 3)) == 0 else None


def _activation(draw: st.DrawFn) -> str:
    return draw(st.sampled_from(ACTIVATION_KEYS))


def _sizes(draw: st.DrawFn, largest: int) -> tuple[int, ...]:
    return tuple(draw(st.lists(st.integers(1, largest), min_size=1, max_size=3)))


def _divisors(number: int) -> list[int]:
    return [divisor for divisor in range(1, number + 1) if number % divisor == 0]


def _dim(draw: st.DrawFn, axis: int, rank: int) -> int:
    """``axis`` as a dim parameter: counted from the front or, sometimes, from the back."""
    return axis - rank if _flag(draw) else axis


def _sample_axis(draw: st.DrawFn, rank: int) -> int:
    """A dim after the batch."""
    return draw(st.integers(1, rank - 1))


# --- blocks for any rank ---------------------------------------------------------------------


def _any_rank_step(draw: st.DrawFn, shape: Shape) -> Step:
    """A block that works on any shape and keeps it."""
    choice = draw(st.integers(0, 9))
    if choice <= 2:
        return _dropout(draw, shape)
    if choice == 3:
        return Step("identity", {})
    if choice == 4 and len(shape) > 1:
        kind = draw(st.sampled_from(["softmax", "log_softmax"]))
        return Step(kind, {"dim": _dim(draw, _sample_axis(draw, len(shape)), len(shape))})
    if choice == 5:
        class_name, kwargs = draw(st.sampled_from(TORCH_LAYERS))
        return Step("torch_layer", {"class_name": class_name, "kwargs": kwargs})
    key = _activation(draw)
    functional = key in FUNCTIONAL_KEYS and _flag(draw)
    return Step("activation", {"activation": key, "functional": functional})


def _dropout(draw: st.DrawFn, shape: Shape) -> Step:
    """Dropout, or on 3-d and 4-d inputs sometimes the kind that drops whole channels."""
    p = draw(st.sampled_from([0.0, 0.25, 0.5, 1.0]))
    channel_kinds = {3: "dropout1d", 4: "dropout2d"}
    if len(shape) in channel_kinds and _flag(draw):
        return Step(channel_kinds[len(shape)], {"p": p})
    return Step("dropout", {"p": p})


def _batch_norm(draw: st.DrawFn, kind: str, shape: Shape) -> Step:
    return Step(
        kind,
        {
            "eps": draw(st.sampled_from([1e-5, 1e-3])),
            "momentum": draw(st.sampled_from([0.1, 0.5])),
            "affine": _flag(draw),
            "track_running_stats": draw(st.integers(0, 3)) > 0,
            "num_features": _pin(draw, shape[1]) if len(shape) > 1 else None,
        },
    )


def _norm(draw: st.DrawFn, shape: Shape) -> Step:
    """A normalisation that suits the rank: batch, instance, group, layer or RMS."""
    rank = len(shape)
    if rank < 2:  # the batch was flattened away: nothing to normalise over
        return _dropout(draw, shape)
    for_rank = {
        2: ["batch_norm1d"],
        3: ["instance_norm1d", "batch_norm1d"],
        4: ["instance_norm2d", "batch_norm2d"],
        5: ["batch_norm3d"],
    }
    kinds = [*for_rank.get(rank, []), "group_norm", "layer_norm", "rms_norm"]
    kind = draw(st.sampled_from(kinds))
    eps = draw(st.sampled_from([1e-5, 1e-3]))
    if kind.startswith(("batch_norm", "instance_norm")):
        step = _batch_norm(draw, kind, shape)
        if kind.startswith("instance_norm"):  # off by default, unlike batch norm's
            step = Step(kind, {**step.params, "track_running_stats": _flag(draw)})
        return step
    if kind == "group_norm":
        return Step(
            kind,
            {
                "num_groups": draw(st.sampled_from(_divisors(shape[1]))),
                "eps": eps,
                "affine": _flag(draw),
                "num_channels": _pin(draw, shape[1]),
            },
        )
    dims = draw(st.integers(1, min(3, rank - 1)))
    if kind == "layer_norm":
        return Step(
            kind,
            {"dims": dims, "eps": eps, "elementwise_affine": _flag(draw), "bias": _flag(draw)},
        )
    return Step(
        kind,
        {
            "dims": dims,
            "dtype_eps": _flag(draw),
            "eps": eps,
            "elementwise_affine": _flag(draw),
        },
    )


def _split(draw: st.DrawFn, size: int) -> tuple[int, ...]:
    """Two sizes whose product is ``size``, one of them sometimes left to torch (-1)."""
    first = draw(st.sampled_from(_divisors(size)))
    second = size // first
    choice = draw(st.integers(0, 2))
    return (first, -1) if choice == 0 else (-1, second) if choice == 1 else (first, second)


def shape_step(draw: st.DrawFn, shape: Shape) -> Step:
    """A tensor shape operation on the dims after the batch; the rank may change (never below
    2: the batch stays, and something with it)."""
    rank = len(shape)
    axis = _sample_axis(draw, rank)
    size = shape[axis]
    kind = draw(
        st.sampled_from(
            [
                "permute", "unsqueeze", "squeeze", "unflatten", "sum", "slice", "select",
                "reshape", "transpose", "mean",
            ]
        )
    )  # fmt: skip
    dim = _dim(draw, axis, rank)
    match kind:
        case "reshape":
            whole = math.prod(shape[1:])
            sizes = (-1,) if _flag(draw) else _split(draw, whole)
            return Step(kind, {"shape": sizes})
        case "unflatten" if rank <= 4:
            return Step(kind, {"dim": dim, "sizes": _split(draw, size)})
        case "permute" | "transpose" if rank >= 3:
            others = draw(st.permutations(range(1, rank)))
            if kind == "permute":
                return Step(kind, {"dims": (0, *(_dim(draw, other, rank) for other in others))})
            return Step(kind, {"dim0": dim, "dim1": _dim(draw, others[0], rank)})
        case "squeeze" if rank >= 3:
            ones = [index for index in range(1, rank) if shape[index] == 1]
            chosen = draw(st.sampled_from(ones)) if ones and _flag(draw) else axis
            return Step(kind, {"dim": _dim(draw, chosen, rank)})
        case "unsqueeze" if rank <= 4:
            place = draw(st.integers(1, rank))
            return Step(kind, {"dim": place - rank - 1 if _flag(draw) else place})
        case "select" if rank >= 3:
            return Step(kind, {"dim": dim, "index": draw(st.integers(-size, size - 1))})
        case "slice":
            first = draw(st.integers(0, size - 1))
            start = first - size if _flag(draw) else first
            stop = draw(st.one_of(st.none(), st.integers(first + 1, size)))
            return Step(
                kind, {"dim": dim, "start": start, "stop": stop, "step": draw(st.integers(1, 2))}
            )
        case "mean" | "sum":
            keepdim = rank == 2 or _flag(draw)
            axes = draw(
                st.lists(st.integers(1, rank - 1), min_size=1, max_size=rank - 1, unique=True)
            )
            if not keepdim and len(axes) == rank - 1:
                axes = axes[1:]
            if not axes:
                keepdim, axes = True, [axis]
            return Step(
                kind, {"dims": tuple(_dim(draw, each, rank) for each in axes), "keepdim": keepdim}
            )
    return _any_rank_step(draw, shape)


# --- convolutions and pools, for 1, 2 or 3 spatial dims ---------------------------------------


def _conv(
    draw: st.DrawFn, kind: str, shape: Shape, out_per_group: int | None, **fixed: int
) -> Step:
    """A Conv1d, Conv2d or Conv3d; ``out_per_group`` None keeps the channel count."""
    channels = shape[1]
    groups = draw(st.sampled_from(_divisors(channels)))
    out = channels if out_per_group is None else groups * out_per_group
    params: Params = {
        "out_channels": out,
        "kernel_size": draw(st.integers(1, 3)),
        "stride": draw(st.integers(1, 2)),
        "padding": draw(st.integers(0, 2)),
        "dilation": draw(st.integers(1, 2)),
        "groups": groups,
        "bias": _flag(draw),
        "in_channels": _pin(draw, channels),
    }
    params.update(fixed)
    return Step(kind, params)


def _same_conv(draw: st.DrawFn, kind: str, shape: Shape, out_per_group: int | None) -> Step:
    """A convolution that keeps the spatial sizes (odd kernel, padded by half its reach)."""
    kernel = draw(st.sampled_from([1, 3]))
    dilation = draw(st.integers(1, 2))
    return _conv(
        draw,
        kind,
        shape,
        out_per_group,
        kernel_size=kernel,
        stride=1,
        padding=dilation * (kernel // 2),
        dilation=dilation,
    )


def _conv_transpose(draw: st.DrawFn, kind: str, shape: Shape) -> Step:
    channels = shape[1]
    groups = draw(st.sampled_from(_divisors(channels)))
    stride, dilation = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    return Step(
        kind,
        {
            "out_channels": groups * draw(st.integers(1, 3)),
            "kernel_size": draw(st.integers(1, 3)),
            "stride": stride,
            "padding": draw(st.integers(0, 1)),
            "output_padding": draw(st.integers(0, max(stride, dilation) - 1)),
            "dilation": dilation,
            "groups": groups,
            "bias": _flag(draw),
            "in_channels": _pin(draw, channels),
        },
    )


def _pool(draw: st.DrawFn, kind: str) -> Step:
    """A max or average pool (``kind`` names which, and its dims)."""
    kernel = draw(st.integers(1, 3))
    params: Params = {
        "kernel_size": kernel,
        "stride": draw(st.one_of(st.none(), st.integers(1, 3))),
        "padding": draw(st.integers(0, kernel // 2)),
        "ceil_mode": _flag(draw),
    }
    if kind.startswith("max"):
        params["dilation"] = draw(st.integers(1, 2))
    return Step(kind, params)


def _same_pool(draw: st.DrawFn, dims: int) -> Step:
    kind = draw(st.sampled_from(["max_pool", "avg_pool"]))
    return Step(f"{kind}{dims}d", {"kernel_size": 3, "stride": 1, "padding": 1})


def _adaptive_pool(draw: st.DrawFn, kind: str, dims: int) -> Step:
    sizes = st.lists(st.integers(1, 4), min_size=1, max_size=dims)
    output_size = draw(st.integers(1, 4)) if dims == 1 else tuple(draw(sizes))
    return Step(kind, {"output_size": output_size})


# --- steps for images (N x C x H x W) -------------------------------------------------------


def _conv_block(draw: st.DrawFn, shape: Shape, out: int, kernel: int, padding: int) -> Step:
    return Step(
        "conv_block",
        {
            "out_channels": out,
            "kernel_size": kernel,
            "stride": 1,
            "padding": padding,
            "bias": _flag(draw),
            "batch_norm": _flag(draw),
            "activation": _activation(draw),
            "in_channels": _pin(draw, shape[1]),
        },
    )


def _conv_stack(
    draw: st.DrawFn, shape: Shape, sizes: tuple[int, ...], kernel: int, padding: int
) -> Step:
    return Step(
        "conv_stack",
        {
            "sizes": sizes,
            "kernel_size": kernel,
            "stride": 1,
            "padding": padding,
            "bias": _flag(draw),
            "batch_norm": _flag(draw),
            "activation": _activation(draw),
            "keep_outputs": _flag(draw),
            "in_channels": _pin(draw, shape[1]),
        },
    )


def same_image_step(draw: st.DrawFn, shape: Shape) -> Step:
    """A block that keeps an image's shape."""
    channels, side = shape[1], shape[-1]
    choice = draw(st.integers(0, 7))
    if choice == 0:
        return _same_conv(draw, "conv2d", shape, None)
    if choice == 1:
        kernel = draw(st.sampled_from([1, 3]))
        return _conv_block(draw, shape, channels, kernel, kernel // 2)
    if choice == 2:
        kernel = draw(st.sampled_from([1, 3]))
        sizes = (*_sizes(draw, MAX_CHANNELS)[:-1], channels)
        return _conv_stack(draw, shape, sizes, kernel, kernel // 2)
    if choice == 3:
        return _norm(draw, shape)
    if choice == 4:
        return _same_pool(draw, 2)
    if choice == 5:
        return Step("linear", {"out_features": side, "bias": _flag(draw)})
    return _any_rank_step(draw, shape)


def channel_image_step(draw: st.DrawFn, shape: Shape) -> Step:
    """A block that keeps an image's height and width but may change its channels."""
    kernel = draw(st.sampled_from([1, 3]))
    out = draw(st.integers(1, MAX_CHANNELS))
    choice = draw(st.integers(0, 3))
    if choice == 0:
        return _same_conv(draw, "conv2d", shape, out)
    if choice == 1:
        return _conv_block(draw, shape, out, kernel, kernel // 2)
    if choice == 2:
        return _conv_stack(draw, shape, _sizes(draw, MAX_CHANNELS), kernel, kernel // 2)
    return same_image_step(draw, shape)


def _pad(draw: st.DrawFn, kind: str) -> Step:
    """Padding on the last one or two dims: negative crops (but not in a reflection)."""
    lowest = 0 if kind.startswith("reflection") else -1
    count = draw(st.sampled_from([1, 2 if kind.endswith("1d") else 4]))
    padding = tuple(draw(st.lists(st.integers(lowest, 2), min_size=count, max_size=count)))
    if kind.startswith("constant"):
        return Step(kind, {"padding": padding, "value": draw(st.sampled_from([0.0, -1.5]))})
    return Step(kind, {"padding": padding})


def _pixel_shuffle(draw: st.DrawFn, kind: str, shape: Shape) -> Step:
    """Channels into space, by a factor whose square divides them, or space into channels."""
    if kind == "pixel_shuffle":
        factors = [factor for factor in (1, 2) if shape[-3] % (factor * factor) == 0]
        return Step(kind, {"upscale_factor": draw(st.sampled_from(factors))})
    factors = [factor for factor in (1, 2, 3) if shape[-1] % factor == shape[-2] % factor == 0]
    return Step(kind, {"downscale_factor": draw(st.sampled_from(factors))})


def free_image_step(draw: st.DrawFn, shape: Shape) -> Step:
    """Any block an image can go through, with parameters from small ranges."""
    channels = shape[1]
    kind = draw(
        st.sampled_from(
            [
                "conv_transpose2d", "adaptive_max_pool2d", "reflection_pad2d", "zero_pad2d",
                "pixel_shuffle", "constant_pad2d", "pixel_unshuffle", "upsample",
                "avg_pool2d", "max_pool2d", "adaptive_avg_pool2d", "conv2d", "conv_block",
                "conv_stack", "same",
            ]
        )
    )  # fmt: skip
    match kind:
        case "conv_block" | "conv_stack":
            kernel = draw(st.integers(1, 3))
            params: Params = {
                "kernel_size": kernel,
                "stride": draw(st.integers(1, 2)),
                "padding": draw(st.integers(0, kernel // 2 + 1)),
                "bias": _flag(draw),
                "batch_norm": _flag(draw),
                "activation": _activation(draw),
                "in_channels": _pin(draw, channels),
            }
            if kind == "conv_block":
                params["out_channels"] = draw(st.integers(1, MAX_CHANNELS))
            else:
                params["sizes"] = _sizes(draw, MAX_CHANNELS)
                params["keep_outputs"] = _flag(draw)
            return Step(kind, params)
        case "conv2d":
            return _conv(draw, kind, shape, draw(st.integers(1, 3)))
        case "conv_transpose2d":
            return _conv_transpose(draw, kind, shape)
        case "max_pool2d" | "avg_pool2d":
            return _pool(draw, kind)
        case "adaptive_avg_pool2d" | "adaptive_max_pool2d":
            return _adaptive_pool(draw, kind, 2)
        case "upsample":
            mode = draw(st.sampled_from(["nearest", "nearest-exact", "bilinear", "bicubic"]))
            return Step(
                kind,
                {
                    "scale_factor": draw(st.sampled_from([0.5, 1.0, 1.5, 2.0])),
                    "mode": mode,
                    "align_corners": mode in ("bilinear", "bicubic") and _flag(draw),
                },
            )
        case "zero_pad2d" | "constant_pad2d" | "reflection_pad2d":
            return _pad(draw, kind)
        case "pixel_shuffle" | "pixel_unshuffle":
            return _pixel_shuffle(draw, kind, shape)
    return same_image_step(draw, shape)


# --- steps for signals (N x C x L) and volumes (N x C x D x H x W) ---------------------------


def same_signal_step(draw: st.DrawFn, shape: Shape) -> Step:
    """A block that keeps a signal's shape."""
    choice = draw(st.integers(0, 5))
    if choice <= 1:
        return _same_conv(draw, "conv1d", shape, None)
    if choice == 2:
        return _norm(draw, shape)
    if choice == 3:
        return _same_pool(draw, 1)
    return _any_rank_step(draw, shape)


def channel_signal_step(draw: st.DrawFn, shape: Shape) -> Step:
    """A block that keeps a signal's length but may change its channels."""
    if _flag(draw):
        return _same_conv(draw, "conv1d", shape, draw(st.integers(1, MAX_CHANNELS)))
    return same_signal_step(draw, shape)


def free_signal_step(draw: st.DrawFn, shape: Shape) -> Step:
    """Any block a signal can go through."""
    choice = draw(st.integers(0, 6))
    if choice == 0:
        return _conv_transpose(draw, "conv_transpose1d", shape)
    if choice == 1:
        return _adaptive_pool(draw, "adaptive_avg_pool1d", 1)
    if choice == 2:
        return _pad(draw, "constant_pad1d")
    if choice == 3:
        return _pool(draw, draw(st.sampled_from(["max_pool1d", "avg_pool1d"])))
    if choice == 4:
        return _conv(draw, "conv1d", shape, draw(st.integers(1, 3)))
    return channel_signal_step(draw, shape)


def same_volume_step(draw: st.DrawFn, shape: Shape) -> Step:
    """A block that keeps a volume's shape."""
    choice = draw(st.integers(0, 4))
    if choice <= 1:
        return _same_conv(draw, "conv3d", shape, None)
    if choice == 2:
        return _norm(draw, shape)
    if choice == 3:
        return _same_pool(draw, 3)
    return _any_rank_step(draw, shape)


def channel_volume_step(draw: st.DrawFn, shape: Shape) -> Step:
    """A block that keeps a volume's depth, height and width but may change its channels."""
    if _flag(draw):
        return _same_conv(draw, "conv3d", shape, draw(st.integers(1, 3)))
    return same_volume_step(draw, shape)


def free_volume_step(draw: st.DrawFn, shape: Shape) -> Step:
    """Any block a volume can go through."""
    choice = draw(st.integers(0, 5))
    if choice == 0:
        return _conv(
            draw, "conv3d", shape, draw(st.integers(1, 2)), kernel_size=draw(st.integers(1, 2))
        )
    if choice == 1:
        return _conv_transpose(draw, "conv_transpose3d", shape)
    if choice == 2:
        return _pool(draw, draw(st.sampled_from(["max_pool3d", "avg_pool3d"])))
    if choice == 3:
        return _adaptive_pool(draw, "adaptive_avg_pool3d", 3)
    return channel_volume_step(draw, shape)


# --- steps for features (N x F, or N x C x L) -----------------------------------------------


def _linear_like(draw: st.DrawFn, shape: Shape, out: int | None) -> Step:
    """A block on the last dimension; ``out`` None keeps its size."""
    last = shape[-1]
    choice = draw(st.integers(0, 3))
    size = last if out is None else out
    pin = _pin(draw, last)
    if choice == 0:
        return Step("linear", {"out_features": size, "bias": _flag(draw), "in_features": pin})
    if choice == 1:
        return Step(
            "dec_block",
            {
                "out_features": size,
                "bias": _flag(draw),
                "activation": _activation(draw),
                "in_features": pin,
            },
        )
    sizes = (*_sizes(draw, MAX_FEATURES)[:-1], size)
    params: Params = {
        "sizes": sizes,
        "bias": _flag(draw),
        "keep_outputs": _flag(draw),
        "in_features": pin,
    }
    if choice == 2:
        return Step("linear_stack", params)
    return Step("dec_stack", {**params, "activation": _activation(draw)})


def same_feature_step(draw: st.DrawFn, shape: Shape) -> Step:
    """A block that keeps a feature tensor's shape."""
    choice = draw(st.integers(0, 2))
    if choice == 0:
        return _linear_like(draw, shape, None)
    if choice == 1:
        return _norm(draw, shape)
    return _any_rank_step(draw, shape)


def last_dim_step(draw: st.DrawFn, shape: Shape) -> Step:
    """A block that may change the last dimension only."""
    if draw(st.integers(0, 2)) == 0:
        return same_feature_step(draw, shape)
    return _linear_like(draw, shape, draw(st.integers(1, MAX_FEATURES)))


def free_feature_step(draw: st.DrawFn, shape: Shape) -> Step:
    if len(shape) == 3 and draw(st.integers(0, 3)) == 0:
        return _flatten(draw, shape)
    return last_dim_step(draw, shape)


def _flatten(draw: st.DrawFn, shape: Shape) -> Step:
    """A Flatten of a run of the non-batch dims (rarely from the batch), either sign of index."""
    rank = len(shape)
    lowest = 0 if draw(st.integers(0, 15)) == 0 else min(1, rank - 1)
    start = draw(st.integers(lowest, rank - 1))
    end = draw(st.integers(start, rank - 1))
    return Step(
        "flatten",
        {
            "start_dim": start - rank if _flag(draw) else start,
            "end_dim": end - rank if _flag(draw) else end,
            "functional": _flag(draw),
        },
    )


# --- steps for sequences (N x L x E) --------------------------------------------------------


def _heads(draw: st.DrawFn, width: int) -> int:
    return draw(st.sampled_from([heads for heads in _divisors(width) if heads <= 4]))


def _batch_first(draw: st.DrawFn) -> bool:
    """Mostly N x L x E; now and then L x N x E."""
    return draw(st.integers(0, 3)) > 0


def _attention(draw: st.DrawFn, shape: Shape) -> Step:
    return Step(
        "multihead_attention",
        {
            "num_heads": _heads(draw, shape[-1]),
            "dropout": draw(st.sampled_from([0.0, 0.1])),
            "bias": _flag(draw),
            "batch_first": _batch_first(draw),
            "causal": draw(st.integers(0, 3)) == 0,
            "embed_dim": _pin(draw, shape[-1]),
        },
    )


def _transformer(draw: st.DrawFn, kind: str, shape: Shape) -> Step:
    """A transformer encoder layer, decoder layer or encoder stack, narrow and shallow."""
    params: Params = {
        "nhead": _heads(draw, shape[-1]),
        "dim_feedforward": draw(st.integers(1, MAX_HIDDEN)),
        "dropout": draw(st.sampled_from([0.0, 0.1])),
        "activation": draw(st.sampled_from(["relu", "gelu"])),
        "layer_norm_eps": draw(st.sampled_from([1e-5, 1e-3])),
        "batch_first": _batch_first(draw),
        "norm_first": _flag(draw),
        "bias": _flag(draw),
        "causal": draw(st.integers(0, 3)) == 0,
        "d_model": _pin(draw, shape[-1]),
    }
    if kind == "transformer_encoder":
        params["num_layers"] = draw(st.integers(1, 2))
    return Step(kind, params)


def _recurrent(draw: st.DrawFn, shape: Shape, hidden: int | None) -> Step:
    """An LSTM, GRU or RNN; ``hidden`` None keeps the width (both directions together)."""
    kind = draw(st.sampled_from(["lstm", "gru", "rnn"]))
    width = shape[-1]
    bidirectional = _flag(draw) and (hidden is not None or width % 2 == 0)
    if hidden is None:
        hidden = width // 2 if bidirectional else width
    layers = draw(st.integers(1, 2))
    params: Params = {
        "hidden_size": hidden,
        "num_layers": layers,
        "bias": _flag(draw),
        "batch_first": _batch_first(draw),
        "dropout": draw(st.sampled_from([0.0, 0.5])) if layers > 1 else 0.0,
        "bidirectional": bidirectional,
        "input_size": _pin(draw, width),
    }
    if kind == "rnn":
        params["nonlinearity"] = draw(st.sampled_from(["tanh", "relu"]))
    return Step(kind, params)


def _learned(draw: st.DrawFn, mode: str) -> Step:
    """A positional embedding (add) or class tokens (prepend)."""
    count = draw(st.integers(1, 2))
    return Step(
        "learned_tensor",
        {"mode": mode, "count": count, "init": draw(st.sampled_from(["zeros", "randn"]))},
    )


def same_sequence_step(draw: st.DrawFn, shape: Shape) -> Step:
    """A block that keeps a sequence's shape."""
    choice = draw(st.integers(0, 8))
    if choice <= 1:
        kind = draw(st.sampled_from(["transformer_encoder_layer", "transformer_encoder"]))
        return _transformer(draw, kind, shape)
    if choice == 2:
        return _attention(draw, shape)
    if choice == 3:
        return _recurrent(draw, shape, None)
    if choice == 4:
        return _learned(draw, "add")
    if choice == 5:
        return _norm(draw, shape)
    if choice == 6:
        return _linear_like(draw, shape, None)
    return _any_rank_step(draw, shape)


def free_sequence_step(draw: st.DrawFn, shape: Shape) -> Step:
    """Any block a sequence can go through: its length or width may change."""
    choice = draw(st.integers(0, 4))
    if choice == 0:
        return _recurrent(draw, shape, draw(st.integers(1, MAX_HIDDEN)))
    if choice == 1:
        return _learned(draw, "prepend")
    if choice == 2:
        return _linear_like(draw, shape, draw(st.integers(1, MAX_FEATURES)))
    return same_sequence_step(draw, shape)


# --- composite parts of the main line -------------------------------------------------------


def same_step(draw: st.DrawFn, shape: Shape) -> Step:
    rank = len(shape)
    if rank == 3:
        return same_sequence_step(draw, shape) if _flag(draw) else same_signal_step(draw, shape)
    steps = {2: same_feature_step, 4: same_image_step, 5: same_volume_step}
    return steps.get(rank, _any_rank_step)(draw, shape)


def free_step(draw: st.DrawFn, shape: Shape) -> Step:
    rank = len(shape)
    if rank >= 2 and draw(st.integers(0, 3)) == 0:
        return shape_step(draw, shape)
    if rank == 3:
        steps = [free_sequence_step, free_signal_step, free_feature_step]
        return draw(st.sampled_from(steps))(draw, shape)
    return {4: free_image_step, 5: free_volume_step}.get(rank, free_feature_step)(draw, shape)


def residual(builder: Builder, value: Value) -> Value:
    """Arms of shape-keeping blocks from ``value``, summed; for images, maybe a 1x1 gate."""
    draw = builder.draw
    arms: list[Value] = []
    for _ in range(draw(st.integers(1, 2))):
        arms.append(builder.chain(value, same_step, draw(st.integers(1, 3))))
    if len(value.shape) == 4 and draw(st.integers(0, 3)) == 0:  # broadcast: N x C x 1 x 1
        pooled = builder.add(Step("adaptive_avg_pool2d", {"output_size": (1,)}), [value])
        assert pooled is not None
        gate = builder.chain(pooled, same_step, 1)
        arms.append(builder.add(Step("activation", {"activation": "sigmoid"}), [gate]) or gate)
    if len(arms) == 1 or _flag(draw):
        arms.append(value)
    order = draw(st.permutations(arms))
    return builder.add(Step("add", {"inputs": len(order)}), order) or arms[0]


def gate(builder: Builder, value: Value) -> Value:
    """``value`` times a sigmoid of itself: per element, or per channel (squeeze and excite,
    a mean with kept dims broadcast back)."""
    draw = builder.draw
    rank = len(value.shape)
    if rank >= 3 and _flag(draw):
        dims = tuple(_dim(draw, axis, rank) for axis in range(2, rank))
        source = builder.add(Step("mean", {"dims": dims, "keepdim": True}), [value]) or value
    else:
        source = builder.chain(value, same_step, 1)
    weights = builder.add(Step("activation", {"activation": "sigmoid"}), [source]) or source
    arms = [value, weights, *([value] if draw(st.integers(0, 3)) == 0 else [])]
    order = draw(st.permutations(arms))
    return builder.add(Step("mul", {"inputs": len(order)}), order) or value


def concat(builder: Builder, value: Value) -> Value:
    """Arms that change only the joined dimension, joined by Concat."""
    draw = builder.draw
    rank = len(value.shape)
    channel_steps = {3: channel_signal_step, 4: channel_image_step, 5: channel_volume_step}
    if rank in channel_steps and (rank != 3 or _flag(draw)):
        axis, step = 1, channel_steps[rank]
    else:
        axis, step = rank - 1, last_dim_step
    arms = [
        builder.chain(value, step, draw(st.integers(0, 2))) for _ in range(draw(st.integers(2, 3)))
    ]
    dim = axis - rank if _flag(draw) else axis
    return builder.add(Step("concat", {"inputs": len(arms), "dim": dim}), arms) or arms[0]


def down_and_up(builder: Builder, value: Value) -> Value:
    """A U-Net skip: halve, work, double, then join (or add) with what came in."""
    draw = builder.draw
    channels = value.shape[1]
    down_kind = draw(st.sampled_from(["max_pool2d", "avg_pool2d", "conv2d"]))
    if down_kind == "conv2d":
        down = Step(down_kind, {"out_channels": channels, "kernel_size": 2, "stride": 2})
    else:
        down = Step(down_kind, {"kernel_size": 2})
    low = builder.add(down, [value])
    if low is None:
        return value
    low = builder.chain(low, channel_image_step, draw(st.integers(0, 2)))
    if _flag(draw):
        mode = draw(st.sampled_from(["nearest", "bilinear"]))
        up = Step("upsample", {"scale_factor": 2.0, "mode": mode})
    else:
        out = draw(st.sampled_from([channels, draw(st.integers(1, MAX_CHANNELS))]))
        up = Step("conv_transpose2d", {"out_channels": out, "kernel_size": 2, "stride": 2})
    high = builder.add(up, [low]) or low
    if high.shape == value.shape and _flag(draw):
        return builder.add(Step("add", {}), [high, value]) or high
    pair = [high, value] if _flag(draw) else [value, high]
    return builder.add(Step("concat", {}), pair) or high


def attention_scores(builder: Builder, value: Value) -> Value:
    """Attention written out over the last two dims: softmax(q @ k^T) @ v, with MatMul."""
    draw = builder.draw
    rank = len(value.shape)
    width = draw(st.integers(1, MAX_FEATURES))
    query = builder.add(Step("linear", {"out_features": width}), [value])
    key = builder.add(Step("linear", {"out_features": width}), [value])
    if query is None or key is None:
        return value
    last, before = _dim(draw, rank - 1, rank), _dim(draw, rank - 2, rank)
    keys = builder.add(Step("transpose", {"dim0": last, "dim1": before}), [key]) or key
    scores = builder.add(Step("matmul", {}), [query, keys])
    if scores is None:
        return value
    kind = draw(st.sampled_from(["softmax", "softmax", "log_softmax"]))
    weights = builder.add(Step(kind, {"dim": -1}), [scores]) or scores
    return builder.add(Step("matmul", {}), [weights, value]) or value


def cross_attention(builder: Builder, value: Value) -> Value:
    """The sequence attends to another: the memory input, or what some blocks make of itself
    (so its length and width may differ), through MultiheadAttention or a decoder layer."""
    draw = builder.draw
    width = value.shape[-1]
    memory = builder.memory
    if memory is None or _flag(draw):
        memory = builder.chain(value, free_sequence_step, draw(st.integers(1, 2)))
    if not _flag(draw):  # booleans come out False more often: the rarer kind here
        if memory.shape[-1] != width:
            memory = builder.add(Step("linear", {"out_features": width}), [memory]) or memory
        step = _transformer(draw, "transformer_decoder_layer", value.shape)
        return builder.add(step, {"in": value, "memory": memory}) or value
    ports = {"query": value, "key": memory}
    if _flag(draw):  # values of their own, as long as the keys
        ports["value"] = builder.chain(memory, free_feature_step, 1)
    if draw(st.integers(0, 3)) == 0:  # keys default to the query: self-attention, own values
        ports = {"query": value, "value": builder.chain(value, free_feature_step, 1)}
    return builder.add(_attention(draw, value.shape), ports) or value


def recurrent_state(builder: Builder, value: Value) -> Value:
    """A recurrent layer whose final state is read: its last layer's, by Select, goes on as
    features (or is a dead end beside the sequence)."""
    draw = builder.draw
    step = _recurrent(draw, value.shape, draw(st.integers(1, MAX_HIDDEN)))
    sequence = builder.add(step, [value])
    if sequence is None:
        return value
    port = draw(st.sampled_from(block_kind(step.kind).output_ports()[1:]))
    last = builder.add(Step("select", {"dim": 0, "index": -1}), [builder.state(sequence, port)])
    return last if last is not None and _flag(draw) else sequence


def unit(builder: Builder, value: Value) -> Value:
    """Shape-keeping blocks made inside a new group; sometimes twice, sharing one class."""
    draw = builder.draw
    design = builder.design
    plan: list[Step] = []
    for _ in range(draw(st.integers(1, 3))):
        plan.append(same_step(draw, value.shape))
    with_skip = _flag(draw)
    class_name = builder.new_class_name() if _flag(draw) else None
    for _ in range(draw(st.integers(1, 2))):
        name = design.new_name(draw(st.sampled_from(GROUP_NAMES)))
        group = design.add_group(name, class_name=class_name)
        builder.scope_items[None].append(group.id)
        if class_name is None:  # a shared class's groups stay alike: none is grouped inside
            builder.scope_items[group.id] = []
        result = builder.replay(value, plan, group.id)
        if with_skip:
            result = (
                builder.add(Step("add", {}), [result, value], group=group.id, named=False) or result
            )
        if result is value:  # nothing fitted: the group would be empty
            design.ungroup(group.id)
            builder.scope_items[None].remove(group.id)
            builder.scope_items.pop(group.id, None)
            return value
        value = result
        builder.values.append(value)
    return value


def main_line(builder: Builder, value: Value) -> Value:
    draw = builder.draw
    for _ in range(draw(st.integers(1, 8))):
        rank = len(value.shape)
        choice = draw(st.integers(0, 14))
        if rank == 4 and choice == 0 and _flag(draw):
            value = builder.add(_flatten(draw, value.shape), [value]) or value
        elif choice == 6 and rank >= 2:
            value = builder.add(shape_step(draw, value.shape), [value]) or value
        elif choice in (7, 8):
            value = residual(builder, value)
        elif choice == 9:
            value = gate(builder, value)
        elif choice == 10:
            value = concat(builder, value)
        elif choice == 11 and rank == 4 and value.shape[-1] % 2 == value.shape[-2] % 2 == 0:
            value = down_and_up(builder, value)
        elif choice == 11 and rank == 3:
            value = (recurrent_state if _flag(draw) else cross_attention)(builder, value)
        elif choice == 12 and rank >= 3:
            value = attention_scores(builder, value)
        elif choice == 13 and _flag(draw):  # a dead end: a block whose result nothing reads
            builder.chain(value, same_step, 1)
        elif choice >= 13:
            value = unit(builder, value)
        else:
            value = builder.add(free_step(draw, value.shape), [value]) or value
    if len(value.shape) >= 4 and _flag(draw):  # most models end in features
        value = builder.add(_flatten(draw, value.shape), [value]) or value
        value = builder.chain(value, free_feature_step, draw(st.integers(1, 3)))
    return value


# --- groups over runs, inputs and outputs ---------------------------------------------------


def group_runs(builder: Builder) -> None:
    """Group contiguous runs of items (data never leaves such a run and comes back)."""
    draw = builder.draw
    design = builder.design
    for _ in range(draw(st.integers(0, 3))):
        scopes = [scope for scope, items in builder.scope_items.items() if items]
        if not scopes:
            return
        scope = draw(st.sampled_from(scopes))
        items = builder.scope_items[scope]
        start = draw(st.integers(0, len(items) - 1))
        stop = draw(st.integers(start + 1, len(items)))
        run = items[start:stop]
        name = design.new_name(draw(st.sampled_from(GROUP_NAMES)), scope)
        class_name = builder.new_class_name() if _flag(draw) else None
        group = design.add_group(
            name,
            [item for item in run if item in design.blocks],
            [item for item in run if item in design.groups],
            class_name=class_name,
            parent=scope,
        )
        items[start:stop] = [group.id]
        builder.scope_items[group.id] = run


def _input(builder: Builder, shape: Shape, name: str, dtype: str = "float32") -> Value:
    block = builder.design.add_block("input", name=name, params={"shape": shape, "dtype": dtype})
    made = Value(block.id, shape, indices=dtype in INDEX_DTYPES)
    builder.values.append(made)  # an output may return an input as it came
    return made


def _first_shape(draw: st.DrawFn, line: str) -> Shape:
    batch = draw(st.integers(1, 3))
    channels = draw(st.integers(1, MAX_CHANNELS))
    match line:
        case "image":
            side = st.integers(8, 24)
            return (batch, channels, draw(side), draw(side))
        case "signal":
            return (batch, channels, draw(st.integers(4, 32)))
        case "volume":
            sides = st.lists(st.integers(2, 6), min_size=3, max_size=3)
            return (draw(st.integers(1, 2)), draw(st.integers(1, 4)), *draw(sides))
        case "sequence":
            return (batch, draw(st.integers(1, 8)), draw(st.integers(1, MAX_FEATURES)))
    return (batch, draw(st.integers(1, MAX_FEATURES)))


def _tokens(builder: Builder, names: Sequence[str], dtype: str) -> Value:
    """Token indices looked up by an Embedding (through a shape operation that keeps indices,
    sometimes), after a sequence of values a decoder may attend to."""
    draw = builder.draw
    batch, width = draw(st.integers(1, 3)), draw(st.integers(1, MAX_FEATURES))
    memory_width = width if _flag(draw) else draw(st.integers(1, MAX_FEATURES))
    # the float input comes first: see the worker's dtype in test_round_trip
    builder.memory = _input(
        builder, (batch, draw(st.integers(1, 6)), memory_width), names[1], dtype
    )
    tokens = _input(builder, (batch, draw(st.integers(1, 8))), names[0], "int64")
    if _flag(draw):
        tokens = builder.add(shape_step(draw, tokens.shape), [tokens]) or tokens
    vocabulary = draw(st.integers(2, 20))
    padding = draw(st.one_of(st.none(), st.integers(0, vocabulary - 1)))
    step = Step(
        "embedding",
        {"num_embeddings": vocabulary, "embedding_dim": width, "padding_idx": padding},
    )
    embedded = builder.add(step, [tokens])
    assert embedded is not None
    return embedded


def _channel_step(rank: int) -> Callable[[st.DrawFn, Shape], Step]:
    """Steps that change at most dim 1 (the last, for features)."""
    steps = {3: channel_signal_step, 4: channel_image_step, 5: channel_volume_step}
    return steps.get(rank, last_dim_step)


def _first_values(builder: Builder) -> Value:
    """The input (or two inputs, each through a few blocks, merged; or tokens and a memory)."""
    draw = builder.draw
    line = draw(st.sampled_from(INPUT_LINES))
    names = draw(st.lists(st.sampled_from(INPUT_NAMES), min_size=2, max_size=2, unique=True))
    dtype = draw(st.sampled_from(VOLUME_DTYPES if line == "volume" else DTYPES))
    if line == "tokens":
        return _tokens(builder, names, dtype)
    shape = _first_shape(draw, line)
    if line == "sequence" and _flag(draw):  # a second sequence to attend to
        memory_shape = (shape[0], draw(st.integers(1, 6)), draw(st.integers(1, MAX_FEATURES)))
        builder.memory = _input(builder, memory_shape, names[1], dtype)
        return _input(builder, shape, names[0], dtype)
    first = _input(builder, shape, names[0], dtype)
    if draw(st.integers(0, 4)) > 0:
        if draw(st.integers(0, 9)) == 0:  # an input that nothing reads
            _input(builder, shape, names[1], dtype)
        return first
    second = _input(builder, shape, names[1], dtype)
    step = _channel_step(len(shape))
    arms = [builder.chain(start, step, draw(st.integers(0, 2))) for start in (first, second)]
    merged = builder.add(Step("concat", {}), arms)
    if merged is None and arms[0].shape == arms[1].shape:
        merged = builder.add(Step("add", {}), arms)
    return merged or arms[0]  # too big to join: the second input's blocks are a dead end


@st.composite
def designs(draw: st.DrawFn) -> Design:
    """A random design whose shapes (nearly always) fit."""
    builder = Builder(Design(draw(st.sampled_from(MODEL_CLASS_NAMES))), draw)
    design = builder.design
    value = main_line(builder, _first_values(builder))
    group_runs(builder)
    outputs = [value]
    if builder.values and draw(st.integers(0, 3)) == 0:
        outputs.append(draw(st.sampled_from(builder.values)))
    for output in draw(st.permutations(outputs)):
        block = design.add_block("output", name=design.new_name("out"))
        design.connect(output.block_id, block.id)
    return design


def kinds_used(design: Design) -> set[str]:
    return {block.kind for block in design.blocks.values()}


def example_inputs(design: Design, batch: int | None = None, seed: int = 0) -> list[torch.Tensor]:
    """A tensor of each input's declared shape (batch replaced if given) in forward()'s order:
    token indices below every Embedding's count, values in the input's dtype."""
    generator = torch.Generator().manual_seed(seed)
    tensors = []
    for spec in input_specs(design):
        shape = spec.shape if batch is None else (batch, *spec.shape[1:])
        if spec.index_limit is not None:
            tensors.append(torch.randint(spec.index_limit, shape, generator=generator))
        else:
            tensors.append(torch.randn(shape, generator=generator).to(spec.dtype))
    return tensors


BATCH_DIMS: Final = {
    "flatten": ("start_dim",), "concat": ("dim",), "transpose": ("dim0", "dim1"),
    "select": ("dim",), "slice": ("dim",), "squeeze": ("dim",), "unflatten": ("dim",),
    "mean": ("dims",), "sum": ("dims",),
}  # fmt: skip
"""Parameters naming dims: one that names dim 0 folds, moves or drops the batch."""


def _fixes_batch(kind: str, params: Mapping[str, ParamValue], inputs: Sequence[Shape]) -> bool:
    rank = len(inputs[0])
    if kind in ("lstm", "gru", "rnn") and params.get("batch_first") is False:
        return True  # dim 0 is then time, whose length export specialises in a recurrent layer
    if kind == "permute":
        dims = params["dims"]
        assert isinstance(dims, tuple) and isinstance(dims[0], int)
        return dims[0] % rank != 0
    if kind == "matmul":  # a 2-d second input's first dim is the one the product sums over
        return min(len(shape) for shape in inputs) <= 2
    named: list[int] = []
    for name in BATCH_DIMS.get(kind, ()):
        value = params[name]
        named += [dim for dim in value if isinstance(dim, int)] if isinstance(value, tuple) else []
        named += [value] if isinstance(value, int) else []
    return any(dim % rank == 0 for dim in named)


def batch_is_free(design: Design) -> bool:
    """Whether the batch size may change: no block folds, moves, drops or joins on dim 0."""
    results = check_design(design).results
    for block in design.blocks.values():
        shapes = [shape for shape in results[block.id].inputs if shape is not None]
        if shapes and _fixes_batch(block.kind, block.params, shapes):
            return False
    return True
