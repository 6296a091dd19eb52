"""Test-only oracle: run the code a catalogue entry writes, on the meta device.

``code_outcome`` asks the entry for its code (as the compiler would), runs the constructor and
the forward expression with torch and reports the output shape(s) and the parameter count, or
why torch refused. A kind's shape and parameter rules are checked against it, so each entry is
tested through the very code users get, with no second description of the kind to keep in step.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch

from designer.compiler.emit import _helpers, _imports
from designer.graph.block_code import CodeContext, Needs
from designer.graph.kind import BlockKind
from tests.reference_torch import TORCH_ERRORS, TorchOutcome

Shape = tuple[int, ...]


def _namespace(needs: Needs) -> dict[str, object]:
    namespace: dict[str, object] = {}
    exec(_imports(needs) + "\n\n" + "\n\n".join(_helpers(needs)), namespace)
    return namespace


def _tensor(kind: BlockKind, shape: Shape, device: torch.device) -> torch.Tensor:
    if kind.takes_indices:  # an Embedding looks up integer indices
        return torch.zeros(shape, dtype=torch.long, device=device)
    return torch.empty(shape, device=device)


def code_outcome(
    kind: BlockKind,
    params: Mapping[str, object],
    inputs: Sequence[Shape],
    device: torch.device,
) -> TorchOutcome:
    """Build the entry's code for these parameters and inputs and run it on ``device``."""
    needs = Needs()
    context = CodeContext(params, inputs, needs, "sizes", kind.torch_defaults)  # type: ignore[arg-type]
    try:
        code = kind.code(context)
        namespace = _namespace(needs)
        tensors = [_tensor(kind, shape, device) for shape in inputs]
        with device:
            for line in code.setup:
                exec(line, namespace)
            module = None
            if code.constructor is not None:
                module = eval(code.constructor, namespace)
                if isinstance(module, torch.nn.Module):
                    module.eval()
        names = [f"input_{index}" for index in range(len(tensors))]
        namespace.update(zip(names, tensors, strict=True))
        namespace["module"] = module
        with torch.no_grad():
            if code.statement is not None:
                output = eval(code.statement(names), namespace)
            elif code.call is not None:
                output = eval(code.call("module", names), namespace)
            elif code.keeps_outputs:
                output = tensors[0]
                for layer in module:  # type: ignore[union-attr]
                    output = layer(output)
            else:
                output = module(*tensors)  # type: ignore[misc]
    except TORCH_ERRORS as error:
        return TorchOutcome(None, None, f"{type(error).__name__}: {error}")
    shape = _first_tensor_shape(output)
    if 0 in shape:
        return TorchOutcome(None, None, f"zero-size output {shape}")
    if kind.several_outputs:
        others = tuple(tuple(tensor.shape) for tensor in _tensors(output)[1:])
        shape = (shape, *others)  # type: ignore[assignment]
    if isinstance(module, torch.nn.Parameter):  # a learned tensor
        parameters = module.numel()
    else:
        parameters = sum(p.numel() for p in module.parameters()) if module is not None else 0
    return TorchOutcome(shape, parameters)


def _tensors(output: object) -> list[torch.Tensor]:
    """The tensors of a (nested) tuple, in order: an LSTM's ``out, (h_n, c_n)``."""
    if isinstance(output, torch.Tensor):
        return [output]
    assert isinstance(output, tuple | list)
    return [tensor for item in output for tensor in _tensors(item)]


def _first_tensor_shape(output: object) -> Shape:
    """The main output's shape: a tensor, or the first tensor of a (nested) tuple."""
    while isinstance(output, tuple | list):
        output = output[0]
    assert isinstance(output, torch.Tensor)
    return tuple(output.shape)
