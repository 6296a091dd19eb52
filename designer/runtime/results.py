"""What one measured batch size gives back."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class BatchResult:
    batch: int
    device: str
    """As torch names it: "cpu", "cuda:0", "mps"."""
    device_name: str
    """The GPU's model, or "CPU"."""
    dtype: str
    """The compute dtype asked for: "fp32" (the model's own dtype, no autocast), "bf16", "fp16"."""
    channels_last: bool
    compiled: bool
    threads: int
    """The CPU threads torch used."""
    median_s: float
    """Median latency of one forward pass, in seconds."""
    p10_s: float
    p90_s: float
    runs: int
    """Forward passes timed."""
    throughput: float
    """Samples per second: batch / median."""
    compile_s: float | None
    """The first (compiling) call's time with ``torch.compile``; None without it."""
    flops: int
    """FLOPs of one forward pass (matrix work, 2 per multiply-accumulate)."""
    tflops: float
    """Achieved TFLOP/s: flops / median."""
    peak_tflops: float | None
    """The device's dense peak for the dtype; None where the device isn't in the table."""
    peak_share: float | None
    """tflops / peak_tflops; None where the peak is unknown."""
    parameter_bytes: int
    """Parameters and buffers as materialised."""
    estimated_bytes: int
    """The estimate checked before the run (parameters plus activations)."""
    peak_memory_bytes: int | None
    """``max_memory_allocated`` over the run on CUDA; None elsewhere."""


@dataclass(frozen=True, slots=True)
class PhaseTiming:
    """One phase of a training step, timed step by step with the device synchronised at its
    start and end."""

    median_s: float
    p10_s: float
    p90_s: float


@dataclass(frozen=True, slots=True)
class TrainPhases:
    forward: PhaseTiming
    """``zero_grad(set_to_none=True)``, the forward pass in train mode and the loss."""
    backward: PhaseTiming
    """The loss's backward pass (of the scaled loss with fp16)."""
    step: PhaseTiming
    """The optimizer's step (with fp16: unscaling, the step and the scaler's update)."""
    runs: int
    """Steps timed phase by phase."""


@dataclass(frozen=True, slots=True)
class TrainingMemory:
    """What training keeps besides activations, from the model alone (nothing measured)."""

    parameter_bytes: int
    """Trainable parameters (buffers not included)."""
    gradient_bytes: int
    """One gradient per trainable parameter, in its dtype."""
    optimizer_state_bytes: int
    """0 for plain SGD; AdamW's two moments: 2x the parameters (its step counts not
    included: one number per tensor)."""


@dataclass(frozen=True, slots=True)
class TrainResult:
    """One measured batch size of training steps."""

    batch: int
    device: str
    device_name: str
    dtype: str
    """"fp32", or "bf16" / "fp16" under ``torch.autocast`` (fp16 with a ``GradScaler``)."""
    channels_last: bool
    compiled: bool
    threads: int
    optimizer: str
    loss: str
    median_s: float
    """Median time of one whole training step, in seconds (timed as one call, without
    synchronising between its phases)."""
    p10_s: float
    p90_s: float
    runs: int
    """Whole steps timed."""
    throughput: float
    """Samples per second: batch / median."""
    compile_s: float | None
    """The first (compiling) forward and backward with ``torch.compile``; None without it."""
    phases: TrainPhases
    memory: TrainingMemory
    estimated_bytes: int
    """The estimate checked before the run, from the design alone: parameters and buffers,
    gradients, optimizer state, inputs and activations kept for backward."""
    peak_memory_bytes: int | None
    """The peak of one training step, measured: ``max_memory_allocated`` on CUDA; on the CPU
    the torch profiler's allocations less frees during the step, on top of what was live at its
    start (see ``peak_memory_method``); None elsewhere."""
    estimated_activation_bytes: int = 0
    """The estimate's activations kept for backward (the loss's included)."""
    measured_activation_bytes: int | None = None
    """Tensors saved for backward in one step, measured (``saved_tensors_hooks``, each storage
    once; parameters, buffers and inputs left out); None with ``torch.compile``."""
    input_bytes: int = 0
    """The model's inputs at the batch size (part of the estimate)."""
    peak_memory_method: str | None = None
    """How the peak was measured: "max_memory_allocated" (CUDA), "profiler" (CPU), or None."""
    estimate_error: float | None = None
    """(estimated_bytes - peak_memory_bytes) / peak_memory_bytes; None without a peak."""


@dataclass(frozen=True, slots=True)
class Progress:
    """Where a run stands: streamed to the caller while it goes."""

    stage: str
    """"measuring" (a batch size started), "compiling" (its ``torch.compile`` call started) or
    "measured" (it finished)."""
    batch: int
    done: int
    """Batch sizes finished so far."""
    total: int
    """Batch sizes in the run."""


@dataclass(frozen=True, slots=True)
class BatchTry:
    """One batch size the max-batch search tried."""

    batch: int
    fits: bool
    peak_memory_bytes: int | None
    """What the try took: ``max_memory_allocated`` of the step on CUDA, the estimate where the
    search is estimated; None where it didn't fit."""


@dataclass(frozen=True, slots=True)
class MaxBatchResult:
    """The largest batch size a training step (or a forward pass) fits on a device."""

    batch: int
    """The largest batch size found to fit (at least 1: a search where even 1 doesn't fit
    raises instead)."""
    cap: int
    """The largest batch size the search would try."""
    capped: bool
    """``batch`` is the cap: the device may fit more."""
    mode: str
    """"train" (one training step per try) or "forward" (one forward pass per try)."""
    device: str
    device_name: str
    dtype: str
    channels_last: bool
    optimizer: str | None
    """Train mode: the optimizer; None for forward passes."""
    loss: str | None
    method: str
    """"measured" (CUDA: a real step at each batch size tried, out-of-memory caught) or
    "estimated" (elsewhere: the estimate from the design against ``limit_bytes``)."""
    confirmed: bool | None
    """Estimated: a real step at ``batch`` ran (True), ran out of memory (False), or was not
    tried, too large to be cheap (None). Measured: True."""
    peak_memory_bytes: int | None
    """``max_memory_allocated`` of the step at ``batch`` on CUDA; None where not measured."""
    estimated_bytes: int
    """The estimate at ``batch``: parameters and buffers and activations, plus gradients and
    optimizer state for a training step."""
    available_bytes: int | None
    """Estimated: the memory the device had available when the search ran; None when
    measured."""
    limit_bytes: int | None
    """Estimated: the memory the estimate was held to (``available_bytes`` times the
    headroom); None when measured."""
    tries: tuple[BatchTry, ...]
    """Every batch size tried, in order."""
