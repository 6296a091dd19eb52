"""Import torch in the background, so the window shows first; then report the activation
palette's modules as torch prints them.

The import runs in a plain thread (importing torch takes 1-2 s); the result comes back to the
GUI thread through a queued signal. PySide6 6.12.0 on Python 3.11 drops a reference to None on
every call that returns nothing, which crashed the app ("deallocating None") within seconds of
start-up, first in exactly this thread; pyproject.toml excludes that release.
"""

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
        threading.Thread(target=self.load_now, name="import-torch", daemon=True).start()

    def load_now(self) -> None:
        began = time.perf_counter()
        try:
            from designer.graph import activation_palette

            modules = {key: repr(module) for key, module in activation_palette().items()}
        except Exception as error:  # torch missing or broken: the canvas still works
            log.exception("importing torch failed")
            self.failed.emit(f"PyTorch could not be imported: {error}")
            return
        log.info("torch ready in %.2f s", time.perf_counter() - began)
        self.loaded.emit(modules)
