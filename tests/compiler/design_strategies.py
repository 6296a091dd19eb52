"""Random valid designs for hypothesis, built through the public ``Design`` API.

A design starts from one input (an image, N x C x H x W, or features, N x F), sometimes two,
and grows a main line: single blocks of every kind with parameters drawn from small ranges,
residual branches merged by Add (some broadcasting a 1x1 gate), skips joined by Concat, U-Net
style down-and-up skips, and units built inside a group (twice with one class name, sometimes,
so that the class is shared). Contiguous runs of blocks are then grouped, nested sometimes,
with and without class names, and one or two outputs are attached.

Along the way: pinned in-sizes, keep_outputs stacks, functional activations and flattens,
negative dims, dead ends (a block nothing reads), an input nothing reads, outputs that return
an input or a value inside a group, block and input names that clash with what generated code
uses (``x``, ``out``, ``layer``, ``trace``, ``self``, ``F``, ``torch``, ``zip``...), and inputs in
float64, float16 or bfloat16 now and then.

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

from designer.compiler.scopes import build_scopes
from designer.graph import ACTIVATIONS_BY_KEY, Design, block_kind, check_design
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
DTYPES: Final = ("float32",) * 5 + ("float64", "float16", "bfloat16")
"""Mostly float32; the weights take the inputs' dtype."""
MODEL_CLASS_NAMES: Final = ("Net", "MyModel", "Tiny", "Model")
INPUT_NAMES: Final = ("x", "image", "features", "input", "F", "torch", "out", "layer")
"""Names that also read as forward() locals, builtins or module names: the compiler must cope."""
AWKWARD_NAMES: Final = (
    "x", "x1", "out", "out_1", "layer", "layers", "trace", "layer_trace", "torch",
    "nn", "F", "sum", "zip", "list", "super", "conv_block", "activations",
)  # fmt: skip
GROUP_NAMES: Final = ("stage", "block", "encoder", "head", "my_stage", "unit", "x", "layer")
CLASS_NAME_STEMS: Final = ("MyStage", "Unit", "Body")


@dataclass(frozen=True, slots=True)
class Value:
    """A block's output and its shape (batch first)."""

    block_id: str
    shape: Shape


@dataclass(frozen=True, slots=True)
class Step:
    """A block to add: its kind and the parameters that differ from the defaults."""

    kind: str
    params: Mapping[str, ParamValue]


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

    def add(
        self,
        step: Step,
        inputs: Sequence[Value],
        *,
        group: str | None = None,
        named: bool = True,
    ) -> Value | None:
        """Add ``step`` fed by ``inputs``; None (and nothing added) if its shapes don't fit."""
        entry = block_kind(step.kind)
        params = entry.validate_params(step.params)
        shapes = [value.shape for value in inputs]
        if not all(entry.ranks.accepts(len(shape)) for shape in shapes):
            return None
        if entry.problem_rule is not None and entry.problem_rule(params):
            return None
        try:
            shape = entry.shape_rule(params, shapes)
        except ShapeRuleError:
            return None
        if math.prod(shape) > MAX_ELEMENTS or min(shape) < 1:
            return None
        name = None
        if named and self.draw(st.integers(0, 9)) == 0:
            wanted = self.draw(st.sampled_from(AWKWARD_NAMES))
            name = None if self.design.name_in_use(wanted, group) else wanted
        block = self.design.add_block(step.kind, name=name, params=step.params, group=group)
        for port, value in zip(entry.input_ports(params), inputs, strict=True):
            self.design.connect(value.block_id, block.id, port)
        if group in self.scope_items:
            self.scope_items[group].append(block.id)
        made = Value(block.id, shape)
        if group is None:
            self.values.append(made)
        return made

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


def _conv2d(draw: st.DrawFn, shape: Shape, out_per_group: int | None, **fixed: int) -> Step:
    """A Conv2d; ``out_per_group`` None keeps the channel count."""
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
    return Step("conv2d", params)


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


def _any_rank_step(draw: st.DrawFn) -> Step:
    """Dropout or an activation: any shape, and the shape stays."""
    if _flag(draw):
        return Step("dropout", {"p": draw(st.sampled_from([0.0, 0.25, 0.5, 1.0]))})
    key = _activation(draw)
    functional = key in FUNCTIONAL_KEYS and _flag(draw)
    return Step("activation", {"activation": key, "functional": functional})


