"""The ``torch_layer`` kind: any one-tensor torch.nn layer by class name and literal keywords.

Its parameters are validated without torch (identifiers, no containers, no private keywords,
literal values only); its shape and parameter count are torch's own, on the meta device; its
code is ``nn.<class>(k=v, ...)`` and passes the compiler's allow-list; designs holding it save
and load unchanged; and a design without it still never imports torch to be checked.
"""

from __future__ import annotations

import json
import keyword
import subprocess
import sys
import textwrap

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from designer.compiler import build_model, compile_design
from designer.compiler.safety import check_source
from designer.graph import (
    CATALOGUE,
    BadParameterError,
    Design,
    check_design,
    dumps_design,
    loads_design,
)
from designer.graph.block_code import CodeContext, Needs
from designer.graph.kinds import torch_layer
from designer.graph.params import MAX_KEYWORDS, ParamType
from designer.graph.shape_rules import ShapeRuleError

KIND = CATALOGUE["torch_layer"]
CLASS_NAME = KIND.param("class_name")
KWARGS = KIND.param("kwargs")


def params(class_name: str, **kwargs: object) -> dict[str, object]:
    return KIND.validate_params({"class_name": class_name, "kwargs": kwargs})  # type: ignore[return-value]


def shape_and_count(class_name: str, shape: tuple[int, ...], **kwargs: object) -> tuple:
    validated = params(class_name, **kwargs)
    output = KIND.shape_rule(validated, [shape])  # type: ignore[arg-type]
    return output, KIND.parameter_rule(validated, [shape], output)  # type: ignore[arg-type]


def constructor(class_name: str, **kwargs: object) -> str | None:
    validated = params(class_name, **kwargs)
    context = CodeContext(validated, [(1, 4, 8, 8)], Needs())  # type: ignore[arg-type]
    return KIND.code(context).constructor


class TestDeclaration:
    def test_the_entry(self) -> None:
        assert KIND.label == "torch.nn layer"
        assert KIND.category == "Layers"
        assert [spec.type for spec in KIND.params] == [ParamType.CLASS_NAME, ParamType.KEYWORDS]
        assert KIND.defaults() == {"class_name": "Hardtanh", "kwargs": ()}
        assert KIND.input_ports(KIND.defaults()) == ("in",)
        assert KIND.output_ports() == ("out",)
        assert KIND.chains(KIND.defaults())
        assert KIND.describe_block(params("LPPool2d", norm_type=2, kernel_size=2)) == "LPPool2d"


class TestClassNames:
    @pytest.mark.parametrize("name", ["Hardtanh", "LPPool2d", "ChannelShuffle", "Foo"])
    def test_identifiers_pass_validation(self, name: str) -> None:
        assert CLASS_NAME.validate(name) == name  # whether torch has it is the shape rule's

    @pytest.mark.parametrize(
        "name",
        [
            "__import__",
            "_LPPoolNd",
            "nn.ReLU",
            "ReLU()",
            "lambda",
            "",
            "a b",
            "Ré",
            3,
            None,
            ["ReLU"],
        ],
    )  # fmt: skip
    def test_non_identifiers_and_private_names_are_refused(self, name: object) -> None:
        with pytest.raises(BadParameterError, match="expected the name of a torch.nn layer class"):
            CLASS_NAME.validate(name)

    @pytest.mark.parametrize(
        "name",
        ["Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict", "Container",
         "Module", "DataParallel"],
    )  # fmt: skip
    def test_containers_and_the_base_class_are_refused(self, name: str) -> None:
        with pytest.raises(BadParameterError, match="the base class or a container"):
            CLASS_NAME.validate(name)

    @pytest.mark.parametrize(
        ("name", "reason"),
        [
            ("Foo", "torch.nn has no layer class Foo (no such class)"),
            ("functional", "torch.nn has no layer class functional (not an nn.Module class)"),
            ("Parameter", "torch.nn has no layer class Parameter (not an nn.Module class)"),
            ("init", "torch.nn has no layer class init (not an nn.Module class)"),
        ],
    )
    def test_the_shape_rule_refuses_what_is_no_nn_module(self, name: str, reason: str) -> None:
        with pytest.raises(ShapeRuleError) as error:
            KIND.shape_rule(params(name), [(1, 4)])
        assert error.value.message == reason

    def test_the_shape_rule_refuses_containers_even_unvalidated(self) -> None:
        for name in ("Sequential", "ModuleList", "Module", "DataParallel"):
            with pytest.raises(ShapeRuleError, match="is a container, not a layer"):
                KIND.shape_rule({"class_name": name, "kwargs": ()}, [(1, 4)])


