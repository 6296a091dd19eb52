"""Drawing the canvas to an image without a window (designer.gui.diagram), and File > Export
Diagram in the app."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree

import pytest
from PySide6.QtCore import QPointF
from PySide6.QtGui import QColor, QImage
from pytestqt.qtbot import QtBot

from designer.graph import Design, load_design
from designer.graph.edits import RenameBlock
from designer.gui.canvas import style
from designer.gui.canvas.scene import DesignScene
from designer.gui.diagram import (
    DiagramError,
    diagram_bytes,
    drawn_area,
    top_level_groups,
    write_diagram,
)
from designer.gui.document import DesignDocument
from designer.gui.files import read_design
from designer.gui.main_window import MainWindow
from tests.gui.helpers import Calls
from tests.paths import DATA, EXAMPLES

SVG_TEXT = "{http://www.w3.org/2000/svg}text"
WHITE = QColor("white").rgb()
DIAGONAL = {"x": (0.0, 300.0), "mid": (300.0, 0.0), "out": (600.0, 300.0)}
"""Blocks on a zigzag: the places between them, (0, 0) and (600, 0), stay empty."""


def zigzag() -> DesignDocument:
    design = Design()
    x = design.add_block("input", name="x", params={"shape": [1, 16]}, position=DIAGONAL["x"])
    mid = design.add_block("linear", name="mid", position=DIAGONAL["mid"])
    out = design.add_block("output", name="out", position=DIAGONAL["out"])
    design.connect(x.id, mid.id)
    design.connect(mid.id, out.id)
    return DesignDocument(design)


def png(document: DesignDocument, scale: float = 2.0) -> QImage:
    image = QImage()
    assert image.loadFromData(diagram_bytes(document, ".png", scale=scale), "PNG")
    return image


def svg_texts(data: bytes) -> list[str]:
    root = ElementTree.fromstring(data)
    return [(element.text or "").strip() for element in root.iter(SVG_TEXT)]


def non_white(image: QImage, left: float, top: float, width: float, height: float) -> int:
    return sum(
        image.pixel(x, y) != WHITE
        for x in range(int(left), int(left + width))
        for y in range(int(top), int(top + height))
    )


def test_a_png_is_the_drawn_area_at_twice_the_size_ink_where_blocks_are(qtbot: QtBot) -> None:
    document = zigzag()
    scene = DesignScene(document)
    area = drawn_area(scene)
    image = png(document)
    assert (image.width(), image.height()) == (round(area.width() * 2), round(area.height() * 2))
    assert 1500 < image.width() < 1700  # 784 canvas units of blocks, and a margin
    assert 800 < image.height() < 900
    assert image.pixelColor(1, 1) == QColor("white")  # the margin
    for name, (x, y) in DIAGONAL.items():
        corner = (QPointF(x, y) - area.topLeft()) * 2
        block = (corner.x(), corner.y(), style.BLOCK_WIDTH * 2, style.BLOCK_HEIGHT * 2)
        assert non_white(image, *block) > 2000, f"{name} is not drawn"
    for x, y in ((0.0, 0.0), (600.0, 0.0)):  # no block there
        corner = (QPointF(x, y) - area.topLeft()) * 2
        assert non_white(image, corner.x(), corner.y(), 300, 100) == 0


def test_the_scale_sets_the_pixels_per_canvas_unit(qtbot: QtBot) -> None:
    document = zigzag()
    double, single = png(document), png(document, scale=1.0)
    assert abs(double.width() - 2 * single.width()) <= 1
    assert abs(double.height() - 2 * single.height()) <= 1


def test_an_svg_is_xml_with_every_block_name_and_edge_shape_as_text(qtbot: QtBot) -> None:
    design = read_design(EXAMPLES / "gpt_small.json")
    document = DesignDocument(design)
    texts = svg_texts(diagram_bytes(document, ".svg"))
    for block in design.blocks.values():
        assert block.name in texts
    assert "1x16x64" in texts  # a shape on an edge, from the shape check
    for group in design.groups.values():
        assert f"{group.name}: {group.class_name}" in texts


def test_collapsed_groups_show_their_names_not_their_members(qtbot: QtBot) -> None:
    design = read_design(EXAMPLES / "gpt_small.json")
    document = DesignDocument(design)
    groups = top_level_groups(design)
    assert groups
    texts = svg_texts(diagram_bytes(document, ".svg", collapsed=groups))
    for group_id in groups:
        assert design.group(group_id).name in " ".join(texts)
    for block in design.blocks.values():
        assert (block.name in texts) == (block.group is None), block.name


def test_a_design_without_positions_is_laid_out(qtbot: QtBot, tmp_path: Path) -> None:
    document = zigzag()
    for block in document.design.blocks.values():
        document.design.move_block(block.id, (0.0, 0.0))
    laid_out = DesignDocument(read_design(save(document.design, tmp_path / "stacked.json")))
    image = png(laid_out, scale=1.0)
    assert image.width() > 2 * style.BLOCK_WIDTH  # side by side, not stacked on one spot


def save(design: Design, path: Path) -> Path:
    from designer.graph import save_design

    save_design(design, path)
    return path


def test_shape_errors_are_drawn_red(qtbot: QtBot) -> None:
    document = DesignDocument(read_design(DATA / "seed_final_buggy.json"))
    assert not document.report.ok
    image = png(document, scale=1.0)
    red = style.ERROR
    assert any(
        image.pixelColor(x, y) == red
        for x in range(0, image.width(), 2)
        for y in range(image.height())
    )


def test_an_unknown_image_type_names_the_ones_there_are(qtbot: QtBot, tmp_path: Path) -> None:
    with pytest.raises(DiagramError, match=r"a\.gif: the output must end in \.svg or \.png$"):
        write_diagram(zigzag(), tmp_path / "a.gif")
    assert list(tmp_path.iterdir()) == []


def test_a_failed_write_leaves_nothing_behind(qtbot: QtBot, tmp_path: Path) -> None:
    target = tmp_path / "taken.png"
    target.mkdir()
    with pytest.raises(DiagramError) as raised:
        write_diagram(zigzag(), target)
    assert str(raised.value) == f"cannot write {target}: is a directory"
    assert [path.name for path in tmp_path.iterdir()] == ["taken.png"]
    assert list(target.iterdir()) == []


# --- the app ------------------------------------------------------------------------------------


def test_export_diagram_writes_the_canvas_beside_the_design(
    window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, errors: Calls
) -> None:
    design_path = tmp_path / "gpt.json"
    design_path.write_bytes((EXAMPLES / "gpt_small.json").read_bytes())
    assert window.files.load(design_path)
    groups = top_level_groups(window.document.design)
    for group in groups:
        window.scene.toggle_collapsed(group)
    asked = Calls(tmp_path / "picture")  # no suffix: .svg
    monkeypatch.setattr(window, "ask_diagram_path", asked)
    window.actions_by_name["export_diagram"].trigger()
    assert asked.calls == [(design_path.resolve().with_suffix(".svg"),)]
    texts = svg_texts((tmp_path / "picture.svg").read_bytes())
    members = [b.name for b in window.document.design.blocks.values() if b.group in groups]
    assert not set(members) & set(texts)  # collapsed in the app, collapsed in the picture
    assert errors.calls == []
    # the scene drawn for the picture is gone: later edits reach only the window's
    block = next(iter(window.document.design.blocks))
    window.scene.try_edit("Rename", [RenameBlock(block, "renamed")])
    assert window.scene.blocks[block].block.name == "renamed"


def test_export_diagram_refusals_are_shown(
    window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, errors: Calls
) -> None:
    monkeypatch.setattr(window, "ask_diagram_path", Calls(tmp_path / "picture.gif"))
    assert not window.export_diagram()
    assert errors.calls == [
        ("Can't export diagram", f"{tmp_path / 'picture.gif'}: the output must end in .svg or .png")
    ]
    monkeypatch.setattr(window, "ask_diagram_path", Calls(None))
    assert not window.export_diagram()
    assert len(errors.calls) == 1


def test_a_written_png_opens(qtbot: QtBot, tmp_path: Path) -> None:
    write_diagram(DesignDocument(load_design(EXAMPLES / "unet_small.json")), tmp_path / "u.png")
    assert not QImage(str(tmp_path / "u.png")).isNull()
