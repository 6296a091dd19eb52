"""Groups of one class sized differently compile to one class taking the sizes as arguments."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from designer.compiler import build_model, compile_design
from designer.compiler.errors import CompileError
from designer.graph import Design
from tests.compiler.test_golden import compare

GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "parametric"


def _stages(widths: list[int], strides: list[int], encoder_sizes: list[list[int]]) -> Design:
    """Stages of one class (conv block, conv, batch norm, ReLU) with the given widths and
    strides, then encoders of one class, each a conv stack of the given sizes."""
    design = Design("Staged")
    last = design.add_block("input", name="x", params={"shape": [2, 3, 16, 16]}).id
    for number, (width, stride) in enumerate(zip(widths, strides, strict=True), start=1):
        blocks = [
            design.add_block(
                "conv_block",
                name="conv1",
                params={"out_channels": width, "kernel_size": 3, "padding": 1, "stride": stride},
            ),
            design.add_block(
                "conv2d",
                name="conv2",
                params={"out_channels": width, "kernel_size": 3, "padding": 1, "bias": False},
            ),
            design.add_block("batch_norm2d", name="bn"),
            design.add_block("activation", name="relu", params={"activation": "relu"}),
        ]
        for block in blocks:
            design.connect(last, block.id)
            last = block.id
        design.add_group(f"stage{number}", [block.id for block in blocks], class_name="Stage")
    for number, sizes in enumerate(encoder_sizes, start=1):
        stack = design.add_block(
            "conv_stack",
            name="convs",
            params={"sizes": sizes, "kernel_size": 3, "padding": 1, "activation": "lrelu"},
        )
        design.connect(last, stack.id)
        last = stack.id
        design.add_group(f"encoder{number}", [stack.id], class_name="Encoder")
    out = design.add_block("output", name="y")
    design.connect(last, out.id)
    return design


def test_one_class_takes_the_sizes_that_differ(regen_golden: bool) -> None:
    compiled = compile_design(_stages([8, 16, 32], [1, 2, 2], [[32, 16], [24, 8, 4]]))
    compare(GOLDEN / "stages.py", compiled.source, regen_golden)
    source = compiled.source
    assert source.count("class Stage(nn.Module)") == 1
    assert source.count("class Encoder(nn.Module)") == 1
    # the seed's idiom: the stack's sizes are the encoder's argument, under their own name
    assert "def __init__(self, convs_sizes: list[int]) -> None:" in source
    assert "self.encoder2 = Encoder([16, 24, 8, 4])" in source
    model = build_model(compiled)
    assert str(model).count("(stage") == 3 and "Stage2" not in str(model)


def test_only_the_sizes_that_differ_are_arguments() -> None:
    source = compile_design(_stages([8, 8, 8], [1, 1, 1], [])).source
    assert "class Stage(nn.Module):\n    def __init__(self, in_channels: int) -> None:" in source
    assert "self.stage1 = Stage(3)" in source and "self.stage3 = Stage(8)" in source
    assert "nn.BatchNorm2d(8)" in source


def test_built_differently_under_one_class_name_is_refused() -> None:
    design = _stages([8, 16], [1, 1], [])
    relu = next(b for b in design.blocks.values() if b.kind == "activation" and b.group == "g2")
    design.set_param(relu.id, "activation", "gelu")
    with pytest.raises(CompileError, match="class Stage are built differently"):
        compile_design(design)


def _reference(widths: list[int], strides: list[int]) -> nn.Module:
    layers: list[nn.Module] = []
    channels = 3
    for width, stride in zip(widths, strides, strict=True):
        layers += [
            nn.Sequential(
                nn.Conv2d(channels, width, 3, stride=stride, padding=1),
                nn.BatchNorm2d(width),
                nn.ReLU(),
            ),
            nn.Conv2d(width, width, 3, padding=1, bias=False),
            nn.BatchNorm2d(width),
            nn.ReLU(),
        ]
        channels = width
    return nn.Sequential(*layers)


@settings(max_examples=15, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 12), st.sampled_from([1, 2])), min_size=1, max_size=4))
def test_the_shared_class_builds_each_stage_as_designed(stages: list[tuple[int, int]]) -> None:
    """Whatever the sizes: one class, and the model holds the very layers, weights and outputs
    of the stages written out by hand."""
    widths = [width for width, _ in stages]
    strides = [stride for _, stride in stages]
    compiled = compile_design(_stages(widths, strides, []))
    assert compiled.source.count("class Stage(") == 1
    model = build_model(compiled, "cpu").eval()
    reference = _reference(widths, strides).eval()
    ours = list(model.state_dict().values())
    theirs = list(reference.state_dict().values())
    assert [tuple(t.shape) for t in ours] == [tuple(t.shape) for t in theirs]
    model.load_state_dict(dict(zip(model.state_dict(), theirs, strict=True)))
    example = torch.randn(2, 3, 16, 16)
    with torch.no_grad():
        torch.testing.assert_close(model(example), reference(example))


def _residual(design: Design, source: str, name: str, groups: list[str]) -> tuple[str, str]:
    """A linear layer added to its input, grouped (with ``groups`` inside) as ``name``: a group
    that is no plain chain, so a class of its own."""
    fc = design.add_block("linear", name=f"{name}_fc", params={"out_features": 4})
    add = design.add_block("add", name=f"{name}_add")
    design.connect(source, fc.id)
    design.connect(fc.id, add.id, "in0")
    design.connect(source, add.id, "in1")
    return add.id, design.add_group(name, [fc.id, add.id], groups).id


def test_classes_nested_in_a_class_of_their_own_name_are_all_written() -> None:
    """``blk`` inside ``blk`` (and ``cls`` inside ``cls``) can't wait for their outer namesake:
    each round shares out one of them, and the other waits its turn rather than being lost."""
    design = Design("Nested")
    last = design.add_block("input", name="x", params={"shape": [1, 4]}).id
    for name in ("blk", "cls"):
        inner_out, inner = _residual(design, last, name, [])
        fc = design.add_block("linear", name="proj", params={"out_features": 4})
        add = design.add_block("add", name="skip")
        design.connect(inner_out, fc.id)
        design.connect(fc.id, add.id, "in0")
        design.connect(last, add.id, "in1")
        design.add_group(name, [fc.id, add.id], [inner])
        last = add.id
    design.connect(last, design.add_block("output", name="y").id)
    source = compile_design(design).source
    assert "\0" not in source
    assert {"class Blk(", "class Blk_1(", "class Cls(", "class Cls_1("} <= {
        line[: line.index("(") + 1] for line in source.splitlines() if line.startswith("class ")
    }
    build_model(compile_design(design), "cpu")
