"""The view: ports leave hit-testing when zoomed too far out to hit them, and come back."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from designer.gui.canvas.view import PORT_SCALE
from designer.gui.main_window import MainWindow
from tests.gui.helpers import open_design, small_design


def _ports_visible(window: MainWindow) -> set[bool]:
    return {
        port.isVisible()
        for item in window.scene.blocks.values()
        for port in (*item.inputs.values(), *item.outputs.values())
    }


def test_ports_follow_the_zoom(window: MainWindow, qtbot: QtBot) -> None:
    open_design(window, small_design())
    view = window.view
    view.resetTransform()
    view.viewport().repaint()
    assert _ports_visible(window) == {True}

    view.scale(PORT_SCALE / 2, PORT_SCALE / 2)
    view.viewport().repaint()
    assert _ports_visible(window) == {False}
    window.add_after_selection("linear")  # blocks added while zoomed out follow suit
    assert _ports_visible(window) == {False}

    view.resetTransform()
    view.viewport().repaint()
    assert _ports_visible(window) == {True}
