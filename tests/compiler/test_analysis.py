"""The model analysis behind the app's model and code panels: ``print(model)``, the module rows,
totals, FLOPs, and which module and which source lines each block became."""

from __future__ import annotations

import ast
import pickle
import re
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, note, settings
from torch import nn

from designer.compiler import CompiledDesign, build_model, compile_design
from designer.compiler.analysis import ModelAnalysis, analyse_design
from designer.compiler.inputs import example_inputs
from designer.compiler.summary import MODEL_ROW_NAME, module_rows
from designer.graph import (
    ACTIVATIONS_BY_KEY,
    Block,
    Design,
    block_kind,
    check_design,
    dumps_design,
    load_design,
)
from designer.runtime.flops import forward_flops
from tests.compiler.design_strategies import designs
from tests.paths import EXAMPLES
from tests.profiles import examples

EXAMPLE_PATHS = sorted(EXAMPLES.glob("*.json"))
WEIGHTED = (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.ConvTranspose2d, nn.Linear)


@pytest.fixture(scope="module", params=EXAMPLE_PATHS, ids=lambda path: path.stem)
def example(request: pytest.FixtureRequest) -> tuple[Design, ModelAnalysis, nn.Module]:
    path: Path = request.param
    design = load_design(path)
    analysis = analyse_design(design, path.name)
    model = build_model(compile_design(design, path.name))
    return design, analysis, model


def test_examples_are_there() -> None:
    assert len(EXAMPLE_PATHS) >= 5
    assert {"seed_final", "seed_sequential", "resnet_small"} <= {p.stem for p in EXAMPLE_PATHS}


def test_printed_is_print_of_the_compiled_model(
    example: tuple[Design, ModelAnalysis, nn.Module],
) -> None:
    design, analysis, model = example
    assert analysis.printed == str(model)
    compiled = compile_design(design, None)
    assert analysis.class_name == compiled.class_name == type(model).__name__
    assert analysis.design_digest == compiled.design_digest
    assert f"class {analysis.class_name}(nn.Module)" in analysis.source


def test_rows_are_the_summary_rows(example: tuple[Design, ModelAnalysis, nn.Module]) -> None:
    design, analysis, model = example
    expected = module_rows(model, example_inputs(design, device="meta"))
    assert [(row.name, row.type) for row in analysis.rows] == [
        (row.name, row.type) for row in expected
    ]
    assert analysis.rows == tuple(expected)  # shapes and parameter counts too
    assert analysis.rows[0].name == MODEL_ROW_NAME
    names = [name or MODEL_ROW_NAME for name, _ in model.named_modules()]
    assert [row.name for row in analysis.rows] == names


def test_totals_and_flops(example: tuple[Design, ModelAnalysis, nn.Module]) -> None:
    _, analysis, model = example
    parameters = list(model.parameters())
    assert analysis.parameters == sum(p.numel() for p in parameters) > 0
    assert analysis.parameters == analysis.rows[0].parameters
    assert analysis.parameter_bytes == sum(p.numel() * p.element_size() for p in parameters)
    assert any(isinstance(module, WEIGHTED) for module in model.modules())
    assert analysis.flops_per_sample > 0


def test_every_block_that_became_a_module_is_mapped(
    example: tuple[Design, ModelAnalysis, nn.Module],
) -> None:
    design, analysis, model = example
    modules = dict(model.named_modules())
    for block_id, name in analysis.block_modules.items():
        assert block_id in design.blocks
        assert name in modules, f"{design.describe(block_id)} -> {name}"
    for block_id in design.blocks:
        qualified = design.qualified_name(block_id)
        if qualified in modules:
            assert analysis.block_modules.get(block_id) == qualified
    for kind in ("input", "output"):
        assert not any(design.blocks[block_id].kind == kind for block_id in analysis.block_modules)


def _ids(design: Design) -> dict[str, str]:
    """Qualified block name -> block id."""
    return {design.qualified_name(block_id): block_id for block_id in design.blocks}