class TestKeywords:
    def test_canonical_form_is_sorted_pairs(self) -> None:
        canonical = (("inplace", True), ("negative_slope", 0.2))
        assert KWARGS.validate({"negative_slope": 0.2, "inplace": True}) == canonical
        assert KWARGS.validate([["negative_slope", 0.2], ["inplace", True]]) == canonical
        assert KWARGS.validate(canonical) == canonical
        assert KWARGS.validate([]) == ()

    def test_values_are_json_literals_and_int_lists_become_tuples(self) -> None:
        given = {"a": 1, "b": -2.5, "c": False, "d": "x", "e": None, "f": [2, 3], "g": []}
        assert KWARGS.validate(given) == (
            ("a", 1), ("b", -2.5), ("c", False), ("d", "x"), ("e", None), ("f", (2, 3)),
            ("g", ()),
        )  # fmt: skip

    @pytest.mark.parametrize(
        ("value", "reason"),
        [
            ({"_weight": 1}, "item 0: expected a keyword name \\(an identifier not starting"),
            ({"__class__": 1}, "item 0: expected a keyword name"),
            ({"for": 1}, "item 0: expected a keyword name"),
            ({"a b": 1}, "item 0: expected a keyword name"),
            ({"device": "cuda"}, "item 0: device is the runtime's to choose"),
            ({"dtype": "float64"}, "item 0: dtype is the runtime's to choose"),
            ({"p": [1.5]}, "item 0: p: expected a number, true or false, a string, null or a"),
            ({"p": [True]}, "item 0: p: expected a number"),
            ({"p": {"a": 1}}, "item 0: p: expected a number"),
            ({"p": float("nan")}, "item 0: p: expected a number"),
            ({"p": "x" * 300}, "item 0: p: expected a number"),
            ([["a", 1], ["a", 2]], "item 1: a is given twice"),
            ([["a"]], "item 0: expected a \\[name, value\\] pair"),
            ([[1, 2]], "item 0: expected a keyword name"),
            ("negative_slope=0.2", "expected up to 32 keyword arguments"),
            (3, "expected up to 32 keyword arguments"),
            ({f"k{index}": 0 for index in range(MAX_KEYWORDS + 1)}, "got 33"),
        ],
    )
    def test_hostile_keywords_are_refused(self, value: object, reason: str) -> None:
        with pytest.raises(BadParameterError, match=reason) as error:
            KWARGS.validate(value)
        assert error.value.field == "params.kwargs"

    def test_param_keys_stay_hashable(self) -> None:
        design = Design()
        block = design.add_block(
            "torch_layer",
            params={"class_name": "Unflatten", "kwargs": {"dim": 1, "unflattened_size": [2, 2]}},
        )
        assert hash(block.param_key) == hash(design.block(block.id).param_key)


