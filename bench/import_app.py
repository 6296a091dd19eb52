"""Time File > Import Model... in the app (issue 12's speed target).

In the real main window (offscreen unless ``QT_QPA_PLATFORM`` says otherwise), with torch
loaded in the window and the model panels started as the app does, and a laid-out design
open (the seed's final model), each run imports torchvision's ``resnet50`` through the
dialog: from the request (``show_dialog``, fields filled, Import) to the design open, laid out
with its deep groups collapsed, and its first frame painted (``viewport().repaint()``). The
import worker is warm before each run (torch's import not counted, as the issue says); one
run with a cold worker (started at the request) is the peer. Where torchvision can't be
imported, a hand-written ResNet50 (torchvision's structure, written out below) is imported
instead, and the output says so.

Phases: worker = the request until the answer reaches the window (the worker builds the model
on meta, traces and maps it); open = ``ImportController.open_result`` (parse, the collapsed
layout, opening it, collapsing, fit); frame = the first repaint. Run from the repository
root::

    python bench/import_app.py [--runs 5] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import importlib
import os
import pstats
import statistics
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import QEventLoop, QSettings, QTimer, qVersion
from PySide6.QtWidgets import QApplication
from timing import verdict

from designer.gui.app import make_application
from designer.gui.file_controller import Answer
from designer.gui.main_window import MainWindow
from designer.gui.torch_loader import TorchLoader
from designer.importer.loading import ImportResult
from designer.resources import examples_dir
from designer.text_table import text_table

TARGET_S = 3.0
RUNS = 5
INPUT_SHAPE = "1,3,224,224"
OPEN_FIRST = "seed_final.json"
WAIT_S = 300.0
PHASES = ("worker", "open", "frame", "total")

RESNET50 = '''
"""ResNet50 as torchvision writes it (Bottleneck blocks, 3-4-6-3), for machines without it."""

import torch
from torch import nn


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        return self.relu(self.bn3(self.conv3(out)) + identity)


class ResNet50(nn.Module):
    def __init__(self, num_classes=1000):
        super().__init__()
        self.inplanes = 64
        self.conv1 = nn.Conv2d(3, 64, 7, 2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, padding=1)
        self.layer1 = self._layer(64, 3)
        self.layer2 = self._layer(128, 4, 2)
        self.layer3 = self._layer(256, 6, 2)
        self.layer4 = self._layer(512, 3, 2)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(2048, num_classes)

    def _layer(self, planes, blocks, stride=1):
        downsample = None
        if stride != 1 or self.inplanes != planes * 4:
            downsample = nn.Sequential(
                nn.Conv2d(self.inplanes, planes * 4, 1, stride, bias=False),
                nn.BatchNorm2d(planes * 4),
            )
        layers = [Bottleneck(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes * 4
        layers += [Bottleneck(self.inplanes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))
'''


def model_source(folder: Path) -> tuple[str, str]:
    """SOURCE to import and what it is: torchvision's resnet50, else the hand-written one."""
    try:
        torchvision = importlib.import_module("torchvision")  # no type hints: imported by name
        return "torchvision.models:resnet50", f"torchvision {torchvision.__version__} resnet50"
    except Exception as error:  # not installed, or built for another torch
        path = folder / "resnet50_by_hand.py"
        path.write_text(textwrap.dedent(RESNET50))
        reason = f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
        return f"{path}:ResNet50", f"a hand-written ResNet50 (no torchvision: {reason})"


def wait_for(done: Callable[[], bool], what: str, timeout_s: float = WAIT_S) -> None:
    """Run the event loop until ``done()``; checked every 5 ms (the loop sleeps between)."""
    loop = QEventLoop()
    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(lambda: loop.quit() if done() else None)
    deadline = time.monotonic() + timeout_s
    timer.start()
    while not done():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        loop.exec()
    timer.stop()


def make_window(folder: Path) -> tuple[QApplication, MainWindow]:
    """The app as it is after start-up: torch loaded in the window, the model panels started."""
    app = make_application()
    window = MainWindow(QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat), None)
    window.files.ask_save_changes = lambda: Answer.Discard  # type: ignore[method-assign]
    window.show()
    app.processEvents()
    TorchLoader(window).load_now()  # the app does this in a thread right after its first frame
    window.model_docks.start()
    return app, window