def test_block_modules_of_seed_final() -> None:
    design = load_design(EXAMPLES / "seed_final.json")
    analysis = analyse_design(design)
    ids = _ids(design)
    modules = {name: analysis.block_modules.get(ids[name]) for name in ids}
    assert modules["encoder.conv_blocks"] == "encoder.conv_blocks"
    assert modules["decoder.dec_blocks"] == "decoder.dec_blocks"
    assert modules["decoder.last"] == "decoder.last"
    assert modules["x"] is None and modules["out"] is None


def test_block_modules_in_a_class_less_sequential() -> None:
    design = load_design(EXAMPLES / "seed_sequential.json")
    analysis = analyse_design(design)
    by_name = {design.blocks[b].name: module for b, module in analysis.block_modules.items()}
    assert by_name["fc1"] == "decoder.0"
    assert by_name["sigmoid"] == "decoder.1"
    assert by_name["fc2"] == "decoder.2"
    assert by_name["conv_block1"] == "conv_block1"
    types = {row.name: row.type for row in analysis.rows}
    assert (types["decoder"], types["decoder.0"], types["decoder.1"]) == (
        "Sequential",
        "Linear",
        "Sigmoid",
    )


def test_block_modules_of_groups_that_share_a_class() -> None:
    design = load_design(EXAMPLES / "resnet_small.json")
    analysis = analyse_design(design)
    expected = {
        block_id: design.qualified_name(block_id)
        for block_id in design.blocks
        if design.blocks[block_id].kind not in ("input", "output", "add")
    }
    assert analysis.block_modules == expected
    assert {"layer1.conv1", "layer2.conv1", "layer3.conv1"} <= set(expected.values())


def _layer_call(block: Block) -> str:
    """Text the code of a block that is no attribute must hold: its layer call, or for a
    forward-only block the operation it becomes."""
    params = block.params
    activation = ACTIVATIONS_BY_KEY.get(str(params.get("activation", "")))
    match block.kind:
        case "input":
            return "def forward("
        case "output":
            return "return "
        case "add":
            return " + "
        case "concat":
            return "torch.cat("
        case "flatten":
            return ".flatten(" if params["functional"] else "nn.Flatten("
        case "activation":
            assert activation is not None
            if params["functional"] and activation.function is not None:
                return f"{activation.function}("
            return f"nn.{activation.module}("
        case "conv_block" | "conv_stack":
            return "conv_block("
        case "dec_block" | "dec_stack":
            return "dec_block("
        case "linear_stack":
            return "nn.Linear("
    kind = block_kind(block.kind)
    if kind.torch_class is not None:
        return f"nn.{kind.torch_class}("
    if block.kind == "torch_layer":
        return f"nn.{params['class_name']}("
    return ""  # a tensor operation or a learned tensor: its code is tested with its kind


def check_places(design: Design, compiled: CompiledDesign, model: nn.Module) -> None:
    """The compiler's record of where each block went agrees with the source and the model."""
    lines = compiled.source.splitlines()
    tree = ast.parse(compiled.source)
    classes = {
        node.name: (node.lineno, node.end_lineno or node.lineno)
        for node in tree.body
        if isinstance(node, ast.ClassDef)
    }
    modules = dict(model.named_modules())
    paths = [place.module_path for place in compiled.places.values() if place.module_path]
    assert len(set(paths)) == len(paths), "two blocks became one module"
    for block in design.blocks.values():
        if block.kind != "output" or design.inbound(block.id):
            assert block.id in compiled.places, f"{design.describe(block.id)} has no record"
    for block_id, place in compiled.places.items():
        block = design.blocks[block_id]
        where = f"{design.describe(block_id)}: {place}"
        assert place.lines == tuple(sorted(set(place.lines))) and place.lines, where
        first, last = classes[place.class_name]
        assert all(first <= number <= last for number in place.lines), where
        text = "\n".join(lines[number - 1] for number in place.lines)
        flat = " ".join(text.split()).replace("( ", "(").replace(" )", ")")
        if place.attribute is not None:
            assert f"self.{place.attribute} = " in text, where
            if place.module_path is None:  # an attribute that is no module: a learned tensor
                assert becomes_no_module(block), where
            else:
                assert place.module_path.rpartition(".")[2] == place.attribute == block.name, where
        else:
            assert _layer_call(block) in flat, where
        if place.module_path is not None:
            assert place.module_path in modules, where
            assert type(modules[place.module_path]).__name__ in type_names(block), where
        else:
            assert becomes_no_module(block), where
        if block.kind == "input":  # its argument: its name, made safe (``input_``, ``x_1``)
            assert place.class_name == compiled.class_name, where
            assert re.search(rf"\b{re.escape(block.name)}\w*: torch\.Tensor", flat), where


