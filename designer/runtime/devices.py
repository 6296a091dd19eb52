"""Which devices and dtypes this machine can run, and checking what a caller asks for."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Iterable
from dataclasses import dataclass

import torch

from designer.runtime.errors import RuntimeSettingsError

DTYPES: dict[str, torch.dtype] = {
    "fp32": torch.float32,
    "bf16": torch.bfloat16,
    "fp16": torch.float16,
}
"""The compute dtypes a run can ask for; bf16 and fp16 run under ``torch.autocast``."""

_DEVICE_TYPES = ("cpu", "cuda", "mps")


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    name: str
    """What to ask for: "cpu", "cuda:0", "mps"."""
    description: str
    """For people: the GPU's name, or the CPU's thread count."""


def available_devices() -> list[DeviceInfo]:
    """Every device a run can use here: the CPU always, then each CUDA GPU, then MPS."""
    devices = [DeviceInfo("cpu", f"CPU, {torch.get_num_threads()} threads")]
    if torch.cuda.is_available():
        devices += [
            DeviceInfo(f"cuda:{index}", torch.cuda.get_device_name(index))
            for index in range(torch.cuda.device_count())
        ]
    if torch.backends.mps.is_available():
        devices.append(DeviceInfo("mps", "Apple GPU (Metal)"))
    return devices


def resolve_device(requested: str) -> torch.device:
    """The device ``requested`` names: "auto" is CUDA, then MPS, then the CPU.

    "cuda" means the current CUDA device; the result always carries an index for CUDA.
    """
    text = requested.strip().lower()
    if text == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda", torch.cuda.current_device())
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        device = torch.device(text)
    except RuntimeError:
        raise _unknown_device(requested) from None
    if device.type not in _DEVICE_TYPES:
        raise _unknown_device(requested)
    if device.type == "cpu":
        return torch.device("cpu")
    if device.type == "mps":
        if not torch.backends.mps.is_available():
            raise _unknown_device(requested)
        return torch.device("mps")
    if not torch.cuda.is_available():
        raise _unknown_device(requested)
    index = torch.cuda.current_device() if device.index is None else device.index
    if index >= torch.cuda.device_count():
        raise _unknown_device(requested)
    return torch.device("cuda", index)


def device_label(device: torch.device) -> str:
    """The device's name for people: the GPU's model, or "CPU"."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    if device.type == "mps":
        return "Apple GPU (Metal)"
    return "CPU"


def check_dtype(dtype: str, device: torch.device) -> torch.dtype:
    """The torch dtype ``dtype`` names, if ``device`` can compute in it."""
    if dtype not in DTYPES:
        raise RuntimeSettingsError(f"unknown dtype '{dtype}'; choose one of {', '.join(DTYPES)}")
    torch_dtype = DTYPES[dtype]
    if torch_dtype is not torch.float32 and not _autocast_supported(str(device), torch_dtype):
        raise RuntimeSettingsError(f"{dtype} is not supported on {device} ({device_label(device)})")
    return torch_dtype


def check_batches(batches: Iterable[int]) -> tuple[int, ...]:
    """The batch sizes, each a whole number of at least 1; at least one of them."""
    checked = tuple(batches)
    if not checked:
        raise RuntimeSettingsError("no batch size given; give at least one")
    for batch in checked:
        if isinstance(batch, bool) or not isinstance(batch, int):
            raise RuntimeSettingsError(f"batch size {batch!r} is not a whole number")
        if batch < 1:
            raise RuntimeSettingsError(f"batch size {batch} is not allowed; it must be 1 or more")
    return checked


@functools.cache
def _autocast_supported(device: str, dtype: torch.dtype) -> bool:
    """Whether autocast computes in ``dtype`` on ``device``, by asking, then by trying.

    CUDA GPUs before Ampere only emulate bf16 (slowly): they count as lacking it.
    """
    device_type = torch.device(device).type
    if not torch.amp.is_autocast_available(device_type):
        return False
    if device_type == "cuda" and dtype is torch.bfloat16:
        return bool(torch.cuda.is_bf16_supported(including_emulation=False))
    try:
        with warnings.catch_warnings():  # an unsupported dtype warns and disables autocast
            warnings.simplefilter("ignore")
            with torch.autocast(device_type, dtype=dtype):
                ones = torch.ones(2, 2, device=device)
                result = torch.nn.functional.linear(ones, ones)
    except (RuntimeError, TypeError):
        return False
    return result.dtype is dtype


def _unknown_device(requested: str) -> RuntimeSettingsError:
    names = ", ".join(info.name for info in available_devices())
    return RuntimeSettingsError(f"unknown device '{requested}'; this machine has: {names}")
