"""Auto-layout: blocks never overlap, edges run left to right (or on to a band below), each
group's frame holds its own blocks only, and laying out twice moves nothing."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from designer.graph import Design
from designer.graph.edit_plans import first_free_input, layout_plan
from designer.graph.fileformat import load_design
from designer.graph.layout import layered_positions
from designer.graph.layout.geometry import GROUP_HEADER, GROUP_MARGIN, Point, Rect, block_rect
from designer.graph.layout.layered import _fit_in_order, _inversions
from designer.graph.layout.routes import polyline, route
from tests.paths import EXAMPLES

EXAMPLE_NAMES = sorted(path.stem for path in EXAMPLES.glob("*.json"))


def laid_out(design: Design) -> Design:
    for block_id, position in layered_positions(design).items():
        design.move_block(block_id, position)
    return design


def frame(design: Design, group_id: str) -> Rect:
    """The group's frame as the canvas draws it: its members' boxes and margins."""
    blocks, groups = design.members(group_id)
    boxes = [block_rect(design.block(b).position) for b in blocks]
    boxes += [frame(design, g) for g in groups]
    left = min(box.left for box in boxes) - GROUP_MARGIN
    top = min(box.top for box in boxes) - GROUP_MARGIN - GROUP_HEADER
    right = max(box.right for box in boxes) + GROUP_MARGIN
    bottom = max(box.bottom for box in boxes) + GROUP_MARGIN
    return Rect(left, top, right, bottom)


def inside(design: Design, block_id: str, group_id: str) -> bool:
    return group_id in [group.id for group in design.group_path(design.block(block_id).group)]


def assert_well_laid_out(design: Design) -> None:
    boxes = {b: block_rect(block.position) for b, block in design.blocks.items()}
    for (a, box_a), (b, box_b) in itertools.combinations(boxes.items(), 2):
        assert not box_a.overlaps(box_b), f"{a} and {b} overlap"
    for edge in design.edges():
        source, target = boxes[edge.source], boxes[edge.target]
        assert source.right < target.left or source.bottom < target.top, (
            f"edge {edge.source} -> {edge.target} runs neither right nor on to a band below"
        )
    frames = {group_id: frame(design, group_id) for group_id in design.groups}
    for group_id, rect in frames.items():
        for block_id, box in boxes.items():
            if not inside(design, block_id, group_id):
                assert not rect.overlaps(box), f"group {group_id}'s frame takes in {block_id}"
    for (a, rect_a), (b, rect_b) in itertools.combinations(frames.items(), 2):
        nested = a in [g.id for g in design.group_path(b)] or b in [
            g.id for g in design.group_path(a)
        ]
        if not nested:
            assert not rect_a.overlaps(rect_b), f"groups {a} and {b} overlap"
    assert layout_plan(design) == []  # laid out already: nothing to move


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_every_example_lays_out_well(name: str) -> None:
    design = load_design(EXAMPLES / f"{name}.json")
    for number, key in enumerate(sorted(design.blocks)):  # scrambled first
        design.move_block(key, (float((number * 7919) % 13) * -50.0, float(number)))
    assert_well_laid_out(laid_out(design))


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_shipped_examples_are_saved_laid_out(name: str) -> None:
    design = load_design(EXAMPLES / f"{name}.json")
    assert layout_plan(design) == [], f"{name}.json: run Auto-Layout and save it"


@st.composite
def dags(draw: st.DrawFn) -> Design:
    """Random data flow: identity and add blocks joined forward, some grouped, some nested.

    Groups hold runs of consecutive blocks, so no group feeds what feeds it (that case, whose
    edges can't all run forward, has its own test below)."""
    design = Design()
    count = draw(st.integers(2, 24))
    ids = [design.add_block("input").id]
    for _ in range(count - 1):
        ids.append(design.add_block(draw(st.sampled_from(["identity", "add"]))).id)
    for index, target in enumerate(ids[1:], start=1):
        sources = draw(st.lists(st.integers(0, index - 1), min_size=1, max_size=3, unique=True))
        for source in sources:
            port = first_free_input(design, target)
            if port is not None:
                design.connect(ids[source], target, port)
    for _ in range(draw(st.integers(0, 3))):
        start = draw(st.integers(1, len(ids) - 1))
        run = list(itertools.takewhile(lambda b: design.block(b).group is None, ids[start:]))
        if run:
            size = draw(st.integers(1, len(run)))
            design.add_group(design.new_name("group"), run[:size])
    if design.groups and draw(st.booleans()):  # nest a run of groups and the blocks between
        inner = sorted(design.groups, key=lambda g: ids.index(design.members(g)[0][0]))
        inner = inner[: draw(st.integers(1, len(inner)))]
        first = min(ids.index(b) for g in inner for b in design.members(g)[0])
        last = max(ids.index(b) for g in inner for b in design.members(g)[0])
        between = [b for b in ids[first : last + 1] if design.block(b).group is None]
        design.add_group(design.new_name("outer"), between, inner)
    return design


@settings(max_examples=60, deadline=None)
@given(dags())
def test_any_design_lays_out_well(design: Design) -> None:
    assert_well_laid_out(laid_out(design))


def test_a_group_fed_by_what_it_feeds_still_lays_out() -> None:
    design = Design()
    x, a, b, c = (design.add_block(kind).id for kind in ("input", *["identity"] * 3))
    for source, target in ((x, a), (a, b), (b, c)):
        design.connect(source, target)
    design.add_group("outer_ends", [a, c])  # a -> b -> c: the group feeds b and b feeds it
    boxes = [block_rect(p) for p in layered_positions(design).values()]
    assert not any(x.overlaps(y) for x, y in itertools.combinations(boxes, 2))


def test_a_long_chain_wraps_into_bands_that_fit_a_screen() -> None:
    design = Design()
    previous = design.add_block("input").id
    for _ in range(59):
        block = design.add_block("identity").id
        design.connect(previous, block)
        previous = block
    laid_out(design)
    boxes = [block_rect(block.position) for block in design.blocks.values()]
    width = max(box.right for box in boxes) - min(box.left for box in boxes)
    height = max(box.bottom for box in boxes) - min(box.top for box in boxes)
    assert 0.8 < width / height < 3.0  # one row would be 16,000 x 58


# --- the parts --------------------------------------------------------------------------------


@given(st.lists(st.integers(0, 30), max_size=40))
def test_inversions_count_pairs_out_of_order(values: list[int]) -> None:
    expected = sum(1 for a, b in itertools.combinations(values, 2) if a > b)
    assert _inversions(values) == expected


@given(
    st.lists(
        st.tuples(st.floats(-500, 500), st.sampled_from([26.0, 58.0, 120.0])),
        min_size=1,
        max_size=12,
    )
)
def test_rows_keep_their_order_and_their_gaps(nodes: list[tuple[float, float]]) -> None:
    wanted, heights = [n[0] for n in nodes], [n[1] for n in nodes]
    centres = _fit_in_order(wanted, heights)
    for (y1, h1), (y2, h2) in itertools.pairwise(zip(centres, heights, strict=True)):
        assert y2 - y1 >= (h1 + h2) / 2 + 40.0 - 1e-6


@st.composite
def columns_of_boxes(draw: st.DrawFn) -> list[Rect]:
    boxes = []
    for column in range(draw(st.integers(1, 6))):
        left = 200.0 + column * 300.0
        tops = sorted(draw(st.lists(st.integers(-6, 6), unique=True, max_size=5)))
        boxes += [Rect(left, top * 100.0, left + 184.0, top * 100.0 + 58.0) for top in tops]
    return boxes


@settings(max_examples=200)
@given(columns_of_boxes(), st.floats(-700, 700), st.floats(-700, 700), st.booleans())
def test_routes_never_run_through_a_box(
    boxes: list[Rect], start_y: float, end_y: float, backward: bool
) -> None:
    start_x, end_x = (2100.0, 0.0) if backward else (0.0, 2100.0)
    line = polyline(route(Point(start_x, start_y), Point(end_x, end_y), boxes))
    assert line[0] == (start_x, start_y) and line[-1] == (end_x, end_y)
    for box in boxes:
        inner = box.grown(-1.0, -1.0)
        for a, b in itertools.pairwise(line):
            assert not _meets(a, b, inner), f"{a} -> {b} runs through {box}"


def _meets(a: Point, b: Point, rect: Rect) -> bool:
    steps = 20
    return any(
        rect.left < a.x + (b.x - a.x) * t / steps < rect.right
        and rect.top < a.y + (b.y - a.y) * t / steps < rect.bottom
        for t in range(steps + 1)
    )
