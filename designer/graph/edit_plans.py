"""Compound edits worked out from the design: delete a selection, splice, paste, lay out
(deleting with reconnection is ``delete_reconnect``).

Each function returns the list of reversible edits (see ``edits``) that does the job; the caller
applies them as one with ``apply_all`` (the GUI wraps them in one undo command).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

from designer.graph.catalogue import block_kind
from designer.graph.design import Design
from designer.graph.edits import (
    AddBlock,
    AddGroup,
    Connect,
    Disconnect,
    Edit,
    MoveBlock,
    RemoveBlock,
    Ungroup,
)
from designer.graph.errors import DesignError
from designer.graph.fileformat import (
    LiteralValueError,
    strict_json,
)
from designer.graph.layout import layered_positions
from designer.graph.layout.geometry import Rect
from designer.graph.model import Edge
from designer.graph.names import unique_name
from designer.graph.params import describe_value
from designer.graph.placement import (
    Footprint,
    place_after,
    place_beside_everything,
    place_fragment,
    place_in_edge,
    place_near,
)

FRAGMENT_FORMAT: Final = "torch-designer-fragment"
MAX_FRAGMENT_BLOCKS: Final = 10_000


def delete_plan(
    design: Design,
    block_ids: Iterable[str] = (),
    edges: Iterable[Edge] = (),
    group_ids: Iterable[str] = (),
) -> list[Edit]:
    """Remove blocks, edges and groups together with everything inside those groups."""
    blocks, groups = set(block_ids), set()
    for group_id in group_ids:
        inner_blocks, inner_groups = _contents(design, group_id)
        blocks |= inner_blocks
        groups |= inner_groups
    plan: list[Edit] = [
        Disconnect(edge)
        for edge in sorted(set(edges))
        if edge.source not in blocks and edge.target not in blocks
    ]
    plan += [RemoveBlock(block_id) for block_id in sorted(blocks)]
    # innermost groups first, so each is empty (or holds only survivors) when dissolved
    for group_id in sorted(groups, key=lambda g: -len(design.group_path(g))):
        plan.append(Ungroup(group_id))
    return plan


def _contents(design: Design, group_id: str) -> tuple[set[str], set[str]]:
    blocks, groups = set(), {group_id}
    pending = [group_id]
    while pending:
        current = pending.pop()
        inner_blocks, inner_groups = design.members(current)
        blocks.update(inner_blocks)
        groups.update(inner_groups)
        pending.extend(inner_groups)
    return blocks, groups


def add_plan(
    design: Design,
    kind: str,
    position: tuple[float, float],
    *,
    splice_into: Edge | None = None,
    after: str | None = None,
) -> list[Edit]:
    """Add a block; spliced into an edge, or fed from ``after``'s output when given.

    A spliced block joins the group of the edge's target when both ends share it.
    """
    entry = block_kind(kind)
    new_id = design.unused_ids("b", 1)[0]
    group = _new_block_group(design, kind, splice_into, after)
    plan: list[Edit] = [AddBlock(kind, position, group=group, block_id=new_id)]
    first_port = _first_input(kind)
    if splice_into is not None:
        if first_port is None or not entry.has_output:
            raise DesignError(f"a {entry.label} block can't sit in the middle of an edge")
        plan += [
            Disconnect(splice_into),
            Connect(splice_into.source, new_id, first_port, splice_into.source_port),
            Connect(new_id, splice_into.target, splice_into.target_port),
        ]
    elif after is not None and first_port is not None:
        plan.append(Connect(after, new_id, first_port))
    return plan


def placed_add_plan(
    design: Design,
    kind: str,
    footprint: Footprint,
    *,
    wanted: tuple[float, float] | None = None,
    splice_into: Edge | None = None,
    after: str | None = None,
) -> list[Edit]:
    """``add_plan`` with the block put in free space (see ``placement``): between a spliced
    edge's ends, its downstream moved right in the same plan when there is no room; right of
    ``after``; else nearest ``wanted``; with none of them, right of the whole design."""
    group = _new_block_group(design, kind, splice_into, after)
    moves: Mapping[str, tuple[float, float]] = {}
    if splice_into is not None:
        placement = place_in_edge(design, footprint, splice_into, group=group)
        position, moves = placement.position, placement.moves
    elif after is not None:
        position = place_after(design, footprint, after, group=group)
    elif wanted is not None:
        position = place_near(design, footprint, wanted, group=group)
    else:
        position = place_beside_everything(design, footprint)
    plan = add_plan(design, kind, position, splice_into=splice_into, after=after)
    return plan + [MoveBlock(block_id, moves[block_id]) for block_id in sorted(moves)]


def _new_block_group(
    design: Design, kind: str, splice_into: Edge | None, after: str | None
) -> str | None:
    """A spliced block joins the group its edge's ends share; one added after a block joins
    that block's group; the ends (inputs and outputs) stay at the top level."""
    if block_kind(kind).end is not None:
        return None
    if splice_into is not None:
        source, target = design.block(splice_into.source), design.block(splice_into.target)
        return source.group if source.group == target.group else None
    if after is not None:
        return design.block(after).group
    return None