def type_names(block: Block) -> set[str]:
    """The module types a block may become."""
    if block.kind.endswith("_stack"):
        return {"Sequential", "ModuleList"}
    if block.kind in ("conv_block", "dec_block"):
        return {"Sequential"}
    return {_layer_call(block).removeprefix("nn.").removesuffix("(")}


def becomes_no_module(block: Block) -> bool:
    """Ends, merges, tensor operations, functional blocks, and learned tensors (parameters)."""
    kind = block_kind(block.kind)
    return not kind.becomes_module(block.params) or block.kind == "learned_tensor"


def test_every_block_has_its_place(example: tuple[Design, ModelAnalysis, nn.Module]) -> None:
    design, analysis, model = example
    compiled = compile_design(design, None)
    check_places(design, compiled, model)
    assert analysis.source != compiled.source  # the header names the file: lines move
    analysis = analyse_design(design)
    assert analysis.block_lines == {b: place.lines for b, place in compiled.places.items()}
    modules = {b: place.module_path for b, place in compiled.places.items() if place.module_path}
    assert analysis.block_modules == modules


def test_the_record_is_the_same_whatever_the_file_name() -> None:
    """The header's length (wrapped to the line length) moves every line: the record follows."""
    design = load_design(EXAMPLES / "unet_small.json")
    short = compile_design(design, "u.json")
    long = compile_design(design, "a much longer file name " * 6 + ".json")
    shift = len(long.source.splitlines()) - len(short.source.splitlines())
    assert shift > 0
    for block_id, place in short.places.items():
        moved = long.places[block_id]
        assert moved.lines == tuple(number + shift for number in place.lines)
        assert (moved.class_name, moved.attribute, moved.module_path) == (
            place.class_name,
            place.attribute,
            place.module_path,
        )


def test_the_record_travels_to_a_worker() -> None:
    compiled = compile_design(load_design(EXAMPLES / "seed_final.json"))
    assert pickle.loads(pickle.dumps(compiled.places)) == compiled.places


def test_every_module_block_of_a_class_has_lines(
    example: tuple[Design, ModelAnalysis, nn.Module],
) -> None:
    """Blocks that are attributes (their qualified name is a module) have their lines."""
    design, analysis, _ = example
    for block_id, module in analysis.block_modules.items():
        if module == design.qualified_name(block_id):
            assert block_id in analysis.block_lines, design.describe(block_id)


def test_block_lines_of_seed_final() -> None:
    design = load_design(EXAMPLES / "seed_final.json")
    analysis = analyse_design(design)
    lines = analysis.source.splitlines()
    ids = _ids(design)
    last = [lines[n - 1].strip() for n in analysis.block_lines[ids["decoder.last"]]]
    assert any(line.startswith("self.last = nn.Linear(") for line in last)
    assert any("self.last(" in line for line in last)
    conv = [lines[n - 1] for n in analysis.block_lines[ids["encoder.conv_blocks"]]]
    assert any("self.conv_blocks = " in line for line in conv)
    assert any("conv_blocks_sizes" in line for line in conv)
    assert ids["flat"] not in analysis.block_modules  # flattened in forward, no module
    assert [lines[n - 1].strip() for n in analysis.block_lines[ids["flat"]]] == ["x = x.flatten(1)"]


def _chain_design(name: str, *kinds_and_params: tuple[str, str, dict[str, object]]) -> Design:
    design = Design(name)
    ids = [design.add_block("input", name="x", params={"shape": [1, 8]}).id]
    for kind, block_name, params in kinds_and_params:
        ids.append(design.add_block(kind, name=block_name, params=params).id)
    ids.append(design.add_block("output", name="out").id)
    for source, target in pairwise(ids):
        design.connect(source, target)
    return design


