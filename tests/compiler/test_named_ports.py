"""Named ports: several outputs (an LSTM's output, h_n and c_n) and defaulted inputs, through
the design, the file format, the shape check and the generated ``forward``."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from designer.compiler import build_model, compile_design
from designer.compiler.inputs import example_inputs
from designer.graph import (
    Design,
    PortError,
    check_design,
    design_from_dict,
    design_to_dict,
    dumps_design,
    load_design,
    loads_design,
)
from tests.paths import EXAMPLES

DATA = Path(__file__).resolve().parent.parent / "data"


def text_classifier(*, read_state: bool, kind: str = "lstm") -> Design:
    """Tokens -> Embedding -> a recurrent layer -> Linear, on its output or its h_n."""
    design = Design()
    tokens = design.add_block("input", name="tokens", params={"shape": [2, 7], "dtype": "int64"})
    embed = design.add_block(
        "embedding", name="embed", params={"num_embeddings": 50, "embedding_dim": 16}
    )
    rnn = design.add_block(kind, name=kind, params={"hidden_size": 12, "num_layers": 2})
    head = design.add_block("linear", name="head", params={"out_features": 3})
    out = design.add_block("output", name="out")
    design.connect(tokens.id, embed.id)
    design.connect(embed.id, rnn.id)
    design.connect(rnn.id, head.id, source_port="h_n" if read_state else "out")
    design.connect(head.id, out.id)
    return design


def forward_lines(source: str) -> list[str]:
    body = source.split("def forward", 1)[1]
    return [line.strip() for line in body.splitlines()[1:] if line.strip()]


def test_the_main_output_streams_and_the_state_is_dropped() -> None:
    compiled = compile_design(text_classifier(read_state=False))
    assert forward_lines(compiled.source) == [
        "x = self.embed(tokens)",
        "x, _ = self.lstm(x)",
        "return self.head(x)",
    ]


def test_a_state_output_is_unpacked_by_name() -> None:
    compiled = compile_design(text_classifier(read_state=True))
    assert forward_lines(compiled.source) == [
        "x = self.embed(tokens)",
        "_, (lstm_h_n, _) = self.lstm(x)",
        "return self.head(lstm_h_n)",
    ]


@pytest.mark.parametrize("kind", ["gru", "rnn"])
def test_one_state_kinds_unpack_as_a_pair(kind: str) -> None:
    compiled = compile_design(text_classifier(read_state=True, kind=kind))
    assert f"_, {kind}_h_n = self.{kind}(x)" in forward_lines(compiled.source)


@pytest.mark.parametrize("read_state", [False, True])
def test_the_model_gives_the_checked_shapes_and_parameters(read_state: bool) -> None:
    design = text_classifier(read_state=read_state)
    report = check_design(design)
    assert report.ok, report.problems
    head = next(b.id for b in design.blocks.values() if b.name == "head")
    expected = (2, 2, 3) if read_state else (2, 7, 3)  # h_n: layers x batch x hidden
    assert report.results[head].shape == expected
    model = build_model(compile_design(design))
    (tokens,) = example_inputs(design)
    assert tokens.dtype == torch.int64 and int(tokens.max()) < 50
    assert tuple(model(tokens).shape) == expected
    assert sum(p.numel() for p in model.parameters()) == report.total_parameters


def test_every_output_port_has_its_shape() -> None:
    design = text_classifier(read_state=False)
    rnn = next(b.id for b in design.blocks.values() if b.name == "lstm")
    result = check_design(design).results[rnn]
    assert result.output("out") == (2, 7, 12)
    assert result.output("h_n") == result.output("c_n") == (2, 2, 12)
    assert result.output("nope") is None


def test_a_port_a_kind_does_not_have_is_refused_naming_it() -> None:
    design = text_classifier(read_state=False)
    ids = {b.name: b.id for b in design.blocks.values()}
    with pytest.raises(
        PortError, match=r"Linear 'head' has no output port 'h_n' \(its outputs: out\)"
    ):
        design.connect(ids["head"], ids["out"], source_port="h_n")
    document = design_to_dict(text_classifier(read_state=True))
    for edge in document["edges"]:
        if edge["source_port"] == "h_n":
            edge["source_port"] = "cell"
    with pytest.raises(
        Exception, match=r"LSTM 'lstm' has no output port 'cell' \(its outputs: out, h_n, c_n\)"
    ):
        design_from_dict(document)


def test_named_ports_survive_a_save_and_load() -> None:
    design = text_classifier(read_state=True)
    again = loads_design(dumps_design(design))
    assert design_to_dict(again) == design_to_dict(design)
    assert any(edge.source_port == "h_n" for edge in again.edges())


def test_version_1_files_open_unchanged() -> None:
    old = load_design(DATA / "seed_final_version1.json")
    current = load_design(EXAMPLES / "seed_final.json")
    assert design_to_dict(old) == design_to_dict(current)
    assert compile_design(old).source == compile_design(current).source


def test_embedding_fed_floats_and_linear_fed_indices_are_refused() -> None:
    design = text_classifier(read_state=False)
    tokens = next(b.id for b in design.blocks.values() if b.name == "tokens")
    design.set_param(tokens, "dtype", "float32")
    assert [p.message for p in check_design(design).problems] == [
        "Embedding 'embed' looks up integer indices, but 'tokens' gives floating-point values; "
        "give the input dtype int64"
    ]
    design = Design()
    tokens = design.add_block("input", name="tokens", params={"shape": [2, 7], "dtype": "int64"})
    head = design.add_block("linear", name="head")
    out = design.add_block("output", name="out")
    design.connect(tokens.id, head.id)
    design.connect(head.id, out.id)
    assert [p.message for p in check_design(design).problems] == [
        "Linear 'head' works on floating-point values, but 'tokens' gives integer indices; an "
        "Embedding turns indices into vectors"
    ]


def test_an_lstm_fed_a_4d_tensor_is_refused() -> None:
    design = Design()
    image = design.add_block("input", name="image", params={"shape": [1, 3, 8, 8]})
    lstm = design.add_block("lstm", name="lstm")
    out = design.add_block("output", name="out")
    design.connect(image.id, lstm.id)
    design.connect(lstm.id, out.id)
    (problem,) = check_design(design).problems
    assert problem.message == (
        "LSTM 'lstm' expects a 3-d (N x L x features, or L x N x features) or 2-d (unbatched) "
        "input, but 'image' gives 1x3x8x8 (4-d)"
    )


def test_a_group_can_give_a_state_output() -> None:
    design = text_classifier(read_state=True)
    ids = {b.name: b.id for b in design.blocks.values()}
    design.add_group("encoder", [ids["embed"], ids["lstm"]], class_name="Encoder")
    compiled = compile_design(design)
    model = build_model(compiled)
    (tokens,) = example_inputs(design)
    assert tuple(model(tokens).shape) == (2, 2, 3)
    assert "_, (lstm_h_n, _) = self.lstm(x)" in compiled.source


def test_indices_keep_through_shape_operations_but_not_reductions() -> None:
    design = Design()
    tokens = design.add_block("input", name="tokens", params={"shape": [2, 3, 4], "dtype": "int64"})
    flat = design.add_block("reshape", name="flat", params={"shape": [12]})
    embed = design.add_block("embedding", name="embed", params={"num_embeddings": 9})
    out = design.add_block("output", name="out")
    design.connect(tokens.id, flat.id)
    design.connect(flat.id, embed.id)
    design.connect(embed.id, out.id)
    assert check_design(design).ok
    design.remove_block(flat.id)
    mean = design.add_block("mean", name="avg", params={"dims": [2]})
    design.connect(tokens.id, mean.id)
    design.connect(mean.id, embed.id)
    assert [p.message for p in check_design(design).problems] == [
        "Mean 'avg' works on floating-point values, but 'tokens' gives integer indices; an "
        "Embedding turns indices into vectors"
    ]