def _first_input(kind: str) -> str | None:
    entry = block_kind(kind)
    ports = entry.input_ports(entry.defaults())
    return ports[0] if ports else None


def first_free_input(design: Design, block_id: str) -> str | None:
    block = design.block(block_id)
    taken = design.inbound(block_id)
    for port in block_kind(block.kind).input_ports(block.params):
        if port not in taken:
            return port
    return None


def group_plan(design: Design, name: str, block_ids: Sequence[str]) -> list[Edit]:
    """Group blocks; a group whose blocks are all selected moves in whole, nested."""
    chosen = set(block_ids)
    if not chosen:
        raise DesignError("select the blocks to group first")
    scopes = {design.block(block_id).group for block_id in chosen}
    # lift each selected block to the outermost group below the common scope
    common = _common_scope(design, scopes)
    blocks, groups = [], set()
    for block_id in sorted(chosen):
        path = design.group_path(design.block(block_id).group)
        depth = len(design.group_path(common)) if common is not None else 0
        if len(path) > depth:
            groups.add(path[depth].id)
        else:
            blocks.append(block_id)
    return [AddGroup(name, blocks, sorted(groups), parent=common)]


def _common_scope(design: Design, scopes: set[str | None]) -> str | None:
    paths = [[group.id for group in design.group_path(scope)] for scope in scopes]
    common: str | None = None
    for level in zip(*paths, strict=False):
        if len(set(level)) != 1:
            break
        common = level[0]
    return common


def layout_plan(design: Design) -> list[Edit]:
    positions = layered_positions(design)
    return [
        MoveBlock(block_id, position)
        for block_id, position in positions.items()
        if design.block(block_id).position != position
    ]


# --- copy and paste ------------------------------------------------------------------------


def copy_fragment(design: Design, block_ids: Iterable[str]) -> str:
    """The blocks and the edges between them, as JSON text for the clipboard."""
    chosen = sorted(set(block_ids))
    index = {block_id: number for number, block_id in enumerate(chosen)}
    blocks = [
        {
            "kind": block.kind,
            "name": block.name,
            "params": {key: _json_value(value) for key, value in block.params.items()},
            "position": list(block.position),
        }
        for block in (design.block(block_id) for block_id in chosen)
    ]
    edges = [
        [index[edge.source], index[edge.target], edge.target_port, edge.source_port]
        for edge in design.edges()
        if edge.source in index and edge.target in index
    ]
    return json.dumps({"format": FRAGMENT_FORMAT, "blocks": blocks, "edges": edges})


def _json_value(value: object) -> object:
    return list(value) if isinstance(value, tuple) else value


