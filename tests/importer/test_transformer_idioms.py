"""Importing learned tensors (a class token, a position embedding), causal attention, stacks
whose outputs are kept, names from ``forward`` and Sequentials spelled out member by member."""

from __future__ import annotations

import inspect
from pathlib import Path

import torch
from torch import nn

from designer.compiler import compile_design
from designer.compiler.live import build_model
from designer.graph import Design, load_design
from designer.importer.loading import ImportRequest, import_here, model_to_design
from designer.importer.operations import function_name
from designer.importer.written import is_spelled_out
from tests.importer.transformer_models import (
    CalledTwice,
    CausalBlock,
    CausalEncoder,
    Looped,
    Named,
    Scaled,
    SpelledOut,
    TinyViT,
    Traced,
    TracedConvBlocks,
)
from tests.paths import EXAMPLES


def _round_trip(factory: type[nn.Module], shape: tuple[int, ...]) -> tuple[Design, str]:
    """Import -> compile -> strict load -> equal outputs and print(model); the design and
    its code."""
    torch.manual_seed(0)
    original = factory().eval()
    design, report = model_to_design(original, shape)
    assert report.clean, report.lines()
    compiled = compile_design(design)
    rebuilt = build_model(compiled, "cpu")
    rebuilt.load_state_dict(original.state_dict(), strict=True)
    rebuilt.eval()
    example = torch.randn(shape)
    with torch.no_grad():
        torch.testing.assert_close(rebuilt(example), original(example))
    assert str(rebuilt) == str(original)
    return design, compiled.source


def _by_name(design: Design) -> dict[str, tuple[str, dict[str, object]]]:
    return {block.name: (block.kind, dict(block.params)) for block in design.blocks.values()}


def test_class_token_and_position_embedding_become_learned_tensors() -> None:
    design, source = _round_trip(TinyViT, (2, 3, 16, 16))
    blocks = _by_name(design)
    kind, params = blocks["class_token"]
    assert kind == "learned_tensor"
    assert (params["mode"], params["count"], params["init"]) == ("prepend", 1, "zeros")
    kind, params = blocks["pos_embedding"]
    assert (kind, params["mode"], params["init"]) == ("learned_tensor", "add", "randn")
    (encoder,) = [group for group in design.groups.values() if group.name == "encoder"]
    assert design.blocks[_id(design, "pos_embedding")].group == encoder.id
    assert "self.class_token.expand(" in source


def _id(design: Design, name: str) -> str:
    (found,) = [block.id for block in design.blocks.values() if block.name == name]
    return found


def test_a_learned_tensor_used_otherwise_is_reported_with_its_line() -> None:
    """The weight is named in the line of the operation that reads it, not in one of its own."""
    _, report = model_to_design(Scaled().eval(), (2, 8))
    (item,) = report.unmapped
    assert item.what == "operator.mul (reading self.scale)"
    assert item.where.endswith(f"transformer_models.py:{_line_of(Scaled, 'x * self.scale')}")


def _line_of(cls: type, text: str) -> int:
    lines, first = inspect.getsourcelines(cls)
    (found,) = [first + index for index, line in enumerate(lines) if text in line]
    return found


def test_functions_of_other_packages_keep_their_module_in_the_report() -> None:
    def shifted_window_attention() -> None: ...

    shifted_window_attention.__module__ = "torchvision.models.swin_transformer"
    assert function_name(shifted_window_attention) == (
        "torchvision.models.swin_transformer.shifted_window_attention"
    )
    assert function_name(torch.roll) == "torch.roll"


def test_causal_masks_become_the_causal_parameter() -> None:
    design, source = _round_trip(CausalBlock, (2, 6, 16))
    blocks = _by_name(design)
    assert blocks["attn"][0] == "multihead_attention" and blocks["attn"][1]["causal"] is True
    assert blocks["layer"][0] == "transformer_encoder_layer"
    assert blocks["layer"][1]["causal"] is True
    assert source.count("generate_square_subsequent_mask") == 2


