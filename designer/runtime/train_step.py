"""Timed training steps of a compiled design on a device, one result per batch size.

One step is ``optimizer.zero_grad(set_to_none=True)``, the forward pass in train mode (under
``torch.autocast`` for bf16 and fp16), the loss against a target drawn to fit the output, the
backward pass (of the loss scaled by a ``torch.amp.GradScaler`` with fp16) and the optimizer's
step. Each batch size is timed twice: whole steps the way forward passes are timed (the device
synchronised only at the readings), then step by step with the device synchronised between the
phases (forward, backward, step), which gives each phase's median and p10/p90.

The model is built on meta, refused when it has nothing to train, its training memory estimated
(parameters, gradients, optimizer state, activations) and checked against the device, then given
real weights once; the optimizer carries its state from batch size to batch size.
"""

from __future__ import annotations

import contextlib
import logging
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F  # noqa: N812 (torch's own idiom)
from torch import nn

from designer.compiler.compile import CompiledDesign
from designer.compiler.inputs import torch_dtype
from designer.compiler.live import build_model
from designer.graph import Design
from designer.graph.shape_rules import shape_text
from designer.runtime.batch import batch_inputs
from designer.runtime.devices import device_label
from designer.runtime.errors import RuntimeSettingsError, TooLargeError
from designer.runtime.measure import (
    ProgressCallback,
    Step,
    check_channels_last,
    compile_timed,
    materialized,
    measure_each_batch,
)
from designer.runtime.memory import (
    OPTIMIZER_STATE_FACTOR,
    MeasuredStep,
    TrainingEstimate,
    available_bytes,
    estimate_training_memory,
    measure_step_memory,
)
from designer.runtime.results import (
    PhaseTiming,
    Progress,
    TrainingMemory,
    TrainPhases,
    TrainResult,
)
from designer.runtime.settings import MeasureSettings, ResolvedSettings, resolve_settings
from designer.runtime.timing import synchronize, time_call
from designer.units import format_bytes

logger = logging.getLogger(__name__)

LEARNING_RATE = 1e-4
"""Small, so that thousands of timed steps leave the weights finite (an overflow under fp16
would make the scaler skip steps and change what is timed)."""
MIN_PHASE_RUNS = 3
"""Steps timed phase by phase, at the least, however long they take..."""
ENOUGH_PHASE_RUNS = 10
"""... and at least this many within the timing budget."""

LossOf = Callable[[object], torch.Tensor]
"""The loss of what the model returned."""


def measure_train_step(
    compiled: CompiledDesign,
    design: Design,
    settings: MeasureSettings,
    on_progress: ProgressCallback | None = None,
) -> list[TrainResult]:
    """Time training steps of ``compiled`` (built from ``design``) for each of
    ``settings.batches``, with ``settings.optimizer`` and ``settings.loss``.

    Raises ``RuntimeSettingsError`` when the design can't be trained so (no parameters, a loss
    that doesn't fit the output, an optimizer that can't run in the dtype), ``TooLargeError``
    when the estimate exceeds the device's free memory (unless ``settings.force``), and
    ``MeasurementError`` when the run fails for want of memory.
    """
    resolved = resolve_settings(settings)
    check_channels_last(design, settings)
    model = build_model(compiled)
    name = compiled.class_name
    memory = training_memory(model, settings.optimizer, name)
    check_scaler_dtype(model, settings, name)
    estimates = {
        batch: training_estimate(model, compiled, design, settings, resolved, batch)
        for batch in resolved.batches
    }
    if not settings.force:
        _check_fits(
            {batch: estimate.total_bytes for batch, estimate in estimates.items()},
            resolved.device,
        )
    model = materialized(model, resolved.device, channels_last=settings.channels_last).train()
    fp16 = resolved.autocast_dtype is torch.float16
    run = Run(
        model,
        build_optimizer(settings.optimizer, model),
        torch.amp.GradScaler(resolved.device.type) if fp16 else None,
        compiled,
        design,
        settings,
        resolved,
        memory,
    )
    return measure_each_batch(
        resolved.batches,
        resolved.device,
        on_progress,
        lambda step: _measure_batch(run, step, estimates[step.batch]),
    )


