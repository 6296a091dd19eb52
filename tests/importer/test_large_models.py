"""A model far larger than this machine's memory imports: it is built on the meta device."""

from __future__ import annotations

from pathlib import Path

from designer.compiler import compile_design
from designer.compiler.live import build_model
from designer.graph import check_design
from designer.importer.loading import ImportRequest, import_here

WIDTH = 16384
LAYERS = 40
"""40 square layers of 16384: 10.7 billion parameters, 43 GB in float32 (this machine has 24)."""

SOURCE = f"""
import torch
from torch import nn


class Huge(nn.Module):
    def __init__(self, layers: int) -> None:
        super().__init__()
        self.layers = nn.Sequential(*[nn.Linear({WIDTH}, {WIDTH}) for _ in range(layers)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)
"""


def test_a_ten_billion_parameter_model_imports_without_allocating_its_weights(
    tmp_path: Path,
) -> None:
    path = tmp_path / "huge.py"
    path.write_text(SOURCE)
    result = import_here(ImportRequest(f"{path}:Huge", {"layers": LAYERS}, (1, WIDTH), "float32"))
    design = result.design()
    expected = LAYERS * (WIDTH * WIDTH + WIDTH)
    assert expected > 10_000_000_000
    assert check_design(design).total_parameters == expected
    model = build_model(compile_design(design), "meta")
    assert sum(p.numel() for p in model.parameters()) == expected
    assert all(p.is_meta for p in model.parameters())
