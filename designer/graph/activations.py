"""The activation palette: the one list of activations the GUI shows and the compiler uses.

The table is plain data so the design model can list it, validate against it and count its
parameters without importing torch; ``activation_palette()`` turns it into the real
``nn.ModuleDict`` (importing torch only then), as the seed's ``conv_block`` does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from torch import nn


@dataclass(frozen=True, slots=True)
class Activation:
    """One palette entry."""

    key: str
    """The ModuleDict key, as the user picks it (``lrelu``)."""
    module: str
    """The ``torch.nn`` class (``LeakyReLU``)."""
    function: str | None
    """How to apply it inside ``forward`` (``F.leaky_relu``); None where it has weights."""
    parameters: int = 0
    """Learnable parameters of the module (PReLU has one)."""
    kwargs: tuple[tuple[str, float | int | bool], ...] = field(default=())


ACTIVATIONS: tuple[Activation, ...] = (
    Activation("relu", "ReLU", "F.relu"),
    Activation("lrelu", "LeakyReLU", "F.leaky_relu"),
    Activation("sigmoid", "Sigmoid", "torch.sigmoid"),
    Activation("tanh", "Tanh", "torch.tanh"),
    Activation("gelu", "GELU", "F.gelu"),
    Activation("silu", "SiLU", "F.silu"),
    Activation("elu", "ELU", "F.elu"),
    Activation("selu", "SELU", "F.selu"),
    Activation("mish", "Mish", "F.mish"),
    Activation("softplus", "Softplus", "F.softplus"),
    Activation("hardswish", "Hardswish", "F.hardswish"),
    Activation("hardsigmoid", "Hardsigmoid", "F.hardsigmoid"),
    Activation("relu6", "ReLU6", "F.relu6"),
    Activation("prelu", "PReLU", None, parameters=1),
    Activation("identity", "Identity", None),
)

ACTIVATIONS_BY_KEY: dict[str, Activation] = {entry.key: entry for entry in ACTIVATIONS}
ACTIVATION_KEYS: tuple[str, ...] = tuple(ACTIVATIONS_BY_KEY)


def activation_palette() -> nn.ModuleDict:
    """The palette as an ``nn.ModuleDict`` of fresh modules, in palette order."""
    from torch import nn

    return nn.ModuleDict(
        {entry.key: getattr(nn, entry.module)(**dict(entry.kwargs)) for entry in ACTIVATIONS}
    )
