"""A design's canvas as an image, without a window: PNG or SVG, drawn by the app's own scene.

``render`` on the command line and File > Export Diagram in the app both come here. The scene
is a fresh ``DesignScene`` over the design, so blocks, edges, shape labels and group frames look
as they do on the canvas (shape errors in red); nothing is selected. The file is written whole
or not at all.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Final

import shiboken6
from PySide6.QtCore import QBuffer, QByteArray, QCoreApplication, QIODevice, QRect, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QApplication, QGraphicsItem

from designer.graph import Design
from designer.graph.file_access import os_error_text
from designer.graph.fileformat import write_atomically
from designer.gui.canvas.scene import DesignScene
from designer.gui.document import DesignDocument

log = logging.getLogger(__name__)

IMAGE_TYPES: Final = (".svg", ".png")
DEFAULT_SCALE: Final = 2.0
"""PNG pixels per canvas unit: twice the screen's, for crisp text in papers and READMEs."""
MARGIN: Final = 24.0
MAX_PIXELS: Final = 100_000_000
"""A PNG past this many pixels (400 MB in memory) is drawn at a smaller scale."""
MAX_SIDE: Final = 32_767
"""The longest side Qt's raster painter draws."""
SVG_DPI: Final = 96
"""The screen's logical resolution: fonts given in points come out the size they are on the
canvas (QSvgGenerator assumes 72)."""

_FONT_FAMILY: Final = re.compile(rb'font-family="([^"]*)"')
_GENERIC_FAMILIES: Final = frozenset({b"serif", b"sans-serif", b"monospace"})

_applications: list[QApplication] = []


class DiagramError(Exception):
    """A diagram that can't be drawn or written; the message is one line naming the file."""


def image_type(path: Path) -> str:
    """``.svg`` or ``.png`` from the output's name; ``DiagramError`` for anything else."""
    suffix = path.suffix.lower()
    if suffix not in IMAGE_TYPES:
        raise DiagramError(f"{path}: the output must end in .svg or .png")
    return suffix


def ensure_application() -> None:
    """A ``QApplication`` to draw with: the running one, else a new one kept for the process.
    The caller chooses the platform first (``offscreen`` where there is no screen)."""
    existing = QCoreApplication.instance()
    if existing is None:
        _applications.append(QApplication(["torch-designer"]))
    elif not isinstance(existing, QApplication):
        raise DiagramError(
            f"drawing a diagram needs a QApplication; this process made a {type(existing).__name__}"
        )


def top_level_groups(design: Design) -> list[str]:
    return [group.id for group in design.groups.values() if group.parent is None]


def write_diagram(
    document: DesignDocument,
    path: Path,
    *,
    collapsed: Iterable[str] = (),
    scale: float = DEFAULT_SCALE,
) -> None:
    """Draw the document's design to ``path`` (.svg or .png), the groups in ``collapsed``
    collapsed; ``scale`` applies to PNG. ``DiagramError`` says why it can't be done."""
    suffix = image_type(path)
    data = diagram_bytes(document, suffix, collapsed=collapsed, scale=scale, name=path.name)
    try:
        write_atomically(path, data)
    except OSError as error:
        raise DiagramError(os_error_text(error, path, "write")) from None


def diagram_bytes(
    document: DesignDocument,
    suffix: str,
    *,
    collapsed: Iterable[str] = (),
    scale: float = DEFAULT_SCALE,
    name: str = "diagram",
) -> bytes:
    """The image file's bytes: ``suffix`` is ``.svg`` or ``.png``."""
    scene = DesignScene(document)
    try:
        for group_id in collapsed:
            if not scene.is_collapsed(group_id):
                scene.toggle_collapsed(group_id)
        for item in scene.items():
            # cached items would be drawn as bitmaps, even into an SVG
            item.setCacheMode(QGraphicsItem.CacheMode.NoCache)
        source = drawn_area(scene)
        if suffix == ".svg":
            return _svg(scene, source, document.design.class_name)
        return _png(scene, source, _fitting_scale(source, scale, name))
    finally:
        # at once, not later: its connections to the document go with it
        shiboken6.delete(scene)


