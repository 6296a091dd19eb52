"""Auto-layout with some groups collapsed (``layered_positions(collapsed=...)``): a collapsed
group takes the room of its box only, so nothing shown overlaps and no gap is left where its
blocks would be."""

from __future__ import annotations

import itertools

from designer.graph import Design
from designer.graph.edits import MoveBlock, apply_all
from designer.graph.layout import layered_positions
from designer.graph.layout.collapsed_layout import collapsed_positions, deep_groups, layout_edits
from designer.graph.layout.geometry import GROUP_HEADER, GROUP_MARGIN, Rect, block_rect

BOX = (170.0, 44.0)


def stages(count: int = 3, per_block: int = 4, class_name: str | None = None) -> Design:
    """x -> stage0 [block0_0 [convs...], block0_1 [convs...]] -> ... -> out, the inner groups
    of class ``class_name``."""
    design = Design("Stages")
    previous = design.add_block("input", name="x").id
    for stage in range(count):
        inner = []
        for index in range(2):
            ids = []
            for _ in range(per_block):
                block = design.add_block("conv_block")
                design.connect(previous, block.id)
                previous = block.id
                ids.append(block.id)
            group = design.add_group(f"block{stage}_{index}", ids, class_name=class_name)
            inner.append(group.id)
        design.add_group(f"stage{stage}", groups=inner)
    design.connect(previous, design.add_block("output").id)
    return design


def shown_boxes(design: Design, positions: dict[str, tuple[float, float]]) -> dict[str, Rect]:
    """The boxes the canvas shows: blocks outside collapsed groups, and each collapsed group's
    box at the top-left of the frame its blocks would have (these groups hold blocks only)."""
    collapsed = set(deep_groups(design, 2))
    boxes = {
        block_id: block_rect(positions[block_id])
        for block_id, block in design.blocks.items()
        if block.group not in collapsed
    }
    for group_id in collapsed:
        blocks, _ = design.members(group_id)
        left = min(positions[b][0] for b in blocks) - GROUP_MARGIN
        top = min(positions[b][1] for b in blocks) - GROUP_MARGIN - GROUP_HEADER
        boxes[group_id] = Rect(left, top, left + BOX[0], top + BOX[1])
    return boxes


def test_deep_groups_are_those_two_or_more_levels_down() -> None:
    design = stages()
    deep = deep_groups(design, 2)
    assert sorted(design.group(g).name for g in deep) == sorted(
        f"block{s}_{i}" for s in range(3) for i in range(2)
    )
    assert deep_groups(design, 1) == list(design.groups)


def test_collapsed_groups_take_only_their_box_and_nothing_shown_overlaps() -> None:
    design = stages()
    deep = deep_groups(design, 2)
    positions = collapsed_positions(design, deep, BOX)
    assert set(positions) == set(design.blocks)
    boxes = shown_boxes(design, positions)
    for (a, box_a), (b, box_b) in itertools.combinations(boxes.items(), 2):
        assert not box_a.overlaps(box_b), f"{a} and {b} overlap"
    expanded = layered_positions(design)

    def extent(found: dict[str, tuple[float, float]]) -> float:
        return max(x for x, _ in found.values()) * max(y for _, y in found.values())

    assert extent(positions) < extent(expanded) / 2, "collapsed groups still take their room"


def test_nothing_collapsed_is_the_plain_layout() -> None:
    design = stages(2, 2)
    assert collapsed_positions(design, [], BOX) == layered_positions(design)


def test_each_collapsed_group_takes_the_room_of_its_own_box() -> None:
    design = stages()
    deep = deep_groups(design, 2)
    boxes = {group_id: (120.0 + 40.0 * index, 44.0) for index, group_id in enumerate(deep)}
    positions = layered_positions(design, collapsed=boxes)
    shown: dict[str, Rect] = {}
    for group_id, (width, height) in boxes.items():
        blocks, _ = design.members(group_id)
        left = min(positions[b][0] for b in blocks) - GROUP_MARGIN
        top = min(positions[b][1] for b in blocks) - GROUP_MARGIN - GROUP_HEADER
        shown[group_id] = Rect(left, top, left + width, top + height)
    for block_id, block in design.blocks.items():
        if block.group not in boxes:
            shown[block_id] = block_rect(positions[block_id])
    for (a, box_a), (b, box_b) in itertools.combinations(shown.items(), 2):
        assert not box_a.overlaps(box_b), f"{a} and {b} overlap"
    assert positions != layered_positions(design), "the boxes were ignored"


def test_layout_edits_move_only_what_moves_and_reach_a_fixpoint() -> None:
    design = stages(2, 2)
    boxes = dict.fromkeys(deep_groups(design, 2), BOX)
    edits = layout_edits(design, boxes)
    assert edits and all(isinstance(edit, MoveBlock) for edit in edits)
    apply_all(design, edits)
    assert layout_edits(design, boxes) == []
    assert layout_edits(design, {}), "expanded, the same design lays out differently"
