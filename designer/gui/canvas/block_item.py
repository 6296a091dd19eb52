"""A block on the canvas: name, key sizes, input ports on the left, output ports on the right;
named ports (attention's query, key and value; an LSTM's h_n) carry their names.

The item mirrors a ``Block`` record and a shape result; it never changes the design itself.
Moving it only moves the item: the scene turns finished drags into one undoable move.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import (
    QGraphicsEllipseItem,
    QGraphicsItem,
    QStyleOptionGraphicsItem,
    QWidget,
)

from designer.graph import Block, block_kind
from designer.gui.block_text import block_summary
from designer.gui.canvas import style
from designer.gui.canvas.cost_colours import text_colours_on

if TYPE_CHECKING:
    from designer.gui.canvas.scene import DesignScene


class PortItem(QGraphicsEllipseItem):
    """An input or output port; drag from an output port to an input port to connect."""

    def __init__(
        self, block_id: str, port: str, is_output: bool, parent: QGraphicsItem, help: str = ""
    ) -> None:
        radius = style.PORT_RADIUS
        super().__init__(-radius, -radius, 2 * radius, 2 * radius, parent)
        self.block_id, self.port, self.is_output = block_id, port, is_output
        self.setBrush(QBrush(style.EDGE if is_output else style.BLOCK_FILL))
        self.setPen(QPen(style.BLOCK_BORDER, 1.5))
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setAcceptHoverEvents(True)
        # the block paints its ports into its own cached pixmap (a frame at a low zoom would
        # otherwise draw two thousand small ellipses): this item only takes the mouse, so a
        # change to its pen or brush shows after its block's update()
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemHasNoContents)
        what = f"output {port!r}: drag to an input" if is_output else f"input {port!r}"
        self.setToolTip(f"{what}\n{help}" if help else what)


_TEXT_LEFT = 14.0
_PORT_LABEL_WIDTH = 30.0
"""Room a column of port names takes inside the block (``value``, ``h_n`` at 6.5 pt)."""
_PAD = style.PORT_RADIUS + 2
_BOUNDS = QRectF(-_PAD, -2, style.BLOCK_WIDTH + 2 * _PAD, style.BLOCK_HEIGHT + 4)
"""Every block's bounding rectangle; shared, so never changed in place."""
_NAME_ONLY_RECT = QRectF(11, 0, style.BLOCK_WIDTH - 11 - style.PORT_RADIUS - 2, style.BLOCK_HEIGHT)
"""Where a name shown alone goes: between the colour strip and the output ports."""
_NAME_ONLY_TALLEST = 44
"""The largest font (pixels, in scene units) a name shown alone takes: one line in the block."""


