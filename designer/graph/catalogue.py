"""The block catalogue: every kind of block a design can hold, one entry each.

An entry (``designer.graph.kind.BlockKind``) holds everything about its kind: parameters,
ports, roles, shape and parameter-count rules, the code it becomes and its canvas text.
Entries live in ``designer/graph/kinds/``, one module per family; adding a kind is adding an
entry there (and, for a new family, its module to ``_FAMILIES``).
"""

from __future__ import annotations

from collections.abc import Mapping

from designer.graph.errors import UnknownBlockKindError
from designer.graph.kind import BlockKind
from designer.graph.kinds import (
    attention,
    convolution,
    ends,
    layers,
    learned,
    merges,
    normalisation,
    padding,
    pooling,
    seed_blocks,
    sequence,
    tensor_shape,
    torch_layer,
)
from designer.graph.kinds.categories import CATEGORIES as _CATEGORY_RECORDS
from designer.graph.params import describe_value

_FAMILIES = (
    ends, seed_blocks, convolution, layers, normalisation, pooling, padding, sequence, attention,
    tensor_shape, merges, learned, torch_layer,
)  # fmt: skip

_KINDS: tuple[BlockKind, ...] = tuple(kind for family in _FAMILIES for kind in family.KINDS)

CATALOGUE: Mapping[str, BlockKind] = {kind.name: kind for kind in _KINDS}
_USED = {kind.category for kind in _KINDS}
CATEGORIES: tuple[str, ...] = tuple(
    category.name for category in _CATEGORY_RECORDS if category.name in _USED
)


def block_kind(name: object) -> BlockKind:
    """The catalogue entry for ``name``, or ``UnknownBlockKindError`` listing the known ones."""
    if isinstance(name, str) and name in CATALOGUE:
        return CATALOGUE[name]
    known = ", ".join(CATALOGUE)
    raise UnknownBlockKindError(
        f"unknown block kind {describe_value(name)}; known kinds: {known}", "kind"
    )
