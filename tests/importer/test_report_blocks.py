"""Each line of the import report names the block it became, so the app can select it: the
Identity stand-in of an unmapped operation, or the block whose call lost arguments."""

from __future__ import annotations

import torch
from torch import nn

from designer.importer.loading import model_to_design
from designer.importer.report import ImportReport
from tests.importer.models import Unmapped


class KeywordsDropped(nn.Module):
    """Attention called with an argument the block can't take."""

    def __init__(self) -> None:
        super().__init__()
        self.attn = nn.MultiheadAttention(8, 2, batch_first=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.attn(x, x, x, need_weights=False, average_attn_weights=False)[0]


def test_an_unmapped_operation_names_its_identity_stand_in() -> None:
    design, report = model_to_design(Unmapped().eval(), (2, 4))
    (item,) = report.unmapped
    assert item.what == "torch.clamp"
    block = design.blocks[item.block]
    assert block.kind == "identity"
    (edge,) = [edge for edge in design.edges() if edge.target == item.block]
    assert design.blocks[edge.source].name == "fc"


def test_dropped_arguments_name_the_block_called_without_them() -> None:
    design, report = model_to_design(KeywordsDropped().eval(), (2, 3, 8))
    (item,) = report.unmapped
    assert "average_attn_weights" in item.advice
    assert design.blocks[item.block].name == "attn"


def test_the_block_survives_the_report_round_trip() -> None:
    _, report = model_to_design(Unmapped().eval(), (2, 4))
    again = ImportReport.from_dict(report.to_dict())
    assert again.unmapped == report.unmapped
    assert again.unmapped[0].block != ""