def training_memory(model: nn.Module, optimizer: str, name: str) -> TrainingMemory:
    """Parameters, gradients and optimizer state of ``model`` (on meta: nothing allocated);
    a ``RuntimeSettingsError`` naming ``name`` when there is nothing to train."""
    trainable = [parameter for parameter in model.parameters() if parameter.requires_grad]
    if not trainable:
        raise RuntimeSettingsError(
            f"{name} has no parameters to train; a training step needs at least one block "
            "with weights"
        )
    parameter_bytes = sum(tensor.numel() * tensor.element_size() for tensor in trainable)
    state = OPTIMIZER_STATE_FACTOR[optimizer] * parameter_bytes
    return TrainingMemory(parameter_bytes, parameter_bytes, state)


def training_estimate(
    model: nn.Module,
    compiled: CompiledDesign,
    design: Design,
    settings: MeasureSettings,
    resolved: ResolvedSettings,
    batch: int,
) -> TrainingEstimate:
    """A training step's memory at ``batch`` from the design alone (``model`` on meta)."""
    element_size = (resolved.autocast_dtype or torch_dtype(compiled.dtype)).itemsize
    return estimate_training_memory(
        model,
        design,
        compiled.report,
        batch=batch,
        element_size=element_size,
        optimizer=settings.optimizer,
        loss=settings.loss,
        autocast=resolved.autocast_dtype is not None,
    )


def check_scaler_dtype(model: nn.Module, settings: MeasureSettings, name: str) -> None:
    """fp16's ``GradScaler`` unscales gradients in fp32: half-precision weights can't have it."""
    if settings.dtype != "fp16":
        return
    dtypes = {parameter.dtype for parameter in model.parameters() if parameter.requires_grad}
    if torch.float16 in dtypes:
        raise RuntimeSettingsError(
            f"the {settings.optimizer} optimizer can't train {name}'s float16 parameters "
            "with fp16: the gradient scaler needs float32 parameters to unscale; train in "
            "fp32 (the model's own float16) instead"
        )


def _check_fits(estimates: dict[int, int], device: torch.device) -> None:
    free = available_bytes(device)
    if free is None:
        return
    for batch, estimate in estimates.items():
        if estimate > free:
            raise TooLargeError(
                f"training at batch {batch} needs about {format_bytes(estimate)} (weights, "
                f"gradients, optimizer state and activations), but {device} has "
                f"{format_bytes(free)} free; use a smaller batch, or force the run",
                batch=batch,
                estimate_bytes=estimate,
                available_bytes=free,
            )


def build_optimizer(name: str, model: nn.Module) -> torch.optim.Optimizer:
    parameters = [parameter for parameter in model.parameters() if parameter.requires_grad]
    if name == "adamw":
        return torch.optim.AdamW(parameters, lr=LEARNING_RATE)
    return torch.optim.SGD(parameters, lr=LEARNING_RATE)


@dataclass(frozen=True, slots=True)
class Run:
    """What every batch size of a run shares: the optimizer's state and the scaler's scale
    carry over."""

    model: nn.Module
    optimizer: torch.optim.Optimizer
    scaler: torch.amp.GradScaler | None
    """fp16's loss scaler; None otherwise."""
    compiled: CompiledDesign
    design: Design
    settings: MeasureSettings
    resolved: ResolvedSettings
    memory: TrainingMemory


class TrainStep:
    """One training step, callable whole or phase by phase."""

    def __init__(self, run: Run, inputs: tuple[torch.Tensor, ...], loss_of: LossOf) -> None:
        self.runner: Callable[..., object] = run.model
        self.inputs = inputs
        self.loss_of = loss_of
        self.optimizer = run.optimizer
        self.device = run.resolved.device
        self.autocast_dtype = run.resolved.autocast_dtype
        self.scaler = run.scaler

    def __call__(self) -> None:
        self.backward(self.forward())
        self.update()

    def forward(self) -> torch.Tensor:
        self.optimizer.zero_grad(set_to_none=True)
        with _autocast(self.device, self.autocast_dtype):
            return self.loss_of(self.runner(*self.inputs))

    def backward(self, loss: torch.Tensor) -> None:
        torch.autograd.backward(loss if self.scaler is None else self.scaler.scale(loss))

    def update(self) -> None:
        if self.scaler is None:
            self.optimizer.step()
        else:
            self.scaler.step(self.optimizer)
            self.scaler.update()


def _autocast(
    device: torch.device, dtype: torch.dtype | None
) -> contextlib.AbstractContextManager[object]:
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device.type, dtype=dtype)


