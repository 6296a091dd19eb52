"""Level of detail on the canvas: zoomed out, a block shows its name alone in a font that grows
as the zoom falls (its sizes and port names go first), a group keeps its title readable, and a
60-block chain at Fit to View in a 1920x1080 window shows every name at least 8 px tall."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import pytest
from PySide6.QtGui import QFont, QFontMetricsF, QImage, QPainter
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem
from pytestqt.qtbot import QtBot

from designer.graph import Design
from designer.graph.edit_plans import layout_plan
from designer.graph.edits import apply_all
from designer.gui.canvas import style
from designer.gui.canvas.block_item import BlockItem, scaled_label
from designer.gui.main_window import MainWindow
from tests.gui.helpers import open_design

CHAIN_KINDS = ("linear", "activation", "dropout", "layer_norm")
SCREEN_DPI = 96.0
"""Fonts given in points are this many pixels per inch on the offscreen platform."""


class RecordingPainter(QPainter):
    """A painter on an image that notes each text it draws and the font it draws it in."""

    def __init__(self, image: QImage, scale: float) -> None:
        super().__init__(image)
        self.scale(scale, scale)
        self.texts: list[tuple[str, QFont]] = []

    def drawText(self, *args: Any) -> None:  # Qt's name
        self.texts.append((next(arg for arg in args if isinstance(arg, str)), self.font()))
        super().drawText(*args)


def painted_texts(item: QGraphicsItem, scale: float) -> list[tuple[str, QFont]]:
    image = QImage(800, 400, QImage.Format.Format_ARGB32_Premultiplied)
    painter = RecordingPainter(image, scale)
    painter.translate(-item.boundingRect().topLeft())
    try:
        item.paint(painter, QStyleOptionGraphicsItem(), None)
    finally:
        painter.end()
    return painter.texts


def screen_pixels(font: QFont, scale: float) -> float:
    """The font's em on screen at ``scale``."""
    pixels = font.pixelSize() if font.pixelSize() > 0 else font.pointSizeF() * SCREEN_DPI / 72
    return pixels * scale


def chain(length: int) -> Design:
    """An input, ``length - 2`` layers and an output in a line, laid out as the app does."""
    design = Design("Chain")
    ids = [design.add_block("input", params={"shape": [1, 64]}).id]
    ids += [design.add_block(CHAIN_KINDS[n % len(CHAIN_KINDS)]).id for n in range(length - 2)]
    ids.append(design.add_block("output").id)
    for source, target in pairwise(ids):
        design.connect(source, target)
    apply_all(design, layout_plan(design))
    return design


def block_named(window: MainWindow, name: str) -> BlockItem:
    return next(item for item in window.scene.blocks.values() if item.block.name == name)


def test_every_name_of_a_60_block_chain_is_readable_at_fit_to_view(
    window: MainWindow, qtbot: QtBot
) -> None:
    window.resize(1920, 1080)
    open_design(window, chain(60))
    window.view.fit()
    qtbot.wait(10)
    scale = window.view.transform().m11()
    assert len(window.scene.blocks) == 60
    for item in window.scene.blocks.values():
        texts = painted_texts(item, scale)
        name = item.block.name
        drawn = [(text, font) for text, font in texts if text == name or "…" in text]
        assert drawn, f"{name} draws no name at scale {scale:.3f}: {texts}"
        text, font = drawn[0]
        # LAYOUT-DEPENDENT: this holds once the auto layout wraps a long chain into bands (the
        # fit scale is then about 0.25..0.5); a layout that keeps 60 blocks in one row fits at
        # about 0.08, where no block has room for an 8 px name
        assert screen_pixels(font, scale) >= 8, (
            f"{name!r} is {screen_pixels(font, scale):.1f} px at the fit scale {scale:.3f}"
        )
        width = QFontMetricsF(font).horizontalAdvance(text)
        assert width <= style.BLOCK_WIDTH, f"{text!r} is wider than its block"


@pytest.mark.parametrize("scale", [0.21, 0.3, 0.45, 0.6])
def test_zoomed_out_a_block_draws_its_name_alone_and_large_enough(
    window: MainWindow, scale: float
) -> None:
    open_design(window, chain(3))
    item = block_named(window, "linear1")
    texts = painted_texts(item, scale)
    assert [text for text, _ in texts] == ["linear1"], "names before detail: the name alone"
    assert screen_pixels(texts[0][1], scale) >= style.NAME_MIN_PIXELS - 0.01


def test_the_name_font_grows_as_the_zoom_falls(window: MainWindow) -> None:
    open_design(window, chain(3))
    item = block_named(window, "linear1")
    sizes = {scale: painted_texts(item, scale)[0][1].pixelSize() for scale in (0.6, 0.4, 0.25)}
    assert sizes[0.6] < sizes[0.4] < sizes[0.25]


def test_at_full_size_sizes_and_port_names_show_and_go_first_when_zoomed_out(
    window: MainWindow,
) -> None:
    design = Design()
    design.add_block("multihead_attention", name="attn")
    open_design(window, design)
    item = block_named(window, "attn")
    full = [text for text, _ in painted_texts(item, 1.0)]
    assert "attn" in full
    assert {"query", "key", "value"} <= set(full), "port names at full size"
    assert len(full) > 4, "and the kind's summary"
    assert [text for text, _ in painted_texts(item, style.NAME_ONLY_SCALE * 0.9)] == ["attn"]


def test_a_long_name_is_elided_in_the_middle_to_fit_its_block(window: MainWindow) -> None:
    name = "encoder_attention_projection_17"
    label = scaled_label(name, 0.25, style.BLOCK_WIDTH - 20, 44)
    assert label is not None
    assert "…" in label.text
    assert label.text.startswith("en") and label.text.endswith("17"), "both ends kept"
    assert QFontMetricsF(label.font).horizontalAdvance(label.text) <= style.BLOCK_WIDTH - 20
    assert label.screen_pixels(0.25) >= style.NAME_MIN_PIXELS - 0.01


def test_too_far_out_for_any_readable_name_no_text_is_drawn(window: MainWindow) -> None:
    open_design(window, chain(3))
    item = block_named(window, "linear1")
    assert painted_texts(item, 0.08) == []


@pytest.mark.parametrize("scale", [0.25, 0.5])
def test_a_group_keeps_its_title_readable_when_zoomed_out(window: MainWindow, scale: float) -> None:
    design = chain(5)
    members = [block.id for block in design.blocks.values() if block.kind != "input"][:3]
    design.add_group("encoder", members)
    open_design(window, design)
    group = next(iter(window.scene.groups.values()))
    texts = painted_texts(group, scale)
    assert [text for text, _ in texts] == ["encoder"]
    assert screen_pixels(texts[0][1], scale) >= 8
    # the title keeps to the room above the members: the header and the margin
    assert texts[0][1].pixelSize() <= style.GROUP_HEADER + style.GROUP_MARGIN
