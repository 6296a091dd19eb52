"""Loading the user's model and importing it, in a spawned process with a time limit.

Importing runs the model's own code (its file, its constructor, its ``forward`` on proxies):
that is the point, and it happens in a child process, never in the caller's, so an endless
loop, a ``sys.exit`` or a crash ends the child and not the caller. The model is built on the
meta device where it can be (no memory for its weights), and its forward is traced and run on
meta tensors of the input's shape.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import multiprocessing
import os
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from designer.graph import Design
from designer.graph.fileformat import LiteralValueError, dumps_design, loads_design, strict_json
from designer.importer.report import ImportFailedError, ImportReport

DEFAULT_TIMEOUT = 120.0
"""Seconds the child may take to load, build and trace a model."""
DTYPES = ("float32", "float16", "bfloat16", "float64", "int64")
_ANSWER_GRACE = 10.0


@dataclass(frozen=True, slots=True)
class ImportRequest:
    source: str
    """``path/to/file.py:Name`` or ``package.module:name`` (``Name`` may be dotted)."""
    kwargs: dict[str, Any]
    input_shape: tuple[int, ...]
    dtype: str = "float32"


@dataclass(frozen=True, slots=True)
class ImportResult:
    design_text: str
    """The design in the file format, laid out."""
    report: ImportReport

    def design(self) -> Design:
        return loads_design(self.design_text)


# --- the command line's values -------------------------------------------------------------


def parse_kwargs(text: str | None) -> dict[str, Any]:
    """``--args``: a JSON object of keyword arguments, literal JSON only."""
    if text is None:
        return {}
    try:
        value = strict_json(text)
    except (LiteralValueError, ValueError) as error:
        raise ImportFailedError(f"--args is not literal JSON: {error}") from None
    if not isinstance(value, dict):
        raise ImportFailedError(
            f'--args must be a JSON object of keyword arguments ({{"in_c": 1}}), got a '
            f"{type(value).__name__}"
        )
    return value


def parse_input_shape(text: str) -> tuple[int, ...]:
    """``--input-shape 1,3,32,32``: sizes of at least 1, batch first."""
    parts = [part.strip() for part in text.split(",")]
    if not all(part.isdigit() and int(part) >= 1 for part in parts):
        raise ImportFailedError(
            f"--input-shape must be sizes of at least 1 separated by commas (1,3,32,32), got "
            f"{text!r}"
        )
    return tuple(int(part) for part in parts)


def parse_dtype(text: str) -> str:
    aliases = {"fp32": "float32", "fp16": "float16", "bf16": "bfloat16", "fp64": "float64"}
    dtype = aliases.get(text, text)
    if dtype not in DTYPES:
        raise ImportFailedError(f"--dtype must be one of {', '.join(DTYPES)}, got {text!r}")
    return dtype


# --- in the child ---------------------------------------------------------------------------


def _user_frame(error: BaseException) -> str:
    importer = str(Path(__file__).parent)
    frames = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if not frame.filename.startswith(importer) and "importlib" not in frame.filename
    ]
    return f" ({frames[-1].filename}:{frames[-1].lineno})" if frames else ""


def _first_line(error: BaseException) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return f"{type(error).__name__}: {lines[0] if lines else ''}".rstrip(": ")


def _load_module(target: str) -> Any:
    if target.endswith(".py") or "/" in target or os.sep in target:
        path = Path(target)
        if not path.is_file():
            raise ImportFailedError(f"{target}: no such file")
        name = f"torch_designer_import_{abs(hash(str(path.resolve())))}"
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise ImportFailedError(f"{target}: can't be loaded as a Python file")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        sys.path.insert(0, str(path.resolve().parent))
        run: Callable[[], Any] = lambda: spec.loader.exec_module(module)  # type: ignore[union-attr]  # noqa: E731
    else:
        module = None

        def run() -> Any:
            return importlib.import_module(target)

    try:
        loaded = run()
    except ImportFailedError:
        raise
    except ModuleNotFoundError as error:
        raise ImportFailedError(f"{target}: {_first_line(error)}") from None
    except Exception as error:
        raise ImportFailedError(
            f"{target}: running it failed: {_first_line(error)}{_user_frame(error)}"
        ) from None
    return loaded if module is None else module


def _find(module: Any, target: str, name: str) -> Any:
    found = module
    for part in name.split("."):
        if not hasattr(found, part):
            raise ImportFailedError(f"{target} has no {name}")
        found = getattr(found, part)
    return found


def _build(factory: Any, name: str, kwargs: dict[str, Any]) -> Any:
    import torch
    from torch import nn

    if not callable(factory):
        raise ImportFailedError(f"{name} is a {type(factory).__name__}, not a class or a function")
    try:
        with torch.device("meta"):
            model = factory(**kwargs)
    except Exception:  # some constructors need real memory: try again on the CPU
        try:
            model = factory(**kwargs)
        except Exception as error:
            raise ImportFailedError(
                f"building {name} failed: {_first_line(error)}{_user_frame(error)}"
            ) from None
    if not isinstance(model, nn.Module):
        raise ImportFailedError(f"{name} gave a {type(model).__name__}, not an nn.Module")
    return model


def load_model(request: ImportRequest) -> Any:
    """The model SOURCE names, built with the request's keyword arguments (on meta if it can)."""
    target, separator, name = request.source.rpartition(":")
    if not separator or not target or not name:
        raise ImportFailedError(
            f"SOURCE must be path/to/file.py:Name or package.module:name, got {request.source!r}"
        )
    module = _load_module(target)
    return _build(_find(module, target, name), name, request.kwargs)


