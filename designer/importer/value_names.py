"""Names from the model's code for the blocks that are expressions in ``forward``: ``add1 = x
+ out`` makes the ``+`` block ``add1``, so the code written back reads as the code read.

Only a plain ``name = expression`` line whose whole expression is the node counts, and only a
name the expression doesn't also read (``x = x + y`` names a stream, not a value).
"""

from __future__ import annotations

import ast
import re

from torch import fx

from designer.importer.tracing import user_line

_FRAME = re.compile(r'File "(?P<file>[^"]+)", line (?P<line>\d+), in [^\n]*\n(?P<code>[^\n]*)')


def _code_at(stack_trace: str, place: str) -> str | None:
    for match in _FRAME.finditer(stack_trace):
        if f"{match['file']}:{match['line']}" == place:
            return match["code"].strip()
    return None


def _target(code: str) -> str | None:
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return None
    if len(tree.body) != 1 or not isinstance(statement := tree.body[0], ast.Assign):
        return None
    if len(statement.targets) != 1 or not isinstance(target := statement.targets[0], ast.Name):
        return None
    read = {node.id for node in ast.walk(statement.value) if isinstance(node, ast.Name)}
    return None if target.id in read else target.id


def assigned_name(node: fx.Node) -> str | None:
    """The name the model's code assigns ``node``'s value to, when the line computes just it."""
    place = user_line(node.stack_trace)
    if not place or node.stack_trace is None:
        return None
    if any(user_line(user.stack_trace) == place for user in node.users):
        return None  # a part of the line's expression, not the whole of it
    code = _code_at(node.stack_trace, place)
    return _target(code) if code else None
