"""The allow-list generated source must pass before it runs.

A design file is data: nothing in it may become code that does anything but define and build
a model. Names and values are validated when a design is loaded or edited; this is the second
wall, on the source itself. Only these constructs pass: imports of torch, torch.nn,
torch.nn.functional and typing; module-level functions and ``nn.Module`` classes; assignments,
``for`` loops and returns; calls to torch.nn classes, a few torch functions, the module's own
helpers and classes, its sub-modules, ``super().__init__`` and ``zip``.
"""

from __future__ import annotations

import ast
import functools

from torch import nn

from designer.compiler.errors import UnsafeSourceError

_IMPORTS = {"torch": None, "torch.nn": "nn", "torch.nn.functional": "F", "typing": "Any"}
_TORCH_FUNCTIONS = frozenset({"cat", "sigmoid", "tanh", "flatten"})
_TENSOR_METHODS = frozenset({"flatten", "append"})
_BUILTINS = frozenset({"super", "zip", "list", "tuple", "int", "str", "bool"})
_NODES = (
    ast.Module, ast.Expr, ast.Import, ast.ImportFrom, ast.alias, ast.ClassDef, ast.FunctionDef,
    ast.arguments, ast.arg, ast.Return, ast.Assign, ast.AnnAssign, ast.For, ast.Call,
    ast.Attribute, ast.Name, ast.Load, ast.Store, ast.Constant, ast.List, ast.Tuple, ast.Dict,
    ast.ListComp, ast.comprehension, ast.Starred, ast.BinOp, ast.Add, ast.Subscript, ast.Slice,
    ast.keyword, ast.IfExp,
)  # fmt: skip


@functools.lru_cache(maxsize=64)
def check_source(source: str) -> None:
    """Refuse anything in ``source`` outside the allow-list, naming the line.

    A text that passed is remembered, so the check that guards running it costs nothing more.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError as error:
        raise UnsafeSourceError(f"generated code does not parse: {error}") from None
    nodes = list(ast.walk(tree))
    callable_names = {
        node.name for node in tree.body if isinstance(node, ast.FunctionDef | ast.ClassDef)
    }
    callable_names |= {  # loop variables holding sub-modules: ``for layer in self.layers``
        node.target.id
        for node in nodes
        if isinstance(node, ast.For) and isinstance(node.target, ast.Name)
    }
    for node in nodes:
        _check_node(node, callable_names)


def _refuse(node: ast.AST, why: str) -> UnsafeSourceError:
    line = getattr(node, "lineno", "?")
    return UnsafeSourceError(f"generated code line {line}: {why}; refusing to run it")


def _check_node(node: ast.AST, defined: set[str]) -> None:
    if not isinstance(node, _NODES):
        raise _refuse(node, f"{type(node).__name__} is not allowed")
    match node:
        case ast.Import(names=names) | ast.ImportFrom(module=_, names=names):
            module = node.module if isinstance(node, ast.ImportFrom) else None
            for alias in names:
                full = f"{module}.{alias.name}" if module else alias.name
                if full not in ("typing.Any", "torch.nn") and full not in _IMPORTS:
                    raise _refuse(node, f"import of {full} is not allowed")
        case ast.ClassDef(bases=bases, keywords=keywords, decorator_list=decorators):
            if decorators or keywords or [ast.unparse(base) for base in bases] != ["nn.Module"]:
                raise _refuse(node, "classes must derive from nn.Module alone")
        case ast.FunctionDef(decorator_list=decorators):
            if decorators:
                raise _refuse(node, "decorators are not allowed")
        case ast.Attribute(attr=attribute):
            if attribute.startswith("_") and attribute != "__init__":
                raise _refuse(node, f"access to {attribute} is not allowed")
        case ast.Name(id=name):
            if name.startswith("__"):
                raise _refuse(node, f"the name {name} is not allowed")
        case ast.Call(func=function):
            _check_call(function, defined)
        case ast.Constant(value=value):
            if not isinstance(value, int | float | str | bool | type(None)):
                raise _refuse(node, f"the constant {value!r} is not allowed")
        case _:
            pass


def _check_call(function: ast.expr, defined: set[str]) -> None:
    match function:
        case ast.Name(id=name) if name in defined or name in _BUILTINS:
            return
        case ast.Attribute(value=ast.Name(id="nn"), attr=name):
            member = getattr(nn, name, None)
            if isinstance(member, type) and issubclass(member, nn.Module):
                return
        case ast.Attribute(value=ast.Name(id="F")):
            return
        case ast.Attribute(value=ast.Name(id="torch"), attr=name) if name in _TORCH_FUNCTIONS:
            return
        case ast.Attribute(value=ast.Name(id="self")):
            return  # a sub-module
        case ast.Attribute(value=ast.Call(func=ast.Name(id="super")), attr="__init__"):
            return
        case ast.Attribute(attr=name) if name in _TENSOR_METHODS:
            return
    raise _refuse(function, f"the call {ast.unparse(function)}(...) is not allowed")
