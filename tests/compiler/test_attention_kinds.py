"""Attention kinds: their rules against torch's modules built by hand, designs using them
compiled and run, and the checker's refusals word for word.

``tests/graph/test_kinds_against_code.py`` checks each entry's rules against the very code it
writes; here torch's classes are built directly (``nn.MultiheadAttention(E, H, kdim=...)``),
so a slip shared by an entry's rules and its code shows too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import pytest
import torch
from hypothesis import given, settings
from torch import nn

from designer.compiler import build_model, compile_design
from designer.compiler.compile import CompiledDesign
from designer.compiler.live import materialize
from designer.graph import CATALOGUE, Design, check_design
from designer.graph.params import ParamValue
from designer.graph.shape_rules import ShapeRuleError
from tests.kind_cases import Case
from tests.kind_cases.attention import CASES
from tests.profiles import examples

Shape = tuple[int, ...]
Params = Mapping[str, Any]
Built = tuple[nn.Module, Callable[..., object]]
"""A torch module and how the block runs it."""
META = torch.device("meta")
TORCH_REFUSALS = (RuntimeError, ValueError, AssertionError)
"""torch's MultiheadAttention refuses with ``assert`` (a width its heads don't split, keys and
values that disagree) as well as with the usual errors."""


# --- torch's modules, built by hand --------------------------------------------------------


def _causal_mask(length: int) -> torch.Tensor:
    return nn.Transformer.generate_square_subsequent_mask(length, device=META)


def _length(params: Params, shape: Shape) -> int:
    return shape[1] if params["batch_first"] else shape[0]


def _layer_arguments(params: Params, width: int) -> dict[str, Any]:
    return {
        "d_model": width,
        "nhead": params["nhead"],
        "dim_feedforward": params["dim_feedforward"],
        "dropout": params["dropout"],
        "activation": params["activation"],
        "layer_norm_eps": params["layer_norm_eps"],
        "batch_first": params["batch_first"],
        "norm_first": params["norm_first"],
        "bias": params["bias"],
    }


def _attention(params: Params, inputs: Sequence[Shape]) -> Built:
    query, key, value = inputs
    module = nn.MultiheadAttention(
        query[-1], params["num_heads"], dropout=params["dropout"], bias=params["bias"],
        kdim=key[-1], vdim=value[-1], batch_first=params["batch_first"],
    )  # fmt: skip

    def forward(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> object:
        if params["causal"]:
            mask = _causal_mask(_length(params, query))
            return module(q, k, v, attn_mask=mask, is_causal=True, need_weights=False)[0]
        return module(q, k, v, need_weights=False)[0]

    return module, forward


def _encoder_layer(params: Params, inputs: Sequence[Shape]) -> Built:
    module = nn.TransformerEncoderLayer(**_layer_arguments(params, inputs[0][-1]))

    def forward(x: torch.Tensor) -> object:
        if params["causal"]:
            return module(x, src_mask=_causal_mask(_length(params, inputs[0])), is_causal=True)
        return module(x)

    return module, forward


def _decoder_layer(params: Params, inputs: Sequence[Shape]) -> Built:
    module = nn.TransformerDecoderLayer(**_layer_arguments(params, inputs[0][-1]))

    def forward(x: torch.Tensor, memory: torch.Tensor) -> object:
        if params["causal"]:
            mask = _causal_mask(_length(params, inputs[0]))
            return module(x, memory, tgt_mask=mask, tgt_is_causal=True)
        return module(x, memory)

    return module, forward


def _encoder(params: Params, inputs: Sequence[Shape]) -> Built:
    layer = nn.TransformerEncoderLayer(**_layer_arguments(params, inputs[0][-1]))
    module = nn.TransformerEncoder(
        layer,
        num_layers=params["num_layers"],
        enable_nested_tensor=False,
    )

    def forward(x: torch.Tensor) -> object:
        if params["causal"]:
            return module(x, mask=_causal_mask(_length(params, inputs[0])), is_causal=True)
        return module(x)

    return module, forward


TORCH_BUILDERS = {
    "multihead_attention": _attention,
    "transformer_encoder_layer": _encoder_layer,
    "transformer_decoder_layer": _decoder_layer,
    "transformer_encoder": _encoder,
}


def torch_outcome(kind: str, params: Params, inputs: Sequence[Shape]) -> tuple[Shape, int] | None:
    """The output shape and parameter count torch gives; None where it refuses."""
    try:
        with META:
            module, forward = TORCH_BUILDERS[kind](params, inputs)
            tensors = [torch.empty(shape) for shape in inputs]
        module.eval()
        with torch.no_grad():
            output = forward(*tensors)
    except TORCH_REFUSALS:
        return None
    assert isinstance(output, torch.Tensor)
    return tuple(output.shape), sum(parameter.numel() for parameter in module.parameters())


@pytest.mark.parametrize("kind", sorted(CASES))
def test_rules_agree_with_torch_built_by_hand(kind: str) -> None:
    entry = CATALOGUE[kind]

    @settings(max_examples=examples(100), deadline=None)
    @given(CASES[kind])
    def check(case: Case) -> None:
        params, inputs = case
        expected = torch_outcome(kind, params, inputs)
        try:
            shape = entry.shape_rule(params, inputs)
        except ShapeRuleError as error:
            assert expected is None, f"torch gives {expected}, the rule refuses: {error.message}"
            return
        assert expected == (shape, entry.parameter_rule(params, inputs, shape))

    check()


@pytest.mark.parametrize(
    ("kind", "params", "inputs", "parameters"),
    [
        ("multihead_attention", {}, [(1, 4, 512)] * 3, 1_050_624),
        ("multihead_attention", {"bias": False}, [(1, 4, 512)] * 3, 1_048_576),
        ("multihead_attention", {"num_heads": 2}, [(1, 4, 8), (1, 6, 4), (1, 6, 6)], 240),
        ("transformer_encoder_layer", {}, [(1, 4, 512)], 3_152_384),
        ("transformer_encoder_layer", {"bias": False}, [(1, 4, 512)], 3_146_752),
        ("transformer_decoder_layer", {}, [(1, 4, 512), (1, 9, 512)], 4_204_032),
        ("transformer_encoder", {}, [(1, 4, 512)], 18_914_304),
    ],
)
def test_parameter_counts_at_familiar_sizes(
    kind: str, params: dict[str, ParamValue], inputs: list[Shape], parameters: int
) -> None:
    entry = CATALOGUE[kind]
    validated = entry.validate_params(params)
    shape = entry.shape_rule(validated, inputs)
    assert entry.parameter_rule(validated, inputs, shape) == parameters
    assert torch_outcome(kind, validated, inputs) == (inputs[0], parameters)


# --- the catalogue entries -----------------------------------------------------------------


def test_ports_and_roles() -> None:
    attention = CATALOGUE["multihead_attention"]
    assert attention.ports == ("query", "key", "value")
    assert attention.required_inputs(attention.defaults()) == ("query",)
    assert attention.fed_from("value", {"query"}) == "query"
    assert attention.fed_from("value", {"query", "key"}) == "key"
    decoder = CATALOGUE["transformer_decoder_layer"]
    assert decoder.required_inputs(decoder.defaults()) == ("in", "memory")
    assert not attention.chains(attention.defaults())
    layer = CATALOGUE["transformer_encoder_layer"]
    assert layer.chains(layer.defaults())  # called plainly, it can sit in an nn.Sequential
    assert not layer.chains({**layer.defaults(), "causal": True})


@pytest.mark.parametrize(
    ("kind", "params", "text"),
    [
        ("multihead_attention", {"num_heads": 4, "causal": True}, "MHA 4 heads, causal"),
        ("multihead_attention", {"num_heads": 1}, "MHA 1 head"),
        ("transformer_encoder_layer", {"nhead": 4, "dim_feedforward": 256},
         "enc layer 4 heads, ff 256"),
        ("transformer_decoder_layer", {"norm_first": True, "causal": True},
         "dec layer 8 heads, ff 2048, pre-norm, causal"),
        ("transformer_encoder", {"num_layers": 2, "nhead": 4},
         "encoder 2 layers, 4 heads, ff 2048"),
    ],
)  # fmt: skip
def test_canvas_summaries(kind: str, params: dict[str, ParamValue], text: str) -> None:
    entry = CATALOGUE[kind]
    assert entry.describe_block(entry.validate_params(params)) == text


# --- designs compiled and run --------------------------------------------------------------


def _input(design: Design, name: str, shape: Shape) -> str:
    return design.add_block("input", name=name, params={"shape": list(shape)}).id


def _output(design: Design, source: str) -> str:
    output = design.add_block("output", name="out").id
    design.connect(source, output)
    return output


def _body(compiled: CompiledDesign) -> str:
    """The source after its header docstring: imports and the class."""
    return compiled.source.split('"""', 2)[2].strip() + "\n"


