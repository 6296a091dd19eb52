"""Sequence layers: Embedding and the recurrent LSTM, GRU and RNN.

A recurrent layer has several outputs: its output sequence (the main one) and its final hidden
state ``h_n`` (and an LSTM's cell state ``c_n``); ``forward`` unpacks them as a person writes
it, ``x, (h_n, c_n) = self.lstm(x)``, with ``_`` for the ones nothing reads.
"""

from __future__ import annotations

from collections.abc import Sequence

from designer.graph.block_code import BlockCode, CodeContext, CodeRule, Params, call
from designer.graph.kind import (
    BlockKind,
    OutputPort,
    OutputsRule,
    ParameterRule,
    Pin,
    Ranks,
    SummaryRule,
)
from designer.graph.kinds.categories import SEQUENCE
from designer.graph.kinds.common import BIAS
from designer.graph.params import (
    MAX_DIM,
    ParamSpec,
    bool_param,
    choice_param,
    float_param,
    in_size_param,
    int_param,
    optional_int_param,
)
from designer.graph.shape_rules import Shape


def _int(params: Params, name: str) -> int:
    value = params[name]
    assert isinstance(value, int)
    return value


# --- Embedding -----------------------------------------------------------------------------


def _embedding_shape(params: Params, inputs: Sequence[Shape]) -> Shape:
    return (*inputs[0], _int(params, "embedding_dim"))


def _embedding_parameters(params: Params, inputs: Sequence[Shape], output: Shape) -> int:
    return _int(params, "num_embeddings") * _int(params, "embedding_dim")


def _embedding_problems(params: Params) -> list[str]:
    padding = params["padding_idx"]
    count = _int(params, "num_embeddings")
    if isinstance(padding, int) and padding >= count:
        return [f"padding_idx {padding} is not one of the {count} embeddings (0 to {count - 1})"]
    return []


def _embedding_code(context: CodeContext) -> BlockCode:
    p = context.params
    arguments = [str(p["num_embeddings"]), str(p["embedding_dim"])]
    return BlockCode(
        constructor=call("nn.Embedding", [*arguments, *context.changed("padding_idx")])
    )


# --- recurrent layers ----------------------------------------------------------------------

_GATES = {"lstm": 4, "gru": 3, "rnn": 1}
_RECURRENT_RANKS = Ranks(2, 3, "3-d (N x L x features, or L x N x features) or 2-d (unbatched)")


def _directions(params: Params) -> int:
    return 2 if params["bidirectional"] else 1


def _recurrent_shape(params: Params, inputs: Sequence[Shape]) -> Shape:
    (shape,) = inputs
    out = _directions(params) * _int(params, "hidden_size")
    return (*shape[:-1], out)


def _hidden_shape(params: Params, inputs: Sequence[Shape]) -> Shape:
    """``h_n`` (and ``c_n``): layers x directions, then the batch (if any), then hidden."""
    (shape,) = inputs
    layers = _directions(params) * _int(params, "num_layers")
    hidden = _int(params, "hidden_size")
    if len(shape) == 2:
        return (layers, hidden)
    batch = shape[0] if params["batch_first"] else shape[1]
    return (layers, batch, hidden)


def _recurrent_outputs(kind: str) -> OutputsRule:
    def rule(params: Params, inputs: Sequence[Shape], output: Shape) -> tuple[Shape, ...]:
        hidden = _hidden_shape(params, inputs)
        return (hidden, hidden) if kind == "lstm" else (hidden,)

    return rule


def _recurrent_parameters(kind: str) -> ParameterRule:
    gates = _GATES[kind]

    def rule(params: Params, inputs: Sequence[Shape], output: Shape) -> int:
        hidden, directions = _int(params, "hidden_size"), _directions(params)
        size = inputs[0][-1]
        total = 0
        for _ in range(_int(params, "num_layers")):
            weights = gates * hidden * (size + hidden)
            biases = 2 * gates * hidden if params["bias"] else 0
            total += directions * (weights + biases)
            size = directions * hidden
        return total

    return rule


def _recurrent_problems(params: Params) -> list[str]:
    dropout = params["dropout"]
    if isinstance(dropout, float) and dropout > 0 and params["num_layers"] == 1:
        return [
            f"dropout {dropout:g} applies between stacked layers, and there is one layer: "
            "set num_layers above 1 or dropout to 0"
        ]
    return []


def _recurrent_code(module: str, unpack_state: bool) -> CodeRule:
    def code(context: CodeContext) -> BlockCode:
        p = context.params
        arguments = [str(context.shape[-1]), str(p["hidden_size"])]
        names = ["num_layers", "bias", "batch_first", "dropout", "bidirectional"]
        if "nonlinearity" in p:
            names.append("nonlinearity")
        constructor = call(module, [*arguments, *context.changed(*names)])
        return BlockCode(constructor=constructor, unpack=_lstm_target if unpack_state else None)

    return code