def test_a_causal_encoder_is_one_causal_block() -> None:
    design, _ = _round_trip(CausalEncoder, (2, 5, 16))
    kind, params = _by_name(design)["encoder"]
    assert kind == "transformer_encoder" and params["causal"] is True


def test_a_mask_without_torchs_causal_hint_is_reported() -> None:
    _, report = model_to_design(CausalBlock(hinted=False).eval(), (2, 6, 16))
    lines = report.lines()
    assert any("the call of attn" in line and "attn_mask" in line for line in lines)
    assert any("torch.triu" in line for line in lines)


def test_a_module_list_whose_outputs_are_kept_is_a_kept_stack() -> None:
    design, source = _round_trip(Traced, (3, 4))
    kind, params = _by_name(design)["layers"]
    assert kind == "linear_stack"
    assert params["sizes"] == (8, 16) and params["keep_outputs"] is True
    assert "self.trace.append(" in source


def test_conv_blocks_whose_outputs_are_kept_are_a_kept_conv_stack() -> None:
    design, source = _round_trip(TracedConvBlocks, (2, 3, 8, 8))
    kind, params = _by_name(design)["blocks"]
    assert kind == "conv_stack"
    assert params["sizes"] == (8, 16) and params["keep_outputs"] is True
    assert "nn.ModuleList(" in source


def test_a_module_list_in_a_plain_loop_stays_its_layers() -> None:
    design, _ = model_to_design(Looped().eval(), (3, 4))
    kinds = sorted(block.kind for block in design.blocks.values())
    assert kinds == ["input", "linear", "linear", "output"]


def test_values_take_the_names_forward_gives_them() -> None:
    design, source = _round_trip(Named, (2, 8))
    names = {block.name for block in design.blocks.values() if block.kind in ("add", "mul")}
    assert "skip" in names and "x" not in names
    assert "skip = " in source


def test_a_sequential_spelled_out_is_a_group_and_one_built_from_a_list_a_stack() -> None:
    model = SpelledOut()
    assert is_spelled_out(model, "spelled", 2)
    assert not is_spelled_out(model, "listed", 2)
    design, source = _round_trip(SpelledOut, (2, 4))
    blocks = _by_name(design)
    assert blocks["listed"][0] == "linear_stack"
    assert "spelled" not in blocks
    assert "nn.Sequential(nn.Linear(4, 8), nn.Linear(8, 16))" in source


def test_learned_tensors_filled_with_randn_import_as_written(tmp_path: Path) -> None:
    """The import builds the model on meta, where values say nothing: the code says how a
    learned tensor is filled."""
    design = load_design(EXAMPLES / "vit_small.json")
    for block in list(design.blocks.values()):
        if block.kind == "learned_tensor":
            design.set_param(block.id, "init", "randn")
    compiled = compile_design(design)
    assert compiled.source.count("nn.Parameter(torch.randn(") == 2
    exported = tmp_path / "vit_randn.py"
    exported.write_text(compiled.source)
    request = ImportRequest(f"{exported}:{design.class_name}", {}, (1, 3, 32, 32))
    result = import_here(request)
    assert result.report.clean
    again = compile_design(result.design()).source
    assert again.split('"""', 2)[2] == compiled.source.split('"""', 2)[2]


def test_a_weightless_module_whose_calls_leave_no_block_may_run_twice() -> None:
    torch.manual_seed(0)
    original = CalledTwice().eval()
    design, report = model_to_design(original, (2, 8))
    assert report.clean, report.lines()
    rebuilt = build_model(compile_design(design), "cpu")
    rebuilt.load_state_dict(original.state_dict(), strict=True)
    example = torch.randn(2, 8)
    with torch.no_grad():
        torch.testing.assert_close(rebuilt.eval()(example), original(example))
