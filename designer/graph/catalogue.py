"""The block catalogue: every kind of block a design can hold, one entry each.

An entry declares the kind's parameters (type, default, range, help), its ports, the input
ranks it accepts, the in-size it can infer or have pinned, and its shape and parameter-count
rules. Adding a kind is adding an entry here; the checker, the file format and the GUI palette
read everything from it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from designer.graph import shape_rules as rules
from designer.graph.activations import ACTIVATION_KEYS, ACTIVATIONS_BY_KEY
from designer.graph.errors import BadParameterError, UnknownBlockKindError
from designer.graph.model import INPUT_PORT
from designer.graph.params import (
    MAX_DIM,
    MAX_KERNEL,
    ParamSpec,
    ParamValue,
    bool_param,
    choice_param,
    describe_value,
    float_param,
    in_size_param,
    int_list_param,
    int_param,
    optional_int_param,
)

ShapeRule = Callable[[rules.Params, Sequence[rules.Shape]], rules.Shape]
ParameterRule = Callable[[rules.Params, Sequence[rules.Shape], rules.Shape], int]
ProblemRule = Callable[[rules.Params], list[str]]


@dataclass(frozen=True, slots=True)
class Pin:
    """An in-size a block infers from its input unless the user pins it."""

    param: str
    dim: int
    what: str


@dataclass(frozen=True, slots=True)
class Ranks:
    """The input ranks a kind accepts (batch included), and how such an input reads."""

    minimum: int = 1
    maximum: int | None = None
    layout: str = "any"

    def accepts(self, rank: int) -> bool:
        return self.minimum <= rank and (self.maximum is None or rank <= self.maximum)


@dataclass(frozen=True, slots=True)
class BlockKind:
    name: str
    label: str
    category: str
    help: str
    params: tuple[ParamSpec, ...]
    shape_rule: ShapeRule
    parameter_rule: ParameterRule = rules.no_parameters
    ranks: Ranks = Ranks()
    pin: Pin | None = None
    has_input: bool = True
    has_output: bool = True
    variadic_inputs: bool = False
    """True for merges: the ``inputs`` parameter sets how many input ports there are."""
    problem_rule: ProblemRule | None = None
    """Problems with a combination of parameters that each are valid alone."""
    ports: tuple[str, ...] = field(init=False, repr=False, compare=False)
    """The input ports when they don't depend on parameters; empty for merges (and inputs)."""

    def __post_init__(self) -> None:
        fixed = (INPUT_PORT,) if self.has_input and not self.variadic_inputs else ()
        object.__setattr__(self, "ports", fixed)

    def input_ports(self, params: Mapping[str, ParamValue]) -> tuple[str, ...]:
        if not self.has_input:
            return ()
        if self.variadic_inputs:
            count = params["inputs"]
            assert isinstance(count, int)
            return tuple(f"in{index}" for index in range(count))
        return (INPUT_PORT,)

    def param(self, name: str) -> ParamSpec:
        for spec in self.params:
            if spec.name == name:
                return spec
        known = ", ".join(spec.name for spec in self.params) or "none"
        shown = name if len(name) <= 40 else name[:37] + "..."
        raise BadParameterError(
            f"{self.label} has no parameter {describe_value(name)} (its parameters: {known})",
            f"params.{shown}",
        )

    def defaults(self) -> dict[str, ParamValue]:
        return {spec.name: spec.default for spec in self.params}

    def validate_params(self, given: Mapping[str, object]) -> dict[str, ParamValue]:
        """All of the kind's parameters: ``given`` ones validated, the rest at their defaults."""
        for name in given:
            self.param(name)
        return {
            spec.name: spec.validate(given[spec.name]) if spec.name in given else spec.default
            for spec in self.params
        }


# --- shared parameter declarations -----------------------------------------------------------


def _activation(default: str) -> ParamSpec:
    return choice_param(
        "activation", default, ACTIVATION_KEYS, "activation picked from the palette (ModuleDict)"
    )


