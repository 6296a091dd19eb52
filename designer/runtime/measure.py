"""Timed forward passes of a compiled design on a device, one result per batch size.

The model is built on meta, its memory estimated and checked against the device, then given
real weights on the device once; each batch size is then warmed up and timed in eval mode under
``torch.inference_mode`` (and ``torch.autocast`` for bf16 and fp16). With ``torch.compile`` the
first, compiling call is timed on its own and never enters the latency.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar, cast

import torch
from torch import nn

from designer.compiler.compile import CompiledDesign
from designer.compiler.inputs import torch_dtype
from designer.compiler.live import build_model, materialize
from designer.graph import Design
from designer.runtime.batch import batch_inputs, has_4d_input
from designer.runtime.devices import DTYPES, device_label
from designer.runtime.errors import MeasurementError, RuntimeSettingsError, TooLargeError
from designer.runtime.flops import forward_flops
from designer.runtime.memory import (
    MemoryEstimate,
    available_bytes,
    estimate_memory,
    tensor_bytes,
)
from designer.runtime.peaks import dense_peak_tflops
from designer.runtime.results import BatchResult, Progress
from designer.runtime.settings import MeasureSettings, ResolvedSettings, resolve_settings
from designer.runtime.timing import Timing, synchronize, time_call
from designer.units import format_bytes

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[Progress], None]
T = TypeVar("T")

_PEAK_KEYS = {str(dtype).removeprefix("torch."): key for key, dtype in DTYPES.items()}
"""The design's dtype names ("float32") as the peak table names them ("fp32")."""


def measure_forward(
    compiled: CompiledDesign,
    design: Design,
    settings: MeasureSettings,
    on_progress: ProgressCallback | None = None,
) -> list[BatchResult]:
    """Time ``compiled`` (built from ``design``) for each of ``settings.batches``.

    ``on_progress``, when given, hears of each batch size as it starts, compiles and finishes.

    Raises ``RuntimeSettingsError`` before anything is allocated when the settings can't run
    here (``TooLargeError`` when the estimate exceeds the device's free memory, unless
    ``settings.force``), and ``MeasurementError`` when the run fails for want of memory.
    """
    resolved = resolve_settings(settings)
    check_channels_last(design, settings)
    model = build_model(compiled)
    element_size = (resolved.autocast_dtype or torch_dtype(compiled.dtype)).itemsize
    estimates = {
        batch: estimate_memory(model, design, compiled.report, batch, element_size)
        for batch in resolved.batches
    }
    if not settings.force:
        _check_fits(estimates, resolved.device)
    model = materialized(model, resolved.device, channels_last=settings.channels_last)
    return measure_each_batch(
        resolved.batches,
        resolved.device,
        on_progress,
        lambda step: _measure_batch(
            model, compiled, design, settings, resolved, step, estimates[step.batch]
        ),
    )


def measure_each_batch(
    batches: tuple[int, ...],
    device: torch.device,
    on_progress: ProgressCallback | None,
    measure: Callable[[Step], T],
) -> list[T]:
    """``measure`` for each batch size in turn, with progress; running out of memory becomes a
    ``MeasurementError`` naming the batch size."""
    report = on_progress or _no_progress
    results = []
    for done, batch in enumerate(batches):
        report(Progress("measuring", batch, done, len(batches)))
        step = Step(batch, done, len(batches), report)
        results.append(_out_of_memory_guarded(batch, device, functools.partial(measure, step)))
        report(Progress("measured", batch, done + 1, len(batches)))
    return results


def check_channels_last(design: Design, settings: MeasureSettings) -> None:
    if settings.channels_last and not has_4d_input(design):
        raise RuntimeSettingsError(
            "channels_last needs a 4-d (N x C x H x W) input; this design has none"
        )


def materialized(model: nn.Module, device: torch.device, *, channels_last: bool) -> nn.Module:
    """``model`` (built on meta) with real weights on ``device``; running out of memory
    becomes a ``MeasurementError``."""
    try:
        model = materialize(model, device)
        if channels_last:
            # Module.to takes memory_format (4-d weights only); older stubs don't say so
            to_memory_format = cast(Callable[..., nn.Module], model.to)
            model = to_memory_format(memory_format=torch.channels_last)
    except RuntimeError as error:
        if not is_out_of_memory(error):
            raise
    else:
        return model
    release(device)
    raise MeasurementError(f"out of memory giving the model its weights on {device}", batch=None)


def _no_progress(progress: Progress) -> None:
    pass


@dataclass(frozen=True, slots=True)
class Step:
    """The batch size being measured, and how to report on it."""

    batch: int
    done: int
    total: int
    report: ProgressCallback


def _check_fits(estimates: dict[int, MemoryEstimate], device: torch.device) -> None:
    free = available_bytes(device)
    if free is None:
        return
    for batch, estimate in estimates.items():
        if estimate.total_bytes > free:
            raise TooLargeError(
                f"batch {batch} needs about {format_bytes(estimate.total_bytes)} "
                f"({format_bytes(estimate.parameter_bytes)} of weights, "
                f"{format_bytes(estimate.activation_bytes)} of activations), but {device} has "
                f"{format_bytes(free)} free; use a smaller batch, or force the run",
                batch=batch,
                estimate_bytes=estimate.total_bytes,
                available_bytes=free,
            )


