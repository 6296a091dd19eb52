"""The benchmark panel's settings kept across starts: device, batch sizes, dtype,
channels_last, torch.compile and the step the max-batch search fits, restored from and written
to the window's settings."""

from __future__ import annotations

import logging

from PySide6.QtCore import QSettings

from designer.gui.panels.bench_panel import AUTO_DEVICE, DTYPE_CHOICES, BenchPanel

log = logging.getLogger(__name__)

GROUP = "benchmark"


def remember_bench_settings(panel: BenchPanel, settings: QSettings) -> None:
    """Show the settings of the last start in ``panel`` and keep every change to them."""
    _restore(panel, settings)

    def keep(name: str, value: object) -> None:
        settings.setValue(f"{GROUP}/{name}", value)

    panel.device_chosen.connect(lambda device: keep("device", device))
    panel.batches.textChanged.connect(lambda text: keep("batches", text))
    panel.dtype.currentTextChanged.connect(lambda dtype: keep("dtype", dtype))
    panel.channels_last.toggled.connect(lambda on: keep("channels_last", on))
    panel.compile.toggled.connect(lambda on: keep("compile", on))
    panel.max_batch_step.currentIndexChanged.connect(
        lambda _index: keep("max_batch_step", panel.max_batch_step.currentData())
    )


def _restore(panel: BenchPanel, settings: QSettings) -> None:
    settings.beginGroup(GROUP)
    try:
        device = settings.value("device", AUTO_DEVICE, type=str)
        batches = settings.value("batches", panel.batches.text(), type=str)
        dtype = settings.value("dtype", panel.dtype.currentText(), type=str)
        channels_last = settings.value("channels_last", False, type=bool)
        compile_ = settings.value("compile", False, type=bool)
        max_batch_step = settings.value("max_batch_step", "forward", type=str)
    finally:
        settings.endGroup()
    panel.want_device(str(device))  # listed once the worker has found the devices
    panel.batches.setText(str(batches))
    if dtype in DTYPE_CHOICES:
        panel.dtype.setCurrentText(str(dtype))
    else:
        log.info("benchmark dtype %r from the settings is not offered; keeping fp32", dtype)
    panel.channels_last.setChecked(bool(channels_last))
    panel.compile.setChecked(bool(compile_))
    panel.max_batch_step.setCurrentIndex(max(0, panel.max_batch_step.findData(max_batch_step)))
