"""``torch-designer import SOURCE``: a model's code -> a design file, with the import report.

Exit 0: imported cleanly and its shapes fit; 1: written, but with operations the import
couldn't map (each stood in for by an Identity block) or shapes that don't fit, each printed;
2: nothing imported (one line on stderr).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from designer.graph import check_design, save_design
from designer.graph.shapes import problem_lines
from designer.importer.import_worker import import_model
from designer.importer.loading import (
    DEFAULT_TIMEOUT,
    ImportRequest,
    parse_dtype,
    parse_input_shape,
    parse_kwargs,
)
from designer.importer.report import ImportFailedError

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_BAD_INPUT = 2


def add_import_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    command = commands.add_parser(
        "import",
        help="open a PyTorch model's code as a design (runs the model's code)",
        description="Import an nn.Module as an editable design: its modules become blocks and "
        "its sub-modules groups, with their names. The model's file is executed (in a separate "
        "process, with a time limit). Exit 0: imported; 1: written with unmapped operations or "
        "shape problems (each printed); 2: nothing imported.",
    )
    command.add_argument(
        "source", help="path/to/file.py:Name or package.module:name (a class or a function)"
    )
    command.add_argument(
        "--args", dest="kwargs", help='keyword arguments as literal JSON: {"in_c": 1}'
    )
    command.add_argument(
        "--input-shape", required=True, help="the input's shape, batch first: 1,3,32,32"
    )
    command.add_argument("--dtype", default="float32", help="the input's dtype (float32)")
    command.add_argument(
        "--timeout", type=float, default=DEFAULT_TIMEOUT, help="seconds the import may take"
    )
    command.add_argument("-o", "--output", required=True, type=Path, help="the design to write")


def import_command(arguments: argparse.Namespace) -> int:
    try:
        request = ImportRequest(
            arguments.source,
            parse_kwargs(arguments.kwargs),
            parse_input_shape(arguments.input_shape),
            parse_dtype(arguments.dtype),
        )
        result = import_model(request, arguments.timeout)
        design = result.design()
        save_design(design, arguments.output)
    except ImportFailedError as failure:
        print(failure.message, file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as error:
        print(f"{arguments.output}: {error.strerror or error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    report = check_design(design)
    lines = result.report.lines()
    if not report.ok:
        lines += problem_lines(report.problems, "shape error")
    blocks, groups = len(design.blocks), len(design.groups)
    print(f"{arguments.output}: {blocks} blocks, {groups} groups from {arguments.source}")
    for line in lines:
        print(line)
    return EXIT_OK if result.report.clean and report.ok else EXIT_PROBLEMS
