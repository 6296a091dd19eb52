"""Export a compiled design: the ``.py``, the ``.py`` with weights, ONNX and ``torch.export``.

Every format starts from the one compiled source, so what is exported is what runs live.
Weights are freshly initialised unless a model is given (the live model, after training, say);
a given model is exported as it is, in its mode and on its device (a built one is in eval mode).
The ONNX and ``.pt2`` exports trace the model with an example batch of at least 2 and keep the
batch dimension dynamic: the exported model takes any batch size. TorchScript is not offered:
it is deprecated in favour of ``torch.export``.

- ``.py``: ``from model import MyModel; model = MyModel()``.
- ``.py`` and weights (``model.py`` and ``model.pt``, a ``state_dict``)::

      import torch
      from model import MyModel

      model = MyModel()
      model.load_state_dict(torch.load("model.pt", weights_only=True))

- ``.onnx``: ``onnxruntime.InferenceSession("model.onnx")``; needs the ``onnx`` extra
  (``pip install 'torch-designer[onnx]'``).
- ``.pt2``: ``torch.export.load("model.pt2").module()``.
"""

from __future__ import annotations

import importlib
import io
import logging
import tempfile
from pathlib import Path

import torch
from torch import nn

from designer.compiler.compile import CompiledDesign, design_digest
from designer.compiler.errors import (
    CompileError,
    MissingExtraError,
    ModelRunError,
    first_line,
)
from designer.compiler.inputs import example_inputs
from designer.compiler.live import build_model, materialize, model_device
from designer.graph import Design
from designer.graph.fileformat import write_atomically

EXAMPLE_BATCH = 2
"""The least batch traced: with 1, torch would fix the batch dimension to 1."""
ONNX_EXTRA = "pip install 'torch-designer[onnx]'"

log = logging.getLogger(__name__)


def export_source(compiled: CompiledDesign, path: Path) -> Path:
    """Write the generated module, exactly the source that runs live."""
    write_atomically(path, compiled.source.encode())
    log.info("wrote %s", path)
    return path


def weights_path(path: Path) -> Path:
    """Where the weights of the module at ``path`` go: ``model.py`` -> ``model.pt``."""
    return path.with_suffix(".pt")


def export_with_weights(
    compiled: CompiledDesign, path: Path, model: nn.Module | None = None
) -> tuple[Path, Path]:
    """Write the module and, next to it, the ``state_dict`` of ``model`` (fresh if None).

    Load it with ``model.load_state_dict(torch.load("model.pt", weights_only=True))``.
    """
    weights = weights_path(path)
    if weights == path:
        raise CompileError(f"{path}: the module's file needs another suffix than .pt (model.py)")
    model = _real_model(compiled, model)
    state = {name: tensor.cpu() for name, tensor in model.state_dict().items()}
    buffer = io.BytesIO()
    torch.save(state, buffer)
    source = export_source(compiled, path)  # first: a failure then leaves no stray weights
    write_atomically(weights, buffer.getvalue())
    log.info("wrote %s", weights)
    return source, weights


def export_pt2(
    compiled: CompiledDesign, design: Design, path: Path, model: nn.Module | None = None
) -> Path:
    """Write ``torch.export``'s program of the model, batch dynamic, to a ``.pt2`` file."""
    _check_current(compiled, design)
    model = _real_model(compiled, model)
    inputs = example_inputs(design, min_batch=EXAMPLE_BATCH, device=model_device(model))
    try:
        program = torch.export.export(model, inputs, dynamic_shapes=_dynamic_batch(inputs))
    except Exception as error:
        raise _run_error("torch.export", error) from error
    buffer = io.BytesIO()
    torch.export.save(program, buffer)
    write_atomically(path, buffer.getvalue())
    log.info("wrote %s", path)
    return path


def export_onnx(
    compiled: CompiledDesign, design: Design, path: Path, model: nn.Module | None = None
) -> Path:
    """Write the model as ONNX (``torch.onnx.export(dynamo=True)``), batch dynamic.

    Needs ``onnx`` and ``onnxscript``: ``MissingExtraError`` says how to install them. A model
    over 2 GB keeps its weights in a ``.data`` file next to ``path``, as ONNX requires.
    """
    _require_onnx()
    _check_current(compiled, design)
    model = _real_model(compiled, model)
    inputs = example_inputs(design, min_batch=EXAMPLE_BATCH, device=model_device(model))
    try:
        program = torch.onnx.export(
            model, inputs, dynamo=True, dynamic_shapes=_dynamic_batch(inputs), verbose=False
        )
    except Exception as error:
        raise _run_error("ONNX export", error) from error
    assert program is not None  # dynamo=True always returns the program
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=f".{path.name}.") as folder:
        staged = Path(folder) / path.name
        program.save(staged)  # then moved in whole: a failed save leaves the old file as it was
        write_atomically(path, staged.read_bytes())
    log.info("wrote %s", path)
    return path


def export_design(
    compiled: CompiledDesign, design: Design, format: str, path: Path, weights: bool = False
) -> list[Path]:
    """Write ``format`` (``py``, ``onnx`` or ``pt2``; ``weights`` with ``py``): the paths."""
    if format == "py" and weights:
        return list(export_with_weights(compiled, path))
    if format == "py":
        return [export_source(compiled, path)]
    if format == "onnx":
        return [export_onnx(compiled, design, path)]
    if format == "pt2":
        return [export_pt2(compiled, design, path)]
    raise CompileError(f"unknown export format {format!r}; choose py, onnx or pt2")


def _require_onnx() -> None:
    missing = []
    for name in ("onnx", "onnxscript"):
        try:
            importlib.import_module(name)
        except ImportError:
            missing.append(name)
    if missing:
        raise MissingExtraError(
            f"ONNX export needs the packages onnx and onnxscript (missing: {', '.join(missing)}): "
            f"{ONNX_EXTRA}"
        )


def _real_model(compiled: CompiledDesign, model: nn.Module | None) -> nn.Module:
    if model is None:
        parameters = compiled.report.total_parameters
        try:
            return materialize(build_model(compiled), "cpu")
        except (RuntimeError, MemoryError) as error:
            raise ModelRunError(
                f"no memory for the weights of {parameters:,} parameters "
                f"({parameters * 4 / 2**30:,.1f} GiB in float32): {first_line(error)}"
            ) from error
    if any(tensor.is_meta for tensor in [*model.parameters(), *model.buffers()]):
        raise CompileError("the model has no weights (it is on the meta device): materialize it")
    return model


def _check_current(compiled: CompiledDesign, design: Design) -> None:
    """The example inputs come from ``design``: it must be the design compiled."""
    if design_digest(design) != compiled.design_digest:
        raise CompileError("the design changed since it was compiled: compile it again")


def _dynamic_batch(inputs: tuple[torch.Tensor, ...]) -> tuple[dict[int, torch.export.Dim], ...]:
    """Dimension 0 of every input is dynamic; inputs of one batch size share one dimension."""
    dims: dict[int, torch.export.Dim] = {}
    for tensor in inputs:
        size = tensor.shape[0]
        if size not in dims:
            dims[size] = torch.export.Dim("batch" if not dims else f"batch{len(dims)}", min=1)
    return tuple({0: dims[tensor.shape[0]]} for tensor in inputs)


def _run_error(what: str, error: Exception) -> ModelRunError:
    """The error at the root: torch's exporters wrap it in pages of advice."""
    root: BaseException = error
    while root.__cause__ is not None:
        root = root.__cause__
    return ModelRunError(f"{what} failed: {type(root).__name__}: {first_line(root)}")
