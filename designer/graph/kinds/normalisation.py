"""Normalisation and regularisation: batch norm and dropout."""

from __future__ import annotations

from designer.graph import shape_rules as rules
from designer.graph.block_code import BlockCode, CodeContext, CodeRule, call
from designer.graph.kind import BlockKind, Pin, Ranks
from designer.graph.kinds.categories import NORMALISATION
from designer.graph.kinds.common import IMAGE
from designer.graph.params import ParamSpec, bool_param, float_param, in_size_param

_BATCH_NORM_DEFAULTS = {"eps": 1e-5, "momentum": 0.1, "affine": True, "track_running_stats": True}


def _batch_norm_params() -> tuple[ParamSpec, ...]:
    return (
        float_param("eps", 1e-5, "added to the variance for stability", 1e-12, 1.0),
        float_param("momentum", 0.1, "running statistics update rate", 0.0, 1.0),
        bool_param("affine", True, "learn a scale and shift"),
        bool_param("track_running_stats", True, "keep running mean and variance"),
        in_size_param("num_features", "channels; inferred unless pinned"),
    )


def _batch_norm(module: str) -> CodeRule:
    def code(context: CodeContext) -> BlockCode:
        changed = context.changed("eps", "momentum", "affine", "track_running_stats")
        return BlockCode(constructor=call(module, [str(context.shape[1]), *changed]))

    return code


_CHANNELS = Pin("num_features", 1, "channels")

KINDS = (
    BlockKind(
        "batch_norm1d", "BatchNorm1d", NORMALISATION.name,
        "batch normalisation over N x C or N x C x L",
        _batch_norm_params(), rules.batch_norm_shape, rules.batch_norm_parameters,
        _batch_norm("nn.BatchNorm1d"), ranks=Ranks(2, 3, "2-d or 3-d (N x C or N x C x L)"),
        pin=_CHANNELS, torch_class="BatchNorm1d", torch_defaults=_BATCH_NORM_DEFAULTS,
    ),
    BlockKind(
        "batch_norm2d", "BatchNorm2d", NORMALISATION.name, "batch normalisation over N x C x H x W",
        _batch_norm_params(), rules.batch_norm_shape, rules.batch_norm_parameters,
        _batch_norm("nn.BatchNorm2d"), pin=_CHANNELS, ranks=IMAGE,
        torch_class="BatchNorm2d", torch_defaults=_BATCH_NORM_DEFAULTS,
    ),
    BlockKind(
        "dropout", "Dropout", NORMALISATION.name, "randomly zero elements while training",
        (float_param("p", 0.5, "probability of zeroing an element", 0.0, 1.0),),
        rules.identity_shape,
        code=lambda context: BlockCode(constructor=call("nn.Dropout", context.changed("p"))),
        summary=lambda p: f"dropout {p['p']:g}", torch_class="Dropout",
        torch_defaults={"p": 0.5},
    ),
)  # fmt: skip
