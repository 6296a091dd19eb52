"""The command line: every non-visual capability of Torch Designer.

``torch-designer check DESIGN.json`` prints every block's output shape and parameter count;
``compile`` prints or writes the generated module; ``summary`` prints the model and a table of
its modules; ``export`` writes the module (with weights), ONNX or a ``torch.export`` program;
``bench`` times the forward pass (or, with ``--mode train``, a training step) on a device (in a
worker process) and prints the figures (with ``--per-block``, each block's cost);
``kinds`` lists every kind of block with its ports and parameters; ``render`` draws the
canvas to an SVG or PNG without a window; ``import`` turns a PyTorch model (a class or a
function in a file or a package) into a design, running its code in a child process.
Exit status: 0 when all went well, 1 on shape errors (each printed), 2 when the file can't be
read or the command can't be done (one line on stderr, never a traceback), 141 when whoever
reads the output stops early (``| head``), as for a process ended by SIGPIPE.

Only the compiling commands import torch: ``check`` stays quick.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from designer import __version__
from designer.check_report import report_json, report_text
from designer.graph import Design, DesignFileError, check_design, load_design
from designer.graph.file_access import design_error_line, os_error_text
from designer.graph.shapes import problem_lines

if TYPE_CHECKING:
    from designer.compiler import CompiledDesign
    from designer.runtime import BatchResult, Progress
    from designer.runtime.baseline import Baseline
    from designer.runtime.block_costs import CostReport
    from designer.runtime.results import TrainResult

EXIT_OK = 0
EXIT_SHAPE_ERRORS = 1
EXIT_BAD_INPUT = 2
EXIT_BROKEN_PIPE = 128 + 13
"""What a shell reports for a process that SIGPIPE ended: the reader of stdout went away."""
FORMATS = ("py", "onnx", "pt2")

log = logging.getLogger("designer")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="torch-designer",
        description="Design PyTorch networks by point and click; check them from the shell.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    check = commands.add_parser(
        "check",
        help="print every block's output shape and parameters; exit 1 on shape errors",
        description="Check a design's shapes. Exit 0: shapes fit; 1: shape errors; "
        "2: the file can't be read.",
    )
    check.add_argument("design", help="a design file (.json)")
    check.add_argument("--json", action="store_true", help="print the result as JSON")
    kinds = commands.add_parser(
        "kinds",
        help="list every kind of block: its ports and parameters",
        description="List the block catalogue by category: each kind's help, input and output "
        "ports, and parameters (type, default, range or choices, help).",
    )
    kinds.add_argument("--json", action="store_true", help="print the catalogue as JSON")
    _add_render_command(commands)
    _add_compiling_commands(commands)
    _add_import_command(commands)
    return parser


def _add_import_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from designer.importer.cli_import import add_import_command

    add_import_command(commands)


def _import_command(arguments: argparse.Namespace) -> int:
    from designer.importer.cli_import import import_command

    return import_command(arguments)


def _add_render_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    render = commands.add_parser(
        "render",
        help="draw the design as the canvas shows it, to an .svg or .png, without a window",
        description="Draw a design's canvas (blocks, shapes on the edges, groups; shape "
        "errors in red) to an image, with the app's own drawing code. Exit 0: written; "
        "2: the file can't be read or the image can't be written.",
    )
    render.add_argument("design", help="a design file (.json)")
    render.add_argument(
        "-o", "--output", required=True, type=Path, help="the image to write (.svg or .png)"
    )
    render.add_argument(
        "--collapsed", action="store_true", help="collapse every top-level group to one box"
    )
    render.add_argument(
        "--scale", type=float, default=2.0, help="PNG pixels per canvas unit (2, for crisp text)"
    )


def _add_compiling_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    exits = "Exit 0: done; 1: shape errors (each printed); 2: the file or the command failed."
    compile_ = commands.add_parser(
        "compile",
        help="print the generated PyTorch module, or write it with -o",
        description=f"Compile a design to one Python module. {exits}",
    )
    compile_.add_argument("design", help="a design file (.json)")
    compile_.add_argument("-o", "--output", type=Path, help="write the module here (model.py)")
    summary = commands.add_parser(
        "summary",
        help="print the model, then every module's type, output shape and parameters",
        description="Print print(model), then a table of its modules with the output shapes of "
        f"one forward pass on the meta device (no real memory). {exits}",
    )
    summary.add_argument("design", help="a design file (.json)")
    export = commands.add_parser(
        "export",
        help="write the module (.py, with --weights a state_dict too), ONNX or a .pt2",
        description="Export a design: py is the generated module (with --weights, freshly "
        "initialised weights in a state_dict next to it: model.py and model.pt); onnx is "
        "torch.onnx.export(dynamo=True) and needs the onnx extra; pt2 is torch.export. ONNX "
        f"and .pt2 hold the weights and take any batch size. {exits}",
    )
    export.add_argument("design", help="a design file (.json)")
    export.add_argument("--format", required=True, choices=FORMATS, help="what to write")
    export.add_argument("-o", "--output", required=True, type=Path, help="the file to write")
    export.add_argument(
        "--weights", action="store_true", help="with --format py: write model.pt next to it"
    )
    _add_bench_command(commands, exits)


def _add_bench_command(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], exits: str
) -> None:
    bench = commands.add_parser(
        "bench",
        help="time the forward pass (or a training step) on a device; print latency, "
        "throughput, FLOP/s, memory",
        description="Time a design's forward pass in a separate worker process: median and "
        "p10/p90 latency, throughput, FLOPs and achieved TFLOP/s (with the share of the GPU's "
        "peak where known), peak and parameter memory. With --mode train: training steps "
        "(zero_grad, forward, loss, backward, optimizer step), timed whole and by phase, with "
        "the memory of parameters, gradients and optimizer state. With --max-batch: the "
        "largest batch a step fits (real steps on CUDA, the memory estimate elsewhere). "
        f"{exits}",
    )
    bench.add_argument("design", help="a design file (.json)")
    bench.add_argument(
        "--device", default="auto", help="auto (CUDA, then MPS, then CPU), cpu, cuda[:N] or mps"
    )
    sizes = bench.add_mutually_exclusive_group()
    sizes.add_argument("--batch", type=int, default=1, help="the batch size (1)")
    sizes.add_argument("--sweep", help="several batch sizes, comma-separated: 1,8,32")
    sizes.add_argument(
        "--max-batch",
        action="store_true",
        help="search the largest batch a step of --mode fits on the device (measured on CUDA, "
        "estimated elsewhere) instead of timing",
    )
    bench.add_argument("--dtype", default="fp32", choices=("fp32", "bf16", "fp16"))
    bench.add_argument("--compile", action="store_true", help="run through torch.compile")
    bench.add_argument("--channels-last", action="store_true", help="4-d tensors channels_last")
    bench.add_argument(
        "--force", action="store_true", help="run even when the memory estimate is too large"
    )
    bench.add_argument(
        "--max-time",
        type=float,
        default=2.0,
        metavar="SECONDS",
        help="timing budget per batch size (2)",
    )
    bench.add_argument(
        "--mode",
        default="forward",
        choices=("forward", "train"),
        help="forward passes (forward), or training steps timed whole and by phase (train)",
    )
    bench.add_argument(
        "--optimizer", choices=("sgd", "adamw"), help="train mode: the optimizer (sgd)"
    )
    bench.add_argument(
        "--loss",
        choices=("cross_entropy", "mse", "sum"),
        help="train mode: the loss against a drawn target (cross_entropy)",
    )
    bench.add_argument(
        "--max-batch-cap",
        type=int,
        metavar="N",
        help="with --max-batch: the largest batch to try (65536)",
    )
    bench.add_argument(
        "--per-block",
        action="store_true",
        help="each block's parameters, FLOPs, activation memory and measured time (forward, "
        "and backward with --mode train), against the total measured without hooks",
    )
    bench.add_argument(
        "--repeats",
        type=int,
        metavar="N",
        help="with --per-block: the runs whose medians are reported (20)",
    )
    bench.add_argument("--json", action="store_true", help="print the figures as JSON")
    bench.add_argument(
        "--baseline",
        type=Path,
        metavar="FILE",
        help="print each phase's ratio (with --per-block, each block's) to the baseline kept "
        "in FILE (the same mode, device, dtype and batch sizes)",
    )
    bench.add_argument(
        "--save-baseline", type=Path, metavar="FILE", help="keep this run's figures in FILE"
    )


def _check(path: str, as_json: bool) -> int:
    """``check``: errors become exit codes and one line, never a traceback, as for the others."""
    try:
        return _check_design_file(path, as_json)
    except BrokenPipeError:
        raise
    except Exception as error:  # a bug of ours: one line, the traceback in the log (-v)
        log.debug("unexpected failure", exc_info=True)
        message = f"unexpected {type(error).__name__}: {error}"
        return _json_failure(path, message) if as_json else _fail(f"{path}: {message}")


def _kinds(as_json: bool) -> int:
    from designer.catalogue_listing import kinds_json, kinds_text

    print(json.dumps(kinds_json(), indent=2) if as_json else kinds_text())
    return EXIT_OK


def _json_failure(path: str, message: str) -> int:
    print(json.dumps({"file": path, "error": " ".join(message.splitlines())}, indent=2))
    return EXIT_BAD_INPUT


def _check_design_file(path: str, as_json: bool) -> int:
    try:
        design = load_design(path)
    except DesignFileError as error:
        if as_json:
            return _json_failure(path, str(error))
        return _fail(design_error_line(path, error))
    report = check_design(design)
    if as_json:
        print(json.dumps({"file": path, **report_json(design, report)}, indent=2))
    else:
        print(report_text(design, report))
    return EXIT_OK if report.ok else EXIT_SHAPE_ERRORS


def _render(arguments: argparse.Namespace) -> int:
    """``render``: the design drawn headless; every failure is one line and exit 2."""
    try:
        return _render_design_file(arguments)
    except BrokenPipeError:
        raise
    except Exception as error:  # a bug of ours: one line, the traceback in the log (-v)
        log.debug("unexpected failure", exc_info=True)
        return _fail(f"{arguments.design}: unexpected {type(error).__name__}: {error}")


def _render_design_file(arguments: argparse.Namespace) -> int:
    output: Path = arguments.output
    if not 0 < arguments.scale <= 8:
        return _fail(f"--scale {arguments.scale:g}: give a number above 0, at most 8")
    if not _has_screen():  # chosen before Qt starts: drawing needs no screen
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from designer.graph.errors import DesignError
    from designer.gui import diagram
    from designer.gui.document import DesignDocument
    from designer.gui.files import read_design

    try:
        diagram.image_type(output)
        if _overwrites_design(arguments, [output]):
            return _fail(f"{output}: that is the design file; write the image elsewhere")
        diagram.ensure_application()
        document = DesignDocument(read_design(Path(arguments.design)))
        collapsed = diagram.top_level_groups(document.design) if arguments.collapsed else []
        diagram.write_diagram(document, output, collapsed=collapsed, scale=arguments.scale)
    except diagram.DiagramError as error:
        return _fail(str(error))
    except DesignFileError as error:
        return _fail(design_error_line(arguments.design, error))
    except DesignError as error:
        return _fail(f"{arguments.design}: {error}")
    print(f"wrote {output}")
    return EXIT_OK


def _compile(path: str) -> tuple[Design, CompiledDesign]:
    from designer.compiler import compile_design

    design = load_design(path)
    return design, compile_design(design, Path(path).name)


def _overwrites_design(arguments: argparse.Namespace, outputs: Sequence[Path]) -> bool:
    """Whether an output would land on the design file itself (it would be lost). A design
    that can't be looked at can't be overwritten: reading it will say what is wrong."""
    for output in outputs:
        try:
            if Path(arguments.design).samefile(output):
                return True
        except OSError:  # either is missing, or unreachable (a symlink loop)
            continue
    return False


def _compile_command(arguments: argparse.Namespace) -> int:
    if arguments.output is not None and _overwrites_design(arguments, [arguments.output]):
        return _fail(f"{arguments.output}: that is the design file; write the module elsewhere")
    _, compiled = _compile(arguments.design)
    if arguments.output is None:
        print(compiled.source, end="")
    else:
        from designer.compiler.export import export_source

        print(f"wrote {export_source(compiled, arguments.output)}")
    return EXIT_OK


def _summary_command(arguments: argparse.Namespace) -> int:
    from designer.compiler import build_model
    from designer.compiler.summary import summary_text

    design, compiled = _compile(arguments.design)
    print(summary_text(build_model(compiled), design))
    return EXIT_OK


def _export_command(arguments: argparse.Namespace) -> int:
    from designer.compiler.export import export_design, weights_path

    if arguments.weights and arguments.format != "py":
        print(
            f"--weights only applies to --format py: a .{arguments.format} file holds the "
            "weights already",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    output: Path = arguments.output
    outputs = [output, weights_path(output)] if arguments.weights else [output]
    if _overwrites_design(arguments, outputs):
        return _fail(f"{output}: the export would overwrite the design file; write it elsewhere")
    design, compiled = _compile(arguments.design)
    written = export_design(compiled, design, arguments.format, output, arguments.weights)
    for path in written:
        print(f"wrote {path}")
    return EXIT_OK


def _bench_command(arguments: argparse.Namespace) -> int:
    from designer.runtime import MeasureSettings, TorchWorker
    from designer.runtime.baseline import BaselineError
    from designer.runtime.report import (
        results_json,
        results_table,
        train_results_json,
        train_results_table,
    )

    if arguments.per_block:
        return _per_block_command(arguments)
    if arguments.repeats is not None:
        return _fail("--repeats applies to --per-block")
    if arguments.max_batch:
        if arguments.baseline or arguments.save_baseline:
            return _fail("--baseline and --save-baseline apply to timed runs, not --max-batch")
        return _max_batch_command(arguments)
    if arguments.max_batch_cap is not None:
        return _fail("--max-batch-cap applies to --max-batch")
    batches = _batch_sizes(arguments)
    if batches is None:
        return _fail(f"--sweep {arguments.sweep}: give whole numbers separated by commas: 1,8,32")
    if arguments.max_time <= 0:
        return _fail(f"--max-time {arguments.max_time:g}: give a number of seconds above 0")
    train = arguments.mode == "train"
    if not train and (arguments.optimizer or arguments.loss):
        return _fail("--optimizer and --loss apply to --mode train")
    settings = MeasureSettings(
        device=arguments.device,
        dtype=arguments.dtype,
        batches=batches,
        channels_last=arguments.channels_last,
        compile=arguments.compile,
        force=arguments.force,
        min_run_time=min(0.2, arguments.max_time),
        max_run_time=arguments.max_time,
        mode=arguments.mode,
        optimizer=arguments.optimizer or "sgd",
        loss=arguments.loss or "cross_entropy",
    )
    try:
        baseline = _bench_baseline(arguments, batches)
    except BaselineError as error:
        return _fail(str(error))
    # compiled here for the shape-error report and the class name; the worker compiles the
    # design it is sent once, itself
    design, compiled = _compile(arguments.design)
    name = compiled.class_name
    progress = _progress_line if sys.stderr.isatty() else None
    try:
        with TorchWorker(logging.DEBUG if arguments.verbose else logging.WARNING) as worker:
            if train:
                trained = worker.train(design, settings, on_progress=progress)
                document = train_results_json(arguments.design, name, trained)
                lines = train_results_table(name, trained)
            else:
                results = worker.run(design, settings, on_progress=progress)
                document = results_json(arguments.design, name, results)
                lines = results_table(name, results)
    finally:
        if progress is not None:
            print("\r\033[K", end="", file=sys.stderr, flush=True)
    try:
        measured = trained if train else results
        lines = _with_baseline(arguments, baseline, name, measured, lines, document)
    except BaselineError as error:
        return _fail(str(error))
    print(json.dumps(document, indent=2) if arguments.json else "\n".join(lines))
    return EXIT_OK


def _bench_baseline(
    arguments: argparse.Namespace, batches: tuple[int, ...], *, per_block: bool = False
) -> Baseline | None:
    """The baseline asked for (read before the run: a mismatch is refused without running)."""
    from designer.runtime.baseline import BaselineError, read_baseline, settings_refusal

    if arguments.baseline is None:
        return None
    baseline = read_baseline(arguments.baseline)
    reason = settings_refusal(
        baseline, arguments.mode, arguments.dtype, batches, per_block=per_block
    )
    if reason is not None:
        raise BaselineError(f"{arguments.baseline}: {reason}")
    return baseline


def _with_baseline(
    arguments: argparse.Namespace,
    baseline: Baseline | None,
    name: str,
    measured: Sequence[BatchResult] | Sequence[TrainResult],
    lines: list[str],
    document: dict[str, object],
) -> list[str]:
    """The lines to print: with a ratio column when compared with a baseline (the JSON gets
    ``"baseline"``); the run kept with --save-baseline."""
    from designer.runtime import BatchResult, report
    from designer.runtime import baseline as baselines
    from designer.runtime.baseline import BaselineError
    from designer.runtime.results import TrainResult

    if baseline is not None:
        try:
            comparison = baselines.compare(baseline, name, measured)
        except BaselineError as error:
            raise BaselineError(f"{arguments.baseline}: {error}") from error
        file = str(arguments.baseline)
        document["baseline"] = report.comparison_json(file, baseline, comparison)
        if isinstance(measured[0], TrainResult):
            trained = [result for result in measured if isinstance(result, TrainResult)]
            table = report.compared_train_results_table(name, trained, comparison)
        else:
            forward = [result for result in measured if isinstance(result, BatchResult)]
            table = report.compared_results_table(name, forward, comparison)
        lines = [*table, "", *report.baseline_heading(file, baseline, comparison)]
    if arguments.save_baseline is not None:
        baselines.write_baseline(baselines.baseline_of(name, measured), arguments.save_baseline)
        if not arguments.json:
            lines = [*lines, f"kept as the baseline in {arguments.save_baseline}"]
    return lines


def _max_batch_command(arguments: argparse.Namespace) -> int:
    """``bench --max-batch``: the largest batch a step fits, how it was found, its memory."""
    from designer.runtime import MeasureSettings, TorchWorker
    from designer.runtime.report import max_batch_json, max_batch_lines

    train = arguments.mode == "train"
    if not train and (arguments.optimizer or arguments.loss):
        return _fail("--optimizer and --loss apply to --mode train")
    if arguments.compile:
        return _fail("--max-batch runs eagerly: drop --compile")
    cap = arguments.max_batch_cap
    if cap is not None and cap < 1:
        return _fail(f"--max-batch-cap {cap}: give a whole number of at least 1")
    settings = MeasureSettings(
        device=arguments.device,
        dtype=arguments.dtype,
        channels_last=arguments.channels_last,
        mode=arguments.mode,
        optimizer=arguments.optimizer or "sgd",
        loss=arguments.loss or "cross_entropy",
    )
    design, compiled = _compile(arguments.design)  # shape errors reported here, as for bench
    name = compiled.class_name
    progress = _progress_line if sys.stderr.isatty() else None
    try:
        with TorchWorker(logging.DEBUG if arguments.verbose else logging.WARNING) as worker:
            result = worker.max_batch(design, settings, cap=cap, on_progress=progress)
    finally:
        if progress is not None:
            print("\r\033[K", end="", file=sys.stderr, flush=True)
    if arguments.json:
        print(json.dumps(max_batch_json(arguments.design, name, result), indent=2))
    else:
        print("\n".join(max_batch_lines(name, result)))
    return EXIT_OK


def _per_block_command(arguments: argparse.Namespace) -> int:
    """``bench --per-block``: every block's cost, and their time against the measured total."""
    from designer.runtime import MeasureSettings, TorchWorker
    from designer.runtime.baseline import BaselineError
    from designer.runtime.report import block_costs_json, block_costs_table

    for given, option in (
        (arguments.max_batch, "--max-batch"),
        (arguments.sweep is not None, "--sweep"),
        (arguments.compile, "--compile"),
        (arguments.max_batch_cap is not None, "--max-batch-cap"),
    ):
        if given:
            return _fail(f"--per-block measures one batch size eagerly: drop {option}")
    if arguments.mode != "train" and (arguments.optimizer or arguments.loss):
        return _fail("--optimizer and --loss apply to --mode train")
    if arguments.repeats is not None and arguments.repeats < 1:
        return _fail(f"--repeats {arguments.repeats}: give a whole number of at least 1")
    settings = MeasureSettings(
        device=arguments.device,
        dtype=arguments.dtype,
        batches=(arguments.batch,),
        channels_last=arguments.channels_last,
        force=arguments.force,
        mode=arguments.mode,
        optimizer=arguments.optimizer or "sgd",
        loss=arguments.loss or "cross_entropy",
    )
    try:
        baseline = _bench_baseline(arguments, (arguments.batch,), per_block=True)
    except BaselineError as error:
        return _fail(str(error))
    design, compiled = _compile(arguments.design)  # shape errors reported here, as for bench
    name = compiled.class_name
    names = {block_id: block.name for block_id, block in design.blocks.items()}
    progress = _progress_line if sys.stderr.isatty() else None
    try:
        with TorchWorker(logging.DEBUG if arguments.verbose else logging.WARNING) as worker:
            report = worker.block_costs(
                design, settings, repeats=arguments.repeats, on_progress=progress
            )
    finally:
        if progress is not None:
            print("\r\033[K", end="", file=sys.stderr, flush=True)
    document = block_costs_json(arguments.design, name, report, names)
    lines = block_costs_table(name, report, names)
    try:
        lines = _costs_with_baseline(arguments, baseline, name, report, names, document, lines)
    except BaselineError as error:
        return _fail(str(error))
    print(json.dumps(document, indent=2) if arguments.json else "\n".join(lines))
    return EXIT_OK


