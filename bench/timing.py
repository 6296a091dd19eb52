"""Timing and report helpers shared by the scripts in ``bench/``."""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Timing:
    median: float
    low: float
    high: float

    def ms(self) -> str:
        return f"{self.median * 1e3:.3f}"

    def span(self, digits: int = 3) -> str:
        return f"{self.low * 1e3:.{digits}f}..{self.high * 1e3:.{digits}f}"


def measure(
    action: Callable[[], object],
    repeats: int,
    *,
    before: Callable[[], object] | None = None,
    warmup: int = 1,
) -> Timing:
    """Median seconds of ``action``; ``before`` runs untimed ahead of each call; gc is off."""
    for _ in range(warmup):
        if before is not None:
            before()
        action()
    gc.collect()
    times: list[float] = []
    for _ in range(repeats):
        if before is not None:
            before()
        gc.disable()
        try:
            start = time.perf_counter()
            action()
            times.append(time.perf_counter() - start)
        finally:
            gc.enable()
    return Timing(statistics.median(times), min(times), max(times))


def measure_rounds(
    actions: Mapping[str, Callable[[], object]],
    rounds: int,
    *,
    settle: Callable[[], object] | None = None,
    before: Mapping[str, Callable[[], object]] | None = None,
    gc_enabled: Collection[str] = (),
    warmup: int = 1,
) -> dict[str, Timing]:
    """Median seconds of each action, run in turn once per round (gc off while timed).

    Interleaving keeps a slow spell of a shared machine from landing on one side of a ratio.
    ``settle`` runs untimed before each action, so that an action timed right after a big one
    (the peer) doesn't pay for the CPU caches the big one evicted. ``before[name]``, where
    given, runs untimed right before action ``name`` (after ``settle``): clearing a cache, say.
    Actions named in ``gc_enabled`` are timed with the garbage collector on, as they run in
    real use.
    """
    times: dict[str, list[float]] = {name: [] for name in actions}
    for round_number in range(warmup + rounds):
        gc.collect()
        for name, action in actions.items():
            if settle is not None:
                settle()
            if before is not None and name in before:
                before[name]()
            if name not in gc_enabled:
                gc.disable()
            try:
                start = time.perf_counter()
                action()
                elapsed = time.perf_counter() - start
            finally:
                gc.enable()
            if round_number >= warmup:
                times[name].append(elapsed)
    return {
        name: Timing(statistics.median(values), min(values), max(values))
        for name, values in times.items()
    }


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    widths = [max(len(row[i]) for row in [headers, *rows]) for i in range(len(headers))]
    print("  ".join(h.rjust(w) for h, w in zip(headers, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)))


def verdict(met: bool) -> str:
    return "met" if met else "NOT MET"
