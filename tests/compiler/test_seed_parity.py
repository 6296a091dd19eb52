"""Each seed example compiles to the model the seed's own code builds (its bugs fixed)."""

from __future__ import annotations

import pytest
import torch

from designer.compiler import build_model, compile_design
from designer.graph import load_design
from tests.paths import EXAMPLES
from tests.seed_models import SEED_MODELS, EncoderSizes


@pytest.mark.parametrize("name", sorted(SEED_MODELS))
def test_print_and_state_dict_match_the_seed(name: str) -> None:
    factory, _ = SEED_MODELS[name]
    with torch.device("meta"):
        expected = factory()
    model = build_model(compile_design(load_design(EXAMPLES / f"{name}.json")))
    assert str(model) == str(expected)
    assert [(key, tuple(value.shape)) for key, value in model.state_dict().items()] == [
        (key, tuple(value.shape)) for key, value in expected.state_dict().items()
    ]


def test_seed_final_reads_like_the_seed() -> None:
    source = compile_design(load_design(EXAMPLES / "seed_final.json")).source
    assert "def conv_block(" in source and "def dec_block(" in source
    assert "for in_f, out_f in zip(conv_blocks_sizes, conv_blocks_sizes[1:])" in source
    assert "nn.ModuleDict(" in source and "activations()[activation]" in source
    assert "class MyEncoder(nn.Module):" in source and "class MyDecoder(nn.Module):" in source
    assert "x = x.flatten(1)" in source


def test_modulelist_keeps_each_output() -> None:
    compiled = compile_design(load_design(EXAMPLES / "seed_modulelist.json"))
    assert "self.layers = nn.ModuleList(" in compiled.source
    model = build_model(compiled, "cpu")
    model(torch.rand(4, 1))
    output = model(torch.rand(4, 1))
    # a fresh trace per call, not one that grows forever as in the seed
    assert [tuple(value.shape) for value in model.trace] == [(4, 16), (4, 32)]
    assert output is model.trace[-1]


def test_the_sizes_list_encoder_prints_as_the_written_out_one() -> None:
    """The seed prints one tree twice: the encoder written as two ``conv_block`` calls, and
    built from ``enc_sizes = [in_c, 32, 64]``; one example stands for both."""
    with torch.device("meta"):
        from_sizes = EncoderSizes.MyCustomCNN(1, [32, 64], 10)
    model = build_model(compile_design(load_design(EXAMPLES / "seed_encoder.json")))
    assert str(model) == str(from_sizes)
