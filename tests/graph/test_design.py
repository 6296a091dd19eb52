"""The design model: edits, typed errors, events, names, groups and ids."""

from __future__ import annotations

import pytest

from designer.graph import (
    BadNameError,
    BadParameterError,
    CycleError,
    Design,
    DuplicateIdError,
    Edge,
    GroupError,
    PortError,
    UnknownBlockKindError,
    UnknownIdError,
    dumps_design,
)
from designer.graph.events import (
    BlockAdded,
    BlockChanged,
    BlockRemoved,
    Change,
    EdgeAdded,
    EdgeRemoved,
    GroupAdded,
    GroupChanged,
    GroupRemoved,
    ListenerFailure,
    ModelRenamed,
)


def ids(design: Design) -> dict[str, str]:
    return {block.name: block.id for block in design.blocks.values()}


def record(design: Design) -> list[Change]:
    changes: list[Change] = []
    design.subscribe(changes.append)
    return changes


class TestBlocks:
    def test_add_fills_defaults_and_assigns_stable_ids(self) -> None:
        design = Design()
        first = design.add_block("conv_block")
        second = design.add_block("conv_block", params={"out_channels": 8})
        assert (first.id, second.id) == ("b1", "b2")
        assert (first.name, second.name) == ("conv_block1", "conv_block2")
        assert first.params["kernel_size"] == 3
        assert first.params["in_channels"] is None
        assert second.params["out_channels"] == 8

    def test_ids_are_not_reused_after_removal(self) -> None:
        design = Design()
        design.add_block("linear")
        second = design.add_block("linear")
        design.remove_block(second.id)
        assert design.add_block("linear").id == "b3"

    def test_explicit_id_moves_the_counter_past_it(self) -> None:
        design = Design()
        design.add_block("linear", block_id="b41")
        assert design.add_block("linear").id == "b42"
        with pytest.raises(DuplicateIdError, match="b41"):
            design.add_block("linear", block_id="b41")

    def test_unknown_kind_lists_the_known_ones(self) -> None:
        with pytest.raises(UnknownBlockKindError, match="'conv4d'.*conv_block"):
            Design().add_block("conv4d")

    def test_bad_parameter_names_the_parameter_and_value(self) -> None:
        design = Design()
        with pytest.raises(BadParameterError) as error:
            design.add_block("conv_block", params={"kernel_size": -1})
        assert str(error.value) == "params.kernel_size: expected an integer from 1 to 4096, got -1"
        assert not design.blocks

    def test_unknown_parameter_lists_the_known_ones(self) -> None:
        with pytest.raises(BadParameterError, match="no parameter 'kernal_size'.*kernel_size"):
            Design().add_block("conv_block", params={"kernal_size": 3})

    def test_set_param_returns_old_value_and_emits(self, chain: Design) -> None:
        changes = record(chain)
        conv = ids(chain)["conv1"]
        assert chain.set_param(conv, "out_channels", 24) == 16
        assert chain.blocks[conv].params["out_channels"] == 24
        (change,) = changes
        assert isinstance(change, BlockChanged)
        assert change.old.params["out_channels"] == 16
        assert change.new.params["out_channels"] == 24

    def test_refused_set_param_changes_nothing(self, chain: Design) -> None:
        before = dumps_design(chain)
        changes = record(chain)
        with pytest.raises(BadParameterError, match="params.out_channels: expected a positive"):
            chain.set_param(ids(chain)["conv1"], "out_channels", 0)
        with pytest.raises(BadParameterError, match="expected true or false, got 1"):
            chain.set_param(ids(chain)["conv1"], "batch_norm", 1)
        assert dumps_design(chain) == before
        assert not changes

    def test_remove_returns_block_and_edges_for_undo(self, chain: Design) -> None:
        conv = ids(chain)["conv2"]
        changes = record(chain)
        block, edges = chain.remove_block(conv)
        assert block.name == "conv2"
        assert sorted(edge.target for edge in edges) == sorted([conv, ids(chain)["flat"]])
        assert [type(change) for change in changes] == [EdgeRemoved, EdgeRemoved, BlockRemoved]
        assert conv not in chain.graph

    def test_remove_then_restore_gives_the_same_file(self, chain: Design) -> None:
        before = dumps_design(chain)
        block, edges = chain.remove_block(ids(chain)["conv2"])
        chain.add_block(
            block.kind,
            name=block.name,
            params=block.params,
            position=block.position,
            group=block.group,
            block_id=block.id,
        )
        for edge in edges:
            chain.connect(edge.source, edge.target, edge.target_port, edge.source_port)
        assert dumps_design(chain) == before

    def test_move_keeps_shape_state_and_emits(self, chain: Design) -> None:
        changes = record(chain)
        conv = ids(chain)["conv1"]
        assert chain.move_block(conv, (10, 20.5)) == (0.0, 0.0)
        assert chain.blocks[conv].position == (10.0, 20.5)
        assert isinstance(changes[0], BlockChanged)
        with pytest.raises(BadParameterError, match="position: expected \\[x, y\\]"):
            chain.move_block(conv, (float("nan"), 0))


