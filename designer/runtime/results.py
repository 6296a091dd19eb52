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
