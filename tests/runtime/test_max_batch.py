"""The max-batch search: exact on a fake out-of-memory, measured with real steps (on the CPU, the
out-of-memory faked past a threshold), estimated on the CPU, refusals, and through the worker
(a worker killed mid-search is a crash; the next search gets a fresh one)."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterator
from itertools import pairwise

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from designer.compiler import compile_design
from designer.compiler.compile import CompiledDesign
from designer.graph import Design, load_design
from designer.runtime import (
    MeasurementError,
    MeasureSettings,
    Progress,
    RuntimeSettingsError,
    TooLargeError,
    TorchWorker,
    WorkerCrashedError,
)
from designer.runtime import max_batch as max_batch_module
from designer.runtime.max_batch import (
    CPU_HEADROOM,
    Probe,
    find_max_batch,
    max_probes,
    search_max_batch,
)
from designer.runtime.memory import estimate_memory
from designer.runtime.results import MaxBatchResult
from designer.runtime.settings import resolve_settings
from designer.runtime.train_step import training_estimate
from tests.paths import EXAMPLES

MIB = 1 << 20


def fake_out_of_memory(threshold: int, error: Callable[[int], RuntimeError]) -> Probe:
    """A probe that fits up to ``threshold`` and raises ``error(batch)`` above it."""

    def probe(batch: int) -> int:
        if batch > threshold:
            raise error(batch)
        return batch * 1000

    return probe


def cuda_out_of_memory(batch: int) -> RuntimeError:
    return torch.OutOfMemoryError(f"CUDA out of memory. Tried to allocate {batch} MiB")


# --- the search, on a fake out-of-memory -------------------------------------------------------


@given(
    cap=st.integers(1, 1 << 20),
    threshold=st.one_of(st.integers(0, 1 << 21), st.integers(0, 64)),
    start=st.sampled_from([1, 2]),
)
def test_the_search_finds_the_exact_largest_batch_in_few_tries(
    cap: int, threshold: int, start: int
) -> None:
    releases: list[int] = []
    told: list[tuple[int, int]] = []
    search = search_max_batch(
        fake_out_of_memory(threshold, cuda_out_of_memory),
        cap=cap,
        start=start,
        release=lambda: releases.append(len(releases)),
        on_try=lambda batch, done: told.append((batch, done)),
    )
    assert search.batch == min(threshold, cap)
    assert search.capped == (threshold >= cap)
    assert search.cap == cap
    tried = [attempt.batch for attempt in search.tries]
    assert len(tried) <= max_probes(cap)
    assert len(set(tried)) == len(tried)  # no batch size tried twice
    assert all(1 <= batch <= cap for batch in tried)
    assert tried[0] == min(start, cap)
    assert (1 in tried) == (start == 1 or cap == 1 or threshold < 2)  # 1 only when needed
    for attempt in search.tries:
        assert attempt.fits == (attempt.batch <= threshold)
        assert attempt.peak_memory_bytes == (attempt.batch * 1000 if attempt.fits else None)
    assert len(releases) == sum(not attempt.fits for attempt in search.tries)
    assert told == [(batch, done) for done, batch in enumerate(tried)]
    if 1 <= search.batch < cap:  # the answer is pinned on both sides by tries
        assert search.batch in tried and search.batch + 1 in tried
    assert search.peak_at(search.batch) == (search.batch * 1000 if search.batch else None)


def test_the_search_doubles_then_bisects() -> None:
    search = search_max_batch(fake_out_of_memory(44, cuda_out_of_memory), cap=1000)
    assert [(t.batch, t.fits) for t in search.tries] == [
        (1, True), (2, True), (4, True), (8, True), (16, True), (32, True), (64, False),
        (48, False), (40, True), (44, True), (46, False), (45, False),
    ]  # fmt: skip
    assert (search.batch, search.capped) == (44, False)
    from_two = search_max_batch(fake_out_of_memory(1, cuda_out_of_memory), cap=1000, start=2)
    assert [(t.batch, t.fits) for t in from_two.tries] == [(2, False), (1, True)]
    assert from_two.batch == 1


def test_the_bound_on_tries_is_reached() -> None:
    """The bound is tight: a threshold just under the cap takes every try it allows."""
    for cap in (1, 2, 3, 5, 100, 1 << 10, (1 << 16) + 1):
        worst = max(
            len(search_max_batch(fake_out_of_memory(t, cuda_out_of_memory), cap=cap).tries)
            for t in {0, 1, cap - 1, cap // 2, cap // 2 + 1, (cap * 3) // 4}
        )
        assert worst <= max_probes(cap)
    assert max_probes(1 << 16) == 32 and max_probes(1) == 1


@pytest.mark.parametrize(
    "error",
    [
        lambda batch: RuntimeError(f"CUDA out of memory. Tried to allocate {batch} GiB"),
        lambda batch: RuntimeError(
            f"[enforce fail at alloc_cpu.cpp:117] DefaultCPUAllocator: not enough memory: "
            f"you tried to allocate {batch} bytes."
        ),
        lambda batch: RuntimeError("MPS backend out of memory (MPS allocated: 1 GB)"),
    ],
    ids=["cuda-message", "cpu-allocator", "mps"],
)
def test_every_out_of_memory_message_counts(error: Callable[[int], RuntimeError]) -> None:
    assert search_max_batch(fake_out_of_memory(10, error), cap=100).batch == 10


def test_an_error_that_isnt_out_of_memory_ends_the_search() -> None:
    def probe(batch: int) -> int:
        if batch > 3:
            raise RuntimeError("mat1 and mat2 shapes cannot be multiplied")
        return 0

    with pytest.raises(RuntimeError, match="cannot be multiplied"):
        search_max_batch(probe, cap=100)


def test_a_cap_below_one_is_refused() -> None:
    with pytest.raises(RuntimeSettingsError, match="cap 0 is not allowed"):
        search_max_batch(fake_out_of_memory(5, cuda_out_of_memory), cap=0)


# --- real designs, in-process ------------------------------------------------------------------


@pytest.fixture(scope="module")
def lenet() -> tuple[CompiledDesign, Design]:
    design = load_design(EXAMPLES / "lenet5.json")
    return compile_design(design), design


def _chain(name: str, blocks: list[tuple[str, dict[str, object]]]) -> Design:
    design = Design(name)
    ids = [
        design.add_block(kind, name=f"b{index}", params=params).id
        for index, (kind, params) in enumerate(blocks)
    ]
    for source, target in pairwise(ids):
        design.connect(source, target)
    return design


@pytest.fixture
def measured_on_the_cpu(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[int], list[int]]]:
    """The measured search on the CPU: real steps, with an out-of-memory faked above a
    threshold (set by calling the fixture); gives the list of releases it makes."""
    releases: list[int] = []
    real_probe = max_batch_module._step_probe
    monkeypatch.setattr(max_batch_module, "MEASURED_DEVICE_TYPES", frozenset({"cuda", "cpu"}))
    monkeypatch.setattr(max_batch_module, "release", lambda device: releases.append(1))

    def set_threshold(threshold: int) -> list[int]:
        def faking(*arguments: object) -> Probe:
            probe = real_probe(*arguments)  # type: ignore[arg-type]

            def step(batch: int) -> int | None:
                if batch > threshold:
                    raise torch.OutOfMemoryError(f"CUDA out of memory at {batch} (fake)")
                return probe(batch)

            return step

        monkeypatch.setattr(max_batch_module, "_step_probe", faking)
        return releases

    yield set_threshold


@pytest.mark.parametrize("mode", ["train", "forward"])
def test_the_measured_search_runs_real_steps_and_recovers(
    measured_on_the_cpu: Callable[[int], list[int]],
    lenet: tuple[CompiledDesign, Design],
    mode: str,
) -> None:
    releases = measured_on_the_cpu(13)
    progress: list[Progress] = []
    compiled, design = lenet
    settings = MeasureSettings(device="cpu", mode=mode, optimizer="adamw")
    result = find_max_batch(compiled, design, settings, cap=64, on_progress=progress.append)
    assert (result.batch, result.capped, result.method, result.confirmed) == (
        13,
        False,
        "measured",
        True,
    )
    assert (result.mode, result.device, result.device_name) == (mode, "cpu", "CPU")
    assert (result.optimizer, result.loss) == (
        ("adamw", "cross_entropy") if mode == "train" else (None, None)
    )
    assert result.peak_memory_bytes is None  # max_memory_allocated is CUDA's
    assert result.limit_bytes is None and result.available_bytes is None
    assert len(releases) == sum(not t.fits for t in result.tries) > 0
    assert [p.batch for p in progress] == [t.batch for t in result.tries]
    assert all(p.stage == "trying" and p.total == max_probes(64) for p in progress)


def test_out_of_memory_at_batch_one_is_a_clear_message(
    measured_on_the_cpu: Callable[[int], list[int]], lenet: tuple[CompiledDesign, Design]
) -> None:
    measured_on_the_cpu(0)
    compiled, design = lenet
    with pytest.raises(MeasurementError, match="not even one sample fits") as caught:
        find_max_batch(compiled, design, MeasureSettings(device="cpu", mode="train"), cap=8)
    assert caught.value.batch == 1


def _estimate(compiled: CompiledDesign, design: Design, batch: int, overhead: int) -> int:
    model = max_batch_module.build_model(compiled)
    return estimate_memory(model, design, compiled.report, batch, 4).total_bytes + overhead


def test_the_cpu_search_is_the_exact_largest_batch_the_estimate_allows(
    monkeypatch: pytest.MonkeyPatch, lenet: tuple[CompiledDesign, Design]
) -> None:
    monkeypatch.setattr(max_batch_module, "available_bytes", lambda device: 40 * MIB)
    compiled, design = lenet
    result = find_max_batch(compiled, design, MeasureSettings(device="cpu", mode="train"))
    assert (result.method, result.confirmed, result.capped) == ("estimated", True, False)
    limit = int(40 * MIB * CPU_HEADROOM)
    assert (result.available_bytes, result.limit_bytes) == (40 * MIB, limit)
    settings = MeasureSettings(device="cpu", mode="train")
    resolved = resolve_settings(settings)

    def estimate(batch: int) -> int:
        model = max_batch_module.build_model(compiled)
        return training_estimate(model, compiled, design, settings, resolved, batch).total_bytes

    assert result.estimated_bytes == estimate(result.batch)
    assert result.estimated_bytes <= limit < estimate(result.batch + 1)
    assert result.peak_memory_bytes is None


def test_adamw_state_makes_the_estimated_batch_smaller(
    monkeypatch: pytest.MonkeyPatch, lenet: tuple[CompiledDesign, Design]
) -> None:
    monkeypatch.setattr(max_batch_module, "available_bytes", lambda device: 40 * MIB)
    compiled, design = lenet
    batches = {
        (mode, optimizer): find_max_batch(
            compiled, design, MeasureSettings(device="cpu", mode=mode, optimizer=optimizer)
        ).batch
        for mode, optimizer in (("forward", "sgd"), ("train", "sgd"), ("train", "adamw"))
    }
    # forward passes are checked against a guard (every output held at once), training steps
    # against the training estimate (what backward keeps): only the optimizers compare
    assert batches["train", "sgd"] > batches["train", "adamw"] > 0 and batches["forward", "sgd"]


def test_a_cheap_cpu_result_is_confirmed_and_an_expensive_one_is_not(
    monkeypatch: pytest.MonkeyPatch, lenet: tuple[CompiledDesign, Design]
) -> None:
    compiled, design = lenet
    progress: list[Progress] = []
    settings = MeasureSettings(device="cpu", mode="train")
    capped = find_max_batch(compiled, design, settings, cap=50, on_progress=progress.append)
    assert (capped.batch, capped.capped, capped.confirmed) == (50, True, True)
    assert progress == [Progress("confirming", 50, 0, 1)]
    monkeypatch.setattr(max_batch_module, "CONFIRM_MAX_BYTES", 1)
    progress.clear()
    unconfirmed = find_max_batch(compiled, design, settings, cap=50, on_progress=progress.append)
    assert (unconfirmed.batch, unconfirmed.confirmed) == (50, None)
    assert progress == [Progress("confirming", 2, 0, 1)]  # a small step shows the mode runs


def test_a_training_search_with_batch_norm_on_n_x_c_starts_at_two(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Batch norm can't train on one value per channel: batch size 1 of N x C is never tried
    unless 2 doesn't fit."""
    design = _chain(
        "Normed",
        [
            ("input", {"shape": [1, 20]}),
            ("linear", {"out_features": 8}),
            ("batch_norm1d", {}),
            ("output", {}),
        ],
    )
    compiled = compile_design(design)
    settings = MeasureSettings(device="cpu", mode="train", loss="mse")
    result = find_max_batch(compiled, design, settings, cap=40)
    assert (result.batch, result.confirmed, result.tries[0].batch) == (40, True, 2)
    monkeypatch.setattr(max_batch_module, "CONFIRM_MAX_BYTES", 1)
    assert find_max_batch(compiled, design, settings, cap=40).confirmed is None