def paste_plan(
    design: Design,
    text: str,
    offset: tuple[float, float],
    *,
    footprint: Footprint | None = None,
    visible: Rect | None = None,
) -> list[Edit]:
    """Edits that add a copied fragment at the top level, renamed where names are taken.

    The blocks keep their copied positions moved by ``offset``; given a ``footprint``, the
    offset is first changed to the nearest that puts the fragment in free space, and into
    ``visible`` (the part of the canvas in view) when it would land out of sight.

    The text comes from the clipboard, so it is checked like a design file: anything but the
    expected shape is refused with a ``DesignError``, and the blocks go through ``add_block``.
    """
    document = _parse_fragment(text)
    records, links = document["blocks"], document["edges"]
    if footprint is not None:
        copied = [(float(r["position"][0]), float(r["position"][1])) for r in records]
        offset = place_fragment(design, footprint, copied, offset, visible)
    new_ids = design.unused_ids("b", len(records))
    taken = set(_top_level_names(design))
    plan: list[Edit] = []
    for number, record in enumerate(records):
        name = record["name"]
        if name in taken:
            name = unique_name(name, taken)
        taken.add(name)
        x, y = record["position"]
        plan.append(
            AddBlock(
                record["kind"],
                (x + offset[0], y + offset[1]),
                name=name,
                params=record["params"],
                block_id=new_ids[number],
            )
        )
    for source, target, port, *output in links:  # the output port: absent before named ports
        plan.append(Connect(new_ids[source], new_ids[target], port, *output))
    return plan


def pasted_ids(plan: Sequence[Edit]) -> list[str]:
    return [edit.block_id for edit in plan if isinstance(edit, AddBlock) and edit.block_id]


def _top_level_names(design: Design) -> Iterable[str]:
    yield from (block.name for block in design.blocks.values() if block.group is None)
    yield from (group.name for group in design.groups.values() if group.parent is None)


def _parse_fragment(text: str) -> dict[str, Any]:
    try:
        # numbers as strict as in a design file: a 400-digit integer would overflow float()
        document = strict_json(text)
    except LiteralValueError as error:
        raise DesignError(f"the copied blocks are damaged: {error}") from None
    except (ValueError, RecursionError):
        raise DesignError("the clipboard holds no Torch Designer blocks") from None
    if not isinstance(document, dict) or document.get("format") != FRAGMENT_FORMAT:
        raise DesignError("the clipboard holds no Torch Designer blocks")
    blocks, edges = document.get("blocks"), document.get("edges")
    if not isinstance(blocks, list) or not isinstance(edges, list):
        raise DesignError("the copied blocks are damaged: 'blocks' and 'edges' must be lists")
    if len(blocks) > MAX_FRAGMENT_BLOCKS:
        raise DesignError(f"too many blocks to paste ({len(blocks)})")
    for number, record in enumerate(blocks):
        _check_block_record(record, f"blocks[{number}]")
    for number, link in enumerate(edges):
        if not (
            isinstance(link, list)
            and len(link) in (3, 4)
            and all(_is_index(i, len(blocks)) for i in link[:2])
            and all(isinstance(port, str) for port in link[2:])
        ):
            raise DesignError(
                f"the copied blocks are damaged: edges[{number}] is {describe_value(link)}"
            )
    return document


def _is_index(value: object, count: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < count


def _check_block_record(record: object, place: str) -> None:
    if not isinstance(record, Mapping):
        raise DesignError(f"the copied blocks are damaged: {place} is {describe_value(record)}")
    position = record.get("position")
    valid = (
        isinstance(record.get("kind"), str)
        and isinstance(record.get("name"), str)
        and isinstance(record.get("params"), Mapping)
        and isinstance(position, list)
        and len(position) == 2
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in position)
    )
    if not valid:
        raise DesignError(f"the copied blocks are damaged: {place} is {describe_value(record)}")
