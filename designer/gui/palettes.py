"""The block palette (the catalogue by category, with search) and the activation palette
(the keys of the activation ``nn.ModuleDict``, each with its module)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from PySide6.QtCore import QMimeData, Qt, Signal
from PySide6.QtWidgets import (
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from designer.graph import ACTIVATIONS, CATALOGUE, CATEGORIES
from designer.gui.canvas import mime

_KIND_ROLE = Qt.ItemDataRole.UserRole


class _KindTree(QTreeWidget):
    def mimeData(self, items: Sequence[QTreeWidgetItem]) -> QMimeData:  # noqa: N802 (Qt's name)
        kind = items[0].data(0, _KIND_ROLE) if items else None
        return mime.mime_for(mime.BLOCK_KIND, kind or "")

    def mimeTypes(self) -> list[str]:  # noqa: N802 (Qt's name)
        return [mime.BLOCK_KIND]


class BlockPalette(QWidget):
    kind_activated = Signal(str)
    """A kind was double-clicked (or Enter pressed on it): add it after the selection."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.search = QLineEdit(placeholderText="Search blocks…")
        self.search.setClearButtonEnabled(True)
        self.tree = _KindTree()
        self.tree.setHeaderHidden(True)
        self.tree.setDragEnabled(True)
        self.tree.setDragDropMode(QTreeWidget.DragDropMode.DragOnly)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.search)
        layout.addWidget(self.tree)
        self.items: dict[str, QTreeWidgetItem] = {}
        for category in CATEGORIES:
            heading = QTreeWidgetItem(self.tree, [category])
            heading.setFlags(Qt.ItemFlag.ItemIsEnabled)
            for kind in CATALOGUE.values():
                if kind.category == category:
                    item = QTreeWidgetItem(heading, [kind.label])
                    item.setData(0, _KIND_ROLE, kind.name)
                    item.setToolTip(
                        0,
                        f"{kind.label}: {kind.help}\nDrag onto the canvas, "
                        "or double-click to add after the selection",
                    )
                    item.setFlags(
                        Qt.ItemFlag.ItemIsEnabled
                        | Qt.ItemFlag.ItemIsSelectable
                        | Qt.ItemFlag.ItemIsDragEnabled
                    )
                    self.items[kind.name] = item
        self.tree.expandAll()
        self.search.textChanged.connect(self.filter)
        self.tree.itemActivated.connect(self._activated)

    def filter(self, text: str) -> None:
        words = text.lower().split()
        for index in range(self.tree.topLevelItemCount()):
            heading = self.tree.topLevelItem(index)
            assert heading is not None
            shown = 0
            for child in range(heading.childCount()):
                item = heading.child(child)
                assert item is not None
                kind = CATALOGUE[item.data(0, _KIND_ROLE)]
                haystack = f"{kind.name} {kind.label} {kind.category} {kind.help}".lower()
                hidden = not all(word in haystack for word in words)
                item.setHidden(hidden)
                shown += not hidden
            heading.setHidden(shown == 0)

    def _activated(self, item: QTreeWidgetItem) -> None:
        kind = item.data(0, _KIND_ROLE)
        if kind:
            self.kind_activated.emit(kind)


class _ActivationList(QListWidget):
    def mimeData(self, items: Sequence[QListWidgetItem]) -> QMimeData:  # noqa: N802
        key = items[0].data(_KIND_ROLE) if items else None
        return mime.mime_for(mime.ACTIVATION, key or "")

    def mimeTypes(self) -> list[str]:  # noqa: N802
        return [mime.ACTIVATION]


class ActivationPalette(QWidget):
    """The palette's keys at once; each module's own text once torch has been imported."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = _ActivationList()
        self.list.setDragEnabled(True)
        self.list.setDragDropMode(QListWidget.DragDropMode.DragOnly)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.list)
        self.items: dict[str, QListWidgetItem] = {}
        for entry in ACTIVATIONS:
            item = QListWidgetItem(f"{entry.key}    {entry.module}")
            item.setData(_KIND_ROLE, entry.key)
            item.setToolTip(f"nn.ModuleDict key {entry.key!r}: drag onto a block to use it")
            self.list.addItem(item)
            self.items[entry.key] = item

    def show_modules(self, modules: Mapping[str, str]) -> None:
        """Show each key's module as ``repr`` prints it (``LeakyReLU(negative_slope=0.01)``)."""
        for key, text in modules.items():
            item = self.items.get(key)
            if item is not None:
                item.setText(f"{key}    {text}")
