"""Placement of new blocks: free space next to what they connect to, room made by shifting."""

from __future__ import annotations

from contextlib import suppress
from itertools import pairwise

import networkx as nx
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from designer.graph import Design, DesignError, Edge
from designer.graph.edit_plans import copy_fragment, paste_plan, pasted_ids, placed_add_plan
from designer.graph.edits import MoveBlock, apply_all, undo_all
from designer.graph.layout.geometry import Rect
from designer.graph.placement import (
    Footprint,
    group_frames,
    place_after,
    place_beside_everything,
    place_fragment,
    place_in_edge,
    place_near,
)

FOOTPRINT = Footprint(184.0, 58.0, group_margin=18.0, group_header=22.0)
GRID = 40.0
"""Positions on a coarse grid, so drawn blocks often touch, overlap or line up."""
coordinates = st.integers(-15, 15).map(lambda step: step * GRID)
points = st.tuples(coordinates, coordinates)


@st.composite
def designs(draw: st.DrawFn, min_edges: int = 0) -> Design:
    """Up to 10 Linear and Add blocks anywhere, fed from earlier blocks, maybe one group."""
    design = Design("Placed")
    count = draw(st.integers(2, 10))
    ids = [
        design.add_block(
            draw(st.sampled_from(["linear", "linear", "add"])), position=draw(points)
        ).id
        for _ in range(count)
    ]
    for number, target in enumerate(ids[1:], start=1):
        entry = design.kind(target)
        for port in entry.input_ports(design.block(target).params):
            if draw(st.booleans()):
                source = ids[draw(st.integers(0, number - 1))]
                design.connect(source, target, port)
    if draw(st.booleans()):
        members = draw(st.lists(st.sampled_from(ids), min_size=1, max_size=4, unique=True))
        with suppress(DesignError):  # a group the data flow can't have
            design.add_group("grouped", members)
    edges = len(list(design.edges()))
    if edges < min_edges:
        design.connect(ids[0], ids[1], first_port(design, ids[1]))
    return design


def first_port(design: Design, block_id: str) -> str:
    return design.kind(block_id).input_ports(design.block(block_id).params)[0]


def rects(design: Design) -> dict[str, Rect]:
    return {key: FOOTPRINT.block_rect(block.position) for key, block in design.blocks.items()}


def clear_of_everything(
    design: Design, position: tuple[float, float], group: str | None, new: str | None = None
) -> bool:
    """No block under the new one (``new`` once added), and no frame of a group it's not in."""
    rect = FOOTPRINT.block_rect(position)
    path = {g.id for g in design.group_path(group)}
    frames = [f for g, f in group_frames(design, FOOTPRINT).items() if g not in path]
    blocks = [r for key, r in rects(design).items() if key != new]
    return not any(rect.overlaps(other) for other in [*blocks, *frames])


def points_right(design: Design, edge: Edge) -> bool:
    return design.block(edge.source).position[0] < design.block(edge.target).position[0]


def positions(design: Design) -> dict[str, tuple[float, float]]:
    return {key: block.position for key, block in design.blocks.items()}


# --- the rules, for any design ---------------------------------------------------------------


@given(design=designs(), data=st.data())
def test_a_block_placed_after_its_source_covers_nothing(
    design: Design, data: st.DataObject
) -> None:
    source = data.draw(st.sampled_from(sorted(design.blocks)))
    group = design.block(source).group
    x, y = place_after(design, FOOTPRINT, source, group=group)
    left, _ = design.block(source).position
    assert x == left + FOOTPRINT.block_width + FOOTPRINT.column_gap  # always its next column
    assert clear_of_everything(design, (x, y), group)


@given(design=designs(), wanted=points)
def test_a_dropped_block_is_nudged_off_what_it_would_cover(
    design: Design, wanted: tuple[float, float]
) -> None:
    position = place_near(design, FOOTPRINT, wanted)
    assert clear_of_everything(design, position, None)
    roomy = FOOTPRINT.block_rect(wanted).grown(FOOTPRINT.column_gap, FOOTPRINT.row_gap)
    taken = [*rects(design).values(), *group_frames(design, FOOTPRINT).values()]
    if not any(roomy.overlaps(other) for other in taken):
        assert position == wanted  # nothing within the gaps: it stays where it was dropped