def same_image_step(draw: st.DrawFn, shape: Shape) -> Step:
    """A block that keeps an image's shape."""
    channels, side = shape[1], shape[-1]
    choice = draw(st.integers(0, 7))
    if choice == 0:
        kernel = draw(st.sampled_from([1, 3]))
        dilation = draw(st.integers(1, 2))
        return _conv2d(
            draw,
            shape,
            None,
            kernel_size=kernel,
            stride=1,
            padding=dilation * (kernel // 2),
            dilation=dilation,
        )
    if choice == 1:
        kernel = draw(st.sampled_from([1, 3]))
        return _conv_block(draw, shape, channels, kernel, kernel // 2)
    if choice == 2:
        kernel = draw(st.sampled_from([1, 3]))
        sizes = (*_sizes(draw, MAX_CHANNELS)[:-1], channels)
        return _conv_stack(draw, shape, sizes, kernel, kernel // 2)
    if choice == 3:
        return _batch_norm(draw, "batch_norm2d", shape)
    if choice == 4:
        kind = draw(st.sampled_from(["max_pool2d", "avg_pool2d"]))
        return Step(kind, {"kernel_size": 3, "stride": 1, "padding": 1})
    if choice == 5:
        return Step("linear", {"out_features": side, "bias": _flag(draw)})
    return _any_rank_step(draw)


def channel_image_step(draw: st.DrawFn, shape: Shape) -> Step:
    """A block that keeps an image's height and width but may change its channels."""
    kernel = draw(st.sampled_from([1, 3]))
    out = draw(st.integers(1, MAX_CHANNELS))
    choice = draw(st.integers(0, 3))
    if choice == 0:
        return _conv2d(
            draw, shape, out, kernel_size=kernel, stride=1, padding=kernel // 2, dilation=1
        )
    if choice == 1:
        return _conv_block(draw, shape, out, kernel, kernel // 2)
    if choice == 2:
        return _conv_stack(draw, shape, _sizes(draw, MAX_CHANNELS), kernel, kernel // 2)
    return same_image_step(draw, shape)


def free_image_step(draw: st.DrawFn, shape: Shape) -> Step:
    """Any block an image can go through, with parameters from small ranges."""
    channels = shape[1]
    kind = draw(
        st.sampled_from(
            [
                "conv_block", "conv_stack", "conv2d", "conv_transpose2d", "batch_norm2d",
                "max_pool2d", "avg_pool2d", "adaptive_avg_pool2d", "upsample", "any", "same",
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
            return _conv2d(draw, shape, draw(st.integers(1, 3)))
        case "conv_transpose2d":
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
        case "batch_norm2d":
            return _batch_norm(draw, kind, shape)
        case "max_pool2d" | "avg_pool2d":
            kernel = draw(st.integers(1, 3))
            params = {
                "kernel_size": kernel,
                "stride": draw(st.one_of(st.none(), st.integers(1, 3))),
                "padding": draw(st.integers(0, kernel // 2)),
                "ceil_mode": _flag(draw),
            }
            if kind == "max_pool2d":
                params["dilation"] = draw(st.integers(1, 2))
            return Step(kind, params)
        case "adaptive_avg_pool2d":
            return Step(
                kind,
                {"output_size": tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=2)))},
            )
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
        case "any":
            return _any_rank_step(draw)
    return same_image_step(draw, shape)


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
        return _batch_norm(draw, "batch_norm1d", shape)
    return _any_rank_step(draw)


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


# --- composite parts of the main line -------------------------------------------------------


def same_step(draw: st.DrawFn, shape: Shape) -> Step:
    return same_image_step(draw, shape) if len(shape) == 4 else same_feature_step(draw, shape)


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


def concat(builder: Builder, value: Value) -> Value:
    """Arms that change only the joined dimension, joined by Concat."""
    draw = builder.draw
    rank = len(value.shape)
    if rank == 4:
        axis, step = 1, channel_image_step
    elif rank <= 2 or _flag(draw):
        axis, step = rank - 1, last_dim_step
    else:
        axis, step = 1, same_feature_step
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
    for _ in range(draw(st.integers(1, 7))):
        rank = len(value.shape)
        choice = draw(st.integers(0, 9))
        if rank == 4 and choice == 0 and _flag(draw):
            value = builder.add(_flatten(draw, value.shape), [value]) or value
        elif choice <= 3:
            step = free_image_step if rank == 4 else free_feature_step
            value = builder.add(step(draw, value.shape), [value]) or value
        elif choice <= 5:
            value = residual(builder, value)
        elif choice == 6:
            value = concat(builder, value)
        elif choice == 7 and rank == 4 and value.shape[-1] % 2 == value.shape[-2] % 2 == 0:
            value = down_and_up(builder, value)
        elif choice == 8 and _flag(draw):  # a dead end: a block whose result nothing reads
            builder.chain(value, same_step, 1)
        else:
            value = unit(builder, value)
    if len(value.shape) == 4 and _flag(draw):  # most models end in features
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
    made = Value(block.id, shape)
    builder.values.append(made)  # an output may return an input as it came
    return made


def _first_values(builder: Builder) -> Value:
    """The input (or two inputs, each through a few blocks, merged)."""
    draw = builder.draw
    batch = draw(st.integers(1, 3))
    if _flag(draw):
        side = st.integers(8, 24)
        shape: Shape = (batch, draw(st.integers(1, MAX_CHANNELS)), draw(side), draw(side))
    else:
        shape = (batch, draw(st.integers(1, MAX_FEATURES)))
    names = draw(st.lists(st.sampled_from(INPUT_NAMES), min_size=2, max_size=2, unique=True))
    dtype = draw(st.sampled_from(DTYPES))
    first = _input(builder, shape, names[0], dtype)
    if draw(st.integers(0, 4)) > 0:
        if draw(st.integers(0, 9)) == 0:  # an input that nothing reads
            _input(builder, shape, names[1], dtype)
        return first
    second = _input(builder, shape, names[1], dtype)
    step = channel_image_step if len(shape) == 4 else last_dim_step
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
    """A tensor of each input's declared shape (batch replaced if given) in forward()'s order."""
    generator = torch.Generator().manual_seed(seed)
    tensors = []
    for block_id in build_scopes(design).inputs:
        params = design.blocks[block_id].params
        shape = params["shape"]
        assert isinstance(shape, tuple)
        if batch is not None:
            shape = (batch, *shape[1:])
        dtype = getattr(torch, str(params["dtype"]))
        tensors.append(torch.randn(shape, generator=generator).to(dtype))
    return tensors


def batch_is_free(design: Design) -> bool:
    """Whether the batch size may change: no Flatten folds the batch dim, no Concat joins on it."""
    results = check_design(design).results
    for block in design.blocks.values():
        if block.kind not in ("flatten", "concat"):
            continue
        dim = block.params["start_dim" if block.kind == "flatten" else "dim"]
        shape = results[block.id].inputs[0]
        assert isinstance(dim, int) and shape is not None
        if dim % len(shape) == 0:
            return False
    return True
