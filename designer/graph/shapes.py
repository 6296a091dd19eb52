"""Live shape checking: every block's output shape, from the design alone.

``ShapeChecker`` follows a design's changes and, on ``check()``, recomputes only the blocks an
edit can have affected: the edited blocks, then their successors while their output shapes keep
changing. Rule outcomes are cached by (kind, parameters, input shapes), so repeated blocks cost a
dictionary lookup. A problem never stops the check: blocks after it whose input is unknown are
simply left unknown, and every other problem is still found.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from designer.graph.catalogue import BlockKind, Pin, block_kind
from designer.graph.design import Design
from designer.graph.events import (
    BlockAdded,
    BlockChanged,
    BlockRemoved,
    Change,
    EdgeAdded,
    EdgeRemoved,
    GroupAdded,
    GroupChanged,
    GroupRemoved,
)
from designer.graph.model import Block, Edge
from designer.graph.shape_rules import Shape, ShapeRuleError, shape_text

_CACHE_LIMIT = 100_000
_RuleOutcome = tuple[Shape, int] | ShapeRuleError
_rule_cache: dict[tuple[object, ...], _RuleOutcome] = {}


def clear_rule_cache() -> None:
    """Forget cached rule outcomes (benchmarks use it to time a cold check)."""
    _rule_cache.clear()


@dataclass(frozen=True, slots=True)
class ShapeProblem:
    """Something wrong with a block or an edge, in words a person can act on."""

    block_id: str | None
    """The block it is about; None for the design as a whole."""
    edge: Edge | None
    """The edge it is about, when an input is the problem."""
    message: str
    expected: str | None = None
    received: str | None = None

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True, slots=True)
class BlockResult:
    inputs: tuple[Shape | None, ...]
    """The shape arriving at each input port (None where unknown)."""
    shape: Shape | None
    """The output shape; None where it can't be known."""
    parameters: int | None
    problems: tuple[ShapeProblem, ...]


@dataclass(frozen=True, slots=True)
class ShapeReport:
    results: Mapping[str, BlockResult]
    problems: tuple[ShapeProblem, ...]
    """Design-wide problems first, then each block's, in data-flow order."""
    recomputed: frozenset[str]
    """The blocks this check evaluated (the rest came from the previous check)."""

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def total_parameters(self) -> int:
        return sum(result.parameters or 0 for result in self.results.values())


def check_design(design: Design) -> ShapeReport:
    """One full check of ``design``, for callers that don't follow edits."""
    checker = ShapeChecker(design)
    try:
        return checker.check()
    finally:
        checker.close()


class ShapeChecker:
    """Keeps every block's shape up to date with a design, doing the least work per edit."""

    def __init__(self, design: Design) -> None:
        self._design = design
        self._results: dict[str, BlockResult] = {}
        self._dirty: set[str] = set(design.blocks)
        self._order: tuple[str, ...] = ()
        self._position: dict[str, int] = {}
        design.subscribe(self._on_change)

    def close(self) -> None:
        self._design.unsubscribe(self._on_change)

    def result(self, block_id: str) -> BlockResult | None:
        return self._results.get(block_id)

    def check(self) -> ShapeReport:
        design = self._design
        order = design.topological_order()
        if order is not self._order:
            self._order = order
            self._position = {block_id: index for index, block_id in enumerate(order)}
        position = self._position
        queue = [(position[block_id], block_id) for block_id in self._dirty]
        heapq.heapify(queue)
        self._dirty = set()
        recomputed: set[str] = set()
        while queue:
            _, block_id = heapq.heappop(queue)
            if block_id in recomputed:
                continue
            recomputed.add(block_id)
            old = self._results.get(block_id)
            new = _evaluate(design, block_id, self._results)
            self._results[block_id] = new
            if old is None or old.shape != new.shape:
                for successor in design.graph.successors(block_id):
                    heapq.heappush(queue, (position[successor], successor))
        problems = [*_design_problems(design)]
        for block_id in order:
            problems.extend(self._results[block_id].problems)
        return ShapeReport(MappingProxyType(self._results), tuple(problems), frozenset(recomputed))

    def _on_change(self, change: Change) -> None:
        match change:
            case BlockAdded(block=block):
                self._dirty.add(block.id)
            case BlockRemoved(block=block):
                self._results.pop(block.id, None)
                self._dirty.discard(block.id)
            case BlockChanged(old=old, new=new):
                if old.params != new.params or old.name != new.name:
                    self._dirty.add(new.id)
                if old.name != new.name or old.group != new.group:
                    # successors' messages name this block (or its group)
                    self._dirty.update(self._design.graph.successors(new.id))
            case EdgeAdded(edge=edge) | EdgeRemoved(edge=edge):
                if edge.target in self._design.blocks:
                    self._dirty.add(edge.target)
            case GroupAdded() | GroupRemoved() | GroupChanged():
                self._dirty.update(self._design.blocks)  # messages name groups; rare edit
            case _:
                pass


def _design_problems(design: Design) -> list[ShapeProblem]:
    kinds = {block.kind for block in design.blocks.values()}
    problems = []
    for kind, what in (("input", "an input"), ("output", "an output")):
        if kind not in kinds:
            problems.append(
                ShapeProblem(None, None, f"the design has no {kind} block; add {what} block")
            )
    return problems