def _lstm_target(names: Sequence[str]) -> str:
    """``out, (h_n, c_n)``, or ``out, _`` when nothing reads the state."""
    out, h_n, c_n = names
    if h_n == c_n == "_":
        return f"{out}, _"
    return f"{out}, ({h_n}, {c_n})"


def _recurrent_params(extra: tuple[ParamSpec, ...] = ()) -> tuple[ParamSpec, ...]:
    return (
        int_param("hidden_size", 128, "features in the hidden state"),
        int_param("num_layers", 1, "recurrent layers stacked on each other", 1, 64),
        *extra,
        BIAS,
        bool_param(
            "batch_first", True, "input and output are N x L x features (else L x N x features)"
        ),
        float_param(
            "dropout", 0.0, "dropout between stacked layers (not after the last)", 0.0, 1.0
        ),
        bool_param("bidirectional", False, "also run the sequence backwards; doubles the output"),
        in_size_param("input_size", "input features; inferred unless pinned"),
    )


_RECURRENT_DEFAULTS = {
    "num_layers": 1,
    "bias": True,
    "batch_first": False,
    "dropout": 0.0,
    "bidirectional": False,
}
_SEQUENCE_OUTPUT = OutputPort("out", "the output at every step")
_H_N = OutputPort("h_n", "the final hidden state of every layer and direction")
_C_N = OutputPort("c_n", "the final cell state of every layer and direction")
_FEATURES_PIN = Pin("input_size", -1, "input features")


def _recurrent_text(label: str) -> SummaryRule:
    def text(p: Params) -> str:
        layers = f" x{p['num_layers']}" if p["num_layers"] != 1 else ""
        both = ", bi" if p["bidirectional"] else ""
        return f"{label} {p['hidden_size']}{layers}{both}"

    return text


KINDS = (
    BlockKind(
        "embedding", "Embedding", SEQUENCE.name,
        "a learned vector for each integer index (token embeddings)",
        (
            int_param("num_embeddings", 1000, "how many indices (the vocabulary size)"),
            int_param("embedding_dim", 128, "features of each vector"),
            optional_int_param("padding_idx", "an index whose vector stays zero; null = none",
                               0, MAX_DIM),
        ),
        _embedding_shape, _embedding_parameters, _embedding_code,
        lambda p: f"Embedding {p['num_embeddings']} x {p['embedding_dim']}",
        problem_rule=_embedding_problems, takes_indices=True, torch_class="Embedding",
        torch_defaults={"padding_idx": None},
    ),
    BlockKind(
        "lstm", "LSTM", SEQUENCE.name, "long short-term memory over a sequence",
        _recurrent_params(), _recurrent_shape, _recurrent_parameters("lstm"),
        _recurrent_code("nn.LSTM", unpack_state=True), _recurrent_text("LSTM"),
        ranks=_RECURRENT_RANKS, pin=_FEATURES_PIN, problem_rule=_recurrent_problems,
        named_outputs=(_SEQUENCE_OUTPUT, _H_N, _C_N), outputs_rule=_recurrent_outputs("lstm"),
        torch_class="LSTM", torch_defaults=_RECURRENT_DEFAULTS,
    ),
    BlockKind(
        "gru", "GRU", SEQUENCE.name, "gated recurrent unit over a sequence",
        _recurrent_params(), _recurrent_shape, _recurrent_parameters("gru"),
        _recurrent_code("nn.GRU", unpack_state=False), _recurrent_text("GRU"),
        ranks=_RECURRENT_RANKS, pin=_FEATURES_PIN, problem_rule=_recurrent_problems,
        named_outputs=(_SEQUENCE_OUTPUT, _H_N), outputs_rule=_recurrent_outputs("gru"),
        torch_class="GRU", torch_defaults=_RECURRENT_DEFAULTS,
    ),
    BlockKind(
        "rnn", "RNN", SEQUENCE.name, "Elman recurrent layer over a sequence",
        _recurrent_params(
            (choice_param("nonlinearity", "tanh", ("tanh", "relu"), "the recurrent activation"),)
        ),
        _recurrent_shape, _recurrent_parameters("rnn"),
        _recurrent_code("nn.RNN", unpack_state=False), _recurrent_text("RNN"),
        ranks=_RECURRENT_RANKS, pin=_FEATURES_PIN, problem_rule=_recurrent_problems,
        named_outputs=(_SEQUENCE_OUTPUT, _H_N), outputs_rule=_recurrent_outputs("rnn"),
        torch_class="RNN", torch_defaults={**_RECURRENT_DEFAULTS, "nonlinearity": "tanh"},
    ),
)  # fmt: skip
