"""What a catalogue entry holds: everything about one kind of block, as data and rules.

Parameters, ports, roles, the shape and parameter-count rules, the code the block becomes and
how it reads on the canvas. The checker, the compiler, the file format and the GUI ask an
entry these questions and never test a kind's name.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum

from designer.graph import shape_rules as rules
from designer.graph.block_code import CodeRule, Params, no_code
from designer.graph.errors import BadParameterError
from designer.graph.model import INPUT_PORT, OUTPUT_PORT
from designer.graph.params import ParamSpec, ParamValue, describe_value

ShapeRule = Callable[[rules.Params, Sequence[rules.Shape]], rules.Shape]
OutputsRule = Callable[[rules.Params, Sequence[rules.Shape], rules.Shape], tuple[rules.Shape, ...]]
"""Given the main output's shape, the shapes at a kind's other output ports, in port order."""
ParameterRule = Callable[[rules.Params, Sequence[rules.Shape], rules.Shape], int]
ProblemRule = Callable[[rules.Params], list[str]]
SummaryRule = Callable[[Params], str]


INDEX_DTYPES = frozenset({"int64"})
"""Input dtypes whose values are indices (token ids) rather than measurements."""


class End(Enum):
    """The two kinds that sit at the model's edge rather than in it."""

    INPUT = "input"
    """An argument of the model's ``forward``: no input port."""
    OUTPUT = "output"
    """A value the model returns: no output port."""


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
class InputPort:
    """A named input (MultiheadAttention's query, key and value)."""

    name: str
    help: str
    defaults_to: str | None = None
    """When nothing is connected here, the value at this other port is used (self-attention:
    key and value default to the query); None: the port must be connected."""


@dataclass(frozen=True, slots=True)
class OutputPort:
    """A named output (an LSTM's output, h_n and c_n); the first is the main one."""

    name: str
    help: str


_SINGLE_INPUT = (InputPort(INPUT_PORT, "the tensor in"),)
_SINGLE_OUTPUT = (OutputPort(OUTPUT_PORT, "the tensor out"),)


def never(params: Params) -> bool:
    return False


def always(params: Params) -> bool:
    return True


def when_functional(params: Params) -> bool:
    return bool(params["functional"])


@dataclass(frozen=True, slots=True)
class BlockKind:
    name: str
    label: str
    category: str
    help: str
    params: tuple[ParamSpec, ...]
    shape_rule: ShapeRule
    parameter_rule: ParameterRule = rules.no_parameters
    code: CodeRule = no_code
    """The code the block becomes (see ``block_code``)."""
    summary: SummaryRule | None = None
    """Its key sizes in a few words on the canvas (``conv 32, 3x3``); None: its label."""
    ranks: Ranks = Ranks()
    pin: Pin | None = None
    end: End | None = None
    variadic_inputs: bool = False
    """True for merges: the ``inputs`` parameter sets how many input ports there are."""
    forward_only: Callable[[Params], bool] = never
    """Whether, with these parameters, the block is an expression in ``forward`` rather than
    a sub-module (merges always; functional activations and flattens when asked)."""
    takes_indices: bool = False
    """Its input holds integer indices (an Embedding's tokens), not floating-point values."""
    keeps_dtype: bool = False
    """Its output holds the same kind of numbers as its input (reshapes, selections): indices
    stay indices through it. Every other kind takes and gives floating-point values."""
    custom_call: Callable[[Params], bool] = never
    """Whether ``forward`` uses the sub-module otherwise than as ``self.<attribute>(x)`` (its
    code's ``call``): such a block can't sit in an ``nn.Sequential``."""
    stack: bool = False
    """The block is built over a list of sizes, named in ``__init__`` before its constructor."""
    flattens: bool = False
    """Its output's last dimension is a product of its input's (messages show the factors)."""
    problem_rule: ProblemRule | None = None
    """Problems with a combination of parameters that each are valid alone."""
    torch_class: str | None = None
    """The ``torch.nn`` class the block is built from, when it is one."""
    torch_defaults: Mapping[str, ParamValue] = field(default_factory=dict)
    """That class's constructor defaults the code leaves out (a test reads them from torch)."""
    named_inputs: tuple[InputPort, ...] = _SINGLE_INPUT
    """The input ports, for kinds that are neither ends nor merges."""
    named_outputs: tuple[OutputPort, ...] = _SINGLE_OUTPUT
    """The output ports, the main one (``out``) first."""
    outputs_rule: OutputsRule | None = None
    """For several outputs: the shapes at the ports after the main one."""
    ports: tuple[str, ...] = field(init=False, repr=False, compare=False)
    """The input ports when they don't depend on parameters; empty for merges (and inputs)."""

    def __post_init__(self) -> None:
        named = tuple(port.name for port in self.named_inputs)
        fixed = named if self.has_input and not self.variadic_inputs else ()
        object.__setattr__(self, "ports", fixed)
        assert self.named_outputs[0].name == OUTPUT_PORT, "the main output is 'out'"

    @property
    def has_input(self) -> bool:
        return self.end is not End.INPUT

    @property
    def has_output(self) -> bool:
        return self.end is not End.OUTPUT

    def input_ports(self, params: Mapping[str, ParamValue]) -> tuple[str, ...]:
        if not self.has_input:
            return ()
        if self.variadic_inputs:
            count = params["inputs"]
            assert isinstance(count, int)
            return tuple(f"in{index}" for index in range(count))
        return self.ports

    def required_inputs(self, params: Mapping[str, ParamValue]) -> tuple[str, ...]:
        """The input ports that must be connected (the rest default to another port)."""
        optional = {port.name for port in self.named_inputs if port.defaults_to is not None}
        return tuple(port for port in self.input_ports(params) if port not in optional)

    def input_default(self, port: str) -> str | None:
        """The port whose value an unconnected ``port`` takes; None if it must be connected."""
        for declared in self.named_inputs:
            if declared.name == port:
                return declared.defaults_to
        return None

    def fed_from(self, port: str, connected: Collection[str]) -> str | None:
        """The connected port whose value reaches ``port``: itself, or the port it defaults
        to, followed as far as needed (attention's value defaults to the key, which defaults
        to the query); None when none of them is connected."""
        seen = {port}
        while port not in connected:
            default = self.input_default(port)
            if default is None or default in seen:
                return None
            seen.add(default)
            port = default
        return port

    def output_ports(self) -> tuple[str, ...]:
        return tuple(port.name for port in self.named_outputs) if self.has_output else ()

    @property
    def several_outputs(self) -> bool:
        return len(self.named_outputs) > 1

    def becomes_module(self, params: Mapping[str, ParamValue]) -> bool:
        """Whether the block is a sub-module of its own (not an end, not forward-only)."""
        return self.end is None and not self.forward_only(params)

    def chains(self, params: Mapping[str, ParamValue]) -> bool:
        """Whether the block can be a member of an ``nn.Sequential``: a sub-module taking one
        tensor and giving one, called plainly, keeping no trace."""
        return (
            self.becomes_module(params)
            and len(self.input_ports(params)) == 1
            and not self.several_outputs
            and not self.custom_call(params)
            and not (self.stack and params["keep_outputs"])
        )

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

    def describe_block(self, params: Params) -> str:
        """How a block of this kind reads on the canvas."""
        return self.summary(params) if self.summary is not None else self.label
