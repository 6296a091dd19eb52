"""A learned tensor (class token, positional embedding) becomes an ``nn.Parameter`` that
``forward`` prepends or adds, as a ViT holds them."""

from __future__ import annotations

import torch

from designer.compiler import build_model, compile_design
from designer.compiler.live import materialize
from designer.graph import Design, check_design


def tokens_design() -> Design:
    design = Design()
    x = design.add_block("input", name="x", params={"shape": [2, 16, 32]})
    cls = design.add_block(
        "learned_tensor", name="cls_token", params={"mode": "prepend", "init": "zeros"}
    )
    pos = design.add_block("learned_tensor", name="pos_embed", params={"init": "randn"})
    out = design.add_block("output", name="out")
    design.connect(x.id, cls.id)
    design.connect(cls.id, pos.id)
    design.connect(pos.id, out.id)
    return design


def test_the_code_holds_parameters_and_uses_them_in_forward() -> None:
    source = compile_design(tokens_design()).source
    assert "self.cls_token = nn.Parameter(torch.zeros(1, 1, 32))" in source
    assert "self.pos_embed = nn.Parameter(torch.randn(1, 17, 32))" in source
    body = [line.strip() for line in source.split("def forward", 1)[1].splitlines()[1:]]
    assert [line for line in body if line] == [
        "x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1)",
        "return x + self.pos_embed",
    ]


def test_shapes_and_parameters_match_the_model() -> None:
    design = tokens_design()
    report = check_design(design)
    assert report.ok
    model = materialize(build_model(compile_design(design)))
    assert [name for name, _ in model.named_parameters()] == ["cls_token", "pos_embed"]
    assert sum(p.numel() for p in model.parameters()) == report.total_parameters == 32 + 17 * 32
    assert tuple(model(torch.randn(2, 16, 32)).shape) == (2, 17, 32)
    assert dict(model.named_modules()).keys() == {""}  # parameters, no sub-modules
    assert all(bool(torch.isfinite(p).all()) for p in model.parameters())


def test_materialize_initialises_attention_and_learned_tensors() -> None:
    model = torch.nn.Module()
    with torch.device("meta"):
        model.attn = torch.nn.MultiheadAttention(8, 2)
        model.token = torch.nn.Parameter(torch.zeros(1, 1, 8))
    materialize(model)
    assert float(model.token.detach().abs().sum()) == 0.0
    weight = model.attn.in_proj_weight.detach()
    assert bool(torch.isfinite(weight).all()) and float(weight.abs().max()) <= 1.0  # xavier