def _costs_with_baseline(
    arguments: argparse.Namespace,
    baseline: Baseline | None,
    name: str,
    report: CostReport,
    names: dict[str, str],
    document: dict[str, object],
    lines: list[str],
) -> list[str]:
    """``_with_baseline`` for ``bench --per-block``: each block's ratio to the baseline's
    (the JSON gets ``"baseline"``); the run's costs kept with --save-baseline."""
    from designer.runtime import baseline as baselines
    from designer.runtime.baseline import BaselineError
    from designer.runtime.report import compared_block_costs_table, comparison_json

    train = arguments.mode == "train"
    conditions = baselines.costs_conditions(
        name,
        report,
        channels_last=arguments.channels_last,
        optimizer=(arguments.optimizer or "sgd") if train else None,
        loss=(arguments.loss or "cross_entropy") if train else None,
    )
    if baseline is not None:
        file = str(arguments.baseline)
        try:
            comparison = baselines.compare_costs(baseline, conditions, report)
        except BaselineError as error:
            raise BaselineError(f"{file}: {error}") from error
        document["baseline"] = comparison_json(file, baseline, comparison)
        lines = compared_block_costs_table(name, report, names, file, baseline, comparison)
    if arguments.save_baseline is not None:
        kept = baselines.costs_baseline_of(conditions, report)
        baselines.write_baseline(kept, arguments.save_baseline)
        lines = [*lines, f"kept as the baseline in {arguments.save_baseline}"]
    return lines


