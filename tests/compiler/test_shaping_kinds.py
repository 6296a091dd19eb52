"""Normalisation, tensor-shape and merge kinds, end to end.

Small real designs (image to tokens, squeeze-and-excitation, an attention head, a stack of
every normalisation) are compiled and run: the forward pass gives the checker's output shape,
each sub-module has the checker's parameter count, and the code reads as a person writes it.
Refusals are checked word for word, as ``check_design`` reports them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest
import torch

from designer.compiler import build_model, compile_design, materialize
from designer.graph import Design, check_design

Step = tuple[str, str, Mapping[str, object]]
"""A block in a chain: kind, name, parameters."""


def chain(shape: Sequence[int], steps: Sequence[Step], design: Design | None = None) -> Design:
    """input -> each step in turn -> output."""
    design = design or Design()
    previous = design.add_block("input", name="x", params={"shape": list(shape)}).id
    for kind, name, params in steps:
        previous = then(design, previous, kind, name, params)
    design.connect(previous, design.add_block("output", name="out").id)
    return design


def then(
    design: Design, source: str, kind: str, name: str, params: Mapping[str, object] | None = None
) -> str:
    block = design.add_block(kind, name=name, params=params or {})
    design.connect(source, block.id)
    return block.id


def block_id(design: Design, name: str) -> str:
    return next(block.id for block in design.blocks.values() if block.name == name)


IMAGE_TO_TOKENS: list[Step] = [
    ("conv2d", "patches", {"out_channels": 32, "kernel_size": 16, "stride": 16, "padding": 0}),
    ("flatten", "tokens", {"start_dim": 2, "functional": True}),
    ("transpose", "channels_last", {"dim0": 1, "dim1": 2}),
    ("layer_norm", "norm", {}),
    ("slice", "drop_first", {"dim": 1, "start": 1}),
    ("mean", "pool", {"dims": [1]}),
]
NORMS: list[Step] = [
    ("batch_norm3d", "bn", {}),
    ("group_norm", "gn", {"num_groups": 4}),
    ("layer_norm", "ln", {"dims": 2, "bias": False}),
    ("rms_norm", "rms", {"dims": 3, "dtype_eps": False, "eps": 1e-6}),
    ("reshape", "as_sequence", {"shape": [8, -1]}),
    ("instance_norm1d", "in1", {"affine": True}),
    ("dropout1d", "drop1", {"p": 0.1}),
    ("unflatten", "as_image", {"dim": 2, "sizes": [12, 12]}),
    ("instance_norm2d", "in2", {"affine": True, "track_running_stats": True}),
    ("dropout2d", "drop2", {}),
    ("permute", "channels_last", {"dims": [0, 2, 3, 1]}),
    ("sum", "total", {"dims": [-1], "keepdim": True}),
    ("squeeze", "drop_dim", {"dim": -1}),
    ("unsqueeze", "add_dim", {"dim": 1}),
    ("log_softmax", "scores", {"dim": -1}),
    ("identity", "keep", {}),
]

CHAINS = {
    "image_to_tokens": ((2, 3, 64, 64), IMAGE_TO_TOKENS, (2, 32)),
    "norms": ((2, 8, 4, 6, 6), NORMS, (2, 1, 12, 12)),
}


def squeeze_and_excitation() -> Design:
    """Channel gating: the pooled features, squeezed and expanded, scale the feature map."""
    design = Design()
    image = design.add_block("input", name="x", params={"shape": [2, 3, 16, 16]}).id
    features = then(design, image, "conv2d", "features", {"out_channels": 16})
    gate = features
    for kind, name, params in [
        ("adaptive_avg_pool2d", "squeeze", {}),
        ("flatten", "flat", {}),
        ("linear", "reduce", {"out_features": 4}),
        ("activation", "relu", {}),
        ("linear", "expand", {"out_features": 16}),
        ("activation", "sigmoid", {"activation": "sigmoid"}),
        ("reshape", "per_channel", {"shape": [16, 1, 1]}),
    ]:
        gate = then(design, gate, kind, name, params)
    excite = design.add_block("mul", name="excite").id
    design.connect(features, excite, "in0")
    design.connect(gate, excite, "in1")
    design.connect(excite, design.add_block("output", name="out").id)
    return design


def attention_head() -> Design:
    """Scores from queries and keys, softmax, then the weighted values; the class token out."""
    design = Design()
    tokens = design.add_block("input", name="x", params={"shape": [2, 10, 16]}).id
    query = then(design, tokens, "linear", "query", {"out_features": 8})
    key = then(design, then(design, tokens, "linear", "key", {"out_features": 8}), "transpose",
               "keys_t", {"dim0": -2, "dim1": -1})  # fmt: skip
    scores = design.add_block("matmul", name="scores").id
    design.connect(query, scores, "in0")
    design.connect(key, scores, "in1")
    weights = then(design, scores, "softmax", "weights", {"dim": -1})
    mixed = design.add_block("matmul", name="mixed").id
    design.connect(weights, mixed, "in0")
    design.connect(tokens, mixed, "in1")
    cls = then(design, mixed, "select", "cls", {"dim": 1, "index": 0})
    design.connect(cls, design.add_block("output", name="out").id)
    return design


DESIGNS = {
    **{name: (shape, expected) for name, (shape, _, expected) in CHAINS.items()},
    "squeeze_and_excitation": ((2, 3, 16, 16), (2, 16, 16, 16)),
    "attention_head": ((2, 10, 16), (2, 16)),
}


def design_named(name: str) -> Design:
    if name in CHAINS:
        shape, steps, _ = CHAINS[name]
        return chain(shape, steps)
    return squeeze_and_excitation() if name == "squeeze_and_excitation" else attention_head()


@pytest.mark.parametrize("name", DESIGNS)
def test_the_model_runs_to_the_checkers_shape_and_parameter_counts(name: str) -> None:
    shape, expected = DESIGNS[name]
    design = design_named(name)
    report = check_design(design)
    assert report.ok, [problem.message for problem in report.problems]
    assert report.results[block_id(design, "out")].shape == expected
    model = materialize(build_model(compile_design(design)))
    model.eval()
    with torch.no_grad():
        output = model(torch.randn(shape))
    assert tuple(output.shape) == expected
    assert sum(p.numel() for p in model.parameters()) == report.total_parameters
    for module_name, module in model.named_children():
        counted = report.results[block_id(design, module_name)].parameters
        assert sum(p.numel() for p in module.parameters()) == counted, module_name


def test_normalisation_parameter_counts() -> None:
    design = chain((2, 8, 4, 6, 6), NORMS)
    report = check_design(design)
    counts = {block.name: report.results[block.id].parameters for block in design.blocks.values()}
    assert counts["bn"] == counts["gn"] == 2 * 8
    assert counts["ln"] == 6 * 6  # a weight per element of the last 2 dims, no bias
    assert counts["rms"] == 4 * 6 * 6
    assert counts["in1"] == counts["in2"] == 2 * 8
    assert counts["drop1"] == counts["total"] == counts["keep"] == 0


def forward_lines(design: Design) -> list[str]:
    source = compile_design(design).source
    body = source.split("def forward", 1)[1]
    return [line.strip() for line in body.splitlines()[1:] if line.strip()]


def test_the_code_reads_as_a_person_writes_it() -> None:
    tokens = forward_lines(chain(*CHAINS["image_to_tokens"][:2]))
    assert tokens[1:] == [
        "x = x.flatten(2)",
        "x = x.transpose(1, 2)",
        "x = self.norm(x)",
        "x = x[:, 1:]",
        "return x.mean(dim=1)",
    ]
    norms = compile_design(chain(*CHAINS["norms"][:2])).source
    for line in [
        "self.bn = nn.BatchNorm3d(8)",
        "self.gn = nn.GroupNorm(4, 8)",
        "self.ln = nn.LayerNorm([6, 6], bias=False)",
        "self.rms = nn.RMSNorm([4, 6, 6], eps=1e-06)",
        "self.in1 = nn.InstanceNorm1d(8, affine=True)",
        "self.drop1 = nn.Dropout1d(p=0.1)",
        "self.in2 = nn.InstanceNorm2d(8, affine=True, track_running_stats=True)",
        "self.drop2 = nn.Dropout2d()",
        "self.keep = nn.Identity()",
        "x = x.reshape(x.shape[0], 8, -1)",
        "x = x.unflatten(2, (12, 12))",
        "x = x.permute(0, 2, 3, 1)",
        "x = x.sum(dim=3, keepdim=True)",
        "x = x.squeeze(3)",
        "x = x.unsqueeze(1)",
        "x = x.log_softmax(dim=3)",
    ]:
        assert line in norms
    excitation = forward_lines(squeeze_and_excitation())
    assert excitation[-2:] == ["x = x.reshape(x.shape[0], 16, 1, 1)", "return features * x"]
    assert forward_lines(attention_head()) == [
        "query = self.query(x)",
        "out = self.key(x)",
        "out = out.transpose(1, 2)",
        "out = query @ out",
        "out = out.softmax(dim=2)",
        "out = out @ x",
        "return out[:, 0]",
    ]


def single(shape: Sequence[int], kind: str, params: Mapping[str, object]) -> list[str]:
    """The problems ``check_design`` finds in input -> one block -> output."""
    report = check_design(chain(shape, [(kind, "block", params)]))
    return [problem.message for problem in report.problems]


REFUSALS = [
    (
        (1, 3, 16, 16), "reshape", {"shape": [12, 60]},
        "Reshape 'block': asks for 12x60 = 720 elements but gets 3x16x16 = 768 per sample "
        "(input 1x3x16x16 from 'x')",
    ),
    (
        (1, 3, 16, 16), "reshape", {"shape": [-1, 5]},
        "Reshape 'block': asks for -1x5, but 5 doesn't divide the 3x16x16 = 768 per sample "
        "(input 1x3x16x16 from 'x')",
    ),
    (
        (1, 3, 16, 16), "reshape", {"shape": [-1, 16, -1]},
        "Reshape 'block': only one size may be -1 (inferred), but -1x16x-1 has 2 "
        "(input 1x3x16x16 from 'x')",
    ),
    (
        (1, 4, 6), "unflatten", {"dim": -1, "sizes": [4, 2]},
        "Unflatten 'block': can't split dim -1, of size 6, into 4x2 = 8 (input 1x4x6 from 'x')",
    ),
    (
        (1, 4, 6), "permute", {"dims": [0, 2, 2]},
        "Permute 'block': dims [0, 2, 2] must name each of a 3-d input's dims (0 to 2) once "
        "(input 1x4x6 from 'x')",
    ),
    (
        (1, 4, 6), "transpose", {"dim0": 1, "dim1": 3},
        "Transpose 'block': dim1 3 is outside a 3-d input (input 1x4x6 from 'x')",
    ),
    (
        (1, 4, 6), "select", {"dim": 1, "index": 4},
        "Select 'block': index 4 is outside dim 1, of size 4 (input 1x4x6 from 'x')",
    ),
    (
        (1, 4, 6), "slice", {"dim": 2, "start": 4, "stop": 2},
        "Slice 'block': slice 4:2 of dim 2 (of size 6) is empty (input 1x4x6 from 'x')",
    ),
    (
        (1, 4, 6), "mean", {"dims": [2, -1]},
        "Mean 'block': dims [2, -1] name dim 2 of a 3-d input twice (input 1x4x6 from 'x')",
    ),
    (
        (1, 4, 6), "unsqueeze", {"dim": 4},
        "Unsqueeze 'block': dim 4 is outside the places a 3-d input can gain a dim (-4 to 3) "
        "(input 1x4x6 from 'x')",
    ),
    (
        (1, 6, 8, 8), "group_norm", {"num_groups": 4},
        "GroupNorm 'block': 6 channels can't be split into 4 groups (input 1x6x8x8 from 'x')",
    ),
    (
        (1, 4, 1, 1), "group_norm", {"num_groups": 4},
        "GroupNorm 'block': 4 channels in 4 groups leave one value per group in 1x4x1x1, and "
        "group norm needs more than one (input 1x4x1x1 from 'x')",
    ),
    (
        (2, 10, 16), "layer_norm", {"dims": 3},
        "LayerNorm 'block': normalises the last 3 dims, but a 3-d input has only 2 after the "
        "batch (input 2x10x16 from 'x')",
    ),
    (
        (2, 8, 1), "instance_norm1d", {},
        "InstanceNorm1d 'block': without running statistics, instance norm averages over each "
        "channel's positions, but 2x8x1 has one position per channel (input 2x8x1 from 'x')",
    ),
    (
        (2, 8), "dropout1d", {},
        "Dropout1d 'block' expects a 3-d (N x C x L) input, but 'x' gives 2x8 (2-d)",
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("shape", "kind", "params", "message"), REFUSALS, ids=[case[1] for case in REFUSALS]
)
def test_refusals_name_the_numbers(
    shape: Sequence[int], kind: str, params: Mapping[str, object], message: str
) -> None:
    assert single(shape, kind, params) == [message]


def merge(first: Sequence[int], second: Sequence[int], kind: str) -> list[str]:
    design = Design()
    left = design.add_block("input", name="a", params={"shape": list(first)}).id
    right = design.add_block("input", name="b", params={"shape": list(second)}).id
    merged = design.add_block(kind, name="merged").id
    design.connect(left, merged, "in0")
    design.connect(right, merged, "in1")
    design.connect(merged, design.add_block("output", name="out").id)
    return [problem.message for problem in check_design(design).problems]


def test_merge_refusals_name_both_shapes() -> None:
    assert merge((2, 3, 4), (2, 5, 6), "matmul") == [
        "MatMul 'merged': can't matrix-multiply 2x3x4 by 2x5x6: the first's last size is 4 but "
        "the second's second-to-last size is 5 (they must match) (input 2x5x6 from 'b')"
    ]
    assert merge((2, 3, 4), (3, 4, 6), "matmul") == [
        "MatMul 'merged': can't matrix-multiply 2x3x4 by 3x4x6: the batch sizes 2 and 3 don't "
        "broadcast (they must match or be 1) (input 3x4x6 from 'b')"
    ]
    assert merge((1, 16, 8, 8), (1, 8, 1, 1), "mul") == [
        "Multiply 'merged': can't multiply 1x16x8x8 by 1x8x1x1: dim 1 is 8 against 16 "
        "(sizes must match or be 1) (input 1x8x1x1 from 'b')"
    ]


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        ((4,), (4,), ()),
        ((4,), (2, 4, 5), (2, 5)),
        ((2, 3, 4), (4,), (2, 3)),
        ((3, 4), (4, 5), (3, 5)),
        ((2, 1, 3, 4), (5, 4, 6), (2, 5, 3, 6)),
    ],
)
def test_matmul_follows_torch_for_vectors_and_batches(
    first: Sequence[int], second: Sequence[int], expected: tuple[int, ...]
) -> None:
    design = Design()
    left = design.add_block("input", name="a", params={"shape": list(first)}).id
    right = design.add_block("input", name="b", params={"shape": list(second)}).id
    merged = design.add_block("matmul", name="merged").id
    design.connect(left, merged, "in0")
    design.connect(right, merged, "in1")
    assert check_design(design).results[merged].shape == expected
    assert tuple(torch.matmul(torch.empty(first), torch.empty(second)).shape) == expected


def test_squeeze_leaves_a_dim_whose_size_isnt_one_as_torch_does() -> None:
    design = chain((2, 3, 1), [("squeeze", "block", {"dim": 1})])
    assert check_design(design).results[block_id(design, "block")].shape == (2, 3, 1)