@given(design=designs())
def test_a_block_added_with_nothing_to_connect_goes_right_of_everything(design: Design) -> None:
    x, y = place_beside_everything(design, FOOTPRINT)
    assert clear_of_everything(design, (x, y), None)
    assert all(x > rect.right for rect in rects(design).values())


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(design=designs(min_edges=1), data=st.data())
def test_a_splice_covers_nothing_and_keeps_edges_pointing_right(
    design: Design, data: st.DataObject
) -> None:
    edge = data.draw(st.sampled_from(sorted(design.edges())))
    note(f"splice into {edge}")
    note(f"blocks {[(k, b.position, b.group) for k, b in design.blocks.items()]}")
    note(f"edges {[(e.source, e.target) for e in design.edges()]}")
    before = positions(design)
    right_before = {e for e in design.edges() if e != edge and points_right(design, e)}
    spliced_right = points_right(design, edge)
    upstream = {edge.source, *nx.ancestors(design.graph, edge.source)}
    apart_before = {
        (a, b)
        for (a, ra), (b, rb) in pairwise_all(rects(design))
        if not ra.overlaps(rb) and not {a, b} & upstream
    }
    plan = placed_add_plan(design, "dropout", FOOTPRINT, splice_into=edge)
    apply_all(design, plan)
    new = pasted_ids(plan)[0]
    assert clear_of_everything(design, design.block(new).position, design.block(new).group, new)
    assert all(points_right(design, e) for e in right_before)
    if spliced_right:
        assert all(points_right(design, e) for e in (Edge(edge.source, new), *design.outbound(new)))
    for key, (x, y) in before.items():  # blocks only ever move right
        assert design.block(key).position[1] == y and design.block(key).position[0] >= x
    after = rects(design)
    assert not [(a, b) for a, b in apart_before if after[a].overlaps(after[b])]
    undo_all(design, plan)
    assert positions(design) == before  # one step puts every block back


def pairwise_all(items: dict[str, Rect]) -> list[tuple[tuple[str, Rect], tuple[str, Rect]]]:
    entries = sorted(items.items())
    return [(a, b) for index, a in enumerate(entries) for b in entries[index + 1 :]]


@given(design=designs(), data=st.data(), offset=points)
def test_a_pasted_fragment_lands_in_free_space_whole(
    design: Design, data: st.DataObject, offset: tuple[float, float]
) -> None:
    chosen = data.draw(st.lists(st.sampled_from(sorted(design.blocks)), min_size=1, unique=True))
    text = copy_fragment(design, chosen)
    existing = list(rects(design).values()) + list(group_frames(design, FOOTPRINT).values())
    copied = [design.block(key).position for key in sorted(chosen)]
    plan = paste_plan(design, text, offset, footprint=FOOTPRINT)
    apply_all(design, plan)
    pasted = [design.block(key).position for key in pasted_ids(plan)]
    dx, dy = pasted[0][0] - copied[0][0], pasted[0][1] - copied[0][1]
    assert pasted == [(x + dx, y + dy) for x, y in copied]  # the fragment keeps its shape
    for position in pasted:
        assert not any(FOOTPRINT.block_rect(position).overlaps(other) for other in existing)


# --- worked examples -------------------------------------------------------------------------


def chain(spacing: float, count: int = 5) -> tuple[Design, list[str]]:
    design = Design("Chain")
    ids = [
        design.add_block("linear", name=f"l{n}", position=(n * spacing, 0.0)).id
        for n in range(count)
    ]
    for source, target in pairwise(ids):
        design.connect(source, target)
    return design, ids


def test_a_splice_without_room_shifts_the_target_and_its_downstream() -> None:
    design, ids = chain(300.0)
    placement = place_in_edge(design, FOOTPRINT, Edge(ids[1], ids[2]))
    assert placement.position == (580.0, 0.0)  # right of its source, in its row
    needed = 580.0 + 184.0 + 96.0 - 600.0
    assert placement.moves == {
        key: (n * 300.0 + needed, 0.0) for n, key in enumerate(ids) if n >= 2
    }