class TestShapesFromTorch:
    @pytest.mark.parametrize(
        ("class_name", "kwargs", "shape", "expected"),
        [
            ("Hardtanh", {"min_val": -2.0, "max_val": 2.0}, (2, 4, 6, 6), ((2, 4, 6, 6), 0)),
            ("LPPool2d", {"norm_type": 2, "kernel_size": 3}, (2, 4, 6, 6), ((2, 4, 2, 2), 0)),
            ("LPPool2d", {"norm_type": 2, "kernel_size": [2, 3]}, (1, 4, 6, 6), ((1, 4, 3, 2), 0)),
            ("ChannelShuffle", {"groups": 2}, (1, 4, 3, 3), ((1, 4, 3, 3), 0)),
            ("PixelShuffle", {"upscale_factor": 2}, (1, 8, 3, 3), ((1, 2, 6, 6), 0)),
            ("Linear", {"in_features": 6, "out_features": 3}, (5, 6), ((5, 3), 21)),
            ("Linear", {"in_features": 6, "out_features": 3, "bias": False}, (5, 6), ((5, 3), 18)),
            ("PReLU", {"num_parameters": 4}, (1, 4, 2), ((1, 4, 2), 4)),
        ],
    )
    def test_torch_gives_the_shape_and_parameter_count(
        self, class_name: str, kwargs: dict[str, object], shape: tuple, expected: tuple
    ) -> None:
        assert shape_and_count(class_name, shape, **kwargs) == expected

    @pytest.mark.parametrize(
        ("class_name", "kwargs", "shape", "reason"),
        [
            ("LPPool2d", {"kernel_size": 2}, (1, 4, 6, 6), "nn.LPPool2d: _LPPoolNd.__init__() "),
            ("Hardtanh", {"nope": 1}, (1, 4), "nn.Hardtanh: Hardtanh.__init__() got an unexp"),
            ("Linear", {"in_features": 4, "out_features": 2}, (1, 6), "nn.Linear: "),
            ("ChannelShuffle", {"groups": 3}, (1, 4, 2, 2), "nn.ChannelShuffle: "),
            ("LSTM", {"input_size": 4, "hidden_size": 3}, (1, 2, 4), "nn.LSTM returns a tuple; "
             "only one-tensor layers fit a torch.nn layer block"),
            ("ZeroPad1d", {"padding": -2}, (1, 2, 4), "nn.ZeroPad1d gives an empty output (1x2x0)"),
            ("LazyLinear", {"out_features": 3}, (1, 4), "nn.LazyLinear sizes its weights lazily"),
        ],
    )  # fmt: skip
    def test_torch_refusals_become_shape_errors(
        self, class_name: str, kwargs: dict[str, object], shape: tuple, reason: str
    ) -> None:
        with pytest.raises(ShapeRuleError) as error:
            shape_and_count(class_name, shape, **kwargs)
        assert error.value.message.startswith(reason)
        assert "\n" not in error.value.message
        assert len(error.value.message) <= torch_layer.MAX_MESSAGE + len("nn.ChannelShuffle: ")

    def test_results_are_cached_by_class_keywords_shape_and_value_types(self) -> None:
        torch_layer._run_on_meta.cache_clear()
        shape_and_count("Hardtanh", (1, 3), max_val=2)
        shape_and_count("Hardtanh", (1, 3), max_val=2)
        assert torch_layer._run_on_meta.cache_info()[:2] == (3, 1)  # one run of torch
        shape_and_count("Hardtanh", (1, 3), max_val=2.0)  # equal, but another type
        shape_and_count("Hardtanh", (1, 4), max_val=2)
        assert torch_layer._run_on_meta.cache_info().misses == 3

    def test_the_checker_names_the_block_with_torchs_message(self) -> None:
        design = Design()
        source = design.add_block("input", name="x", params={"shape": [1, 4, 6, 6]}).id
        layer = design.add_block(
            "torch_layer", name="pool", params={"class_name": "LPPool2d", "kwargs": {"p": 2}}
        ).id
        design.connect(source, layer)
        problems = [p.message for p in check_design(design).problems if p.block_id == layer]
        assert problems == [
            "torch.nn layer 'pool': nn.LPPool2d: _LPPoolNd.__init__() got an unexpected keyword "
            "argument 'p' (input 1x4x6x6 from 'x')"
        ]


