"""Weights forward never uses (GoogLeNet's auxiliary heads, called only while training) are
reported once per outermost unused module, not once per layer inside it."""

from __future__ import annotations

import torch
from torch import nn

from designer.importer.loading import model_to_design


class Head(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Sequential(nn.Conv2d(4, 4, 1), nn.BatchNorm2d(4))
        self.fc = nn.Linear(4, 2)


class WithAuxiliaryHead(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.aux = Head()
        self.unused_scale = nn.Parameter(torch.ones(1))
        self.fc = nn.Linear(4, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv(x)
        aux = self.aux.fc(x.mean((2, 3))) if self.training else None
        x = self.fc(x.mean((2, 3)))
        return x if aux is None else x + aux


def test_weights_no_mode_uses_are_one_line_per_outermost_module() -> None:
    """``aux.fc`` runs while training: it is imported from there (``test_training_branches``);
    ``aux.conv`` and ``unused_scale`` never run."""
    _, report = model_to_design(WithAuxiliaryHead().eval(), (1, 3, 8, 8))
    whats = [item.what for item in report.unmapped]
    assert whats == [
        "the model (class WithAuxiliaryHead) holds weights forward never uses "
        "(in eval mode, as imported)",
        "module aux.conv (class Sequential) holds weights forward never uses "
        "(in eval mode, as imported)",
    ]
    assert any(note.startswith("aux.fc run only in training mode") for note in report.notes)


def test_a_module_partly_used_names_only_what_is_unused() -> None:
    class PartlyUsed(WithAuxiliaryHead):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            x = self.conv(x)
            return self.aux.fc(x.mean((2, 3))) + self.unused_scale

    _, report = model_to_design(PartlyUsed().eval(), (1, 3, 8, 8))
    whats = [item.what.split(" holds")[0] for item in report.unmapped]
    assert whats == [
        "operator.add (reading self.unused_scale)",  # no kind adds a (1,) tensor
        "module aux.conv (class Sequential)",
        "module fc (class Linear)",
    ]
