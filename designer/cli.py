"""The command line: every non-visual capability of Torch Designer.

``torch-designer check DESIGN.json`` prints every block's output shape and parameter count.
Exit status: 0 when the shapes fit, 1 on shape errors, 2 when the file can't be read.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence

from designer import __version__
from designer.check_report import report_json, report_text
from designer.graph import DesignFileError, check_design, load_design

EXIT_OK = 0
EXIT_SHAPE_ERRORS = 1
EXIT_BAD_INPUT = 2

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
    return parser


def _check(path: str, as_json: bool) -> int:
    try:
        design = load_design(path)
    except DesignFileError as error:
        if as_json:
            print(json.dumps({"file": path, "error": str(error)}, indent=2))
        else:
            print(f"{path}: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    report = check_design(design)
    if as_json:
        print(json.dumps({"file": path, **report_json(design, report)}, indent=2))
    else:
        print(report_text(design, report))
    return EXIT_OK if report.ok else EXIT_SHAPE_ERRORS


def main(argv: Sequence[str] | None = None) -> int:
    arguments = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if arguments.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if arguments.command == "check":
        return _check(arguments.design, arguments.json)
    raise AssertionError(f"unhandled command {arguments.command}")  # argparse refuses others
