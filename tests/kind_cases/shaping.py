"""Cases for the normalisation, tensor-shape and merge kinds that generic draws rarely make valid.

A reshape needs sizes whose product is the input's per sample, an unflatten sizes whose
product is the dim it splits, a permute every dim once, a group norm channels its groups
divide, a multiply shapes that broadcast and a matmul inner sizes that agree. Each strategy
here hits such cases about half the time and misses them the rest (with the refusals torch
makes: two -1s, a 0, a dim twice), so both the shapes and the refusals are checked.

Layer and RMS norm normalise fewer dims than the input has: the catalogue refuses a
normalisation over the batch too (its size would be written into the module), which torch
would take, so those cases are left out (``test_shaping_kinds`` checks the refusal).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from hypothesis import strategies as st

from designer.graph.catalogue import CATALOGUE
from tests.kind_cases import Case, Shape, param_values

sizes = st.integers(1, 6)


def _shape(low: int, high: int) -> st.SearchStrategy[Shape]:
    return st.lists(sizes, min_size=low, max_size=high).map(tuple)


@st.composite
def _params(draw: st.DrawFn, kind: str, fixed: Mapping[str, object]) -> dict[str, object]:
    """Each parameter drawn from its declared range, but for the ``fixed`` ones."""
    entry = CATALOGUE[kind]
    drawn = {spec.name: draw(param_values(spec)) for spec in entry.params}
    return {**drawn, **fixed}


def _case(kind: str, params: Mapping[str, object], *shapes: Shape) -> Case:
    return CATALOGUE[kind].validate_params(params), shapes


# --- normalisation --------------------------------------------------------------------------


@st.composite
def _trailing_norm_cases(draw: st.DrawFn, kind: str) -> Case:
    shape = draw(_shape(2, 5))
    dims = draw(st.integers(1, len(shape) - 1))
    return _case(kind, draw(_params(kind, {"dims": dims})), shape)


@st.composite
def _group_norm_cases(draw: st.DrawFn) -> Case:
    groups = draw(st.integers(1, 4))
    channels = draw(sizes | st.integers(1, 3).map(lambda multiple: multiple * groups))
    shape = (draw(st.integers(1, 2)), channels, *draw(_shape(0, 3)))
    return _case("group_norm", draw(_params("group_norm", {"num_groups": groups})), shape)


# --- reshaping ------------------------------------------------------------------------------


def _divisors(number: int) -> list[int]:
    return [divisor for divisor in range(1, number + 1) if number % divisor == 0]


@st.composite
def _factorisation(draw: st.DrawFn, total: int) -> list[int]:
    """Sizes whose product is ``total``, in any order, often with one written as -1."""
    factors, left = [], total
    while len(factors) < 3 and draw(st.booleans()):
        factor = draw(st.sampled_from(_divisors(left)))
        factors.append(factor)
        left //= factor
    factors.append(left)
    factors = list(draw(st.permutations(factors)))
    if draw(st.booleans()):
        factors[draw(st.integers(0, len(factors) - 1))] = -1
    return factors


@st.composite
def _target_sizes(draw: st.DrawFn, total: int) -> tuple[int, ...]:
    """Mostly sizes that hold ``total`` elements; else a wrong count, two -1s or a 0."""
    factors = draw(_factorisation(total))
    match draw(st.sampled_from(["fits", "fits", "fits", "any", "two -1s", "a zero"])):
        case "any":
            return tuple(draw(st.lists(st.integers(-1, 8), min_size=1, max_size=4)))
        case "two -1s":
            return (-1, *factors, -1)
        case "a zero":
            return (*factors, 0)
    return tuple(factors)


@st.composite
def _reshape_cases(draw: st.DrawFn) -> Case:
    shape = draw(_shape(1, 4))
    target = draw(_target_sizes(math.prod(shape[1:])))
    return _case("reshape", {"shape": target}, shape)


@st.composite
def _unflatten_cases(draw: st.DrawFn) -> Case:
    shape = draw(_shape(1, 4))
    rank = len(shape)
    dim = draw(st.integers(-rank, rank - 1) | st.integers(-8, 8))
    total = shape[dim] if -rank <= dim < rank else 6
    return _case("unflatten", {"dim": dim, "sizes": draw(_target_sizes(total))}, shape)


@st.composite
def _permute_cases(draw: st.DrawFn) -> Case:
    shape = draw(_shape(1, 5))
    rank = len(shape)
    dims = [
        axis - rank if draw(st.booleans()) else axis for axis in draw(st.permutations(range(rank)))
    ]
    match draw(st.sampled_from(["fits", "fits", "a dim twice", "one short", "any"])):
        case "a dim twice":
            dims[-1] = dims[0]
        case "one short" if rank > 1:
            dims.pop()
        case "any":
            dims = draw(st.lists(st.integers(-8, 8), min_size=1, max_size=5))
    return _case("permute", {"dims": dims}, shape)


# --- merges ---------------------------------------------------------------------------------


@st.composite
def _broadcast_partner(draw: st.DrawFn, shape: Shape) -> Shape:
    """A trailing part of ``shape`` with some sizes 1 (it broadcasts), or any shape."""
    if draw(st.integers(0, 3)) == 0:
        return draw(_shape(1, 5))
    kept = shape[draw(st.integers(0, len(shape) - 1)) :]
    return tuple(1 if draw(st.booleans()) else size for size in kept)


@st.composite
def _mul_cases(draw: st.DrawFn) -> Case:
    count = draw(st.integers(2, 4))
    base = draw(_shape(1, 5))
    shapes = [base, *(draw(_broadcast_partner(base)) for _ in range(count - 1))]
    return _case("mul", {"inputs": count}, *draw(st.permutations(shapes)))


@st.composite
def _matmul_cases(draw: st.DrawFn) -> Case:
    inner = draw(sizes)
    batch = draw(_shape(0, 2))
    first_rank, second_rank = draw(st.integers(1, 4)), draw(st.integers(1, 4))

    def operand(rank: int, vector: int, core: Shape) -> Shape:
        if rank == 1:
            return (vector,)
        kept = batch[len(batch) - min(len(batch), rank - 2) :]
        return (*(1 if draw(st.booleans()) else size for size in kept), *core)

    first = operand(first_rank, inner, (draw(sizes), inner))
    other = inner if draw(st.integers(0, 3)) else draw(sizes)
    second = operand(second_rank, other, (other, draw(sizes)))
    if draw(st.integers(0, 5)) == 0 and first_rank > 2:
        first = (draw(sizes), *first[1:])  # a batch size that may not broadcast
    return _case("matmul", {}, first, second)


CASES = {
    "layer_norm": _trailing_norm_cases("layer_norm"),
    "rms_norm": _trailing_norm_cases("rms_norm"),
    "group_norm": _group_norm_cases(),
    "reshape": _reshape_cases(),
    "unflatten": _unflatten_cases(),
    "permute": _permute_cases(),
    "mul": _mul_cases(),
    "matmul": _matmul_cases(),
}
