"""Tracing a model with torch.fx: a tracer whose leaves are the modules the catalogue knows,
the source line of every node, and each node's value on the meta device.

Everything that is no leaf (the user's own classes, containers) is traced through, so its
operations reach the graph one by one and its module path survives in each node's
``nn_module_stack``.
"""

from __future__ import annotations

import keyword
import re
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import fx, nn

from designer.importer.report import ImportFailedError

_FRAME = re.compile(r'File "(?P<file>[^"]+)", line (?P<line>\d+)')
_TORCH_DIR = str(Path(torch.__file__).parent / "_")[:-1]
_IMPORTER_DIR = str(Path(__file__).parent / "_")[:-1]
CONTROL_FLOW_ADVICE = (
    "the model branches on a tensor's values, which a design can't: make the branch "
    "depend on constructor arguments, or move it out of forward"
)


def _is_user_file(path: str) -> bool:
    return not (path.startswith(_TORCH_DIR) or path.startswith(_IMPORTER_DIR))


def user_line(stack_trace: str | None) -> str:
    """``file:line`` of the innermost frame of the model's own code in an fx stack trace."""
    if not stack_trace:
        return ""
    frames = [(m["file"], m["line"]) for m in _FRAME.finditer(stack_trace)]
    users = [f"{path}:{line}" for path, line in frames if _is_user_file(path)]
    return users[-1] if users else ""


def _exception_line(error: BaseException) -> str:
    frames = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if _is_user_file(frame.filename)
    ]
    if not frames:
        return ""
    frame = frames[-1]
    code = f" ({frame.line.strip()})" if frame.line else ""
    return f"{frame.filename}:{frame.lineno}{code}"


class CatalogueTracer(fx.Tracer):
    """Leaves are the modules ``is_leaf`` accepts (those a kind stands for); the rest is
    traced through."""

    def __init__(self, is_leaf: Callable[[nn.Module], bool]) -> None:
        super().__init__()
        self._is_leaf = is_leaf
        self.record_stack_traces = True

    def is_leaf_module(self, m: nn.Module, module_qualified_name: str) -> bool:
        return self._is_leaf(m)


def trace(model: nn.Module, is_leaf: Callable[[nn.Module], bool]) -> fx.GraphModule:
    """The model's graph; data-dependent control flow (and whatever else fx can't follow) is
    refused with the line of the model's code where it happens."""
    # decided before tracing: reading a module's weights while tracing records them in the graph
    leaves = {id(module) for module in model.modules() if is_leaf(module)}
    tracer = CatalogueTracer(lambda module: id(module) in leaves)
    try:
        graph = tracer.trace(model)
    except fx.proxy.TraceError as error:
        where = _exception_line(error)
        raise ImportFailedError(
            f"{where or 'forward'}: {CONTROL_FLOW_ADVICE} (torch.fx: {_first_line(error)})"
        ) from None
    except Exception as error:  # the user's forward, run on proxies: anything may go wrong
        where = _exception_line(error)
        raise ImportFailedError(
            f"{where or 'forward'}: torch.fx can't trace this ({type(error).__name__}: "
            f"{_first_line(error)}); a design holds operations on tensors whose flow doesn't "
            "depend on their values"
        ) from None
    try:
        return fx.GraphModule(tracer.root, graph, type(model).__name__)
    except SyntaxError:  # fx writes module paths into Python: a keyword can't be one of them
        keywords = [
            path
            for path, _ in model.named_modules()
            if any(keyword.iskeyword(part) for part in path.split("."))
        ]
        shown = ", ".join(keywords[:3]) or "a module"
        raise ImportFailedError(
            f"torch.fx can't trace a model with a module named with a Python keyword ({shown}): "
            "rename it"
        ) from None


@dataclass(frozen=True, slots=True)
class Traced:
    module: fx.GraphModule
    values: dict[fx.Node, Any]
    """Each node's value on the meta device (tensors, sizes, tuples of them)."""


class _Recorder(fx.Interpreter):
    def __init__(self, module: fx.GraphModule) -> None:
        super().__init__(module)
        self.values: dict[fx.Node, Any] = {}

    def run_node(self, n: fx.Node) -> Any:
        try:
            result = super().run_node(n)
        except Exception as error:
            place = user_line(n.stack_trace)
            raise ImportFailedError(
                f"{place + ': ' if place else ''}the model rejects the input "
                f"({type(error).__name__}: {_first_line(error)})"
            ) from None
        self.values[n] = result
        return result


def record_values(module: fx.GraphModule, inputs: list[torch.Tensor]) -> Traced:
    recorder = _Recorder(module)
    with torch.no_grad():
        recorder.run(*inputs)
    return Traced(module, recorder.values)


def _first_line(error: BaseException) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    text = lines[0] if lines else type(error).__name__
    return text if len(text) <= 200 else text[:197] + "..."
