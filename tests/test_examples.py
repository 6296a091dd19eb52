"""The shipped examples match the seed's own models (bugs fixed) in shapes and parameters."""

from __future__ import annotations

import pytest
import torch

from designer.graph import check_design, load_design
from tests.paths import EXAMPLES
from tests.seed_models import SEED_MODELS


def test_every_seed_stage_has_an_example_and_a_reference() -> None:
    assert {path.stem for path in EXAMPLES.glob("seed_*.json")} == set(SEED_MODELS)


@pytest.mark.parametrize("name", sorted(SEED_MODELS))
def test_seed_example_matches_the_seed_model(name: str) -> None:
    factory, input_shape = SEED_MODELS[name]
    design = load_design(EXAMPLES / f"{name}.json")
    report = check_design(design)
    assert report.ok, report.problems
    (input_block,) = [block for block in design.blocks.values() if block.kind == "input"]
    (output_block,) = [block for block in design.blocks.values() if block.kind == "output"]
    assert input_block.params["shape"] == input_shape
    with torch.device("meta"):
        model = factory().eval()
        output = model(torch.empty(input_shape))
    assert report.results[output_block.id].shape == tuple(output.shape)
    assert report.total_parameters == sum(p.numel() for p in model.parameters())


def test_seed_final_is_the_articles_final_model() -> None:
    design = load_design(EXAMPLES / "seed_final.json")
    assert design.class_name == "MyCustomCNN"
    groups = {group.name: group.class_name for group in design.groups.values()}
    assert groups == {"encoder": "MyEncoder", "decoder": "MyDecoder"}
    stack = next(block for block in design.blocks.values() if block.name == "conv_blocks")
    assert stack.params["activation"] == "lrelu"
    assert stack.params["sizes"] == (32, 64)
