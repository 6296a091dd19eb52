"""Reversible edits: each one applies a design edit method and knows how to take it back.

The GUI's undo commands are thin wrappers around lists of these, so what undo does is plain
Python that tests can drive without Qt. An edit records what it needs for ``undo`` while it is
applied (the block a removal took away, a parameter's old value), and ``apply`` after ``undo``
repeats exactly the same change: added blocks and groups keep their ids.

``apply_all`` applies a list of edits as one: when one is refused, those already applied are
undone, so a compound edit either happens whole or not at all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from designer.graph.design import MEMBERS_SCOPE, Design, MembersScope
from designer.graph.model import OUTPUT_PORT, Block, Edge, Group
from designer.graph.params import ParamValue


class Edit:
    """One reversible change; ``apply`` may raise a ``DesignError`` and then changes nothing."""

    def apply(self, design: Design) -> None:
        raise NotImplementedError

    def undo(self, design: Design) -> None:
        raise NotImplementedError


@dataclass
class AddBlock(Edit):
    kind: str
    position: tuple[float, float] = (0.0, 0.0)
    name: str | None = None
    params: Mapping[str, object] = field(default_factory=dict)
    group: str | None = None
    block_id: str | None = None
    """Filled in by the first ``apply`` so a redo brings back the same block."""

    def apply(self, design: Design) -> None:
        block = design.add_block(
            self.kind,
            name=self.name,
            params=self.params,
            position=self.position,
            group=self.group,
            block_id=self.block_id,
        )
        self.block_id, self.name = block.id, block.name

    def undo(self, design: Design) -> None:
        assert self.block_id is not None
        design.remove_block(self.block_id)


@dataclass
class RemoveBlock(Edit):
    block_id: str
    _block: Block | None = None
    _edges: list[Edge] = field(default_factory=list)

    def apply(self, design: Design) -> None:
        self._block, self._edges = design.remove_block(self.block_id)

    def undo(self, design: Design) -> None:
        block = self._block
        assert block is not None
        design.add_block(
            block.kind,
            name=block.name,
            params=block.params,
            position=block.position,
            group=block.group,
            block_id=block.id,
        )
        for edge in self._edges:
            design.connect(edge.source, edge.target, edge.target_port, edge.source_port)


@dataclass
class Connect(Edit):
    source: str
    target: str
    target_port: str = "in"
    source_port: str = OUTPUT_PORT
    _edge: Edge | None = None

    def apply(self, design: Design) -> None:
        self._edge = design.connect(self.source, self.target, self.target_port, self.source_port)

    def undo(self, design: Design) -> None:
        assert self._edge is not None
        design.disconnect(self._edge)


@dataclass
class Disconnect(Edit):
    edge: Edge

    def apply(self, design: Design) -> None:
        design.disconnect(self.edge)

    def undo(self, design: Design) -> None:
        edge = self.edge
        design.connect(edge.source, edge.target, edge.target_port, edge.source_port)


@dataclass
class SetParam(Edit):
    block_id: str
    name: str
    value: object
    old: ParamValue = None

    def apply(self, design: Design) -> None:
        self.old = design.set_param(self.block_id, self.name, self.value)

    def undo(self, design: Design) -> None:
        design.set_param(self.block_id, self.name, self.old)


@dataclass
class RenameBlock(Edit):
    block_id: str
    name: str
    old: str = ""

    def apply(self, design: Design) -> None:
        self.old = design.rename_block(self.block_id, self.name)

    def undo(self, design: Design) -> None:
        design.rename_block(self.block_id, self.old)


@dataclass
class MoveBlock(Edit):
    block_id: str
    position: tuple[float, float]
    old: tuple[float, float] = (0.0, 0.0)

    def apply(self, design: Design) -> None:
        self.old = design.move_block(self.block_id, self.position)

    def undo(self, design: Design) -> None:
        design.move_block(self.block_id, self.old)


@dataclass
class AddGroup(Edit):
    name: str
    blocks: Sequence[str] = ()
    groups: Sequence[str] = ()
    class_name: str | None = None
    parent: str | MembersScope | None = MEMBERS_SCOPE
    """Where the group goes: by default where its members sit."""
    group_id: str | None = None
    sequential: str | None = None

    def apply(self, design: Design) -> None:
        group = design.add_group(
            self.name,
            self.blocks,
            self.groups,
            class_name=self.class_name,
            parent=self.parent,
            group_id=self.group_id,
            sequential=self.sequential,
        )
        self.group_id = group.id

    def undo(self, design: Design) -> None:
        assert self.group_id is not None
        design.ungroup(self.group_id)


@dataclass
class Ungroup(Edit):
    group_id: str
    _group: Group | None = None
    _blocks: list[str] = field(default_factory=list)
    _groups: list[str] = field(default_factory=list)

    def apply(self, design: Design) -> None:
        self._group, self._blocks, self._groups = design.ungroup(self.group_id)

    def undo(self, design: Design) -> None:
        group = self._group
        assert group is not None
        design.add_group(
            group.name,
            self._blocks,
            self._groups,
            class_name=group.class_name,
            parent=group.parent,
            group_id=group.id,
            sequential=group.sequential,
        )


@dataclass
class RenameGroup(Edit):
    group_id: str
    name: str
    old: str = ""

    def apply(self, design: Design) -> None:
        self.old = design.rename_group(self.group_id, self.name)

    def undo(self, design: Design) -> None:
        design.rename_group(self.group_id, self.old)


@dataclass
class SetGroupClass(Edit):
    group_id: str
    class_name: str | None
    old: str | None = None

    def apply(self, design: Design) -> None:
        self.old = design.set_group_class(self.group_id, self.class_name)

    def undo(self, design: Design) -> None:
        design.set_group_class(self.group_id, self.old)


@dataclass
class SetClassName(Edit):
    class_name: str
    old: str = ""

    def apply(self, design: Design) -> None:
        self.old = design.set_class_name(self.class_name)

    def undo(self, design: Design) -> None:
        design.set_class_name(self.old)


def apply_all(design: Design, edits: Sequence[Edit]) -> None:
    """Apply ``edits`` in order, all or none: a refused edit undoes those before it."""
    done: list[Edit] = []
    try:
        for edit in edits:
            edit.apply(design)
            done.append(edit)
    except BaseException:
        for edit in reversed(done):
            edit.undo(design)
        raise


def undo_all(design: Design, edits: Sequence[Edit]) -> None:
    for edit in reversed(edits):
        edit.undo(design)
