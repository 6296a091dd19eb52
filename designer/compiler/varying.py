"""Which block parameters differ between sub-modules that will share a class.

A class shared by sub-modules sized differently takes the differing sizes as arguments
(``parametric.py``). That works on the text written for each, which must then have the same
shape: a parameter left out where it equals torch's default (``stride=1``) but written where it
doesn't (``stride=2``) would make them look built differently. So, before writing, this finds
the groups that will share a class name and are built alike (same blocks, kinds, wiring and
parameter names, whatever the values), and for each of their blocks the parameters whose values
differ between them: those are always written.
"""

from __future__ import annotations

from collections.abc import Hashable

from designer.compiler.namespace import class_name_for
from designer.graph import Design

BlockPlace = tuple[tuple[str, ...], str]
"""A block's place inside a group: its module path below the group, as the groups on the way
and its own name there."""


def varying_parameters(design: Design) -> dict[str, frozenset[str]]:
    """Block id -> the parameters that differ between it and its counterparts in the other
    groups that share its group's class (empty where none do)."""
    sequentials = design.module_paths().sequentials
    members: dict[str, list[str]] = {}
    for group in design.groups.values():
        if group.id not in sequentials or group.class_name is not None:
            members.setdefault(group.class_name or class_name_for(group.name), []).append(group.id)
    contents = _contents(design)
    varying: dict[str, set[str]] = {}
    for group_ids in members.values():
        alike: dict[Hashable, list[dict[BlockPlace, str]]] = {}
        for group_id in group_ids:
            places = contents[group_id]
            alike.setdefault(_structure(design, places), []).append(places)
        for family in alike.values():
            if len(family) > 1:
                _collect(design, family, varying)
    return {block_id: frozenset(names) for block_id, names in varying.items()}


def _contents(design: Design) -> dict[str, dict[BlockPlace, str]]:
    """Group id -> the blocks anywhere inside it, by their module path below it (an
    ``nn.Sequential``'s members by number, whatever their names)."""
    paths = design.module_paths()
    contents: dict[str, dict[BlockPlace, str]] = {group_id: {} for group_id in design.groups}
    for block in design.blocks.values():
        path = paths.blocks[block.id]
        for group in design.group_path(block.group):
            below = path.removeprefix(paths.groups[group.id] + ".")
            contents[group.id][(tuple(below.split(".")[:-1]), below.split(".")[-1])] = block.id
    return contents


def _structure(design: Design, places: dict[BlockPlace, str]) -> Hashable:
    place_of = {block_id: place for place, block_id in places.items()}
    rows = []
    for place, block_id in sorted(places.items()):
        block = design.blocks[block_id]
        path = design.group_path(block.group)
        classes = tuple(group.class_name for group in path[len(path) - len(place[0]) :])
        wiring = tuple(
            (port, place_of.get(edge.source), edge.source_port)
            for port, edge in sorted(design.inbound(block_id).items())
        )
        rows.append((place, classes, block.kind, tuple(sorted(block.params)), wiring))
    return tuple(rows)


def _collect(
    design: Design, family: list[dict[BlockPlace, str]], varying: dict[str, set[str]]
) -> None:
    for place in family[0]:
        blocks = [design.blocks[places[place]] for places in family]
        differing = {
            name
            for name, value in blocks[0].params.items()
            if any(block.params.get(name) != value for block in blocks[1:])
        }
        if differing:
            for block in blocks:
                varying.setdefault(block.id, set()).update(differing)
