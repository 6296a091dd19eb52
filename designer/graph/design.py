"""The design: the graph of blocks a person draws, its groups and its model name.

All state changes go through the edit methods below. Each validates first and raises a typed
``DesignError`` before touching anything, so a refused edit leaves the design as it was; each
successful edit announces itself to subscribers as a change record (see ``events``).
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from enum import Enum
from typing import Any, Final

import networkx as nx

from designer.graph.catalogue import block_kind
from designer.graph.errors import (
    BadParameterError,
    CycleError,
    DuplicateIdError,
    GroupError,
    PortError,
    UnknownIdError,
)
from designer.graph.events import (
    BlockAdded,
    BlockChanged,
    BlockRemoved,
    Change,
    EdgeAdded,
    EdgeRemoved,
    GroupAdded,
    GroupChanged,
    GroupRemoved,
    Listener,
    ModelRenamed,
)
from designer.graph.events import ChangeNotifier as _Notifier
from designer.graph.kind import BlockKind
from designer.graph.model import OUTPUT_PORT, SEQUENTIAL_STYLES, Block, Edge, Group
from designer.graph.module_paths import ModulePaths, find_module_paths
from designer.graph.names import (
    check_attribute_name,
    check_class_name,
    check_identifier,
    is_identifier,
    unique_name,
)
from designer.graph.params import ParamValue, describe_value

DEFAULT_CLASS_NAME: Final = "MyModel"


class MembersScope(Enum):
    """The type of ``MEMBERS_SCOPE``."""

    MEMBERS = "the members' scope"


MEMBERS_SCOPE: Final = MembersScope.MEMBERS
"""``add_group``'s parent when none is given: where its members sit (the top level for an
empty group). Any other parent, ``None`` for the top level included, is checked against them."""
_ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}\Z")
_NUMBERED_ID = re.compile(r"([bg])(\d{1,12})\Z")
MAX_GROUP_DEPTH: Final = 32


def check_id(value: object, what: str) -> str:
    if not isinstance(value, str) or not _ID_PATTERN.match(value):
        raise UnknownIdError(
            f"{what} must be 1 to 64 letters, digits, '_' or '-', got {describe_value(value)}"
        )
    return value


def check_position(value: object) -> tuple[float, float]:
    if (
        not isinstance(value, list | tuple)
        or len(value) != 2
        or not all(
            isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
            for v in value
        )
    ):
        raise BadParameterError(
            f"expected [x, y] with two finite numbers, got {describe_value(value)}", "position"
        )
    return (float(value[0]), float(value[1]))


def _id_order(identifier: str) -> tuple[int, int | str]:
    """Numbered ids ("b12") by number, others after them by name."""
    match = _NUMBERED_ID.match(identifier)
    return (0, int(match.group(2))) if match else (1, identifier)


class Design:
    """A networkx-backed graph of blocks with first-class edges and nested groups."""

    def __init__(self, class_name: str = DEFAULT_CLASS_NAME) -> None:
        self._class_name = check_identifier(class_name, "model class name", "")
        self._graph: nx.MultiDiGraph[str] = nx.MultiDiGraph()
        self._blocks: dict[str, Block] = {}
        self._groups: dict[str, Group] = {}
        self._inbound: dict[str, dict[str, Edge]] = {}
        self._names: dict[str | None, set[str]] = {None: set()}
        """Names taken in each scope (a group id, or None for the top level)."""
        self._next_number = {"b": 1, "g": 1}
        self._order: tuple[str, ...] | None = None
        self._module_paths: ModulePaths | None = None
        self._notifier = _Notifier()

    # --- observing -------------------------------------------------------------------------

    def subscribe(self, listener: Listener) -> None:
        self._notifier.subscribe(listener)

    def unsubscribe(self, listener: Listener) -> None:
        self._notifier.unsubscribe(listener)

    # --- reading ---------------------------------------------------------------------------

    @property
    def class_name(self) -> str:
        return self._class_name

    @property
    def blocks(self) -> Mapping[str, Block]:
        return self._blocks

    @property
    def groups(self) -> Mapping[str, Group]:
        return self._groups

    @property
    def graph(self) -> nx.MultiDiGraph[str]:
        """The block graph (nodes are block ids; edge keys are target ports). Read it only."""
        return self._graph

    def block(self, block_id: str) -> Block:
        try:
            return self._blocks[block_id]
        except KeyError:
            raise UnknownIdError(f"no block with id {describe_value(block_id)}") from None

    def group(self, group_id: str) -> Group:
        try:
            return self._groups[group_id]
        except KeyError:
            raise UnknownIdError(f"no group with id {describe_value(group_id)}") from None

    def kind(self, block_id: str) -> BlockKind:
        return block_kind(self.block(block_id).kind)

    def edges(self) -> Iterator[Edge]:
        for ports in self._inbound.values():
            yield from ports.values()

    def inbound(self, block_id: str) -> Mapping[str, Edge]:
        """The edges into ``block_id``, by target port."""
        return self._inbound[block_id]

    @property
    def inbound_edges(self) -> Mapping[str, Mapping[str, Edge]]:
        """Every block's inbound edges by target port, for loops over all blocks. Read only."""
        return self._inbound

    def outbound(self, block_id: str) -> list[Edge]:
        return [
            self._inbound[target][port]
            for _, target, port in self._graph.out_edges(block_id, keys=True)
        ]

    def topological_order(self) -> tuple[str, ...]:
        """Block ids, every block after the blocks feeding it; ties broken by id (creation
        order), so a block removed and brought back by undo takes its old place."""
        if self._order is None:
            self._order = tuple(nx.lexicographical_topological_sort(self._graph, key=_id_order))
        return self._order

    def qualified_name(self, block_id: str) -> str:
        """``encoder.conv_blocks``: the names of the block's groups and its own, a key that
        stays put while the design's data flow changes. Inside a group that becomes an
        ``nn.Sequential`` it differs from the path the model shows: see ``module_path``."""
        block = self.block(block_id)
        return ".".join([*(group.name for group in self.group_path(block.group)), block.name])

    def module_path(self, block_id: str) -> str:
        """The block's path as ``named_modules()`` will show it (``stage1.0.conv1`` where the
        class-less group ``stage1`` becomes an ``nn.Sequential``)."""
        self.block(block_id)
        return self.module_paths().blocks[block_id]

    def module_paths(self) -> ModulePaths:
        """Every block's and group's module path, worked out once per change of the design."""
        if self._module_paths is None:
            self._module_paths = find_module_paths(self)
        return self._module_paths

    def describe(self, block_id: str) -> str:
        """``conv block 'encoder.conv1'``: how messages name a block (by its module path)."""
        block = self.block(block_id)
        return f"{block_kind(block.kind).label} '{self.module_path(block_id)}'"

    def group_path(self, group_id: str | None) -> list[Group]:
        """The groups from the outermost down to ``group_id``."""
        path: list[Group] = []
        while group_id is not None:
            group = self.group(group_id)
            path.append(group)
            group_id = group.parent
        return path[::-1]

    def members(self, group_id: str) -> tuple[list[str], list[str]]:
        """The blocks and the groups directly inside ``group_id``."""
        self.group(group_id)
        blocks = [block.id for block in self._blocks.values() if block.group == group_id]
        groups = [group.id for group in self._groups.values() if group.parent == group_id]
        return blocks, groups

    def name_in_use(self, name: str, scope: str | None = None) -> bool:
        """Whether a block or group directly inside ``scope`` is called ``name``."""
        return name in self._names.get(scope, ())

    def new_name(self, base: str, scope: str | None = None) -> str:
        """A name based on ``base`` that nothing directly inside ``scope`` has yet."""
        return unique_name(base, self._names.get(scope, set()))

    def unused_ids(self, prefix: str, count: int) -> list[str]:
        """The next ``count`` ids ``add_block`` ("b") or ``add_group`` ("g") would hand out."""
        taken = self._blocks if prefix == "b" else self._groups
        found: list[str] = []
        number = self._next_number[prefix]
        while len(found) < count:
            if f"{prefix}{number}" not in taken:
                found.append(f"{prefix}{number}")
            number += 1
        return found

    # --- editing blocks --------------------------------------------------------------------

    def add_block(
        self,
        kind: str,
        *,
        name: str | None = None,
        params: Mapping[str, object] | None = None,
        position: Sequence[float] = (0.0, 0.0),
        group: str | None = None,
        block_id: str | None = None,
    ) -> Block:
        """Add a block; missing parameters take the kind's defaults."""
        entry = block_kind(kind)
        block_id = self._fresh_id("b") if block_id is None else check_id(block_id, "block id")
        if block_id in self._blocks:
            raise DuplicateIdError(f"a block with id {block_id!r} already exists", "id")
        self._check_scope(entry, group)
        name = self.new_name(entry.name, group) if name is None else name
        check_attribute_name(name, "block name", self._names[group], key=self._keyed(group))
        block = Block(
            id=block_id,
            kind=entry.name,
            name=name,
            params=entry.validate_params(params or {}),
            position=check_position(position),
            group=group,
        )
        self._blocks[block_id] = block
        self._inbound[block_id] = {}
        self._graph.add_node(block_id)
        self._names[group].add(name)
        self._note_id(block_id)
        self._order = None
        self._emit(BlockAdded(block))
        return block

    def remove_block(self, block_id: str) -> tuple[Block, list[Edge]]:
        """Remove a block and its edges; returns both so the removal can be undone."""
        block = self.block(block_id)
        edges = [*self._inbound[block_id].values(), *self.outbound(block_id)]
        for edge in edges:
            self.disconnect(edge)
        del self._blocks[block_id]
        del self._inbound[block_id]
        self._graph.remove_node(block_id)
        self._names[block.group].discard(block.name)
        self._order = None
        self._emit(BlockRemoved(block))
        return block, edges

    def set_param(self, block_id: str, name: str, value: object) -> ParamValue:
        """Set one parameter; returns the old value."""
        block = self.block(block_id)
        entry = block_kind(block.kind)
        new_value = entry.param(name).validate(value)
        params = {**block.params, name: new_value}
        if entry.variadic_inputs:
            ports = set(entry.input_ports(params))
            connected = sorted(set(self._inbound[block_id]) - ports)
            if connected:
                raise BadParameterError(
                    f"{self.describe(block_id)} still has {', '.join(connected)} connected; "
                    "disconnect them before removing the ports",
                    f"params.{name}",
                )
        self._replace_block(block, params=params)
        return block.params[name]

    def rename_block(self, block_id: str, name: str) -> str:
        """Rename a block; returns the old name."""
        block = self.block(block_id)
        if name != block.name:
            taken = self._names[block.group]
            check_attribute_name(name, "block name", taken, key=self._keyed(block.group))
            taken.discard(block.name)
            taken.add(name)
            self._replace_block(block, name=name)
        return block.name

    def move_block(self, block_id: str, position: Sequence[float]) -> tuple[float, float]:
        """Move a block on the canvas; returns the old position."""
        block = self.block(block_id)
        self._replace_block(block, position=check_position(position))
        return block.position

    # --- editing edges ---------------------------------------------------------------------

    def connect(
        self,
        source: str,
        target: str,
        target_port: str = "in",
        source_port: str = OUTPUT_PORT,
        *,
        check_cycle: bool = True,
    ) -> Edge:
        """Connect ``source``'s output to ``target``'s input port.

        ``check_cycle=False`` is for building a design from many edges at once (loading a
        file), where one ``find_cycle()`` after the last edge replaces a search per edge.
        """
        source_kind, target_kind = self.kind(source), self.kind(target)
        if not source_kind.has_output:
            raise PortError(f"{self.describe(source)} has no output to connect from")
        outputs = source_kind.output_ports()
        if source_port not in outputs:
            raise PortError(
                f"{self.describe(source)} has no output port {describe_value(source_port)} "
                f"(its outputs: {', '.join(outputs)})"
            )
        ports = target_kind.input_ports(self._blocks[target].params)
        if target_port not in ports:
            have = ", ".join(ports) or "none"
            raise PortError(
                f"{self.describe(target)} has no input port {describe_value(target_port)} "
                f"(its inputs: {have})"
            )
        existing = self._inbound[target].get(target_port)
        if existing is not None:
            raise PortError(
                f"input {target_port!r} of {self.describe(target)} is already connected to "
                f"'{self._blocks[existing.source].name}'"
            )
        if check_cycle and (source == target or nx.has_path(self._graph, target, source)):
            path = [source] if source == target else nx.shortest_path(self._graph, target, source)
            names = " -> ".join(self._blocks[node].name for node in [*path, target])
            raise CycleError(f"connecting would make a cycle: {names}")
        edge = Edge(source, target, source_port, target_port)
        self._inbound[target][target_port] = edge
        self._graph.add_edge(source, target, key=target_port)
        self._order = None
        self._emit(EdgeAdded(edge))
        return edge

    def find_cycle(self) -> list[Edge] | None:
        """The edges of one cycle, in data-flow order; None when data flows one way."""
        try:
            loop = nx.find_cycle(self._graph)
        except nx.NetworkXNoCycle:
            return None
        return [self._inbound[target][port] for _, target, port in loop]

    def disconnect(self, edge: Edge) -> None:
        if self._inbound.get(edge.target, {}).get(edge.target_port) != edge:
            raise UnknownIdError(f"no such edge: {edge}")
        del self._inbound[edge.target][edge.target_port]
        self._graph.remove_edge(edge.source, edge.target, key=edge.target_port)
        self._order = None
        self._emit(EdgeRemoved(edge))

    # --- editing groups --------------------------------------------------------------------

    def add_group(
        self,
        name: str,
        blocks: Iterable[str] = (),
        groups: Iterable[str] = (),
        *,
        class_name: str | None = None,
        parent: str | MembersScope | None = MEMBERS_SCOPE,
        group_id: str | None = None,
        sequential: str | None = None,
    ) -> Group:
        """Make a group of blocks and groups that share one scope; it takes their place there.

        ``parent`` is the scope for an empty group (the top level when not given); with
        members it must be theirs, and a ``GroupError`` names both when it isn't.
        """
        block_ids, group_ids = list(blocks), list(groups)
        group_id = self._fresh_id("g") if group_id is None else check_id(group_id, "group id")
        if group_id in self._groups:
            raise DuplicateIdError(f"a group with id {group_id!r} already exists", "id")
        if class_name is not None:
            check_class_name(class_name, "class name")
        _check_sequential(sequential)
        scopes = {self.block(member).group for member in block_ids}
        scopes |= {self.group(member).parent for member in group_ids}
        if len(scopes) > 1:
            raise GroupError("a group's members must all sit in the same group (or all at top)")
        scope = self._group_scope(scopes.pop() if scopes else MEMBERS_SCOPE, parent)
        inner = max((self._nesting_below(member) for member in group_ids), default=0)
        if len(self.group_path(scope)) + 1 + inner > MAX_GROUP_DEPTH:
            raise GroupError(f"groups nest at most {MAX_GROUP_DEPTH} deep")
        for member in block_ids:
            if block_kind(self._blocks[member].kind).end is not None:
                raise GroupError(f"{self.describe(member)} must stay at the top level")
        leaving = {self._blocks[member].name for member in block_ids}
        leaving |= {self._groups[member].name for member in group_ids}
        check_attribute_name(
            name, "group name", self._names[scope] - leaving, key=self._keyed(scope)
        )
        if sequential != "named":
            self._check_attributes(leaving, name)
        group = Group(group_id, name, class_name, scope, sequential)
        self._groups[group_id] = group
        self._names[group_id] = set()
        self._note_id(group_id)
        self._emit(GroupAdded(group))
        for member in block_ids:
            self._move_block(self._blocks[member], group_id)
        for member in group_ids:
            self._move_group(self._groups[member], group_id)
        self._names[scope].add(name)
        return group

    def ungroup(self, group_id: str) -> tuple[Group, list[str], list[str]]:
        """Dissolve a group: its members move to its parent. Returns what undo needs."""
        group = self.group(group_id)
        block_ids, group_ids = self.members(group_id)
        outer = self._names[group.parent] - {group.name}
        clashes = sorted(self._names[group_id] & outer)
        if clashes:
            raise GroupError(
                f"can't dissolve '{group.name}': {', '.join(clashes)} already named in "
                "the enclosing scope; rename first"
            )
        if not self._keyed(group.parent):
            self._check_attributes(self._names[group_id], group.name, "dissolve")
        self._names[group.parent].discard(group.name)
        for member in block_ids:
            self._move_block(self._blocks[member], group.parent)
        for member in group_ids:
            self._move_group(self._groups[member], group.parent)
        del self._groups[group_id]
        del self._names[group_id]
        self._emit(GroupRemoved(group))
        return group, block_ids, group_ids

    def rename_group(self, group_id: str, name: str) -> str:
        group = self.group(group_id)
        if name != group.name:
            taken = self._names[group.parent]
            check_attribute_name(name, "group name", taken, key=self._keyed(group.parent))
            taken.discard(group.name)
            taken.add(name)
            self._replace_group(group, name=name)
        return group.name

    def set_group_class(self, group_id: str, class_name: str | None) -> str | None:
        group = self.group(group_id)
        if class_name is not None:
            check_class_name(class_name, "class name")
        self._replace_group(group, class_name=class_name)
        return group.class_name

    def set_group_sequential(self, group_id: str, sequential: str | None) -> str | None:
        group = self.group(group_id)
        _check_sequential(sequential)
        if sequential != "named":
            self._check_attributes(self._names[group_id], group.name, "change")
        self._replace_group(group, sequential=sequential)
        return group.sequential

    def set_class_name(self, class_name: str) -> str:
        old = self._class_name
        self._class_name = check_identifier(class_name, "model class name", "")
        if class_name != old:
            self._emit(ModelRenamed(old, class_name))
        return old

    # --- internals -------------------------------------------------------------------------

    def _emit(self, change: Change) -> None:
        """Forget what was worked out from the design as it was, then tell the subscribers."""
        self._module_paths = None
        self._notifier.emit(change)

    def _group_scope(
        self, members: str | MembersScope | None, parent: str | MembersScope | None
    ) -> str | None:
        """Where a new group goes: the scope its members share, and ``parent`` if given."""
        if isinstance(parent, MembersScope):
            return None if isinstance(members, MembersScope) else members
        if parent is not None:
            self.group(parent)
        if not isinstance(members, MembersScope) and members != parent:
            raise GroupError(
                f"the parent given is {self._scope_text(parent)}, but the members sit in "
                f"{self._scope_text(members)}; a group takes its members' place",
                "parent",
            )
        return parent

    def _scope_text(self, scope: str | None) -> str:
        return "the top level" if scope is None else f"group '{self.group(scope).name}' ({scope})"

    def _check_scope(self, entry: BlockKind, group: str | None) -> None:
        if group is None:
            return
        self.group(group)
        if entry.end is not None:
            raise GroupError(f"{entry.label} blocks must stay at the top level", "group")

    def _keyed(self, scope: str | None) -> bool:
        """Whether names in ``scope`` may be module keys (``block1-0``): a named Sequential's."""
        return scope is not None and self._groups[scope].sequential == "named"

    def _check_attributes(self, names: Iterable[str], group: str, doing: str = "make") -> None:
        keys = sorted(name for name in names if not is_identifier(name))
        if keys:
            raise GroupError(
                f"can't {doing} '{group}': {', '.join(keys)} can only name the members of a "
                "named Sequential; rename first"
            )

    def _move_block(self, block: Block, scope: str | None) -> None:
        self._names[block.group].discard(block.name)
        self._names[scope].add(block.name)
        self._replace_block(block, group=scope)

    def _move_group(self, group: Group, scope: str | None) -> None:
        self._names[group.parent].discard(group.name)
        self._names[scope].add(group.name)
        self._replace_group(group, parent=scope)

    def _replace_block(self, block: Block, **changes: Any) -> None:
        new = dataclasses.replace(block, **changes)
        if new == block:
            return
        self._blocks[block.id] = new
        self._emit(BlockChanged(block, new))

    def _replace_group(self, group: Group, **changes: Any) -> None:
        new = dataclasses.replace(group, **changes)
        if new == group:
            return
        self._groups[group.id] = new
        self._emit(GroupChanged(group, new))

    def _nesting_below(self, group_id: str) -> int:
        """How many levels of groups a group holds (1 for a group without inner groups)."""
        inner = [group.id for group in self._groups.values() if group.parent == group_id]
        return 1 + max((self._nesting_below(child) for child in inner), default=0)

    def _fresh_id(self, prefix: str) -> str:
        taken = self._blocks if prefix == "b" else self._groups
        while f"{prefix}{self._next_number[prefix]}" in taken:
            self._next_number[prefix] += 1
        return f"{prefix}{self._next_number[prefix]}"

    def _note_id(self, identifier: str) -> None:
        match = _NUMBERED_ID.match(identifier)
        if match:
            prefix, number = match.group(1), int(match.group(2))
            self._next_number[prefix] = max(self._next_number[prefix], number + 1)


def _check_sequential(sequential: str | None) -> None:
    if sequential is not None and sequential not in SEQUENTIAL_STYLES:
        raise GroupError(
            f"a group's sequential is one of {', '.join(SEQUENTIAL_STYLES)} or null, got "
            f"{sequential!r}",
            "sequential",
        )
