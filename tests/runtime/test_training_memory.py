"""Training memory: the estimate from the design (exact parts, activations within a factor of
what autograd saves) and the measured peak of a step on the CPU."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise
from typing import Any

import pytest
import torch
from torch import nn

from designer.compiler import build_model, compile_design
from designer.graph import Design, load_design
from designer.runtime.memory import (
    OPTIMIZER_STATE_FACTOR,
    estimate_training_memory,
    measure_step_memory,
)
from designer.runtime.settings import MeasureSettings
from designer.runtime.train_step import measure_train_step
from tests.paths import EXAMPLES

QUICK = {"device": "cpu", "mode": "train", "warmup": 1, "min_run_time": 0.02, "max_run_time": 0.1}
ACTIVATION_FACTOR = 1.5
"""The activations estimate is within this factor of the bytes autograd saves, either way, on
the small examples below (LSTMs are outside it: their CPU kernels keep more per step)."""


@pytest.fixture(autouse=True)
def one_thread() -> Iterator[None]:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _chain(name: str, blocks: list[tuple[str, dict[str, object]]]) -> Design:
    design = Design(name)
    ids = [
        design.add_block(kind, name=f"b{index}", params=params).id
        for index, (kind, params) in enumerate(blocks)
    ]
    for source, target in pairwise(ids):
        design.connect(source, target)
    return design


def mlp() -> Design:
    """1x20 -> Linear(20, 30) -> ReLU -> Linear(30, 5)."""
    return _chain(
        "Mlp",
        [
            ("input", {"shape": [1, 20]}),
            ("linear", {"out_features": 30}),
            ("activation", {"activation": "relu"}),
            ("linear", {"out_features": 5}),
            ("output", {}),
        ],
    )


PARAMETER_BYTES = (20 * 30 + 30 + 30 * 5 + 5) * 4


def _estimate(design: Design, **options: Any) -> Any:
    compiled = compile_design(design)
    arguments: dict[str, Any] = {
        "batch": 4, "element_size": 4, "optimizer": "sgd", "loss": "sum", **options
    }  # fmt: skip
    return estimate_training_memory(build_model(compiled), design, compiled.report, **arguments)


@pytest.mark.parametrize(("optimizer", "factor"), [("sgd", 0), ("sgd_momentum", 1), ("adamw", 2)])
def test_parameters_gradients_and_state_are_exact(optimizer: str, factor: int) -> None:
    estimate = _estimate(mlp(), optimizer=optimizer)
    assert estimate.parameter_bytes == estimate.gradient_bytes == PARAMETER_BYTES
    assert estimate.optimizer_state_bytes == factor * PARAMETER_BYTES
    assert OPTIMIZER_STATE_FACTOR[optimizer] == factor


def test_adamw_state_is_twice_the_parameters_as_adamw_keeps_it() -> None:
    model = nn.Sequential(nn.Linear(20, 30), nn.ReLU(), nn.Linear(30, 5))
    optimizer = torch.optim.AdamW(model.parameters())
    model(torch.rand(4, 20)).sum().backward()
    optimizer.step()
    moments = sum(
        tensor.numel() * tensor.element_size()
        for state in optimizer.state.values()
        for key, tensor in state.items()
        if key != "step"
    )
    assert (
        moments == 2 * PARAMETER_BYTES == _estimate(mlp(), optimizer="adamw").optimizer_state_bytes
    )


def test_the_mlp_activations_are_what_autograd_keeps() -> None:
    # the first linear keeps the input (counted as an input), relu its output (which the second
    # linear keeps too: once); the sum loss keeps nothing
    estimate = _estimate(mlp())
    assert estimate.input_bytes == 4 * 20 * 4
    assert estimate.activation_bytes == 4 * 30 * 4
    assert _estimate(mlp(), loss="mse").activation_bytes == 4 * 30 * 4 + 4 * 5 * 4


def test_the_estimate_scales_with_the_batch() -> None:
    one, eight = _estimate(mlp(), batch=1), _estimate(mlp(), batch=8)
    assert eight.activation_bytes == 8 * one.activation_bytes
    assert eight.parameter_bytes == one.parameter_bytes


@pytest.mark.parametrize(
    "name", ["lenet5", "resnet_small", "m5_audio", "unet_small", "vit_small", "gpt_small"]
)
def test_activations_are_within_a_factor_of_what_autograd_saves(name: str) -> None:
    design = load_design(EXAMPLES / f"{name}.json")
    [result] = measure_train_step(
        compile_design(design), design, MeasureSettings(**QUICK, batches=(4,), loss="sum")
    )
    measured = result.measured_activation_bytes
    assert measured is not None and measured > 0
    ratio = result.estimated_activation_bytes / measured
    assert 1 / ACTIVATION_FACTOR <= ratio <= ACTIVATION_FACTOR, ratio


@pytest.mark.parametrize("optimizer", ["sgd", "adamw"])
def test_the_measured_peak_covers_the_parameters_and_gradients(optimizer: str) -> None:
    [result] = measure_train_step(
        compile_design(mlp()), mlp(), MeasureSettings(**QUICK, batches=(4,), optimizer=optimizer)
    )
    memory = result.memory
    assert result.peak_memory_method == "profiler"
    assert result.peak_memory_bytes is not None
    floor = memory.parameter_bytes + memory.gradient_bytes + memory.optimizer_state_bytes
    assert result.peak_memory_bytes >= floor
    assert result.estimate_error == pytest.approx(
        (result.estimated_bytes - result.peak_memory_bytes) / result.peak_memory_bytes
    )


def test_a_measured_cpu_step_counts_its_allocations_on_top_of_what_is_live() -> None:
    model = nn.Linear(100, 100)
    inputs = torch.rand(64, 100)

    def step() -> None:
        model(inputs).sum().backward()

    measured = measure_step_memory(step, torch.device("cpu"), [*model.parameters(), inputs])
    live = (100 * 100 + 100 + 64 * 100) * 4
    # at least the output and the gradients, on top of what was live
    assert measured.peak_bytes is not None
    assert measured.peak_bytes >= live + 64 * 100 * 4
    assert measured.method == "profiler"
    # linear saves its input (left out: live) and its weight (a parameter): nothing else
    assert measured.activation_bytes == 0
