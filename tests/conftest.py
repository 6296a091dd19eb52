"""Shared fixtures: small designs built through the public API."""

from __future__ import annotations

from itertools import pairwise

import pytest

from designer.graph import Design


@pytest.fixture
def chain() -> Design:
    """input 1x3x32x32 -> conv block (16) -> conv block (32) -> flatten -> linear 10 -> output."""
    design = Design("Chain")
    ids = [
        design.add_block("input", name="x", params={"shape": [1, 3, 32, 32]}).id,
        design.add_block("conv_block", name="conv1", params={"out_channels": 16}).id,
        design.add_block("conv_block", name="conv2", params={"out_channels": 32}).id,
        design.add_block("flatten", name="flat").id,
        design.add_block("linear", name="fc", params={"out_features": 10}).id,
        design.add_block("output", name="out").id,
    ]
    for source, target in pairwise(ids):
        design.connect(source, target)
    return design


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--regen-golden",
        action="store_true",
        help="rewrite tests/golden from the current output instead of comparing with it",
    )


@pytest.fixture
def regen_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--regen-golden"))
