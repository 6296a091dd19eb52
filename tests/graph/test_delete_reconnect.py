"""Delete and reconnect: a deleted run of one-in, one-out blocks is bridged when shapes allow."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import pairwise

from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from designer.graph import Design, Edge, check_design, dumps_design
from designer.graph.delete_reconnect import delete_reconnect_plan
from designer.graph.edit_plans import delete_plan
from designer.graph.edits import Connect, apply_all, undo_all
from tests.compiler.design_strategies import designs


def chain(*blocks: tuple[str, str, Mapping[str, object]]) -> tuple[Design, dict[str, str]]:
    """A design of ``(kind, name, params)`` blocks each feeding the next; ids by name."""
    design = Design("Chain")
    ids = {
        name: design.add_block(kind, name=name, params=params).id for kind, name, params in blocks
    }
    for source, target in pairwise(ids.values()):
        design.connect(source, target)
    return design, ids


def features_chain(fc_in: int | None = None) -> tuple[Design, dict[str, str]]:
    """x (1x512) -> proj (Linear 64) -> drop -> act -> fc (Linear 10) -> out."""
    return chain(
        ("input", "x", {"shape": (1, 512)}),
        ("linear", "proj", {"out_features": 64}),
        ("dropout", "drop", {}),
        ("activation", "act", {}),
        ("linear", "fc", {"out_features": 10, "in_features": fc_in}),
        ("output", "out", {}),
    )


def pairs(design: Design) -> set[tuple[str, str]]:
    names = {block_id: block.name for block_id, block in design.blocks.items()}
    return {(names[edge.source], names[edge.target]) for edge in design.edges()}


def applied_then_undone(design: Design, edits: Sequence[object]) -> str:
    before = dumps_design(design)
    apply_all(design, edits)  # type: ignore[arg-type]
    after = dumps_design(design)
    undo_all(design, edits)  # type: ignore[arg-type]
    assert dumps_design(design) == before
    apply_all(design, edits)  # type: ignore[arg-type]  # a redo repeats the same change
    assert dumps_design(design) == after
    return after


def test_deleting_the_middle_of_a_chain_joins_its_neighbours() -> None:
    design, ids = features_chain()
    planned = delete_reconnect_plan(design, [ids["drop"]])
    assert planned.summary == "Deleted 'drop' and reconnected 'proj' to 'act'"
    assert [rejoin.joined for rejoin in planned.rejoins] == [True]
    applied_then_undone(design, planned.edits)
    assert ("proj", "act") in pairs(design)
    assert "drop" not in {block.name for block in design.blocks.values()}
    assert check_design(design).ok


def test_a_run_of_selected_blocks_is_joined_across_the_whole_run() -> None:
    design, ids = features_chain()
    planned = delete_reconnect_plan(design, [ids["act"], ids["drop"]])
    assert planned.summary == "Deleted 'drop', 'act' and reconnected 'proj' to 'fc'"
    applied_then_undone(design, planned.edits)
    assert pairs(design) == {("x", "proj"), ("proj", "fc"), ("fc", "out")}
    assert check_design(design).ok


def test_a_join_that_would_break_shapes_is_left_open_and_says_why() -> None:
    design, ids = features_chain(fc_in=64)
    planned = delete_reconnect_plan(design, [ids["proj"]])
    assert [rejoin.joined for rejoin in planned.rejoins] == [False]
    assert planned.summary == (
        "Deleted 'proj'; not reconnected: Linear 'fc' expects 64 input features, "
        "but 'act' gives 1x512 (512 input features)"
    )
    assert not any(isinstance(edit, Connect) for edit in planned.edits)
    applied_then_undone(design, planned.edits)
    assert ("x", "drop") not in pairs(design)
    assert [problem.message for problem in check_design(design).problems] == [
        "Dropout 'drop' has nothing at its input"
    ]


def test_an_output_feeding_several_inputs_is_joined_to_all_of_them() -> None:
    design, ids = features_chain()
    head = design.add_block("linear", name="head", params={"out_features": 3}).id
    design.connect(ids["drop"], head)
    design.connect(head, design.add_block("output", name="out2").id)
    planned = delete_reconnect_plan(design, [ids["drop"]])
    assert planned.summary == "Deleted 'drop' and reconnected 'proj' to 'act', 'head'"
    applied_then_undone(design, planned.edits)
    assert {("proj", "act"), ("proj", "head")} <= pairs(design)
    assert check_design(design).ok


def test_one_refused_target_leaves_the_run_open_to_every_target() -> None:
    design, ids = features_chain()
    head = design.add_block("linear", name="head", params={"in_features": 64}).id
    design.connect(ids["drop"], head)
    planned = delete_reconnect_plan(design, [ids["proj"], ids["drop"]])
    assert [rejoin.refusal for rejoin in planned.rejoins] == [
        "Linear 'head' expects 64 input features, but 'x' gives 1x512 (512 input features)"
    ]
    apply_all(design, planned.edits)
    assert {target for _, target in pairs(design)} == {"fc", "out"}


def test_a_merge_an_input_and_a_dead_end_are_deleted_plainly() -> None:
    design, ids = features_chain()
    add = design.add_block("add", name="add").id
    design.disconnect(Edge(ids["act"], ids["fc"]))
    design.connect(ids["act"], add, "in0")
    design.connect(ids["proj"], add, "in1")
    design.connect(add, ids["fc"])
    dead_end = design.add_block("dropout", name="dead").id
    design.connect(ids["proj"], dead_end)
    for block_id in (add, ids["x"], dead_end, ids["out"]):
        planned = delete_reconnect_plan(design, [block_id])
        assert planned.rejoins == ()
        assert planned.summary is None
        assert planned.edits == delete_plan(design, [block_id])


def test_a_run_branching_into_other_deleted_blocks_is_deleted_plainly() -> None:
    design, ids = features_chain()
    side = design.add_block("dropout", name="side").id
    design.connect(ids["drop"], side)
    design.connect(side, design.add_block("output", name="out2").id)
    planned = delete_reconnect_plan(design, [ids["drop"], side])
    assert planned.rejoins == ()


def test_a_deleted_group_holding_a_chain_is_bridged() -> None:
    design, ids = features_chain()
    group = design.add_group("body", [ids["drop"], ids["act"]]).id
    planned = delete_reconnect_plan(design, group_ids=[group])
    assert planned.summary == "Deleted 'body.drop', 'body.act' and reconnected 'proj' to 'fc'"
    applied_then_undone(design, planned.edits)
    assert design.groups == {}
    assert ("proj", "fc") in pairs(design)


def test_selected_edges_go_too_and_the_run_is_still_joined() -> None:
    design, ids = features_chain()
    planned = delete_reconnect_plan(
        design, [ids["drop"]], [Edge(ids["drop"], ids["act"]), Edge(ids["fc"], ids["out"])]
    )
    applied_then_undone(design, planned.edits)
    assert pairs(design) == {("x", "proj"), ("proj", "act"), ("act", "fc")}


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(design=designs(), data=st.data())
def test_random_deletes_undo_exactly_and_never_add_a_shape_problem(
    design: Design, data: st.DataObject
) -> None:
    victims = data.draw(
        st.lists(st.sampled_from(sorted(design.blocks)), min_size=1, max_size=3, unique=True)
    )
    note(dumps_design(design))
    had_problems = {problem.block_id for problem in check_design(design).problems}
    fed_by_victims = {edge.target for v in victims for edge in design.outbound(v)}
    planned = delete_reconnect_plan(design, victims)

    applied_then_undone(design, planned.edits)

    joined_targets = {
        edge.target for rejoin in planned.rejoins if rejoin.joined for edge in rejoin.targets
    }
    for problem in check_design(design).problems:
        if problem.block_id is None or problem.block_id in had_problems:
            continue
        # the only new problem a delete may leave: an input it took away and didn't join
        assert problem.edge is None and "has nothing at" in problem.message, problem.message
        assert problem.block_id in fed_by_victims - joined_targets