def _evaluate(design: Design, block_id: str, results: Mapping[str, BlockResult]) -> BlockResult:
    block = design.blocks[block_id]
    kind = block_kind(block.kind)
    inbound = design.inbound(block_id)
    problems: list[ShapeProblem] = [
        ShapeProblem(block_id, None, f"{design.describe(block_id)}: {text}")
        for text in (kind.problem_rule(block.params) if kind.problem_rule else ())
    ]
    edges: list[Edge | None] = []
    inputs: list[Shape | None] = []
    for port in kind.input_ports(block.params):
        edge = inbound.get(port)
        edges.append(edge)
        source = results.get(edge.source) if edge else None
        inputs.append(source.shape if source else None)
        if edge is None:
            where = "its input" if port == "in" else f"input {port!r}"
            problems.append(
                ShapeProblem(block_id, None, f"{design.describe(block_id)} has nothing at {where}")
            )
    known = tuple(shape for shape in inputs if shape is not None)
    if len(known) < len(inputs):
        return BlockResult(tuple(inputs), None, None, tuple(problems))
    for edge, shape in zip(edges, known, strict=True):
        assert edge is not None
        if not kind.ranks.accepts(len(shape)):
            problems.append(_rank_problem(design, block, kind, edge, shape))
            return BlockResult(known, None, None, tuple(problems))
    if kind.pin is not None:
        pinned = block.params[kind.pin.param]
        actual = known[0][kind.pin.dim]
        if pinned is not None and pinned != actual:
            assert isinstance(pinned, int) and edges[0] is not None
            problems.append(_pin_problem(design, block, kind.pin, edges[0], pinned, results))
    outcome = _apply_rule(block, kind, known)
    if isinstance(outcome, ShapeRuleError):
        edge = edges[outcome.port_index]
        assert edge is not None
        problems.append(
            ShapeProblem(
                block_id,
                edge,
                f"{design.describe(block_id)}: {outcome.message} "
                f"(input {shape_text(known[outcome.port_index])} from {_source(design, edge)})",
                outcome.expected,
                outcome.received,
            )
        )
        return BlockResult(known, None, None, tuple(problems))
    shape, parameters = outcome
    return BlockResult(known, shape, parameters, tuple(problems))


def _apply_rule(block: Block, kind: BlockKind, inputs: tuple[Shape, ...]) -> _RuleOutcome:
    key = (block.param_key, inputs)
    outcome = _rule_cache.get(key)
    if outcome is None:
        try:
            shape = kind.shape_rule(block.params, inputs)
            outcome = (shape, kind.parameter_rule(block.params, inputs, shape))
        except ShapeRuleError as error:
            outcome = error
        if len(_rule_cache) >= _CACHE_LIMIT:
            _rule_cache.clear()
        _rule_cache[key] = outcome
    return outcome


def _source(design: Design, edge: Edge) -> str:
    """How a message names what feeds an edge: the block, or the sub-module it sits in."""
    source_groups = design.group_path(design.blocks[edge.source].group)
    target_groups = {group.id for group in design.group_path(design.blocks[edge.target].group)}
    for depth, group in enumerate(source_groups):
        if group.id not in target_groups:
            return "'" + ".".join(outer.name for outer in source_groups[: depth + 1]) + "'"
    return f"'{design.qualified_name(edge.source)}'"


def _rank_problem(
    design: Design, block: Block, kind: BlockKind, edge: Edge, shape: Shape
) -> ShapeProblem:
    return ShapeProblem(
        block.id,
        edge,
        f"{design.describe(block.id)} expects a {kind.ranks.layout} input, "
        f"but {_source(design, edge)} gives {shape_text(shape)} ({len(shape)}-d)",
        kind.ranks.layout,
        shape_text(shape),
    )


def _pin_problem(
    design: Design,
    block: Block,
    pin: Pin,
    edge: Edge,
    pinned: int,
    results: Mapping[str, BlockResult],
) -> ShapeProblem:
    source_result = results[edge.source]
    assert source_result.shape is not None
    actual = source_result.shape[pin.dim]
    expected = f"{pinned}"
    received = f"{shape_text(source_result.shape)} ({actual} {pin.what})"
    source = _source(design, edge)
    flattened = _flattened_dims(design, edge.source, source_result, pin)
    if flattened is not None:
        dims, flatten_edge = flattened
        source = _source(design, flatten_edge)
        received = f"{shape_text(dims)} = {actual}"
        tail = math.prod(dims[1:])
        if len(dims) > 1 and pinned % tail == 0:
            expected = "*".join(map(str, (pinned // tail, *dims[1:]))) + f" = {pinned}"
    return ShapeProblem(
        block.id,
        edge,
        f"{design.describe(block.id)} expects {expected} {pin.what}, but {source} gives {received}",
        f"{pinned} {pin.what}",
        received,
    )


def _flattened_dims(
    design: Design, source_id: str, source_result: BlockResult, pin: Pin
) -> tuple[Sequence[int], Edge] | None:
    """Where features come straight from a Flatten: the dims it merged and the edge into it."""
    source = design.blocks[source_id]
    flatten_input = source_result.inputs[0] if source_result.inputs else None
    if source.kind != "flatten" or pin.dim != -1 or flatten_input is None:
        return None
    end = source.params["end_dim"]
    start = source.params["start_dim"]
    assert isinstance(start, int) and isinstance(end, int)
    rank = len(flatten_input)
    if end % rank != rank - 1:
        return None
    return flatten_input[start % rank :], design.inbound(source_id)["in"]