def _out_of_memory_guarded(batch: int, device: torch.device, measure: Callable[[], T]) -> T:
    """``measure()`` for one batch size; running out of memory becomes a ``MeasurementError``
    naming it."""
    try:
        return measure()
    except RuntimeError as error:
        if not is_out_of_memory(error):
            raise
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
        message = (
            f"out of memory at batch {batch} on {device}"
            + (f" ({first_line})" if first_line else "")
            + "; try a smaller batch"
        )
    release(device)  # the failed run's tensors went with the traceback
    raise MeasurementError(message, batch=batch)


def _measure_batch(
    model: nn.Module,
    compiled: CompiledDesign,
    design: Design,
    settings: MeasureSettings,
    resolved: ResolvedSettings,
    step: Step,
    estimate: MemoryEstimate,
) -> BatchResult:
    device = resolved.device
    batch = step.batch
    flops = forward_flops(compiled, design, batch)
    inputs = batch_inputs(design, batch, device, channels_last=settings.channels_last)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    with run_context(resolved):
        runner: Callable[..., object] = model
        compile_s = None
        if settings.compile:
            step.report(Progress("compiling", batch, step.done, step.total))
            runner, compile_s = _compile(model, inputs, settings.compile_backend, device, batch)
        for _ in range(settings.warmup):
            runner(*inputs)
        synchronize(device)
        timing = time_call(
            lambda: runner(*inputs),
            device,
            threshold=settings.threshold,
            min_run_time=settings.min_run_time,
            max_run_time=settings.max_run_time,
        )
    peak_memory = torch.cuda.max_memory_allocated(device) if device.type == "cuda" else None
    result = _result(
        settings, resolved, compiled, batch, timing, compile_s, flops, model, estimate, peak_memory
    )
    logger.info(
        "batch %d on %s: median %.3g ms over %d runs, %.4g samples/s",
        batch,
        device,
        timing.median_s * 1e3,
        timing.runs,
        result.throughput,
    )
    return result


def _compile(
    model: nn.Module,
    inputs: tuple[torch.Tensor, ...],
    backend: str,
    device: torch.device,
    batch: int,
) -> tuple[Callable[..., object], float]:
    """The compiled model, and the time of its first call (where compiling happens)."""
    return compile_timed(model, lambda runner: runner(*inputs), backend, device, batch)


def compile_timed(
    model: nn.Module,
    first_call: Callable[[Callable[..., object]], object],
    backend: str,
    device: torch.device,
    batch: int,
) -> tuple[Callable[..., object], float]:
    """The compiled model, and the time ``first_call(compiled model)`` takes (where compiling
    happens).

    Dynamo is reset first, so each batch size compiles afresh and its time is its own.
    """
    torch.compiler.reset()
    compiled_model = torch.compile(model, backend=backend)
    synchronize(device)
    start = time.perf_counter()
    try:
        first_call(compiled_model)
        synchronize(device)
    except Exception as error:
        if isinstance(error, RuntimeError) and is_out_of_memory(error):
            raise
        first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise MeasurementError(
            f"torch.compile (backend {backend}) failed at batch {batch}: {first_line}",
            batch=batch,
        ) from error
    return compiled_model, time.perf_counter() - start


def run_context(resolved: ResolvedSettings) -> contextlib.ExitStack:
    stack = contextlib.ExitStack()
    stack.enter_context(torch.inference_mode())
    if resolved.autocast_dtype is not None:
        stack.enter_context(torch.autocast(resolved.device.type, dtype=resolved.autocast_dtype))
    return stack


def _result(
    settings: MeasureSettings,
    resolved: ResolvedSettings,
    compiled: CompiledDesign,
    batch: int,
    timing: Timing,
    compile_s: float | None,
    flops: int,
    model: nn.Module,
    estimate: MemoryEstimate,
    peak_memory: int | None,
) -> BatchResult:
    device = resolved.device
    name = device_label(device)
    tflops = flops / timing.median_s / 1e12
    peak_key = (
        settings.dtype if resolved.autocast_dtype is not None else _PEAK_KEYS.get(compiled.dtype)
    )
    peak = dense_peak_tflops(name, peak_key) if device.type == "cuda" and peak_key else None
    return BatchResult(
        batch=batch,
        device=str(device),
        device_name=name,
        dtype=settings.dtype,
        channels_last=settings.channels_last,
        compiled=settings.compile,
        threads=torch.get_num_threads(),
        median_s=timing.median_s,
        p10_s=timing.p10_s,
        p90_s=timing.p90_s,
        runs=timing.runs,
        throughput=batch / timing.median_s,
        compile_s=compile_s,
        flops=flops,
        tflops=tflops,
        peak_tflops=peak,
        peak_share=None if peak is None else tflops / peak,
        parameter_bytes=tensor_bytes(model),
        estimated_bytes=estimate.total_bytes,
        peak_memory_bytes=peak_memory,
    )


def is_out_of_memory(error: RuntimeError) -> bool:
    return isinstance(error, torch.OutOfMemoryError) or "out of memory" in str(error).lower()


def release(device: torch.device) -> None:
    gc.collect()
    if device.type == "cuda":
        torch.cuda.empty_cache()
    elif device.type == "mps":
        torch.mps.empty_cache()
