"""Format generated source with the pinned ruff, ignoring any configuration it might find;
and find the statements of the formatted classes, which the formatter may have spread over
several lines."""

from __future__ import annotations

import functools
import re
import subprocess

from ruff.__main__ import find_ruff_bin

from designer.compiler.errors import GeneratedCodeError

_TIMEOUT_S = 30


@functools.lru_cache(maxsize=64)
def format_source(source: str) -> str:
    """``source`` as ``ruff format --isolated`` writes it (the same text gives the same bytes)."""
    done = subprocess.run(
        [find_ruff_bin(), "format", "--isolated", "--stdin-filename", "model.py", "-"],
        input=source,
        capture_output=True,
        text=True,
        timeout=_TIMEOUT_S,
        check=False,
    )
    if done.returncode != 0:
        raise GeneratedCodeError(f"ruff could not format the generated code: {done.stderr.strip()}")
    return done.stdout


_STRING = re.compile(r"""'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*\"""")
_TRIPLE = '"""'


def class_statements(source: str) -> dict[str, list[tuple[int, int]]]:
    """Class name -> the first and last line (1-based) of each statement of each top-level
    class, in order, its ``class`` line first.

    A statement is a logical line: lines are joined while a bracket is open (the formatter
    never continues a line with a backslash). Strings are skipped when counting brackets, and
    the lines of a triple-quoted docstring (which generated classes never hold, but the module
    header is) are no statements and start no class.
    """
    found: dict[str, list[tuple[int, int]]] = {}
    statements: list[tuple[int, int]] | None = None
    depth = 0
    first = 0
    in_docstring = False
    for number, line in enumerate(source.splitlines(), start=1):
        if in_docstring or (depth == 0 and _TRIPLE in line):
            opened = in_docstring
            in_docstring = (line.count(_TRIPLE) % 2 == 1) != opened
            continue
        if depth == 0:
            stripped = line.lstrip()
            if not stripped or stripped.startswith("#"):
                continue
            if stripped is line:  # top level: a class starts, or whatever else ends one
                statements = None
                if line.startswith("class "):
                    name = re.split(r"[(:]", line[len("class ") :], maxsplit=1)[0].strip()
                    statements = found.setdefault(name, [])
            first = number
        code = _STRING.sub("", line) if ("'" in line or '"' in line) else line
        code = code.split("#", 1)[0]
        depth += sum(code.count(bracket) for bracket in "([{")
        depth -= sum(code.count(bracket) for bracket in ")]}")
        if depth == 0 and statements is not None:
            statements.append((first, number))
    return found
