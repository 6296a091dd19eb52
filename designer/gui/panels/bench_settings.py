"""The benchmark panel's settings kept across starts: what to time (mode, optimizer, loss: also
what Max batch fits), device, batch sizes, dtype, channels_last and torch.compile, restored from
and written to the window's settings. The baseline is not among them: it lasts the session."""

from __future__ import annotations

import logging

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QComboBox

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
    for name, combo in _step_combos(panel).items():
        combo.currentIndexChanged.connect(
            lambda _index, name=name, combo=combo: keep(name, combo.currentData())
        )


def _step_combos(panel: BenchPanel) -> dict[str, QComboBox]:
    return {"mode": panel.mode, "optimizer": panel.optimizer, "loss": panel.loss}


def _restore(panel: BenchPanel, settings: QSettings) -> None:
    settings.beginGroup(GROUP)
    try:
        device = settings.value("device", AUTO_DEVICE, type=str)
        batches = settings.value("batches", panel.batches.text(), type=str)
        dtype = settings.value("dtype", panel.dtype.currentText(), type=str)
        channels_last = settings.value("channels_last", False, type=bool)
        compile_ = settings.value("compile", False, type=bool)
        # before the mode was one choice for Run and Max batch, Max batch had its own step
        old_mode, _, old_optimizer = str(settings.value("max_batch_step", "", type=str)).partition(
            "/"
        )
        step = {
            "mode": settings.value("mode", old_mode or None, type=str),
            "optimizer": settings.value("optimizer", old_optimizer or None, type=str),
            "loss": settings.value("loss", None, type=str),
        }
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
    for name, combo in _step_combos(panel).items():
        index = combo.findData(step[name])
        if index >= 0:
            combo.setCurrentIndex(index)
