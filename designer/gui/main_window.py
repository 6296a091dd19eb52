"""The main window: the canvas in the centre, docks for the palettes and the inspector, menus,
toolbar and status bar; geometry and dock layout remembered between runs."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QRectF, QSettings, Qt
from PySide6.QtGui import QAction, QCloseEvent, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QStyle,
)

from designer.graph import DesignError, ShapeReport
from designer.graph.delete_reconnect import delete_reconnect_plan
from designer.graph.edit_plans import (
    copy_fragment,
    delete_plan,
    group_plan,
    paste_plan,
    pasted_ids,
)
from designer.graph.edits import Ungroup
from designer.graph.layout.collapsed_layout import layout_edits
from designer.graph.layout.geometry import Rect
from designer.gui.canvas import mime
from designer.gui.canvas.scene import PLACEMENT_FOOTPRINT, DesignScene
from designer.gui.canvas.view import CanvasView
from designer.gui.diagram import DiagramError, write_diagram
from designer.gui.docks import add_dock
from designer.gui.document import DesignDocument
from designer.gui.file_controller import FileController
from designer.gui.import_controller import ImportController
from designer.gui.inspector import Inspector
from designer.gui.listener_alert import ListenerAlert
from designer.gui.model_docks import ModelDocks
from designer.gui.palettes import ActivationPalette, BlockPalette
from designer.gui.recovery import RecoveryStore
from designer.resources import example_paths

log = logging.getLogger(__name__)

APP_NAME = "Torch Designer"
PASTE_OFFSET = (40.0, 40.0)
FOLLOW_MARGIN = 40
"""View pixels kept between a block just added and the edge of the canvas."""
CANVAS_ACTIONS = frozenset({"cut", "copy", "paste", "delete", "delete_plain", "select_all"})
DELETE_PLAIN_KEYS = "Ctrl+Shift+Del"
"""Not Shift+Del: that is Cut on Windows and Linux desktops."""


class MainWindow(QMainWindow):
    def __init__(self, settings: QSettings, recovery: RecoveryStore | None = None) -> None:
        super().__init__()
        self.settings = settings
        self.document = DesignDocument(parent=self)
        self.listener_alert = ListenerAlert(self)
        self.scene = DesignScene(self.document, self)
        self.view = CanvasView(self.scene, self)
        self.setCentralWidget(self.view)
        self.files = FileController(self, self.document, settings, recovery, self.show_message)
        self.block_palette = BlockPalette()
        self.activation_palette = ActivationPalette()
        self.inspector = Inspector(self.document)
        self.docks = {
            "blocks": add_dock(
                self, "Blocks", self.block_palette, Qt.DockWidgetArea.LeftDockWidgetArea
            ),
            "activations": add_dock(
                self, "Activations", self.activation_palette, Qt.DockWidgetArea.LeftDockWidgetArea
            ),
            "inspector": add_dock(
                self, "Inspector", self.inspector, Qt.DockWidgetArea.RightDockWidgetArea
            ),
        }
        self.model_docks = ModelDocks(self, self.document, self.scene, settings, self.show_message)
        self.docks.update(self.model_docks.docks)
        self.importer = ImportController(self, self.files, self.scene, self.view, self.show_message)
        self.docks["import_report"] = self.importer.dock
        self.tabifyDockWidget(self.docks["benchmark"], self.importer.dock)
        # torch is loaded once the window's own model is built: time to warm an import worker
        self.model_docks.live.updated.connect(self.importer.warm_up_soon)
        self.model_docks.live.unavailable.connect(self.importer.warm_up_soon)
        self.shape_status = QLabel()
        self.statusBar().addPermanentWidget(self.shape_status)
        self.actions_by_name: dict[str, QAction] = {}
        self._make_actions()
        self._make_menus()
        self._make_toolbar()
        self.scene.message.connect(self.show_message)
        self.scene.selectionChanged.connect(self._selection_changed)
        self.block_palette.kind_activated.connect(self.add_after_selection)
        self.scene.placed.connect(self._follow_placed)
        self.document.shapes_checked.connect(self._show_shape_status)
        self.document.path_changed.connect(self._update_title)
        self.document.replaced.connect(self._on_replaced)
        # a method, not a lambda: Qt drops the connection with the window (the stack, dying
        # with it, says "clean" once more when it held unsaved edits)
        self.document.undo_stack.cleanChanged.connect(self._clean_changed)
        self._update_title()
        self._show_shape_status(self.document.report)
        self.resize(1400, 860)
        self.resizeDocks(
            [self.docks["blocks"], self.docks["inspector"]], [260, 340], Qt.Orientation.Horizontal
        )
        self.resizeDocks([self.docks["model"]], [300], Qt.Orientation.Vertical)
        self._restore_layout()

    # --- building ----------------------------------------------------------------------------

    def _action(
        self,
        name: str,
        text: str,
        slot: Callable[[], object],
        shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None,
        icon: QStyle.StandardPixmap | None = None,
    ) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(shortcut)
        if icon is not None:
            action.setIcon(self.style().standardIcon(icon))
        action.triggered.connect(lambda _checked=False: slot())  # slots take no "checked"
        self.actions_by_name[name] = action
        self.addAction(action)
        return action

    def _make_actions(self) -> None:
        keys, icons = QKeySequence.StandardKey, QStyle.StandardPixmap
        files = self.files
        self._action("new", "&New", files.new, keys.New, icons.SP_FileIcon)
        self._action("open", "&Open…", files.open, keys.Open, icons.SP_DialogOpenButton)
        self._action("import_model", "&Import Model…", self.importer.show_dialog, "Ctrl+I")
        self._action("save", "&Save", files.save, keys.Save, icons.SP_DialogSaveButton)
        self._action("save_as", "Save &As…", files.save_as, keys.SaveAs)
        self._action("export_diagram", "Export &Diagram…", self.export_diagram)
        self._action("quit", "&Quit", self.close, keys.Quit)
        stack = self.document.undo_stack
        undo = stack.createUndoAction(self, "&Undo")
        undo.setShortcut(keys.Undo)
        undo.setIcon(self.style().standardIcon(icons.SP_ArrowBack))
        redo = stack.createRedoAction(self, "&Redo")
        redo.setShortcuts([QKeySequence(keys.Redo), QKeySequence("Ctrl+Y")])
        redo.setIcon(self.style().standardIcon(icons.SP_ArrowForward))
        self.actions_by_name["undo"], self.actions_by_name["redo"] = undo, redo
        self._action("cut", "Cu&t", self.cut, keys.Cut)
        self._action("copy", "&Copy", self.copy, keys.Copy)
        self._action("paste", "&Paste", self.paste, keys.Paste)
        delete = self._action("delete", "&Delete", self.delete_selection, keys.Delete)
        delete.setShortcuts([QKeySequence(keys.Delete), QKeySequence("Backspace")])
        self._action(
            "delete_plain",
            "Delete &Without Reconnecting",
            lambda: self.delete_selection(reconnect=False),
            DELETE_PLAIN_KEYS,
        )
        self._action("select_all", "Select &All", self.select_all, keys.SelectAll)
        self._action("group", "&Group…", self.group_selection, "Ctrl+G")
        self._action("ungroup", "&Ungroup", self.ungroup_selection, "Ctrl+Shift+G")
        self._action("zoom_in", "Zoom &In", self.view.zoom_in, keys.ZoomIn)
        self._action("zoom_out", "Zoom &Out", self.view.zoom_out, keys.ZoomOut)
        self._action("fit", "&Fit to View", self.view.fit, "Ctrl+0")
        self._action("layout", "Auto-&Layout", self.auto_layout, "Ctrl+L")
        for name, action in self.actions_by_name.items():
            if name in CANVAS_ACTIONS:
                # Ctrl+A, Ctrl+C, Delete... belong to the focused widget (the code panel's
                # text, a palette): they act on blocks only while the canvas has focus
                self.removeAction(action)
                self.view.addAction(action)
                action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            else:
                action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)

    def _make_menus(self) -> None:
        named = self.actions_by_name
        file_menu = self.menuBar().addMenu("&File")
        file_menu.addActions([named["new"], named["open"], named["import_model"]])
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        self.examples_menu = file_menu.addMenu("&Examples")
        self._fill_examples(self.examples_menu)
        file_menu.addSeparator()
        file_menu.addActions([named["save"], named["save_as"]])
        file_menu.addMenu(self.model_docks.export_menu)
        file_menu.addAction(named["export_diagram"])
        file_menu.addSeparator()
        file_menu.addAction(named["quit"])
        edit = self.menuBar().addMenu("&Edit")
        edit.addActions([named["undo"], named["redo"]])
        edit.addSeparator()
        edit.addActions(
            [named[n] for n in ("cut", "copy", "paste", "delete", "delete_plain", "select_all")]
        )
        edit.addSeparator()
        edit.addActions([named["group"], named["ungroup"]])
        view = self.menuBar().addMenu("&View")
        view.addActions([named[n] for n in ("zoom_in", "zoom_out", "fit", "layout")])
        named["overview"] = self.view.minimap.make_action(self, self.settings)
        view.addAction(named["overview"])
        view.addMenu(self.model_docks.cost_map_menu(self.view))
        view.addSeparator()
        for dock in self.docks.values():
            view.addAction(dock.toggleViewAction())

    def _make_toolbar(self) -> None:
        bar = self.addToolBar("Main")
        bar.setObjectName("toolbar-main")
        named = self.actions_by_name
        bar.addActions([named["new"], named["open"], named["save"]])
        bar.addSeparator()
        bar.addActions([named["undo"], named["redo"]])
        bar.addSeparator()
        bar.addActions([named[n] for n in ("zoom_in", "zoom_out", "fit", "layout", "group")])

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        paths = self.files.recent()
        if not paths:
            self.recent_menu.addAction("(none)").setEnabled(False)
        for path in paths:
            action = self.recent_menu.addAction(str(path))
            action.triggered.connect(lambda _checked=False, p=path: self.files.open(p))

    def _fill_examples(self, menu: QMenu) -> None:
        for path in example_paths():
            action = menu.addAction(path.stem)
            action.triggered.connect(lambda _checked=False, p=path: self.files.open_example(p))
        if menu.isEmpty():
            menu.addAction("(no examples installed)").setEnabled(False)

    # --- state shown -------------------------------------------------------------------------

    def show_message(self, text: str) -> None:
        log.info("%s", text)
        self.statusBar().showMessage(text, 10_000)

    def _clean_changed(self, clean: bool) -> None:
        self.setWindowModified(not clean)

    def _update_title(self) -> None:
        self.setWindowTitle(f"{self.files.display_name()}[*] — {APP_NAME}")

    def _on_replaced(self) -> None:
        self._update_title()
        self.setWindowModified(not self.document.undo_stack.isClean())
        self.view.fit()

    def _show_shape_status(self, report: ShapeReport) -> None:
        count = len(report.problems)
        if count == 0:
            self.shape_status.setText("shapes OK")
            self.shape_status.setStyleSheet("color: #1e8449; padding: 0 8px;")
        else:
            self.shape_status.setText(f"{count} error{'s' if count != 1 else ''}")
            self.shape_status.setStyleSheet("color: #c0392b; font-weight: bold; padding: 0 8px;")
        self.shape_status.setToolTip("\n".join(p.message for p in report.problems[:20]))

    def _selection_changed(self) -> None:
        self.inspector.show_selection(
            self.scene.selected_block_ids(), self.scene.selected_group_ids()
        )

    # --- edit commands -----------------------------------------------------------------------

    def add_after_selection(self, kind: str) -> None:
        selected = self.scene.selected_block_ids()
        self.scene.add_block_after(kind, selected[0] if len(selected) == 1 else None)

    def delete_selection(self, reconnect: bool = True) -> None:
        """Delete what is selected; with ``reconnect``, bridge each deleted one-in, one-out run
        of blocks where shapes allow, and say on the status bar what was joined or why not."""
        scene, design = self.scene, self.document.design
        blocks, edges = scene.selected_block_ids(), scene.selected_edges()
        groups = scene.selected_group_ids()
        count = len(blocks) + len(edges) + len(groups)  # what was selected, not the edits
        summary = None
        if reconnect:
            planned = delete_reconnect_plan(design, blocks, edges, groups)
            plan, summary = planned.edits, planned.summary
        else:
            plan = delete_plan(design, blocks, edges, groups)
        text = f"Delete {count} item{'s' if count != 1 else ''}"
        if plan and scene.try_edit(text, plan) is not None and summary is not None:
            self.show_message(summary)

    def select_all(self) -> None:
        for item in self.scene.blocks.values():
            if item.isVisible():
                item.setSelected(True)

    def copy(self) -> bool:
        selected = self.scene.selected_block_ids()
        if not selected:
            self.show_message("Copy: select blocks first")
            return False
        text = copy_fragment(self.document.design, selected)
        QGuiApplication.clipboard().setMimeData(mime.mime_for(mime.FRAGMENT, text))
        self.show_message(f"Copied {len(selected)} block{'s' if len(selected) != 1 else ''}")
        return True

    def cut(self) -> None:
        if self.copy():
            self.delete_selection()

    def paste(self) -> None:
        data = QGuiApplication.clipboard().mimeData()
        text = mime.read(data, mime.FRAGMENT) if data is not None else None
        if text is None and data is not None and data.hasText():
            text = data.text()
        if not text:
            self.show_message("Paste: the clipboard holds no blocks")
            return
        try:
            plan = paste_plan(
                self.document.design,
                text,
                PASTE_OFFSET,
                footprint=PLACEMENT_FOOTPRINT,
                visible=self._visible_scene_rect(),
            )
        except DesignError as error:
            self.show_message(f"Paste: {error.message}")
            return
        if self.scene.try_edit(f"Paste {len(pasted_ids(plan))} blocks", plan) is not None:
            self.scene.select_blocks(pasted_ids(plan))
            self.scene.reveal_blocks(pasted_ids(plan))

    def _visible_scene_rect(self) -> Rect:
        seen = self.view.mapToScene(self.view.viewport().rect()).boundingRect()
        return Rect(seen.left(), seen.top(), seen.right(), seen.bottom())

    def _follow_placed(self, rect: QRectF) -> None:
        """Bring blocks just added into sight, keeping the zoom the user chose."""
        self.view.ensureVisible(rect, FOLLOW_MARGIN, FOLLOW_MARGIN)

    def group_selection(self, name: str | None = None) -> str | None:
        blocks = self.scene.selected_block_ids()
        if not blocks:
            self.show_message("Group: select the blocks to group first")
            return None
        if name is None:
            suggestion = self.document.design.new_name("group")
            name, accepted = QInputDialog.getText(
                self, "Group", "Sub-module name:", text=suggestion
            )
            if not accepted:
                return None
        try:
            plan = group_plan(self.document.design, name.strip(), blocks)
        except DesignError as error:
            self.show_message(f"Group: {error.message}")
            return None
        if self.scene.try_edit(f"Group as {name}", plan) is None:
            return None
        return plan[0].group_id  # type: ignore[attr-defined, no-any-return]

    def ungroup_selection(self) -> None:
        groups = self.scene.selected_group_ids()
        if not groups:
            self.show_message("Ungroup: select a group's frame first")
            return
        self.scene.try_edit("Ungroup", [Ungroup(group_id) for group_id in groups])

    def auto_layout(self) -> None:
        """Lay the design out as it shows: a collapsed group takes the room of its box."""
        plan = layout_edits(self.document.design, self.scene.collapsed_boxes())
        if plan:
            self.scene.try_edit("Auto-layout", plan)
        self.view.fit()

    def ask_diagram_path(self, suggestion: Path) -> Path | None:
        images = "SVG images (*.svg);;PNG images (*.png)"
        chosen, _ = QFileDialog.getSaveFileName(self, "Export diagram", str(suggestion), images)
        return Path(chosen) if chosen else None

    def export_diagram(self) -> bool:
        """The canvas as an .svg or .png, as it shows (collapsed groups stay collapsed)."""
        path = self.ask_diagram_path(self.model_docks.export_suggestion(".svg"))
        if path is None:
            return False
        path = path if path.suffix else path.with_suffix(".svg")
        collapsed = [g for g in self.document.design.groups if self.scene.is_collapsed(g)]
        try:
            write_diagram(self.document, path, collapsed=collapsed)
        except DiagramError as error:
            self.files.show_error("Can't export diagram", str(error))
            return False
        self.show_message(f"Exported the diagram to {path}")
        return True

    # --- window state ------------------------------------------------------------------------

    def _restore_layout(self) -> None:
        geometry = self.settings.value("window/geometry")
        state = self.settings.value("window/state")
        if geometry is not None:
            self.restoreGeometry(geometry)
        if state is not None:
            self.restoreState(state)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        if not self.files.maybe_save():
            event.ignore()
            return
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        self.settings.sync()
        self.listener_alert.stop()
        if self.files.recovery is not None:
            self.files.recovery.close()
        self.scene.selectionChanged.disconnect(self._selection_changed)
        self.model_docks.close()
        self.importer.close()
        event.accept()

    def open_initial(self, path: Path | None, fallback: Path | None) -> None:
        """What the app shows first: a recovered design, else ``path``, else ``fallback``.
        ``path`` (or ``fallback``) opens before the recovery prompt, so the prompt never sits
        over an empty design full of errors, and declining it leaves that design open."""
        opened = None
        if path is not None:
            opened = path if self.files.load(path) else None
        elif fallback is not None and fallback.exists():
            self.files.load(fallback, as_copy=True)
        recovered = self.files.offer_recovery()
        if recovered and opened is not None and self.document.path != opened.resolve():
            self.show_message(
                f"Showing the recovered design instead of {opened.name} (File > Open Recent)"
            )
