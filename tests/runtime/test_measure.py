"""The in-process runtime: FLOP counts, result fields, variants and every refusal (CPU only)."""

from __future__ import annotations

import math
from itertools import pairwise
from typing import Any

import pytest
import torch

from designer.compiler import CompiledDesign, build_model, compile_design
from designer.graph import Design
from designer.runtime import (
    BatchResult,
    MeasurementError,
    MeasureSettings,
    RuntimeSettingsError,
    TooLargeError,
    available_devices,
    dense_peak_tflops,
    forward_flops,
    measure_forward,
    resolve_device,
)
from designer.runtime import measure as measure_module

QUICK = {"warmup": 1, "min_run_time": 0.02, "max_run_time": 0.2}
"""Short timing budgets: these tests check plumbing, bench/timing_accuracy.py checks accuracy."""


def _chain(name: str, blocks: list[tuple[str, dict[str, object]]]) -> Design:
    design = Design(name)
    ids = [
        design.add_block(kind, name=f"b{index}", params=params).id
        for index, (kind, params) in enumerate(blocks)
    ]
    for source, target in pairwise(ids):
        design.connect(source, target)
    return design


def conv_design(bias: bool = True) -> Design:
    """1x3x8x8 -> Conv2d(3, 4, 3, padding=1): the output is 4x8x8."""
    return _chain(
        "Conv",
        [
            ("input", {"shape": [1, 3, 8, 8]}),
            ("conv2d", {"out_channels": 4, "kernel_size": 3, "bias": bias}),
            ("output", {}),
        ],
    )


def linear_design(bias: bool = True) -> Design:
    """1x20 -> Linear(20, 30)."""
    return _chain(
        "Lin",
        [
            ("input", {"shape": [1, 20]}),
            ("linear", {"out_features": 30, "bias": bias}),
            ("output", {}),
        ],
    )


def _run(design: Design, **settings: Any) -> list[BatchResult]:
    options: dict[str, Any] = {"device": "cpu", **QUICK, **settings}
    return measure_forward(compile_design(design), design, MeasureSettings(**options))


@pytest.mark.parametrize("batch", [1, 5])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_flops_are_two_per_multiply_accumulate(batch: int, bias: bool) -> None:
    # FlopCounterMode counts addmm as its matmul alone: the bias add is not counted
    design = linear_design(bias)
    assert forward_flops(compile_design(design), design, batch) == 2 * 20 * 30 * batch


@pytest.mark.parametrize("batch", [1, 3])
@pytest.mark.parametrize("bias", [True, False])
def test_conv_flops_are_two_per_multiply_accumulate(batch: int, bias: bool) -> None:
    # 2 * Cin * Cout * k * k * Hout * Wout * batch; the bias add is not counted either
    design = conv_design(bias)
    assert forward_flops(compile_design(design), design, batch) == 2 * 3 * 4 * 3 * 3 * 8 * 8 * batch


def test_activations_and_pooling_count_no_flops() -> None:
    design = _chain(
        "Mixed",
        [
            ("input", {"shape": [1, 3, 8, 8]}),
            ("conv2d", {"out_channels": 4, "kernel_size": 3}),
            ("activation", {"activation": "relu"}),
            ("max_pool2d", {}),
            ("flatten", {}),
            ("linear", {"out_features": 5}),
            ("output", {}),
        ],
    )
    compiled = compile_design(design)
    pooled = compiled.report.results[list(design.blocks)[4]].shape
    assert pooled is not None
    expected = 2 * 3 * 4 * 9 * 8 * 8 + 2 * math.prod(pooled[1:]) * 5
    assert forward_flops(compiled, design, 1) == expected


def test_result_fields_are_filled_and_consistent() -> None:
    design = conv_design()
    [result] = _run(design, batches=(4,))
    assert result.batch == 4 and result.device == "cpu" and result.device_name == "CPU"
    assert result.dtype == "fp32" and not result.compiled and not result.channels_last
    assert result.threads == torch.get_num_threads()
    assert 0 < result.p10_s <= result.median_s <= result.p90_s
    assert result.runs >= 4
    assert result.throughput == pytest.approx(4 / result.median_s)
    assert result.flops == 2 * 3 * 4 * 9 * 8 * 8 * 4
    assert result.tflops == pytest.approx(result.flops / result.median_s / 1e12)
    assert result.peak_tflops is None and result.peak_share is None  # no share on a CPU
    assert result.compile_s is None and result.peak_memory_bytes is None
    assert result.parameter_bytes == (3 * 4 * 9 + 4) * 4
    assert result.estimated_bytes >= result.parameter_bytes


def test_a_sweep_gives_one_result_per_batch_in_order() -> None:
    results = _run(linear_design(), batches=(1, 2, 8))
    assert [result.batch for result in results] == [1, 2, 8]
    assert [result.flops for result in results] == [2 * 20 * 30 * b for b in (1, 2, 8)]