def test_a_confirming_step_that_runs_out_of_memory_says_so(
    monkeypatch: pytest.MonkeyPatch, lenet: tuple[CompiledDesign, Design]
) -> None:
    def out_of_memory(*_arguments: object) -> Probe:
        return fake_out_of_memory(0, cuda_out_of_memory)

    monkeypatch.setattr(max_batch_module, "_step_probe", out_of_memory)
    compiled, design = lenet
    result = find_max_batch(compiled, design, MeasureSettings(device="cpu"), cap=16)
    assert (result.batch, result.method, result.confirmed) == (16, "estimated", False)


def test_not_even_batch_one_fitting_the_estimate_is_too_large(
    monkeypatch: pytest.MonkeyPatch, lenet: tuple[CompiledDesign, Design]
) -> None:
    monkeypatch.setattr(max_batch_module, "available_bytes", lambda device: 1000)
    compiled, design = lenet
    with pytest.raises(TooLargeError, match="not even batch 1 fits") as caught:
        find_max_batch(compiled, design, MeasureSettings(device="cpu"))
    assert caught.value.batch == 1 and caught.value.available_bytes == 800


def test_unknown_available_memory_is_refused(
    monkeypatch: pytest.MonkeyPatch, lenet: tuple[CompiledDesign, Design]
) -> None:
    monkeypatch.setattr(max_batch_module, "available_bytes", lambda device: None)
    compiled, design = lenet
    with pytest.raises(RuntimeSettingsError, match="can't tell how much memory cpu has"):
        find_max_batch(compiled, design, MeasureSettings(device="cpu"))