class TestNames:
    @pytest.mark.parametrize(
        ("name", "reason"),
        [
            ("x\nimport os", "not an identifier"),
            ("__import__('os')", "not an identifier"),
            ("_private", "not an identifier"),
            ("", "must not be empty"),
            ("class", "Python keyword"),
            ("forward", "clash with nn.Module.forward"),
            ("training", "clash with nn.Module.training"),
            ("a" * 65, "longer than 64"),
        ],
    )
    def test_bad_names_are_refused_with_the_reason(self, name: str, reason: str) -> None:
        with pytest.raises(BadNameError, match=reason):
            Design().add_block("linear", name=name)

    def test_names_are_unique_within_a_scope_only(self) -> None:
        design = Design()
        first = design.add_block("linear", name="fc")
        with pytest.raises(BadNameError, match="'fc' is already used"):
            design.add_block("linear", name="fc")
        group = design.add_group("head", [first.id])
        inner = design.add_block("linear", name="fc2", group=group.id)
        design.add_block("linear", name="fc")  # the top level's "fc" left with the group
        assert design.qualified_name(first.id) == "head.fc"
        assert design.qualified_name(inner.id) == "head.fc2"

    def test_rename_checks_and_frees_the_old_name(self, chain: Design) -> None:
        conv = ids(chain)["conv1"]
        with pytest.raises(BadNameError, match="already used"):
            chain.rename_block(conv, "conv2")
        assert chain.rename_block(conv, "stem") == "conv1"
        chain.add_block("linear", name="conv1")
        assert chain.name_in_use("stem")

    def test_new_name_counts_past_taken_ones(self) -> None:
        design = Design()
        design.add_block("linear", name="linear1")
        assert design.new_name("linear") == "linear2"

    def test_class_names(self) -> None:
        design = Design()
        changes = record(design)
        assert design.set_class_name("Net") == "MyModel"
        assert changes == [ModelRenamed("MyModel", "Net")]
        with pytest.raises(BadNameError, match="model class name 'My Net' is not an identifier"):
            design.set_class_name("My Net")


class TestEdges:
    def test_connect_and_disconnect_emit(self) -> None:
        design = Design()
        a, b = design.add_block("linear"), design.add_block("linear")
        changes = record(design)
        edge = design.connect(a.id, b.id)
        assert edge == Edge(a.id, b.id, "out", "in")
        assert design.inbound(b.id) == {"in": edge}
        assert design.outbound(a.id) == [edge]
        design.disconnect(edge)
        assert changes == [EdgeAdded(edge), EdgeRemoved(edge)]
        with pytest.raises(UnknownIdError, match="no such edge"):
            design.disconnect(edge)

    def test_input_port_takes_one_edge(self, chain: Design) -> None:
        with pytest.raises(PortError, match="input 'in' of conv block 'conv2' is already conn"):
            chain.connect(ids(chain)["x"], ids(chain)["conv2"])

    def test_output_fans_out(self) -> None:
        design = Design()
        a = design.add_block("linear")
        for _ in range(3):
            design.connect(a.id, design.add_block("linear").id)
        assert len(design.outbound(a.id)) == 3

    def test_ports_must_exist(self, chain: Design) -> None:
        names = ids(chain)
        with pytest.raises(PortError, match="output 'out' has no output to connect from"):
            chain.connect(names["out"], names["conv1"])
        with pytest.raises(PortError, match="input 'x' has no input port 'in'.*none"):
            chain.connect(names["fc"], names["x"])
        add = chain.add_block("add")
        with pytest.raises(PortError, match="no input port 'in2' \\(its inputs: in0, in1\\)"):
            chain.connect(names["fc"], add.id, "in2")

    def test_cycles_are_refused_naming_the_loop(self, chain: Design) -> None:
        names = ids(chain)
        before = dumps_design(chain)
        extra = chain.add_block("add", name="merge")
        chain.connect(names["conv2"], extra.id, "in0")
        chain.disconnect(chain.inbound(names["conv2"])["in"])
        with pytest.raises(CycleError, match="cycle: conv2 -> merge -> conv2"):
            chain.connect(extra.id, names["conv2"])
        with pytest.raises(CycleError, match="cycle: merge -> merge"):
            chain.connect(extra.id, extra.id, "in1")
        chain.remove_block(extra.id)
        chain.connect(names["conv1"], names["conv2"])
        assert dumps_design(chain) == before

    def test_shrinking_a_merge_with_connected_ports_is_refused(self) -> None:
        design = Design()
        merge = design.add_block("concat", params={"inputs": 3})
        source = design.add_block("conv2d")
        design.connect(source.id, merge.id, "in2")
        with pytest.raises(BadParameterError, match="still has in2 connected"):
            design.set_param(merge.id, "inputs", 2)
        design.set_param(merge.id, "inputs", 4)
        assert design.kind(merge.id).input_ports(design.blocks[merge.id].params)[-1] == "in3"

    def test_topological_order_follows_edges(self, chain: Design) -> None:
        order = [chain.blocks[block_id].name for block_id in chain.topological_order()]
        assert order == ["x", "conv1", "conv2", "flat", "fc", "out"]