def _batch_sizes(arguments: argparse.Namespace) -> tuple[int, ...] | None:
    """The batch sizes asked for; None when --sweep isn't a list of whole numbers."""
    if arguments.sweep is None:
        return (arguments.batch,)
    try:
        return tuple(int(part) for part in arguments.sweep.split(","))
    except ValueError:
        return None


def _progress_line(progress: Progress) -> None:
    width = 20
    filled = width * progress.done // max(progress.total, 1)
    bar = "#" * filled + "-" * (width - filled)
    line = f"[{bar}] {progress.done}/{progress.total} batch {progress.batch}: {progress.stage}"
    print(f"\r\033[K{line}", end="", file=sys.stderr, flush=True)


def _run_compiling(
    command: Callable[[argparse.Namespace], int], arguments: argparse.Namespace
) -> int:
    """Run a command that compiles: errors become exit codes and messages, never tracebacks."""
    try:
        with warnings.catch_warnings():
            # torch warns about its own affairs (numpy absent, deprecations inside exporters):
            # they go to the log (-v shows them), not into the command's output
            warnings.simplefilter("always")
            warnings.showwarning = _log_warning
            return _run_and_translate(command, arguments)
    except BrokenPipeError:
        raise
    except Exception as error:  # a bug of ours: one line, the traceback in the log (-v)
        log.debug("unexpected failure", exc_info=True)
        return _fail(f"{arguments.design}: unexpected {type(error).__name__}: {error}")


