"""Run generated source as a real module, and build the model it defines.

The source runs under a unique module name registered in ``sys.modules`` and ``linecache``, so
tracebacks, ``inspect.getsource`` and pickling see the generated lines. A failure leaves
nothing half-registered behind. Models are built on the meta device (instant, no memory) and
given real storage only when weights are needed.
"""

from __future__ import annotations

import hashlib
import linecache
import sys
import traceback
import types
from collections import OrderedDict
from typing import cast

import torch
from torch import nn

from designer.compiler.collection_pause import collection_paused
from designer.compiler.compile import CompiledDesign
from designer.compiler.construction import construction_device
from designer.compiler.errors import GeneratedCodeError
from designer.compiler.inputs import torch_dtype
from designer.compiler.safety import checked_tree, module_builtins

MODULE_PREFIX = "designer_generated_"
KEPT_MODULES = 32
"""Generated modules kept registered; older ones are dropped so edits don't pile them up."""
_loaded: OrderedDict[str, str] = OrderedDict()


def load_source(source: str) -> types.ModuleType:
    """The module ``source`` defines, executed once per distinct text."""
    tree = checked_tree(source)
    name = MODULE_PREFIX + hashlib.sha256(source.encode()).hexdigest()[:16]
    if name in sys.modules:
        _loaded.move_to_end(name)
        return sys.modules[name]
    filename = f"<{name}>"
    lines = source.splitlines(keepends=True)
    linecache.cache[filename] = (len(source), None, lines, filename)
    module = types.ModuleType(name)
    module.__file__ = filename
    sys.modules[name] = module
    module.__dict__["__builtins__"] = module_builtins()  # nothing to call beyond what it uses
    try:  # the source passed the allow-list above: it only defines and builds a model
        exec(compile(tree, filename, "exec"), module.__dict__)
    except Exception as error:
        del sys.modules[name]
        del linecache.cache[filename]
        raise _generated_error("defining the model failed", error, filename, lines) from error
    _loaded[name] = filename
    while len(_loaded) > KEPT_MODULES:
        _forget(*_loaded.popitem(last=False))
    return module


def _forget(name: str, filename: str) -> None:
    """Unregister an old generated module; models built from it keep working (not pickling)."""
    sys.modules.pop(name, None)
    linecache.cache.pop(filename, None)


@collection_paused()
def build_model(compiled: CompiledDesign, device: str | torch.device = "meta") -> nn.Module:
    """A fresh instance of the compiled model, in eval mode, in the dtype its inputs declare;
    on meta unless told otherwise."""
    module = load_source(compiled.source)
    model_class = cast(type[nn.Module], getattr(module, compiled.class_name))
    filename = cast(str, module.__file__)
    try:
        with construction_device(device):
            model = model_class()
    except Exception as error:
        lines = linecache.getlines(filename)
        raise _generated_error("building the model failed", error, filename, lines) from error
    dtype = torch_dtype(compiled.dtype)
    if dtype != torch.get_default_dtype():
        model.to(dtype=dtype)  # the code builds in the default dtype; the inputs decide
    return model.eval()


def model_device(model: nn.Module) -> torch.device:
    """Where a model's weights and buffers live (meta before ``materialize``)."""
    tensor = next(iter([*model.parameters(), *model.buffers()]), None)
    return torch.device("cpu") if tensor is None else tensor.device


def materialize(model: nn.Module, device: str | torch.device = "cpu") -> nn.Module:
    """Give a meta model real, freshly initialised weights and buffers on ``device``.

    Each module initialises its own weights (``reset_parameters``; MultiheadAttention's is
    private). A tensor no module initialises (a learned tensor, ``nn.Parameter``) starts at
    zeros: it is never left holding whatever memory it was given."""
    model.to_empty(device=device)
    with torch.no_grad():
        for submodule in model.modules():
            reset = getattr(submodule, "reset_parameters", None) or getattr(
                submodule, "_reset_parameters", None
            )
            if callable(reset):
                reset()
            else:
                for parameter in submodule.parameters(recurse=False):
                    parameter.zero_()
    return model


def _generated_error(
    what: str, error: Exception, filename: str, lines: list[str]
) -> GeneratedCodeError:
    frames = [
        frame for frame in traceback.extract_tb(error.__traceback__) if frame.filename == filename
    ]
    if not frames or frames[-1].lineno is None:
        return GeneratedCodeError(f"{what}: {type(error).__name__}: {error}")
    number = frames[-1].lineno
    line = lines[number - 1].strip() if 0 < number <= len(lines) else "?"
    return GeneratedCodeError(
        f"{what} at generated line {number}: {line}\n{type(error).__name__}: {error}"
    )
