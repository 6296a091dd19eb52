"""General layers: Linear, Flatten, Upsample and an activation from the palette."""

from __future__ import annotations

from designer.graph import shape_rules as rules
from designer.graph.activations import ACTIVATIONS_BY_KEY
from designer.graph.block_code import (
    BlockCode,
    CodeContext,
    Params,
    activation_module,
    call,
    dim_from_front,
)
from designer.graph.kind import BlockKind, when_functional
from designer.graph.kinds.categories import LAYERS
from designer.graph.kinds.common import (
    BIAS,
    FEATURES_PIN,
    FUNCTIONAL,
    IMAGE,
    IN_FEATURES,
    activation_param,
    function_problems,
)
from designer.graph.params import ParamValue, bool_param, choice_param, float_param, int_param


def _linear_code(context: CodeContext) -> BlockCode:
    arguments = [str(context.shape[-1]), str(context.params["out_features"])]
    return BlockCode(constructor=call("nn.Linear", [*arguments, *context.changed("bias")]))


def _flatten_code(context: CodeContext) -> BlockCode:
    p, rank = context.params, len(context.shape)
    start = dim_from_front(p["start_dim"], rank)
    end = p["end_dim"] if p["end_dim"] == -1 else dim_from_front(p["end_dim"], rank)
    if p["functional"]:
        tail = f"{start}" if end == -1 else f"{start}, {end}"
        return BlockCode(statement=lambda names: f"{names[0]}.flatten({tail})")
    dims: dict[str, ParamValue] = {"start_dim": start, "end_dim": end}
    return BlockCode(
        constructor=call("nn.Flatten", context.keywords({"start_dim": 1, "end_dim": -1}, dims))
    )


def _upsample_code(context: CodeContext) -> BlockCode:
    p = context.params
    arguments = [f"scale_factor={p['scale_factor']!r}", f"mode={p['mode']!r}"]
    if p["mode"] in ("bilinear", "bicubic") and p["align_corners"]:
        arguments.append("align_corners=True")
    return BlockCode(constructor=call("nn.Upsample", arguments))


def _upsample_problems(params: Params) -> list[str]:
    if params["align_corners"] and params["mode"] not in ("bilinear", "bicubic"):
        return [f"align_corners only applies to bilinear and bicubic modes, not {params['mode']}"]
    return []


def _activation_code(context: CodeContext) -> BlockCode:
    key = context.params["activation"]
    assert isinstance(key, str)
    function = ACTIVATIONS_BY_KEY[key].function
    if context.params["functional"] and function is not None:
        context.needs.functional = context.needs.functional or function.startswith("F.")
        return BlockCode(statement=lambda names: f"{function}({names[0]})")
    return BlockCode(constructor=activation_module(key))


KINDS = (
    BlockKind(
        "linear", "Linear", LAYERS.name, "fully connected layer on the last dimension",
        (int_param("out_features", 10, "output features"), BIAS, IN_FEATURES),
        rules.linear_shape, rules.linear_parameters, _linear_code,
        lambda p: f"Linear {p['out_features']}", pin=FEATURES_PIN, torch_class="Linear",
        torch_defaults={"bias": True},
    ),
    BlockKind(
        "flatten", "Flatten", LAYERS.name, "flatten a range of dimensions into one",
        (
            int_param("start_dim", 1, "first dimension to flatten", -8, 8),
            int_param("end_dim", -1, "last dimension to flatten", -8, 8),
            FUNCTIONAL,
        ),
        rules.flatten_shape, code=_flatten_code,
        summary=lambda p: f"flatten {p['start_dim']}..{p['end_dim']}",
        forward_only=when_functional, flattens=True, torch_class="Flatten",
        torch_defaults={"start_dim": 1, "end_dim": -1},
    ),
    BlockKind(
        "upsample", "Upsample", LAYERS.name, "resize height and width by a scale factor",
        (
            float_param("scale_factor", 2.0, "multiplier for height and width", 0.01, 1024.0),
            choice_param("mode", "nearest", ("nearest", "nearest-exact", "bilinear", "bicubic"),
                         "interpolation"),
            bool_param("align_corners", False, "align corner pixels (bilinear, bicubic)"),
        ),
        rules.upsample_shape, code=_upsample_code,
        summary=lambda p: f"upsample x{p['scale_factor']:g}, {p['mode']}",
        problem_rule=_upsample_problems, ranks=IMAGE, torch_class="Upsample",
    ),
    BlockKind(
        "activation", "activation", LAYERS.name, "an activation from the palette",
        (activation_param("relu"), FUNCTIONAL),
        rules.identity_shape, rules.activation_parameters, _activation_code,
        lambda p: str(p["activation"]), problem_rule=function_problems,
        forward_only=when_functional,
    ),
)  # fmt: skip
