"""``F.layer_norm`` with a module's own weight and bias (torchvision's ``LayerNorm2d``, a GPT's
bias-optional LayerNorm): a LayerNorm block without weights, then learned tensors that scale
and shift per feature, keeping the module's ``weight`` and ``bias`` keys."""

from __future__ import annotations

import torch
import torch.nn.functional as F  # noqa: N812 (as torchvision writes it)
from torch import nn

from designer.compiler import compile_design
from designer.compiler.live import build_model
from designer.graph import Design
from designer.importer.loading import model_to_design


class LayerNorm2d(nn.LayerNorm):
    """A LayerNorm over the channels of an image, as torchvision writes it."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.permute(0, 2, 3, 1)
        x = F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        return x.permute(0, 3, 1, 2)


class Stem(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 2, stride=2), LayerNorm2d(8, eps=1e-6))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.stem(x)


class BiasFreeNorm(nn.Module):
    """A LayerNorm with an optional bias, as GPTs write it (here without)."""

    def __init__(self, features: int = 8) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(features))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.layer_norm(x, (8,), self.weight, None, 1e-5)


class Block(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(8, 8)
        self.ln = BiasFreeNorm()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.ln(self.fc(x))


def _round_trip(original: nn.Module, shape: tuple[int, ...]) -> Design:
    """Import -> compile -> strict load -> equal outputs (print differs: one more module)."""
    torch.manual_seed(0)
    for parameter in original.parameters():  # weights and biases that aren't ones and zeros
        nn.init.normal_(parameter)
    design, report = model_to_design(original.eval(), shape)
    assert report.clean, report.lines()
    rebuilt = build_model(compile_design(design), "cpu")
    rebuilt.load_state_dict(original.state_dict(), strict=True)
    example = torch.randn(shape)
    with torch.no_grad():
        torch.testing.assert_close(rebuilt.eval()(example), original(example))
    return design


def _in_group(design: Design, group_name: str) -> list[tuple[str, str, dict[str, object]]]:
    (group,) = [group for group in design.groups.values() if group.name == group_name]
    return [
        (block.kind, block.name, dict(block.params))
        for block in design.blocks.values()
        if block.group == group.id
    ]


def test_layer_norm_over_channels_keeps_its_weight_and_bias() -> None:
    design = _round_trip(Stem(), (2, 3, 8, 8))
    (group,) = [group for group in design.groups.values() if group.class_name == "LayerNorm2d"]
    blocks = _in_group(design, group.name)
    kinds = [(kind, name) for kind, name, _ in blocks]
    assert kinds == [
        ("permute", kinds[0][1]),
        ("layer_norm", "layer_norm"),
        ("learned_tensor", "weight"),
        ("learned_tensor", "bias"),
        ("permute", kinds[4][1]),
    ]
    norm, weight, bias = blocks[1][2], blocks[2][2], blocks[3][2]
    assert (norm["elementwise_affine"], norm["eps"]) == (False, 1e-6)
    assert (weight["mode"], weight["init"]) == ("scale_features", "ones")
    assert (bias["mode"], bias["init"]) == ("shift_features", "zeros")


def test_a_norm_without_bias_is_scaled_only() -> None:
    design = _round_trip(Block(), (2, 5, 8))
    assert [(kind, name) for kind, name, _ in _in_group(design, "ln")] == [
        ("layer_norm", "layer_norm"),
        ("learned_tensor", "weight"),
    ]


def test_a_norm_over_more_than_the_last_dim_is_reported() -> None:
    class Wide(BiasFreeNorm):
        def __init__(self) -> None:
            super().__init__()
            self.weight = nn.Parameter(torch.ones(4, 8))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return F.layer_norm(x, (4, 8), self.weight, None, 1e-5)

    _, report = model_to_design(Wide().eval(), (2, 4, 8))
    (item,) = report.unmapped
    assert item.what.startswith("F.layer_norm")
