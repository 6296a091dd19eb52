"""Attention: MultiheadAttention and the Transformer encoder and decoder layers.

Inputs are sequences of 3 dims: N x L x E with ``batch_first`` (the default here), L x N x E
without it, as torch reads them. A causal block masks each position from those after it with
the square mask torch makes (``nn.Transformer.generate_square_subsequent_mask``) and tells
torch so (``is_causal=True``), which lets it pick a faster kernel.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from designer.graph.block_code import BlockCode, CodeContext, Params, call
from designer.graph.kind import BlockKind, InputPort, Pin, Ranks, always
from designer.graph.kinds.categories import ATTENTION
from designer.graph.model import INPUT_PORT
from designer.graph.params import (
    ParamValue,
    bool_param,
    choice_param,
    float_param,
    in_size_param,
    int_param,
)
from designer.graph.shape_rules import Shape, ShapeRuleError

SEQUENCES = Ranks(3, 3, "3-d (N x L x E)")
Call = Callable[[str, Sequence[str]], str]

# --- parameters ----------------------------------------------------------------------------

_BATCH_FIRST = bool_param("batch_first", True, "inputs are N x L x E (untick: L x N x E)")
_CAUSAL = bool_param("causal", False, "each position attends only to itself and those before")
_BIAS = bool_param("bias", True, "learn additive biases (projections, feed-forward, norms)")

_ATTENTION_PARAMS = (
    int_param("num_heads", 8, "attention heads; each sees embed_dim / num_heads features"),
    float_param(
        "dropout", 0.0, "probability of zeroing an attention weight while training", 0.0, 1.0
    ),
    bool_param("bias", True, "learn biases in the input and output projections"),
    _BATCH_FIRST,
    _CAUSAL,
    in_size_param("embed_dim", "the query's features (its last dim); inferred unless pinned"),
)
_LAYER_PARAMS = (
    int_param("nhead", 8, "attention heads; each sees d_model / nhead features"),
    int_param("dim_feedforward", 2048, "hidden width of the feed-forward network"),
    float_param("dropout", 0.1, "probability of zeroing an element while training", 0.0, 1.0),
    choice_param("activation", "relu", ("relu", "gelu"), "feed-forward activation"),
    float_param("layer_norm_eps", 1e-5, "added to the variance in layer norms", 1e-12, 1.0),
    _BATCH_FIRST,
    bool_param("norm_first", False, "normalise before attention and feed-forward (pre-norm)"),
    _BIAS,
    _CAUSAL,
    in_size_param("d_model", "features (the input's last dim); inferred unless pinned"),
)
_ENCODER_PARAMS = (
    int_param("num_layers", 6, "encoder layers stacked, each with weights of its own", 1, 1024),
    *_LAYER_PARAMS,
)

_ATTENTION_DEFAULTS: dict[str, ParamValue] = {"dropout": 0.0, "bias": True, "batch_first": False}
_LAYER_KEYWORDS: dict[str, ParamValue] = {
    "dim_feedforward": 2048, "dropout": 0.1, "activation": "relu", "layer_norm_eps": 1e-5,
    "batch_first": False, "norm_first": False, "bias": True,
}  # fmt: skip
"""The layers' keyword arguments, in torch's order, each left out at its default."""
_LAYER_DEFAULTS = {name: value for name, value in _LAYER_KEYWORDS.items() if name != "activation"}
"""TransformerEncoderLayer's and TransformerDecoderLayer's defaults, but for the activation:
torch's is the function ``F.relu``, which the string ``"relu"`` the code writes stands for."""


def _int(params: Params, name: str) -> int:
    value = params[name]
    assert isinstance(value, int)
    return value


# --- shapes --------------------------------------------------------------------------------


def _batch_and_length(params: Params) -> tuple[int, int]:
    """Which dims of an input hold the batch and the positions."""
    return (0, 1) if params["batch_first"] else (1, 0)


def _check_heads(width: int, heads: int, width_name: str, heads_name: str) -> None:
    if width % heads:
        raise ShapeRuleError(
            f"{width_name} {width} is not divisible by {heads_name} {heads}",
            expected=f"{width_name} a multiple of {heads}",
            received=f"{width_name} {width}",
        )


def _check_batch(
    params: Params, first: tuple[str, Shape], other: tuple[str, Shape], port_index: int
) -> None:
    batch = _batch_and_length(params)[0]
    (first_name, first_shape), (other_name, other_shape) = first, other
    if other_shape[batch] != first_shape[batch]:
        raise ShapeRuleError(
            f"{first_name} has batch size {first_shape[batch]} "
            f"but {other_name} has {other_shape[batch]}",
            expected=f"batch size {first_shape[batch]}",
            received=f"batch size {other_shape[batch]}",
            port_index=port_index,
        )


