"""The cost map's colour scale and the texts of its figures, without Qt: a block's cost becomes a
fill colour (hex) on a sequential scale, light yellow for the least to dark red for the most.

The scale is ColorBrewer's YlOrRd (as matplotlib has it): a single lightness ramp, readable by
people with any common colour-vision deficiency and in greyscale. Colours run from 0 to the
largest value shown, so the largest cost always takes the darkest colour and a block costing
half of it sits halfway along the scale.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING

from designer.units import format_bytes, format_count

if TYPE_CHECKING:
    # the runtime package imports torch: the window imports this module before torch is ready
    from designer.runtime.block_costs import CostMeasure

YLORRD = (
    "#ffffcc",
    "#ffeda0",
    "#fed976",
    "#feb24c",
    "#fd8d3c",
    "#fc4e2a",
    "#e31a1c",
    "#bd0026",
    "#800026",
)
"""matplotlib's YlOrRd stops, lightest first."""
DARK_TEXT = "#1c2833"
DARK_MUTED_TEXT = "#2c3a47"
"""Darker than the plain blocks' muted grey, which fades on the orange middle of the scale."""
LIGHT_TEXT = "#ffffff"
LIGHT_MUTED_TEXT = "#f2e6e8"
MEASURES = (
    ("time", "&Time"),
    ("FLOPs", "&FLOPs"),
    ("parameters", "&Parameters"),
    ("activation memory", "Activation &memory"),
)
"""What the cost map offers: (``CostMeasure`` value, menu text), in the menu's order."""


def _rgb(colour: str) -> tuple[int, int, int]:
    value = int(colour.lstrip("#"), 16)
    return (value >> 16) & 0xFF, (value >> 8) & 0xFF, value & 0xFF


def scale_colour(fraction: float) -> str:
    """The colour ``fraction`` (0 to 1, clamped) of the way along the scale, as ``#rrggbb``."""
    fraction = 0.0 if math.isnan(fraction) else min(1.0, max(0.0, fraction))
    position = fraction * (len(YLORRD) - 1)
    index = min(int(position), len(YLORRD) - 2)
    step = position - index
    low, high = _rgb(YLORRD[index]), _rgb(YLORRD[index + 1])
    mixed = (round(a + (b - a) * step) for a, b in zip(low, high, strict=True))
    return "#{:02x}{:02x}{:02x}".format(*mixed)


def cost_colours(values: Mapping[str, float]) -> dict[str, str]:
    """Each block's colour for its value (block id -> value): value / largest along the scale.
    All zero (a design without parameters, say): every block the lightest colour."""
    largest = max(values.values(), default=0.0)
    if largest <= 0:
        return {block_id: YLORRD[0] for block_id in values}
    return {block_id: scale_colour(value / largest) for block_id, value in values.items()}


def relative_luminance(colour: str) -> float:
    """WCAG's relative luminance of ``#rrggbb``: 0 for black, 1 for white."""

    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(channel) for channel in _rgb(colour))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(first: str, second: str) -> float:
    """WCAG's contrast ratio between two colours, 1 to 21."""
    a, b = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def text_colours_on(fill: str) -> tuple[str, str]:
    """(name, sizes) text colours that read best on ``fill``: dark on the light end of the
    scale, white on its dark end."""
    if contrast(fill, DARK_TEXT) >= contrast(fill, LIGHT_TEXT):
        return DARK_TEXT, DARK_MUTED_TEXT
    return LIGHT_TEXT, LIGHT_MUTED_TEXT


def format_seconds(seconds: float) -> str:
    """``850 ns``, ``12.3 µs``, ``4.56 ms``, ``1.20 s``."""
    magnitude = abs(seconds)
    if magnitude == 0:
        return "0 s"
    if magnitude < 1e-6:
        return f"{seconds * 1e9:.0f} ns"
    if magnitude < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if magnitude < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def cost_text(measure: CostMeasure, value: float) -> str:
    """A value of ``measure`` with its unit: ``1.23 ms``, ``4.1 GFLOPs``, ``2.4 M``, ``3.0 MiB``."""
    kind = measure.value
    if kind == "time":
        return format_seconds(value)
    if kind == "FLOPs":
        return f"{format_count(value)}FLOPs"
    if kind == "activation memory":
        return format_bytes(round(value))
    return format_count(value).rstrip() if value >= 1000 else f"{value:.0f}"


def measure_title(measure: CostMeasure, training: bool | None = None) -> str:
    """``Time (forward + backward)``, ``FLOPs``, ``Parameters``, ``Activation memory``."""
    if measure.value == "time" and training is not None:
        return "Time (forward + backward)" if training else "Time (forward)"
    return measure.value[0].upper() + measure.value[1:] if measure.value != "FLOPs" else "FLOPs"


def share_text(share: float) -> str:
    """A share of the total: ``42.1%``, ``<0.1%``, ``0%``."""
    if share <= 0:
        return "0%"
    if share < 0.001:
        return "<0.1%"
    return f"{share * 100:.1f}%"
