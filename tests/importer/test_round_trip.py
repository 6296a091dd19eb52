"""Import -> compile -> strict load -> equal outputs, for the seed's models and a ResNet-like
model written here, and the fixpoint: design -> exported code -> import -> identical code."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn

from designer.compiler import compile_design
from designer.compiler.live import build_model
from designer.graph import Design, load_design
from designer.importer.loading import ImportRequest, import_here, model_to_design
from designer.importer.report import ImportReport
from tests.importer.models import Attention, TinyResNet, Tokens
from tests.paths import EXAMPLES
from tests.seed_models import SEED_MODELS


def _imported(model: nn.Module, shape: tuple[int, ...], dtype: str = "float32") -> nn.Module:
    design, report = model_to_design(model, shape, dtype)
    assert report.clean, report.lines()
    return _compiled(design)


def _compiled(design: Design) -> nn.Module:
    return build_model(compile_design(design), "cpu")


def _assert_same(original: nn.Module, rebuilt: nn.Module, example: torch.Tensor) -> None:
    rebuilt.load_state_dict(original.state_dict(), strict=True)
    original.eval()
    rebuilt.eval()
    with torch.no_grad():
        torch.testing.assert_close(rebuilt(example), original(example))


@pytest.mark.parametrize("name", sorted(SEED_MODELS))
def test_seed_model_round_trip(name: str) -> None:
    factory, shape = SEED_MODELS[name]
    torch.manual_seed(0)
    original = factory()
    rebuilt = _imported(factory().eval(), shape)
    _assert_same(original, rebuilt, torch.randn(shape))
    assert str(rebuilt) == str(original)


def test_resnet_like_model_with_a_shared_relu() -> None:
    """Each BasicBlock calls its ``relu`` twice: the first call stays the module (so the
    state_dict and print(model) keep it), the second is applied as ``F.relu``, which gives the
    same values (ReLU has no weights)."""
    torch.manual_seed(0)
    original = TinyResNet(7)
    design, report = model_to_design(TinyResNet(7).eval(), (2, 3, 32, 32))
    assert report.clean
    (note,) = [note for note in report.notes if "called again" in note]
    assert note.startswith("layer1.0.relu, layer1.1.relu, layer2.0.relu and 1 more are called")
    compiled = compile_design(design)
    assert "return F.relu(out)" in compiled.source
    rebuilt = build_model(compiled, "cpu")
    _assert_same(original, rebuilt, torch.randn(2, 3, 32, 32))
    # sized differently only, BasicBlocks share one class taking the sizes as arguments;
    # the one with a downsample is built differently and gets a class of its own
    source = compiled.source
    assert "class BasicBlock(nn.Module):\n    def __init__(self, channels: int)" in source
    assert "nn.Sequential(BasicBlock(16), BasicBlock(16))" in source
    assert "nn.Sequential(BasicBlock2(), BasicBlock(32))" in source
    assert str(rebuilt).replace("BasicBlock2", "BasicBlock") == str(original)


def test_functions_methods_and_several_outputs() -> None:
    torch.manual_seed(0)
    original = Tokens()
    rebuilt = _imported(Tokens().eval(), (2, 5), "int64")
    kinds = {
        block.kind for block in model_to_design(Tokens().eval(), (2, 5), "int64")[0].blocks.values()
    }
    assert {"lstm", "concat", "permute", "softmax", "mean", "slice", "mul"} <= kinds
    _assert_same(original, rebuilt, torch.randint(0, 50, (2, 5)))
    assert str(rebuilt) == str(original)


def test_attention_and_a_torch_nn_layer() -> None:
    torch.manual_seed(0)
    original = Attention()
    design, _ = model_to_design(Attention().eval(), (2, 4, 8))
    kinds = {block.name: block.kind for block in design.blocks.values()}
    assert kinds["attn"] == "multihead_attention" and kinds["act"] == "torch_layer"
    rebuilt = _imported(Attention().eval(), (2, 4, 8))
    _assert_same(original, rebuilt, torch.randn(2, 4, 8))


def _body(source: str) -> str:
    """The source past its header docstring (which names the file and the design's digest)."""
    return source.split('"""', 2)[2]


FIXPOINTS = ("seed_flat_cnn", "m5_audio", "lstm_classifier", "lenet5", "resnet_small",
             "unet_small", "video_3d", "seed_final", "gpt_small", "vit_small", "seed_modulelist",
             "seed_encoder", "seed_encoder_decoder", "seed_encoder_sizes", "seed_modules",
             "seed_sequential")  # fmt: skip


@pytest.mark.parametrize("name", FIXPOINTS)
def test_exported_example_imports_to_the_same_code(name: str, tmp_path: Path) -> None:
    design = load_design(EXAMPLES / f"{name}.json")
    compiled = compile_design(design)
    exported = tmp_path / f"{name}.py"
    exported.write_text(compiled.source)
    (given,) = [block for block in design.blocks.values() if block.kind == "input"]
    shape = given.params["shape"]
    assert isinstance(shape, tuple)
    request = ImportRequest(
        f"{exported}:{design.class_name}", {}, shape, str(given.params["dtype"])
    )
    result = import_here(request)
    assert result.report == ImportReport()
    assert _body(compile_design(result.design()).source) == _body(compiled.source)