def model_to_design(
    model: Any, input_shape: tuple[int, ...], dtype: str = "float32"
) -> tuple[Design, ImportReport]:
    """Trace ``model`` and map it to a laid-out design (in this process: for a model already
    built; ``import_model`` runs the whole import in a child)."""
    import torch

    from designer.graph.layout import layered_positions
    from designer.importer.mapping import map_model
    from designer.importer.modules import is_leaf
    from designer.importer.tracing import record_values, trace

    graph_module = trace(model, is_leaf)
    parameter = next(iter(model.parameters()), None)
    device = parameter.device if parameter is not None else torch.device("meta")
    if dtype in ("float16", "bfloat16", "float64"):
        model = model.to(getattr(torch, dtype))
        graph_module = graph_module.to(getattr(torch, dtype))
    example = torch.empty(input_shape, dtype=getattr(torch, dtype), device=device)
    if dtype == "int64":
        example = torch.zeros(input_shape, dtype=torch.int64, device=device)
    traced = record_values(graph_module.eval(), [example])
    design, report = map_model(traced, model, input_shape, dtype)
    for block_id, position in layered_positions(design).items():
        design.move_block(block_id, position)
    return design, report


def import_here(request: ImportRequest) -> ImportResult:
    """The whole import in this process: what the child runs."""
    design, report = model_to_design(load_model(request), request.input_shape, request.dtype)
    return ImportResult(dumps_design(design), report)


def _child(request: ImportRequest, connection: Any) -> None:
    from designer.torch_noise import quiet_torch_imports

    quiet_torch_imports()
    answer: tuple[str, object, object]
    try:
        with contextlib.redirect_stdout(sys.stderr):  # the model's prints aren't our output
            result = import_here(request)
        answer = ("ok", result.design_text, result.report.to_dict())
    except ImportFailedError as failure:
        answer = ("failed", failure.message, None)
    except SystemExit as exit_:
        answer = ("failed", f"the model's code called sys.exit({exit_.code}){_user_frame(exit_)}",
                  None)  # fmt: skip
    except BaseException as error:  # whatever the user's code raises is reported, not raised
        answer = ("failed", f"importing failed: {_first_line(error)}{_user_frame(error)}", None)
    connection.send(answer)
    connection.close()


# --- in the caller --------------------------------------------------------------------------


def import_model(request: ImportRequest, timeout: float = DEFAULT_TIMEOUT) -> ImportResult:
    """Import in a spawned child; ``ImportFailedError`` with one line when it can't be done."""
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(request, sender), daemon=True)
    process.start()
    sender.close()
    try:
        if not receiver.poll(timeout):
            raise ImportFailedError(
                f"importing {request.source} took longer than {timeout:g} s (an endless loop "
                "in the model's code?); the import was stopped"
            )
        answer = receiver.recv()
    except EOFError:
        process.join(_ANSWER_GRACE)
        raise ImportFailedError(
            f"the import process ended (exit code {process.exitcode}) before answering: the "
            "model's code ended it"
        ) from None
    finally:
        if process.is_alive():
            process.kill()
        process.join(_ANSWER_GRACE)
        receiver.close()
    status, text, report = answer
    if status != "ok":
        raise ImportFailedError(str(text))
    assert isinstance(text, str) and isinstance(report, dict)
    return ImportResult(text, ImportReport.from_dict(report))
