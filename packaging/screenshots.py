"""Take the README's screenshots of the real app window on an X server (Xvfb in CI-like
machines):

    xvfb-run -s "-screen 0 1920x1080x24" python packaging/screenshots.py [OUT_DIR]

Each shot opens a shipped design in a fresh main window (settings and recovery files in a
temporary folder, so the user's own are untouched), selects what the shot is about, waits for
the shape check and grabs the window as it is on screen.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from designer.gui.app import make_application
from designer.gui.import_dialog import ImportDialog
from designer.gui.main_window import MainWindow
from designer.gui.recovery import RecoveryStore
from designer.gui.torch_loader import TorchLoader
from designer.resources import examples_dir, resources_dir

log = logging.getLogger("screenshots")
ROOT = Path(__file__).resolve().parent.parent
WINDOW_SIZE = (1920, 1080)


def _settle(app: QApplication, rounds: int = 20) -> None:
    for _ in range(rounds):
        app.processEvents()


def _select(window: MainWindow, name: str) -> None:
    design = window.document.design
    for block in design.blocks.values():
        if block.name == name:
            window.scene.select_blocks([block.id])
            return
    raise SystemExit(f"no block named {name!r} to select")


def _shot(
    app: QApplication,
    workdir: Path,
    design: Path,
    out: Path,
    prepare: Callable[[MainWindow], None],
) -> None:
    settings = QSettings(str(workdir / f"{out.stem}.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings, RecoveryStore(workdir / f"recovery-{out.stem}"))
    window.resize(*WINDOW_SIZE)
    window.show()
    loader = TorchLoader(window)
    loader.loaded.connect(window.activation_palette.show_modules)
    loader.load_now()
    _settle(app)
    if not window.files.load(design, as_copy=True):
        raise SystemExit(f"could not open {design}")
    window.document.check_now()
    window.view.fit()
    window.model_docks.start()
    if window.document.report.ok:
        _wait(app, lambda: window.model_docks.live.analysis is not None, "the model")
    prepare(window)
    _settle(app)
    out.parent.mkdir(parents=True, exist_ok=True)
    if not window.grab().save(str(out)):
        raise SystemExit(f"could not write {out}")
    log.info("wrote %s", out)
    window.document.undo_stack.setClean()
    window.close()


def _wait(app: QApplication, done: Callable[[], bool], what: str, limit_s: float = 120) -> None:
    deadline = time.monotonic() + limit_s
    while not done():
        if time.monotonic() > deadline:
            raise SystemExit(f"gave up waiting for {what}")
        app.processEvents()
        time.sleep(0.01)


def _show_tab(window: MainWindow, name: str) -> None:
    window.docks[name].raise_()
    QApplication.processEvents()


def _benchmark(app: QApplication, window: MainWindow, sweep: str) -> None:
    panel = window.model_docks.bench_panel
    _show_tab(window, "benchmark")
    panel.batches.setText(sweep)
    if not panel.start():
        raise SystemExit(f"the benchmark didn't start: {panel.status.text()}")
    _wait(app, lambda: not window.model_docks.runner.running, "the benchmark", 600)
    if not panel.results:
        raise SystemExit(f"the benchmark failed: {panel.status.text()}")


def _cost_map(app: QApplication, window: MainWindow, batch: str) -> None:
    """Measure each block in a training step (the Benchmark panel's settings) and colour the
    canvas by each block's share of the time."""
    docks = window.model_docks
    docks.bench_panel.batches.setText(batch)
    docks.bench_panel.mode.setCurrentIndex(docks.bench_panel.mode.findData("train"))
    if not docks.measure_block_costs():
        raise SystemExit("the per-block measurement didn't start")
    _wait(app, lambda: docks.cost_map.report is not None, "the per-block measurement", 600)
    docks.cost_map.set_measure("time")
    _show_tab(window, "model")


def _hide_palettes(window: MainWindow) -> None:
    """Room for a wide design: the palettes' docks closed, as a person would."""
    window.docks["blocks"].hide()
    window.docks["activations"].hide()
    QApplication.processEvents()


def _zoom_on(window: MainWindow, names: list[str], scale: float) -> None:
    items = [
        window.scene.blocks[block.id]
        for block in window.document.design.blocks.values()
        if block.name in names
    ]
    rect = items[0].sceneBoundingRect()
    for item in items[1:]:
        rect = rect.united(item.sceneBoundingRect())
    window.view.resetTransform()
    window.view.scale(scale, scale)
    window.view.centerOn(rect.center())


def _zoom_in_group(window: MainWindow, group_name: str, block_name: str, scale: float) -> None:
    """Centre on a block of one group, where several groups hold blocks of that name."""
    design = window.document.design
    group = next(g for g in design.groups.values() if g.name == group_name)
    block = next(b for b in design.blocks.values() if b.name == block_name and b.group == group.id)
    window.view.resetTransform()
    window.view.scale(scale, scale)
    window.view.centerOn(window.scene.blocks[block.id].sceneBoundingRect().center())


EXAMPLE_MODEL = ("resnet_like.py:ResNetLike", '{"num_classes": 10}', "1,3,32,32")
"""The shipped model file to import, its arguments and input shape."""


def _fill_import(window: MainWindow, source: str, arguments: str, shape: str) -> ImportDialog:
    dialog = window.importer.show_dialog()
    dialog.source.setText(source)
    dialog.arguments.setText(arguments)
    dialog.input_shape.setText(shape)
    return dialog


def _import_example(app: QApplication, window: MainWindow) -> None:
    """Import the shipped model file through File > Import Model's dialog, as a person would."""
    name, arguments, shape = EXAMPLE_MODEL
    dialog = _fill_import(window, str(examples_dir() / "models" / name), arguments, shape)
    if not dialog.start():
        raise SystemExit(f"the import didn't start: {dialog.failure.text()}")
    _wait(app, lambda: not dialog.runner.running, "the import", 300)
    if dialog.isVisible():
        raise SystemExit(f"the import failed: {dialog.failure.text()}")
    _wait(app, lambda: window.model_docks.live.analysis is not None, "the imported model")
    _show_tab(window, "import_report")


def _dialog_shots(app: QApplication, workdir: Path, out_dir: Path) -> None:
    """The import dialog on its own: mid-import, and with a model whose constructor fails."""
    settings = QSettings(str(workdir / "import-dialog.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings, RecoveryStore(workdir / "recovery-import-dialog"))
    window.resize(*WINDOW_SIZE)
    window.show()
    name, _, shape = EXAMPLE_MODEL
    source = str(examples_dir() / "models" / name)
    dialog = _fill_import(window, source, '{"num_classes": 10, "depth": 18}', shape)
    if not dialog.start():
        raise SystemExit(f"the import didn't start: {dialog.failure.text()}")
    _wait(app, lambda: dialog.runner.elapsed() > 1.5, "the import to run a while")
    for shot, ready in (("import_dialog_running", True), ("import_dialog_error", False)):
        if not ready:
            _wait(app, lambda: not dialog.runner.running, "the import", 300)
        _settle(app)
        out = out_dir / f"{shot}.png"
        if not dialog.grab().save(str(out)):
            raise SystemExit(f"could not write {out}")
        log.info("wrote %s", out)
    dialog.reject()
    window.close()


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if sys.platform.startswith("linux") and not os.environ.get("DISPLAY"):
        print("run me on an X server, e.g. under xvfb-run", file=sys.stderr)
        return 2
    out_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else resources_dir() / "screenshots"
    app = make_application()
    examples = examples_dir()
    with tempfile.TemporaryDirectory() as temporary:
        workdir = Path(temporary)
        _shot(
            app,
            workdir,
            examples / "seed_final.json",
            out_dir / "seed_final.png",
            lambda window: (_select(window, "conv_blocks"), _show_tab(window, "model")),
        )
        _shot(
            app,
            workdir,
            examples / "seed_final.json",
            out_dir / "code_panel.png",
            lambda window: (_select(window, "dec_blocks"), _show_tab(window, "code")),
        )
        _shot(
            app,
            workdir,
            examples / "lenet5.json",
            out_dir / "bench_panel.png",
            lambda window: _benchmark(app, window, "1, 8, 32, 128"),
        )
        _shot(
            app,
            workdir,
            examples / "unet_small.json",
            out_dir / "unet_small.png",
            lambda window: (
                _hide_palettes(window),
                _zoom_on(window, ["enc1", "skip1"], 0.62),
                _select(window, "skip2"),
            ),
        )
        _shot(
            app,
            workdir,
            examples / "resnet_small.json",
            out_dir / "resnet_small.png",
            lambda window: (_hide_palettes(window), window.view.fit(), _select(window, "pool")),
        )
        _shot(
            app,
            workdir,
            examples / "resnet_small.json",
            out_dir / "cost_map.png",
            lambda window: (
                _hide_palettes(window),
                _cost_map(app, window, "16"),
                window.view.fit(),
            ),
        )
        _shot(
            app,
            workdir,
            examples / "gpt_small.json",
            out_dir / "gpt_small.png",
            lambda window: (
                _hide_palettes(window),
                _zoom_in_group(window, "block1", "add1", 1.6),
                _select(window, "attn"),
                _show_tab(window, "code"),
            ),
        )
        _shot(
            app,
            workdir,
            examples / "vit_small.json",
            out_dir / "vit_small.png",
            lambda window: (
                _hide_palettes(window),
                _zoom_on(window, ["tokens_first", "cls_token", "pos_embed", "encoder"], 1.1),
                _select(window, "cls_token"),
                _show_tab(window, "model"),
            ),
        )
        _shot(
            app,
            workdir,
            examples / "lstm_classifier.json",
            out_dir / "lstm_classifier.png",
            lambda window: (_select(window, "lstm"), _show_tab(window, "code")),
        )
        _shot(
            app,
            workdir,
            ROOT / "tests" / "data" / "seed_final_buggy.json",
            out_dir / "shape_error.png",
            lambda window: _select(window, "dec_blocks"),
        )
        _shot(
            app,
            workdir,
            examples / "lenet5.json",
            out_dir / "import_resnet_like.png",
            lambda window: (_hide_palettes(window), _import_example(app, window)),
        )
        _dialog_shots(app, workdir, out_dir)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
