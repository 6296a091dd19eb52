"""Training steps in-process and through the worker: phases, memory, variants, refusals (CPU)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import pairwise
from typing import Any

import pytest
import torch
from torch import nn

from designer.compiler import build_model, compile_design
from designer.graph import Design, load_design
from designer.runtime import RuntimeSettingsError, TooLargeError, TorchWorker
from designer.runtime import train_step as train_step_module
from designer.runtime.results import TrainResult
from designer.runtime.settings import MeasureSettings
from designer.runtime.train_step import measure_train_step, training_memory
from tests.paths import EXAMPLES

QUICK = {"device": "cpu", "mode": "train", "warmup": 1, "min_run_time": 0.02, "max_run_time": 0.2}
"""Short timing budgets: these tests check plumbing and sums, not accuracy."""


@pytest.fixture(autouse=True)
def one_thread() -> Iterator[None]:
    """One thread: with the CPU's cores shared by other work, threads waiting on each other
    swamp the times these tests compare."""
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


def linear_design(dtype: str = "float32") -> Design:
    """1x20 -> Linear(20, 30): an output of N x 30."""
    return _chain(
        "Lin",
        [
            ("input", {"shape": [1, 20], "dtype": dtype}),
            ("linear", {"out_features": 30}),
            ("output", {}),
        ],
    )


def conv_design() -> Design:
    """1x3x8x8 -> Conv2d(3, 4, 3, padding=1): an output of N x 4 x 8 x 8."""
    return _chain(
        "Conv",
        [
            ("input", {"shape": [1, 3, 8, 8]}),
            ("conv2d", {"out_channels": 4, "kernel_size": 3}),
            ("output", {}),
        ],
    )


def _run(design: Design, **settings: Any) -> list[TrainResult]:
    options: dict[str, Any] = {**QUICK, **settings}
    return measure_train_step(compile_design(design), design, MeasureSettings(**options))


def test_the_phases_are_positive_and_add_up_to_the_step() -> None:
    lenet = load_design(EXAMPLES / "lenet5.json")
    [result] = _run(lenet, batches=(8,), min_run_time=0.3, max_run_time=1.0)
    phases = result.phases
    for phase in (phases.forward, phases.backward, phases.step):
        assert 0 < phase.p10_s <= phase.median_s <= phase.p90_s
    assert 0 < result.p10_s <= result.median_s <= result.p90_s
    assert result.runs > 0 and phases.runs >= 3
    total = phases.forward.median_s + phases.backward.median_s + phases.step.median_s
    # the phases are timed in steps of their own, synchronised between phases: on a loaded
    # machine they drift from the whole step, so only a gross mismatch fails here;
    # bench/timing_accuracy.py holds the runner to 5% on a quiet one
    assert result.median_s / 2.5 < total < result.median_s * 2.5
    assert result.throughput == pytest.approx(8 / result.median_s)


def test_a_result_says_what_ran() -> None:
    [result] = _run(linear_design(), batches=(4,), optimizer="adamw", loss="mse")
    assert (result.batch, result.device, result.device_name) == (4, "cpu", "CPU")
    assert (result.optimizer, result.loss, result.dtype) == ("adamw", "mse", "fp32")
    assert not result.compiled and not result.channels_last
    assert result.compile_s is None
    assert result.peak_memory_bytes is not None and result.peak_memory_method == "profiler"
    assert result.threads == 1


def test_sgd_changes_the_parameters(monkeypatch: pytest.MonkeyPatch) -> None:
    trained: list[tuple[nn.Module, dict[str, torch.Tensor]]] = []
    materialized = train_step_module.materialized

    def remembering(model: nn.Module, device: torch.device, *, channels_last: bool) -> nn.Module:
        real = materialized(model, device, channels_last=channels_last)
        trained.append((real, {name: value.clone() for name, value in real.state_dict().items()}))
        return real

    monkeypatch.setattr(train_step_module, "materialized", remembering)
    _run(linear_design(), batches=(2,))
    [(model, before)] = trained
    assert model.training
    for name, value in model.state_dict().items():
        assert not torch.equal(value, before[name]), name


def test_the_memory_pieces() -> None:
    model = build_model(compile_design(linear_design()))
    parameter_bytes = (20 * 30 + 30) * 4
    sgd = training_memory(model, "sgd", "Lin")
    assert (sgd.parameter_bytes, sgd.gradient_bytes, sgd.optimizer_state_bytes) == (
        parameter_bytes,
        parameter_bytes,
        0,
    )
    adamw = training_memory(model, "adamw", "Lin")
    assert adamw.optimizer_state_bytes == 2 * parameter_bytes


def test_the_adamw_estimate_is_the_state_adamw_keeps() -> None:
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
    assert training_memory(model, "adamw", "Net").optimizer_state_bytes == moments


def test_results_carry_the_memory_and_an_estimate_above_it() -> None:
    [result] = _run(linear_design(), batches=(2,), optimizer="adamw")
    parameter_bytes = (20 * 30 + 30) * 4
    assert result.memory.parameter_bytes == result.memory.gradient_bytes == parameter_bytes
    assert result.memory.optimizer_state_bytes == 2 * parameter_bytes
    assert result.estimated_bytes > 4 * parameter_bytes


@pytest.mark.parametrize("dtype", ["bf16", "fp16"])
@pytest.mark.parametrize("loss", ["cross_entropy", "mse", "sum"])
def test_autocast_dtypes_and_every_loss_run(dtype: str, loss: str) -> None:
    [result] = _run(conv_design(), dtype=dtype, loss=loss, batches=(2,))
    assert result.dtype == dtype and result.loss == loss and result.median_s > 0


def test_channels_last_runs_and_needs_a_4d_input() -> None:
    [result] = _run(conv_design(), channels_last=True, batches=(2,))
    assert result.channels_last
    with pytest.raises(RuntimeSettingsError, match="channels_last needs a 4-d"):
        _run(linear_design(), channels_last=True)


def test_compile_time_is_the_first_forward_and_backward() -> None:
    [result] = _run(linear_design(), compile=True, batches=(2,))
    assert result.compiled
    assert result.compile_s is not None and result.compile_s > result.median_s * 10


def test_a_sweep_gives_one_result_per_batch_in_order() -> None:
    results = _run(linear_design(), batches=(1, 3), optimizer="adamw")
    assert [result.batch for result in results] == [1, 3]


def _refusal(design: Design, **settings: Any) -> str:
    with pytest.raises(RuntimeSettingsError) as caught:
        _run(design, **settings)
    return caught.value.message


def test_a_loss_that_does_not_fit_the_output_is_refused_by_name_and_shapes() -> None:
    averaged = _chain(
        "Averaged",
        [
            ("input", {"shape": [1, 20]}),
            ("linear", {"out_features": 5}),
            ("mean", {"dims": [-1]}),
            ("output", {}),
        ],
    )
    assert _refusal(averaged, batches=(4,)) == (
        "the cross_entropy loss needs an output of N x C (or N x C x ...) with class targets "
        "of N (or N x ...), but Averaged's output is 4; choose the mse or sum loss"
    )
    [result] = _run(averaged, batches=(4,), loss="mse")
    assert result.loss == "mse"


def test_a_design_without_parameters_is_refused_by_name() -> None:
    design = _chain(
        "NoWeights", [("input", {"shape": [1, 20]}), ("activation", {}), ("output", {})]
    )
    assert _refusal(design) == (
        "NoWeights has no parameters to train; a training step needs at least one block with "
        "weights"
    )


def test_fp16_on_half_precision_parameters_is_refused() -> None:
    assert _refusal(linear_design("float16"), dtype="fp16") == (
        "the sgd optimizer can't train Lin's float16 parameters with fp16: the gradient scaler "
        "needs float32 parameters to unscale; train in fp32 (the model's own float16) instead"
    )


def test_an_optimizer_that_fails_in_the_dtype_gets_a_clear_message(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def failing_step(
        self: torch.optim.Optimizer, closure: Callable[[], float] | None = None
    ) -> None:
        raise RuntimeError("\"addcmul_cpu_\" not implemented for 'Half'\nmore lines")

    monkeypatch.setattr(torch.optim.AdamW, "step", failing_step)
    assert _refusal(linear_design(), optimizer="adamw") == (
        "the adamw optimizer can't run on float32 parameters with fp32 on cpu: "
        "\"addcmul_cpu_\" not implemented for 'Half'"
    )


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("mode", "infer", "unknown mode 'infer'; choose one of forward, train"),
        ("optimizer", "lamb", "unknown optimizer 'lamb'; choose one of sgd, adamw"),
        ("loss", "l1", "unknown loss 'l1'; choose one of cross_entropy, mse, sum"),
    ],
)
def test_unknown_settings_are_refused(setting: str, value: str, message: str) -> None:
    assert _refusal(linear_design(), **{setting: value}) == message


def test_a_run_too_large_counts_gradients_and_state(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(train_step_module, "available_bytes", lambda device: 1000)
    with pytest.raises(TooLargeError) as caught:
        _run(linear_design(), batches=(2,), optimizer="adamw")
    parameter_bytes = (20 * 30 + 30) * 4
    activations = (20 + 30) * 2 * 4
    assert caught.value.estimate_bytes == 4 * parameter_bytes + activations
    assert caught.value.message == (
        "training at batch 2 needs about 10.2 KiB (weights, gradients, optimizer state and "
        "activations), but cpu has 1000 B free; use a smaller batch, or force the run"
    )
    [result] = _run(linear_design(), batches=(2,), optimizer="adamw", force=True)
    assert result.estimated_bytes == caught.value.estimate_bytes


def test_a_train_mode_run_through_the_worker() -> None:
    settings = MeasureSettings(**{**QUICK, "optimizer": "adamw", "loss": "sum", "batches": (2,)})
    with TorchWorker() as worker:
        [result] = worker.train(linear_design(), settings)
        with pytest.raises(ValueError, match="run measures forward passes"):
            worker.run(linear_design(), settings)
    assert isinstance(result, TrainResult)
    assert (result.optimizer, result.loss, result.batch) == ("adamw", "sum", 2)
    assert result.memory.optimizer_state_bytes == 2 * result.memory.parameter_bytes
    assert result.phases.forward.median_s > 0