@contextmanager
def _fast_path(enabled: bool) -> Iterator[None]:
    before = torch.backends.mha.get_fastpath_enabled()
    torch.backends.mha.set_fastpath_enabled(enabled)
    try:
        yield
    finally:
        torch.backends.mha.set_fastpath_enabled(before)


def run_checked(design: Design, *inputs: torch.Tensor) -> tuple[CompiledDesign, torch.Tensor]:
    """Compile, build on the CPU and run: the output's shape and the parameter count must be
    the checker's, in training and in eval mode, with torch's fast path and without."""
    report = check_design(design)
    assert report.ok, report.problems
    compiled = compile_design(design)
    torch.manual_seed(0)
    model = build_model(compiled, "cpu")
    (output_id,) = [b for b in design.blocks if design.kind(b).has_output is False]
    assert sum(parameter.numel() for parameter in model.parameters()) == report.total_parameters
    for block_id, place in compiled.places.items():
        if place.module_path is not None:
            counted = sum(p.numel() for p in model.get_submodule(place.module_path).parameters())
            assert counted == report.results[block_id].parameters, place.module_path
    trained = model.train()(*inputs)
    assert tuple(trained.shape) == report.results[output_id].shape
    model.eval()
    with torch.no_grad():
        fast = model(*inputs)
        with _fast_path(enabled=False):
            slow = model(*inputs)
    assert tuple(fast.shape) == report.results[output_id].shape
    torch.testing.assert_close(fast, slow, atol=1e-5, rtol=1e-4)
    return compiled, fast


