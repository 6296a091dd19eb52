"""Checks that an exported model works where it lands: the ``.py`` imports, builds, takes its
weights and runs; the ``.pt2`` loads and runs at another batch size."""

from __future__ import annotations

import importlib.util
import sys
import types
from pathlib import Path

import torch

from designer.compiler import compile_design
from designer.compiler.inputs import input_specs
from designer.graph import Design


def import_file(path: Path) -> types.ModuleType:
    """The module at ``path``, executed as a file an exported model's user would import."""
    name = f"exported_{path.stem}_{abs(hash(str(path)))}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[name]
    return module


def batch_of(design: Design, size: int) -> tuple[torch.Tensor, ...]:
    return tuple(
        torch.rand(size, *spec.shape[1:], dtype=spec.dtype) for spec in input_specs(design)
    )


def check_py_export(design: Design, source: Path, weights: Path | None) -> None:
    """The exported module (the compiled source, header aside) imports, builds, loads the
    weights with ``weights_only=True`` and runs a forward pass on the design's input shape."""
    compiled = compile_design(design)
    assert source.read_text().split("\n", 1)[1] == compiled.source.split("\n", 1)[1]
    model_class = getattr(import_file(source), compiled.class_name)
    model = model_class().eval()
    if weights is not None:
        state = torch.load(weights, weights_only=True)
        assert set(state) == set(model.state_dict())
        model.load_state_dict(state)
    sample = batch_of(design, 2)
    with torch.no_grad():
        output = model(*sample)
    assert isinstance(output, torch.Tensor) and output.shape[0] == 2
    assert torch.isfinite(output).all()
    if weights is not None:  # the weights are what decides the output
        again = model_class().eval()
        again.load_state_dict(torch.load(weights, weights_only=True))
        with torch.no_grad():
            torch.testing.assert_close(again(*sample), output)


def check_pt2_export(design: Design, path: Path) -> None:
    program = torch.export.load(path)
    sample = batch_of(design, 3)  # traced with another batch: the batch dimension is dynamic
    output = program.module()(*sample)
    assert isinstance(output, torch.Tensor) and output.shape[0] == 3
    assert torch.isfinite(output).all()
