"""Every catalogue kind can be placed, shown, inspected and edited in the app: a block item
with the kind's ports, canvas text, and an Inspector editor for every parameter."""

from __future__ import annotations

import pytest

from designer.graph import CATALOGUE, BlockKind, Design
from designer.gui.main_window import MainWindow
from tests.gui.helpers import open_design


@pytest.mark.parametrize("kind", list(CATALOGUE.values()), ids=lambda kind: kind.name)
def test_a_block_of_every_kind_shows_and_inspects(window: MainWindow, kind: BlockKind) -> None:
    design = Design()
    block = design.add_block(kind.name, name="it")
    open_design(window, design)
    item = window.scene.blocks[block.id]
    assert list(item.inputs) == list(kind.input_ports(block.params))
    assert list(item.outputs) == list(kind.output_ports())
    assert item._summary == kind.describe_block(block.params)
    window.scene.select_blocks([block.id])
    assert set(window.inspector.editors) >= {spec.name for spec in kind.params}
