"""Compiling and building pause the cyclic collector, and leave it as they found it."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from itertools import pairwise

import pytest

from designer.compiler import build_model, compile_design
from designer.compiler.collection_pause import collection_paused
from designer.graph import Design


@pytest.fixture
def collector_on() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.enable()
    yield
    if not was_enabled:
        gc.disable()


@pytest.mark.usefixtures("collector_on")
def test_the_collector_is_paused_inside_and_restored_after() -> None:
    with collection_paused():
        assert not gc.isenabled()
        with collection_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner pause does not end the outer one
    assert gc.isenabled()


@pytest.mark.usefixtures("collector_on")
def test_a_failure_inside_still_restores_it() -> None:
    with pytest.raises(ValueError, match="inside"), collection_paused():
        raise ValueError("inside")
    assert gc.isenabled()


def test_a_disabled_collector_stays_disabled() -> None:
    gc.disable()
    try:
        with collection_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def collections() -> int:
    return sum(stats["collections"] for stats in gc.get_stats())


def deep_chain(blocks: int) -> Design:
    design = Design("Deep")
    ids = [design.add_block("input", name="x", params={"shape": [1, 4, 8, 8]}).id]
    ids += [
        design.add_block("conv_block", name=f"conv{index}", params={"out_channels": 4}).id
        for index in range(blocks)
    ]
    ids.append(design.add_block("output", name="out").id)
    for source, target in pairwise(ids):
        design.connect(source, target)
    return design


@pytest.mark.usefixtures("collector_on")
def test_compiling_and_building_collect_once_each_at_most_when_done() -> None:
    design = deep_chain(200)  # unpaused, compiling and building it collect about 30 times
    compile_design(design)  # imports and caches warm: what is left is the burst itself
    gc.collect()
    before = collections()
    model = build_model(compile_design(design))
    # the allocations counted while paused set off one collection as each call ends
    assert collections() - before <= 2
    assert gc.isenabled()
    assert sum(1 for _ in model.modules()) > 200
