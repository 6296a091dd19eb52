"""The defaults an entry's code leaves out are torch's own, read from torch's signatures, and
every entry that names a torch class names a real one."""

from __future__ import annotations

import inspect

import pytest
from torch import nn

from designer.graph import CATALOGUE, BlockKind

NAMED = [kind for kind in CATALOGUE.values() if kind.torch_class is not None]


READ_FROM_KEYWORDS = {("RNN", "nonlinearity"): "tanh"}
"""Arguments torch takes through ``**kwargs`` (no signature shows them), with the default its
documentation and code give."""


def torch_default(module: type[nn.Module], name: str) -> object:
    """The default of ``name`` in the first ``__init__`` along the class's bases that names it
    (an LSTM's ``__init__`` takes ``*args``; ``RNNBase``'s names them)."""
    for base in module.__mro__:
        init = base.__dict__.get("__init__")
        if init is None:
            continue
        parameters = inspect.signature(init).parameters
        if name in parameters:
            return parameters[name].default
    if (module.__name__, name) in READ_FROM_KEYWORDS:
        return READ_FROM_KEYWORDS[module.__name__, name]
    raise AssertionError(f"nn.{module.__name__} takes no {name}")


@pytest.mark.parametrize("kind", NAMED, ids=lambda kind: kind.name)
def test_the_left_out_defaults_are_torchs(kind: BlockKind) -> None:
    assert kind.torch_class is not None
    module = getattr(nn, kind.torch_class)
    assert isinstance(module, type) and issubclass(module, nn.Module)
    for name, default in kind.torch_defaults.items():
        found = torch_default(module, name)
        assert found == default, f"nn.{kind.torch_class}'s {name} defaults to {found!r}"


@pytest.mark.parametrize("kind", NAMED, ids=lambda kind: kind.name)
def test_each_parameter_named_like_torchs_is_one_of_its_arguments(kind: BlockKind) -> None:
    """A parameter that shares a name with one of the class's arguments and is left out at
    torch's default must be declared with that default in ``torch_defaults``."""
    assert kind.torch_class is not None
    for name in kind.torch_defaults:
        assert name in {spec.name for spec in kind.params} | {"start_dim", "end_dim"}, (
            f"{kind.name} leaves out {name} at torch's default but declares no such parameter"
        )


def test_most_named_layers_declare_their_class() -> None:
    assert len(NAMED) >= 10
