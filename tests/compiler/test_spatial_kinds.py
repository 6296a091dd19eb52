"""Convolutions, pools, pads and pixel shuffles over 1, 2 and 3 spatial dims, end to end.

Small real designs (an M5-style audio CNN, a 3-d video classifier, a super-resolution head)
are compiled and run: the forward pass gives the checker's output shape, the model has the
checker's parameter count, and the code reads as a person writes it. Refusals are checked
word for word.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest
import torch

from designer.compiler import build_model, compile_design, materialize
from designer.graph import Design, block_kind, check_design

Step = tuple[str, str, Mapping[str, object]]
"""A block in a chain: kind, name, parameters."""


def chain(shape: Sequence[int], steps: Sequence[Step]) -> Design:
    """input -> each step in turn -> output."""
    design = Design()
    previous = design.add_block("input", name="x", params={"shape": list(shape)}).id
    for kind, name, params in steps:
        block = design.add_block(kind, name=name, params=params)
        design.connect(previous, block.id)
        previous = block.id
    design.connect(previous, design.add_block("output", name="out").id)
    return design


def _conv1d_stage(index: int, out_channels: int, **conv: object) -> list[Step]:
    return [
        ("conv1d", f"conv{index}", {"out_channels": out_channels, **conv}),
        ("batch_norm1d", f"bn{index}", {}),
        ("activation", f"relu{index}", {"activation": "relu"}),
        ("max_pool1d", f"pool{index}", {"kernel_size": 4}),
    ]


M5: list[Step] = [
    *_conv1d_stage(1, 32, kernel_size=80, stride=16, padding=0),
    *_conv1d_stage(2, 32, kernel_size=3),
    *_conv1d_stage(3, 64, kernel_size=3),
    *_conv1d_stage(4, 64, kernel_size=3, padding=0),
    ("adaptive_avg_pool1d", "gap", {"output_size": 1}),
    ("flatten", "flat", {}),
    ("linear", "fc", {"out_features": 35}),
]
VIDEO: list[Step] = [
    ("conv3d", "conv1", {"out_channels": 16}),
    ("activation", "relu1", {"activation": "relu"}),
    ("max_pool3d", "pool1", {"kernel_size": 2}),
    ("conv3d", "conv2", {"out_channels": 32, "stride": 2, "groups": 4}),
    ("activation", "relu2", {"activation": "relu"}),
    ("avg_pool3d", "pool2", {"kernel_size": 2, "padding": 1, "ceil_mode": True}),
    ("adaptive_avg_pool3d", "gap", {"output_size": [1]}),
    ("flatten", "flat", {}),
    ("linear", "fc", {"out_features": 10}),
]
SUPER_RESOLUTION: list[Step] = [
    ("reflection_pad2d", "mirror", {"padding": [1]}),
    ("conv2d", "expand", {"out_channels": 12, "padding": 0}),
    ("pixel_shuffle", "shuffle", {"upscale_factor": 2}),
    ("zero_pad2d", "pad", {"padding": [1, 1, 2, 2]}),
    ("constant_pad2d", "crop", {"padding": [-1, -1, -2, -2], "value": 0.5}),
    ("pixel_unshuffle", "unshuffle", {"downscale_factor": 4}),
    ("adaptive_max_pool2d", "pool", {"output_size": [2, 3]}),
]
DECODER_1D: list[Step] = [
    ("constant_pad1d", "pad", {"padding": [2, 1], "value": -1.0}),
    ("conv_transpose1d", "up", {"out_channels": 8, "kernel_size": 4, "output_padding": 1}),
    ("avg_pool1d", "smooth", {"kernel_size": 3, "stride": 1, "padding": 1}),
]
DECODER_3D: list[Step] = [
    ("conv_transpose3d", "up", {"out_channels": 4, "kernel_size": 3, "padding": 1}),
    (
        "conv3d",
        "mix",
        {"out_channels": 4, "kernel_size": 1, "padding": 0, "dilation": 2, "bias": False},
    ),
]

DESIGNS = {
    "m5_audio": ((1, 1, 16000), M5, (1, 35)),
    "video": ((1, 3, 8, 32, 32), VIDEO, (1, 10)),
    "super_resolution": ((1, 3, 16, 16), SUPER_RESOLUTION, (1, 48, 2, 3)),
    "decoder_1d": ((2, 4, 10), DECODER_1D, (2, 8, 29)),
    "decoder_3d": ((1, 2, 3, 4, 5), DECODER_3D, (1, 4, 5, 7, 9)),
}


@pytest.mark.parametrize("name", DESIGNS)
def test_the_model_runs_to_the_checkers_shape_with_its_parameter_count(name: str) -> None:
    shape, steps, expected = DESIGNS[name]
    design = chain(shape, steps)
    report = check_design(design)
    assert report.ok, [problem.message for problem in report.problems]
    out = next(block.id for block in design.blocks.values() if block.name == "out")
    assert report.results[out].shape == expected
    model = materialize(build_model(compile_design(design)))
    with torch.no_grad():
        output = model(torch.randn(shape))
    assert tuple(output.shape) == expected
    assert sum(p.numel() for p in model.parameters()) == report.total_parameters


def test_m5_shapes_and_parameters_along_the_way() -> None:
    design = chain((1, 1, 16000), M5)
    report = check_design(design)
    shapes = {block.name: report.results[block.id].shape for block in design.blocks.values()}
    assert shapes["conv1"] == (1, 32, 996)  # (16000 - 80) // 16 + 1
    assert shapes["pool1"] == (1, 32, 249)
    assert shapes["pool2"] == (1, 32, 62)
    assert shapes["pool3"] == (1, 64, 15)
    assert shapes["pool4"] == (1, 64, 3)
    assert shapes["gap"] == (1, 64, 1)
    conv1 = next(block.id for block in design.blocks.values() if block.name == "conv1")
    assert report.results[conv1].parameters == 1 * 32 * 80 + 32


def test_the_code_reads_as_a_person_writes_it() -> None:
    sources = "\n".join(
        compile_design(chain(shape, steps)).source for shape, steps, _ in DESIGNS.values()
    )
    for line in (
        "nn.Conv1d(1, 32, kernel_size=80, stride=16)",
        "nn.Conv1d(32, 32, kernel_size=3, padding=1)",
        "nn.MaxPool1d(kernel_size=4)",
        "nn.AdaptiveAvgPool1d(1)",
        "nn.Conv3d(3, 16, kernel_size=3, padding=1)",
        "nn.Conv3d(16, 32, kernel_size=3, stride=2, padding=1, groups=4)",
        "nn.MaxPool3d(kernel_size=2)",
        "nn.AvgPool3d(kernel_size=2, padding=1, ceil_mode=True)",
        "nn.AdaptiveAvgPool3d(1)",
        "nn.ReflectionPad2d(1)",
        "nn.PixelShuffle(2)",
        "nn.ZeroPad2d((1, 1, 2, 2))",
        "nn.ConstantPad2d((-1, -1, -2, -2), 0.5)",
        "nn.PixelUnshuffle(4)",
        "nn.AdaptiveMaxPool2d((2, 3))",
        "nn.ConstantPad1d((2, 1), -1.0)",
        "nn.ConvTranspose1d(4, 8, kernel_size=4, stride=2, output_padding=1)",
        "nn.AvgPool1d(kernel_size=3, stride=1, padding=1)",
        "nn.ConvTranspose3d(2, 4, kernel_size=3, stride=2, padding=1)",
        "nn.Conv3d(4, 4, kernel_size=1, bias=False, dilation=2)",
    ):
        assert line in sources, line


REFUSALS = {
    "a 1-d kernel longer than the input": (
        (1, 1, 3),
        ("conv1d", "conv", {"kernel_size": 5, "padding": 0}),
        "Conv1d 'conv': kernel 5 needs at least 5 after padding, but gets 3 "
        "(3 padded by 0) (input 1x1x3 from 'x')",
    ),
    "a 3-d kernel deeper than the clip": (
        (1, 1, 2, 4, 4),
        ("conv3d", "conv", {"kernel_size": 3, "padding": 0}),
        "Conv3d 'conv': kernel 3x3x3 needs at least 3x3x3 after padding, but gets 2x4x4 "
        "(2x4x4 padded by 0) (input 1x1x2x4x4 from 'x')",
    ),
    "grouped 3-d channels that don't split": (
        (1, 6, 4, 4, 4),
        ("conv3d", "conv", {"out_channels": 8, "groups": 4}),
        "Conv3d 'conv': 6 input channels can't be split into 4 groups (input 1x6x4x4x4 from 'x')",
    ),
    "a 1-d transposed convolution padded away": (
        (1, 2, 1),
        ("conv_transpose1d", "up", {"kernel_size": 1, "stride": 1, "padding": 1}),
        "ConvTranspose1d 'up': padding 1 removes more than the transposed convolution "
        "produces from an input of length 1 (input 1x2x1 from 'x')",
    ),
    "1-d pool padding past half the window": (
        (1, 2, 10),
        ("max_pool1d", "pool", {"kernel_size": 4, "padding": 3}),
        "MaxPool1d 'pool': padding 3 is more than half the window of 4 (input 1x2x10 from 'x')",
    ),
    "3-d pool padding past half the window": (
        (1, 2, 6, 6, 6),
        ("avg_pool3d", "pool", {"kernel_size": 2, "padding": 2}),
        "AvgPool3d 'pool': padding 2 is more than half the 2x2x2 window (input 1x2x6x6x6 from 'x')",
    ),
    "a 3-d average window deeper than the clip, padding or not": (
        (1, 2, 2, 8, 8),
        ("avg_pool3d", "pool", {"kernel_size": 3, "padding": 1}),
        "AvgPool3d 'pool': kernel 3x3x3 needs at least 3x3x3 before any padding, but gets "
        "2x8x8 (input 1x2x2x8x8 from 'x')",
    ),
    "a 3-d pool given an image": (
        (1, 3, 8, 8),
        ("max_pool3d", "pool", {}),
        "MaxPool3d 'pool' expects a 5-d (N x C x D x H x W) input, but 'x' gives 1x3x8x8 (4-d)",
    ),
    "two sizes for a 3-d adaptive pool": (
        (1, 3, 4, 4, 4),
        ("adaptive_avg_pool3d", "gap", {"output_size": [2, 3]}),
        "AdaptiveAvgPool3d 'gap': output_size takes 1 value (a cube) or 3 (depth, height, "
        "width), but gets 2: 2x3 (input 1x3x4x4x4 from 'x')",
    ),
    "channels that don't shuffle": (
        (1, 12, 4, 4),
        ("pixel_shuffle", "shuffle", {"upscale_factor": 3}),
        "PixelShuffle 'shuffle': upscale factor 3 needs channels divisible by 3x3 = 9, "
        "but gets 12 (input 1x12x4x4 from 'x')",
    ),
    "a height that doesn't unshuffle": (
        (1, 3, 5, 4),
        ("pixel_unshuffle", "unshuffle", {}),
        "PixelUnshuffle 'unshuffle': downscale factor 2 needs a height and width divisible "
        "by 2, but gets 5x4 (input 1x3x5x4 from 'x')",
    ),
    "reflection as deep as the image": (
        (1, 1, 3, 5),
        ("reflection_pad2d", "mirror", {"padding": [0, 0, 3, 0]}),
        "ReflectionPad2d 'mirror': reflection padding 3 on the top must be smaller than "
        "the height (3) (input 1x1x3x5 from 'x')",
    ),
    "two values for a 2-d pad": (
        (1, 3, 8, 8),
        ("zero_pad2d", "pad", {"padding": [1, 2]}),
        "ZeroPad2d 'pad': padding takes 1 value (every side) or 4 (left, right, top, bottom), "
        "but gets 2: 1, 2 (input 1x3x8x8 from 'x')",
    ),
    "cropping past the edge": (
        (1, 2, 3),
        ("constant_pad1d", "pad", {"padding": [2, -4]}),
        "ConstantPad1d 'pad': padding 2 and -4 crops 4 from a length of 3 (input 1x2x3 from 'x')",
    ),
}


@pytest.mark.parametrize("case", REFUSALS)
def test_refusals_name_the_numbers(case: str) -> None:
    shape, step, message = REFUSALS[case]
    report = check_design(chain(shape, [step]))
    assert [problem.message for problem in report.problems] == [message]


@pytest.mark.parametrize(
    ("kind", "params", "text"),
    [
        ("conv1d", {"kernel_size": 5, "stride": 2}, "Conv1d 32, k5/2"),
        ("conv3d", {}, "Conv3d 32, 3x3x3"),
        ("conv_transpose1d", {"out_channels": 8}, "ConvT1d 8, k2/2"),
        ("conv_transpose3d", {}, "ConvT3d 32, 2x2x2/2"),
        ("conv2d", {}, "Conv2d 32, 3x3"),
        ("conv_transpose2d", {}, "ConvT 32, 2x2/2"),
        ("max_pool3d", {"kernel_size": 3}, "max pool 3x3x3"),
        ("avg_pool1d", {"kernel_size": 3, "stride": 2}, "avg pool k3/2"),
        ("adaptive_avg_pool1d", {"output_size": 4}, "adaptive avg 4"),
        ("adaptive_avg_pool3d", {"output_size": [1, 2, 2]}, "adaptive avg 1x2x2"),
        ("adaptive_max_pool2d", {}, "adaptive max 1"),
        ("zero_pad2d", {"padding": [1, 1, 2, 2]}, "zero pad 1, 1, 2, 2"),
        ("constant_pad1d", {"padding": [3], "value": 0.5}, "pad 3 with 0.5"),
        ("reflection_pad2d", {}, "reflect pad 1"),
        ("pixel_shuffle", {"upscale_factor": 3}, "pixel shuffle x3"),
        ("pixel_unshuffle", {}, "pixel unshuffle /2"),
    ],
)
def test_canvas_summaries(kind: str, params: Mapping[str, object], text: str) -> None:
    block = Design().add_block(kind, params=params)
    assert block_kind(kind).describe_block(block.params) == text
