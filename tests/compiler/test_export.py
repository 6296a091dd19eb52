"""Exports: the .py, the .py with its state_dict, torch.export's .pt2 and ONNX."""

from __future__ import annotations

import importlib.util
import inspect
import re
import sys
import types
from pathlib import Path

import pytest
import torch
from torch import nn

from designer.compiler import (
    CompiledDesign,
    MissingExtraError,
    ModelRunError,
    build_model,
    compile_design,
    materialize,
)
from designer.compiler.errors import CompileError
from designer.compiler.export import (
    export_onnx,
    export_pt2,
    export_source,
    export_with_weights,
)
from designer.compiler.inputs import example_inputs, input_specs
from designer.compiler.summary import summary_text
from designer.graph import Design, load_design
from tests.paths import EXAMPLES


def example(name: str) -> tuple[Design, CompiledDesign]:
    design = load_design(EXAMPLES / f"{name}.json")
    return design, compile_design(design, f"{name}.json")


def two_inputs() -> Design:
    """``z`` (1x3, made first) and ``a`` (1x5) -> concat -> linear; returns both."""
    design = Design("TwoInputs")
    design.add_block("input", name="z", params={"shape": [1, 3]}, block_id="b1")
    design.add_block("input", name="a", params={"shape": [1, 5]}, block_id="b2")
    design.add_block("concat", name="joined", block_id="b3")
    design.add_block("linear", name="fc", params={"out_features": 4}, block_id="b4")
    design.add_block("output", name="features", block_id="b5")
    design.add_block("output", name="logits", block_id="b6")
    design.connect("b1", "b3", "in0")
    design.connect("b2", "b3", "in1")
    design.connect("b3", "b4")
    design.connect("b3", "b5")
    design.connect("b4", "b6")
    return design


def import_file(path: Path) -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(f"exported_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def batch_of(design: Design, size: int) -> tuple[torch.Tensor, ...]:
    return tuple(
        torch.rand(size, *spec.shape[1:], dtype=spec.dtype) for spec in input_specs(design)
    )


def as_tuple(output: torch.Tensor | tuple[torch.Tensor, ...]) -> tuple[torch.Tensor, ...]:
    return output if isinstance(output, tuple) else (output,)


def test_the_exported_py_is_the_compiled_source(tmp_path: Path) -> None:
    _, compiled = example("seed_final")
    path = export_source(compiled, tmp_path / "model.py")
    assert path.read_text() == compiled.source
    assert [entry.name for entry in tmp_path.iterdir()] == ["model.py"]  # no temporary left


def test_weights_load_into_a_fresh_instance_of_the_exported_class(tmp_path: Path) -> None:
    design, compiled = example("lenet5")
    model = materialize(build_model(compiled))
    source, weights = export_with_weights(compiled, tmp_path / "lenet.py", model)
    assert (source, weights) == (tmp_path / "lenet.py", tmp_path / "lenet.pt")
    assert source.read_text() == compiled.source
    fresh = getattr(import_file(source), compiled.class_name)().eval()
    fresh.load_state_dict(torch.load(weights, weights_only=True))
    sample = batch_of(design, 3)
    torch.testing.assert_close(fresh(*sample), model(*sample), rtol=0, atol=0)


def test_weights_need_a_module_path_that_is_not_theirs(tmp_path: Path) -> None:
    _, compiled = example("lenet5")
    with pytest.raises(CompileError, match="another suffix"):
        export_with_weights(compiled, tmp_path / "model.pt")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["seed_modulelist", "resnet_small"])
@pytest.mark.filterwarnings("ignore:The tensor attributes self.trace")  # a ModuleList's trace
def test_pt2_loads_and_matches_the_live_model_at_another_batch(name: str, tmp_path: Path) -> None:
    design, compiled = example(name)
    path = export_pt2(compiled, design, tmp_path / "model.pt2")
    program = torch.export.load(path)
    live = materialize(build_model(compiled))
    live.load_state_dict(program.state_dict)
    sample = batch_of(design, 3)  # traced with 2: the batch dimension is dynamic
    torch.testing.assert_close(program.module()(*sample), live(*sample))


def test_pt2_of_a_model_with_two_inputs_and_two_outputs(tmp_path: Path) -> None:
    design = two_inputs()
    compiled = compile_design(design)
    model = materialize(build_model(compiled))
    program = torch.export.load(export_pt2(compiled, design, tmp_path / "two.pt2", model))
    sample = batch_of(design, 3)
    exported = as_tuple(program.module()(*sample))
    assert [tensor.shape for tensor in exported] == [(3, 8), (3, 4)]
    torch.testing.assert_close(exported, as_tuple(model(*sample)))