def test_what_cant_be_searched_is_refused(lenet: tuple[CompiledDesign, Design]) -> None:
    compiled, design = lenet
    weightless = _chain(
        "NoWeights", [("input", {"shape": [1, 20]}), ("activation", {}), ("output", {})]
    )
    averaged = _chain(
        "Averaged",
        [
            ("input", {"shape": [3, 20]}),
            ("linear", {"out_features": 5}),
            ("mean", {"dims": [-1]}),
            ("output", {}),
        ],
    )
    cases: list[tuple[CompiledDesign, Design, MeasureSettings, int, str]] = [
        (compiled, design, MeasureSettings(device="cpu", compile=True), 8, "runs eagerly"),
        (compiled, design, MeasureSettings(device="cpu", mode="fly"), 8, "unknown mode 'fly'"),
        (compiled, design, MeasureSettings(device="cpu"), 0, "cap 0 is not allowed"),
        (
            compiled,
            design,
            MeasureSettings(device="cpu", channels_last=False, dtype="fp64"),
            8,
            "unknown dtype 'fp64'",
        ),
        (
            compile_design(weightless),
            weightless,
            MeasureSettings(device="cpu", mode="train"),
            8,
            "NoWeights has no parameters to train",
        ),
        (
            compile_design(averaged),
            averaged,
            MeasureSettings(device="cpu", mode="train"),
            8,
            "the cross_entropy loss needs an output of N x C",
        ),
    ]
    for case_compiled, case_design, settings, cap, message in cases:
        with pytest.raises(RuntimeSettingsError, match=message):
            find_max_batch(case_compiled, case_design, settings, cap=cap)


