"""File > Import Model... for the main window: the dialog, opening what it imported (asking
about unsaved changes first, as File > Open does), the groups nested two or more deep collapsed
(laid out as boxes, collapsed in one go) so a big model shows its stages, and the import report
dock. Once the window's own model is built (torch is loaded), or the dialog opens, an import
worker is warmed up so that the next import pays for neither a process nor torch's import."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QTimer

from designer.graph import Design, DesignError
from designer.graph.layout import layered_positions
from designer.graph.layout.collapsed_layout import deep_groups
from designer.gui.canvas.group_item import collapsed_size
from designer.gui.docks import add_dock
from designer.gui.import_dialog import ImportDialog
from designer.gui.import_runner import ImportWorkers
from designer.gui.panels.import_report import ImportReportPanel
from designer.importer.loading import ImportResult

if TYPE_CHECKING:
    from collections.abc import Callable

    from PySide6.QtWidgets import QMainWindow

    from designer.gui.canvas.scene import DesignScene
    from designer.gui.canvas.view import CanvasView
    from designer.gui.file_controller import FileController

log = logging.getLogger(__name__)

COLLAPSE_DEPTH = 2
"""Groups this deep or deeper open collapsed: a ResNet's layers show, their blocks folded."""
WARM_UP_DELAY_MS = 3000
"""After the window's own model is first built, this long before an import worker is started
(it imports torch: a core's work for a second or two)."""


def lay_out_collapsed(design: Design, depth: int = COLLAPSE_DEPTH) -> list[str]:
    """Lay ``design`` out as it shows with its groups ``depth`` or more deep collapsed (before
    it is opened: no undo step); those groups' ids."""
    deep = deep_groups(design, depth)
    if deep:
        boxes = {group_id: collapsed_size(design.group(group_id)) for group_id in deep}
        for block_id, position in layered_positions(design, boxes).items():
            design.move_block(block_id, position)
    return deep


class ImportController(QObject):
    def __init__(
        self,
        window: QMainWindow,
        files: FileController,
        scene: DesignScene,
        view: CanvasView,
        on_message: Callable[[str], None],
    ) -> None:
        super().__init__(window)
        self.window, self.files, self.scene, self.view = window, files, scene, view
        self.message = on_message
        self.panel = ImportReportPanel()
        self.panel.block_chosen.connect(self.show_block)
        self.dock = add_dock(
            window, "Import report", self.panel, Qt.DockWidgetArea.BottomDockWidgetArea
        )
        self.dock.hide()
        self.dialog: ImportDialog | None = None
        self.workers = ImportWorkers(self)
        self._warm_up_timer = QTimer(self)
        self._warm_up_timer.setSingleShot(True)
        self._warm_up_timer.timeout.connect(self.workers.keep_warm)
        self._closed = False

    def warm_up_soon(self) -> None:
        """The window has torch and time to spare: have a worker wait for the next import
        (once; later imports start the next one themselves)."""
        if not (self._closed or self.workers.kept_warm or self._warm_up_timer.isActive()):
            self._warm_up_timer.start(WARM_UP_DELAY_MS)

    def show_dialog(self) -> ImportDialog:
        """The dialog, window-modal (the window keeps drawing); its fields kept between uses."""
        if self.dialog is None:
            self.dialog = ImportDialog(self.window, self.workers)
            self.dialog.imported.connect(self.open_result)
        self._warm_up_timer.stop()
        self.workers.keep_warm()  # an import is coming: warm a worker while the fields fill
        self.dialog.open()
        return self.dialog

    def open_result(self, result: ImportResult) -> bool:
        dialog = self.dialog
        source = dialog.request.source if dialog and dialog.request else "the model"
        try:
            design = result.design()
        except DesignError as error:  # the importer wrote something its own format refuses
            log.exception("an imported design can't be read")
            self._tell(f"The imported design can't be opened: {error}")
            return False
        name = source.rpartition(":")[2].rpartition(".")[2] or "imported"
        deep = lay_out_collapsed(design)
        if not self.files.open_imported(design, name):
            self._tell("Not opened: the open design is kept as it is. Import again to open it.")
            return False
        self.scene.set_collapsed(deep, True)
        self.view.fit()
        report = result.report
        self.panel.show_report(report, source)
        if report.unmapped or report.notes:
            self.dock.show()
            self.dock.raise_()
        if dialog is not None:
            dialog.finish()
        return True

    def _tell(self, text: str) -> None:
        if self.dialog is not None:
            self.dialog.show_failure(text)
        else:
            self.message(text)

    def show_block(self, block_id: str) -> None:
        """Select the block (opening the collapsed groups that hide it) and bring it in sight."""
        design = self.scene.design
        if block_id not in design.blocks:
            self.message(f"The import report's block {block_id} is no longer in the design")
            return
        path = design.group_path(design.block(block_id).group)
        self.scene.expand([group.id for group in path if self.scene.is_collapsed(group.id)])
        self.scene.select_blocks([block_id])
        self.view.centerOn(self.scene.blocks[block_id])

    def close(self) -> None:
        """The window is closing: stop an import still running, and the waiting worker."""
        self._closed = True
        self._warm_up_timer.stop()
        if self.dialog is not None:
            self.dialog.runner.cancel()
        self.workers.close()