def _measure_batch(run: Run, step: Step, estimate: TrainingEstimate) -> TrainResult:
    device, settings = run.resolved.device, run.settings
    batch = step.batch
    inputs = batch_inputs(run.design, batch, device, channels_last=settings.channels_last)
    train_step = TrainStep(run, inputs, probed_loss(run, inputs))
    compile_s = first_step(train_step, run, step)
    for _ in range(settings.warmup):
        train_step()
    synchronize(device)
    timing = time_call(
        train_step,
        device,
        threshold=settings.threshold,
        min_run_time=settings.min_run_time,
        max_run_time=settings.max_run_time,
    )
    phases = _time_phases(train_step, device, settings)
    measured = _measured_step(train_step, run)
    logger.info(
        "training step at batch %d on %s: median %.3g ms (forward %.3g, backward %.3g, "
        "step %.3g) over %d steps",
        batch,
        device,
        timing.median_s * 1e3,
        phases.forward.median_s * 1e3,
        phases.backward.median_s * 1e3,
        phases.step.median_s * 1e3,
        timing.runs,
    )
    return TrainResult(
        batch=batch,
        device=str(device),
        device_name=device_label(device),
        dtype=settings.dtype,
        channels_last=settings.channels_last,
        compiled=settings.compile,
        threads=torch.get_num_threads(),
        optimizer=settings.optimizer,
        loss=settings.loss,
        median_s=timing.median_s,
        p10_s=timing.p10_s,
        p90_s=timing.p90_s,
        runs=timing.runs,
        throughput=batch / timing.median_s,
        compile_s=compile_s,
        phases=phases,
        memory=run.memory,
        estimated_bytes=estimate.total_bytes,
        peak_memory_bytes=measured.peak_bytes,
        estimated_activation_bytes=estimate.activation_bytes,
        measured_activation_bytes=measured.activation_bytes,
        input_bytes=estimate.input_bytes,
        peak_memory_method=measured.method,
        estimate_error=_error(estimate.total_bytes, measured.peak_bytes),
    )


def _measured_step(train_step: TrainStep, run: Run) -> MeasuredStep:
    """One more step, untimed, its memory measured: gradients set to None first (as the
    step's own ``zero_grad`` would), so that what is live at its start is the parameters,
    buffers, optimizer state and inputs."""
    run.optimizer.zero_grad(set_to_none=True)
    state = [
        tensor
        for values in run.optimizer.state.values()
        for tensor in values.values()
        if isinstance(tensor, torch.Tensor)
    ]
    live = [*run.model.parameters(), *run.model.buffers(), *state, *train_step.inputs]
    return measure_step_memory(
        train_step, run.resolved.device, live, saved_tensors=not run.settings.compile
    )


def _error(estimate: int, measured: int | None) -> float | None:
    """The estimate's error against the measured peak: (estimate - peak) / peak."""
    return None if not measured else (estimate - measured) / measured


def first_step(train_step: TrainStep, run: Run, step: Step) -> float | None:
    """The first, untimed step: it compiles (with ``torch.compile``; its time is returned),
    shows that gradients reach the parameters and that the optimizer runs in this dtype."""
    compile_s = None

    def forward_and_backward(runner: Callable[..., object]) -> None:
        train_step.runner = runner
        train_step.backward(train_step.forward())

    if run.settings.compile:
        step.report(Progress("compiling", step.batch, step.done, step.total))
        train_step.runner, compile_s = compile_timed(
            run.model,
            forward_and_backward,
            run.settings.compile_backend,
            run.resolved.device,
            step.batch,
        )
    else:
        forward_and_backward(run.model)
    try:
        train_step.update()
    except (RuntimeError, ValueError, TypeError) as error:
        if "out of memory" in str(error).lower():
            raise
        first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
        dtype = str(next(iter(run.model.parameters())).dtype).removeprefix("torch.")
        raise RuntimeSettingsError(
            f"the {run.settings.optimizer} optimizer can't run on {dtype} "
            f"parameters with {run.settings.dtype} on {run.resolved.device}: {first_line}"
        ) from error
    return compile_s