def drawn_area(scene: DesignScene) -> QRectF:
    """What shows, with a margin: hidden items (inside collapsed groups) don't count."""
    area = QRectF()
    for item in scene.items():
        if item.parentItem() is None and item.isVisible():
            area = area.united(item.sceneBoundingRect())
    return area.adjusted(-MARGIN, -MARGIN, MARGIN, MARGIN)


def _fitting_scale(source: QRectF, scale: float, name: str) -> float:
    """``scale``, or less when the image would be too large to draw."""
    fitting = min(
        scale,
        MAX_SIDE / max(source.width(), source.height()),
        math.sqrt(MAX_PIXELS / (source.width() * source.height())),
    )
    if fitting < scale:
        log.warning(
            "%s: the design is large; drawn at scale %.2f, not %g, to stay under %d megapixels "
            "(an .svg keeps every detail)",
            name,
            fitting,
            scale,
            MAX_PIXELS // 1_000_000,
        )
    return fitting


def _paint(scene: DesignScene, painter: QPainter, target: QRectF, source: QRectF) -> None:
    painter.setRenderHints(
        QPainter.RenderHint.Antialiasing
        | QPainter.RenderHint.TextAntialiasing
        | QPainter.RenderHint.SmoothPixmapTransform
    )
    painter.fillRect(target, QColor(Qt.GlobalColor.white))
    scene.render(painter, target, source, Qt.AspectRatioMode.IgnoreAspectRatio)


def _png(scene: DesignScene, source: QRectF, scale: float) -> bytes:
    width = max(1, round(source.width() * scale))
    height = max(1, round(source.height() * scale))
    image = QImage(width, height, QImage.Format.Format_ARGB32_Premultiplied)
    painter = QPainter(image)
    try:
        _paint(scene, painter, QRectF(0, 0, width, height), source)
    finally:
        painter.end()
    # set after painting: fonts in points are sized by the device's resolution while drawing
    dots_per_metre = round(SVG_DPI * scale / 0.0254)
    image.setDotsPerMeterX(dots_per_metre)
    image.setDotsPerMeterY(dots_per_metre)
    # the stubs ask for bytes, but PySide6 6.11 takes only a str at run time
    return _encoded(lambda buffer: image.save(buffer, "PNG"))  # type: ignore[call-overload]


def _svg(scene: DesignScene, source: QRectF, title: str) -> bytes:
    from PySide6.QtSvg import QSvgGenerator

    width, height = math.ceil(source.width()), math.ceil(source.height())

    def draw(buffer: QBuffer) -> bool:
        generator = QSvgGenerator()
        generator.setOutputDevice(buffer)
        generator.setResolution(SVG_DPI)
        generator.setSize(QRect(0, 0, width, height).size())
        generator.setViewBox(QRect(0, 0, width, height))
        generator.setTitle(title)
        generator.setDescription("drawn by Torch Designer")
        painter = QPainter(generator)
        try:
            _paint(scene, painter, QRectF(0, 0, width, height), source)
        finally:
            ended = painter.end()
        return ended

    return _with_generic_fonts(_encoded(draw))


def _with_generic_fonts(svg: bytes) -> bytes:
    """Qt names the font it drew with (``Sans Serif`` on Linux), which a browser may not
    know: add the generic family after it, so text stays sans-serif wherever it is shown."""
    return _FONT_FAMILY.sub(_family_with_fallback, svg)


def _family_with_fallback(match: re.Match[bytes]) -> bytes:
    family = match.group(1)
    if family in _GENERIC_FAMILIES:
        return match.group(0)
    return b"font-family=\"'" + family.replace(b"'", b"") + b"', sans-serif\""


def _encoded(write: Callable[[QBuffer], bool]) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not write(buffer):
        raise DiagramError("Qt could not encode the image")
    buffer.close()
    return bytes(data.data())