class TestGroups:
    def test_group_moves_members_and_emits(self, chain: Design) -> None:
        names = ids(chain)
        changes = record(chain)
        group = chain.add_group("encoder", [names["conv1"], names["conv2"]], class_name="Enc")
        assert group.id == "g1"
        assert chain.blocks[names["conv1"]].group == "g1"
        assert isinstance(changes[0], GroupAdded)
        assert all(isinstance(change, BlockChanged) for change in changes[1:])
        assert chain.members("g1") == ([names["conv1"], names["conv2"]], [])

    def test_groups_nest_and_ungroup_restores(self, chain: Design) -> None:
        names = ids(chain)
        before = dumps_design(chain)
        inner = chain.add_group("inner", [names["conv1"]])
        outer = chain.add_group("outer", [names["conv2"]], [inner.id])
        assert chain.groups[inner.id].parent == outer.id
        assert chain.qualified_name(names["conv1"]) == "outer.inner.conv1"
        chain.ungroup(outer.id)
        assert chain.groups[inner.id].parent is None
        changes = record(chain)
        chain.ungroup(inner.id)
        assert isinstance(changes[-1], GroupRemoved)
        assert dumps_design(chain) == before

    def test_members_must_share_a_scope(self, chain: Design) -> None:
        names = ids(chain)
        group = chain.add_group("encoder", [names["conv1"]])
        with pytest.raises(GroupError, match="same group"):
            chain.add_group("mixed", [names["conv1"], names["conv2"]])
        assert chain.groups[group.id].name == "encoder"

    def test_input_and_output_stay_at_top_level(self, chain: Design) -> None:
        with pytest.raises(GroupError, match="input 'x' must stay at the top level"):
            chain.add_group("bad", [ids(chain)["x"]])
        group = chain.add_group("ok", [ids(chain)["fc"]])
        with pytest.raises(GroupError, match="output blocks must stay at the top level"):
            chain.add_block("output", group=group.id)

    def test_group_name_must_be_free_in_its_scope(self, chain: Design) -> None:
        with pytest.raises(BadNameError, match="'conv2' is already used"):
            chain.add_group("conv2", [ids(chain)["conv1"]])
        same = chain.add_group("conv1", [ids(chain)["conv1"]])  # the block leaves the scope
        assert chain.qualified_name(ids(chain)["conv1"]) == "conv1.conv1"
        chain.ungroup(same.id)  # the group's own name leaves too, so the block takes it back
        group = chain.add_group("encoder", [ids(chain)["conv1"]])
        chain.add_block("linear", name="conv1")
        with pytest.raises(GroupError, match="conv1 already named in the enclosing scope"):
            chain.ungroup(group.id)

    def test_rename_and_class(self, chain: Design) -> None:
        group = chain.add_group("encoder", [ids(chain)["conv1"]])
        changes = record(chain)
        assert chain.rename_group(group.id, "enc") == "encoder"
        assert chain.set_group_class(group.id, "MyEncoder") is None
        assert [type(change) for change in changes] == [GroupChanged, GroupChanged]
        assert chain.groups[group.id].class_name == "MyEncoder"
        with pytest.raises(BadNameError):
            chain.set_group_class(group.id, "1Bad")

    def test_unknown_ids(self, chain: Design) -> None:
        with pytest.raises(UnknownIdError, match="no group with id 'g9'"):
            chain.add_group("head", [], parent="g9")
        with pytest.raises(UnknownIdError, match="no block with id 'b99'"):
            chain.add_group("head", ["b99"])

    def test_nesting_depth_is_bounded(self) -> None:
        design = Design()
        parent = None
        for depth in range(32):
            parent = design.add_group(f"g{depth}x", parent=parent).id
        with pytest.raises(GroupError, match="at most 32 deep"):
            design.add_group("too_deep", parent=parent)


class TestEvents:
    def test_a_failing_listener_does_not_stop_others(
        self, caplog: pytest.LogCaptureFixture, listener_failures: list[ListenerFailure]
    ) -> None:
        design = Design()
        seen: list[Change] = []

        def broken(change: Change) -> None:
            raise RuntimeError("view is broken")

        design.subscribe(broken)
        design.subscribe(seen.append)
        block = design.add_block("linear")
        assert seen == [BlockAdded(block)]
        assert "view is broken" in caplog.text
        assert [failure.listener for failure in listener_failures] == [broken]
        assert "RuntimeError: view is broken" in listener_failures[0].describe()
        listener_failures.clear()  # seen and expected: the autouse check need not fail

    def test_unsubscribe(self) -> None:
        design = Design()
        seen: list[Change] = []
        design.subscribe(seen.append)
        design.unsubscribe(seen.append)
        design.add_block("linear")
        assert not seen