def test_examples_follow_the_forward_arguments() -> None:
    design = two_inputs()
    model = build_model(compile_design(design))
    assert [spec.name for spec in input_specs(design)] == ["z", "a"]
    assert list(inspect.signature(model.forward).parameters) == ["z", "a"]
    assert [tensor.shape for tensor in example_inputs(design, min_batch=2)] == [(2, 3), (2, 5)]
    design.set_param("b1", "shape", [6, 3])
    design.set_param("b2", "dtype", "float64")
    z, a = example_inputs(design, min_batch=2, device="meta")
    assert (z.shape, a.shape, a.dtype, a.is_meta) == ((6, 3), (2, 5), torch.float64, True)


def test_an_export_that_fails_is_a_compile_error_not_a_traceback(tmp_path: Path) -> None:
    design, compiled = example("lenet5")
    model = materialize(build_model(compiled))
    model.classifier = nn.Linear(7, 7)  # no longer fits the features
    with pytest.raises(ModelRunError, match=r"^torch\.export failed: RuntimeError: "):
        export_pt2(compiled, design, tmp_path / "model.pt2", model)
    assert list(tmp_path.iterdir()) == []


def test_a_model_without_weights_or_a_changed_design_is_refused(tmp_path: Path) -> None:
    design, compiled = example("lenet5")
    with pytest.raises(CompileError, match="meta device"):
        export_pt2(compiled, design, tmp_path / "model.pt2", build_model(compiled))
    design.set_class_name("Renamed")
    with pytest.raises(CompileError, match="compile it again"):
        export_pt2(compiled, design, tmp_path / "model.pt2")


def test_onnx_without_the_extra_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    design, compiled = example("lenet5")
    monkeypatch.setitem(sys.modules, "onnxscript", None)  # import onnxscript now fails
    with pytest.raises(MissingExtraError) as error:
        export_onnx(compiled, design, tmp_path / "model.onnx")
    assert "needs the packages onnx and onnxscript (missing: " in str(error.value)
    assert "pip install 'torch-designer[onnx]'" in str(error.value)
    assert isinstance(error.value, CompileError)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.filterwarnings("ignore:.*LeafSpec.* is deprecated:FutureWarning")  # in torch
def test_onnx_runs_in_onnxruntime_at_another_batch(tmp_path: Path) -> None:
    pytest.importorskip("onnxscript")
    onnxruntime = pytest.importorskip("onnxruntime")
    design, compiled = example("resnet_small")
    model = materialize(build_model(compiled))
    path = export_onnx(compiled, design, tmp_path / "model.onnx", model)
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (declared,) = session.get_inputs()
    assert declared.name == "x" and declared.shape[1:] == [3, 32, 32]
    assert isinstance(declared.shape[0], str)  # symbolic: the batch is dynamic
    (sample,) = batch_of(design, 3)
    (output,) = session.run(None, {"x": sample.numpy()})
    torch.testing.assert_close(torch.from_numpy(output), model(sample), rtol=1e-4, atol=1e-5)


def test_inputs_of_different_batch_sizes_export_with_their_own_batch_dims(
    tmp_path: Path,
) -> None:
    design = two_inputs()  # z 4x3 and a 1x3, joined along the batch
    design.set_param("b1", "shape", [4, 3])
    design.set_param("b2", "shape", [1, 3])
    design.set_param("b3", "dim", 0)
    compiled = compile_design(design)
    model = materialize(build_model(compiled))
    path = export_pt2(compiled, design, tmp_path / "m.pt2", model)
    program = torch.export.load(path).module()
    z, a = torch.rand(5, 3), torch.rand(2, 3)
    torch.testing.assert_close(as_tuple(program(z, a)), as_tuple(model(z, a)))


def test_written_files_keep_an_existing_files_permissions(tmp_path: Path) -> None:
    _, compiled = example("lenet5")
    target = tmp_path / "model.py"
    target.write_text("old")
    target.chmod(0o640)
    export_source(compiled, target)
    assert target.stat().st_mode & 0o777 == 0o640
    fresh = export_source(compiled, tmp_path / "new.py")
    assert fresh.stat().st_mode & 0o077 != 0  # not mkstemp's private 0600


def test_summary_of_a_real_model_with_buffers_only() -> None:
    design = Design("Norm")
    x = design.add_block("input", name="x", params={"shape": [2, 3]})
    norm = design.add_block("batch_norm1d", name="norm", params={"affine": False})
    out = design.add_block("output", name="y")
    design.connect(x.id, norm.id)
    design.connect(norm.id, out.id)
    model = materialize(build_model(compile_design(design)))
    assert re.search(r"^norm +BatchNorm1d +2x3 +0$", summary_text(model, design), re.MULTILINE)