def attention_shape(params: Params, inputs: Sequence[Shape]) -> Shape:
    query, key, value = inputs
    _check_heads(query[-1], _int(params, "num_heads"), "embed_dim", "num_heads")
    _check_batch(params, ("query", query), ("key", key), 1)
    _check_batch(params, ("query", query), ("value", value), 2)
    length = _batch_and_length(params)[1]
    if key[length] != value[length]:
        raise ShapeRuleError(
            f"key has {key[length]} positions but value has {value[length]}",
            expected=f"{key[length]} positions",
            received=f"{value[length]} positions",
            port_index=2,
        )
    if params["causal"] and key[length] != query[length]:
        raise ShapeRuleError(
            f"causal attention needs as many key positions as query positions, but query "
            f"has {query[length]} and key has {key[length]}",
            expected=f"{query[length]} positions",
            received=f"{key[length]} positions",
            port_index=1,
        )
    return query


def encoder_layer_shape(params: Params, inputs: Sequence[Shape]) -> Shape:
    (shape,) = inputs
    _check_heads(shape[-1], _int(params, "nhead"), "d_model", "nhead")
    return shape


def decoder_layer_shape(params: Params, inputs: Sequence[Shape]) -> Shape:
    target, memory = inputs
    _check_heads(target[-1], _int(params, "nhead"), "d_model", "nhead")
    if memory[-1] != target[-1]:
        raise ShapeRuleError(
            f"memory has {memory[-1]} features but the target has {target[-1]}: "
            "cross-attention needs them equal",
            expected=f"{target[-1]} features",
            received=f"{memory[-1]} features",
            port_index=1,
        )
    _check_batch(params, ("the target", target), ("memory", memory), 1)
    return target


# --- parameter counts ----------------------------------------------------------------------


def _attention_count(embed: int, kdim: int, vdim: int, bias: bool) -> int:
    """nn.MultiheadAttention's: one packed in-projection when keys and values are as wide as
    queries, else one per input; then the out-projection."""
    projections = 3 * embed * embed if kdim == vdim == embed else embed * (embed + kdim + vdim)
    return projections + embed * embed + (4 * embed if bias else 0)


def _layer_count(params: Params, width: int, attentions: int, norms: int) -> int:
    bias = bool(params["bias"])
    hidden = _int(params, "dim_feedforward")
    feed_forward = 2 * width * hidden + (hidden + width if bias else 0)
    norm = 2 * width if bias else width
    return attentions * _attention_count(width, width, width, bias) + feed_forward + norms * norm


def attention_parameters(params: Params, inputs: Sequence[Shape], output: Shape) -> int:
    query, key, value = inputs
    return _attention_count(query[-1], key[-1], value[-1], bool(params["bias"]))


def encoder_layer_parameters(params: Params, inputs: Sequence[Shape], output: Shape) -> int:
    return _layer_count(params, inputs[0][-1], attentions=1, norms=2)


def decoder_layer_parameters(params: Params, inputs: Sequence[Shape], output: Shape) -> int:
    return _layer_count(params, inputs[0][-1], attentions=2, norms=3)


def encoder_parameters(params: Params, inputs: Sequence[Shape], output: Shape) -> int:
    return _int(params, "num_layers") * encoder_layer_parameters(params, inputs, output)


# --- code ----------------------------------------------------------------------------------


def _causal_mask(sequence: str, params: Params) -> str:
    length = _batch_and_length(params)[1]
    return (
        f"nn.Transformer.generate_square_subsequent_mask({sequence}.shape[{length}], "
        f"device={sequence}.device)"
    )


def _attention_call(params: Params) -> Call:
    def written(module: str, names: Sequence[str]) -> str:
        arguments = list(names)
        if params["causal"]:
            arguments += [f"attn_mask={_causal_mask(names[0], params)}", "is_causal=True"]
        return f"{call(module, [*arguments, 'need_weights=False'])}[0]"

    return written


def _attention_code(context: CodeContext) -> BlockCode:
    query, key, value = context.inputs
    embed = query[-1]
    widths = {"kdim": key[-1], "vdim": value[-1]}  # written only where they differ from embed
    arguments = [
        str(embed),
        str(context.params["num_heads"]),
        *context.changed("dropout", "bias"),
        *(f"{name}={width}" for name, width in widths.items() if width != embed),
        *context.changed("batch_first"),
    ]
    return BlockCode(
        constructor=call("nn.MultiheadAttention", arguments), call=_attention_call(context.params)
    )


def _layer_constructor(module: str, context: CodeContext) -> str:
    p = context.params
    arguments = [str(context.shape[-1]), str(p["nhead"]), *context.keywords(_LAYER_KEYWORDS)]
    return call(module, arguments)


def _causal_call(mask_keyword: str, causal_keyword: str, params: Params) -> Call | None:
    """``self.layer(x, ..., mask=<the square mask of x>, is_causal=True)``; None when the
    block isn't causal and is called plainly."""
    if not params["causal"]:
        return None

    def written(module: str, names: Sequence[str]) -> str:
        mask = f"{mask_keyword}={_causal_mask(names[0], params)}"
        return call(module, [*names, mask, f"{causal_keyword}=True"])

    return written