def settle(window: MainWindow) -> None:
    """Open the laid-out design and wait for a warm worker and an idle window."""
    assert window.files.load(examples_dir() / OPEN_FIRST, as_copy=True)
    window.importer.workers.keep_warm()
    wait_for(window.importer.workers.ready, "a warm import worker")
    live = window.model_docks.live
    wait_for(lambda: live.analysis is not None, "the open design's model")
    gc.collect()


def import_once(window: MainWindow, source: str, stamps: dict[str, float]) -> dict[str, float]:
    """One timed import through the dialog; each phase in seconds (``stamps``: filled by the
    timed ``open_result``)."""
    importer = window.importer
    stamps.clear()
    start = time.perf_counter()
    dialog = importer.show_dialog()
    dialog.source.setText(source)
    dialog.arguments.setText("")
    dialog.input_shape.setText(INPUT_SHAPE)
    if not dialog.start():
        raise SystemExit(f"the import didn't start: {dialog.failure.text()}")
    wait_for(
        lambda: "opened" in stamps or (not dialog.runner.running and dialog.failure.isVisible()),
        "the import",
    )
    if "opened" not in stamps:
        raise SystemExit(f"the import failed: {dialog.failure.text()}")
    window.view.viewport().repaint()
    end = time.perf_counter()
    design, scene = window.document.design, window.scene
    shown = sum(item.isVisible() for item in scene.blocks.values())
    stamps.update(blocks=len(design.blocks), groups=len(design.groups), shown=shown)
    stamps["collapsed"] = sum(scene.is_collapsed(g) for g in design.groups)
    return {
        "worker": stamps["answered"] - start,
        "open": stamps["opened"] - stamps["answered"],
        "frame": end - stamps["opened"],
        "total": end - start,
    }


def timed_open(window: MainWindow, stamps_of: Callable[[], dict[str, float]]) -> None:
    """Stamp the answer's arrival and the end of opening it (before the dialog exists: it
    connects to the method found then)."""
    opening = window.importer.open_result

    def open_result(result: ImportResult) -> bool:
        stamps = stamps_of()
        stamps["answered"] = time.perf_counter()
        opened = opening(result)
        stamps["opened"] = time.perf_counter()
        return opened

    window.importer.open_result = open_result  # type: ignore[method-assign]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=RUNS)
    parser.add_argument("--profile", action="store_true", help="profile one more run")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="import_app_"))
    source, what = model_source(folder)
    app, window = make_window(folder)
    current: dict[str, float] = {}
    timed_open(window, lambda: current)
    settle(window)
    import_once(window, source, current)  # warms the window's own code paths up
    settle(window)
    window.importer.workers.close()  # the peer: no worker waits, one starts at the request
    cold = import_once(window, source, current)
    runs: list[dict[str, float]] = []
    for _ in range(args.runs):
        settle(window)
        runs.append(import_once(window, source, current))
    print("Import in the app benchmark")
    print(
        f"python {sys.version.split()[0]}, PySide6 {pyside_version} (Qt {qVersion()}), "
        f"torch {sys.modules['torch'].__version__}, platform {os.environ['QT_QPA_PLATFORM']}, "
        f"{os.cpu_count()} CPUs"
    )
    print(
        f"model: {what}, input {INPUT_SHAPE}; imported into an open, laid-out design "
        f"({OPEN_FIRST}); imported: {current['blocks']:.0f} blocks ({current['shown']:.0f} "
        f"shown), {current['groups']:.0f} groups ({current['collapsed']:.0f} collapsed); "
        f"{args.runs} runs with a warm worker (torch's import not counted) after a warm-up; "
        "the peer: one run whose worker starts at the request (it imports torch)"
    )
    header = ["phase", "warm worker, median (ms)", "min..max (ms)", "peer: cold worker (ms)"]
    rows = [
        [
            phase,
            f"{statistics.median(r[phase] for r in runs) * 1e3:.0f}",
            f"{min(r[phase] for r in runs) * 1e3:.0f}..{max(r[phase] for r in runs) * 1e3:.0f}",
            f"{cold[phase] * 1e3:.0f}",
        ]
        for phase in PHASES
    ]
    print("\n".join(text_table(header, rows, right_aligned=3)))
    measured = statistics.median(r["total"] for r in runs)
    print(
        f"goal: request to the open, laid-out, collapsed design painted < {TARGET_S:g} s, with "
        f"a warm worker; measured {measured:.2f} s (median); {verdict(measured < TARGET_S)}"
    )
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        import_once(window, source, current)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumtime").print_stats(30)
    window.importer.close()
    window.model_docks.close()
    app.processEvents()


if __name__ == "__main__":
    main()
