"""The overview map in the canvas's corner: hidden while the design fits the view, shown when it
doesn't; a click or a drag there centres the view on that place; View > Overview turns it off
and is remembered; its picture is drawn again only when the design's geometry changes."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from designer.graph.edits import MoveBlock, SetParam
from designer.gui.canvas.minimap import SETTING
from designer.gui.main_window import MainWindow
from tests.gui.conftest import make_window
from tests.gui.helpers import block_id, open_design, small_design


def settle(window: MainWindow, qtbot: QtBot) -> None:
    """Paint the canvas and let the map follow."""
    window.view.viewport().repaint()
    qtbot.wait(5)


def zoomed_in(window: MainWindow, qtbot: QtBot) -> None:
    """The small design at twice its size, centred on 'conv': most of it out of view."""
    open_design(window, small_design())
    window.view.fit()
    window.view.resetTransform()
    window.view.scale(2.0, 2.0)
    window.view.centerOn(window.scene.blocks[block_id(window, "conv")].sceneBoundingRect().center())
    settle(window, qtbot)


def test_hidden_while_the_design_fits_and_shown_when_it_does_not(
    window: MainWindow, qtbot: QtBot
) -> None:
    open_design(window, small_design())
    window.view.fit()
    settle(window, qtbot)
    assert not window.view.minimap.isVisible()

    zoomed_in(window, qtbot)
    minimap = window.view.minimap
    assert minimap.isVisible()
    viewport = window.view.viewport().geometry()
    assert viewport.contains(minimap.geometry()), "inside the canvas, in its corner"
    assert minimap.geometry().bottom() > viewport.center().y()
    assert minimap.geometry().right() > viewport.center().x()

    window.view.fit()
    settle(window, qtbot)
    assert not minimap.isVisible()


@pytest.mark.parametrize("name", ["x", "out"])
def test_a_click_on_the_map_centres_the_view_there(
    window: MainWindow, qtbot: QtBot, name: str
) -> None:
    zoomed_in(window, qtbot)
    minimap = window.view.minimap
    target = window.scene.blocks[block_id(window, name)].sceneBoundingRect().center()
    on_map = minimap.map_point(target)
    qtbot.mouseClick(minimap, Qt.MouseButton.LeftButton, pos=on_map.toPoint())
    settle(window, qtbot)
    centre = window.view.visible_area().center()
    tolerance = 2 / minimap.map_scale() + 2  # a map pixel's rounding, a view pixel's
    assert abs(centre.x() - target.x()) <= tolerance
    assert abs(centre.y() - target.y()) <= tolerance


def test_a_drag_on_the_map_moves_the_view_along(window: MainWindow, qtbot: QtBot) -> None:
    zoomed_in(window, qtbot)
    minimap = window.view.minimap
    start = minimap.map_point(window.scene.blocks[block_id(window, "x")].pos())
    end = minimap.map_point(window.scene.blocks[block_id(window, "out")].pos())
    qtbot.mousePress(minimap, Qt.MouseButton.LeftButton, pos=start.toPoint())
    for step in range(1, 6):
        point = start + (end - start) * (step / 5)
        move = QMouseEvent(
            QMouseEvent.Type.MouseMove,
            QPointF(point.toPoint()),
            QPointF(minimap.mapToGlobal(point.toPoint())),
            Qt.MouseButton.NoButton,
            Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier,
        )
        QApplication.sendEvent(minimap, move)
    qtbot.mouseRelease(minimap, Qt.MouseButton.LeftButton, pos=end.toPoint())
    settle(window, qtbot)
    centre = window.view.visible_area().center()
    expected = minimap.scene_point(QPointF(end.toPoint()))
    tolerance = 2 / minimap.map_scale() + 2
    assert abs(centre.x() - expected.x()) <= tolerance
    assert abs(centre.y() - expected.y()) <= tolerance


def test_the_overview_action_turns_the_map_off_and_is_remembered(
    window: MainWindow,
    qtbot: QtBot,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    action = window.actions_by_name["overview"]
    view_menu = next(menu.menu() for menu in window.menuBar().actions() if menu.text() == "&View")
    assert action in view_menu.actions()
    assert action.isChecked()
    zoomed_in(window, qtbot)
    assert window.view.minimap.isVisible()

    action.setChecked(False)
    settle(window, qtbot)
    assert not window.view.minimap.isVisible()
    window.view.pan_by(40, 0)
    settle(window, qtbot)
    assert not window.view.minimap.isVisible(), "stays off while the view moves"
    window.settings.sync()

    second = make_window(qtbot, tmp_path, monkeypatch)
    assert second.settings.value(SETTING, True, type=bool) is False
    assert not second.actions_by_name["overview"].isChecked()
    assert not second.view.minimap.wanted

    action.setChecked(True)
    settle(window, qtbot)
    assert window.view.minimap.isVisible()


def test_the_map_follows_a_moved_block_and_redraws_only_for_geometry(
    window: MainWindow, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    zoomed_in(window, qtbot)
    minimap = window.view.minimap
    drawn: list[int] = []
    draw = minimap._draw_picture

    def counted() -> object:
        drawn.append(1)
        return draw()

    monkeypatch.setattr(minimap, "_draw_picture", counted)
    for _ in range(5):  # frames of a pan move the frame over the cached picture
        window.view.pan_by(30, 0)
        settle(window, qtbot)
    conv = block_id(window, "conv")
    window.document.edit("param", [SetParam(conv, "out_channels", 16)])
    settle(window, qtbot)
    assert drawn == [], "neither a pan nor a parameter redraws the picture"

    fc = block_id(window, "fc")
    window.document.edit("move", [MoveBlock(fc, (900.0, 2000.0))])
    settle(window, qtbot)
    assert drawn == [1]
    assert minimap.design_area().bottom() >= 2000.0, "the moved block is on the map"
    moved = minimap.map_point(QPointF(990.0, 2029.0))
    assert minimap.rect().contains(QPoint(round(moved.x()), round(moved.y())))
