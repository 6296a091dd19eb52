"""Measuring a compiled design's forward pass: devices, FLOPs, memory and timing, in-process."""

from designer.runtime.devices import DTYPES, DeviceInfo, available_devices, resolve_device
from designer.runtime.errors import (
    MeasurementError,
    RunCancelledError,
    RunError,
    RunTimeoutError,
    RuntimeSettingsError,
    TooLargeError,
    WorkerCrashedError,
)
from designer.runtime.flops import forward_flops
from designer.runtime.measure import measure_forward
from designer.runtime.peaks import dense_peak_tflops
from designer.runtime.results import BatchResult, Progress
from designer.runtime.settings import MeasureSettings
from designer.runtime.worker import TorchWorker

__all__ = [
    "DTYPES",
    "BatchResult",
    "DeviceInfo",
    "MeasureSettings",
    "MeasurementError",
    "Progress",
    "RunCancelledError",
    "RunError",
    "RunTimeoutError",
    "RuntimeSettingsError",
    "TooLargeError",
    "TorchWorker",
    "WorkerCrashedError",
    "available_devices",
    "dense_peak_tflops",
    "forward_flops",
    "measure_forward",
    "resolve_device",
]
