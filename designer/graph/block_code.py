"""What a block becomes in code, as a catalogue entry states it: plain strings, no torch.

An entry's code rule gets a ``CodeContext`` (the block's parameters, the shapes reaching it,
the name its size list may take, and the helpers the module will need) and returns a
``BlockCode``: the lines run in ``__init__`` before its constructor, the constructor (a
sub-module), or, for blocks that live in ``forward`` only, the expression computing their
output. The compiler places these; it never asks which kind a block is.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from designer.graph.activations import ACTIVATIONS_BY_KEY
from designer.graph.params import ParamValue
from designer.graph.shape_rules import Shape

Statement = Callable[[Sequence[str]], str]
"""Given the input variables, the expression a forward-only block computes."""
Params = Mapping[str, ParamValue]


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
    ordered_dict: bool = False
    """Whether some ``nn.Sequential`` names its members (``OrderedDict``)."""


@dataclass(frozen=True, slots=True)
class BlockCode:
    setup: tuple[str, ...] = ()
    """Lines run in ``__init__`` before the constructor (a stack's size list)."""
    constructor: str | None = None
    """The sub-module; None for blocks that live in ``forward`` only."""
    statement: Statement | None = None
    """For forward-only blocks: the expression computing their output."""
    is_module: bool = True
    """False for a constructor that is no sub-module: an ``nn.Parameter`` (a learned tensor)."""
    keeps_outputs: bool = False
    """An ``nn.ModuleList`` whose every output ``forward`` keeps in a trace."""
    call: Callable[[str, Sequence[str]], str] | None = None
    """How ``forward`` uses the sub-module, given ``self.<attribute>`` and the input variables,
    when not as ``self.<attribute>(x)`` (attention's ``(q, k, v, need_weights=False)[0]``)."""
    unpack: Callable[[Sequence[str]], str] | None = None
    """For several outputs: the assignment target, given a variable per output port (``_``
    for those nothing reads), when not ``a, b, c``: an LSTM's ``out, (h_n, c_n)``."""


@dataclass(frozen=True, slots=True)
class CodeContext:
    """What an entry's code rule knows about the block it writes."""

    params: Params
    inputs: Sequence[Shape]
    """The shapes reaching each input port (the shape check has passed)."""
    needs: Needs
    sizes_name: str = ""
    """For stacks: the local name its size list takes in ``__init__``."""
    torch_defaults: Params = field(default_factory=dict)
    """The entry's torch constructor defaults: arguments equal to them are left out."""
    written: frozenset[str] = frozenset()
    """Parameters written even where they equal their default: they differ between groups
    that share a class, which takes them as arguments."""

    @property
    def shape(self) -> Shape:
        return self.inputs[0] if self.inputs else ()

    def changed(self, *names: str) -> list[str]:
        """``name=value`` for each named parameter that differs from torch's default."""
        return self.keywords({name: self.torch_defaults[name] for name in names})

    def keywords(self, defaults: Params, values: Params | None = None) -> list[str]:
        """``name=value`` for each parameter in ``defaults`` whose value (``values``, else the
        block's) differs from it or is always ``written``."""
        params = self.params if values is None else values
        return [
            f"{name}={literal(params[name])}"
            for name, default in defaults.items()
            if name in self.written or params[name] != default
        ]


CodeRule = Callable[[CodeContext], BlockCode]


def literal(value: ParamValue) -> str:
    return repr(list(value)) if isinstance(value, tuple) else repr(value)


def keywords(params: Params, defaults: Params) -> list[str]:
    """``name=value`` for each parameter in ``defaults`` whose value differs from it."""
    return [
        f"{name}={literal(params[name])}"
        for name, default in defaults.items()
        if params[name] != default
    ]


def dim_from_front(value: ParamValue, rank: int) -> int:
    """A dimension counted from the front: the safety allow-list has no negative numbers.

    One outside the rank is left as given (the shape check refuses it before any code is
    written; torch, given it, refuses it too)."""
    assert isinstance(value, int)
    return value + rank if -rank <= value < 0 else value


def call(function: str, arguments: Sequence[str]) -> str:
    return f"{function}({', '.join(arguments)})"


def module(constructor: str, arguments: Sequence[str] = ()) -> BlockCode:
    """A block that is one sub-module: ``nn.<constructor>(arguments)``."""
    return BlockCode(constructor=call(constructor, arguments))


def activation_module(key: str) -> str:
    entry = ACTIVATIONS_BY_KEY[key]
    return call(f"nn.{entry.module}", [f"{name}={value!r}" for name, value in entry.kwargs])


def palette_source(keys: set[str]) -> str:
    """The ModuleDict entries for the activations the factories pick from, in palette order."""
    entries = [f"{key!r}: {activation_module(key)}" for key in ACTIVATIONS_BY_KEY if key in keys]
    return "{" + ", ".join(entries) + "}"


def no_code(context: CodeContext) -> BlockCode:
    """For the ends: an input is an argument of ``forward``, an output what it returns."""
    return BlockCode()
