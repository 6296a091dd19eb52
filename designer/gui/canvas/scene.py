"""The scene: one item per block, edge and group, kept in step with the design's changes.

The scene reads the design and its shape report; every change the user makes here (move,
connect, drop, splice) goes through the document as one undoable edit, and the items then
follow the design's change records like any other view.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence

from PySide6.QtCore import QLineF, QObject, QPointF, QRectF, QTimer, Signal
from PySide6.QtGui import QPen, QUndoCommand
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsLineItem,
    QGraphicsScene,
    QGraphicsSceneDragDropEvent,
    QGraphicsSceneMouseEvent,
)

from designer.graph import Design, DesignError, Edge, ShapeReport, block_kind, shape_text
from designer.graph.edit_plans import first_free_input, pasted_ids, placed_add_plan
from designer.graph.edits import Connect, Edit, MoveBlock, SetParam
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
from designer.graph.layout.collapsed_layout import layout_edits
from designer.graph.model import OUTPUT_PORT
from designer.graph.placement import Footprint
from designer.gui.canvas import mime, style
from designer.gui.canvas.block_item import BlockItem, PortItem
from designer.gui.canvas.edge_item import EdgeItem
from designer.gui.canvas.group_item import GroupItem
from designer.gui.canvas.wiring import Wiring
from designer.gui.commands import EditCommand
from designer.gui.document import DesignDocument

log = logging.getLogger(__name__)

AUTO_CONNECT_DISTANCE = 90.0
"""A block dropped this close to a block's output is fed from it."""
PLACEMENT_FOOTPRINT = Footprint(
    style.BLOCK_WIDTH,
    style.BLOCK_HEIGHT,
    group_margin=style.GROUP_MARGIN,
    group_header=style.GROUP_HEADER,
)
"""What a new block keeps clear of (see ``designer.graph.placement``)."""