class BlockItem(QGraphicsItem):
    def __init__(self, block: Block) -> None:
        super().__init__()
        self.block_id = block.id
        self.setFlags(
            QGraphicsItem.GraphicsItemFlag.ItemIsMovable
            | QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
            | QGraphicsItem.GraphicsItemFlag.ItemSendsScenePositionChanges
        )
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.setAcceptHoverEvents(True)
        self.setZValue(1.0)
        self.inputs: dict[str, PortItem] = {}
        self._ports_shown = True
        self.outputs: dict[str, PortItem] = {}
        self._port_labels: list[tuple[QPointF, str, bool]] = []
        self._text_left, self._text_width = _TEXT_LEFT, style.BLOCK_WIDTH - _TEXT_LEFT - 6
        """Names drawn beside named ports: where, the text, whether it is an output."""
        self.has_error = False
        self.output_text = ""
        self._shape_tip = ""
        self.cost_colour: str | None = None
        """The cost map's fill (``#rrggbb``), None for the plain one."""
        self._cost_note = ""
        self._fill, self._text, self._muted = _PLAIN_COLOURS
        self._block = block
        self._name, self._summary = block.name, block_summary(block)
        self._colour = style.CATEGORY_COLOURS.get(block_kind(block.kind).category, style.EDGE)
        self._make_ports(block)
        self.setPos(QPointF(*block.position))

    @property
    def block(self) -> Block:
        return self._block

    def update_block(self, block: Block) -> None:
        ports_changed = block.params.get("inputs") != self._block.params.get("inputs")
        self._block = block
        self._name, self._summary = block.name, block_summary(block)
        if ports_changed:
            self._make_ports(block)
        self.update()

    def set_result(self, output_text: str, problems: list[str]) -> None:
        self.output_text = output_text
        self.has_error = bool(problems)
        kind = block_kind(self._block.kind)
        lines = [f"{self._name}: {kind.label}", kind.help]
        if output_text:
            lines.append(f"output: {output_text}")
        lines += [f"⚠ {problem}" for problem in problems]
        self._shape_tip = "\n".join(lines)
        self._show_tooltip()
        self.update()

    def set_cost_colour(self, colour: str | None, note: str = "") -> None:
        """Fill the block with the cost map's ``colour`` (None: the plain fill), with the text
        in a colour that reads on it; ``note`` (its cost and share) ends the tooltip."""
        if colour == self.cost_colour and note == self._cost_note:
            return
        self.cost_colour, self._cost_note = colour, note
        self._fill, self._text, self._muted = (
            _PLAIN_COLOURS if colour is None else _cost_colours(colour)
        )
        self._show_tooltip()
        self.update()

    def _show_tooltip(self) -> None:
        shown = [text for text in (self._shape_tip, self._cost_note) if text]
        self.setToolTip("\n".join(shown))

    @property
    def output(self) -> PortItem | None:
        """The main output port."""
        return self.outputs.get("out")

    def port_position(self, port: str, *, is_output: bool = False) -> QPointF:
        """Where an edge meets this block at ``port``, in scene coordinates."""
        item = (self.outputs if is_output else self.inputs).get(port)
        if item is None:
            return self.mapToScene(QPointF(0, style.BLOCK_HEIGHT / 2))
        return item.scenePos()

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt's name)
        return _BOUNDS  # Qt asks for it a few times per block per frame: no new rect each time

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        rect = QRectF(0, 0, style.BLOCK_WIDTH, style.BLOCK_HEIGHT)
        border = style.ERROR if self.has_error else style.BLOCK_BORDER
        width = 2.5 if self.has_error else 1.2
        if self.isSelected():
            border, width = style.SELECTED, 3.0
        painter.setPen(QPen(border, width))
        painter.setBrush(QBrush(self._fill))
        painter.drawRoundedRect(rect, 6, 6)
        painter.fillRect(QRectF(1, 1, 7, style.BLOCK_HEIGHT - 2), self._colour)
        for port in (*self.inputs.values(), *self.outputs.values()):
            painter.setPen(port.pen())
            painter.setBrush(port.brush())
            painter.drawEllipse(port.rect().translated(port.pos()))
        detail = option.levelOfDetailFromTransform(painter.worldTransform())
        if detail < style.NAME_ONLY_SCALE:
            self._paint_name_only(painter, detail)
            return
        self._paint_port_labels(painter)
        painter.setPen(self._text)
        painter.setFont(_fonts().name)
        text_rect = QRectF(self._text_left, 4, self._text_width, 20)
        painter.drawText(text_rect, Qt.AlignmentFlag.AlignLeft, self._name)
        painter.setFont(_fonts().summary)
        painter.setPen(self._muted)
        summary_rect = QRectF(self._text_left, 24, self._text_width, 16)
        painter.drawText(summary_rect, Qt.AlignmentFlag.AlignLeft, self._summary)
        if self.output_text:
            painter.drawText(
                QRectF(self._text_left, 39, self._text_width, 16),
                Qt.AlignmentFlag.AlignLeft,
                f"→ {self.output_text}",
            )

    def name_label(self, scale: float) -> ScaledLabel | None:
        """The name as drawn alone at ``scale`` (below ``NAME_ONLY_SCALE``); None: not drawn."""
        return scaled_label(self._name, scale, _NAME_ONLY_RECT.width(), _NAME_ONLY_TALLEST)

    def _paint_name_only(self, painter: QPainter, scale: float) -> None:
        label = self.name_label(scale)
        if label is None:
            return
        painter.setPen(self._text)
        painter.setFont(label.font)
        painter.drawText(_NAME_ONLY_RECT, Qt.AlignmentFlag.AlignCenter, label.text)

    def _paint_port_labels(self, painter: QPainter) -> None:
        """Named ports' names just inside the block's edge, beside their ports."""
        if not self._port_labels:
            return
        painter.setFont(_fonts().port)
        painter.setPen(self._muted)
        width = _PORT_LABEL_WIDTH
        for position, name, is_output in self._port_labels:
            x = position.x() - width - style.PORT_RADIUS if is_output else 10.0
            align = Qt.AlignmentFlag.AlignRight if is_output else Qt.AlignmentFlag.AlignLeft
            rect = QRectF(x, position.y() - 6, width, 12)
            painter.drawText(rect, align | Qt.AlignmentFlag.AlignVCenter, name)

    def itemChange(self, change: QGraphicsItem.GraphicsItemChange, value: Any) -> Any:  # noqa: N802
        if change == QGraphicsItem.GraphicsItemChange.ItemScenePositionHasChanged:
            scene = self.scene()
            if scene is not None:
                owner: DesignScene = scene  # type: ignore[assignment]
                owner.block_item_moved(self)
        return super().itemChange(change, value)

    def show_ports(self, shown: bool) -> None:
        """Ports take part in hit-testing only when shown (the block draws them either way)."""
        self._ports_shown = shown
        for port in (*self.inputs.values(), *self.outputs.values()):
            port.setVisible(shown)

    def _make_ports(self, block: Block) -> None:
        for item in (*self.inputs.values(), *self.outputs.values()):
            scene = item.scene()
            if scene is not None:
                scene.removeItem(item)
        kind = block_kind(block.kind)
        helps = {port.name: port.help for port in kind.named_inputs}
        self.inputs = self._column(block.id, kind.input_ports(block.params), False, helps)
        helps = {port.name: port.help for port in kind.named_outputs}
        self.outputs = self._column(block.id, kind.output_ports(), True, helps)
        labelled = [
            *(self.inputs.items() if kind.ports not in ((), ("in",)) else ()),
            *(self.outputs.items() if kind.several_outputs else ()),
        ]
        self._port_labels = [(item.pos(), name, item.is_output) for name, item in labelled]
        # the name and sizes move aside for the port names, which sit just inside the edge
        left = any(not is_output for _, _, is_output in self._port_labels)
        right = any(is_output for _, _, is_output in self._port_labels)
        self._text_left = _TEXT_LEFT + (_PORT_LABEL_WIDTH if left else 0.0)
        self._text_width = (
            style.BLOCK_WIDTH - self._text_left - 6 - (_PORT_LABEL_WIDTH if right else 0.0)
        )

    def _column(
        self, block_id: str, ports: tuple[str, ...], is_output: bool, helps: dict[str, str]
    ) -> dict[str, PortItem]:
        """Port items spread down the block's left (inputs) or right (outputs) side."""
        items = {}
        x = style.BLOCK_WIDTH if is_output else 0.0
        for index, port in enumerate(ports):
            item = PortItem(block_id, port, is_output, self, helps.get(port, ""))
            item.setVisible(self._ports_shown)
            item.setPos(x, style.BLOCK_HEIGHT * (index + 1) / (len(ports) + 1))
            items[port] = item
        return items


