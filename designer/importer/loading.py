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
    except RecursionError:
        raise ImportFailedError("--args is nested too deeply to be read") from None
    if not isinstance(value, dict):
        raise ImportFailedError(
            f'--args must be a JSON object of keyword arguments ({{"in_c": 1}}), got a '
            f"{type(value).__name__}"
        )
    return value


def parse_input_shape(text: str) -> tuple[int, ...]:
    """``--input-shape 1,3,32,32``: sizes of at least 1, batch first."""
    parts = [part.strip() for part in text.split(",")]
    if not all(part.isascii() and part.isdigit() and int(part) >= 1 for part in parts):
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
    """Trace ``model`` in eval mode and map it to a laid-out design (in this process: for a
    model already built; ``import_model`` runs the whole import in a child). The model's modes
    are put back afterwards; the report says so where training mode would trace otherwise."""
    from designer.graph.layout import layered_positions
    from designer.importer.modules import is_leaf

    modes = {module: module.training for module in model.modules()}
    if not any(modes.values()):
        model.train()  # what training mode calls too has a place (training_branches)
    trained = _graph_module_or_failure(model, is_leaf)
    model.eval()  # built in training mode; the design is the model as it runs at inference
    try:
        design, report, graph_module, branched = _traced_design(model, input_shape, dtype, trained)
    finally:  # the caller's model as it was given
        for module, training in modes.items():
            module.training = training
    if any(modes.values()) and not branched:  # the branches' note says what training adds
        note = _eval_mode_note(trained if isinstance(trained, str) else trained.graph,
                               graph_module.graph)  # fmt: skip
        if note:
            report.notes.append(note)
    for block_id, position in layered_positions(design).items():
        design.move_block(block_id, position)
    return design, report


def _traced_design(
    model: Any, input_shape: tuple[int, ...], dtype: str, trained: Any
) -> tuple[Design, ImportReport, Any, bool]:
    """The model traced and mapped (not laid out), the traced graph module (eval mode's;
    ``trained`` is training mode's, or why tracing it failed), and whether training mode's
    branches were taken (``training_branches``)."""
    import torch

    from designer.importer.mapping import map_model
    from designer.importer.modules import is_leaf
    from designer.importer.tracing import record_values, trace
    from designer.importer.training_branches import training_branches

    graph_module = trace(model, is_leaf)
    evaluated, branches = graph_module, None
    if not isinstance(trained, str):
        branches = training_branches(trained, graph_module, model)
        graph_module = branches.graph_module if branches is not None else graph_module
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
    if branches is not None:
        report.notes.append(
            f"{', '.join(branches.modules)} run only in training mode: they are imported where "
            "training mode feeds them, as branches whose results nothing reads (they run, and "
            "keep their state_dict keys; the original returns their results while training)"
        )
    return design, report, evaluated, branches is not None


def _graph_module_or_failure(model: Any, is_leaf: Callable[[Any], bool]) -> Any:
    """The model as traced in its current mode, or the failure's message."""
    from designer.importer.tracing import trace

    try:
        return trace(model, is_leaf)
    except ImportFailedError as failure:
        return failure.message


def _eval_mode_note(trained: Any, evaluated: Any) -> str | None:
    """What tracing in eval mode changed from training mode; None when nothing did (the
    usual case: only leaf modules, such as Dropout and BatchNorm, depend on the mode)."""
    from designer.importer.tracing import user_line

    if isinstance(trained, str):
        return (
            "the model was built in training mode and traced in eval mode (model.eval()), "
            f"where its forward differs: in training mode tracing fails ({trained})"
        )

    def steps(graph: Any) -> list[tuple[Any, ...]]:
        return [(n.op, str(n.target), repr(n.args), repr(n.kwargs)) for n in graph.nodes]

    trained_steps, evaluated_steps = steps(trained), steps(evaluated)
    if trained_steps == evaluated_steps:
        return None
    first = next(
        (i for i, (a, b) in enumerate(zip(trained_steps, evaluated_steps, strict=False)) if a != b),
        min(len(trained_steps), len(evaluated_steps)) - 1,
    )
    nodes = list(trained.nodes)  # where training mode does something of its own
    where = user_line(nodes[min(first, len(nodes) - 1)].stack_trace)
    return (
        "the model was built in training mode and traced in eval mode (model.eval()), where "
        f"its forward differs{f' (first at {where})' if where else ''}: the design is the model "
        "as it runs at inference (dropout or stochastic depth written as functions pass their "
        "input on)"
    )


def import_here(request: ImportRequest) -> ImportResult:
    """The whole import in this process: what the child runs."""
    design, report = model_to_design(load_model(request), request.input_shape, request.dtype)
    return ImportResult(dumps_design(design), report)


def answer_import(request: ImportRequest, connection: Any) -> None:
    """The import in a child process: one answer down ``connection``, ``("ok", design text,
    report dict)`` or ``("failed", one line, None)``; whatever the model's code does."""
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


def result_of(answer: object) -> ImportResult:
    """What the child answered (``answer_import``) as a result; ``ImportFailedError`` with its
    one line where the import failed."""
    if not isinstance(answer, tuple):
        answer = ("failed", f"the import process answered {answer!r}")
    status, text, report = (*answer, None, None, None)[:3]
    if status != "ok" or not isinstance(text, str) or not isinstance(report, dict):
        raise ImportFailedError(str(text))
    return ImportResult(text, ImportReport.from_dict(report))


def took_too_long(source: str, limit: float) -> str:
    return (
        f"importing {source} took longer than {limit:g} s (an endless loop in the model's "
        "code?); the import was stopped"
    )


def ended_before_answering(exit_code: int | None) -> str:
    return (
        f"the import process ended (exit code {exit_code}) before answering: the model's code "
        "ended it, or it crashed"
    )