def test_self_attention_from_one_edge() -> None:
    design = Design("SelfAttention")
    x = _input(design, "x", (2, 10, 64))
    attention = design.add_block("multihead_attention", name="attn", params={"num_heads": 4}).id
    design.connect(x, attention, "query")
    _output(design, attention)
    compiled, _ = run_checked(design, torch.randn(2, 10, 64))
    assert _body(compiled) == (
        "import torch\n"
        "from torch import nn\n"
        "\n"
        "\n"
        "class SelfAttention(nn.Module):\n"
        "    def __init__(self) -> None:\n"
        "        super().__init__()\n"
        "        self.attn = nn.MultiheadAttention(64, 4, batch_first=True)\n"
        "\n"
        "    def forward(self, x: torch.Tensor) -> torch.Tensor:\n"
        "        return self.attn(x, x, x, need_weights=False)[0]\n"
    )


def test_cross_attention_from_three_edges() -> None:
    design = Design("CrossAttention")
    query, key, value = (
        _input(design, name, shape)
        for name, shape in (("q", (2, 5, 64)), ("k", (2, 7, 32)), ("v", (2, 7, 48)))
    )
    attention = design.add_block("multihead_attention", name="attn").id
    for source, port in ((query, "query"), (key, "key"), (value, "value")):
        design.connect(source, attention, port)
    _output(design, attention)
    inputs = torch.randn(2, 5, 64), torch.randn(2, 7, 32), torch.randn(2, 7, 48)
    compiled, _ = run_checked(design, *inputs)
    assert (
        check_design(design).results[attention].parameters == 64 * (64 + 32 + 48) + 64 * 64 + 4 * 64
    )
    assert (
        "        self.attn = nn.MultiheadAttention(64, 8, kdim=32, vdim=48, batch_first=True)\n"
        in (compiled.source)
    )
    assert "        return self.attn(q, k, v, need_weights=False)[0]\n" in compiled.source


def _causal_pre_norm_block() -> Design:
    """x -> causal attention -> + x -> causal pre-norm encoder layer -> + -> causal encoder."""
    design = Design("CausalBlock")
    x = _input(design, "x", (2, 10, 64))
    attention = design.add_block(
        "multihead_attention", name="attn", params={"num_heads": 4, "causal": True}
    ).id
    first = design.add_block("add", name="res1").id
    layer = design.add_block(
        "transformer_encoder_layer", name="layer",
        params={"nhead": 4, "dim_feedforward": 128, "norm_first": True, "causal": True},
    ).id  # fmt: skip
    second = design.add_block("add", name="res2").id
    encoder = design.add_block(
        "transformer_encoder", name="encoder",
        params={"nhead": 4, "dim_feedforward": 128, "num_layers": 2, "norm_first": True,
                "causal": True},
    ).id  # fmt: skip
    design.connect(x, attention, "query")
    design.connect(x, first, "in0")
    design.connect(attention, first, "in1")
    design.connect(first, layer)
    design.connect(first, second, "in0")
    design.connect(layer, second, "in1")
    design.connect(second, encoder)
    _output(design, encoder)
    return design


