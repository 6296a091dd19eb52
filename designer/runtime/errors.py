"""The errors a measurement gives its caller: each one a message a person can act on."""

from __future__ import annotations


class RunError(Exception):
    """Base of everything the runtime raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RuntimeSettingsError(RunError):
    """The settings can't be run here: unknown device, a dtype it lacks, a bad batch size."""


class TooLargeError(RuntimeSettingsError):
    """The estimate of the memory a run needs exceeds what the device has free."""

    def __init__(self, message: str, *, batch: int, estimate_bytes: int, available_bytes: int):
        super().__init__(message)
        self.batch = batch
        self.estimate_bytes = estimate_bytes
        self.available_bytes = available_bytes


class MeasurementError(RunError):
    """The run itself failed (out of memory, most often); ``batch`` is where it did."""

    def __init__(self, message: str, *, batch: int | None) -> None:
        super().__init__(message)
        self.batch = batch


class WorkerCrashedError(RunError):
    """The worker process died mid-run (killed, a crash in native code, an exit); the next run
    starts a fresh one."""


class RunTimeoutError(RunError):
    """The run took longer than allowed; its worker was stopped and the next run starts a
    fresh one."""


class RunCancelledError(RunError):
    """The run was cancelled; its worker was stopped and the next run starts a fresh one."""
