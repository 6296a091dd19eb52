"""Live shape checking: every block's output shape, from the design alone.

``ShapeChecker`` follows a design's changes and, on ``check()``, recomputes only the blocks an
edit can have affected: the edited blocks, then their successors while what reaches them keeps
changing. Problem-free results are cached by (kind, parameters, input shapes), so a block seen
before costs a dictionary lookup. A problem never stops the check: blocks after it whose input
is unknown are simply left unknown, and every other problem is still found.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from designer.graph.catalogue import CATALOGUE
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
from designer.graph.kind import INDEX_DTYPES, BlockKind, End, Pin
from designer.graph.model import OUTPUT_PORT, Block, Edge
from designer.graph.shape_rules import (
    MAX_ELEMENTS,
    Shape,
    ShapeRuleError,
    count_text,
    shape_text,
)

_CACHE_LIMIT = 100_000
_clean_results: dict[tuple[object, ...], BlockResult] = {}
"""Problem-free results by (kind and parameters, input shapes): they depend on nothing else."""


def clear_result_cache() -> None:
    """Forget cached results (benchmarks use it to time a cold check)."""
    _clean_results.clear()


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


def problem_lines(problems: Sequence[ShapeProblem], what: str = "error") -> list[str]:
    """``2 errors:`` (``what`` counted) and one ``  - message`` line per problem."""
    count = len(problems)
    return [
        f"{count} {what}{'s' if count != 1 else ''}:",
        *(f"  - {problem.message}" for problem in problems),
    ]


@dataclass(frozen=True, slots=True)
class BlockResult:
    inputs: tuple[Shape | None, ...]
    """The shape arriving at each input port (None where unknown)."""
    shape: Shape | None
    """The main output's shape; None where it can't be known."""
    parameters: int | None
    problems: tuple[ShapeProblem, ...]
    other_outputs: tuple[tuple[str, Shape], ...] = ()
    """For kinds with several outputs: (port, shape) for each port after the main one."""
    indices: bool = False
    """Its outputs hold integer indices (token ids), not floating-point values."""

    def output(self, port: str) -> Shape | None:
        """The shape at output ``port``; None where it can't be known."""
        if port == OUTPUT_PORT:
            return self.shape
        return next((shape for name, shape in self.other_outputs if name == port), None)


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
        self._with_problems: set[str] = set()
        self._dirty: set[str] = set(design.blocks)
        self._order: tuple[str, ...] = ()
        self._position: dict[str, int] = {}
        self._ends = Counter(
            end for block in design.blocks.values() if (end := CATALOGUE[block.kind].end)
        )
        design.subscribe(self._on_change)

    def close(self) -> None:
        self._design.unsubscribe(self._on_change)

    def result(self, block_id: str) -> BlockResult | None:
        return self._results.get(block_id)

    def check(self) -> ShapeReport:
        order = self._design.topological_order()
        if len(self._dirty) == len(order):
            recomputed = self._check_all(order)
        else:
            recomputed = self._check_downstream_of_dirty(self._positions(order))
        self._dirty = set()
        problems = _design_problems(self._ends)
        if self._with_problems:
            position = self._positions(order)
            for block_id in sorted(self._with_problems, key=position.__getitem__):
                problems.extend(self._results[block_id].problems)
        return ShapeReport(MappingProxyType(dict(self._results)), tuple(problems), recomputed)

    def _positions(self, order: tuple[str, ...]) -> dict[str, int]:
        """Each block's place in data-flow order (worked out again only when the order changes)."""
        if order is not self._order:
            self._order = order
            self._position = {block_id: index for index, block_id in enumerate(order)}
        return self._position

    def _store(self, block_id: str, result: BlockResult) -> None:
        self._results[block_id] = result
        if result.problems:
            self._with_problems.add(block_id)
        else:
            self._with_problems.discard(block_id)

    def _check_all(self, order: tuple[str, ...]) -> frozenset[str]:
        design, results = self._design, self._results
        blocks, inbound = design.blocks, design.inbound_edges
        with_problems = self._with_problems = set()
        for block_id in order:
            result = _evaluate(design, blocks[block_id], inbound[block_id], results)
            results[block_id] = result
            if result.problems:
                with_problems.add(block_id)
        return frozenset(order)

    def _check_downstream_of_dirty(self, position: Mapping[str, int]) -> frozenset[str]:
        """Evaluate dirty blocks in data-flow order, then successors while their inputs change.

        A successor is re-evaluated when a block's output shape changes, and also when only
        its inputs did: a message may describe what lies two blocks up (a Flatten's input).
        """
        design, results = self._design, self._results
        queue = [(position[block_id], block_id) for block_id in self._dirty]
        heapq.heapify(queue)
        recomputed: set[str] = set()
        while queue:
            _, block_id = heapq.heappop(queue)
            if block_id in recomputed:
                continue
            recomputed.add(block_id)
            old = results.get(block_id)
            new = _evaluate(design, design.blocks[block_id], design.inbound(block_id), results)
            self._store(block_id, new)
            if (
                old is None
                or old.shape != new.shape
                or old.inputs != new.inputs
                or old.other_outputs != new.other_outputs
                or old.indices != new.indices
            ):
                for successor in design.graph.successors(block_id):
                    heapq.heappush(queue, (position[successor], successor))
        return frozenset(recomputed)

    def _on_change(self, change: Change) -> None:
        match change:
            case BlockAdded(block=block):
                self._dirty.add(block.id)
                if end := CATALOGUE[block.kind].end:
                    self._ends[end] += 1
            case BlockRemoved(block=block):
                self._results.pop(block.id, None)
                self._with_problems.discard(block.id)
                self._dirty.discard(block.id)
                if end := CATALOGUE[block.kind].end:
                    self._ends[end] -= 1
            case BlockChanged(old=old, new=new):
                if old.params != new.params:
                    self._dirty.add(new.id)
                if old.name != new.name or old.group != new.group:
                    self._dirty.add(new.id)
                    self._dirty.update(self._with_problems)  # only messages name blocks
            case EdgeAdded(edge=edge) | EdgeRemoved(edge=edge):
                if edge.target in self._design.blocks:
                    self._dirty.add(edge.target)
            case GroupAdded() | GroupRemoved() | GroupChanged():
                self._dirty.update(self._with_problems)
            case _:
                pass


