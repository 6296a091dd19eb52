"""The model analysis behind the app's model and code panels: ``print(model)``, the module rows,
totals, FLOPs, and which module and which source lines each block became."""

from __future__ import annotations

import ast
import re
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, note, settings
from torch import nn

from designer.compiler import build_model, compile_design
from designer.compiler.analysis import ModelAnalysis, analyse_design
from designer.compiler.inputs import example_inputs
from designer.compiler.summary import MODEL_ROW_NAME, module_rows
from designer.graph import Design, check_design, dumps_design, load_design
from designer.runtime.flops import forward_flops
from tests.compiler.design_strategies import designs
from tests.paths import EXAMPLES

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


def _statement_spans(source: str) -> list[tuple[int, int, str]]:
    """(first line, last line, text) of every statement that is not a compound one."""
    compound = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.If, ast.For, ast.With)
    spans = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.stmt) and not isinstance(node, compound):
            text = ast.get_source_segment(source, node) or ""
            spans.append((node.lineno, node.end_lineno or node.lineno, text))
    return spans


def test_block_lines_name_the_block(example: tuple[Design, ModelAnalysis, nn.Module]) -> None:
    design, analysis, _ = example
    lines = analysis.source.splitlines()
    spans = _statement_spans(analysis.source)
    assert analysis.block_lines, "no block has lines"
    for block_id, numbers in analysis.block_lines.items():
        block = design.blocks[block_id]
        assert numbers == tuple(sorted(set(numbers)))
        assert all(1 <= number <= len(lines) for number in numbers)
        text = [lines[number - 1] for number in numbers]
        if block.kind == "input":  # the forward's signature takes it
            assert all(line.strip().startswith("def forward(") for line in text)
            assert all(block.name in line for line in text)
            continue
        word = re.compile(rf"\b{re.escape(block.name)}(_sizes)?\b")
        assert any(f"self.{block.name}" in line for line in text), (block.name, text)
        for number in numbers:  # each line belongs to a statement that names the block
            around = [s for s in spans if s[0] <= number <= s[1] and word.search(s[2])]
            assert around, f"{block.name}: line {number} {lines[number - 1]!r}"


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
    assert ids["flat"] not in analysis.block_lines  # flattened in forward, no module


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
    assert ids["outer.fc3"] not in analysis.block_lines  # a Sequential's member: no attribute
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


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(design=designs())
def test_random_designs_map_blocks_to_their_modules_and_lines(design: Design) -> None:
    assume(check_design(design).ok)
    note(dumps_design(design))
    analysis = analyse_design(design)
    model = build_model(compile_design(design))
    types = {row.name: row.type for row in analysis.rows}
    assert analysis.printed == str(model)
    assert analysis.parameters == sum(p.numel() for p in model.parameters())
    mapped = analysis.block_modules
    assert len(set(mapped.values())) == len(mapped)  # one block per module
    for block_id in design.blocks:
        if design.qualified_name(block_id) in types:
            assert mapped.get(block_id) == design.qualified_name(block_id)
    lines = analysis.source.splitlines()
    classes = {
        node.name: (node.lineno, node.end_lineno or node.lineno)
        for node in ast.parse(analysis.source).body
        if isinstance(node, ast.ClassDef)
    }
    spans = _statement_spans(analysis.source)
    for block_id, module in mapped.items():
        block = design.blocks[block_id]
        assert module in types
        parent = module.rpartition(".")[0]
        if module.rpartition(".")[2] != block.name:  # a Sequential's member: no attribute
            assert block_id not in analysis.block_lines
            continue
        first, last = classes[types[parent] if parent else analysis.class_name]
        numbers = analysis.block_lines[block_id]
        assert all(first <= number <= last for number in numbers), (module, numbers)
        assert any(f"self.{block.name}" in lines[number - 1] for number in numbers)
        word = re.compile(rf"\b{re.escape(block.name)}(_sizes)?\b")
        for number in numbers:
            assert any(s[0] <= number <= s[1] and word.search(s[2]) for s in spans)
