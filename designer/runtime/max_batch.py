"""The largest batch size a training step (or a forward pass) fits on a device.

The search doubles the batch size from 1 until a try doesn't fit (or the cap is reached),
then bisects between the last batch size that fit and the first that didn't: the exact largest
fitting batch size (fitting taken as monotone in the batch size) in at most
``max_probes(cap)`` tries. What a try is depends on the device:

- CUDA, measured: one real step (a training step in train mode, a forward pass otherwise) at
  that batch size; ``torch.OutOfMemoryError`` is caught, the cache emptied, and the search goes
  on. The model (and the optimizer) are built once and reused: a step that ran out of memory
  leaves its gradients to the next step's ``zero_grad(set_to_none=True)``; each try gets a
  fresh fp16 gradient scaler.
- Elsewhere (the CPU, MPS), estimated: running out of memory on the CPU ends the process (the
  kernel's OOM killer) or swaps rather than raising, so each try is the estimate from the
  design (``memory.estimate_memory``; for training ``train_step.training_estimate``) against
  ``CPU_HEADROOM`` of the memory available (``memory.available_bytes``: MemAvailable from
  /proc/meminfo, failing that the physical memory; MPS's recommended working set less what
  its driver holds). The batch size found is then confirmed by one real step when its estimate
  is under ``CONFIRM_MAX_BYTES``; otherwise a step at batch size 1 shows that the design runs
  in this mode at all.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from designer.compiler.compile import CompiledDesign
from designer.compiler.inputs import torch_dtype
from designer.compiler.live import build_model
from designer.graph import Design
from designer.runtime.batch import batch_inputs
from designer.runtime.devices import device_label
from designer.runtime.errors import MeasurementError, RuntimeSettingsError, TooLargeError
from designer.runtime.measure import (
    ProgressCallback,
    Step,
    check_channels_last,
    is_out_of_memory,
    materialized,
    release,
    run_context,
)
from designer.runtime.memory import available_bytes, estimate_memory
from designer.runtime.results import BatchTry, MaxBatchResult, Progress
from designer.runtime.settings import MeasureSettings, ResolvedSettings, resolve_settings
from designer.runtime.timing import synchronize
from designer.runtime.train_step import (
    Run,
    TrainStep,
    build_optimizer,
    check_scaler_dtype,
    first_step,
    probed_loss,
    training_estimate,
    training_memory,
)
from designer.units import format_bytes

logger = logging.getLogger(__name__)

MAX_BATCH_CAP = 1 << 16
"""The largest batch size a search tries unless told otherwise."""
CPU_HEADROOM = 0.8
"""The share of the available memory an estimated search lets a step take: the rest is left
for the allocator's slack, the worker process itself and the estimate's error."""
CONFIRM_MAX_BYTES = 1 << 30
"""An estimated batch size is confirmed by a real step when its estimate is at most this."""
TRAIN_START = 2
"""Training searches start at batch size 2 (1 only when 2 doesn't fit): batch norm can't train
on a single value per channel, which batch size 1 of an N x C input gives."""
MEASURED_DEVICE_TYPES = frozenset({"cuda"})
"""Where running out of memory raises (and can be recovered from): the search tries real
steps there."""

Probe = Callable[[int], int | None]
"""One try at a batch size: returns the memory it took (None where not measured); raises
``torch.OutOfMemoryError`` (or another out-of-memory ``RuntimeError``) when it doesn't fit."""
TryCallback = Callable[[int, int], None]
"""Told (batch size, tries so far) as each try starts."""


@dataclass(frozen=True, slots=True)
class Search:
    batch: int
    """The largest batch size that fit; 0 when not even 1 did."""
    cap: int
    capped: bool
    """Every batch size tried fit, up to the cap."""
    tries: tuple[BatchTry, ...]

    def peak_at(self, batch: int) -> int | None:
        return next((t.peak_memory_bytes for t in self.tries if t.batch == batch), None)


def max_probes(cap: int) -> int:
    """The most tries a search up to ``cap`` makes: doubling takes at most ceil(log2 cap) + 1,
    and bisecting what is left after the j-th doubling at most j - 1 more."""
    return max(1, 2 * (cap - 1).bit_length())


def search_max_batch(
    probe: Probe,
    *,
    cap: int = MAX_BATCH_CAP,
    start: int = 1,
    release: Callable[[], None] = lambda: None,
    on_try: TryCallback | None = None,
) -> Search:
    """The largest batch size in 1..``cap`` that ``probe`` runs without running out of memory:
    doubling from ``start`` (1 or 2), then bisecting (below ``start`` only when it doesn't
    fit). ``release`` is called after each try that ran out of memory (its tensors gone with
    the error), before the next."""
    if cap < 1:
        raise RuntimeSettingsError(f"the max-batch cap {cap} is not allowed; it must be 1 or more")
    if start not in (1, 2):
        raise ValueError(f"a search starts at batch size 1 or 2, not {start}")
    tries: list[BatchTry] = []

    def fits(batch: int) -> bool:
        if on_try is not None:
            on_try(batch, len(tries))
        tries.append(_try(probe, batch, release))
        return tries[-1].fits

    low, high = 0, None  # the largest that fit, the smallest that didn't
    batch = min(start, cap)
    while high is None:
        if fits(batch):
            low = batch
            if batch == cap:
                return Search(cap, cap, True, tuple(tries))
            batch = min(batch * 2, cap)
        else:
            high = batch
    while high - low > 1:
        middle = (low + high) // 2
        if fits(middle):
            low = middle
        else:
            high = middle
    return Search(low, cap, False, tuple(tries))


def _try(probe: Probe, batch: int, release: Callable[[], None]) -> BatchTry:
    try:
        peak = probe(batch)
    except RuntimeError as error:
        if not _out_of_memory(error):
            raise
        logger.info("batch %d doesn't fit: %s", batch, _first_line(error))
    else:
        return BatchTry(batch, True, peak)
    release()  # outside the handler: the error's traceback, and the step's tensors, are gone
    return BatchTry(batch, False, None)


def find_max_batch(
    compiled: CompiledDesign,
    design: Design,
    settings: MeasureSettings,
    *,
    cap: int = MAX_BATCH_CAP,
    on_progress: ProgressCallback | None = None,
) -> MaxBatchResult:
    """The largest batch size (up to ``cap``) that a step of ``settings.mode`` fits on
    ``settings.device``, measured on CUDA and estimated elsewhere (see the module's text).

    ``settings.batches``, ``force`` and the timing fields don't apply. Raises
    ``RuntimeSettingsError`` for settings that can't run (``torch.compile`` included: the
    search runs eagerly), the training step's refusals (nothing to train, a loss that doesn't
    fit), ``TooLargeError`` when the estimate of batch size 1 doesn't fit, and
    ``MeasurementError`` when batch size 1 runs out of memory.
    """
    resolved = resolve_settings(settings)
    check_channels_last(design, settings)
    if settings.compile:
        raise RuntimeSettingsError(
            "the max-batch search runs eagerly; turn torch.compile off for it"
        )
    if cap < 1:
        raise RuntimeSettingsError(f"the max-batch cap {cap} is not allowed; it must be 1 or more")
    model = build_model(compiled)
    estimate = _estimator(model, compiled, design, settings, resolved)
    if resolved.device.type in MEASURED_DEVICE_TYPES:
        return _measured(model, compiled, design, settings, resolved, estimate, cap, on_progress)
    return _estimated(model, compiled, design, settings, resolved, estimate, cap, on_progress)


def _estimator(
    model: nn.Module,
    compiled: CompiledDesign,
    design: Design,
    settings: MeasureSettings,
    resolved: ResolvedSettings,
) -> Callable[[int], int]:
    """The estimate at a batch size, as the runs check it before they start: a training
    step's with gradients, optimizer state and the activations kept for backward."""
    if settings.mode == "train":
        check_scaler_dtype(model, settings, compiled.class_name)

        def training(batch: int) -> int:
            return training_estimate(model, compiled, design, settings, resolved, batch).total_bytes

        return training
    element_size = (resolved.autocast_dtype or torch_dtype(compiled.dtype)).itemsize

    def forward(batch: int) -> int:
        return estimate_memory(model, design, compiled.report, batch, element_size).total_bytes

    return forward


def _measured(
    model: nn.Module,
    compiled: CompiledDesign,
    design: Design,
    settings: MeasureSettings,
    resolved: ResolvedSettings,
    estimate: Callable[[int], int],
    cap: int,
    on_progress: ProgressCallback | None,
) -> MaxBatchResult:
    probe = _step_probe(model, compiled, design, settings, resolved)
    total = max_probes(cap)

    def on_try(batch: int, done: int) -> None:
        if on_progress is not None:
            on_progress(Progress("trying", batch, done, total))

    search = search_max_batch(
        probe,
        cap=cap,
        start=_start(settings),
        release=lambda: release(resolved.device),
        on_try=on_try,
    )
    if search.batch == 0:
        raise MeasurementError(
            f"out of memory at batch 1 on {resolved.device}: not even one sample fits", batch=1
        )
    return _result(
        settings,
        resolved,
        search,
        method="measured",
        confirmed=True,
        peak=search.peak_at(search.batch),
        estimated=estimate(search.batch),
        available=None,
        limit=None,
    )


def _estimated(
    model: nn.Module,
    compiled: CompiledDesign,
    design: Design,
    settings: MeasureSettings,
    resolved: ResolvedSettings,
    estimate: Callable[[int], int],
    cap: int,
    on_progress: ProgressCallback | None,
) -> MaxBatchResult:
    device = resolved.device
    available = _available(device)
    limit = int(available * CPU_HEADROOM)

    def estimated_probe(batch: int) -> int:
        needed = estimate(batch)
        if needed > limit:
            raise torch.OutOfMemoryError(
                f"batch {batch} is estimated at {format_bytes(needed)}, over the "
                f"{format_bytes(limit)} allowed"
            )
        return needed

    start = _start(settings)
    search = search_max_batch(estimated_probe, cap=cap, start=start)
    if search.batch == 0:
        needed = estimate(1)
        raise TooLargeError(
            f"not even batch 1 fits: it needs about {format_bytes(needed)}, but a run may take "
            f"{format_bytes(limit)} on {device} ({CPU_HEADROOM:.0%} of what is available)",
            batch=1,
            estimate_bytes=needed,
            available_bytes=limit,
        )
    estimated = estimate(search.batch)
    cheap = estimated <= CONFIRM_MAX_BYTES
    confirm_batch = search.batch if cheap else min(start, search.batch)
    if on_progress is not None:
        on_progress(Progress("confirming", confirm_batch, 0, 1))
    probe = _step_probe(model, compiled, design, settings, resolved)
    ran = _try(probe, confirm_batch, lambda: release(device)).fits
    if not ran and not cheap:
        raise MeasurementError(
            f"out of memory at batch {confirm_batch} on {device}", batch=confirm_batch
        )
    return _result(
        settings,
        resolved,
        search,
        method="estimated",
        confirmed=ran if cheap else None,
        peak=None,
        estimated=estimated,
        available=available,
        limit=limit,
    )


def _start(settings: MeasureSettings) -> int:
    return TRAIN_START if settings.mode == "train" else 1


def _available(device: torch.device) -> int:
    free = available_bytes(device)
    if free is None:
        raise RuntimeSettingsError(
            f"can't tell how much memory {device} has available, so can't estimate the largest "
            "batch that fits"
        )
    return free


def _step_probe(
    model: nn.Module,
    compiled: CompiledDesign,
    design: Design,
    settings: MeasureSettings,
    resolved: ResolvedSettings,
) -> Probe:
    """One real step at a batch size on the device (the model given its weights once here)."""
    device = resolved.device
    real = materialized(model, device, channels_last=settings.channels_last)
    if settings.mode == "train":
        return _TrainProbe(real.train(), compiled, design, settings, resolved)

    def forward(batch: int) -> int | None:
        inputs = batch_inputs(design, batch, device, channels_last=settings.channels_last)
        _reset_peak(device)
        with run_context(resolved):
            real(*inputs)
        return _peak(device)

    return forward


class _TrainProbe:
    """A training step at a batch size, with the optimizer carried from try to try."""

    def __init__(
        self,
        model: nn.Module,
        compiled: CompiledDesign,
        design: Design,
        settings: MeasureSettings,
        resolved: ResolvedSettings,
    ) -> None:
        memory = training_memory(model, settings.optimizer, compiled.class_name)
        optimizer = build_optimizer(settings.optimizer, model)
        self.run = Run(model, optimizer, None, compiled, design, settings, resolved, memory)

    def __call__(self, batch: int) -> int | None:
        run = self.run
        device = run.resolved.device
        if run.resolved.autocast_dtype is torch.float16:
            run = dataclasses.replace(run, scaler=torch.amp.GradScaler(device.type))
        inputs = batch_inputs(run.design, batch, device, channels_last=run.settings.channels_last)
        _reset_peak(device)
        step = TrainStep(run, inputs, probed_loss(run, inputs))
        first_step(step, run, Step(batch, 0, 1, lambda _progress: None))
        return _peak(device)


def _reset_peak(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)


def _peak(device: torch.device) -> int | None:
    synchronize(device)
    return torch.cuda.max_memory_allocated(device) if device.type == "cuda" else None


def _result(
    settings: MeasureSettings,
    resolved: ResolvedSettings,
    search: Search,
    *,
    method: str,
    confirmed: bool | None,
    peak: int | None,
    estimated: int,
    available: int | None,
    limit: int | None,
) -> MaxBatchResult:
    train = settings.mode == "train"
    result = MaxBatchResult(
        batch=search.batch,
        cap=search.cap,
        capped=search.capped,
        mode=settings.mode,
        device=str(resolved.device),
        device_name=device_label(resolved.device),
        dtype=settings.dtype,
        channels_last=settings.channels_last,
        optimizer=settings.optimizer if train else None,
        loss=settings.loss if train else None,
        method=method,
        confirmed=confirmed,
        peak_memory_bytes=peak,
        estimated_bytes=estimated,
        available_bytes=available,
        limit_bytes=limit,
        tries=search.tries,
    )
    logger.info(
        "largest batch for a %s step on %s: %d (%s, %d tries)",
        settings.mode,
        resolved.device,
        result.batch,
        method,
        len(search.tries),
    )
    return result


def _out_of_memory(error: RuntimeError) -> bool:
    # the CPU's allocator says "not enough memory" where CUDA's says "out of memory"
    return is_out_of_memory(error) or "not enough memory" in str(error).lower()


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]