CAUSAL_BLOCK = """\
import torch
from torch import nn


class CausalBlock(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.attn = nn.MultiheadAttention(64, 4, batch_first=True)
        self.layer = nn.TransformerEncoderLayer(
            64, 4, dim_feedforward=128, batch_first=True, norm_first=True
        )
        self.encoder = nn.TransformerEncoder(
            nn.TransformerEncoderLayer(
                64, 4, dim_feedforward=128, batch_first=True, norm_first=True
            ),
            num_layers=2,
            enable_nested_tensor=False,
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.attn(
            x,
            x,
            x,
            attn_mask=nn.Transformer.generate_square_subsequent_mask(
                x.shape[1], device=x.device
            ),
            is_causal=True,
            need_weights=False,
        )[0]
        res1 = x + out
        out = self.layer(
            res1,
            src_mask=nn.Transformer.generate_square_subsequent_mask(
                res1.shape[1], device=res1.device
            ),
            is_causal=True,
        )
        out = res1 + out
        return self.encoder(
            out,
            mask=nn.Transformer.generate_square_subsequent_mask(
                out.shape[1], device=out.device
            ),
            is_causal=True,
        )
"""


def test_a_causal_pre_norm_block_with_residuals() -> None:
    design = _causal_pre_norm_block()
    x = torch.randn(2, 10, 64)
    compiled, _ = run_checked(design, x)
    assert _body(compiled) == CAUSAL_BLOCK
    later_changed = x.clone()
    later_changed[:, 6:] = torch.randn(2, 4, 64)
    model = build_model(compiled, "cpu")
    model.eval()
    with torch.no_grad():
        before, after = model(x), model(later_changed)
    torch.testing.assert_close(before[:, :6], after[:, :6])  # no position sees later ones
    assert not torch.allclose(before[:, 6:], after[:, 6:])


CAUSAL_DECODER = """\
import torch
from torch import nn


class Decoder(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.decoder = nn.TransformerDecoderLayer(
            32, 2, dim_feedforward=64, batch_first=True
        )

    def forward(self, tgt: torch.Tensor, memory: torch.Tensor) -> torch.Tensor:
        return self.decoder(
            tgt,
            memory,
            tgt_mask=nn.Transformer.generate_square_subsequent_mask(
                tgt.shape[1], device=tgt.device
            ),
            tgt_is_causal=True,
        )
"""


def test_a_causal_decoder_layer_over_memory() -> None:
    design = Design("Decoder")
    target, memory = _input(design, "tgt", (2, 6, 32)), _input(design, "memory", (2, 9, 32))
    decoder = design.add_block(
        "transformer_decoder_layer", name="decoder",
        params={"nhead": 2, "dim_feedforward": 64, "causal": True},
    ).id  # fmt: skip
    design.connect(target, decoder)
    design.connect(memory, decoder, "memory")
    _output(design, decoder)
    compiled, _ = run_checked(design, torch.randn(2, 6, 32), torch.randn(2, 9, 32))
    assert _body(compiled) == CAUSAL_DECODER


def test_sequence_first_layers_mask_along_dim_0() -> None:
    design = Design("SequenceFirst")
    x = _input(design, "x", (10, 2, 16))
    layer = design.add_block(
        "transformer_encoder", name="encoder",
        params={"nhead": 2, "dim_feedforward": 32, "num_layers": 1, "batch_first": False,
                "activation": "gelu", "dropout": 0.0, "causal": True},
    ).id  # fmt: skip
    design.connect(x, layer)
    _output(design, layer)
    compiled, _ = run_checked(design, torch.randn(10, 2, 16))
    assert (
        "        self.encoder = nn.TransformerEncoder(\n"
        "            nn.TransformerEncoderLayer(\n"
        '                16, 2, dim_feedforward=32, dropout=0.0, activation="gelu"\n'
        "            ),\n"
        "            num_layers=1,\n"
        "            enable_nested_tensor=False,\n"
        "        )\n"
    ) in compiled.source
    assert "x.shape[0], device=x.device" in compiled.source


def test_plain_encoder_layers_chain_in_a_sequential() -> None:
    design = Design("Stack")
    x = _input(design, "x", (2, 5, 32))
    first, second = (
        design.add_block("transformer_encoder_layer", name=name, params={"nhead": 4}).id
        for name in ("l1", "l2")
    )
    design.connect(x, first)
    design.connect(first, second)
    design.add_group("body", [first, second])
    _output(design, second)
    compiled, _ = run_checked(design, torch.randn(2, 5, 32))
    assert "nn.Sequential(" in compiled.source


