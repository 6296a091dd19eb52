"""A learned factor per channel (ConvNeXt's layer scale, ``self.layer_scale * branch``): a
``learned_tensor`` block in ``scale`` mode, imported with its ``state_dict`` key kept."""

from __future__ import annotations

import torch
from torch import nn

from designer.compiler import compile_design
from designer.compiler.live import build_model
from designer.graph import Design, check_design
from designer.importer.loading import model_to_design


class LayerScaled(nn.Module):
    """A residual branch scaled per channel, as torchvision's ``CNBlock`` writes it."""

    def __init__(self, channels: int = 6) -> None:
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1)
        self.layer_scale = nn.Parameter(torch.ones(channels, 1, 1) * 1e-6)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.layer_scale * self.conv(x)


class FeatureScaled(nn.Module):
    """A factor per feature of an N x C input: one per channel too, filled as written."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(8, 8)
        self.gamma = nn.Parameter(torch.randn(8))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(x) * self.gamma


def _round_trip(original: nn.Module, shape: tuple[int, ...]) -> tuple[Design, str]:
    design, report = model_to_design(original.eval(), shape)
    assert report.clean, report.lines()
    compiled = compile_design(design)
    rebuilt = build_model(compiled, "cpu")
    rebuilt.load_state_dict(original.state_dict(), strict=True)
    example = torch.randn(shape)
    with torch.no_grad():
        torch.testing.assert_close(rebuilt.eval()(example), original(example))
    assert str(rebuilt) == str(original)
    return design, compiled.source


def _learned(design: Design) -> dict[str, object]:
    (block,) = [block for block in design.blocks.values() if block.kind == "learned_tensor"]
    assert block.name in ("layer_scale", "gamma")
    return dict(block.params)


def test_a_layer_scale_imports_as_a_scaling_learned_tensor() -> None:
    torch.manual_seed(0)
    design, source = _round_trip(LayerScaled(), (2, 6, 5, 5))
    params = _learned(design)
    assert (params["mode"], params["init"]) == ("scale_channels", "ones")
    assert "self.layer_scale = nn.Parameter(torch.ones(6, 1, 1))" in source
    assert "self.layer_scale * " in source.split("def forward", 1)[1]


def test_a_factor_per_feature_of_a_flat_input_is_one_per_channel() -> None:
    torch.manual_seed(0)
    design, source = _round_trip(FeatureScaled(), (3, 8))
    params = _learned(design)
    assert (params["mode"], params["init"]) == ("scale_channels", "randn")
    assert "self.gamma = nn.Parameter(torch.randn(8))" in source


def test_the_scale_keeps_the_shape_and_holds_a_factor_per_channel() -> None:
    design = Design()
    x = design.add_block("input", name="x", params={"shape": [2, 16, 7, 7]})
    scale = design.add_block(
        "learned_tensor", name="scale", params={"mode": "scale_channels", "init": "ones"}
    )
    out = design.add_block("output", name="out")
    design.connect(x.id, scale.id)
    design.connect(scale.id, out.id)
    report = check_design(design)
    assert report.ok
    assert report.total_parameters == 16
    model = build_model(compile_design(design), "cpu")
    assert tuple(model.scale.shape) == (16, 1, 1)
    example = torch.randn(2, 16, 7, 7)
    with torch.no_grad():
        model.scale.copy_(torch.arange(16.0).view(16, 1, 1))
        torch.testing.assert_close(model(example), example * torch.arange(16.0).view(16, 1, 1))


def test_a_scale_shaped_otherwise_is_reported() -> None:
    """A factor per row of an image (neither per channel nor per feature): no block stands
    for it."""

    class Odd(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv2d(2, 2, 1)
            self.w = nn.Parameter(torch.ones(5, 1))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.conv(x) * self.w

    _, report = model_to_design(Odd().eval(), (1, 2, 5, 5))
    (item,) = report.unmapped
    assert "self.w" in item.what
