"""Reversible edits and the compound plans built from them: undo restores the file exactly."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

import pytest

from designer.graph import (
    BadNameError,
    BadParameterError,
    CycleError,
    Design,
    DesignError,
    Edge,
    GroupError,
    PortError,
    UnknownBlockKindError,
    UnknownIdError,
    dumps_design,
    load_design,
    loads_design,
)
from designer.graph.design import MAX_GROUP_DEPTH
from designer.graph.edit_plans import (
    FRAGMENT_FORMAT,
    MAX_FRAGMENT_BLOCKS,
    add_plan,
    copy_fragment,
    delete_plan,
    group_plan,
    paste_plan,
    pasted_ids,
)
from designer.graph.edits import (
    AddBlock,
    AddGroup,
    Connect,
    Disconnect,
    Edit,
    MoveBlock,
    RemoveBlock,
    RenameBlock,
    RenameGroup,
    SetClassName,
    SetGroupClass,
    SetParam,
    Ungroup,
    apply_all,
    undo_all,
)
from tests.paths import EXAMPLES

OFFSET = (24.0, 36.0)


def example(name: str) -> Design:
    return load_design(EXAMPLES / f"{name}.json")


def block_id(design: Design, qualified: str) -> str:
    """The id of the block called ``qualified`` (``decoder.last``)."""
    found = [key for key in design.blocks if design.qualified_name(key) == qualified]
    assert len(found) == 1, f"no single block called {qualified!r}"
    return found[0]


def edge_between(design: Design, source: str, target: str) -> Edge:
    source_id, target_id = block_id(design, source), block_id(design, target)
    found = [edge for edge in design.outbound(source_id) if edge.target == target_id]
    assert len(found) == 1
    return found[0]


def round_trip(design: Design, edits: Sequence[Edit]) -> tuple[str, str]:
    """Apply, undo, apply, undo, apply: each undo gives back the text from before, each apply
    the text of the first apply. Leaves the edits applied; returns (before, after)."""
    before = dumps_design(design)
    apply_all(design, edits)
    after = dumps_design(design)
    for _ in range(2):
        undo_all(design, edits)
        assert dumps_design(design) == before
        apply_all(design, edits)
        assert dumps_design(design) == after
    return before, after


def refused(design: Design, edits: Sequence[Edit], error: type[DesignError]) -> DesignError:
    """``edits`` are refused with ``error`` and the design is left exactly as it was."""
    before = dumps_design(design)
    with pytest.raises(error) as raised:
        apply_all(design, edits)
    assert dumps_design(design) == before
    return raised.value


# --- each edit: apply, undo, apply again ------------------------------------------------------

Builder = Callable[[Design], list[Edit]]


def _connect_to_new_port(design: Design) -> list[Edit]:
    residual = block_id(design, "layer1.residual")
    design.set_param(residual, "inputs", 3)  # set up outside the edit: a free port in2
    return [Connect(block_id(design, "stem"), residual, "in2")]


def _ungroup_nested(design: Design) -> list[Edit]:
    inner = design.add_group("tail", [block_id(design, "decoder.last")], parent="g2")
    assert inner.parent == "g2"
    return [Ungroup("g2")]


CASES: dict[str, tuple[str, Builder]] = {
    "add block": (
        "seed_final",
        lambda d: [AddBlock("linear", (5.0, 6.0), params={"out_features": 3})],
    ),
    "add named block in a group": (
        "seed_final",
        lambda d: [AddBlock("dropout", (1.5, -2.0), name="drop", params={"p": 0.25}, group="g1")],
    ),
    "add block with a given id": ("resnet_small", lambda d: [AddBlock("add", block_id="b99")]),
    "remove block with edges": ("seed_final", lambda d: [RemoveBlock(block_id(d, "flat"))]),
    "remove block in a group": (
        "seed_final",
        lambda d: [RemoveBlock(block_id(d, "decoder.last"))],
    ),
    "remove merge with two inputs": (
        "resnet_small",
        lambda d: [RemoveBlock(block_id(d, "layer1.residual"))],
    ),
    "remove input": ("resnet_small", lambda d: [RemoveBlock(block_id(d, "x"))]),
    "connect": ("resnet_small", _connect_to_new_port),
    "disconnect": (
        "resnet_small",
        lambda d: [Disconnect(edge_between(d, "stem", "layer1.residual"))],
    ),
    "set int param": (
        "resnet_small",
        lambda d: [SetParam(block_id(d, "stem"), "out_channels", 48)],
    ),
    "set float param": ("resnet_small", lambda d: [SetParam(block_id(d, "layer1.bn2"), "eps", 1)]),
    "set int list param": (
        "seed_final",
        lambda d: [SetParam(block_id(d, "encoder.conv_blocks"), "sizes", [8, 16, 32])],
    ),
    "pin an in-size": (
        "seed_final",
        lambda d: [SetParam(block_id(d, "decoder.last"), "in_features", 7)],
    ),
    "set choice param": (
        "resnet_small",
        lambda d: [SetParam(block_id(d, "layer2.relu"), "activation", "gelu")],
    ),
    "add merge ports": (
        "resnet_small",
        lambda d: [SetParam(block_id(d, "layer3.residual"), "inputs", 5)],
    ),
    "set param to its value": (
        "resnet_small",
        lambda d: [SetParam(block_id(d, "fc"), "bias", d.block(block_id(d, "fc")).params["bias"])],
    ),
    "rename block": ("resnet_small", lambda d: [RenameBlock(block_id(d, "layer2.conv1"), "first")]),
    "rename block to its name": ("resnet_small", lambda d: [RenameBlock(block_id(d, "fc"), "fc")]),
    "move block": ("seed_final", lambda d: [MoveBlock(block_id(d, "flat"), (-3.25, 1e6))]),
    "group blocks": ("seed_final", lambda d: [AddGroup("middle", [block_id(d, "flat")])]),
    "group groups and blocks": (
        "seed_final",
        lambda d: [AddGroup("body", [block_id(d, "flat")], ["g1", "g2"], class_name="Body")],
    ),
    "group named like its member": (
        "seed_final",
        lambda d: [AddGroup("flat", [block_id(d, "flat")])],
    ),
    "empty group inside a group": ("resnet_small", lambda d: [AddGroup("spare", parent="g2")]),
    "group inside a group": (
        "resnet_small",
        lambda d: [AddGroup("main", [block_id(d, "layer3.conv1"), block_id(d, "layer3.conv2")])],
    ),
    "ungroup": ("seed_final", lambda d: [Ungroup("g1")]),
    "ungroup with a nested group": ("seed_final", _ungroup_nested),
    "rename group": ("resnet_small", lambda d: [RenameGroup("g3", "downsample")]),
    "set group class": ("resnet_small", lambda d: [SetGroupClass("g1", "FirstBlock")]),
    "clear group class": ("resnet_small", lambda d: [SetGroupClass("g1", None)]),
    "set model class": ("resnet_small", lambda d: [SetClassName("TinyResNet")]),
    "several edits as one": (
        "seed_final",
        lambda d: [
            AddBlock("dropout", block_id="b20"),
            Disconnect(edge_between(d, "flat", "decoder.dec_blocks")),
            Connect(block_id(d, "flat"), "b20"),
            Connect("b20", block_id(d, "decoder.dec_blocks")),
            Ungroup("g2"),
            RemoveBlock(block_id(d, "encoder.conv_blocks")),
            SetClassName("Other"),
        ],
    ),
}

# Edits that leave the file as it was (the rest must change it).
NO_CHANGE = {"set param to its value", "rename block to its name"}


@pytest.mark.parametrize("case", list(CASES))
def test_undo_restores_the_file_and_redo_repeats_the_change(case: str) -> None:
    name, build = CASES[case]
    design = example(name)
    edits = build(design)
    before, after = round_trip(design, edits)
    assert (before == after) == (case in NO_CHANGE)


def test_add_block_redo_brings_back_the_same_id_and_name() -> None:
    design = example("seed_final")
    edit = AddBlock("linear", (1.0, 2.0))
    edit.apply(design)
    assert (edit.block_id, edit.name) == ("b7", "linear1")
    edit.undo(design)
    assert "b7" not in design.blocks
    other = design.add_block("linear")  # takes a fresh id and the same default name
    assert other.id != "b7"
    design.remove_block(other.id)
    edit.apply(design)
    block = design.block("b7")
    assert (block.name, block.kind, block.position) == ("linear1", "linear", (1.0, 2.0))


def test_add_group_redo_brings_back_the_same_id() -> None:
    design = example("seed_final")
    flat = block_id(design, "flat")
    edit = AddGroup("middle", [flat])
    edit.apply(design)
    assert edit.group_id == "g3"
    edit.undo(design)
    assert "g3" not in design.groups
    assert design.block(flat).group is None
    edit.apply(design)
    assert design.block(flat).group == "g3"


def test_remove_block_undo_restores_its_edges_and_place() -> None:
    design = example("resnet_small")
    stem = block_id(design, "stem")
    edges_before = sorted(design.edges())
    edit = RemoveBlock(stem)
    edit.apply(design)
    assert stem not in design.blocks
    assert all(stem not in (edge.source, edge.target) for edge in design.edges())
    edit.undo(design)
    assert sorted(design.edges()) == edges_before
    assert design.qualified_name(stem) == "stem"


def test_set_param_undo_restores_the_old_value() -> None:
    design = example("seed_final")
    stack = block_id(design, "encoder.conv_blocks")
    old = design.block(stack).params["sizes"]
    edit = SetParam(stack, "sizes", [4, 8])
    edit.apply(design)
    assert design.block(stack).params["sizes"] == (4, 8)
    assert edit.old == old
    edit.undo(design)
    assert design.block(stack).params["sizes"] == old


def test_ungroup_undo_puts_members_back() -> None:
    design = example("seed_final")
    inner = design.add_group("tail", [block_id(design, "decoder.last")], parent="g2").id
    edit = Ungroup("g2")
    edit.apply(design)
    assert "g2" not in design.groups
    assert design.group(inner).parent is None
    assert design.block(block_id(design, "dec_blocks")).group is None
    edit.undo(design)
    group = design.group("g2")
    assert (group.name, group.class_name, group.parent) == ("decoder", "MyDecoder", None)
    assert design.group(inner).parent == "g2"
    assert design.members("g2") == ([block_id(design, "decoder.dec_blocks")], [inner])


# --- refused edits change nothing -----------------------------------------------------------


def test_refused_single_edits_change_nothing() -> None:
    design = example("resnet_small")
    fc, stem = block_id(design, "fc"), block_id(design, "stem")
    refused(design, [Connect(fc, stem)], PortError)  # stem's input is taken
    refused(design, [RenameBlock(fc, "stem")], BadNameError)
    refused(design, [RenameBlock(fc, "forward")], BadNameError)
    refused(design, [SetParam(fc, "out_features", 0)], BadParameterError)
    refused(design, [SetParam(fc, "no_such_param", 1)], BadParameterError)
    refused(design, [SetParam(block_id(design, "layer1.residual"), "inputs", 1)], BadParameterError)
    refused(design, [RemoveBlock("b404")], UnknownIdError)
    refused(design, [Disconnect(Edge(fc, stem))], UnknownIdError)
    refused(design, [AddBlock("nope")], UnknownBlockKindError)
    refused(design, [AddBlock("input", group="g1")], GroupError)
    refused(design, [AddBlock("linear", name="fc")], BadNameError)
    refused(design, [AddGroup("mixed", [fc, block_id(design, "layer1.conv1")])], GroupError)
    refused(design, [AddGroup("ends", [block_id(design, "x")])], GroupError)
    refused(design, [AddGroup("fc", [stem])], BadNameError)
    refused(design, [RenameGroup("g1", "layer2")], BadNameError)
    refused(design, [SetGroupClass("g1", "not a class")], BadNameError)
    refused(design, [SetClassName("1st")], BadNameError)
    refused(design, [MoveBlock(fc, (float("nan"), 0.0))], BadParameterError)


def test_a_connect_that_would_make_a_cycle_is_refused() -> None:
    design = example("seed_final")
    error = refused(
        design, [Connect(block_id(design, "decoder.last"), block_id(design, "flat"))], PortError
    )
    assert "already connected" in str(error)
    design.disconnect(edge_between(design, "encoder.conv_blocks", "flat"))
    error = refused(
        design, [Connect(block_id(design, "decoder.last"), block_id(design, "flat"))], CycleError
    )
    assert "flat -> dec_blocks -> last -> flat" in str(error)


def test_ungroup_refused_when_names_clash_outside() -> None:
    design = example("resnet_small")
    refused(design, [RenameBlock(block_id(design, "stem"), "conv1"), Ungroup("g1")], GroupError)


# --- apply_all: all or nothing --------------------------------------------------------------


def test_apply_all_rolls_back_when_a_later_connect_makes_a_cycle() -> None:
    design = example("seed_final")
    flat, dec = block_id(design, "flat"), block_id(design, "decoder.dec_blocks")
    plan: list[Edit] = [
        AddBlock("dropout", (3.0, 4.0), block_id="b40"),
        Disconnect(edge_between(design, "flat", "decoder.dec_blocks")),
        Connect(flat, "b40"),
        Connect("b40", dec),
        RenameBlock(flat, "flattened"),
        SetParam(dec, "sizes", [7]),
        Ungroup("g1"),
        RemoveBlock(block_id(design, "out")),
        MoveBlock(flat, (9.0, 9.0)),
        Connect(block_id(design, "decoder.last"), block_id(design, "encoder.conv_blocks")),
    ]
    refused(design, plan, PortError)  # conv_blocks' input is taken ...
    plan[-1:] = [
        Disconnect(edge_between(design, "x", "encoder.conv_blocks")),
        Connect(block_id(design, "decoder.last"), block_id(design, "encoder.conv_blocks")),
    ]
    error = refused(design, plan, CycleError)  # ... and freed, the edge closes a loop
    assert "cycle" in str(error)
    assert "b40" not in design.blocks
    assert set(design.groups) == {"g1", "g2"}
    # the refusal left nothing behind: the same plan without the last edit applies and undoes
    round_trip(design, plan[:-1])
    assert design.block(flat).name == "flattened"


def test_apply_all_rolls_back_compound_group_edits() -> None:
    design = example("resnet_small")
    plan: list[Edit] = [
        AddGroup("stage", [], ["g1", "g2"]),
        RenameGroup("g3", "last_stage"),
        SetGroupClass("g1", None),
        AddBlock("linear", group="g3"),
        AddGroup("stage", ["b2"]),  # the name is taken now
    ]
    refused(design, plan, BadNameError)
    assert set(design.groups) == {"g1", "g2", "g3"}


# --- delete ---------------------------------------------------------------------------------


def test_delete_blocks_takes_their_edges() -> None:
    design = example("resnet_small")
    conv2, bn2 = block_id(design, "layer1.conv2"), block_id(design, "layer1.bn2")
    residual = block_id(design, "layer1.residual")
    selected_edge = edge_between(design, "layer1.conv2", "layer1.bn2")
    plan = delete_plan(design, [conv2, bn2], [selected_edge])
    assert plan == [RemoveBlock(conv2), RemoveBlock(bn2)]  # no separate Disconnect
    before, _ = round_trip(design, plan)
    assert conv2 not in design.blocks and bn2 not in design.blocks
    assert all({edge.source, edge.target}.isdisjoint({conv2, bn2}) for edge in design.edges())
    assert set(design.inbound(residual)) == {"in1"}
    assert len(design.outbound(block_id(design, "layer1.conv1"))) == 0
    undo_all(design, plan)
    assert dumps_design(design) == before


def test_delete_a_selected_edge() -> None:
    design = example("resnet_small")
    skip = edge_between(design, "stem", "layer1.residual")
    plan = delete_plan(design, edges=[skip])
    assert plan == [Disconnect(skip)]
    round_trip(design, plan)
    assert skip not in set(design.edges())
    assert set(design.inbound(skip.target)) == {"in0"}
    assert len(design.blocks) == 23


def test_delete_a_group_takes_nested_groups_blocks_and_edges() -> None:
    design = example("seed_final")
    dec, last = block_id(design, "decoder.dec_blocks"), block_id(design, "decoder.last")
    inner = design.add_group("tail", [last], parent="g2").id
    design.add_group("spare", parent=inner)
    spare = next(group.id for group in design.groups.values() if group.name == "spare")
    plan = delete_plan(design, group_ids=["g2"])
    ungroups = [edit.group_id for edit in plan if isinstance(edit, Ungroup)]
    assert ungroups == [spare, inner, "g2"]  # innermost first
    assert {edit.block_id for edit in plan if isinstance(edit, RemoveBlock)} == {dec, last}
    before, _ = round_trip(design, plan)
    assert set(design.groups) == {"g1"}
    assert {design.qualified_name(key) for key in design.blocks} == {
        "x",
        "encoder.conv_blocks",
        "flat",
        "out",
    }
    assert not design.inbound(block_id(design, "out"))
    assert not design.outbound(block_id(design, "flat"))
    undo_all(design, plan)
    assert dumps_design(design) == before
    assert design.group(spare).parent == inner


def test_delete_a_group_with_a_selected_edge_into_it_and_a_block() -> None:
    design = example("seed_final")
    edge = edge_between(design, "flat", "decoder.dec_blocks")
    out = block_id(design, "out")
    plan = delete_plan(design, [out], [edge], ["g2"])
    assert not any(isinstance(edit, Disconnect) for edit in plan)
    round_trip(design, plan)
    assert {design.qualified_name(key) for key in design.blocks} == {
        "x",
        "encoder.conv_blocks",
        "flat",
    }


# --- add: splice, after ---------------------------------------------------------------------


def test_add_spliced_into_an_edge_sits_between_its_ends() -> None:
    design = example("seed_final")
    edge = edge_between(design, "flat", "decoder.dec_blocks")
    plan = add_plan(design, "dropout", (650.0, 0.0), splice_into=edge)
    before, _ = round_trip(design, plan)
    new_id = pasted_ids(plan)[0]
    new = design.block(new_id)
    assert (new.kind, new.group, new.position) == ("dropout", None, (650.0, 0.0))  # ends differ
    assert design.inbound(new_id) == {"in": Edge(edge.source, new_id)}
    assert design.inbound(edge.target) == {"in": Edge(new_id, edge.target)}
    assert edge not in set(design.edges())
    undo_all(design, plan)
    assert dumps_design(design) == before


def test_add_spliced_into_a_merge_port_keeps_the_port_and_the_group() -> None:
    design = example("resnet_small")
    edge = edge_between(design, "layer1.bn2", "layer1.residual")
    assert edge.target_port == "in0"
    plan = add_plan(design, "add", (0.0, 0.0), splice_into=edge)
    round_trip(design, plan)
    new_id = pasted_ids(plan)[0]
    assert design.block(new_id).group == "g1"  # both ends sit in layer1
    assert design.qualified_name(new_id) == "layer1.add1"
    assert design.inbound(new_id) == {"in0": Edge(edge.source, new_id, target_port="in0")}
    assert design.inbound(edge.target)["in0"] == Edge(new_id, edge.target, target_port="in0")
    assert design.inbound(edge.target)["in1"].source == block_id(design, "stem")


@pytest.mark.parametrize("kind", ["input", "output"])
def test_input_and_output_blocks_cannot_be_spliced(kind: str) -> None:
    design = example("seed_final")
    with pytest.raises(DesignError, match="can't sit in the middle of an edge"):
        add_plan(
            design, kind, (0.0, 0.0), splice_into=edge_between(design, "flat", "decoder.dec_blocks")
        )


def test_add_after_a_block_is_fed_by_it_in_its_group() -> None:
    design = example("seed_final")
    last = block_id(design, "decoder.last")
    plan = add_plan(design, "activation", (1100.0, 80.0), after=last)
    round_trip(design, plan)
    new_id = pasted_ids(plan)[0]
    assert design.block(new_id).group == "g2"
    assert design.inbound(new_id) == {"in": Edge(last, new_id)}
    assert {edge.target for edge in design.outbound(last)} == {new_id, block_id(design, "out")}


def test_add_after_a_block_starts_merges_at_their_first_port() -> None:
    design = example("seed_final")
    flat = block_id(design, "flat")
    plan = add_plan(design, "concat", (0.0, 0.0), after=flat)
    round_trip(design, plan)
    assert design.inbound(pasted_ids(plan)[0]) == {
        "in0": Edge(flat, pasted_ids(plan)[0], target_port="in0")
    }


def test_add_an_input_after_a_grouped_block_stays_unconnected_at_top() -> None:
    design = example("seed_final")
    plan = add_plan(design, "input", (0.0, 0.0), after=block_id(design, "decoder.last"))
    assert plan == [AddBlock("input", (0.0, 0.0), group=None, block_id="b7")]
    round_trip(design, plan)
    assert design.qualified_name("b7") == "input1"
    assert not design.inbound("b7")


def test_add_after_an_output_is_refused_whole() -> None:
    design = example("seed_final")
    plan = add_plan(design, "linear", (0.0, 0.0), after=block_id(design, "out"))
    error = refused(design, plan, PortError)
    assert "has no output" in str(error)


# --- group ----------------------------------------------------------------------------------


def test_group_blocks_in_one_scope() -> None:
    design = example("resnet_small")
    conv2, bn2 = block_id(design, "layer1.conv2"), block_id(design, "layer1.bn2")
    plan = group_plan(design, "main", [bn2, conv2])
    assert plan == [AddGroup("main", [conv2, bn2], [], parent="g1")]
    round_trip(design, plan)
    group = design.group(plan[0].group_id)  # type: ignore[attr-defined]
    assert group.parent == "g1"
    assert design.qualified_name(conv2) == "layer1.main.conv2"
    assert design.qualified_name(bn2) == "layer1.main.bn2"


def test_group_blocks_at_top() -> None:
    design = example("seed_final")
    flat, out = block_id(design, "flat"), block_id(design, "out")
    plan = group_plan(design, "middle", [flat])
    assert plan == [AddGroup("middle", [flat], [], parent=None)]
    round_trip(design, plan)
    assert design.qualified_name(flat) == "middle.flat"
    with pytest.raises(GroupError, match="top level"):
        apply_all(design, group_plan(design, "ends", [out]))


def test_group_across_a_nested_group_lifts_the_inner_group() -> None:
    design = example("seed_final")
    flat, dec = block_id(design, "flat"), block_id(design, "decoder.dec_blocks")
    last = block_id(design, "decoder.last")
    plan = group_plan(design, "body", [dec, flat])
    assert plan == [AddGroup("body", [flat], ["g2"], parent=None)]
    round_trip(design, plan)
    body = plan[0].group_id  # type: ignore[attr-defined]
    assert design.group("g2").parent == body
    assert design.qualified_name(flat) == "body.flat"
    assert design.qualified_name(last) == "body.decoder.last"  # moved with its group


def test_group_across_deeper_nesting_lifts_the_outermost_group_below_the_common_scope() -> None:
    design = example("seed_final")
    dec, last = block_id(design, "decoder.dec_blocks"), block_id(design, "decoder.last")
    tail = design.add_group("tail", [last]).id  # a group in decoder
    assert design.group(tail).parent == "g2"
    deeper = design.add_group("deeper", [last]).id  # and one in that
    plan = group_plan(design, "inner", [dec, last])
    assert plan == [AddGroup("inner", [dec], [tail], parent="g2")]
    round_trip(design, plan)
    assert design.qualified_name(last) == "decoder.inner.tail.deeper.last"
    assert design.group(deeper).parent == tail


def test_group_needs_a_selection() -> None:
    with pytest.raises(DesignError, match="select the blocks to group first"):
        group_plan(example("seed_final"), "empty", [])


def test_group_refuses_to_nest_past_the_depth_limit() -> None:
    design = Design()
    block = design.add_block("linear").id
    group: str | None = None
    for level in range(MAX_GROUP_DEPTH):
        group = design.add_group(
            f"level{level}", [block] if group is None else [], [group] if group else []
        ).id
    assert len(design.group_path(design.block(block).group)) == MAX_GROUP_DEPTH
    other = design.add_block("linear").id
    refused(design, group_plan(design, "too_deep", [block]), GroupError)  # own depth: checked
    # lifting the outermost group into a new one puts the block a level deeper still
    refused(design, group_plan(design, "too_deep", [block, other]), GroupError)


# --- copy and paste -------------------------------------------------------------------------


def test_copy_holds_the_blocks_and_the_edges_between_them() -> None:
    design = example("seed_final")
    chosen = [block_id(design, name) for name in ("flat", "decoder.dec_blocks", "decoder.last")]
    fragment = json.loads(copy_fragment(design, chosen))
    assert fragment["format"] == FRAGMENT_FORMAT
    assert [record["name"] for record in fragment["blocks"]] == ["flat", "dec_blocks", "last"]
    assert fragment["blocks"][1]["params"]["sizes"] == list(design.block(chosen[1]).params["sizes"])  # type: ignore[arg-type]
    assert fragment["edges"] == [[0, 1, "in", "out"], [1, 2, "in", "out"]]


def test_paste_renames_taken_names_keeps_inner_edges_and_drops_outer_ones() -> None:
    design = example("seed_final")
    chosen = [block_id(design, name) for name in ("flat", "decoder.dec_blocks", "decoder.last")]
    text = copy_fragment(design, chosen)
    plan = paste_plan(design, text, OFFSET)
    new_ids = pasted_ids(plan)
    assert new_ids == ["b7", "b8", "b9"]
    round_trip(design, plan)
    pasted = [design.block(key) for key in new_ids]
    assert [block.name for block in pasted] == ["flat1", "dec_blocks", "last"]  # flat is taken
    assert all(block.group is None for block in pasted)  # pasted at the top level
    for old, new in zip(chosen, pasted, strict=True):
        original = design.block(old)
        assert new.kind == original.kind
        assert new.params == original.params
        assert new.position == (original.position[0] + OFFSET[0], original.position[1] + OFFSET[1])
    inner = {(edge.source, edge.target) for edge in design.edges() if edge.source in new_ids}
    assert inner == {("b7", "b8"), ("b8", "b9")}
    assert not design.inbound("b7")  # the edge from the encoder was not copied
    assert not design.outbound("b9")  # nor the one to the output

    again = paste_plan(design, text, OFFSET)
    apply_all(design, again)
    assert [design.block(key).name for key in pasted_ids(again)] == [
        "flat2",
        "dec_blocks1",
        "last1",
    ]


def test_paste_into_an_empty_design_keeps_names() -> None:
    source = example("resnet_small")
    text = copy_fragment(source, list(source.blocks))
    design = Design()
    plan = paste_plan(design, text, (0.0, 0.0))
    round_trip(design, plan)
    assert len(design.blocks) == 23
    assert len(list(design.edges())) == 25
    names = [design.block(key).name for key in pasted_ids(plan)]
    assert len(set(names)) == 23  # layer1.conv1, layer2.conv1, ... now share one scope
    assert {"x", "stem", "conv1", "conv2", "conv3", "fc", "out"} <= set(names)
    assert names.count("residual") == 1


def fragment(blocks: object, edges: Sequence[object] = ()) -> str:
    return json.dumps({"format": FRAGMENT_FORMAT, "blocks": blocks, "edges": list(edges)})


LINEAR = {"kind": "linear", "name": "fc", "params": {}, "position": [0, 0]}

DAMAGED = {
    "not JSON": ("{'blocks': ", "no Torch Designer blocks"),
    "empty": ("", "no Torch Designer blocks"),
    "plain text": ("conv1", "no Torch Designer blocks"),
    "a design file": (json.dumps({"format": "torch-designer", "blocks": []}), "no Torch Designer"),
    "a list": ("[]", "no Torch Designer blocks"),
    "nested too deeply": ("[" * 100_000 + "]" * 100_000, "no Torch Designer blocks"),
    "blocks not a list": (
        json.dumps({"format": FRAGMENT_FORMAT, "blocks": {}, "edges": []}),
        "'blocks' and 'edges' must be lists",
    ),
    "edges missing": (
        json.dumps({"format": FRAGMENT_FORMAT, "blocks": []}),
        "'blocks' and 'edges' must be lists",
    ),
    "too many blocks": (fragment([0] * (MAX_FRAGMENT_BLOCKS + 1)), "too many blocks to paste"),
    "block not an object": (fragment([LINEAR, 5]), "blocks[1] is 5"),
    "kind missing": (fragment([{**LINEAR, "kind": None}]), "blocks[0] is {"),
    "name not a string": (fragment([{**LINEAR, "name": 3}]), "blocks[0] is {"),
    "params not an object": (fragment([{**LINEAR, "params": [1]}]), "blocks[0] is {"),
    "position too short": (fragment([{**LINEAR, "position": [1]}]), "blocks[0] is {"),
    "position of booleans": (fragment([{**LINEAR, "position": [True, 0]}]), "blocks[0] is {"),
    "position as text": (fragment([{**LINEAR, "position": ["1", "2"]}]), "blocks[0] is {"),
    "edge to a missing block": (fragment([LINEAR], [[0, 1, "in"]]), "edges[0] is [0, 1, 'in']"),
    "edge index negative": (fragment([LINEAR], [[-1, 0, "in"]]), "edges[0] is [-1, 0, 'in']"),
    "edge too short": (fragment([LINEAR], [[0, 0]]), "edges[0] is [0, 0]"),
    "edge port not text": (fragment([LINEAR, LINEAR], [[0, 1, 0]]), "edges[0] is [0, 1, 0]"),
    "edge index a boolean": (
        fragment([LINEAR, {**LINEAR, "name": "fc2"}], [[True, False, "in"]]),
        "edges[0] is [true, false, 'in']",
    ),
    "edge index a float": (fragment([LINEAR, LINEAR], [[0.0, 1, "in"]]), "edges[0] is [0.0, 1"),
    "huge position": (
        fragment([{**LINEAR, "position": [10**400, 0]}]),
        "has more than 24 digits",
    ),
    "huge float parameter": (
        fragment([{"kind": "dropout", "name": "d", "params": {"p": 10**400}, "position": [0, 0]}]),
        "has more than 24 digits",
    ),
    "NaN position": (
        fragment([{**LINEAR, "position": [float("nan"), 0]}]),  # json.dumps writes NaN
        "NaN is not a number a design may hold",
    ),
}


@pytest.mark.parametrize("case", list(DAMAGED))
def test_damaged_clipboard_text_is_refused_with_the_reason(case: str) -> None:
    text, reason = DAMAGED[case]
    design = example("seed_final")
    before = dumps_design(design)
    with pytest.raises(DesignError) as error:
        paste_plan(design, text, OFFSET)
    assert reason in str(error.value)
    assert dumps_design(design) == before


@pytest.mark.parametrize(
    ("records", "edges", "error"),
    [
        ([{**LINEAR, "kind": "nope"}], [], UnknownBlockKindError),
        ([{**LINEAR, "params": {"out_features": -1}}], [], BadParameterError),
        ([{**LINEAR, "params": {"colour": "red"}}], [], BadParameterError),
        ([{**LINEAR, "name": "self"}], [], BadNameError),
        ([{**LINEAR, "position": [1e308, 1.7976931348623157e308 * 1]}], [], None),
        ([LINEAR, {**LINEAR, "name": "fc2"}], [[0, 1, "in"], [1, 0, "in"]], CycleError),
        ([LINEAR, LINEAR, {**LINEAR, "name": "c"}], [[0, 2, "in"], [1, 2, "in"]], PortError),
        ([LINEAR, {**LINEAR, "name": "c"}], [[0, 1, "in5"]], PortError),
        ([{**LINEAR, "kind": "output"}, LINEAR], [[0, 1, "in"]], PortError),
    ],
)
def test_pasted_blocks_go_through_the_edit_checks(
    records: list[dict[str, object]], edges: list[list[object]], error: type[DesignError] | None
) -> None:
    design = example("seed_final")
    plan = paste_plan(design, fragment(records, edges), OFFSET)
    if error is None:
        round_trip(design, plan)
    else:
        refused(design, plan, error)


# --- what undo must restore beyond the file text ---------------------------------------


def test_undoing_a_delete_keeps_the_order_of_the_model_outputs() -> None:
    from designer.compiler import compile_design

    design = Design("TwoHeads")
    x = design.add_block("input", name="x", params={"shape": [1, 8]}).id
    first = design.add_block("linear", name="first", params={"out_features": 3}).id
    second = design.add_block("linear", name="second", params={"out_features": 5}).id
    for head in (first, second):
        design.connect(x, head)
        design.connect(head, design.add_block("output", name=f"{design.block(head).name}_out").id)
    source = compile_design(design).source
    plan = delete_plan(design, [first])
    before, _ = round_trip(design, plan)
    undo_all(design, plan)
    assert dumps_design(design) == before
    assert compile_design(loads_design(before)).source == source
    assert compile_design(design).source == source


def test_copy_and_paste_keep_a_named_output_port() -> None:
    design = Design()
    lstm = design.add_block("lstm", name="lstm")
    head = design.add_block("linear", name="head")
    design.connect(lstm.id, head.id, source_port="h_n")
    plan = paste_plan(design, copy_fragment(design, [lstm.id, head.id]), (40.0, 40.0))
    apply_all(design, plan)
    new_head = pasted_ids(plan)[1]
    assert design.inbound(new_head)["in"].source_port == "h_n"


def test_fragments_copied_before_named_ports_still_paste() -> None:
    design = Design()
    text = (
        '{"format": "' + FRAGMENT_FORMAT + '", "blocks": ['
        '{"kind": "linear", "name": "a", "params": {}, "position": [0, 0]},'
        '{"kind": "linear", "name": "b", "params": {}, "position": [0, 0]}],'
        ' "edges": [[0, 1, "in"]]}'
    )
    apply_all(design, paste_plan(design, text, (0.0, 0.0)))
    assert [edge.source_port for edge in design.edges()] == ["out"]
