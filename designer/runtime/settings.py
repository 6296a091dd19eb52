"""What a measurement is asked to do, checked against this machine before anything runs."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from designer.runtime.devices import check_batches, check_dtype, resolve_device
from designer.runtime.errors import RuntimeSettingsError

MODES = ("forward", "train")
OPTIMIZERS = ("sgd", "adamw")
LOSSES = ("cross_entropy", "mse", "sum")


@dataclass(frozen=True, slots=True)
class MeasureSettings:
    device: str = "auto"
    """"auto" (CUDA, then MPS, then the CPU), "cpu", "cuda", "cuda:N" or "mps"."""
    dtype: str = "fp32"
    """"fp32" runs in the model's own dtype; "bf16" and "fp16" run under ``torch.autocast``."""
    batches: tuple[int, ...] = (1,)
    """One batch size, or several for a sweep; each is measured in turn."""
    channels_last: bool = False
    compile: bool = False
    """Run through ``torch.compile``; the compile time is reported apart from the latency."""
    compile_backend: str = "inductor"
    force: bool = False
    """Run even when the memory estimate exceeds what the device has free."""
    warmup: int = 3
    """Untimed calls before timing (after the compiling call, with ``compile``)."""
    threshold: float = 0.1
    """Timing repeats until the interquartile range is under this share of the median (after
    ``min_run_time`` seconds and at least four blocks of calls)..."""
    min_run_time: float = 0.2
    max_run_time: float = 2.0
    """... or this many seconds have gone by, per batch size."""
    mode: str = "forward"
    """"forward": forward passes in eval mode, no gradients; "train": training steps (zero_grad,
    forward in train mode, loss, backward, optimizer step), timed whole and phase by phase."""
    optimizer: str = "sgd"
    """Train mode: "sgd" (plain, no momentum: no state) or "adamw" (two moments per weight)."""
    loss: str = "cross_entropy"
    """Train mode: "cross_entropy" (class targets; the output N x C or N x C x ...), "mse" (a
    target of the output's shape) or "sum" (the output summed; no target)."""


@dataclass(frozen=True, slots=True)
class ResolvedSettings:
    device: torch.device
    autocast_dtype: torch.dtype | None
    """None for fp32: no autocast."""
    batches: tuple[int, ...]


def resolve_settings(settings: MeasureSettings) -> ResolvedSettings:
    """The device, compute dtype and batch sizes, or a ``RuntimeSettingsError`` saying why not."""
    batches = check_batches(settings.batches)
    device = resolve_device(settings.device)
    dtype = check_dtype(settings.dtype, device)
    if settings.warmup < 0:
        raise RuntimeSettingsError(f"warm-up count {settings.warmup} is negative")
    if settings.threshold <= 0:
        raise RuntimeSettingsError(f"timing threshold {settings.threshold} is not positive")
    if not 0 < settings.min_run_time <= settings.max_run_time:
        raise RuntimeSettingsError(
            f"timing budget {settings.min_run_time}..{settings.max_run_time} s is not "
            "0 < min_run_time <= max_run_time"
        )
    for name, value, choices in (
        ("mode", settings.mode, MODES),
        ("optimizer", settings.optimizer, OPTIMIZERS),
        ("loss", settings.loss, LOSSES),
    ):
        if value not in choices:
            raise RuntimeSettingsError(
                f"unknown {name} '{value}'; choose one of {', '.join(choices)}"
            )
    return ResolvedSettings(device, None if dtype is torch.float32 else dtype, batches)
