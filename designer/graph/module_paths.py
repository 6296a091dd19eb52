"""Where each block lands in the built model: its path as ``named_modules()`` will show it.

A group with a class, and the model, keep their members' names as attributes
(``encoder.conv1``). A group without a class whose items form a plain chain becomes an
``nn.Sequential``, which numbers its children instead (``stage1.0.conv1``); so does a chain
marked ``sequential`` (imported so), numbered or, if ``named``, keeping its members' names.
This module is the one place that decides which groups are chains: the compiler asks it
(``sequentials``) when it writes a group, and ``check``, ``summary`` and the Inspector show
its paths without compiling; ``tests/graph/test_module_paths.py`` compares them with the
compiled model's ``named_modules()``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from designer.graph.catalogue import block_kind

if TYPE_CHECKING:
    from designer.graph.design import Design


@dataclass(frozen=True, slots=True)
class ModulePaths:
    blocks: Mapping[str, str]
    """Block id -> its module path (for blocks that become no module, the path they would
    have: the compiler makes such a block's group a class, so the path is by name)."""
    groups: Mapping[str, str]
    """Group id -> its module path."""
    sequentials: Mapping[str, tuple[str, ...]]
    """Group id -> its items (block and group ids) in order, for each group that becomes an
    ``nn.Sequential``; an item's place in it is its name in the path."""


@dataclass(slots=True)
class _Item:
    id: str
    is_group: bool
    inputs: list[str]
    outputs: list[str]


def find_module_paths(design: Design) -> ModulePaths:
    """Every block's and group's module path in the model compiled from ``design``."""
    sequentials = {
        group_id: order
        for group_id, order in _chain_orders(design).items()
        if design.groups[group_id].class_name is None
        or design.groups[group_id].sequential is not None
    }
    places = {
        item: str(index)
        for group_id, order in sequentials.items()
        if design.groups[group_id].sequential != "named"
        for index, item in enumerate(order)
    }
    groups: dict[str, str] = {}

    def group_path(group_id: str | None) -> str:
        if group_id is None:
            return ""
        if group_id not in groups:
            group = design.groups[group_id]
            outer = group_path(group.parent)
            own = places.get(group_id, group.name)
            groups[group_id] = f"{outer}.{own}" if outer else own
        return groups[group_id]

    blocks: dict[str, str] = {}
    for block in design.blocks.values():
        outer = group_path(block.group)
        own = places.get(block.id, block.name)
        blocks[block.id] = f"{outer}.{own}" if outer else own
    for group_id in design.groups:
        group_path(group_id)
    return ModulePaths(blocks, groups, sequentials)


def _chain_orders(design: Design) -> dict[str, tuple[str, ...]]:
    """Group id -> its items in data-flow order, for each group whose items form a chain."""
    chains = {
        block_id: [group.id for group in design.group_path(block.group)]
        for block_id, block in design.blocks.items()
    }
    inputs: dict[str, dict[str, None]] = {group_id: {} for group_id in design.groups}
    outputs: dict[str, dict[str, None]] = {group_id: {} for group_id in design.groups}
    for edge in design.edges():
        source_chain, target_chain = chains[edge.source], chains[edge.target]
        for group_id in target_chain:
            if group_id not in source_chain:
                inputs[group_id][edge.source] = None
        for group_id in source_chain:
            if group_id not in target_chain:
                outputs[group_id][edge.source] = None
    holding = {group_id for chain in chains.values() for group_id in chain}
    items: dict[str, list[_Item]] = {group_id: [] for group_id in holding}
    for block_id, block in design.blocks.items():
        if block.group is not None:
            ports = block_kind(block.kind).input_ports(block.params)
            inbound = design.inbound(block_id)
            sources = [inbound[port].source for port in ports if port in inbound]
            items[block.group].append(_Item(block_id, False, sources, [block_id]))
    for group_id in holding:  # a group without blocks in it becomes no module
        parent = design.groups[group_id].parent
        if parent is not None:
            child = _Item(group_id, True, list(inputs[group_id]), list(outputs[group_id]))
            items[parent].append(child)
    found: dict[str, tuple[str, ...]] = {}
    for group_id, members in items.items():
        order = _chain(design, members, list(inputs[group_id]), list(outputs[group_id]))
        if order is not None:
            found[group_id] = order
    return found


def _chain(
    design: Design, items: list[_Item], inputs: list[str], outputs: list[str]
) -> tuple[str, ...] | None:
    """The items in order when one value comes in, passes item to item (each a module, each
    value read once) and goes out; None otherwise."""
    if len(inputs) != 1 or len(outputs) != 1 or not items:
        return None
    uses: Counter[str] = Counter(outputs)
    readers: dict[str, list[_Item]] = {}
    for item in items:
        uses.update(item.inputs)
        for value in dict.fromkeys(item.inputs):
            readers.setdefault(value, []).append(item)
    order: list[str] = []
    value = inputs[0]
    for _ in items:
        found = readers.get(value, [])
        if uses[value] != 1 or len(found) != 1:
            return None
        (item,) = found
        if item.inputs != [value] or len(item.outputs) != 1:
            return None
        if not item.is_group and not _is_module(design, item.id):
            return None
        order.append(item.id)
        value = item.outputs[0]
    return tuple(order) if [value] == outputs and uses[value] == 1 else None


def _is_module(design: Design, block_id: str) -> bool:
    """Whether the block becomes a sub-module a Sequential can hold."""
    block = design.blocks[block_id]
    return block_kind(block.kind).chains(block.params)
