"""Delete a selection and join its neighbours across it, where the shapes allow.

Deleting a block in the middle of a chain used to leave a gap and the whole model in error.
``delete_reconnect_plan`` is ``delete_plan`` plus, for each deleted one-in, one-out run of
blocks, the edges that bridge it: one undo step with the delete. A plain delete stays
``delete_plan``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from designer.graph.catalogue import block_kind
from designer.graph.design import Design
from designer.graph.edit_plans import delete_plan
from designer.graph.edits import Connect, Edit, RemoveBlock, apply_all, undo_all
from designer.graph.errors import DesignError
from designer.graph.fileformat import design_from_dict, design_to_dict
from designer.graph.model import OUTPUT_PORT, Edge
from designer.graph.shapes import ShapeChecker, ShapeReport


@dataclass(frozen=True, slots=True)
class Rejoin:
    """A run of deleted blocks that sat between one upstream output and the inputs it fed."""

    chain: tuple[str, ...]
    """The deleted blocks' ids, upstream first."""
    source: str
    """The block whose output fed the run."""
    targets: tuple[Edge, ...]
    """The edges out of the run's last block: where the source is joined to."""
    message: str
    """What happened, for the status bar: joined, or why not."""
    refusal: str | None = None
    """Why the source was not joined (a shape problem joining would cause); None if it was."""

    @property
    def joined(self) -> bool:
        return self.refusal is None


@dataclass(frozen=True, slots=True)
class ReconnectingDelete:
    """``delete_reconnect_plan``'s answer: the edits, and each run of blocks it tried to bridge."""

    edits: list[Edit]
    rejoins: tuple[Rejoin, ...]

    @property
    def summary(self) -> str | None:
        """One status-bar line: what was reconnected or why not (None: nothing to bridge)."""
        return "; ".join(rejoin.message for rejoin in self.rejoins) or None


def delete_reconnect_plan(
    design: Design,
    block_ids: Iterable[str] = (),
    edges: Iterable[Edge] = (),
    group_ids: Iterable[str] = (),
) -> ReconnectingDelete:
    """``delete_plan``, then each deleted run of blocks with one way in and one way out bridged.

    A run is a maximal chain of deleted blocks, each with exactly one input port, connected,
    each but the last feeding only the next, the first fed from a block that stays and the last
    feeding one or more inputs that stay. The run's source is joined to every input the run's
    last block fed (a Dropout feeding two heads leaves the source feeding both), but only when
    that causes no shape problem in a block that had none before the delete: otherwise the run
    is deleted and left open, and its ``Rejoin`` says why. Anything else (a merge, an Input, a
    dead end, a block with nothing at its input) is simply deleted.

    Joining never makes a cycle: each new edge replaces a path the design already had. The
    shapes are tried on a copy of the design (tens of milliseconds for 1000 blocks), so the
    design itself, and whoever listens to it, sees only the final edits.
    """
    block_ids, edges, group_ids = list(block_ids), list(edges), list(group_ids)
    plan = delete_plan(design, block_ids, edges, group_ids)
    removed = {edit.block_id for edit in plan if isinstance(edit, RemoveBlock)}
    runs = _runs_to_bridge(design, removed)
    if not runs:
        return ReconnectingDelete(plan, ())
    trial = design_from_dict(design_to_dict(design))
    checker = ShapeChecker(trial)
    try:
        had_problems = _blocks_with_problems(checker.check())
        apply_all(trial, delete_plan(trial, block_ids, edges, group_ids))
        rejoins = []
        for chain, source, targets in runs:
            refusal = _try_joining(trial, checker, had_problems, source, targets)
            rejoins.append(
                Rejoin(
                    chain,
                    source,
                    targets,
                    _rejoin_message(design, chain, source, targets, refusal),
                    refusal,
                )
            )
            if refusal is None:
                plan += _joins(source, targets)
    finally:
        checker.close()
    return ReconnectingDelete(plan, tuple(rejoins))


def _runs_to_bridge(
    design: Design, removed: set[str]
) -> list[tuple[tuple[str, ...], str, tuple[Edge, ...]]]:
    """Each bridgeable run (its blocks, its source, the edges out of it), upstream runs first."""
    order = {block_id: index for index, block_id in enumerate(design.topological_order())}
    runs = []
    for first in sorted(removed, key=order.__getitem__):
        way_in = _single_input(design, first)
        if way_in is None or way_in.source in removed or way_in.source_port != OUTPUT_PORT:
            continue  # a state output (an LSTM's h_n) is not what the run's targets were fed
        chain = [first]
        while True:
            ways_out = sorted(design.outbound(chain[-1]))
            if ways_out and all(edge.target not in removed for edge in ways_out):
                runs.append((tuple(chain), way_in.source, tuple(ways_out)))
                break
            if not (
                len(ways_out) == 1
                and ways_out[0].target in removed
                and _single_input(design, ways_out[0].target) is not None
            ):
                break  # a dead end, or a run that branches into other deleted blocks
            chain.append(ways_out[0].target)
    return runs


def _single_input(design: Design, block_id: str) -> Edge | None:
    """The edge into a block with one input port and an output; None for any other block."""
    block = design.block(block_id)
    entry = block_kind(block.kind)
    ports = entry.input_ports(block.params)
    if len(ports) != 1 or not entry.has_output or entry.several_outputs:
        return None
    return design.inbound(block_id).get(ports[0])


def _joins(source: str, targets: Sequence[Edge]) -> list[Edit]:
    return [Connect(source, edge.target, edge.target_port) for edge in targets]


def _blocks_with_problems(report: ShapeReport) -> set[str]:
    return {problem.block_id for problem in report.problems if problem.block_id is not None}


def _try_joining(
    trial: Design,
    checker: ShapeChecker,
    had_problems: set[str],
    source: str,
    targets: Sequence[Edge],
) -> str | None:
    """Join on the trial copy and keep it when no block gets a new problem; else why not.

    "New" means: not there before the delete, and not there before this join either unless
    the block is one of the join's targets (which, left open, have "nothing at its input").
    """
    open_before = _blocks_with_problems(checker.check())
    joins = _joins(source, targets)
    try:
        apply_all(trial, joins)
    except DesignError as error:
        return error.message
    fed = {edge.target for edge in targets}
    new = [
        problem
        for problem in checker.check().problems
        if problem.block_id is not None
        and problem.block_id not in had_problems
        and (problem.block_id in fed or problem.block_id not in open_before)
    ]
    if not new:
        return None
    undo_all(trial, joins)
    return new[0].message


def _rejoin_message(
    design: Design,
    chain: Sequence[str],
    source: str,
    targets: Sequence[Edge],
    refusal: str | None,
) -> str:
    def quoted(block_ids: Iterable[str]) -> str:
        return ", ".join(f"'{design.qualified_name(block_id)}'" for block_id in block_ids)

    deleted = f"Deleted {quoted(chain)}"
    if refusal is not None:
        return f"{deleted}; not reconnected: {refusal}"
    fed = dict.fromkeys(edge.target for edge in targets)  # in order, once each
    return f"{deleted} and reconnected {quoted([source])} to {quoted(fed)}"
