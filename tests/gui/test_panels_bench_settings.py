"""The benchmark panel's device, batch sizes, dtype, channels_last and torch.compile come back
after a restart; a device no longer present falls back to auto without a word."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from designer.gui.main_window import MainWindow
from designer.gui.panels.bench_panel import BenchPanel
from designer.runtime.devices import DeviceInfo
from tests.gui.conftest import make_window

CPU = DeviceInfo("cpu", "CPU, 2 threads")
GPU = DeviceInfo("cuda:0", "NVIDIA H200")
SHOT = "/tmp/shots/bench_settings_restored.png"


def restart(
    window: MainWindow, qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> MainWindow:
    """A second window on the same settings file, as the next start of the app."""
    window.settings.sync()
    return make_window(qtbot, tmp_path, monkeypatch)


def bench(window: MainWindow) -> BenchPanel:
    return window.model_docks.bench_panel


def test_the_benchmark_settings_come_back_after_a_restart(
    window: MainWindow, qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    panel = window.model_docks.bench_panel
    panel.show_devices([CPU, GPU])
    panel.device.setCurrentIndex(panel.device.findData("cuda:0"))
    panel.batches.setText("1, 8, 32")
    panel.dtype.setCurrentText("bf16")
    panel.channels_last.setChecked(True)
    panel.compile.setChecked(True)
    second = restart(window, qtbot, tmp_path, monkeypatch)
    restored = bench(second)
    assert restored.batches.text() == "1, 8, 32"
    assert restored.batch_sizes() == (1, 8, 32)
    assert restored.dtype.currentText() == "bf16"
    assert restored.channels_last.isChecked() and restored.compile.isChecked()
    assert restored.device.currentData() == "auto"  # until the worker lists the devices
    restored.show_devices([CPU, GPU])
    assert restored.device.currentData() == "cuda:0"
    assert restored.device.currentText() == "cuda:0: NVIDIA H200"
    second.show()
    second.model_docks.docks["benchmark"].raise_()
    qtbot.waitExposed(second)
    second.grab().save(SHOT)


def test_a_device_no_longer_present_falls_back_to_auto(
    window: MainWindow, qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    panel = window.model_docks.bench_panel
    panel.show_devices([CPU, GPU])
    panel.device.setCurrentIndex(panel.device.findData("cuda:0"))
    status = panel.status.text()
    second = restart(window, qtbot, tmp_path, monkeypatch)
    restored = bench(second)
    restored.show_devices([CPU])  # the GPU is gone at this start
    assert restored.device.currentData() == "auto"
    assert [restored.device.itemData(i) for i in range(restored.device.count())] == ["auto", "cpu"]
    assert restored.status.text() == status and not restored.status.styleSheet()
    # the choice is kept for a start where the GPU is back; picking another replaces it
    third = restart(second, qtbot, tmp_path, monkeypatch)
    again = bench(third)
    again.show_devices([CPU, GPU])
    assert again.device.currentData() == "cuda:0"
    again.device.setCurrentIndex(again.device.findData("cpu"))
    last = bench(restart(third, qtbot, tmp_path, monkeypatch))
    last.show_devices([CPU, GPU])
    assert last.device.currentData() == "cpu"


def test_first_start_keeps_the_defaults(window: MainWindow) -> None:
    panel = window.model_docks.bench_panel
    assert panel.device.currentData() == "auto"
    assert panel.batches.text() == "1"
    assert panel.dtype.currentText() == "fp32"
    assert not panel.channels_last.isChecked() and not panel.compile.isChecked()
