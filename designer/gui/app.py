"""Starting the desktop app: the window first, torch in the background, then the design."""

from __future__ import annotations

import gc
import logging
import sys
import time
from pathlib import Path

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from designer import __version__
from designer.gui.main_window import APP_NAME, MainWindow
from designer.gui.recovery import RecoveryStore, default_recovery_dir
from designer.gui.torch_loader import TorchLoader
from designer.resources import examples_dir, resources_dir

log = logging.getLogger(__name__)

DEFAULT_EXAMPLE = "seed_final.json"


def make_application(argv: list[str] | None = None) -> QApplication:
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    app = QApplication(argv if argv is not None else sys.argv[:1])
    app.setOrganizationName("TorchDesigner")
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("io.github.torch_designer.TorchDesigner")
    icon = resources_dir() / "icons" / "torch-designer.svg"
    if icon.exists():
        app.setWindowIcon(QIcon(str(icon)))
    return app


def run_app(path: Path | None) -> int:
    """Open the app on ``path`` (or a recovered design, or the seed's final model)."""
    started = time.perf_counter()
    app = make_application()
    window = MainWindow(QSettings(), RecoveryStore(default_recovery_dir()))
    window.show()
    log.info("window shown %.0f ms after start", (time.perf_counter() - started) * 1000)
    loader = TorchLoader(window)
    loader.loaded.connect(window.activation_palette.show_modules)
    loader.loaded.connect(lambda _modules: window.model_docks.start())
    loader.failed.connect(window.show_message)

    def after_first_frame() -> None:
        loader.start()
        window.open_initial(path, examples_dir() / DEFAULT_EXAMPLE)
        gc.freeze()  # what start-up built lives for the session: keep it out of collections

    QTimer.singleShot(0, after_first_frame)
    return app.exec()
