"""The benchmark design generator, shared by the scripts in ``bench/``.

``make_spec(blocks)`` describes a ResNet-like chain of exactly ``blocks`` blocks (input, conv
blocks, batch norms, activations, pools, residual groups with Add, a flatten, a dec block, a
linear, output). From one spec, ``build_design`` builds the design through the ``Design`` API,
``build_torch`` the equivalent torch model with lazy modules (torch infers every in-size itself)
and ``build_torch_eager`` the same model written by hand: every in-size spelled out, so it gets
real weights the moment it is constructed.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import torch
from torch import nn

from designer.graph import Design

INPUT_SHAPE = (1, 3, 32, 32)
CHANNEL_CYCLE = (24, 32, 16)
ACTIVATION_CYCLE = ("relu", "gelu", "prelu", "silu", "lrelu")


# --- the generator spec ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Layer:
    """One block of the design, one module (or small Sequential) of the torch model."""

    kind: str
    name: str
    params: Mapping[str, object]


@dataclass(frozen=True, slots=True)
class Residual:
    """A group ``body -> Add(body output, group input)``: a residual block without projection."""

    name: str
    body: tuple[Layer, ...]

    @property
    def blocks(self) -> int:
        return len(self.body) + 1  # the Add


Item = Layer | Residual


def item_blocks(item: Item) -> int:
    return 1 if isinstance(item, Layer) else item.blocks


def conv_block(name: str, out_channels: int, activation: str = "relu") -> Layer:
    params = {
        "out_channels": out_channels,
        "kernel_size": 3,
        "stride": 1,
        "padding": 1,
        "bias": True,
        "batch_norm": True,
        "activation": activation,
    }
    return Layer("conv_block", name, params)


def residual(name: str, channels: int) -> Residual:
    return Residual(
        name,
        (
            conv_block("conv1", channels),
            Layer(
                "conv2d",
                "conv2",
                {"out_channels": channels, "kernel_size": 3, "padding": 1, "bias": False},
            ),
            Layer("batch_norm2d", "bn2", {}),
        ),
    )


def make_spec(
    blocks: int, stem: int = 16, channel_cycle: tuple[int, ...] = CHANNEL_CYCLE
) -> list[Item]:
    """A ResNet-like chain of exactly ``blocks`` blocks, ``stem`` channels wide at first."""
    head: list[Item] = [
        Layer("input", "x", {"shape": INPUT_SHAPE, "dtype": "float32"}),
        conv_block("stem", stem),
    ]
    tail: list[Item] = [
        Layer("flatten", "flatten", {"start_dim": 1, "end_dim": -1}),
        Layer("dec_block", "fc1", {"out_features": 32, "activation": "relu", "bias": True}),
        Layer("linear", "head", {"out_features": 10, "bias": True}),
        Layer("output", "out", {}),
    ]
    budget = blocks - len(head) - len(tail)
    if budget < 0:
        raise ValueError(f"a design needs at least {len(head) + len(tail)} blocks")
    body: list[Item] = []
    used = 0
    channels, size = stem, INPUT_SHAPE[-1]
    pools_at = [budget * k // 4 for k in (1, 2, 3)] if blocks >= 100 else []
    step = 0
    while used < budget:
        left = budget - used
        unit: list[Item]
        if pools_at and used >= pools_at[0] and size >= 8:
            pools_at.pop(0)
            size //= 2
            unit = [Layer("max_pool2d", f"pool{step}", {"kernel_size": 2, "stride": 2})]
        elif step % 3 == 2 and left >= 2:
            channels = channel_cycle[(step // 3) % len(channel_cycle)]
            activation = ACTIVATION_CYCLE[step % len(ACTIVATION_CYCLE)]
            unit = [
                conv_block(f"conv{step}", channels, activation),
                Layer("dropout", f"drop{step}", {"p": 0.1}),
            ]
        elif left >= 5:
            activation = ACTIVATION_CYCLE[step % len(ACTIVATION_CYCLE)]
            unit = [
                residual(f"res{step}", channels),
                Layer("activation", f"act{step}", {"activation": activation, "functional": False}),
            ]
        elif left >= 4:
            unit = [residual(f"res{step}", channels)]
        else:
            unit = [Layer("dropout", f"drop{step}", {"p": 0.1})]
        body.extend(unit)
        used += sum(item_blocks(item) for item in unit)
        step += 1
    spec = [*head, *body, *tail]
    assert sum(item_blocks(item) for item in spec) == blocks
    return spec


# --- the design --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Built:
    design: Design
    output_id: str
    edit_id: str
    """The first conv block of the residual group nearest the middle of the design."""
    edit_name: str
    edit_values: tuple[int, int]


def build_design(spec: Sequence[Item]) -> Built:
    design = Design("BenchNet")
    previous: str | None = None
    residual_heads: list[tuple[str, str, int]] = []  # (block id, qualified name, channels)
    for item in spec:
        if isinstance(item, Layer):
            block = design.add_block(item.kind, name=item.name, params=item.params)
            if previous is not None:
                design.connect(previous, block.id)
            previous = block.id
            continue
        assert previous is not None
        group = design.add_group(item.name)
        source = previous
        for index, layer in enumerate(item.body):
            block = design.add_block(
                layer.kind, name=layer.name, params=layer.params, group=group.id
            )
            design.connect(source, block.id)
            source = block.id
            if index == 0:
                channels = layer.params["out_channels"]
                assert isinstance(channels, int)
                residual_heads.append((block.id, design.qualified_name(block.id), channels))
        add = design.add_block("add", name="residual", params={"inputs": 2}, group=group.id)
        design.connect(source, add.id, "in0")
        design.connect(previous, add.id, "in1")
        previous = add.id
    assert previous is not None and residual_heads
    order = design.topological_order()
    middle = len(order) // 2
    edit_id, edit_name, channels = min(
        residual_heads, key=lambda head: abs(order.index(head[0]) - middle)
    )
    other = channels + 8 if channels < 32 else channels - 8
    return Built(design, previous, edit_id, edit_name, (channels, other))


# --- the equivalent torch model ----------------------------------------------------------------

_ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "gelu": nn.GELU,
    "prelu": nn.PReLU,
    "silu": nn.SiLU,
    "lrelu": nn.LeakyReLU,
    "sigmoid": nn.Sigmoid,
}


class ResidualBlock(nn.Module):
    def __init__(self, body: nn.Sequential) -> None:
        super().__init__()
        self.body = body

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.body(x) + x
        return out


def _int(params: Mapping[str, object], name: str) -> int:
    value = params[name]
    assert isinstance(value, int)
    return value


def _str(params: Mapping[str, object], name: str) -> str:
    value = params[name]
    assert isinstance(value, str)
    return value


def torch_layer(layer: Layer) -> nn.Module | None:
    """The module for one block; in-sizes are left to torch (lazy modules)."""
    p = layer.params
    match layer.kind:
        case "input" | "output":
            return None
        case "conv_block":
            modules: list[nn.Module] = [
                nn.LazyConv2d(
                    _int(p, "out_channels"),
                    _int(p, "kernel_size"),
                    stride=_int(p, "stride"),
                    padding=_int(p, "padding"),
                    bias=bool(p["bias"]),
                )
            ]
            if p["batch_norm"]:
                modules.append(nn.LazyBatchNorm2d())
            modules.append(_ACTIVATIONS[_str(p, "activation")]())
            return nn.Sequential(*modules)
        case "conv2d":
            return nn.LazyConv2d(
                _int(p, "out_channels"),
                _int(p, "kernel_size"),
                padding=_int(p, "padding"),
                bias=bool(p["bias"]),
            )
        case "batch_norm2d":
            return nn.LazyBatchNorm2d()
        case "activation":
            return _ACTIVATIONS[_str(p, "activation")]()
        case "max_pool2d":
            return nn.MaxPool2d(_int(p, "kernel_size"), _int(p, "stride"))
        case "dropout":
            p_drop = p["p"]
            assert isinstance(p_drop, float)
            return nn.Dropout(p_drop)
        case "flatten":
            return nn.Flatten(_int(p, "start_dim"), _int(p, "end_dim"))
        case "dec_block":
            return nn.Sequential(
                nn.LazyLinear(_int(p, "out_features"), bias=bool(p["bias"])),
                _ACTIVATIONS[_str(p, "activation")](),
            )
        case "linear":
            return nn.LazyLinear(_int(p, "out_features"), bias=bool(p["bias"]))
    raise ValueError(f"no torch module for {layer.kind}")


def build_torch(spec: Sequence[Item]) -> tuple[nn.Module, tuple[int, ...]]:
    """The torch model, its lazy in-sizes resolved by one forward pass; and its output shape."""
    modules: list[nn.Module] = []
    for item in spec:
        if isinstance(item, Layer):
            module = torch_layer(item)
            if module is not None:
                modules.append(module)
        else:
            body = [torch_layer(layer) for layer in item.body]
            modules.append(ResidualBlock(nn.Sequential(*[m for m in body if m is not None])))
    model = nn.Sequential(*modules)
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # lazy modules warn that they are new
        output = model(torch.zeros(INPUT_SHAPE))
    model.eval()
    return model, tuple(output.shape)


# --- the same model written by hand --------------------------------------------------------------


def _out_size(size: int, kernel: int, stride: int, padding: int) -> int:
    return (size + 2 * padding - kernel) // stride + 1


def eager_layer(layer: Layer, shape: tuple[int, ...]) -> tuple[nn.Module | None, tuple[int, ...]]:
    """The module for one block given its input shape (no batch dimension), and its output shape.

    Every in-size is written out, as a hand-written model does, so the weights are real (and
    initialised) as soon as the module is constructed.
    """
    p = layer.params
    match layer.kind:
        case "input" | "output":
            return None, shape
        case "conv_block" | "conv2d":
            channels, height, width = shape
            out_channels = _int(p, "out_channels")
            kernel, padding = _int(p, "kernel_size"), _int(p, "padding")
            stride = _int(p, "stride") if "stride" in p else 1
            conv = nn.Conv2d(
                channels, out_channels, kernel, stride=stride, padding=padding, bias=bool(p["bias"])
            )
            out_shape = (
                out_channels,
                _out_size(height, kernel, stride, padding),
                _out_size(width, kernel, stride, padding),
            )
            if layer.kind == "conv2d":
                return conv, out_shape
            modules: list[nn.Module] = [conv]
            if p["batch_norm"]:
                modules.append(nn.BatchNorm2d(out_channels))
            modules.append(_ACTIVATIONS[_str(p, "activation")]())
            return nn.Sequential(*modules), out_shape
        case "batch_norm2d":
            return nn.BatchNorm2d(shape[0]), shape
        case "max_pool2d":
            channels, height, width = shape
            kernel, stride = _int(p, "kernel_size"), _int(p, "stride")
            out_shape = (
                channels,
                _out_size(height, kernel, stride, 0),
                _out_size(width, kernel, stride, 0),
            )
            return nn.MaxPool2d(kernel, stride), out_shape
        case "flatten":
            assert p["start_dim"] == 1 and p["end_dim"] == -1
            features = 1
            for size in shape:
                features *= size
            return nn.Flatten(), (features,)
        case "dec_block":
            out_features = _int(p, "out_features")
            block = nn.Sequential(
                nn.Linear(shape[0], out_features, bias=bool(p["bias"])),
                _ACTIVATIONS[_str(p, "activation")](),
            )
            return block, (out_features,)
        case "linear":
            out_features = _int(p, "out_features")
            return nn.Linear(shape[0], out_features, bias=bool(p["bias"])), (out_features,)
    other = torch_layer(layer)  # shape-preserving: activations, dropout
    assert other is not None
    return other, shape


def build_torch_eager(spec: Sequence[Item]) -> nn.Sequential:
    """The model of ``build_torch`` written by hand with concrete in-sizes, in eval mode.

    Constructing it allocates and initialises every weight on the CPU; nothing runs forward.
    """
    shape: tuple[int, ...] = INPUT_SHAPE[1:]
    modules: list[nn.Module] = []
    for item in spec:
        if isinstance(item, Layer):
            module, shape = eager_layer(item, shape)
            if module is not None:
                modules.append(module)
            continue
        body: list[nn.Module] = []
        inner = shape
        for layer in item.body:
            module, inner = eager_layer(layer, inner)
            assert module is not None
            body.append(module)
        assert inner == shape, f"residual {item.name} changes the shape {shape} -> {inner}"
        modules.append(ResidualBlock(nn.Sequential(*body)))
    return nn.Sequential(*modules).eval()