# --- through the worker ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def worker() -> Iterator[TorchWorker]:
    with TorchWorker() as search_worker:
        yield search_worker


def test_the_worker_searches_and_streams_progress(
    worker: TorchWorker, lenet: tuple[CompiledDesign, Design]
) -> None:
    _compiled, design = lenet
    progress: list[Progress] = []
    settings = MeasureSettings(device="cpu", mode="train", optimizer="adamw", loss="mse")
    result = worker.max_batch(design, settings, cap=40, on_progress=progress.append)
    assert isinstance(result, MaxBatchResult)
    assert (result.batch, result.capped, result.confirmed, result.cap) == (40, True, True, 40)
    assert (result.optimizer, result.loss) == ("adamw", "mse")
    assert progress == [Progress("confirming", 40, 0, 1)]
    with pytest.raises(RuntimeSettingsError, match="runs eagerly"):
        worker.max_batch(design, MeasureSettings(device="cpu", compile=True))
    assert worker.max_batch(design, MeasureSettings(device="cpu"), cap=3).batch == 3


def test_a_worker_killed_mid_search_is_a_crash_and_the_next_gets_a_new_one(
    worker: TorchWorker,
) -> None:
    design = load_design(EXAMPLES / "resnet_small.json")  # its confirming step takes a while
    worker.start()
    pid = worker.pid
    assert pid is not None

    def kill(progress: Progress) -> None:
        os.kill(pid, signal.SIGKILL)

    settings = MeasureSettings(device="cpu", mode="train")
    with pytest.raises(WorkerCrashedError, match="killed by SIGKILL"):
        worker.max_batch(design, settings, on_progress=kill)
    lenet = load_design(EXAMPLES / "lenet5.json")
    assert worker.max_batch(lenet, settings, cap=4).batch == 4
    assert worker.pid not in (None, pid)