def _encoder_layer_code(context: CodeContext) -> BlockCode:
    return BlockCode(
        constructor=_layer_constructor("nn.TransformerEncoderLayer", context),
        call=_causal_call("src_mask", "is_causal", context.params),
    )


def _decoder_layer_code(context: CodeContext) -> BlockCode:
    return BlockCode(
        constructor=_layer_constructor("nn.TransformerDecoderLayer", context),
        call=_causal_call("tgt_mask", "tgt_is_causal", context.params),
    )


def _nested_tensor_unused(params: Params) -> bool:
    """Whether nn.TransformerEncoder would warn that it can't use nested tensors (its layers
    leave its fast path): the code then turns them off, as its warning asks."""
    return (
        bool(params["norm_first"])
        or not params["batch_first"]
        or not params["bias"]
        or _int(params, "nhead") % 2 == 1
    )


def _encoder_code(context: CodeContext) -> BlockCode:
    p = context.params
    layer = _layer_constructor("nn.TransformerEncoderLayer", context)
    arguments = [layer, f"num_layers={p['num_layers']}"]
    if _nested_tensor_unused(p):
        arguments.append("enable_nested_tensor=False")
    return BlockCode(
        constructor=call("nn.TransformerEncoder", arguments),
        call=_causal_call("mask", "is_causal", p),
    )


# --- canvas --------------------------------------------------------------------------------


def _heads_text(heads: ParamValue) -> str:
    return "1 head" if heads == 1 else f"{heads} heads"


def _flags_text(params: Params) -> str:
    flags = [("pre-norm", params.get("norm_first", False)), ("causal", params["causal"])]
    return "".join(f", {flag}" for flag, on in flags if on)


def _attention_summary(params: Params) -> str:
    return f"MHA {_heads_text(params['num_heads'])}{_flags_text(params)}"


def _layer_text(params: Params) -> str:
    """``4 heads, ff 256, pre-norm, causal``."""
    sizes = f"{_heads_text(params['nhead'])}, ff {params['dim_feedforward']}"
    return sizes + _flags_text(params)


def _encoder_summary(params: Params) -> str:
    layers = params["num_layers"]
    count = "1 layer" if layers == 1 else f"{layers} layers"
    return f"encoder {count}, {_layer_text(params)}"


def _when_causal(params: Params) -> bool:
    return bool(params["causal"])


_FEATURES = "input features"
_SEQUENCE_INPUT = (InputPort(INPUT_PORT, "the sequence"),)

KINDS = (
    BlockKind(
        "multihead_attention", "MultiheadAttention", ATTENTION.name,
        "multi-head attention of a query over keys and values (self-attention with one input)",
        _ATTENTION_PARAMS, attention_shape, attention_parameters, _attention_code,
        _attention_summary, ranks=SEQUENCES, pin=Pin("embed_dim", -1, "query features"),
        custom_call=always, torch_class="MultiheadAttention", torch_defaults=_ATTENTION_DEFAULTS,
        named_inputs=(
            InputPort("query", "the sequence that asks (its shape is the output's)"),
            InputPort("key", "the sequence attended to; the query when unconnected", "query"),
            InputPort("value", "what each key position gives; the key when unconnected", "key"),
        ),
    ),
    BlockKind(
        "transformer_encoder_layer", "TransformerEncoderLayer", ATTENTION.name,
        "self-attention then a feed-forward network, each with a residual and a layer norm",
        _LAYER_PARAMS, encoder_layer_shape, encoder_layer_parameters, _encoder_layer_code,
        lambda p: f"enc layer {_layer_text(p)}", ranks=SEQUENCES, pin=Pin("d_model", -1, _FEATURES),
        custom_call=_when_causal, torch_class="TransformerEncoderLayer",
        torch_defaults=_LAYER_DEFAULTS, named_inputs=_SEQUENCE_INPUT,
    ),
    BlockKind(
        "transformer_decoder_layer", "TransformerDecoderLayer", ATTENTION.name,
        "self-attention, attention over the encoder's output, then a feed-forward network",
        _LAYER_PARAMS, decoder_layer_shape, decoder_layer_parameters, _decoder_layer_code,
        lambda p: f"dec layer {_layer_text(p)}", ranks=SEQUENCES, pin=Pin("d_model", -1, _FEATURES),
        custom_call=_when_causal, torch_class="TransformerDecoderLayer",
        torch_defaults=_LAYER_DEFAULTS,
        named_inputs=(
            InputPort(INPUT_PORT, "the target sequence"),
            InputPort("memory", "the encoder's output"),
        ),
    ),
    BlockKind(
        "transformer_encoder", "TransformerEncoder", ATTENTION.name,
        "a stack of encoder layers (self-attention and feed-forward), each with its own weights",
        _ENCODER_PARAMS, encoder_layer_shape, encoder_parameters, _encoder_code,
        _encoder_summary, ranks=SEQUENCES, pin=Pin("d_model", -1, _FEATURES),
        custom_call=_when_causal, torch_class="TransformerEncoder",
        named_inputs=_SEQUENCE_INPUT,
    ),
)  # fmt: skip
