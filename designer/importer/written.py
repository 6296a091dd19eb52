"""How the model's own code wrote an attribute, read from the source of the class that
assigns it: whether an ``nn.Sequential`` that matches the stack idiom was written as one, and
how a learned tensor was first filled.

A Sequential built over a list (``nn.Sequential(*blocks)``, a comprehension over sizes) is a
stack block; with each member spelled out (``nn.Sequential(conv_block(1, 32), conv_block(32,
64))``) it is a group of blocks, so the code written back keeps the way it was written. Where
the source can't be read or the assignment isn't found, it is a stack.
"""

from __future__ import annotations

import ast
import inspect
import logging
import textwrap

from torch import nn

_log = logging.getLogger(__name__)


def _class_tree(owner: nn.Module) -> ast.ClassDef | None:
    try:
        source = textwrap.dedent(inspect.getsource(type(owner)))
    except (OSError, TypeError):
        return None
    try:
        tree = ast.parse(source)
    except SyntaxError:
        _log.debug("the source of %s doesn't parse alone", type(owner).__name__)
        return None
    first = tree.body[0] if tree.body else None
    return first if isinstance(first, ast.ClassDef) else None


def _assigned_in(tree: ast.ClassDef, attribute: str) -> ast.expr | None:
    """The value ``self.<attribute>`` is assigned once in the class's methods; None otherwise."""
    values = [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(target, ast.Attribute)
        and target.attr == attribute
        and isinstance(target.value, ast.Name)
        and target.value.id == "self"
    ]
    return values[0] if len(values) == 1 else None


def _assigned(owner: nn.Module, attribute: str) -> ast.expr | None:
    tree = _class_tree(owner)
    return _assigned_in(tree, attribute) if tree is not None else None


def _called_name(value: ast.expr) -> str | None:
    """``Sequential`` for ``nn.Sequential(...)`` or ``Sequential(...)``."""
    if not isinstance(value, ast.Call):
        return None
    if isinstance(value.func, ast.Attribute):
        return value.func.attr
    return value.func.id if isinstance(value.func, ast.Name) else None


def is_spelled_out(owner: nn.Module, attribute: str, members: int) -> bool:
    """``owner.<attribute>`` is built as ``nn.Sequential(a, b, ...)``, one argument a member."""
    value = _assigned(owner, attribute)
    if not isinstance(value, ast.Call) or value.keywords:
        return False
    return (
        _called_name(value) == "Sequential"
        and len(value.args) == members
        and not any(isinstance(argument, ast.Starred) for argument in value.args)
    )


def parameter_init(owner: nn.Module, attribute: str) -> str | None:
    """``zeros`` or ``randn`` for ``self.<attribute> = nn.Parameter(torch.zeros(...))`` or
    ``(torch.randn(...))``; None when it is written otherwise."""
    value = _assigned(owner, attribute)
    if value is None or _called_name(value) != "Parameter":
        return None
    assert isinstance(value, ast.Call)
    if len(value.args) != 1:
        return None
    filled = _called_name(value.args[0])
    return filled if filled in ("zeros", "randn") else None