def _design_problems(ends: Counter[End]) -> list[ShapeProblem]:
    return [
        ShapeProblem(None, None, f"the design has no {end.value} block; add an {end.value} block")
        for end in End
        if not ends[end]
    ]


def _evaluate(
    design: Design,
    block: Block,
    inbound: Mapping[str, Edge],
    results: Mapping[str, BlockResult],
) -> BlockResult:
    """The block's result: from the cache when its key has been seen clean, else worked out."""
    kind = CATALOGUE[block.kind]
    shapes = []
    indexed = []
    for port in kind.ports or kind.input_ports(block.params):
        edge = _edge_at(kind, inbound, port)
        source = results.get(edge.source) if edge is not None else None
        shape = source.output(edge.source_port) if source is not None and edge else None
        if shape is None:
            return _incomplete(design, block, kind, results)
        shapes.append(shape)
        indexed.append(source.indices)  # type: ignore[union-attr]
    inputs = tuple(shapes)
    indices = tuple(indexed)
    key = (block.param_key, inputs, indices) if any(indices) else (block.param_key, inputs)
    result = _clean_results.get(key)
    if result is None:
        result = _work_out(design, block, kind, inputs, indices, results)
        if not result.problems:
            if len(_clean_results) >= _CACHE_LIMIT:
                _clean_results.clear()
            _clean_results[key] = result
    return result


def _edge_at(kind: BlockKind, inbound: Mapping[str, Edge], port: str) -> Edge | None:
    """The edge whose value reaches ``port``: its own, or that of the port it defaults to."""
    fed_from = kind.fed_from(port, inbound)
    return inbound[fed_from] if fed_from is not None else None


def _parameter_problems(design: Design, block: Block, kind: BlockKind) -> list[ShapeProblem]:
    if kind.problem_rule is None:
        return []
    return [
        ShapeProblem(block.id, None, f"{design.describe(block.id)}: {text}")
        for text in kind.problem_rule(block.params)
    ]


def _incomplete(
    design: Design, block: Block, kind: BlockKind, results: Mapping[str, BlockResult]
) -> BlockResult:
    """A block with an input that is unconnected or of unknown shape: its output is unknown."""
    problems = _parameter_problems(design, block, kind)
    inbound = design.inbound(block.id)
    inputs: list[Shape | None] = []
    required = kind.required_inputs(block.params)
    for port in kind.input_ports(block.params):
        edge = _edge_at(kind, inbound, port)
        source = results.get(edge.source) if edge is not None else None
        inputs.append(source.output(edge.source_port) if source is not None and edge else None)
        if edge is None and port in required:
            where = "its input" if port == "in" else f"input {port!r}"
            problems.append(
                ShapeProblem(block.id, None, f"{design.describe(block.id)} has nothing at {where}")
            )
    return BlockResult(tuple(inputs), None, None, tuple(problems))


