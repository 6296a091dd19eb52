"""The immutable records a design is made of: blocks, edges and groups.

The ``Design`` replaces a record whenever it changes, so an event can carry the old and the new
record and an undo command can hold either without copying.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from designer.graph.params import ParamValue

OUTPUT_PORT = "out"
INPUT_PORT = "in"


@dataclass(frozen=True, slots=True)
class Block:
    """One node on the canvas."""

    id: str
    kind: str
    name: str
    params: Mapping[str, ParamValue]
    position: tuple[float, float] = (0.0, 0.0)
    group: str | None = None
    param_key: tuple[object, ...] = field(init=False, repr=False, compare=False)
    """The kind and parameters as a hashable key, for the shape cache."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "param_key", (self.kind, *sorted(self.params.items())))


@dataclass(frozen=True, slots=True, order=True)
class Edge:
    """A connection from a block's output port to another block's input port."""

    source: str
    target: str
    source_port: str = OUTPUT_PORT
    target_port: str = INPUT_PORT


@dataclass(frozen=True, slots=True)
class Group:
    """A named set of blocks (and nested groups) that becomes a sub-module.

    ``class_name`` is the sub-module's class (``MyEncoder``); None lets the compiler choose
    (an ``nn.Sequential`` for a plain chain).
    """

    id: str
    name: str
    class_name: str | None = None
    parent: str | None = None
    sequential: str | None = None
    """For a plain chain, the ``nn.Sequential`` it is (``SEQUENTIAL_STYLES``), as an imported
    model had it: ``numbered`` (a class then subclasses ``nn.Sequential``: torchvision's
    ``Conv2dNormActivation``), or ``named``, whose members keep their names
    (``nn.Sequential(OrderedDict(...))``). None: a class is an ``nn.Module`` with attributes,
    and a chain without one a numbered ``nn.Sequential``."""


SEQUENTIAL_STYLES = ("numbered", "named")
