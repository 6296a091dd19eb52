"""Labels that can't lie, on the real canvas: after layout every shown edge label is clear of
every other label, block and port, and the edge nearest it is its own; edges run around
blocks, never under them."""

from __future__ import annotations

import itertools
import math

import pytest
from PySide6.QtCore import QPointF, QRectF
from pytestqt.qtbot import QtBot

from designer.graph import Design, Edge
from designer.graph.fileformat import load_design
from designer.gui.canvas.edge_item import EdgeItem
from designer.gui.canvas.scene import DesignScene
from designer.gui.document import DesignDocument
from tests.paths import EXAMPLES

EXAMPLE_NAMES = sorted(path.stem for path in EXAMPLES.glob("*.json"))
_SAMPLES = 400


def scene_of(design: Design) -> DesignScene:
    return DesignScene(DesignDocument(design))


def drawn_points(item: EdgeItem) -> list[QPointF]:
    path = item.drawn_path()
    return [path.pointAtPercent(step / _SAMPLES) for step in range(_SAMPLES + 1)]


def distance(point: QPointF, points: list[QPointF]) -> float:
    return min(math.hypot(point.x() - p.x(), point.y() - p.y()) for p in points)


def label_boxes(scene: DesignScene) -> dict[Edge, QRectF]:
    boxes = {}
    for edge, item in scene.edges.items():
        rect = item.label_rect()
        if rect is not None:
            boxes[edge] = QRectF(rect.left, rect.top, rect.width, rect.height)
    return boxes


def assert_labels_tell_the_truth(scene: DesignScene) -> None:
    labels = label_boxes(scene)
    for (a, box_a), (b, box_b) in itertools.combinations(labels.items(), 2):
        assert not box_a.intersects(box_b), f"labels of {a} and {b} overlap"
    for edge, box in labels.items():
        for block_id, block in scene.blocks.items():
            body = QRectF(block.pos(), block.boundingRect().size()).adjusted(6, 2, -6, -2)
            assert not box.intersects(body), f"label of {edge} covers block {block_id}"
            for port in (*block.inputs.values(), *block.outputs.values()):
                assert not box.intersects(port.sceneBoundingRect()), (
                    f"label of {edge} covers a port of {block_id}"
                )
    lines = {edge: drawn_points(item) for edge, item in scene.edges.items()}
    for edge, box in labels.items():
        own = distance(box.center(), lines[edge])
        for other, points in lines.items():
            if other != edge:
                assert own < distance(box.center(), points), (
                    f"the label of {edge} sits nearer {other}"
                )


def assert_edges_go_around_blocks(scene: DesignScene) -> None:
    for edge, item in scene.edges.items():
        points = drawn_points(item)
        for block_id, block in scene.blocks.items():
            if block_id in (edge.source, edge.target):
                continue
            body = QRectF(block.pos(), block.boundingRect().size()).adjusted(8, 3, -8, -3)
            assert not any(body.contains(point) for point in points), (
                f"edge {edge.source} -> {edge.target} runs under {block_id}"
            )


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_every_example_shows_labels_that_tell_the_truth(qtbot: QtBot, name: str) -> None:
    scene = scene_of(load_design(EXAMPLES / f"{name}.json"))
    assert_labels_tell_the_truth(scene)
    assert_edges_go_around_blocks(scene)
    shown = [item for item in scene.edges.values() if item.shown_label]
    assert len(shown) == len([item for item in scene.edges.values() if item.label])


def test_a_label_moves_off_a_block_dragged_onto_it(qtbot: QtBot) -> None:
    scene = scene_of(load_design(EXAMPLES / "seed_final.json"))
    item = next(item for item in scene.edges.values() if item.shown_label)
    covered = item.label_rect()
    assert covered is not None
    mover = next(
        block
        for block_id, block in scene.blocks.items()
        if block_id not in (item.edge.source, item.edge.target)
    )
    mover.setPos(covered.left - 20, covered.top - 20)  # a drag drops it over the label
    assert_labels_tell_the_truth(scene)


def test_a_label_with_no_room_shortens_or_hides_and_the_tooltip_keeps_the_shape(
    qtbot: QtBot,
) -> None:
    scene = scene_of(load_design(EXAMPLES / "seed_final.json"))
    edge, item = next((e, i) for e, i in scene.edges.items() if i.shown_label)
    target = scene.blocks[edge.target]
    source = scene.blocks[edge.source]
    target.setPos(source.pos() + QPointF(source.boundingRect().width() + 30, 0))
    assert item.shown_label in ("", item.label, item.label.partition("x")[2])
    assert item.label in item.toolTip()
    assert_labels_tell_the_truth(scene)
