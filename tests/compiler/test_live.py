"""The live model: built from exactly the exported source; inspectable, picklable, clean."""

from __future__ import annotations

import dataclasses
import inspect
import linecache
import pickle
import sys

import pytest
import torch

from designer.compiler import (
    GeneratedCodeError,
    ShapeCheckError,
    build_model,
    compile_design,
    load_source,
    materialize,
)
from designer.compiler.errors import CompileError
from designer.compiler.live import MODULE_PREFIX
from designer.graph import Design, load_design
from tests.paths import DATA, EXAMPLES


def compiled(name: str = "resnet_small"):  # type: ignore[no-untyped-def]
    return compile_design(load_design(EXAMPLES / f"{name}.json"))


def test_meta_build_allocates_nothing_and_prints_the_tree() -> None:
    model = build_model(compiled("seed_final"))
    assert all(parameter.is_meta for parameter in model.parameters())
    assert not model.training
    assert str(model).startswith("MyCustomCNN(\n  (encoder): MyEncoder(")


def test_the_live_class_is_the_exported_source() -> None:
    result = compiled()
    model = build_model(result)
    module = sys.modules[type(model).__module__]
    assert module.__name__.startswith(MODULE_PREFIX)
    assert inspect.getsource(type(model)) in result.source
    assert "class SmallResNet(nn.Module):" in inspect.getsource(type(model))
    assert linecache.getlines(module.__file__ or "") == result.source.splitlines(keepends=True)


def test_materialised_weights_are_initialised_like_torch() -> None:
    model = materialize(build_model(compiled()))
    batch_norm = model.layer1.bn2
    assert torch.equal(batch_norm.running_mean, torch.zeros(16))
    assert torch.equal(batch_norm.running_var, torch.ones(16))
    assert torch.equal(batch_norm.weight, torch.ones(16))
    conv = model.stem[0].weight
    assert conv.device.type == "cpu" and conv.abs().sum() > 0 and conv.std() < 1
    output = model(torch.rand(2, 3, 32, 32))
    assert output.shape == (2, 10) and torch.isfinite(output).all()


def test_models_pickle_and_come_back_equal() -> None:
    model = materialize(build_model(compiled()))
    copy = pickle.loads(pickle.dumps(model))
    sample = torch.rand(1, 3, 32, 32)
    torch.testing.assert_close(copy(sample), model(sample))


def test_one_source_one_module() -> None:
    result = compiled()
    assert load_source(result.source) is load_source(result.source)


def test_a_failing_definition_leaves_nothing_registered() -> None:
    broken = "def broken(layer: nn.Module = nn.Linear(1)) -> None:\n    return None\n\n\n"
    source = compiled().source.replace(
        "class SmallResNet(nn.Module):", broken + "class SmallResNet(nn.Module):", 1
    )
    before = set(sys.modules)
    with pytest.raises(GeneratedCodeError) as error:
        load_source(source)
    assert "generated line" in str(error.value) and "nn.Linear(1)" in str(error.value)
    assert set(sys.modules) == before
    assert not [
        name
        for name in linecache.cache
        if name.startswith(f"<{MODULE_PREFIX}")
        and linecache.cache[name][2] == source.splitlines(keepends=True)
    ]


def test_a_failing_build_names_the_generated_line() -> None:
    result = compiled()
    broken = dataclasses.replace(
        result, source=result.source.replace("nn.Conv2d(16, 16,", "nn.Conv2d(16, 16, groups=5,", 1)
    )
    with pytest.raises(GeneratedCodeError, match=r"at generated line \d+: self.conv2 = nn.Conv2d"):
        build_model(broken)


def test_shape_errors_come_back_as_the_checkers_list() -> None:
    with pytest.raises(ShapeCheckError) as error:
        compile_design(load_design(DATA / "seed_final_buggy.json"))
    (problem,) = error.value.problems
    assert "expects 32*28*28 = 25088 input features" in problem.message
    assert "Traceback" not in str(error.value)


def test_a_group_that_data_leaves_and_reenters_is_refused() -> None:
    design = Design("Net")
    x = design.add_block("input", name="x", params={"shape": [1, 8]})
    a = design.add_block("linear", name="a", params={"out_features": 8})
    b = design.add_block("linear", name="b", params={"out_features": 8})
    c = design.add_block("linear", name="c", params={"out_features": 8})
    out = design.add_block("output", name="y")
    for source, target in ((x, a), (a, b), (b, c), (c, out)):
        design.connect(source.id, target.id)
    design.add_group("split", [a.id, c.id])
    with pytest.raises(CompileError, match="data leaves a group and comes back into it"):
        compile_design(design)


def test_groups_share_a_class_only_when_built_alike() -> None:
    design = load_design(EXAMPLES / "resnet_small.json")
    assert compile_design(design).source.count("class ResidualBlock(nn.Module)") == 1
    layer3 = next(group for group in design.groups.values() if group.name == "layer3")
    design.set_group_class(layer3.id, "ResidualBlock")
    with pytest.raises(CompileError, match="class ResidualBlock are built differently"):
        compile_design(design)


def test_old_generated_modules_are_let_go() -> None:
    from designer.compiler.live import KEPT_MODULES

    source = compiled("seed_modulelist").source
    modules = [
        load_source(source.replace("MyModule", f"Edit{index}")) for index in range(KEPT_MODULES + 3)
    ]
    registered = [module.__name__ in sys.modules for module in modules]
    assert registered == [False] * 3 + [True] * KEPT_MODULES
    assert modules[0].__file__ not in linecache.cache


@pytest.mark.parametrize("dtype", [torch.float64, torch.bfloat16])
def test_the_model_takes_the_dtype_its_input_declares(dtype: torch.dtype) -> None:
    design = load_design(EXAMPLES / "lenet5.json")
    (input_block,) = [b for b in design.blocks.values() if b.kind == "input"]
    design.set_param(input_block.id, "dtype", str(dtype).removeprefix("torch."))
    model = materialize(build_model(compile_design(design)))
    assert {parameter.dtype for parameter in model.parameters()} == {dtype}
    assert model(torch.rand(2, 1, 32, 32, dtype=dtype)).dtype == dtype


def test_inputs_of_different_dtypes_are_refused() -> None:
    design = Design("TwoInputs")
    a = design.add_block("input", name="a", params={"shape": [1, 4]})
    b = design.add_block("input", name="b", params={"shape": [1, 4], "dtype": "float16"})
    add = design.add_block("add", name="sum")
    out = design.add_block("output", name="y")
    design.connect(a.id, add.id, "in0")
    design.connect(b.id, add.id, "in1")
    design.connect(add.id, out.id)
    with pytest.raises(CompileError, match="'a' float32, 'b' float16"):
        compile_design(design)