def _work_out(
    design: Design,
    block: Block,
    kind: BlockKind,
    inputs: tuple[Shape, ...],
    indices: tuple[bool, ...],
    results: Mapping[str, BlockResult],
) -> BlockResult:
    """Apply the kind's rank check, number check, pin check and rules to known inputs."""
    problems = _parameter_problems(design, block, kind)

    def edge_into(index: int) -> Edge:
        port = kind.input_ports(block.params)[index]
        edge = _edge_at(kind, design.inbound(block.id), port)
        assert edge is not None  # the input's shape is known
        return edge

    for index, shape in enumerate(inputs):
        if not kind.ranks.accepts(len(shape)):
            problems.append(_rank_problem(design, block, kind, edge_into(index), shape))
            return BlockResult(inputs, None, None, tuple(problems))
    for index, holds_indices in enumerate(indices):
        if holds_indices != kind.takes_indices and not (
            holds_indices and (kind.keeps_dtype or kind.end is not None)
        ):
            problems.append(_number_problem(design, block, kind, edge_into(index)))
            return BlockResult(inputs, None, None, tuple(problems))
    gives_indices = (kind.keeps_dtype or kind.end is End.OUTPUT) and any(indices)
    if kind.end is End.INPUT:
        gives_indices = block.params["dtype"] in INDEX_DTYPES
    if kind.pin is not None:
        pinned = block.params[kind.pin.param]
        if pinned is not None and pinned != inputs[0][kind.pin.dim]:
            assert isinstance(pinned, int)
            problems.append(_pin_problem(design, block, kind.pin, edge_into(0), pinned, results))
    try:
        shape = kind.shape_rule(block.params, inputs)
        parameters = kind.parameter_rule(block.params, inputs, shape)
        others: tuple[tuple[str, Shape], ...] = ()
        if kind.outputs_rule is not None:
            ports = kind.output_ports()[1:]
            others = tuple(zip(ports, kind.outputs_rule(block.params, inputs, shape), strict=True))
    except ShapeRuleError as error:
        edge = edge_into(error.port_index)
        problems.append(
            ShapeProblem(
                block.id,
                edge,
                f"{design.describe(block.id)}: {error.message} "
                f"(input {shape_text(inputs[error.port_index])} from {_source(design, edge)})",
                error.expected,
                error.received,
            )
        )
        return BlockResult(inputs, None, None, tuple(problems))
    for output in (shape, *(other for _, other in others)):
        too_large = _size_problem(design, block, output, parameters)
        if too_large is not None:
            problems.append(too_large)
            return BlockResult(inputs, None, None, tuple(problems))
    return BlockResult(inputs, shape, parameters, tuple(problems), others, gives_indices)


def _size_problem(
    design: Design, block: Block, shape: Shape, parameters: int
) -> ShapeProblem | None:
    """A block whose output or parameters pass ``MAX_ELEMENTS``: its output stays unknown, so
    nothing downstream has to work with (or print) sizes no tensor can have."""
    limit = f"at most {count_text(MAX_ELEMENTS)} (2**53)"
    elements = math.prod(shape)
    if elements > MAX_ELEMENTS:
        return ShapeProblem(
            block.id,
            None,
            f"{design.describe(block.id)}: its output {shape_text(shape)} would have "
            f"{count_text(elements)} elements; a tensor here has {limit}",
            f"{limit} elements",
            f"{count_text(elements)} elements",
        )
    if parameters > MAX_ELEMENTS:
        return ShapeProblem(
            block.id,
            None,
            f"{design.describe(block.id)}: it would have {count_text(parameters)} parameters; "
            f"a block here has {limit}",
            f"{limit} parameters",
            f"{count_text(parameters)} parameters",
        )
    return None


def _source(design: Design, edge: Edge) -> str:
    """How a message names what feeds an edge: the block, or the sub-module it sits in."""
    source_groups = design.group_path(design.blocks[edge.source].group)
    target_groups = {group.id for group in design.group_path(design.blocks[edge.target].group)}
    for group in source_groups:
        if group.id not in target_groups:
            return f"'{design.module_paths().groups[group.id]}'"
    return f"'{design.module_path(edge.source)}'"


def _number_problem(design: Design, block: Block, kind: BlockKind, edge: Edge) -> ShapeProblem:
    """Indices where values belong, or values where indices belong."""
    source = _source(design, edge)
    if kind.takes_indices:
        message = (
            f"{design.describe(block.id)} looks up integer indices, but {source} gives "
            "floating-point values; give the input dtype int64"
        )
        expected, received = "integer indices", "floating-point values"
    else:
        message = (
            f"{design.describe(block.id)} works on floating-point values, but {source} gives "
            "integer indices; an Embedding turns indices into vectors"
        )
        expected, received = "floating-point values", "integer indices"
    return ShapeProblem(block.id, edge, message, expected, received)


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
    source_shape = source_result.output(edge.source_port)
    assert source_shape is not None
    actual = source_shape[pin.dim]
    expected = f"{pinned}"
    received = f"{shape_text(source_shape)} ({actual} {pin.what})"
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
    if not CATALOGUE[source.kind].flattens or pin.dim != -1 or flatten_input is None:
        return None
    end = source.params["end_dim"]
    start = source.params["start_dim"]
    assert isinstance(start, int) and isinstance(end, int)
    rank = len(flatten_input)
    if end % rank != rank - 1:
        return None
    return flatten_input[start % rank :], design.inbound(source_id)["in"]
