"""The catalogue's entries, their parameter declarations and the activation palette."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

from designer.graph import ACTIVATIONS, CATALOGUE, BadParameterError, activation_palette
from designer.graph.params import ParamType, bool_param, float_param, int_list_param, int_param

REQUIRED_KINDS = {
    "input", "output", "conv_block", "dec_block", "conv_stack", "dec_stack", "conv2d", "linear",
    "batch_norm1d", "batch_norm2d", "max_pool2d", "avg_pool2d", "adaptive_avg_pool2d", "dropout",
    "flatten", "upsample", "conv_transpose2d", "activation", "add", "concat",
}  # fmt: skip
REQUIRED_ACTIVATIONS = {
    "relu", "lrelu", "sigmoid", "tanh", "gelu", "silu", "elu", "selu", "mish", "softplus",
    "hardswish", "prelu", "identity",
}  # fmt: skip


def test_the_catalogue_has_every_required_kind() -> None:
    assert set(CATALOGUE) >= REQUIRED_KINDS


@pytest.mark.parametrize("kind", CATALOGUE.values(), ids=lambda kind: kind.name)
def test_every_entry_is_fully_declared(kind: object) -> None:
    from designer.graph import BlockKind

    assert isinstance(kind, BlockKind)
    assert kind.label and kind.category and kind.help
    for spec in kind.params:
        assert spec.help, f"{kind.name}.{spec.name} has no help"
        assert spec.validate(spec.default) == spec.default
        if spec.type in (ParamType.INT, ParamType.INT_LIST, ParamType.FLOAT):
            assert spec.minimum is not None and spec.maximum is not None
    assert kind.validate_params({}) == kind.defaults()
    if kind.pin is not None:
        assert kind.param(kind.pin.param).pins_in_size


def test_ports() -> None:
    assert CATALOGUE["input"].input_ports({}) == ()
    assert CATALOGUE["linear"].input_ports(CATALOGUE["linear"].defaults()) == ("in",)
    assert CATALOGUE["concat"].input_ports({"inputs": 3, "dim": 1}) == ("in0", "in1", "in2")
    assert not CATALOGUE["output"].has_output


class TestParameterMessages:
    def test_ints(self) -> None:
        spec = int_param("out_channels", 8, "help")
        for bad, shown in ((0, "0"), (-1, "-1"), (True, "true"), (2.0, "2.0"), ("3", "'3'")):
            with pytest.raises(BadParameterError) as error:
                spec.validate(bad)
            assert str(error.value) == (
                f"params.out_channels: expected a positive integer, got {shown}"
            )
        ranged = int_param("dim", 1, "help", -8, 8)
        with pytest.raises(BadParameterError, match="expected an integer from -8 to 8, got 9"):
            ranged.validate(9)

    def test_floats(self) -> None:
        spec = float_param("p", 0.5, "help", 0.0, 1.0)
        assert spec.validate(1) == 1.0
        with pytest.raises(BadParameterError, match="expected a number from 0 to 1, got 1.5"):
            spec.validate(1.5)
        with pytest.raises(BadParameterError, match="expected a finite number, got inf"):
            spec.validate(float("inf"))
        with pytest.raises(BadParameterError, match="expected a number, got false"):
            spec.validate(False)

    def test_lists(self) -> None:
        spec = int_list_param("sizes", (32,), "help")
        assert spec.validate([32, 64]) == (32, 64)
        with pytest.raises(BadParameterError, match="sizes: item 1: expected positive integer"):
            spec.validate([32, 0])
        with pytest.raises(BadParameterError, match="expected a list of 1 to 256 items.*got 0"):
            spec.validate([])
        with pytest.raises(BadParameterError, match="got '32, 64'"):
            spec.validate("32, 64")

    def test_bools_and_choices(self) -> None:
        with pytest.raises(BadParameterError, match="expected true or false, got 'yes'"):
            bool_param("bias", True, "help").validate("yes")
        activation = CATALOGUE["conv_block"].param("activation")
        with pytest.raises(BadParameterError, match="expected one of 'relu', 'lrelu'.*got 'swish'"):
            activation.validate("swish")

    def test_optional_in_sizes(self) -> None:
        spec = CATALOGUE["linear"].param("in_features")
        assert spec.validate(None) is None
        with pytest.raises(BadParameterError, match="expected null \\(inferred\\) or a positive"):
            spec.validate(-3)


@given(
    st.recursive(
        st.none() | st.booleans() | st.floats() | st.integers() | st.text(),
        lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner),
    )
)
def test_any_value_is_either_accepted_canonically_or_refused(value: object) -> None:
    for kind in CATALOGUE.values():
        for spec in kind.params:
            try:
                canonical = spec.validate(value)
            except BadParameterError as error:
                assert error.field == f"params.{spec.name}"
                assert error.message.startswith(("expected", "item"))
            else:
                assert spec.validate(canonical) == canonical


class TestPalette:
    def test_required_activations_are_listed(self) -> None:
        assert {entry.key for entry in ACTIVATIONS} >= REQUIRED_ACTIVATIONS

    def test_the_palette_is_a_module_dict_in_palette_order(self) -> None:
        palette = activation_palette()
        assert isinstance(palette, nn.ModuleDict)
        assert list(palette.keys()) == [entry.key for entry in ACTIVATIONS]
        for entry in ACTIVATIONS:
            assert type(palette[entry.key]).__name__ == entry.module
        assert repr(palette["lrelu"]) == "LeakyReLU(negative_slope=0.01)"

    def test_each_call_gives_fresh_modules(self) -> None:
        assert activation_palette()["prelu"] is not activation_palette()["prelu"]
