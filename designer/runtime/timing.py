"""Timing a call the way ``torch.utils.benchmark`` does, with the device synchronised."""

from __future__ import annotations

import math
import timeit
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch.utils.benchmark import Timer


@dataclass(frozen=True, slots=True)
class Timing:
    median_s: float
    p10_s: float
    p90_s: float
    """Percentiles over the timed blocks (each block's mean time per call)."""
    runs: int
    """Calls timed in all."""
    blocks: int
    """Blocks of calls the percentiles are taken over."""


def synchronize(device: torch.device) -> None:
    """Wait for the device's queued work (nothing to wait for on the CPU)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def time_call(
    call: Callable[[], object],
    device: torch.device,
    *,
    threshold: float,
    min_run_time: float,
    max_run_time: float,
) -> Timing:
    """Time ``call`` with ``Timer.adaptive_autorange``: blocks of calls, repeated until the
    spread (IQR / median) is under ``threshold`` (after ``min_run_time`` seconds) or
    ``max_run_time`` is spent.

    The timer synchronises ``device`` on every reading, so GPU work is inside the time; the
    Timer runs with the threads torch uses now (its default would be one).
    """

    def clock() -> float:
        synchronize(device)
        return timeit.default_timer()

    timer = Timer(
        stmt="call()",
        globals={"call": call},
        timer=clock,
        num_threads=torch.get_num_threads(),
    )
    measurement = timer.adaptive_autorange(
        threshold=threshold, min_run_time=min_run_time, max_run_time=max_run_time
    )
    times = sorted(measurement.times)
    return Timing(
        median_s=float(measurement.median),
        p10_s=_percentile(times, 0.10),
        p90_s=_percentile(times, 0.90),
        runs=len(times) * int(measurement.number_per_run),
        blocks=len(times),
    )


def _percentile(ordered: list[float], share: float) -> float:
    """Linear interpolation between the closest ranks (numpy's default)."""
    position = share * (len(ordered) - 1)
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)