def test_blocks_in_nested_class_less_sequentials_are_mapped() -> None:
    design = _chain_design(
        "Nested",
        ("linear", "fc1", {"out_features": 16}),
        ("linear", "fc2", {"out_features": 4}),
        ("linear", "fc3", {"out_features": 4}),
    )
    ids = _ids(design)
    inner = design.add_group("inner", [ids["fc1"], ids["fc2"]])
    design.add_group("outer", [ids["fc3"]], [inner.id])
    analysis = analyse_design(design)
    assert "nn.Sequential(nn.Linear(8, 16), nn.Linear(16, 4))" in analysis.source
    by_name = {design.blocks[b].name: module for b, module in analysis.block_modules.items()}
    assert by_name == {"fc1": "outer.0.0", "fc2": "outer.0.1", "fc3": "outer.1"}
    rows = {row.name: row.type for row in analysis.rows}
    assert all(rows[module] == "Linear" for module in by_name.values())


def test_blocks_of_a_class_less_group_that_became_a_class_have_lines() -> None:
    """A class-less group that is no plain chain becomes a class of a derived name
    (``head`` -> ``Head``): its blocks' lines are in that class, not in the model's."""
    design = _chain_design(
        "Net",
        ("linear", "fc1", {"out_features": 16}),
        ("activation", "act", {"functional": True}),
        ("linear", "fc2", {"out_features": 4}),
        ("linear", "fc3", {"out_features": 4}),
    )
    ids = _ids(design)
    design.add_group("head", [ids["fc1"], ids["act"], ids["fc2"]])
    ids = _ids(design)
    analysis = analyse_design(design)
    assert "class Head(nn.Module)" in analysis.source
    assert analysis.block_modules[ids["head.fc1"]] == "head.fc1"
    lines = analysis.source.splitlines()
    head_start = lines.index("class Head(nn.Module):") + 1
    net_start = lines.index("class Net(nn.Module):") + 1
    for name in ("head.fc1", "head.fc2"):
        numbers = analysis.block_lines[ids[name]]
        attribute = name.split(".")[1]
        assert all(head_start < number < net_start for number in numbers)
        assert any(f"self.{attribute} = nn.Linear(" in lines[n - 1] for n in numbers)
        assert any(f"self.{attribute}(" in lines[n - 1] for n in numbers)


def test_a_group_in_a_sequential_that_became_a_class_has_lines() -> None:
    """A class-less group that isn't a chain (a class, ``Inner``) inside one that is (an
    ``nn.Sequential``): its blocks are ``outer.0.<name>`` and their lines are in ``Inner``."""
    design = _chain_design(
        "Net",
        ("linear", "fc1", {"out_features": 16}),
        ("activation", "act", {"functional": True}),
        ("linear", "fc2", {"out_features": 4}),
        ("linear", "fc3", {"out_features": 4}),
    )
    ids = _ids(design)
    inner = design.add_group("inner", [ids["fc1"], ids["act"], ids["fc2"]])
    design.add_group("outer", [ids["fc3"]], [inner.id])
    ids = _ids(design)
    analysis = analyse_design(design)
    assert "self.outer = nn.Sequential(Inner(), nn.Linear(4, 4))" in analysis.source
    assert analysis.block_modules[ids["outer.inner.fc1"]] == "outer.0.fc1"
    assert analysis.block_modules[ids["outer.fc3"]] == "outer.1"
    # a Sequential's member has no attribute: its lines are the statement that builds it
    outer = [analysis.source.splitlines()[n - 1] for n in analysis.block_lines[ids["outer.fc3"]]]
    assert outer == ["        self.outer = nn.Sequential(Inner(), nn.Linear(4, 4))"]
    lines = analysis.source.splitlines()
    inner_lines = range(lines.index("class Inner(nn.Module):") + 1, len(lines))
    for name in ("fc1", "fc2"):
        numbers = analysis.block_lines[ids[f"outer.inner.{name}"]]
        assert all(number in inner_lines for number in numbers)
        assert lines[numbers[0] - 1].strip().startswith(f"self.{name} = ")


