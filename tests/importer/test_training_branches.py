"""A head that runs only while training (GoogLeNet's aux1) is imported where training mode
feeds it, so the compiled model loads the original's state_dict and gives its outputs."""

from __future__ import annotations

import torch
from torch import nn

from designer.compiler import compile_design
from designer.compiler.live import build_model
from designer.importer.loading import model_to_design


class AuxHead(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(8, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(self.pool(x), 1))


class WithAux(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, padding=1)
        self.aux = AuxHead()
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 5))

    def forward(self, x: torch.Tensor) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        x = self.stem(x)
        aux = self.aux(x) if self.training else None
        out = self.head(x)
        return (out, aux) if aux is not None else out


def test_a_training_only_head_keeps_its_weights_and_the_outputs() -> None:
    torch.manual_seed(0)
    original = WithAux().eval()
    design, report = model_to_design(original, (2, 3, 8, 8))
    assert report.clean, report.lines()
    assert any(note.startswith("aux run only in training mode") for note in report.notes)
    assert not original.training, "the caller's model is given back in its own mode"
    rebuilt = build_model(compile_design(design), "cpu").eval()
    rebuilt.load_state_dict(original.state_dict(), strict=True)
    example = torch.randn(2, 3, 8, 8)
    with torch.no_grad():
        torch.testing.assert_close(rebuilt(example), original(example))


class Plain(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.drop = nn.Dropout(0.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.drop(self.conv(x))


def test_a_model_without_one_imports_from_its_eval_mode_trace() -> None:
    _, report = model_to_design(Plain().eval(), (1, 3, 8, 8))
    assert report.clean and not any("training mode" in note for note in report.notes)


class TrainsOtherwise(nn.Module):
    """Training mode applies a ReLU on the way to the output that eval mode doesn't."""

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Linear(4, 4)
        self.fc = nn.Linear(4, 2)
        self.aux = nn.Linear(4, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        x = self.body(x)
        if self.training:
            x = torch.relu(x)
            return self.fc(x), self.aux(x)
        return self.fc(x)


def test_where_training_mode_computes_the_outputs_otherwise_eval_mode_stands() -> None:
    original = TrainsOtherwise().eval()
    design, report = model_to_design(original, (2, 4))
    (unused,) = report.unmapped
    assert unused.what.startswith("module aux (class Linear) holds weights forward never uses")
    assert not any("training mode" in note for note in report.notes[:-1])
    assert {block.kind for block in design.blocks.values()} >= {"linear"}
    assert "relu" not in {block.kind for block in design.blocks.values()}
