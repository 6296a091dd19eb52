"""Hypothesis strategies for catalogue kinds: parameters and the input shapes they meet.

``generic_cases(kind)`` draws from each parameter's declared range (clipped small) and input
shapes of the ranks the kind accepts; a kind whose interesting cases are rare among those
(a head count that must divide a width) gets a strategy of its own in a module of this
package, in a ``CASES`` mapping from kind name to strategy. ``all_cases()`` gathers them.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Mapping

from hypothesis import strategies as st

from designer.graph.kind import BlockKind
from designer.graph.params import ParamSpec, ParamType, ParamValue

Shape = tuple[int, ...]
Case = tuple[dict[str, ParamValue], tuple[Shape, ...]]

SMALL_INT = 8
"""Integer parameters and sizes are drawn up to this (past it the arithmetic has no new
corners, only slower tensors)."""


def _clipped(spec: ParamSpec) -> st.SearchStrategy[int]:
    low = int(spec.minimum) if spec.minimum is not None else -SMALL_INT
    high = int(spec.maximum) if spec.maximum is not None else SMALL_INT
    low = max(low, -SMALL_INT)
    return st.integers(low, max(low, min(high, SMALL_INT)))


def param_values(spec: ParamSpec) -> st.SearchStrategy[ParamValue]:
    """Values a parameter may take, small and full of its edge cases."""
    match spec.type:
        case ParamType.INT:
            return _clipped(spec)
        case ParamType.OPTIONAL_INT:
            if spec.pins_in_size:
                return st.none()  # in-sizes are inferred: the pin check is the checker's
            return st.none() | _clipped(spec)
        case ParamType.FLOAT:
            low, high = spec.minimum or 0.0, spec.maximum or 1.0
            return st.sampled_from([low, high, (low + high) / 2]) | st.floats(low, high)
        case ParamType.BOOL:
            return st.booleans()
        case ParamType.CHOICE:
            return st.sampled_from(spec.choices)
        case ParamType.INT_LIST:
            most = min(spec.max_items, 4)
            return st.lists(_clipped(spec), min_size=spec.min_items, max_size=most).map(tuple)
    raise AssertionError(spec.type)


def shapes_of_rank(low: int, high: int, dims: st.SearchStrategy[int]) -> st.SearchStrategy[Shape]:
    return st.lists(dims, min_size=low, max_size=high).map(tuple)


def generic_cases(kind: BlockKind) -> st.SearchStrategy[Case]:
    params = st.fixed_dictionaries({spec.name: param_values(spec) for spec in kind.params})
    ranks = kind.ranks
    high = ranks.maximum if ranks.maximum is not None else max(ranks.minimum, 5)
    shape = shapes_of_rank(ranks.minimum, high, st.integers(1, SMALL_INT))

    @st.composite
    def cases(draw: st.DrawFn) -> Case:
        drawn = kind.validate_params(draw(params))
        ports = kind.input_ports(drawn)
        return drawn, tuple(draw(shape) for _ in ports)

    return cases()


def all_cases() -> Mapping[str, st.SearchStrategy[Case]]:
    """Every strategy a module of this package declares, by kind name."""
    found: dict[str, st.SearchStrategy[Case]] = {}
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        found.update(getattr(module, "CASES", {}))
    return found
