"""The 1000-block transformer design of ``bench/transformer_check.py``, built through the
``Design`` API alone: importing this module imports no torch."""

from __future__ import annotations

from designer.graph import Design

BLOCKS = 1000
WIDTH, HEADS, TOKENS = 64, 4, 32
INPUT_SHAPE = (1, TOKENS, WIDTH)


def transformer_design(blocks: int = BLOCKS) -> tuple[Design, str]:
    """The design and the id of the block whose size the one-edit re-check flips."""
    design = Design("TransformerStack")
    last = design.add_block("input", name="x", params={"shape": list(INPUT_SHAPE)}).id
    middle = ""
    unit = 0

    def add(kind: str, name: str, params: dict[str, object] | None = None) -> str:
        return design.add_block(kind, name=f"{name}_{unit}", params=params or {}).id

    while len(design.blocks) + 11 <= blocks - 1:
        ln1 = add("layer_norm", "ln1")
        attn = add("multihead_attention", "attn", {"num_heads": HEADS, "causal": True})
        add1 = add("add", "add1")
        ln2 = add("layer_norm", "ln2")
        fc = add("linear", "fc", {"out_features": 4 * WIDTH})
        act = add("activation", "act", {"activation": "gelu"})
        proj = add("linear", "proj", {"out_features": WIDTH})
        add2 = add("add", "add2")
        layer = add(
            "transformer_encoder_layer",
            "layer",
            {"nhead": HEADS, "dim_feedforward": 2 * WIDTH, "norm_first": True},
        )
        heads = add("reshape", "heads", {"shape": [TOKENS, HEADS, WIDTH // HEADS]})
        merged = add("reshape", "merged", {"shape": [TOKENS, WIDTH]})
        for source, target, port in (
            (last, ln1, "in"), (ln1, attn, "query"), (last, add1, "in0"), (attn, add1, "in1"),
            (add1, ln2, "in"), (ln2, fc, "in"), (fc, act, "in"), (act, proj, "in"),
            (add1, add2, "in0"), (proj, add2, "in1"), (add2, layer, "in"), (layer, heads, "in"),
            (heads, merged, "in"),
        ):  # fmt: skip
            design.connect(source, target, port)
        last = merged
        if unit == 45:
            middle = fc
        unit += 1
    while len(design.blocks) < blocks - 1:
        norm = add("layer_norm", f"final{len(design.blocks)}")
        design.connect(last, norm)
        last = norm
    out = design.add_block("output", name="out").id
    design.connect(last, out)
    assert len(design.blocks) == blocks
    return design, middle