class TestCode:
    def test_the_constructor_names_the_class_and_its_keywords(self) -> None:
        assert constructor("Hardtanh") == "nn.Hardtanh()"
        assert constructor("LeakyReLU", negative_slope=0.2, inplace=True) == (
            "nn.LeakyReLU(inplace=True, negative_slope=0.2)"
        )
        assert constructor("Unflatten", dim=1, unflattened_size=[2, 2]) == (
            "nn.Unflatten(dim=1, unflattened_size=(2, 2))"
        )
        assert constructor("Foo", a=-1, b="it's", c=None, d=[3]) == (
            'nn.Foo(a=-1, b="it\'s", c=None, d=(3,))'
        )

    def test_a_design_compiles_runs_and_passes_the_allow_list(self) -> None:
        design = _chain(
            ("LeakyReLU", {"negative_slope": 0.2, "inplace": True}),
            ("LPPool2d", {"norm_type": 2, "kernel_size": [2, 3], "ceil_mode": False}),
            ("Hardtanh", {"min_val": -0.5, "max_val": 0.5}),
            ("Flatten", {}),
            ("Linear", {"in_features": 24, "out_features": 5}),
        )
        assert check_design(design).ok
        compiled = compile_design(design)
        check_source(compiled.source)
        assert "self.pool = nn.LPPool2d(ceil_mode=False, kernel_size=(2, 3), norm_type=2)" in (
            compiled.source
        )
        model = build_model(compiled, "cpu")
        assert tuple(model(torch.randn(2, 4, 6, 6)).shape) == (2, 5)
        assert check_design(design).results[_id(design, "b5")].shape == (2, 5)


def _chain(*layers: tuple[str, dict[str, object]]) -> Design:
    design = Design("Tail")
    previous = design.add_block("input", name="x", params={"shape": [2, 4, 6, 6]}).id
    for index, (class_name, kwargs) in enumerate(layers, start=1):
        name = "pool" if class_name == "LPPool2d" else f"b{index}"
        block = design.add_block(
            "torch_layer", name=name, params={"class_name": class_name, "kwargs": kwargs}
        )
        design.connect(previous, block.id)
        previous = block.id
    output = design.add_block("output", name="out").id
    design.connect(previous, output)
    return design


def _id(design: Design, name: str) -> str:
    return next(block.id for block in design.blocks.values() if block.name == name)


class TestFiles:
    def test_designs_round_trip(self) -> None:
        design = _chain(
            ("Unflatten", {"dim": 1, "unflattened_size": [2, 2]}),
            ("Hardtanh", {"min_val": -2, "max_val": 2.5, "inplace": False}),
        )
        text = dumps_design(design)
        again = loads_design(text)
        assert {b.id: b.params for b in again.blocks.values()} == {
            b.id: b.params for b in design.blocks.values()
        }
        assert dumps_design(again) == text
        stored = next(b for b in json.loads(text)["blocks"] if b["name"] == "b1")
        assert stored["params"]["kwargs"] == [["dim", 1], ["unflattened_size", [2, 2]]]

    def test_a_keywords_object_in_a_file_is_read_too(self) -> None:
        document = json.loads(dumps_design(_chain(("Hardtanh", {}))))
        layer = next(b for b in document["blocks"] if b["kind"] == "torch_layer")
        layer["params"]["kwargs"] = {"min_val": -1, "max_val": 1}
        design = loads_design(json.dumps(document))
        assert design.block(layer["id"]).params["kwargs"] == (("max_val", 1), ("min_val", -1))

    @given(
        st.dictionaries(
            st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True).filter(
                lambda name: name not in ("device", "dtype") and not keyword.iskeyword(name)
            ),
            st.none()
            | st.booleans()
            | st.integers(-(2**40), 2**40)
            | st.floats(allow_nan=False, allow_infinity=False)
            | st.text(max_size=20)
            | st.lists(st.integers(-5, 5), max_size=4),
            max_size=5,
        )
    )
    def test_any_valid_keywords_round_trip(self, kwargs: dict[str, object]) -> None:
        design = Design()
        block = design.add_block("torch_layer", params={"class_name": "Identity", "kwargs": kwargs})
        again = loads_design(dumps_design(design))
        assert again.block(block.id).params == design.block(block.id).params


def test_checking_a_design_without_the_kind_imports_no_torch() -> None:
    script = textwrap.dedent(
        """
        import sys
        from designer.graph import Design, check_design
        design = Design()
        x = design.add_block("input", params={"shape": [1, 3, 8, 8]}).id
        conv = design.add_block("conv2d").id
        out = design.add_block("output").id
        design.connect(x, conv)
        design.connect(conv, out)
        assert check_design(design).ok
        print("torch" in sys.modules)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.strip() == "False"