def _run_and_translate(
    command: Callable[[argparse.Namespace], int], arguments: argparse.Namespace
) -> int:
    """Run the command; the errors a user can meet become messages and exit codes."""
    from designer.compiler import CompileError, ShapeCheckError
    from designer.runtime import RunError

    if not arguments.verbose:
        logging.getLogger("torch").setLevel(logging.CRITICAL)  # exporters log tracebacks
    try:
        return command(arguments)
    except DesignFileError as error:
        return _fail(design_error_line(arguments.design, error))
    except ShapeCheckError as error:
        print("\n".join(problem_lines(error.problems)), file=sys.stderr)
        return EXIT_SHAPE_ERRORS
    except CompileError as error:
        return _fail(f"{arguments.design}: {error}")
    except RunError as error:
        return _fail(f"{arguments.design}: {error}")
    except BrokenPipeError:
        raise
    except OSError as error:  # the design was read already: writing an output, or running
        output = getattr(arguments, "output", None)
        if output is None:
            return _fail(os_error_text(error, arguments.design, arguments.command))
        # a rename names its destination second; mkstemp names its temporary file
        return _fail(os_error_text(error, error.filename2 or output, "write"))


def _log_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: object = None,
    line: str | None = None,
) -> None:
    log.debug("%s: %s (%s:%d)", category.__name__, message, filename, lineno)