def test_a_block_named_like_the_forward_s_main_line_has_only_its_lines() -> None:
    """``x`` is the group's forward argument and main line: a block called ``x`` in a group
    names its attribute, not every line that reads ``x``."""
    design = _chain_design(
        "Net",
        ("linear", "fc1", {"out_features": 16}),
        ("activation", "act", {"functional": True}),
        ("linear", "y", {"out_features": 4}),
        ("linear", "fc3", {"out_features": 4}),
    )
    ids = _ids(design)
    design.add_group("head", [ids["fc1"], ids["act"], ids["y"]])
    design.rename_block(ids["y"], "x")
    analysis = analyse_design(design)
    lines = analysis.source.splitlines()
    marked = [lines[n - 1].strip() for n in analysis.block_lines[ids["y"]]]
    assert marked == ["self.x = nn.Linear(16, 4)", "return self.x(x)"]


def test_flops_of_a_model_that_cannot_run_a_batch_of_one() -> None:
    """Batch norm without running statistics needs more than one sample: the analysis
    counts FLOPs over the design's own batch, per sample."""
    design = Design("Net")
    ids = [
        design.add_block("input", name="x", params={"shape": [4, 8]}).id,
        design.add_block("linear", name="fc", params={"out_features": 16}).id,
        design.add_block("batch_norm1d", name="bn", params={"track_running_stats": False}).id,
        design.add_block("output", name="out").id,
    ]
    for source, target in pairwise(ids):
        design.connect(source, target)
    analysis = analyse_design(design)
    compiled = compile_design(design)
    assert analysis.flops_per_sample == 2 * 8 * 16
    assert analysis.flops_per_sample == forward_flops(compiled, design, 4) // 4
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        forward_flops(compiled, design, 1)


def test_blocks_named_out_and_x_in_the_model_get_only_their_lines() -> None:
    """The input ``x`` is read twice, so the main line is ``out``; a block is called ``out``
    too (and a functional flatten ``x_1``, the name a second ``x`` would take): each gets its
    own statements and no other, though ``out`` and ``x`` are on nearly every line."""
    design = Design("Net")
    image = design.add_block("input", name="x", params={"shape": [1, 2, 4, 4]}).id
    conv = design.add_block("conv2d", name="out", params={"out_channels": 2, "padding": 1}).id
    add = design.add_block("add", name="sum", params={"inputs": 2}).id
    flat = design.add_block("flatten", name="x_1", params={"functional": True}).id
    last = design.add_block("linear", name="fc", params={"out_features": 3}).id
    end = design.add_block("output", name="y").id
    design.connect(image, conv)
    design.connect(conv, add, "in0")
    design.connect(image, add, "in1")
    for source, target in pairwise([add, flat, last, end]):
        design.connect(source, target)
    analysis = analyse_design(design)
    lines = analysis.source.splitlines()

    def marked(block_id: str) -> list[str]:
        return [lines[n - 1].strip() for n in analysis.block_lines[block_id]]

    assert marked(conv) == [
        "self.out = nn.Conv2d(2, 2, kernel_size=3, padding=1)",
        "out = self.out(x)",
    ]
    assert marked(add) == ["out = out + x"]
    assert marked(flat) == ["out = out.flatten(1)"]
    assert marked(last) == ["self.fc = nn.Linear(32, 3)", "return self.fc(out)"]
    assert marked(image) == ["def forward(self, x: torch.Tensor) -> torch.Tensor:"]
    assert marked(end) == ["return self.fc(out)"]
    assert analysis.block_modules == {conv: "out", last: "fc"}


@settings(
    max_examples=examples(40),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(design=designs())
def test_random_designs_map_blocks_to_their_modules_and_lines(design: Design) -> None:
    assume(check_design(design).ok)
    note(dumps_design(design))
    compiled = compile_design(design)
    model = build_model(compiled)
    check_places(design, compiled, model)
    analysis = analyse_design(design)
    types = {row.name: row.type for row in analysis.rows}
    assert analysis.printed == str(model)
    assert analysis.parameters == sum(p.numel() for p in model.parameters())
    assert analysis.block_lines == {b: place.lines for b, place in compiled.places.items()}
    assert set(analysis.block_modules.values()) <= set(types)
    for block_id in design.blocks:
        if design.qualified_name(block_id) in types:
            assert analysis.block_modules.get(block_id) == design.qualified_name(block_id)
