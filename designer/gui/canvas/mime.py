"""Drag-and-drop payloads between the palettes and the canvas."""

from __future__ import annotations

from typing import Final

from PySide6.QtCore import QMimeData

BLOCK_KIND: Final = "application/x-torch-designer-kind"
ACTIVATION: Final = "application/x-torch-designer-activation"
FRAGMENT: Final = "application/x-torch-designer-fragment"


def mime_for(mime_type: str, value: str) -> QMimeData:
    data = QMimeData()
    data.setData(mime_type, value.encode())
    data.setText(value)
    return data


def read(data: QMimeData, mime_type: str) -> str | None:
    if not data.hasFormat(mime_type):
        return None
    return bytes(data.data(mime_type).data()).decode(errors="replace")