def test_materialized_attention_weights_are_initialised() -> None:
    """As torch initialises them: xavier-uniform, so spread evenly within the bound, not left
    as to_empty's memory (often zeros, at times NaNs or huge values)."""
    design = _causal_pre_norm_block()
    model = materialize(build_model(compile_design(design)))
    weight = model.get_submodule("attn").in_proj_weight
    bound = (6 / sum(weight.shape)) ** 0.5
    assert torch.isfinite(weight).all() and weight.abs().max() <= bound
    assert weight.std().item() == pytest.approx(bound / 3**0.5, rel=0.1)


# --- refusals ------------------------------------------------------------------------------


def _attention_problems(shapes: Sequence[Shape], params: dict[str, ParamValue]) -> list[str]:
    design = Design("Refused")
    attention = design.add_block("multihead_attention", name="attn", params=params).id
    for name, shape, port in zip("qkv", shapes, ("query", "key", "value"), strict=False):
        design.connect(_input(design, name, shape), attention, port)
    _output(design, attention)
    return [problem.message for problem in check_design(design).problems]


@pytest.mark.parametrize(
    ("shapes", "params", "message"),
    [
        ([(2, 5, 100)], {"num_heads": 3},
         "embed_dim 100 is not divisible by num_heads 3 (input 2x5x100 from 'q')"),
        ([(2, 5, 64), (2, 7, 64), (2, 5, 64)], {"num_heads": 4},
         "key has 7 positions but value has 5 (input 2x5x64 from 'v')"),
        ([(2, 5, 64), (3, 7, 64)], {"num_heads": 4},
         "query has batch size 2 but key has 3 (input 3x7x64 from 'k')"),
        ([(5, 2, 64), (5, 3, 64)], {"num_heads": 4, "batch_first": False},
         "query has batch size 2 but key has 3 (input 5x3x64 from 'k')"),
        ([(2, 5, 64), (2, 7, 64)], {"num_heads": 4, "causal": True},
         "causal attention needs as many key positions as query positions, but query has 5 "
         "and key has 7 (input 2x7x64 from 'k')"),
    ],
)  # fmt: skip
def test_attention_refusals_name_the_numbers(
    shapes: list[Shape], params: dict[str, ParamValue], message: str
) -> None:
    assert _attention_problems(shapes, params) == [f"MultiheadAttention 'attn': {message}"]


def test_attention_refuses_other_ranks_and_pinned_widths() -> None:
    assert _attention_problems([(2, 64)], {"num_heads": 4}) == [
        "MultiheadAttention 'attn' expects a 3-d (N x L x E) input, but 'q' gives 2x64 (2-d)"
    ]
    assert _attention_problems([(2, 5, 64)], {"num_heads": 4, "embed_dim": 32}) == [
        "MultiheadAttention 'attn' expects 32 query features, but 'q' gives 2x5x64 "
        "(64 query features)"
    ]


def _decoder_problems(target: Shape, memory: Shape | None, nhead: int) -> list[str]:
    design = Design("Refused")
    decoder = design.add_block("transformer_decoder_layer", name="dec", params={"nhead": nhead}).id
    design.connect(_input(design, "tgt", target), decoder)
    if memory is not None:
        design.connect(_input(design, "memory", memory), decoder, "memory")
    _output(design, decoder)
    return [problem.message for problem in check_design(design).problems]


@pytest.mark.parametrize(
    ("target", "memory", "nhead", "message"),
    [
        ((2, 5, 64), (2, 9, 32), 4,
         ": memory has 32 features but the target has 64: cross-attention needs them equal "
         "(input 2x9x32 from 'memory')"),
        ((2, 5, 64), (3, 9, 64), 4,
         ": the target has batch size 2 but memory has 3 (input 3x9x64 from 'memory')"),
        ((2, 5, 100), (2, 9, 100), 3,
         ": d_model 100 is not divisible by nhead 3 (input 2x5x100 from 'tgt')"),
        ((2, 5, 64), None, 4, " has nothing at input 'memory'"),
    ],
)  # fmt: skip
def test_decoder_refusals_name_the_numbers(
    target: Shape, memory: Shape | None, nhead: int, message: str
) -> None:
    assert _decoder_problems(target, memory, nhead) == [f"TransformerDecoderLayer 'dec'{message}"]


def test_encoder_refuses_a_width_its_heads_do_not_split() -> None:
    design = Design("Refused")
    encoder = design.add_block("transformer_encoder", name="enc", params={"nhead": 6}).id
    design.connect(_input(design, "x", (2, 5, 64)), encoder)
    _output(design, encoder)
    assert [problem.message for problem in check_design(design).problems] == [
        "TransformerEncoder 'enc': d_model 64 is not divisible by nhead 6 (input 2x5x64 from 'x')"
    ]
