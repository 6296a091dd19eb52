"""Shared fixtures: small designs built through the public API."""

from __future__ import annotations

import os

# no test needs a screen: Qt's offscreen platform unless the caller names another, set before
# pytest-qt or any test makes the QApplication
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator
from itertools import pairwise

import pytest
from hypothesis import settings

from designer.graph import Design
from designer.graph.events import ListenerFailure, report_listener_failures
from tests.profiles import load_profile_from_environment

HYPOTHESIS_PROFILE = load_profile_from_environment()


def pytest_report_header() -> str:
    examples = settings.default.max_examples
    return (
        f"hypothesis: {examples} examples a test unless it sets its own budget (tests/profiles.py)"
    )


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


@pytest.fixture(autouse=True)
def listener_failures() -> Iterator[list[ListenerFailure]]:
    """Every design listener that raised during the test; any left here fail it.

    A view that falls out of step with its design would otherwise only log it while every
    test stays green. A test that makes a listener fail on purpose clears the list.
    """
    failures: list[ListenerFailure] = []
    stop = report_listener_failures(failures.append)
    yield failures
    stop()
    if failures:
        pytest.fail("a design listener raised: " + "; ".join(f.describe() for f in failures))
