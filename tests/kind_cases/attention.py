"""Cases for multi-head attention and the Transformer layers.

Generic draws rarely make these valid: the width must split into the heads, and keys, values
and memory must agree with the query in batch size (and keys with values in length). Each
strategy here meets those about half the time and misses them the rest, so both the shapes
and the refusals are checked, with either layout (``batch_first`` or not).

A causal MultiheadAttention always gets keys as long as its queries: the catalogue refuses
other lengths (the square mask it writes can't mask them), but torch, told ``is_causal`` and
asked for no weights, drops the mask unread and takes them. ``test_attention_kinds`` checks
that refusal.
"""

from __future__ import annotations

from collections.abc import Mapping

from hypothesis import strategies as st

from designer.graph.catalogue import CATALOGUE
from tests.kind_cases import Case, Shape

batches = st.integers(1, 2)
lengths = st.integers(1, 5)
heads = st.integers(1, 4)


def _width(head_count: int) -> st.SearchStrategy[int]:
    """Widths that split into ``head_count`` heads about half the time."""
    return st.integers(1, 3).map(lambda per_head: per_head * head_count) | st.integers(1, 8)


def _sequence(batch: int, length: int, width: int, batch_first: bool) -> Shape:
    return (batch, length, width) if batch_first else (length, batch, width)


def _case(kind: str, params: Mapping[str, object], *shapes: Shape) -> Case:
    return CATALOGUE[kind].validate_params(params), shapes


@st.composite
def _often(draw: st.DrawFn, usual: int, other: st.SearchStrategy[int]) -> int:
    """``usual`` about three times in four, else a draw from ``other`` (which may equal it)."""
    return usual if draw(st.integers(0, 3)) else draw(other)


@st.composite
def _attention_cases(draw: st.DrawFn) -> Case:
    head_count, batch_first, causal = draw(heads), draw(st.booleans()), draw(st.booleans())
    params = {
        "num_heads": head_count,
        "dropout": draw(st.sampled_from([0.0, 0.5])),
        "bias": draw(st.booleans()),
        "batch_first": batch_first,
        "causal": causal,
    }
    embed, batch, length = draw(_width(head_count)), draw(batches), draw(lengths)
    key_length = length if causal else draw(_often(length, lengths))
    key_width = draw(_often(embed, st.integers(1, 6)))
    value_width = draw(_often(key_width, st.integers(1, 6)))
    query = _sequence(batch, length, embed, batch_first)
    key = _sequence(draw(_often(batch, batches)), key_length, key_width, batch_first)
    value_length = draw(_often(key_length, lengths))
    value = _sequence(draw(_often(batch, batches)), value_length, value_width, batch_first)
    return _case("multihead_attention", params, query, key, value)


def _layer_params(draw: st.DrawFn) -> dict[str, object]:
    return {
        "nhead": draw(heads),
        "dim_feedforward": draw(st.integers(1, 8)),
        "dropout": draw(st.sampled_from([0.0, 0.1])),
        "activation": draw(st.sampled_from(["relu", "gelu"])),
        "layer_norm_eps": draw(st.sampled_from([1e-5, 1e-3])),
        "batch_first": draw(st.booleans()),
        "norm_first": draw(st.booleans()),
        "bias": draw(st.booleans()),
        "causal": draw(st.booleans()),
    }


@st.composite
def _encoder_cases(draw: st.DrawFn, kind: str) -> Case:
    params = _layer_params(draw)
    if kind == "transformer_encoder":
        params["num_layers"] = draw(st.integers(1, 3))
    nhead, batch_first = params["nhead"], params["batch_first"]
    assert isinstance(nhead, int) and isinstance(batch_first, bool)
    shape = _sequence(draw(batches), draw(lengths), draw(_width(nhead)), batch_first)
    return _case(kind, params, shape)


@st.composite
def _decoder_cases(draw: st.DrawFn) -> Case:
    params = _layer_params(draw)
    nhead, batch_first = params["nhead"], params["batch_first"]
    assert isinstance(nhead, int) and isinstance(batch_first, bool)
    width, batch = draw(_width(nhead)), draw(batches)
    target = _sequence(batch, draw(lengths), width, batch_first)
    memory_batch = draw(_often(batch, batches))
    memory_width = draw(_often(width, st.integers(1, 8)))
    memory = _sequence(memory_batch, draw(lengths), memory_width, batch_first)
    return _case("transformer_decoder_layer", params, target, memory)


CASES = {
    "multihead_attention": _attention_cases(),
    "transformer_encoder_layer": _encoder_cases("transformer_encoder_layer"),
    "transformer_decoder_layer": _decoder_cases(),
    "transformer_encoder": _encoder_cases("transformer_encoder"),
}