def _time_phases(
    train_step: TrainStep, device: torch.device, settings: MeasureSettings
) -> TrainPhases:
    """Forward, backward and step timed one step at a time, synchronising at every reading:
    until ``min_run_time`` and ``ENOUGH_PHASE_RUNS`` steps, at most ``max_run_time`` (but at
    least ``MIN_PHASE_RUNS`` steps)."""
    forward: list[float] = []
    backward: list[float] = []
    update: list[float] = []
    started = time.perf_counter()
    while True:
        elapsed = time.perf_counter() - started
        runs = len(forward)
        if runs >= MIN_PHASE_RUNS and (
            elapsed >= settings.max_run_time
            or (elapsed >= settings.min_run_time and runs >= ENOUGH_PHASE_RUNS)
        ):
            break
        synchronize(device)
        start = time.perf_counter()
        loss = train_step.forward()
        synchronize(device)
        forward_end = time.perf_counter()
        train_step.backward(loss)
        synchronize(device)
        backward_end = time.perf_counter()
        train_step.update()
        synchronize(device)
        end = time.perf_counter()
        forward.append(forward_end - start)
        backward.append(backward_end - forward_end)
        update.append(end - backward_end)
    return TrainPhases(_phase(forward), _phase(backward), _phase(update), len(forward))


def _phase(times: list[float]) -> PhaseTiming:
    # "inclusive": linear interpolation between the closest ranks, as time_call's percentiles
    deciles = statistics.quantiles(times, n=10, method="inclusive")
    return PhaseTiming(statistics.median(times), deciles[0], deciles[-1])


def probed_loss(run: Run, inputs: tuple[torch.Tensor, ...]) -> LossOf:
    """The loss, its targets drawn to fit what one forward pass returns; a
    ``RuntimeSettingsError`` when it doesn't fit, or no gradient reaches the parameters."""
    name, loss = run.compiled.class_name, run.settings.loss
    with _autocast(run.resolved.device, run.resolved.autocast_dtype):
        outputs = run.model(*inputs)
        loss_of = _loss(loss, outputs, name)
        reaches_parameters = loss_of(outputs).requires_grad
    if not reaches_parameters:
        raise RuntimeSettingsError(
            f"no gradient reaches {name}'s parameters from its output; there is nothing to "
            f"train with the {loss} loss"
        )
    return loss_of


def _loss(loss: str, outputs: object, name: str) -> LossOf:
    """The loss of the model's outputs (summed over several), with targets drawn once to fit
    ``outputs`` (a probe's); a ``RuntimeSettingsError`` when the loss doesn't fit them."""
    tensors = _tensors(outputs)
    losses = [
        _output_loss(loss, tensor, _output_name(name, index, len(tensors)))
        for index, tensor in enumerate(tensors)
    ]

    def loss_of(returned: object) -> torch.Tensor:
        pieces = [of(tensor) for of, tensor in zip(losses, _tensors(returned), strict=True)]
        total = pieces[0]
        for piece in pieces[1:]:
            total = total + piece
        return total

    return loss_of


def _tensors(outputs: object) -> list[torch.Tensor]:
    if isinstance(outputs, torch.Tensor):
        return [outputs]
    if isinstance(outputs, tuple | list):
        return [item for item in outputs if isinstance(item, torch.Tensor)]
    return []


def _output_name(name: str, index: int, count: int) -> str:
    return f"{name}'s output" if count == 1 else f"{name}'s output {index + 1} of {count}"


def _output_loss(loss: str, output: torch.Tensor, output_name: str) -> Callable[..., torch.Tensor]:
    shape = tuple(output.shape)
    if not output.is_floating_point():
        raise RuntimeSettingsError(
            f"the {loss} loss needs a floating-point output, but {output_name} "
            f"({shape_text(shape)}) is {str(output.dtype).removeprefix('torch.')}"
        )
    if loss == "sum":
        return lambda returned: returned.sum(dtype=torch.float32)
    if loss == "mse":
        target = torch.rand(shape, dtype=output.dtype, device=output.device)
        return lambda returned: F.mse_loss(returned, target)
    if len(shape) < 2 or shape[1] < 1:
        raise RuntimeSettingsError(
            f"the cross_entropy loss needs an output of N x C (or N x C x ...) with class "
            f"targets of N (or N x ...), but {output_name} is {shape_text(shape)}; "
            "choose the mse or sum loss"
        )
    classes = torch.randint(0, shape[1], (shape[0], *shape[2:]), device=output.device)
    return lambda returned: F.cross_entropy(returned, classes)
