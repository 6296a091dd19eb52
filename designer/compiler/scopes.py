"""The module tree of a design: the model and each group as a scope of items.

A scope holds blocks and child groups (its items) in data-flow order, the values that enter
it from outside and the values that leave it. A value is a block's output: its id for the main
output, ``id:port`` for another (an LSTM's ``h_n``). A group whose data leaves and re-enters it
can't be a sub-module: that is refused.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import networkx as nx

from designer.compiler.errors import CompileError
from designer.graph import Design, Edge
from designer.graph.fileformat import natural_key
from designer.graph.kind import End
from designer.graph.model import OUTPUT_PORT


def value_of(block_id: str, port: str = OUTPUT_PORT) -> str:
    """The value a block gives at output ``port``."""
    return block_id if port == OUTPUT_PORT else f"{block_id}:{port}"


def edge_value(edge: Edge) -> str:
    return value_of(edge.source, edge.source_port)


def producer_of(value: str) -> tuple[str, str]:
    """The block and output port a value comes from."""
    block_id, _, port = value.partition(":")
    return block_id, port or OUTPUT_PORT


@dataclass(slots=True)
class Item:
    """A block or a child group inside a scope."""

    id: str
    is_group: bool
    inputs: list[str]
    """The values it consumes, in port order (for a group: its scope's inputs)."""
    outputs: list[str]
    """The values it produces."""


@dataclass(slots=True)
class Scope:
    group_id: str | None
    """None for the model itself."""
    items: list[Item]
    inputs: list[str]
    outputs: list[str]
    children: dict[str, Scope] = field(default_factory=dict)

    def uses(self) -> Counter[str]:
        """How often each value is read here: once per consuming port, once per return."""
        counts: Counter[str] = Counter()
        for item in self.items:
            counts.update(item.inputs)
        counts.update(self.outputs)
        return counts


def build_scopes(design: Design) -> Scope:
    """The model's scope, with every group's scope nested under it."""
    order = design.topological_order()
    position = {block_id: index for index, block_id in enumerate(order)}
    chains = {block_id: _chain(design, block_id) for block_id in order}

    def inside(block_id: str, group_id: str | None) -> bool:
        return group_id is None or group_id in chains[block_id]

    def member(block_id: str, group_id: str | None) -> str:
        """The item of scope ``group_id`` that holds ``block_id``."""
        chain = chains[block_id]
        index = chain.index(group_id) if group_id is not None else len(chain)
        return chain[index - 1] if index > 0 else block_id

    # every block of each group (nested ones included), in creation order, so that items read
    # as the person made them where data flow allows
    within: dict[str | None, list[str]] = {None: sorted(order, key=natural_key)}
    for block_id in within[None]:
        for group_id in chains[block_id]:
            within.setdefault(group_id, []).append(block_id)

    def scope_of(group_id: str | None) -> Scope:
        blocks = within.get(group_id, [])
        if group_id is None:
            inputs = [b for b in blocks if design.kind(b).end is End.INPUT]
            outputs = [
                edge_value(design.inbound(b)["in"])
                for b in sorted(blocks, key=position.__getitem__)
                if design.kind(b).end is End.OUTPUT and "in" in design.inbound(b)
            ]
            blocks = [b for b in blocks if design.kind(b).end is None]
        else:
            inputs = _unique(
                edge_value(edge)
                for b in blocks
                for edge in design.inbound(b).values()
                if not inside(edge.source, group_id)
            )
            outputs = _unique(
                edge_value(edge)
                for b in blocks
                for edge in sorted(design.outbound(b), key=_port_order(design, b))
                if not inside(edge.target, group_id)
            )
        items: dict[str, Item] = {}
        children: dict[str, Scope] = {}
        for block_id in blocks:
            key = member(block_id, group_id)
            if key in items:
                continue
            if key == block_id:
                kind = design.kind(block_id)
                inbound = design.inbound(block_id)
                sources = []
                for port in kind.input_ports(design.blocks[block_id].params):
                    fed_from = kind.fed_from(port, inbound)
                    assert fed_from is not None  # the shape check passed
                    sources.append(edge_value(inbound[fed_from]))
                produced = [value_of(block_id, port) for port in kind.output_ports()]
                items[key] = Item(key, False, sources, produced)
            else:
                child = scope_of(key)
                children[key] = child
                items[key] = Item(key, True, child.inputs, child.outputs)
        ordered = _in_data_flow_order(design, group_id, items, inputs)
        return Scope(group_id, ordered, inputs, outputs, children)

    return scope_of(None)


def _port_order(design: Design, block_id: str) -> Callable[[Edge], int]:
    """Sorts a block's outbound edges by output port, in the kind's order."""
    ports = design.kind(block_id).output_ports()
    return lambda edge: ports.index(edge.source_port)


def _chain(design: Design, block_id: str) -> list[str]:
    """The groups holding a block, innermost first."""
    return [group.id for group in reversed(design.group_path(design.blocks[block_id].group))]


def _unique(values: object) -> list[str]:
    return list(dict.fromkeys(values))  # type: ignore[call-overload]


def _in_data_flow_order(
    design: Design, group_id: str | None, items: dict[str, Item], inputs: list[str]
) -> list[Item]:
    producer = {value: item.id for item in items.values() for value in item.outputs}
    graph: nx.DiGraph[str] = nx.DiGraph()
    graph.add_nodes_from(items)
    for item in items.values():
        for value in item.inputs:
            if value in producer:
                graph.add_edge(producer[value], item.id)
    try:
        rank = {item_id: index for index, item_id in enumerate(items)}
        order = list(nx.lexicographical_topological_sort(graph, key=rank.__getitem__))
    except nx.NetworkXUnfeasible:
        loop = nx.find_cycle(graph)
        names = [
            design.groups[node].name if node in design.groups else design.blocks[node].name
            for node, _ in loop
        ]
        where = "the model" if group_id is None else f"group '{design.groups[group_id].name}'"
        raise CompileError(
            f"in {where}, data leaves a group and comes back into it "
            f"({' -> '.join([*names, names[0]])}); a sub-module must take its inputs once "
            "and give its outputs once: move the blocks in between into the group, or out"
        ) from None
    return [items[item_id] for item_id in order]
