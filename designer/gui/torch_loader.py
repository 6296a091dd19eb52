"""Import torch in the background, so the window shows first; then report the activation
palette's modules as torch prints them."""

from __future__ import annotations

import logging
import threading
import time

from PySide6.QtCore import QObject, Signal

log = logging.getLogger(__name__)


class TorchLoader(QObject):
    loaded = Signal(object)
    """A dict: activation key -> ``repr`` of its module in the real ``nn.ModuleDict``."""
    failed = Signal(str)

    def start(self) -> None:
        threading.Thread(target=self._load, name="import-torch", daemon=True).start()

    def _load(self) -> None:
        started = time.perf_counter()
        try:
            from designer.graph import activation_palette

            modules = {key: repr(module) for key, module in activation_palette().items()}
        except Exception as error:  # torch missing or broken: the canvas still works
            log.exception("importing torch failed")
            self.failed.emit(f"torch could not be imported: {error}")
            return
        log.info("torch imported in %.2f s", time.perf_counter() - started)
        self.loaded.emit(modules)
