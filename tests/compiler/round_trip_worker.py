"""Import exported model files in a process of their own and report what they build.

Run as a script, it answers requests on stdin, one JSON object a line, with the keys
``source``, ``class_name``, ``dtype``, ``state``, ``inputs`` and ``results``. For each it
imports the ``.py`` file by path (as a user's script would), instantiates the class in the
inputs' dtype and in eval mode, notes ``str(model)`` and the state_dict's keys, shapes and
dtypes, loads the saved weights, runs the saved inputs and saves what comes out (outputs and
kept traces) to ``results``. It answers one JSON line per request; a failure is reported, not
fatal.

It imports only torch and the standard library: the exported file must stand alone, so the
answer also says whether anything imported the designer.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import traceback
from pathlib import Path
from typing import Any

import torch
from torch import nn

Results = dict[str, list[torch.Tensor]]


def run_model(model: nn.Module, inputs: list[torch.Tensor]) -> Results:
    """The model's outputs, and every trace a ``keep_outputs`` stack left, by name."""
    with torch.no_grad():
        result = model(*inputs)
    outputs = list(result) if isinstance(result, tuple) else [result]
    results: Results = {"outputs": outputs}
    for path, module in model.named_modules():
        for name, value in vars(module).items():
            if isinstance(value, list) and all(isinstance(item, torch.Tensor) for item in value):
                results[f"{path}.{name}" if path else name] = value
    return results


def state_summary(model: nn.Module) -> list[list[Any]]:
    """Each state_dict entry's key, shape and dtype, in order."""
    return [[key, list(value.shape), str(value.dtype)] for key, value in model.state_dict().items()]


def _load(path: str, module_name: str) -> Any:
    spec = importlib.util.spec_from_file_location(module_name, path)
    assert spec is not None and spec.loader is not None, f"can't import {path}"
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


def answer(request: dict[str, str], number: int) -> dict[str, Any]:
    module = _load(request["source"], f"exported_model_{number}")
    # as the header says: the class builds in the default dtype, the inputs' dtype is asked for
    model = getattr(module, request["class_name"])().to(getattr(torch, request["dtype"])).eval()
    printed = str(model)
    state = state_summary(model)
    model.load_state_dict(torch.load(request["state"], weights_only=True))
    inputs = torch.load(request["inputs"], weights_only=True)
    torch.save(run_model(model, inputs), request["results"])
    return {
        "printed": printed,
        "state": state,
        "doc": module.__doc__,
        "designer_imported": any(name.split(".")[0] == "designer" for name in sys.modules),
    }


def main() -> None:
    for number, line in enumerate(sys.stdin):
        try:
            reply = {"ok": True, **answer(json.loads(line), number)}
        except Exception:
            reply = {"ok": False, "error": traceback.format_exc()}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    sys.path.remove(str(Path(__file__).resolve().parent))  # nothing of the tests' own
    main()
