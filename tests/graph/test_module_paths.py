"""The paths ``check`` shows are the ones the compiled model's ``named_modules()`` gives.

The graph side works out which class-less groups become an ``nn.Sequential`` on its own; these
tests hold it in step with the compiler on every example and on random designs.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, note, settings
from torch import nn

from designer.check_report import report_json
from designer.compiler import build_model, compile_design
from designer.graph import CATALOGUE, Design, check_design, dumps_design, load_design
from tests.compiler.design_strategies import designs
from tests.paths import EXAMPLES


def assert_paths_match_the_model(design: Design) -> None:
    """Every block that becomes a module sits at its module path, with its parameters; every
    group that holds blocks sits at its own."""
    report = check_design(design)
    assert report.ok, report.problems
    modules = dict(build_model(compile_design(design)).named_modules())
    paths = design.module_paths()
    for block_id, block in design.blocks.items():
        path = paths.blocks[block_id]
        module = modules.get(path)
        if module is None:  # no module of its own: an end, a merge, a tensor operation, a
            # function call or a learned tensor (a parameter)
            kind = CATALOGUE[block.kind]
            assert not kind.becomes_module(block.params) or block.kind == "learned_tensor", (
                f"{design.describe(block_id)} is not in named_modules()"
            )
            continue
        parameters = sum(parameter.numel() for parameter in module.parameters())
        assert parameters == report.results[block_id].parameters, design.describe(block_id)
        kind = CATALOGUE[block.kind]
        if kind.torch_class is not None:
            assert type(module).__name__ == kind.torch_class, design.describe(block_id)
    for group_id, path in paths.groups.items():
        if any(design.blocks[b].group == group_id for b in design.blocks):
            assert isinstance(modules.get(path), nn.Module), path
    for group_id in paths.sequentials:
        assert isinstance(modules[paths.groups[group_id]], nn.Sequential)


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.json")), ids=lambda p: p.stem)
def test_every_example_is_named_as_its_model_names_it(path: Path) -> None:
    assert_paths_match_the_model(load_design(path))


@settings(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(design=designs())
def test_random_designs_are_named_as_their_models_name_them(design: Design) -> None:
    assume(check_design(design).ok)
    note(dumps_design(design))
    assert_paths_match_the_model(design)


def _chain(*names: str) -> tuple[Design, dict[str, str]]:
    design = Design("Net")
    previous = design.add_block("input", name="x", params={"shape": [1, 8]}).id
    ids = {}
    for name in names:
        block = design.add_block("linear", name=name, params={"out_features": 8})
        design.connect(previous, block.id)
        previous = ids[name] = block.id
    design.connect(previous, design.add_block("output", name="out").id)
    return design, ids


def test_a_class_less_chain_numbers_its_children_and_check_says_so() -> None:
    design, ids = _chain("fc1", "fc2", "fc3")
    stage = design.add_group("stage1", [ids["fc1"], ids["fc2"]])
    assert design.module_path(ids["fc2"]) == "stage1.1"
    assert design.qualified_name(ids["fc2"]) == "stage1.fc2"  # the key by names stays
    rows = {row["id"]: row for row in report_json(design, check_design(design))["blocks"]}
    assert rows[ids["fc1"]]["qualified_name"] == "stage1.0"
    assert rows[ids["fc1"]]["group"] == "stage1"
    design.set_group_class(stage.id, "Stage")  # a class keeps the names
    assert design.module_path(ids["fc2"]) == "stage1.fc2"
    assert_paths_match_the_model(design)


def test_nested_groups_number_at_each_class_less_level() -> None:
    design, ids = _chain("fc1", "fc2", "fc3")
    inner = design.add_group("res1", [ids["fc1"], ids["fc2"]], class_name="Res")
    outer = design.add_group("stage1", [ids["fc3"]], [inner.id])
    assert design.module_path(ids["fc1"]) == "stage1.0.fc1"
    assert design.module_paths().groups[inner.id] == "stage1.0"
    assert design.module_paths().sequentials == {outer.id: (inner.id, ids["fc3"])}
    assert_paths_match_the_model(design)


def test_a_message_names_a_block_by_its_module_path() -> None:
    design, ids = _chain("fc1", "fc2")
    design.add_group("stage1", [ids["fc1"], ids["fc2"]])
    design.set_param(ids["fc2"], "in_features", 3)  # pinned, and wrong
    (problem,) = check_design(design).problems
    assert problem.message.startswith("Linear 'stage1.1' expects 3 input features")


def test_a_chain_that_breaks_keeps_the_names() -> None:
    """An edit that makes the group no chain (a second reader) turns it into a class."""
    design, ids = _chain("fc1", "fc2", "fc3")
    design.add_group("stage1", [ids["fc1"], ids["fc2"]])
    assert design.module_path(ids["fc1"]) == "stage1.0"
    spare = design.add_block("linear", name="spare", params={"out_features": 8})
    design.connect(ids["fc1"], spare.id)
    assert design.module_path(ids["fc1"]) == "stage1.fc1"