_KERNEL = int_param("kernel_size", 3, "square kernel size", 1, MAX_KERNEL)
_STRIDE = int_param("stride", 1, "step between windows", 1, MAX_KERNEL)
_PADDING = int_param("padding", 1, "zeros added on each side", 0, MAX_KERNEL)
_DILATION = int_param("dilation", 1, "spacing between kernel taps", 1, MAX_KERNEL)
_GROUPS = int_param("groups", 1, "blocked connections from input to output channels", 1, MAX_DIM)
_BIAS = bool_param("bias", True, "learn an additive bias")
_BATCH_NORM = bool_param("batch_norm", True, "follow the convolution with BatchNorm2d")
_KEEP_OUTPUTS = bool_param(
    "keep_outputs", False, "keep every layer's output (an nn.ModuleList with a trace)"
)
_IN_CHANNELS = in_size_param("in_channels", "input channels; inferred unless pinned")
_IN_FEATURES = in_size_param("in_features", "input features; inferred unless pinned")
_FUNCTIONAL = bool_param(
    "functional", False, "apply in forward() as a function, not as a sub-module"
)
_POOL_KERNEL = int_param("kernel_size", 2, "square window size", 1, MAX_KERNEL)
_POOL_STRIDE = optional_int_param("stride", "step between windows; null = the window size")
_POOL_PADDING = int_param("padding", 0, "implicit padding on each side", 0, MAX_KERNEL)
_CEIL_MODE = bool_param("ceil_mode", False, "round the output size up instead of down")
_INPUTS = int_param("inputs", 2, "number of tensors to merge", 2, 16)

_CHANNELS_PIN = Pin("in_channels", 1, "input channels")
_FEATURES_PIN = Pin("in_features", -1, "input features")
_IMAGE = Ranks(4, 4, "4-d (N x C x H x W)")


def _function_problems(params: Mapping[str, ParamValue]) -> list[str]:
    key = params["activation"]
    assert isinstance(key, str)
    if params["functional"] and ACTIVATIONS_BY_KEY[key].function is None:
        return [
            f"{key} can't be applied as a function in forward() "
            "(it has weights or no functional form); untick 'functional'"
        ]
    return []


def _upsample_problems(params: Mapping[str, ParamValue]) -> list[str]:
    if params["align_corners"] and params["mode"] not in ("bilinear", "bicubic"):
        return [f"align_corners only applies to bilinear and bicubic modes, not {params['mode']}"]
    return []