_PLAIN_COLOURS = (style.BLOCK_FILL, style.TEXT, style.MUTED_TEXT)
"""Fill, name and sizes colours of a block the cost map doesn't colour."""


@lru_cache(maxsize=64)
def _cost_colours(fill: str) -> tuple[QColor, QColor, QColor]:
    """A cost-map fill with the text colours that read on it, made once per colour."""
    text, muted = text_colours_on(fill)
    return QColor(fill), QColor(text), QColor(muted)


class _Fonts:
    def __init__(self) -> None:
        self.name = QFont()
        self.name.setBold(True)
        self.name.setPointSizeF(9.5)
        self.summary = QFont()
        self.summary.setPointSizeF(8.5)
        self.port = QFont()
        self.port.setPointSizeF(6.5)


_font_cache: list[_Fonts] = []


def _fonts() -> _Fonts:
    """Fonts made on first paint (a QFont needs the application to exist)."""
    if not _font_cache:
        _font_cache.append(_Fonts())
    return _font_cache[0]


@dataclass(frozen=True, slots=True)
class ScaledLabel:
    """A text to draw at one zoom: its font is sized in pixels of scene units."""

    font: QFont
    text: str

    def screen_pixels(self, scale: float) -> float:
        """The font's size (em) on screen at ``scale``."""
        return self.font.pixelSize() * scale


def scaled_label(
    text: str, scale: float, width: float, tallest: int, *, bold: bool = False
) -> ScaledLabel | None:
    """``text`` in a font that shows ``style.NAME_PIXELS`` tall at ``scale``, or shrunk as far
    as ``NAME_MIN_PIXELS`` to fit ``width`` (scene units), then elided in the middle (names end
    in the number that tells them apart). The font is at most ``tallest`` scene units; None where
    that shows under ``NAME_SMALLEST_PIXELS`` or only an ellipsis would fit."""
    if scale <= 0 or tallest * scale < style.NAME_SMALLEST_PIXELS or not text:
        return None
    preferred = min(tallest, math.ceil(style.NAME_PIXELS / scale))
    least = min(tallest, math.ceil(style.NAME_MIN_PIXELS / scale))
    return _fitted_label(text, preferred, least, round(width), bold)


@lru_cache(maxsize=8192)
def _fitted_label(
    text: str, preferred: int, least: int, width: int, bold: bool
) -> ScaledLabel | None:
    """Cached: a zoom step repaints every block, mostly with names it has measured before."""
    font = _pixel_font(preferred, bold)
    advance = QFontMetricsF(font).horizontalAdvance(text)
    if advance <= width:
        return ScaledLabel(font, text)
    font = _pixel_font(max(least, math.floor(preferred * width / advance)), bold)
    shown = QFontMetricsF(font).elidedText(text, Qt.TextElideMode.ElideMiddle, width)
    if len(shown.replace("…", "")) < 2:
        return None
    return ScaledLabel(font, shown)


@lru_cache(maxsize=256)
def _pixel_font(pixels: int, bold: bool) -> QFont:
    font = QFont()
    font.setPixelSize(max(1, pixels))
    font.setBold(bold)
    return font