def test_channels_last_and_bf16_autocast_run() -> None:
    [result] = _run(conv_design(), channels_last=True, dtype="bf16", batches=(2,))
    assert result.channels_last and result.dtype == "bf16" and result.median_s > 0


def test_channels_last_needs_a_4d_input() -> None:
    with pytest.raises(RuntimeSettingsError, match="channels_last needs a 4-d"):
        _run(linear_design(), channels_last=True)


def test_compile_time_is_reported_apart_from_the_latency() -> None:
    # inductor compiles this one-layer model in a few seconds here
    [result] = _run(linear_design(), compile=True, batches=(2,))
    assert result.compiled
    assert result.compile_s is not None and result.compile_s > result.median_s * 10


def test_unknown_device_names_what_the_machine_has() -> None:
    names = ", ".join(info.name for info in available_devices())
    with pytest.raises(
        RuntimeSettingsError, match=f"unknown device 'tpu'; this machine has: {names}"
    ):
        _run(linear_design(), device="tpu")
    with pytest.raises(RuntimeSettingsError, match="unknown device 'meta'"):
        _run(linear_design(), device="meta")


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks a machine without CUDA")
def test_cuda_without_a_gpu_is_unknown() -> None:
    with pytest.raises(
        RuntimeSettingsError, match="unknown device 'cuda:1'; this machine has: cpu"
    ):
        resolve_device("cuda:1")


def test_auto_and_cpu_resolve() -> None:
    assert resolve_device("cpu") == torch.device("cpu")
    expected = (
        "cuda"
        if torch.cuda.is_available()
        else ("mps" if torch.backends.mps.is_available() else "cpu")
    )
    assert resolve_device("auto").type == expected


def test_fp16_runs_on_the_cpu() -> None:
    # torch's CPU autocast computes in float16 (since 2.x): allowed, however slow
    [result] = _run(linear_design(), dtype="fp16")
    assert result.dtype == "fp16"


def test_a_dtype_the_device_lacks_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from designer.runtime import devices

    monkeypatch.setattr(devices, "_autocast_supported", lambda device, dtype: False)
    with pytest.raises(RuntimeSettingsError, match=r"^bf16 is not supported on cpu \(CPU\)$"):
        _run(linear_design(), dtype="bf16")
    with pytest.raises(RuntimeSettingsError, match="unknown dtype 'int8'"):
        _run(linear_design(), dtype="int8")


@pytest.mark.parametrize("batches", [(0,), (-2,), (), (4, 0)])
def test_batches_below_one_are_refused(batches: tuple[int, ...]) -> None:
    with pytest.raises(RuntimeSettingsError, match="batch size|no batch size"):
        _run(linear_design(), batches=batches)


def test_a_model_too_large_is_refused_with_the_estimate_and_runs_when_forced(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(measure_module, "available_bytes", lambda device: 1000)
    design = conv_design()
    with pytest.raises(
        TooLargeError, match=r"batch 16 needs about .* but cpu has 1000 B free"
    ) as caught:
        _run(design, batches=(16,))
    weights = (3 * 4 * 9 + 4) * 4
    activations = (3 + 4) * 8 * 8 * 16 * 4  # the input and the conv's output
    assert caught.value.estimate_bytes == weights + activations
    assert caught.value.available_bytes == 1000
    [result] = _run(design, batches=(16,), force=True)
    assert result.estimated_bytes == caught.value.estimate_bytes


def test_an_out_of_memory_becomes_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def build_failing(compiled: CompiledDesign) -> torch.nn.Module:
        model = build_model(compiled)

        def forward(*inputs: torch.Tensor) -> torch.Tensor:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

        model.forward = forward
        return model

    monkeypatch.setattr(measure_module, "build_model", build_failing)
    with pytest.raises(
        MeasurementError, match=r"^out of memory at batch 2 on cpu .*smaller batch"
    ) as caught:
        _run(linear_design(), batches=(2, 4))
    assert caught.value.batch == 2


def test_peaks_are_dense_figures_and_unknown_devices_get_none() -> None:
    assert dense_peak_tflops("NVIDIA H100 80GB HBM3", "bf16") == 989.5
    assert dense_peak_tflops("NVIDIA H100 PCIe", "bf16") == 756.0
    assert dense_peak_tflops("NVIDIA H200", "fp32") == 67.0
    assert dense_peak_tflops("NVIDIA A100-SXM4-80GB", "fp16") == 312.0
    assert dense_peak_tflops("NVIDIA L4", "bf16") == 121.0
    assert dense_peak_tflops("NVIDIA GeForce RTX 4090", "fp32") == 82.6
    assert dense_peak_tflops("NVIDIA GH200 480GB", "bf16") is None
    assert dense_peak_tflops("Tesla T4", "fp16") is None