_KINDS: tuple[BlockKind, ...] = (
    BlockKind(
        "input", "input", "Input/Output", "the tensor the model receives",
        (
            int_list_param("shape", (1, 1, 28, 28), "input shape, batch first", 1, MAX_DIM),
            choice_param("dtype", "float32", ("float32", "float16", "bfloat16", "float64"),
                         "element type of the input"),
        ),
        rules.input_shape, has_input=False,
    ),
    BlockKind(
        "output", "output", "Input/Output", "a tensor the model returns", (),
        rules.identity_shape, has_output=False,
    ),
    BlockKind(
        "conv_block", "conv block", "Blocks",
        "Conv2d, optional BatchNorm2d and an activation (the seed's conv_block)",
        (
            int_param("out_channels", 32, "output channels"),
            _KERNEL, _STRIDE, _PADDING, _BIAS, _BATCH_NORM, _activation("relu"), _IN_CHANNELS,
        ),
        rules.conv_block_shape, rules.conv_block_parameters, pin=_CHANNELS_PIN, ranks=_IMAGE,
    ),
    BlockKind(
        "dec_block", "dec block", "Blocks", "Linear and an activation (the seed's dec_block)",
        (int_param("out_features", 512, "output features"), _BIAS, _activation("sigmoid"),
         _IN_FEATURES),
        rules.linear_shape, rules.dec_block_parameters, pin=_FEATURES_PIN,
    ),
    BlockKind(
        "conv_stack", "conv stack", "Blocks",
        "conv blocks over a list of channel sizes (the seed's dynamic Sequential)",
        (
            int_list_param("sizes", (32, 64), "output channels of each conv block"),
            _KERNEL, _STRIDE, _PADDING, _BIAS, _BATCH_NORM, _activation("relu"), _KEEP_OUTPUTS,
            _IN_CHANNELS,
        ),
        rules.conv_stack_shape, rules.conv_stack_parameters, pin=_CHANNELS_PIN, ranks=_IMAGE,
    ),
    BlockKind(
        "dec_stack", "dec stack", "Blocks", "dec blocks over a list of feature sizes",
        (
            int_list_param("sizes", (1024, 512), "output features of each dec block"),
            _BIAS, _activation("sigmoid"), _KEEP_OUTPUTS, _IN_FEATURES,
        ),
        rules.linear_stack_shape, rules.dec_stack_parameters, pin=_FEATURES_PIN,
    ),
    BlockKind(
        "linear_stack", "linear stack", "Blocks", "Linear layers over a list of feature sizes",
        (int_list_param("sizes", (16, 32), "output features of each layer"), _BIAS,
         _KEEP_OUTPUTS, _IN_FEATURES),
        rules.linear_stack_shape, rules.linear_stack_parameters, pin=_FEATURES_PIN,
    ),
    BlockKind(
        "conv2d", "Conv2d", "Layers", "2-d convolution",
        (int_param("out_channels", 32, "output channels"), _KERNEL, _STRIDE, _PADDING,
         _DILATION, _GROUPS, _BIAS, _IN_CHANNELS),
        rules.conv2d_shape, rules.conv2d_parameters, pin=_CHANNELS_PIN, ranks=_IMAGE,
    ),
    BlockKind(
        "conv_transpose2d", "ConvTranspose2d", "Layers", "2-d transposed convolution (upsampling)",
        (
            int_param("out_channels", 32, "output channels"),
            int_param("kernel_size", 2, "square kernel size", 1, MAX_KERNEL),
            int_param("stride", 2, "step between windows", 1, MAX_KERNEL),
            int_param("padding", 0, "zeros removed from each side of the output", 0, MAX_KERNEL),
            int_param("output_padding", 0, "extra size added to one side", 0, MAX_KERNEL),
            _DILATION, _GROUPS, _BIAS, _IN_CHANNELS,
        ),
        rules.conv_transpose2d_shape, rules.conv_transpose2d_parameters, pin=_CHANNELS_PIN,
        ranks=_IMAGE,
    ),
    BlockKind(
        "linear", "Linear", "Layers", "fully connected layer on the last dimension",
        (int_param("out_features", 10, "output features"), _BIAS, _IN_FEATURES),
        rules.linear_shape, rules.linear_parameters, pin=_FEATURES_PIN,
    ),
    BlockKind(
        "batch_norm1d", "BatchNorm1d", "Layers", "batch normalisation over N x C or N x C x L",
        (
            float_param("eps", 1e-5, "added to the variance for stability", 1e-12, 1.0),
            float_param("momentum", 0.1, "running statistics update rate", 0.0, 1.0),
            bool_param("affine", True, "learn a scale and shift"),
            bool_param("track_running_stats", True, "keep running mean and variance"),
            in_size_param("num_features", "channels; inferred unless pinned"),
        ),
        rules.batch_norm_shape, rules.batch_norm_parameters,
        ranks=Ranks(2, 3, "2-d or 3-d (N x C or N x C x L)"),
        pin=Pin("num_features", 1, "channels"),
    ),
    BlockKind(
        "batch_norm2d", "BatchNorm2d", "Layers", "batch normalisation over N x C x H x W",
        (
            float_param("eps", 1e-5, "added to the variance for stability", 1e-12, 1.0),
            float_param("momentum", 0.1, "running statistics update rate", 0.0, 1.0),
            bool_param("affine", True, "learn a scale and shift"),
            bool_param("track_running_stats", True, "keep running mean and variance"),
            in_size_param("num_features", "channels; inferred unless pinned"),
        ),
        rules.batch_norm_shape, rules.batch_norm_parameters,
        pin=Pin("num_features", 1, "channels"), ranks=_IMAGE,
    ),
    BlockKind(
        "max_pool2d", "MaxPool2d", "Pooling", "maximum over sliding windows",
        (_POOL_KERNEL, _POOL_STRIDE, _POOL_PADDING, _DILATION, _CEIL_MODE),
        rules.max_pool2d_shape, ranks=_IMAGE,
    ),
    BlockKind(
        "avg_pool2d", "AvgPool2d", "Pooling", "average over sliding windows",
        (_POOL_KERNEL, _POOL_STRIDE, _POOL_PADDING, _CEIL_MODE),
        rules.avg_pool2d_shape, ranks=_IMAGE,
    ),
    BlockKind(
        "adaptive_avg_pool2d", "AdaptiveAvgPool2d", "Pooling",
        "average pooling to a fixed output size",
        (int_list_param("output_size", (1,), "output height (and width; one value = square)",
                        1, MAX_DIM, max_items=2),),
        rules.adaptive_avg_pool2d_shape, ranks=_IMAGE,
    ),
    BlockKind(
        "dropout", "Dropout", "Layers", "randomly zero elements while training",
        (float_param("p", 0.5, "probability of zeroing an element", 0.0, 1.0),),
        rules.identity_shape,
    ),
    BlockKind(
        "flatten", "Flatten", "Layers", "flatten a range of dimensions into one",
        (
            int_param("start_dim", 1, "first dimension to flatten", -8, 8),
            int_param("end_dim", -1, "last dimension to flatten", -8, 8),
            _FUNCTIONAL,
        ),
        rules.flatten_shape,
    ),
    BlockKind(
        "upsample", "Upsample", "Layers", "resize height and width by a scale factor",
        (
            float_param("scale_factor", 2.0, "multiplier for height and width", 0.01, 1024.0),
            choice_param("mode", "nearest", ("nearest", "nearest-exact", "bilinear", "bicubic"),
                         "interpolation"),
            bool_param("align_corners", False, "align corner pixels (bilinear, bicubic)"),
        ),
        rules.upsample_shape, problem_rule=_upsample_problems, ranks=_IMAGE,
    ),
    BlockKind(
        "activation", "activation", "Layers", "an activation from the palette",
        (_activation("relu"), _FUNCTIONAL),
        rules.identity_shape, rules.activation_parameters, problem_rule=_function_problems,
    ),
    BlockKind(
        "add", "Add", "Merges", "element-wise sum (residual connections)", (_INPUTS,),
        rules.add_shape, variadic_inputs=True,
    ),
    BlockKind(
        "concat", "Concat", "Merges", "join tensors along a dimension (U-Net skips)",
        (_INPUTS, int_param("dim", 1, "dimension to join along", -8, 8)),
        rules.concat_shape, variadic_inputs=True,
    ),
)  # fmt: skip

CATALOGUE: Mapping[str, BlockKind] = {kind.name: kind for kind in _KINDS}
CATEGORIES: tuple[str, ...] = tuple(dict.fromkeys(kind.category for kind in _KINDS))


def block_kind(name: object) -> BlockKind:
    """The catalogue entry for ``name``, or ``UnknownBlockKindError`` listing the known ones."""
    if isinstance(name, str) and name in CATALOGUE:
        return CATALOGUE[name]
    known = ", ".join(CATALOGUE)
    raise UnknownBlockKindError(
        f"unknown block kind {describe_value(name)}; known kinds: {known}", "kind"
    )
