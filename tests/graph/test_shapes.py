"""Live shape checking: messages, continuing past errors, incremental re-checks."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from designer.graph import Design, ShapeChecker, check_design, load_design
from tests.paths import DATA, EXAMPLES
from tests.profiles import examples


def ids(design: Design) -> dict[str, str]:
    return {design.qualified_name(block_id): block_id for block_id in design.blocks}


def shapes(design: Design) -> dict[str, tuple[int, ...] | None]:
    report = check_design(design)
    return {name: report.results[block_id].shape for name, block_id in ids(design).items()}


def test_seed_final_shapes_and_parameters() -> None:
    design = load_design(EXAMPLES / "seed_final.json")
    report = check_design(design)
    assert report.ok
    assert shapes(design) == {
        "x": (1, 1, 28, 28),
        "encoder.conv_blocks": (1, 64, 28, 28),
        "flat": (1, 50176),
        "decoder.dec_blocks": (1, 512),
        "decoder.last": (1, 10),
        "out": (1, 10),
    }
    assert report.total_parameters == 51_930_186


def test_the_seed_bug_is_named_in_plain_words() -> None:
    design = load_design(DATA / "seed_final_buggy.json")
    report = check_design(design)
    (problem,) = report.problems
    assert problem.message == (
        "dec stack 'decoder.dec_blocks' expects 32*28*28 = 25088 input features, "
        "but 'encoder' gives 64x28x28 = 50176"
    )
    assert problem.expected == "25088 input features"
    assert problem.received == "64x28x28 = 50176"
    names = ids(design)
    assert problem.block_id == names["decoder.dec_blocks"]
    assert problem.edge is not None
    assert (problem.edge.source, problem.edge.target) == (
        names["flat"],
        names["decoder.dec_blocks"],
    )
    # a pinned mismatch still lets checking go on downstream
    assert report.results[names["out"]].shape == (1, 10)


def test_pinned_size_that_agrees_is_fine(chain: Design) -> None:
    chain.set_param(ids(chain)["conv2"], "in_channels", 16)
    assert check_design(chain).ok


def test_pinned_channels_mismatch(chain: Design) -> None:
    chain.set_param(ids(chain)["conv2"], "in_channels", 8)
    (problem,) = check_design(chain).problems
    assert problem.message == (
        "conv block 'conv2' expects 8 input channels, but 'conv1' gives 1x16x32x32 (16 input "
        "channels)"
    )


def test_every_error_shows_at_once(chain: Design) -> None:
    names = ids(chain)
    chain.set_param(names["conv1"], "kernel_size", 40)
    branch = chain.add_block("conv2d", name="side", params={"kernel_size": 9, "padding": 0})
    chain.connect(names["x"], branch.id)
    chain.set_param(names["fc"], "in_features", 7)
    report = check_design(chain)
    messages = [problem.message for problem in report.problems]
    assert messages[0] == (
        "conv block 'conv1': kernel 40x40 needs at least 40x40 after padding, but gets 34x34 "
        "(32x32 padded by 1) (input 1x3x32x32 from 'x')"
    )
    assert len(messages) == 1  # the branch fits; conv2 and fc have unknown input, no cascade
    assert report.results[names["conv2"]].shape is None
    chain.set_param(names["conv1"], "kernel_size", 3)
    messages = [problem.message for problem in check_design(chain).problems]
    assert messages == ["Linear 'fc' expects 7 input features, but 'conv2' gives 32x32x32 = 32768"]


def test_unconnected_inputs_and_missing_ends() -> None:
    design = Design()
    conv = design.add_block("conv_block", name="conv")
    report = check_design(design)
    assert [problem.message for problem in report.problems] == [
        "the design has no input block; add an input block",
        "the design has no output block; add an output block",
        "conv block 'conv' has nothing at its input",
    ]
    assert report.results[conv.id].shape is None
    merge = design.add_block("add", name="merge")
    design.connect(conv.id, merge.id, "in0")
    assert "Add 'merge' has nothing at input 'in1'" in [
        problem.message for problem in check_design(design).problems
    ]


def test_rank_errors_name_the_layout() -> None:
    design = Design()
    x = design.add_block("input", name="x", params={"shape": [8, 784]})
    conv = design.add_block("conv2d", name="conv")
    design.connect(x.id, conv.id)
    (problem,) = [p for p in check_design(design).problems if p.block_id == conv.id]
    assert problem.message == (
        "Conv2d 'conv' expects a 4-d (N x C x H x W) input, but 'x' gives 8x784 (2-d)"
    )
    assert (problem.expected, problem.received) == ("4-d (N x C x H x W)", "8x784")


def test_merge_errors_point_at_the_offending_edge() -> None:
    design = load_design(EXAMPLES / "unet_small.json")
    names = ids(design)
    design.set_param(names["up2"], "kernel_size", 3)  # 16x16 -> 33x33: no longer matches 32x32
    (problem,) = check_design(design).problems
    assert problem.message == (
        "Concat 'skip2': joining along dim 1 needs every other dim to match, but dim 2 is 32 "
        "against 33 (input 1x32x32x32 from 'enc2')"
    )
    assert problem.edge is not None and problem.edge.target_port == "in1"
    assert problem.expected == "1x*x33x33"


def test_add_broadcast_error() -> None:
    design = load_design(EXAMPLES / "resnet_small.json")
    design.set_param(ids(design)["layer3.project"], "out_channels", 16)
    (problem,) = check_design(design).problems
    assert problem.message.startswith(
        "Add 'layer3.residual': can't add 1x16x16x16 to 1x32x16x16: dim 1 is 16 against 32"
    )


def test_parameter_combination_problems() -> None:
    design = Design()
    x = design.add_block("input", name="x")
    act = design.add_block("activation", params={"activation": "prelu", "functional": True})
    design.connect(x.id, act.id)
    messages = [problem.message for problem in check_design(design).problems]
    assert "activation 'activation1': prelu can't be applied as a function" in messages[-1]


class TestIncremental:
    def test_first_check_evaluates_everything(self, chain: Design) -> None:
        checker = ShapeChecker(chain)
        assert checker.check().recomputed == frozenset(chain.blocks)
        assert checker.check().recomputed == frozenset()

    def test_only_downstream_blocks_are_recomputed(self, chain: Design) -> None:
        names = ids(chain)
        checker = ShapeChecker(chain)
        checker.check()
        chain.set_param(names["conv2"], "out_channels", 8)
        report = checker.check()
        # fc's input changed, so its successor is looked at once more; conv1 and x are not
        assert report.recomputed == {names["conv2"], names["flat"], names["fc"], names["out"]}
        assert report.results[names["flat"]].shape == (1, 8 * 32 * 32)
        chain.set_param(names["fc"], "out_features", 12)
        assert checker.check().recomputed == {names["fc"], names["out"]}

    def test_shape_preserving_edit_stops_at_the_block(self, chain: Design) -> None:
        names = ids(chain)
        checker = ShapeChecker(chain)
        checker.check()
        chain.set_param(names["conv1"], "bias", False)
        assert checker.check().recomputed == {names["conv1"]}
        chain.move_block(names["conv1"], (100, 100))
        assert checker.check().recomputed == frozenset()

    def test_rename_refreshes_messages_downstream(self, chain: Design) -> None:
        names = ids(chain)
        chain.set_param(names["conv2"], "in_channels", 8)
        checker = ShapeChecker(chain)
        checker.check()
        chain.rename_block(names["conv1"], "stem")
        (problem,) = checker.check().problems
        assert "but 'stem' gives" in problem.message

    def test_message_two_blocks_up_follows_an_edit_that_keeps_shapes(self) -> None:
        design = Design()
        x = design.add_block("input", name="x", params={"shape": [1, 32, 4, 4]})
        flat = design.add_block("flatten", name="flat")
        fc = design.add_block("linear", name="fc", params={"in_features": 100})
        design.connect(x.id, flat.id)
        design.connect(flat.id, fc.id)
        checker = ShapeChecker(design)
        assert "'x' gives 32x4x4 = 512" in checker.check().problems[-1].message
        design.set_param(x.id, "shape", [1, 8, 8, 8])  # the flatten still gives 1x512
        assert "'x' gives 8x8x8 = 512" in checker.check().problems[-1].message
        design.rename_block(x.id, "image")  # names two blocks up, shapes all unchanged
        assert "'image' gives 8x8x8 = 512" in checker.check().problems[-1].message

    def test_a_report_keeps_what_it_said(self, chain: Design) -> None:
        checker = ShapeChecker(chain)
        first = checker.check()
        chain.set_param(ids(chain)["conv2"], "out_channels", 8)
        second = checker.check()
        assert first.results[ids(chain)["conv2"]].shape == (1, 32, 32, 32)
        assert second.results[ids(chain)["conv2"]].shape == (1, 8, 32, 32)
        assert first.total_parameters != second.total_parameters

    def test_closed_checker_stops_following(self, chain: Design) -> None:
        checker = ShapeChecker(chain)
        checker.check()
        checker.close()
        chain.set_param(ids(chain)["conv1"], "out_channels", 4)
        assert checker.check().recomputed == frozenset()


EDIT = st.tuples(
    st.sampled_from(["out_channels", "kernel_size", "remove", "disconnect", "reconnect", "pin"]),
    st.integers(0, 30),
    st.integers(1, 40),
)


@settings(max_examples=examples(60), deadline=None)
@given(st.lists(EDIT, max_size=12))
def test_incremental_agrees_with_a_fresh_check(edits: list[tuple[str, int, int]]) -> None:
    design = load_design(EXAMPLES / "resnet_small.json")
    checker = ShapeChecker(design)
    checker.check()
    for action, pick, value in edits:
        block_ids = sorted(design.blocks)
        if not block_ids:
            break
        block_id = block_ids[pick % len(block_ids)]
        params = design.blocks[block_id].params
        if action in ("out_channels", "kernel_size") and action in params:
            design.set_param(block_id, action, value)
        elif action == "pin" and "in_channels" in params:
            design.set_param(block_id, "in_channels", value)
        elif action == "remove":
            design.remove_block(block_id)
        elif action == "disconnect" and design.inbound(block_id):
            design.disconnect(next(iter(design.inbound(block_id).values())))
        elif action == "reconnect":
            free = [
                port
                for port in design.kind(block_id).input_ports(params)
                if port not in design.inbound(block_id)
            ]
            sources = [
                other
                for other in block_ids
                if other != block_id
                and design.kind(other).has_output
                and block_id not in design.graph.pred[other]
                and not _reaches(design, block_id, other)
            ]
            if free and sources:
                design.connect(sources[value % len(sources)], block_id, free[0])
        incremental = checker.check()
        fresh = check_design(design)
        assert dict(incremental.results) == dict(fresh.results)
        assert incremental.problems == fresh.problems


def _reaches(design: Design, source: str, target: str) -> bool:
    import networkx as nx

    return bool(nx.has_path(design.graph, source, target))


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.json")), ids=lambda path: path.stem)
def test_examples_check_clean(path: object) -> None:
    assert check_design(load_design(path)).ok  # type: ignore[arg-type]


def test_switching_an_input_to_indices_rechecks_what_it_feeds() -> None:
    """Whether a value holds token indices travels like its shape: an input switched to int64
    (and back) re-checks the blocks downstream even though no shape changed."""
    design = Design()
    x = design.add_block("input", name="x", params={"shape": [1, 8]})
    fc = design.add_block("linear", name="fc")
    out = design.add_block("output", name="out")
    design.connect(x.id, fc.id)
    design.connect(fc.id, out.id)
    checker = ShapeChecker(design)
    assert checker.check().ok
    design.set_param(x.id, "dtype", "int64")
    assert [p.block_id for p in checker.check().problems] == [fc.id]
    design.set_param(x.id, "dtype", "float32")
    assert checker.check().ok
    checker.close()