def _fail(message: str) -> int:
    """One line on stderr; the exit status for a command that can't be done."""
    print(" ".join(message.splitlines()), file=sys.stderr)
    return EXIT_BAD_INPUT


_COMPILING: dict[str, Callable[[argparse.Namespace], int]] = {
    "compile": _compile_command,
    "summary": _summary_command,
    "export": _export_command,
    "bench": _bench_command,
}


_COMMANDS = frozenset({"check", "kinds", "render", "import", *_COMPILING})


def main(argv: Sequence[str] | None = None) -> int:
    try:
        status = _main(argv)
        sys.stdout.flush()  # inside the try: a reader that left shows here, not at exit
    except BrokenPipeError:
        # the reader of stdout went away (``| head``): nothing left to say to it. Python's
        # docs (the note on SIGPIPE in the signal module) point stdout at devnull so the
        # interpreter's last flush doesn't fail again
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    return status


def _main(argv: Sequence[str] | None) -> int:
    given = list(sys.argv[1:] if argv is None else argv)
    if _wants_app(given):
        return _open_app(given)
    arguments = _parser().parse_args(given)
    logging.basicConfig(
        level=logging.DEBUG if arguments.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if arguments.command == "check":
        return _check(arguments.design, arguments.json)
    if arguments.command == "kinds":
        return _kinds(arguments.json)
    if arguments.command == "render":
        return _render(arguments)
    if arguments.command == "import":
        return _import_command(arguments)
    if arguments.command in _COMPILING:
        return _run_compiling(_COMPILING[arguments.command], arguments)
    raise AssertionError(f"unhandled command {arguments.command}")  # argparse refuses others


def _wants_app(argv: list[str]) -> bool:
    """No command (only a design file, or nothing) means the desktop app. A lone word that is
    neither a command nor a file (a typo: ``torch-designer chek``) stays a usage error."""
    words = [word for word in argv if word not in ("-v", "--verbose")]
    if any(word.startswith("-") for word in words):
        return False
    if not words:
        return True
    word = words[0]
    return (
        len(words) == 1
        and word not in _COMMANDS
        and (word.lower().endswith(".json") or Path(word).exists())
    )


def _has_screen() -> bool:
    if os.environ.get("QT_QPA_PLATFORM"):
        return True
    if sys.platform.startswith("linux"):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


def _open_app(argv: list[str]) -> int:
    verbose = any(word in ("-v", "--verbose") for word in argv)
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
    )
    words = [word for word in argv if word not in ("-v", "--verbose")]
    path = Path(words[0]) if words else None
    if not _has_screen():
        from designer.resources import examples_dir

        shown = path or examples_dir() / "seed_final.json"
        print(
            f"torch-designer: no screen to open the app on (DISPLAY is not set); checking "
            f"{shown} instead. Run it on a desktop, or set QT_QPA_PLATFORM=offscreen.",
            file=sys.stderr,
        )
        return _check(str(shown), False)
    from designer.gui.app import run_app

    return run_app(path)
