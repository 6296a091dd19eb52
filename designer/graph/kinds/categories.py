"""The palette's categories, in palette order, each with the colour its blocks wear."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Category:
    name: str
    colour: str
    """``#rrggbb``: the band across a block's top on the canvas."""


INPUT_OUTPUT = Category("Input/Output", "#6c7a89")
BLOCKS = Category("Blocks", "#2e86c1")
CONVOLUTION = Category("Convolution", "#1f618d")
LAYERS = Category("Layers", "#17a589")
NORMALISATION = Category("Normalisation", "#148f77")
POOLING = Category("Pooling", "#8e44ad")
SEQUENCE = Category("Sequence", "#b9770e")
ATTENTION = Category("Attention", "#c0392b")
TENSOR = Category("Tensor shape", "#7f8c8d")
MERGES = Category("Merges", "#d68910")

CATEGORIES: tuple[Category, ...] = (
    INPUT_OUTPUT, BLOCKS, CONVOLUTION, LAYERS, NORMALISATION, POOLING, SEQUENCE, ATTENTION,
    TENSOR, MERGES,
)  # fmt: skip
CATEGORY_BY_NAME = {category.name: category for category in CATEGORIES}