class DesignScene(QGraphicsScene):
    message = Signal(str)
    """Something to tell the user in the status bar (a refused connection, say)."""
    placed = Signal(QRectF)
    """The scene rect of blocks just added, for the view to bring into sight."""

    def __init__(self, document: DesignDocument, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.blocks: dict[str, BlockItem] = {}
        self.edges: dict[Edge, EdgeItem] = {}
        self.groups: dict[str, GroupItem] = {}
        self._collapsed: set[str] = set()
        self._twins: dict[tuple[str, str, str], Edge] = {}
        """Edges from one output into one collapsed group, by (source, port, group): the one
        shown (the others would be drawn on its very line, where no label could go)."""
        self._syncing = False
        self._shown_report: ShapeReport | None = None
        self._anything_hidden = False
        self._dragging_group = False
        self.ports_shown = True
        self._wire: QGraphicsLineItem | None = None
        self._wire_source: str | None = None
        self._wire_port = OUTPUT_PORT
        self._building = False
        self.wiring = Wiring(self._edge_ends)
        self._pending_moves: set[str] = set()
        self._flush_scheduled = False
        self.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.BspTreeIndex)
        document.changed.connect(self._on_change)
        document.replaced.connect(self.rebuild)
        document.shapes_checked.connect(self.apply_report)
        document.undo_stack.indexChanged.connect(self.flush_wiring)
        self.rebuild()

    @property
    def design(self) -> Design:
        return self.document.design

    # --- building ----------------------------------------------------------------------------

    def rebuild(self) -> None:
        """Drop every item and mirror the current design afresh (a file was opened)."""
        self._syncing = self._building = True
        try:
            self.clear()
            self.blocks, self.edges, self.groups = {}, {}, {}
            self._collapsed = set()
            self._twins = {}
            self._anything_hidden = False
            self._wire = None
            self._pending_moves = set()
            design = self.design
            for group in design.groups.values():
                self._add_group_item(group.id)
            for block in design.blocks.values():
                item = BlockItem(block)
                if not self.ports_shown:
                    item.show_ports(False)
                self.blocks[block.id] = item
                self.addItem(item)
            for edge in design.edges():
                self._add_edge_item(edge)
            self._refresh_group_frames(self.groups)
        finally:
            self._syncing = self._building = False
        self._reset_wiring()
        self.apply_report(self.document.report, everything=True)

    def _add_group_item(self, group_id: str) -> None:
        group = self.design.group(group_id)
        item = GroupItem(group, len(self.design.group_path(group_id)))
        item.set_group(group)
        self.groups[group_id] = item
        self.addItem(item)

    def _add_edge_item(self, edge: Edge) -> None:
        item = EdgeItem(edge)
        self.edges[edge] = item
        self.addItem(item)
        result = self.document.report.results.get(edge.source)
        shape = result.output(edge.source_port) if result is not None else None
        if shape is not None:
            item.set_label(shape_text(shape), [])
        if not self._building:
            self.wiring.reroute([item], self.edges)

    # --- following the design ----------------------------------------------------------------

    def _on_change(self, change: Change) -> None:
        self._syncing = True
        try:
            self._follow(change)
        finally:
            self._syncing = False

    def _follow(self, change: Change) -> None:
        if isinstance(change, BlockAdded):
            item = BlockItem(change.block)
            if not self.ports_shown:
                item.show_ports(False)
            self.blocks[change.block.id] = item
            self.addItem(item)
            if self._collapsed:
                item.setVisible(self._collapsed_ancestor(change.block.group) is None)
            self._refresh_groups_of([change.block.group])
            self._blocks_moved([change.block.id])
        elif isinstance(change, BlockRemoved):
            self.removeItem(self.blocks.pop(change.block.id))
            self.wiring.set_obstacle(change.block.id, None)
            self._refresh_groups_of([change.block.group])
        elif isinstance(change, BlockChanged):
            self._follow_block_change(change)
        elif isinstance(change, EdgeAdded):
            self._add_edge_item(change.edge)
            if self._collapsed:
                self._set_edge_visibility(change.edge, self.edges[change.edge])
                if not self.edges[change.edge].isVisible():
                    self.wiring.remove(change.edge)
        elif isinstance(change, EdgeRemoved):
            self.removeItem(self.edges.pop(change.edge))
            self.wiring.remove(change.edge)
            if change.edge in self._twins.values():  # a twin it hid shows in its place
                QTimer.singleShot(0, self, self._show_twins)
        elif isinstance(change, GroupAdded):
            self._add_group_item(change.group.id)
        elif isinstance(change, GroupRemoved):
            self.removeItem(self.groups.pop(change.group.id))
            self._collapsed.discard(change.group.id)
            self._refresh_visibility()
            self._refresh_groups_of([change.group.parent])
        elif isinstance(change, GroupChanged):
            group_item = self.groups[change.new.id]
            group_item.set_group(change.new)
            if change.old.parent != change.new.parent:
                group_item.setZValue(-10.0 + len(self.design.group_path(change.new.id)))
                self._refresh_visibility()
                self._refresh_groups_of([change.old.parent, change.new.id])

    def _follow_block_change(self, change: BlockChanged) -> None:
        old, new = change.old, change.new
        item = self.blocks[new.id]
        item.update_block(new)
        if old.position != new.position and item.pos() != QPointF(*new.position):
            item.setPos(QPointF(*new.position))
        if old.group != new.group:
            self._refresh_visibility()
            self._refresh_groups_of([old.group, new.group])
        if old.params != new.params:
            self._blocks_moved([new.id])

    # --- shapes ------------------------------------------------------------------------------

    def apply_report(self, report: ShapeReport, everything: bool = False) -> None:
        """Show a fresh shape report: labels and colours of the blocks it recomputed."""
        if report is self._shown_report and not everything:
            return  # opening a file shows its report from rebuild(), then announces it
        self._shown_report = report
        block_problems: dict[str, list[str]] = defaultdict(list)
        edge_problems: dict[Edge, list[str]] = defaultdict(list)
        for problem in report.problems:
            if problem.edge is not None:
                edge_problems[problem.edge].append(problem.message)
            if problem.block_id is not None:
                block_problems[problem.block_id].append(problem.message)
        touched = set(self.blocks) if everything else set(report.recomputed)
        touched |= {b for b, item in self.blocks.items() if item.has_error}
        touched |= set(block_problems)
        design = self.design
        for block_id in touched:
            item = self.blocks.get(block_id)
            result = report.results.get(block_id)
            if item is None:
                continue
            text = shape_text(result.shape) if result and result.shape is not None else ""
            item.set_result(text, block_problems.get(block_id, []))
            for edge in design.outbound(block_id):
                edge_item = self.edges.get(edge)
                if edge_item is not None:
                    shape = result.output(edge.source_port) if result else None
                    label = shape_text(shape) if shape is not None else ""
                    if label != edge_item.label:
                        edge_item.set_label(label, edge_problems.get(edge, []))
                        self.wiring.place_label(edge_item)
                    else:
                        edge_item.set_label(label, edge_problems.get(edge, []))
            for edge in design.inbound(block_id).values():
                edge_item = self.edges.get(edge)
                if edge_item is not None and edge_item.has_error != (edge in edge_problems):
                    edge_item.set_label(edge_item.label, edge_problems.get(edge, []))

    # --- geometry ----------------------------------------------------------------------------

    def block_item_moved(self, item: BlockItem) -> None:
        if self._dragging_group:
            return  # drag_group() brings frames and edges up to date once per mouse move
        self._blocks_moved([item.block_id])
        self._refresh_groups_of([self.design.block(item.block_id).group])

    def _blocks_moved(self, block_ids: Iterable[str]) -> None:
        """Tell the wiring where the blocks now are; reroute their edges and re-place the
        labels they now cover. Moves that follow the design (an undo, Auto-Layout moving a
        thousand blocks) are gathered and routed once the edit is done, against the blocks'
        final places."""
        if self._syncing:
            self._pending_moves.update(block_ids)
            if not self._flush_scheduled:
                self._flush_scheduled = True
                QTimer.singleShot(0, self, self.flush_wiring)
            return
        self._route_moved(block_ids)

    def flush_wiring(self) -> None:
        """Route what the last edit moved (the undo stack calls this after each step)."""
        self._flush_scheduled = False
        pending, self._pending_moves = self._pending_moves, set()
        moved = [block_id for block_id in pending if block_id in self.blocks]
        if moved:
            self._route_moved(moved)

    def _route_moved(self, block_ids: Iterable[str]) -> None:
        design = self.design
        covered: set[object] = set()
        edges: dict[Edge, None] = {}
        for block_id in block_ids:
            item = self.blocks[block_id]
            box = _box(item) if item.isVisible() else None
            covered.update(self.wiring.set_obstacle(block_id, box))
            edges.update(dict.fromkeys(design.inbound(block_id).values()))
            edges.update(dict.fromkeys(design.outbound(block_id)))
        items = [self.edges[edge] for edge in edges if edge in self.edges]
        self.wiring.reroute(items, self.edges)
        for edge in covered:
            other = self.edges.get(edge)  # type: ignore[call-overload]
            if other is not None and edge not in edges:
                self.wiring.place_label(other)

    def _reset_wiring(self) -> None:
        """Route every edge and place every label afresh (a file opened, groups collapsed)."""
        obstacles: dict[object, QRectF] = {
            block_id: _box(item) for block_id, item in self.blocks.items() if item.isVisible()
        }
        for group_id in self._collapsed:
            if self.groups[group_id].isVisible():
                obstacles[("group", group_id)] = self.groups[group_id].frame()
        self.wiring.reset(obstacles, self.edges)

    def _edge_ends(self, edge: Edge) -> tuple[QPointF, QPointF, object, object]:
        source_hider = self._collapsed_ancestor(self.design.block(edge.source).group)
        target_hider = self._collapsed_ancestor(self.design.block(edge.target).group)
        return (
            self._anchor(edge.source, edge.source_port, is_output=True),
            self._anchor(edge.target, edge.target_port, is_output=False),
            edge.source if source_hider is None else ("group", source_hider),
            edge.target if target_hider is None else ("group", target_hider),
        )

    def _anchor(self, block_id: str, port: str, *, is_output: bool) -> QPointF:
        """Where an edge meets a block's port, or the collapsed group hiding it."""
        hider = self._collapsed_ancestor(self.design.block(block_id).group)
        if hider is not None:
            box = self.groups[hider]
            return box.output_anchor() if is_output else box.input_anchor()
        return self.blocks[block_id].port_position(port, is_output=is_output)

    def _collapsed_ancestor(self, group_id: str | None) -> str | None:
        """The outermost collapsed group among ``group_id`` and its ancestors."""
        if not self._collapsed or group_id is None:
            return None
        for group in self.design.group_path(group_id):
            if group.id in self._collapsed:
                return group.id
        return None

    def _refresh_groups_of(self, group_ids: Iterable[str | None]) -> None:
        chain: dict[str, None] = {}
        for group_id in group_ids:
            if group_id is not None and group_id in self.design.groups:
                for group in reversed(self.design.group_path(group_id)):
                    chain[group.id] = None
        self._refresh_group_frames(chain)

    def _refresh_group_frames(self, group_ids: Iterable[str]) -> None:
        depth = {g: len(self.design.group_path(g)) for g in group_ids}
        for group_id in sorted(depth, key=lambda g: -depth[g]):  # inner frames first
            self.groups[group_id].set_frame(self._frame_of(group_id))

    def _frame_of(self, group_id: str) -> QRectF:
        blocks, groups = self.design.members(group_id)
        rect = QRectF()
        for block_id in blocks:
            pos = self.blocks[block_id].pos()
            rect = rect.united(QRectF(pos.x(), pos.y(), style.BLOCK_WIDTH, style.BLOCK_HEIGHT))
        for inner in groups:
            rect = rect.united(self._expanded_frame(inner))
        width, height = self.groups[group_id].collapsed_size()
        if rect.isNull():
            rect = QRectF(0, 0, width, height)
        margin = style.GROUP_MARGIN
        rect = rect.adjusted(-margin, -margin - style.GROUP_HEADER, margin, margin)
        if group_id in self._collapsed:
            rect = QRectF(rect.left(), rect.top(), width, height)
        return rect

    def _expanded_frame(self, group_id: str) -> QRectF:
        if group_id in self._collapsed:
            width, height = self.groups[group_id].collapsed_size()
            frame = self.groups[group_id].frame()
            return QRectF(frame.left(), frame.top(), width, height)
        return self.groups[group_id].frame()

    def show_ports(self, shown: bool) -> None:
        """Port items only when they can be hit: zoomed far out, a design's thousands of ports
        would cost each frame a traversal for nothing."""
        if shown != self.ports_shown:
            self.ports_shown = shown
            for item in self.blocks.values():
                item.show_ports(shown)

    # --- collapsing --------------------------------------------------------------------------

    def toggle_collapsed(self, group_id: str) -> None:
        if group_id in self._collapsed:
            self.expand([group_id])
        else:
            self.set_collapsed([group_id], True)

    def set_collapsed(self, group_ids: Iterable[str], collapsed: bool) -> None:
        """Collapse (or expand) these groups, then route every edge once: collapsing a
        model's hundred blocks one by one would route them all a hundred times."""
        changed = [g for g in group_ids if (g in self._collapsed) != collapsed]
        if not changed:
            return
        if collapsed:
            self._collapsed.update(changed)
            self._anything_hidden = True
        else:
            self._collapsed.difference_update(changed)
        for group_id in changed:
            self.groups[group_id].collapsed = collapsed
        self._refresh_visibility()
        self._refresh_groups_of(changed)
        self._reset_wiring()

    def expand(self, group_ids: Sequence[str]) -> None:
        """Expand these groups; where one now covers a neighbour, lay the design out again as
        it shows (one undoable step) so that it makes room instead."""
        self.set_collapsed(group_ids, False)
        if any(self._covers_neighbours(group_id) for group_id in group_ids):
            names = ", ".join(self.design.group(g).name for g in group_ids)
            edits = layout_edits(self.design, self.collapsed_boxes())
            command = self.try_edit(f"Expand {names}", edits)
            if isinstance(command, EditCommand):  # undo puts the blocks back, folded again
                opened = list(group_ids)
                command.view_after_undo = lambda: self._set_collapsed_present(opened, True)
                command.view_after_redo = lambda: self._set_collapsed_present(opened, False)
            self.placed.emit(self.groups[group_ids[-1]].frame())

    def _set_collapsed_present(self, group_ids: Sequence[str], collapsed: bool) -> None:
        self.set_collapsed([g for g in group_ids if g in self.groups], collapsed)

    def collapsed_boxes(self) -> dict[str, tuple[float, float]]:
        """Each collapsed group's box (width, height): what Auto-Layout gives it room for."""
        return {group_id: self.groups[group_id].collapsed_size() for group_id in self._collapsed}

    def _covers_neighbours(self, group_id: str) -> bool:
        """Whether the group's frame, or an enclosing one, covers a block or a frame shown
        beside it (not inside it, not around it)."""
        design = self.design
        paths = {g: {p.id for p in design.group_path(g)} for g in design.groups}
        for frame_id in paths[group_id]:
            frame = self.groups[frame_id].frame().adjusted(1, 1, -1, -1)
            for block_id, item in self.blocks.items():
                group = design.block(block_id).group
                inside = group is not None and frame_id in paths[group]
                if item.isVisible() and not inside and frame.intersects(_box(item)):
                    return True
            for other_id, other in self.groups.items():
                related = other_id in paths[frame_id] or frame_id in paths[other_id]
                if other.isVisible() and not related and frame.intersects(other.frame()):
                    return True
        return False

    def is_collapsed(self, group_id: str) -> bool:
        return group_id in self._collapsed

    def _refresh_visibility(self) -> None:
        """Hide what collapsed groups hold; O(design), so only when collapsing changes."""
        self._twins = {}
        if not self._collapsed and not self._anything_hidden:
            return
        self._anything_hidden = bool(self._collapsed)
        design = self.design
        for block_id, item in self.blocks.items():
            item.setVisible(self._collapsed_ancestor(design.block(block_id).group) is None)
        for group_id, group_item in self.groups.items():
            parent = design.group(group_id).parent
            group_item.setVisible(self._collapsed_ancestor(parent) is None)
        for edge, edge_item in self.edges.items():
            self._set_edge_visibility(edge, edge_item)

    def _set_edge_visibility(self, edge: Edge, item: EdgeItem) -> None:
        """An edge inside one collapsed group is hidden; one crossing its frame stays, unless
        an edge from the same output into the same group already shows (``_twins``)."""
        source = self._collapsed_ancestor(self.design.block(edge.source).group)
        target = self._collapsed_ancestor(self.design.block(edge.target).group)
        shown = source is None or source != target
        if shown and target is not None:
            shown = self._twins.setdefault((edge.source, edge.source_port, target), edge) == edge
        item.setVisible(shown)

    def _show_twins(self) -> None:
        """The shown one of some twin edges went: show another, and route the edges again."""
        self._refresh_visibility()
        self._reset_wiring()

    # --- moving ------------------------------------------------------------------------------

    def drag_group(self, group_id: str, delta: QPointF) -> None:
        blocks, groups = self.design.members(group_id)
        pending = list(groups)
        while pending:
            inner_blocks, inner_groups = self.design.members(pending.pop())
            blocks.extend(inner_blocks)
            groups.extend(inner_groups)
            pending.extend(inner_groups)
        self._dragging_group = True
        try:
            for block_id in blocks:
                item = self.blocks[block_id]
                item.setPos(item.pos() + delta)
        finally:
            self._dragging_group = False
        if group_id in self._collapsed:
            self.groups[group_id].set_frame(self.groups[group_id].frame().translated(delta))
        else:
            self._refresh_groups_of([group_id, *groups])
        self._blocks_moved(blocks)

    def commit_moves(self) -> None:
        """Turn items dragged away from their blocks' positions into one undoable move."""
        design = self.design
        moves: list[Edit] = []
        for block_id, item in self.blocks.items():
            position = (item.pos().x(), item.pos().y())
            if design.block(block_id).position != position:
                moves.append(MoveBlock(block_id, position))
        if moves:
            what = design.block(moves[0].block_id).name if len(moves) == 1 else None  # type: ignore[attr-defined]
            self.try_edit(f"Move {what}" if what else f"Move {len(moves)} blocks", moves)

    # --- editing -----------------------------------------------------------------------------

    def try_edit(self, text: str, edits: Sequence[Edit]) -> QUndoCommand | None:
        """Apply edits as one undo step; a refusal goes to the status bar, not an exception."""
        try:
            return self.document.edit(text, edits)
        except DesignError as error:
            self.message.emit(f"{text}: refused: {error.message}")
            return None

    def add_block_at(self, kind: str, scene_pos: QPointF) -> list[str]:
        """Add a block where it was dropped: spliced into an edge under the cursor, fed from a
        block whose output is near (placed right of it), or standing alone where dropped,
        nudged off anything it would cover. Returns the new block's id (if any)."""
        label = block_kind(kind).label
        edge = self._edge_at(scene_pos)
        if edge is not None:
            return self._add_placed(kind, f"Insert {label}", splice_into=edge)
        wanted = (scene_pos.x() - style.BLOCK_WIDTH / 2, scene_pos.y() - style.BLOCK_HEIGHT / 2)
        feeder = self._output_near(scene_pos)
        return self._add_placed(kind, f"Add {label}", after=feeder, wanted=wanted)

    def add_block_after(self, kind: str, block_id: str | None) -> list[str]:
        """Add a block right of ``block_id``, fed from it, or right of everything when None
        (the palette's double-click)."""
        return self._add_placed(kind, f"Add {block_kind(kind).label}", after=block_id)

    def _add_placed(
        self,
        kind: str,
        text: str,
        *,
        splice_into: Edge | None = None,
        after: str | None = None,
        wanted: tuple[float, float] | None = None,
    ) -> list[str]:
        """Add a block in free space as one undo step, select it and bring it into sight."""
        try:
            plan = placed_add_plan(
                self.design,
                kind,
                PLACEMENT_FOOTPRINT,
                wanted=wanted,
                splice_into=splice_into,
                after=after,
            )
        except DesignError as error:
            self.message.emit(f"Add {block_kind(kind).label}: refused: {error.message}")
            return []
        if self.try_edit(text, plan) is None:
            return []
        new_ids = pasted_ids(plan)
        self.select_blocks(new_ids)
        self.reveal_blocks(new_ids)
        return new_ids

    def reveal_blocks(self, block_ids: Iterable[str]) -> None:
        """Ask the view (through ``placed``) to show these blocks, hidden ones aside."""
        rect = QRectF()
        for block_id in block_ids:
            item = self.blocks.get(block_id)
            if item is not None and item.isVisible():
                rect = rect.united(item.sceneBoundingRect())
        if not rect.isNull():
            self.placed.emit(rect)

    def set_activation_at(self, key: str, scene_pos: QPointF) -> bool:
        block = self._block_at(scene_pos)
        if block is None:
            self.message.emit(f"Drop the activation {key!r} onto a block to set it")
            return False
        record = self.design.block(block)
        if "activation" not in record.params:
            label = block_kind(record.kind).label
            self.message.emit(f"'{record.name}' ({label}) has no activation to set")
            return False
        return (
            self.try_edit(f"Set activation of {record.name}", [SetParam(block, "activation", key)])
            is not None
        )

    def connect_ports(
        self, source: str, target: str, port: str | None, source_port: str = OUTPUT_PORT
    ) -> bool:
        """Connect ``source``'s output ``source_port``; ``port`` None means the target's first
        free input."""
        if port is None:
            port = first_free_input(self.design, target)
            if port is None:
                name = self.design.block(target).name
                self.message.emit(f"Connect: refused: every input of '{name}' is taken")
                return False
        start = self.design.block(source).name
        if source_port != OUTPUT_PORT:
            start += f".{source_port}"
        names = f"{start} → {self.design.block(target).name}"
        edit = Connect(source, target, port, source_port)
        return self.try_edit(f"Connect {names}", [edit]) is not None

    # --- selection ---------------------------------------------------------------------------

    def selected_block_ids(self) -> list[str]:
        return [item.block_id for item in self.selectedItems() if isinstance(item, BlockItem)]

    def selected_edges(self) -> list[Edge]:
        return [item.edge for item in self.selectedItems() if isinstance(item, EdgeItem)]

    def selected_group_ids(self) -> list[str]:
        return [item.group_id for item in self.selectedItems() if isinstance(item, GroupItem)]

    def select_blocks(self, block_ids: Iterable[str]) -> None:
        wanted = set(block_ids)
        self.clearSelection()
        for block_id in wanted:
            item = self.blocks.get(block_id)
            if item is not None:
                item.setSelected(True)

    def _block_at(self, scene_pos: QPointF) -> str | None:
        for item in self.items(scene_pos):
            owner = item.parentItem() if isinstance(item, PortItem) else item
            if isinstance(owner, BlockItem):
                return owner.block_id
        return None

    def _edge_at(self, scene_pos: QPointF) -> Edge | None:
        for item in self.items(scene_pos):
            if isinstance(item, EdgeItem) and item.isVisible():
                return item.edge
        return None

    def _output_near(self, scene_pos: QPointF) -> str | None:
        best, best_distance = None, AUTO_CONNECT_DISTANCE
        area = QRectF(scene_pos, scene_pos).adjusted(
            -AUTO_CONNECT_DISTANCE, -AUTO_CONNECT_DISTANCE, AUTO_CONNECT_DISTANCE, 0
        )
        area.setLeft(scene_pos.x() - AUTO_CONNECT_DISTANCE - style.BLOCK_WIDTH)
        area.setBottom(scene_pos.y() + AUTO_CONNECT_DISTANCE)
        for item in self.items(area):
            if isinstance(item, PortItem) and item.is_output and item.isVisible():
                point = item.scenePos()
                distance = QLineF(point, scene_pos).length()
                if point.x() < scene_pos.x() and distance < best_distance:
                    best, best_distance = item.block_id, distance
        return best

    # --- wiring with the mouse ---------------------------------------------------------------

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        port = self._port_at(event.scenePos())
        if port is not None and port.is_output:
            self._wire_source, self._wire_port = port.block_id, port.port
            self._wire = QGraphicsLineItem(QLineF(port.scenePos(), event.scenePos()))
            self._wire.setPen(QPen(style.SELECTED, 2.0))
            self._wire.setZValue(5.0)
            self.addItem(self._wire)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        if self._wire is not None:
            line = self._wire.line()
            self._wire.setLine(QLineF(line.p1(), event.scenePos()))
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        if self._wire is not None and self._wire_source is not None:
            self.removeItem(self._wire)
            self._wire, source = None, self._wire_source
            self._wire_source = None
            self.finish_wire(source, event.scenePos(), self._wire_port)
            event.accept()
            return
        super().mouseReleaseEvent(event)
        self.commit_moves()

    def finish_wire(self, source: str, scene_pos: QPointF, source_port: str = OUTPUT_PORT) -> bool:
        port = self._port_at(scene_pos)
        if port is not None and not port.is_output:
            return self.connect_ports(source, port.block_id, port.port, source_port)
        target = self._block_at(scene_pos)
        if target is None or target == source:
            self.message.emit("Connect: drop the wire on an input port or a block")
            return False
        if not block_kind(self.design.block(target).kind).has_input:
            name = self.design.block(target).name
            self.message.emit(f"Connect: refused: '{name}' is an input and takes no input")
            return False
        return self.connect_ports(source, target, None, source_port)

    def _port_at(self, scene_pos: QPointF) -> PortItem | None:
        for item in self.items(scene_pos):
            if isinstance(item, PortItem) and item.isVisible():
                return item
        return None

    # --- drag and drop from the palettes -----------------------------------------------------

    def dragEnterEvent(self, event: QGraphicsSceneDragDropEvent) -> None:  # noqa: N802
        data = event.mimeData()
        event.setAccepted(data.hasFormat(mime.BLOCK_KIND) or data.hasFormat(mime.ACTIVATION))

    def dragMoveEvent(self, event: QGraphicsSceneDragDropEvent) -> None:  # noqa: N802
        self.dragEnterEvent(event)

    def dropEvent(self, event: QGraphicsSceneDragDropEvent) -> None:  # noqa: N802
        data = event.mimeData()
        kind, key = mime.read(data, mime.BLOCK_KIND), mime.read(data, mime.ACTIVATION)
        if kind is not None:
            try:
                block_kind(kind)
            except DesignError as error:
                self.message.emit(error.message)
                return
            self.add_block_at(kind, event.scenePos())
        elif key is not None:
            self.set_activation_at(key, event.scenePos())
        event.acceptProposedAction()

    def visible_items(self) -> list[QGraphicsItem]:
        return [item for item in self.items() if item.isVisible()]


def _box(item: BlockItem) -> QRectF:
    return QRectF(item.pos().x(), item.pos().y(), style.BLOCK_WIDTH, style.BLOCK_HEIGHT)