def test_a_splice_with_room_moves_nothing() -> None:
    design, ids = chain(600.0)
    placement = place_in_edge(design, FOOTPRINT, Edge(ids[1], ids[2]))
    assert placement == placement.__class__(((784.0 + 1200.0 - 184.0) / 2, 0.0), {})


def test_a_splice_pushes_a_block_the_shift_would_run_into() -> None:
    design, ids = chain(300.0, count=3)
    bystander = design.add_block("linear", name="by", position=(900.0, 20.0)).id  # unconnected
    moves = place_in_edge(design, FOOTPRINT, Edge(ids[0], ids[1])).moves
    assert set(moves) == {ids[1], ids[2], bystander}


def test_a_splice_stretches_no_frame_over_a_bystander() -> None:
    design, ids = chain(300.0, count=3)
    design.add_group("body", [ids[1], ids[2]])
    below = design.add_block("linear", name="below", position=(700.0, 140.0)).id
    plan = placed_add_plan(design, "dropout", FOOTPRINT, splice_into=Edge(ids[0], ids[1]))
    apply_all(design, plan)
    frame = group_frames(design, FOOTPRINT)[design.block(ids[1]).group or ""]
    assert not frame.overlaps(FOOTPRINT.block_rect(design.block(below).position))


def test_the_next_column_taken_sends_the_block_to_a_free_row() -> None:
    design, ids = chain(280.0, count=3)  # auto-layout's spacing: the next column is taken
    assert place_after(design, FOOTPRINT, ids[0]) == (280.0, 120.0)
    design.add_block("linear", position=(280.0, 120.0))
    assert place_after(design, FOOTPRINT, ids[0]) == (280.0, -120.0)


def test_a_block_added_after_a_grouped_one_keeps_out_of_other_frames() -> None:
    design, ids = chain(280.0, count=2)
    design.add_group("other", [ids[1]])
    x, y = place_after(design, FOOTPRINT, ids[0])
    frame = group_frames(design, FOOTPRINT)[design.block(ids[1]).group or ""]
    assert x == 280.0 and not frame.overlaps(FOOTPRINT.block_rect((x, y)))


def test_a_drop_on_free_canvas_stays_where_it_was_dropped() -> None:
    design, _ = chain(280.0, count=2)
    assert place_near(design, FOOTPRINT, (0.0, 400.0)) == (0.0, 400.0)
    assert place_near(Design(), FOOTPRINT, (13.0, 7.0)) == (13.0, 7.0)


def test_a_fragment_out_of_sight_is_pasted_in_the_middle_of_the_view() -> None:
    design, _ = chain(280.0, count=2)
    visible = Rect(2000.0, 2000.0, 3000.0, 2800.0)
    offset = place_fragment(design, FOOTPRINT, [(0.0, 0.0), (280.0, 0.0)], (40.0, 40.0), visible)
    box = Rect(offset[0], offset[1], offset[0] + 464.0, offset[1] + 58.0)
    assert visible.contains(box) and box.centre == visible.centre


def test_a_fragment_pasted_over_its_copy_goes_next_to_it() -> None:
    design, ids = chain(280.0, count=2)
    text = copy_fragment(design, ids)
    plan = paste_plan(design, text, (40.0, 40.0), footprint=FOOTPRINT)
    apply_all(design, plan)
    assert [design.block(key).position for key in pasted_ids(plan)] == [
        (40.0, 120.0),
        (320.0, 120.0),
    ]  # the row below: nearer than the column right of the copy


def test_a_spliced_plan_is_one_list_adding_then_moving() -> None:
    design, ids = chain(300.0, count=3)
    plan = placed_add_plan(design, "dropout", FOOTPRINT, splice_into=Edge(ids[0], ids[1]))
    moves = [edit for edit in plan if isinstance(edit, MoveBlock)]
    assert [move.block_id for move in moves] == [ids[1], ids[2]]
