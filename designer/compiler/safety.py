"""The wall between a design file and executed code: an allow-list on the generated source, and
a reduced ``__builtins__`` for the module it becomes.

A design file is data: nothing in it may become code that does anything but define and build a
model. Names and values are validated when a design is loaded or edited; this is the second
wall, on the source itself, checked in one pass over its syntax tree. What passes:

- at module level: the imports ``import torch``, ``from torch import nn``,
  ``import torch.nn.functional as F``, ``from typing import Any`` and
  ``from collections import OrderedDict`` (called, to name an ``nn.Sequential``'s members);
  functions; classes that derive from ``nn.Module`` or ``nn.Sequential`` alone and define only
  ``__init__`` and ``forward``. No decorators,
  no type parameters, no name defined twice or hiding an allowed builtin;
- in functions: assignments, ``for`` loops, returns and expression statements, built from
  names, constants (numbers, strings, booleans, None), negative numbers, lists, tuples, dicts,
  list comprehensions, ``+``, ``*``, ``@``, subscripts, slices, conditional expressions,
  attribute reads and calls.

Every name read resolves, by Python's own scoping (a comprehension's variables are its own), to
a local (a parameter, an assigned name, a loop or comprehension variable), a function or class
the module defines, an import (only as ``torch.<member>``, ``nn.<member>``, ``F.<member>``) or
one of the builtins ``int``, ``float``, ``str``, ``bool``, ``list``, ``tuple`` and ``zip``.
``exec``, ``open``, ``getattr``, ``type`` and every other builtin are refused wherever they appear:
called, read, passed, stored, defaulted or annotated. Attributes are read only from ``self``
(those some method assigns), ``torch`` (``Tensor``, ``cat``, ``sigmoid``, ``tanh``), ``nn`` (its
``nn.Module`` classes) and ``F`` (the activation palette's functions); none starts with ``_``.

What may be called: the module's own functions and classes, ``zip``, ``super().__init__()``,
the ``torch``/``nn``/``F`` members above, ``self.<attr>(...)``, ``self.<attr>.append(...)``,
a tensor operation on ``self.<attr>`` (a learned tensor: ``self.cls_token.expand(...)``),
a tensor operation (``_TENSOR_METHODS``: ``x.flatten(1)``, ``x.permute(0, 2, 1)``) on a
local or on a call's or subscript's result; reads of ``x.shape``, ``x.device``, ``x.dtype``; the
static
``nn.Transformer.generate_square_subsequent_mask``, ``nn.Parameter``, and a local only where
every binding of it in its function is a loop over ``self.<attr>`` or ``self.<attr>.values()``
(a sub-module container; ``for f in [exec]`` binds a value, and ``f(...)`` is refused).
``self`` is the first parameter of ``__init__`` or
``forward`` and is never rebound; as those are the only methods, nothing can call one with
another object as ``self``. An attribute of ``self`` is assigned only a call's result, a
constant, or a list, tuple, dict, comprehension, subscript or conditional of those (never a
name: ``self.g = exec`` is refused), and never over one of ``nn.Module``'s own attributes.
So every value the code can reach is a constant, a container, a tensor, a module, one of the
module's own functions or classes, or one of the allowed builtins and torch members: calling
any of them runs more of the same checked code or torch's layers, and nothing else.

The module then runs with :func:`module_builtins` as its ``__builtins__``: the builtins above,
``super``, ``__build_class__`` for its classes, ``isinstance``, ``iter`` and ``len`` (which
torch.compile guards through the generated frame's builtins), and an ``__import__`` that grants
only the four imports to its ``import`` statements (torch's own imports, made by C code while
an operation runs, pass through), so a construct that ever slipped past the check would find no
``exec``, ``open`` or ``__import__`` to call.
"""

from __future__ import annotations

import ast
import builtins
import dis
import functools
import sys
from collections.abc import Callable, Mapping, Sequence
from types import FrameType, ModuleType
from typing import Any, Final

from torch import nn

from designer.compiler.errors import UnsafeSourceError
from designer.graph import ACTIVATIONS

_IMPORTS: Final[Mapping[tuple[str | None, str, str | None], str]] = {
    # (from what module, name, as what) -> the name it binds
    (None, "torch", None): "torch",
    ("torch", "nn", None): "nn",
    (None, "torch.nn.functional", "F"): "F",
    ("typing", "Any", None): "Any",
    ("collections", "OrderedDict", None): "OrderedDict",
}
_RUNTIME_IMPORTS: Final[Mapping[str, frozenset[str]]] = {
    "torch": frozenset({"nn"}),
    "torch.nn.functional": frozenset(),
    "typing": frozenset({"Any"}),
    "collections": frozenset({"OrderedDict"}),
}
"""What ``__import__`` may be asked at run time: module name -> the names ``from`` may take."""
_CALLABLE_BUILTINS: Final = frozenset({"zip"})
_READABLE_BUILTINS: Final = (
    frozenset({"int", "float", "str", "bool", "list", "tuple"}) | _CALLABLE_BUILTINS
)
_RUNTIME_BUILTINS: Final = _READABLE_BUILTINS | {"super", "isinstance", "iter", "len"}
"""The check's builtins, and those torch.compile needs: it guards the builtins torch's own layers
use (``isinstance``, ``iter``) through those of the frame it compiles, the generated forward."""
_TORCH_CALLS: Final = frozenset({"cat", "matmul", "mul", "zeros", "ones", "randn", "stack"}) | {
    activation.function.removeprefix("torch.")
    for activation in ACTIVATIONS
    if activation.function and activation.function.startswith("torch.")
}
_TORCH_READS: Final = _TORCH_CALLS | {"Tensor", "bool", "long", "float32"}
_TENSOR_METHODS: Final = frozenset(
    {
        "flatten", "view", "reshape", "permute", "transpose", "unsqueeze", "squeeze", "unflatten",
        "mean", "sum", "amax", "softmax", "log_softmax", "chunk", "split", "expand", "size",
        "contiguous", "select", "narrow", "triu", "tril",
    }
)  # fmt: skip
"""What generated code may call on a local (a tensor): shape and reduction operations, all
pure functions of the tensor that make new views or tensors."""
_TENSOR_ATTRIBUTES: Final = frozenset({"shape", "device", "dtype"})
"""What generated code may read from a local (a tensor)."""
_NN_CLASS_CALLS: Final = frozenset({("Transformer", "generate_square_subsequent_mask")})
"""Static methods of ``nn`` classes generated code may call (``nn.<class>.<method>(...)``)."""
_NN_VALUES: Final = frozenset({"Parameter"})
"""``nn`` members that are no ``nn.Module`` class but may be called (a learned tensor)."""
_FUNCTIONAL: Final = frozenset(
    activation.function.removeprefix("F.")
    for activation in ACTIVATIONS
    if activation.function and activation.function.startswith("F.")
)
_CONSTANT_TYPES: Final = (int, float, str, bool, type(None))
_METHODS: Final = frozenset({"__init__", "forward"})

# How a name is used where it is read: resolved once the scope it belongs to is known.
_VALUE, _CALL, _SUPER, _READ, _CALL_MEMBER, _SELF_MEMBER = range(6)
_Use = tuple[str, ast.AST, int, str]
"""(name, node, how it is used, the attribute read from it)."""


def check_source(source: str) -> None:
    """Refuse anything in ``source`` outside the allow-list, naming the line.

    A text that passed is remembered, so the check that guards running it costs nothing more.
    """
    checked_tree(source)


@functools.lru_cache(maxsize=64)
def checked_tree(source: str) -> ast.Module:
    """``source`` parsed and checked (``check_source``'s refusals otherwise): what to compile,
    so that the text that runs is parsed once. The tree is shared: never change it."""
    try:
        tree = ast.parse(source)
    except SyntaxError as error:
        raise UnsafeSourceError(f"generated code does not parse: {error}") from None
    _Checker().check_module(tree)
    return tree


def module_builtins() -> dict[str, object]:
    """A fresh ``__builtins__`` for a generated module: what checked code can use, no more."""
    allowed: dict[str, object] = {name: getattr(builtins, name) for name in _RUNTIME_BUILTINS}
    allowed["__build_class__"] = builtins.__build_class__
    allowed["__import__"] = _import_allowed
    return allowed


def _import_allowed(
    name: str,
    globals: Mapping[str, object] | None = None,
    locals: Mapping[str, object] | None = None,
    fromlist: Sequence[str] | None = (),
    level: int = 0,
) -> ModuleType:
    """The generated module's ``__import__``: its ``import`` statements get the four imports.

    C code finds ``__import__`` in the builtins of the Python frame it runs under, so torch's
    own lazy imports, made while an operation of a generated ``forward`` runs (``x + x`` on
    meta imports ``torch._library.simple_registry`` the first time), come here too. Only an
    ``import`` statement executing in the calling frame is generated code asking.
    """
    if not _is_import_statement(sys._getframe(1)):
        return builtins.__import__(name, globals, locals, fromlist or (), level)
    names = _RUNTIME_IMPORTS.get(name)
    if level != 0 or names is None or not set(fromlist or ()) <= names:
        raise ImportError(f"generated code may not import {name}")
    return builtins.__import__(name, globals, locals, fromlist or (), level)


_IMPORT_NAME: Final = dis.opmap["IMPORT_NAME"]


def _is_import_statement(frame: FrameType) -> bool:
    """Whether ``frame`` is executing an ``import`` (rather than calling into C that imports)."""
    return frame.f_code.co_code[frame.f_lasti] == _IMPORT_NAME


@functools.cache
def _nn_modules() -> frozenset[str]:
    """The names of ``torch.nn``'s ``nn.Module`` classes, but for the wrappers that are no layer
    (``DataParallel`` queries devices as it is built)."""
    members = ((name, getattr(nn, name)) for name in dir(nn) if not name.startswith("_"))
    return frozenset(
        name
        for name, member in members
        if isinstance(member, type) and issubclass(member, nn.Module)
    ) - {"DataParallel", "Container"}


@functools.cache
def _module_attributes() -> frozenset[str]:
    """What ``self.<name> = ...`` may not replace: ``nn.Module``'s own attributes, those of
    the class and those its ``__init__`` sets (``training``)."""
    return frozenset(dir(nn.Module)) | frozenset(vars(nn.Module()))


def _refuse(node: ast.AST, why: str) -> UnsafeSourceError:
    line = getattr(node, "lineno", "?")
    return UnsafeSourceError(f"generated code line {line}: {why}; refusing to run it")


def _shown(node: ast.AST, limit: int = 60) -> str:
    text = ast.unparse(node)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _storable(value: ast.expr) -> bool:
    """Whether ``self.<attr> = value`` stores what calling ``self.<attr>`` may safely find."""
    if isinstance(value, ast.Call | ast.Constant):
        return True
    if isinstance(value, ast.List | ast.Tuple):
        return all(
            _storable(element.value if isinstance(element, ast.Starred) else element)
            for element in value.elts
        )
    if isinstance(value, ast.Dict):
        return all(_storable(item) for item in value.values)
    if isinstance(value, ast.ListComp):
        return _storable(value.elt)
    if isinstance(value, ast.Subscript):
        return _storable(value.value)
    if isinstance(value, ast.IfExp):
        return _storable(value.body) and _storable(value.orelse)
    return False


class _Scope:
    """Names bound in one function, comprehension, class body or the module, and the names
    read there that are resolved when the scope closes (Python decides a name is local from any
    binding in the scope, wherever it stands)."""

    __slots__ = ("bound", "loop_bound", "method", "uses")

    def __init__(self, method: bool = False) -> None:
        self.bound: dict[str, int] = {}
        self.loop_bound: dict[str, int] = {}
        """Bindings by ``for <name> in self.<attr>`` (or ``.values()``): sub-modules."""
        self.method = method
        """A method's scope: its first parameter, and only that, is ``self``."""
        self.uses: list[_Use] = []


class _Dispatch(dict[type, Callable[[Any], None]]):
    """Node type -> its check; any other type is refused by ``unknown``."""

    def __init__(
        self, unknown: Callable[[Any], None], checks: Mapping[type, Callable[[Any], None]]
    ) -> None:
        super().__init__(checks)
        self.unknown = unknown

    def __missing__(self, kind: type) -> Callable[[Any], None]:
        return self.unknown


class _Checker:
    """One pass over the tree; reads are resolved when their scope closes, and reads of
    ``self.<attr>`` once every assignment to ``self`` is known."""

    def __init__(self) -> None:
        self.module = _Scope()
        self.scope = self.module
        self.globals: dict[str, str] = {}
        """Module-level name -> "def", "class" or the import it binds."""
        self.self_attributes: set[str] = set()
        self.self_reads: list[tuple[str, ast.AST]] = []
        self.expressions = _Dispatch(
            self._unknown,
            {
                ast.Name: self._name,
                ast.Constant: self._constant,
                ast.Attribute: self._attribute,
                ast.Call: self._call,
                ast.List: self._elements,
                ast.Tuple: self._elements,
                ast.Dict: self._dict,
                ast.ListComp: self._list_comprehension,
                ast.Starred: self._starred,
                ast.BinOp: self._binary,
                ast.UnaryOp: self._negative,
                ast.Subscript: self._subscript,
                ast.Slice: self._slice,
                ast.IfExp: self._conditional,
            },
        )
        self.statements = _Dispatch(
            self._unknown,
            {
                ast.Assign: self._assign,
                ast.AnnAssign: self._annotated_assign,
                ast.For: self._for,
                ast.Return: self._return,
                ast.Expr: self._expression_statement,
            },
        )

    # --- module, classes, functions ------------------------------------------------------------

    def check_module(self, tree: ast.Module) -> None:
        for statement in tree.body:
            if isinstance(statement, ast.FunctionDef):
                self._define(statement, "def")
                self._function(statement, method=False)
            elif isinstance(statement, ast.ClassDef):
                self._define(statement, "class")
                self._class(statement)
            elif isinstance(statement, ast.Import | ast.ImportFrom):
                self._import(statement)
            elif not _is_docstring(statement):
                kind = type(statement).__name__
                raise _refuse(statement, f"{kind} at module level is not allowed")
        for use in self.module.uses:
            self._resolve_global(*use)
        for attribute, node in self.self_reads:
            if attribute not in self.self_attributes:
                raise _refuse(node, f"self.{attribute} is used but no method assigns it")

    def _define(self, node: ast.FunctionDef | ast.ClassDef, kind: str) -> None:
        name = node.name
        if name.startswith("__"):
            raise _refuse(node, f"the name {name} is not allowed")
        if name in self.globals:
            raise _refuse(node, f"{name} is defined twice at module level")
        if name in _RUNTIME_BUILTINS:
            raise _refuse(node, f"{name} would hide the builtin {name}")
        self.globals[name] = kind

    def _import(self, node: ast.Import | ast.ImportFrom) -> None:
        module = node.module if isinstance(node, ast.ImportFrom) else None
        if isinstance(node, ast.ImportFrom) and node.level:
            raise _refuse(node, "relative imports are not allowed")
        for alias in node.names:
            bound = _IMPORTS.get((module, alias.name, alias.asname))
            shown = f"{module}.{alias.name}" if module else alias.name
            if bound is None:
                raise _refuse(node, f"import of {shown} is not allowed")
            if bound in self.globals:
                raise _refuse(node, f"{bound} is bound twice at module level")
            self.globals[bound] = bound

    def _class(self, node: ast.ClassDef) -> None:
        base = node.bases[0] if len(node.bases) == 1 else None
        if (
            node.decorator_list
            or node.keywords
            or not isinstance(base, ast.Attribute)
            or base.attr not in ("Module", "Sequential")
            or not isinstance(base.value, ast.Name)
            or base.value.id != "nn"
            or getattr(node, "type_params", None)
        ):
            raise _refuse(node, "classes must derive from nn.Module or nn.Sequential alone")
        self.module.uses.append(("nn", base.value, _READ, base.attr))  # nn is the import
        outer, self.scope = self.scope, _Scope()
        for statement in node.body:
            if isinstance(statement, ast.FunctionDef):
                if statement.name not in _METHODS:  # Cls.<method>(other) would bind self to other
                    raise _refuse(statement, "a class defines only __init__ and forward")
                self.scope.bound[statement.name] = 1
                self._function(statement, method=True)
            elif not _is_docstring(statement):
                raise _refuse(statement, f"{type(statement).__name__} in a class is not allowed")
        inner, self.scope = self.scope, outer
        for use in inner.uses:  # the class body's own reads: default values, annotations
            if use[0] in inner.bound:
                raise _refuse(use[1], f"reading the class attribute {use[0]} is not allowed")
            self.module.uses.append(use)

    def _function(self, node: ast.FunctionDef, method: bool) -> None:
        if node.decorator_list:
            raise _refuse(node, "decorators are not allowed")
        if getattr(node, "type_params", None):
            raise _refuse(node, "type parameters are not allowed")
        arguments = node.args
        for default in (*arguments.defaults, *arguments.kw_defaults):
            if default is not None:
                self._expression(default)
        positional = [*arguments.posonlyargs, *arguments.args]
        parameters = [*positional, *arguments.kwonlyargs]
        parameters += [extra for extra in (arguments.vararg, arguments.kwarg) if extra is not None]
        for parameter in parameters:  # annotations are evaluated where the function is defined
            if parameter.annotation is not None:
                self._expression(parameter.annotation)
        if node.returns is not None:
            self._expression(node.returns)
        if method and (not positional or positional[0].arg != "self"):
            raise _refuse(node, f"the method {node.name} must take self first")
        scope = _Scope(method)
        for parameter in parameters:
            if not (method and parameter is positional[0]):
                _check_bindable(parameter.arg, parameter)
            scope.bound[parameter.arg] = 1
        outer, self.scope = self.scope, scope
        statements = self.statements
        for statement in node.body:
            statements[type(statement)](statement)
        self.scope = outer
        bound, free = scope.bound, self.module.uses  # free names skip class bodies: the module's
        for use in scope.uses:
            if use[0] not in bound:
                free.append(use)
            elif use[2] != _VALUE:
                self._resolve_local(scope, *use)

    # --- statements ------------------------------------------------------------------------------

    def _assign(self, node: ast.Assign) -> None:
        value = node.value
        self.expressions[type(value)](value)
        for target in node.targets:
            self._target(target, node.value)

    def _annotated_assign(self, node: ast.AnnAssign) -> None:
        if node.value is None:
            raise _refuse(node, "an annotation without a value is not allowed")
        self._expression(node.annotation)
        self._expression(node.value)
        self._target(node.target, node.value)

    def _target(self, target: ast.expr, value: ast.expr) -> None:
        if isinstance(target, ast.Name):
            self._bind(target.id, target)
        elif isinstance(target, ast.Attribute):
            self._store_on_self(target, value)
        else:
            self._bind_names(target)

    def _store_on_self(self, target: ast.Attribute, value: ast.expr) -> None:
        receiver, attribute = target.value, target.attr
        if not isinstance(receiver, ast.Name) or receiver.id != "self" or not self.scope.method:
            raise _refuse(target, f"assigning to {_shown(target)} is not allowed")
        if attribute.startswith("_") or attribute in _module_attributes():
            raise _refuse(target, f"self.{attribute} would replace nn.Module's own attribute")
        if not _storable(value):
            raise _refuse(
                target,
                f"self.{attribute} = {_shown(value)} is not allowed: an attribute of self holds "
                "only a call's result, a constant or a container of those",
            )
        self.self_attributes.add(attribute)

    def _for(self, node: ast.For) -> None:
        target = node.target
        container = _sub_module_container(node.iter)
        if container is not None and isinstance(target, ast.Name):
            self.scope.uses.append(("self", container, _SELF_MEMBER, container.attr))
            self._bind(target.id, target)
            loop_bound = self.scope.loop_bound
            loop_bound[target.id] = loop_bound.get(target.id, 0) + 1
        else:
            self._expression(node.iter)
            self._bind_names(target)
        statements = self.statements
        for statement in (*node.body, *node.orelse):
            statements[type(statement)](statement)

    def _return(self, node: ast.Return) -> None:
        if node.value is not None:
            self._expression(node.value)

    def _expression_statement(self, node: ast.Expr) -> None:
        self._expression(node.value)

    def _bind(self, name: str, node: ast.AST) -> None:
        _check_bindable(name, node)
        bound = self.scope.bound
        bound[name] = bound.get(name, 0) + 1

    def _bind_names(self, target: ast.expr) -> None:
        """A ``for`` or comprehension target, or an unpacking: names, or a tuple of names and
        such tuples (``out, (h_n, c_n)``)."""
        elements = target.elts if isinstance(target, ast.Tuple) else [target]
        for element in elements:
            if isinstance(element, ast.Tuple):
                self._bind_names(element)
                continue
            if not isinstance(element, ast.Name):
                raise _refuse(target, f"assigning to {_shown(target)} is not allowed")
            self._bind(element.id, element)

    # --- expressions -----------------------------------------------------------------------------

    def _expression(self, node: ast.expr) -> None:
        self.expressions[type(node)](node)

    def _unknown(self, node: ast.AST) -> None:
        raise _refuse(node, f"{type(node).__name__} is not allowed")

    def _name(self, node: ast.Name) -> None:
        if node.id.startswith("__"):
            raise _refuse(node, f"the name {node.id} is not allowed")
        self.scope.uses.append((node.id, node, _VALUE, ""))

    def _constant(self, node: ast.Constant) -> None:
        if type(node.value) not in _CONSTANT_TYPES:
            raise _refuse(node, f"the constant {node.value!r} is not allowed")

    def _attribute(self, node: ast.Attribute) -> None:
        receiver, attribute = node.value, node.attr
        if attribute.startswith("_"):
            raise _refuse(node, f"access to {attribute} is not allowed")
        if not isinstance(receiver, ast.Name):
            raise _refuse(node, f"reading {_shown(node)} is not allowed")
        self.scope.uses.append((receiver.id, receiver, _READ, attribute))

    def _call(self, node: ast.Call) -> None:
        function = node.func
        if isinstance(function, ast.Name):
            self.scope.uses.append((function.id, function, _CALL, ""))
        elif isinstance(function, ast.Attribute):
            self._call_member(function)
        else:
            raise _refuse(node, f"the call {_shown(function)}(...) is not allowed")
        expressions = self.expressions
        for argument in node.args:
            expressions[type(argument)](argument)
        for keyword in node.keywords:
            value = keyword.value
            expressions[type(value)](value)

    def _call_member(self, function: ast.Attribute) -> None:
        receiver, attribute = function.value, function.attr
        uses = self.scope.uses
        if isinstance(receiver, ast.Name) and not attribute.startswith("_"):
            uses.append((receiver.id, receiver, _CALL_MEMBER, attribute))
        elif (
            isinstance(receiver, ast.Call) and attribute == "__init__" and _is_bare_super(receiver)
        ):
            uses.append(("super", receiver.func, _SUPER, ""))
        elif (
            isinstance(receiver, ast.Attribute)
            and (attribute == "append" or attribute in _TENSOR_METHODS)
            and isinstance(receiver.value, ast.Name)
            and not receiver.attr.startswith("_")
        ):
            uses.append((receiver.value.id, receiver.value, _SELF_MEMBER, receiver.attr))
        elif isinstance(receiver, ast.Call | ast.Subscript) and attribute in _TENSOR_METHODS:
            self._expression(receiver)  # a chain: x.unsqueeze(1).expand(...), x[:, 0].view(...)
        elif (
            isinstance(receiver, ast.Attribute)
            and isinstance(receiver.value, ast.Name)
            and (receiver.attr, attribute) in _NN_CLASS_CALLS
        ):
            uses.append((receiver.value.id, receiver.value, _CALL_MEMBER, receiver.attr))
        else:
            raise _refuse(function, f"the call {_shown(function)}(...) is not allowed")

    def _elements(self, node: ast.List | ast.Tuple) -> None:
        expressions = self.expressions
        for element in node.elts:
            expressions[type(element)](element)

    def _dict(self, node: ast.Dict) -> None:
        for key in node.keys:
            if key is not None:
                self._expression(key)
        for value in node.values:
            self._expression(value)

    def _list_comprehension(self, node: ast.ListComp) -> None:
        generators = node.generators
        self._expression(generators[0].iter)  # the first iterable is read in the enclosing scope
        outer, scope = self.scope, _Scope()
        self.scope = scope
        for index, generator in enumerate(generators):
            if generator.is_async:
                raise _refuse(node, "async comprehensions are not allowed")
            if index:
                self._expression(generator.iter)
            self._bind_names(generator.target)
            for condition in generator.ifs:
                self._expression(condition)
        self._expression(node.elt)
        self.scope = outer
        for use in scope.uses:
            if use[0] not in scope.bound:
                outer.uses.append(use)
            elif use[2] != _VALUE and not _tensor_use(use[2], use[3]):
                raise _refuse(use[1], f"{use[0]} is a comprehension variable: it is only read")

    def _starred(self, node: ast.Starred) -> None:
        self._expression(node.value)

    def _binary(self, node: ast.BinOp) -> None:
        if not isinstance(node.op, ast.Add | ast.Mult | ast.MatMult):
            raise _refuse(node, f"{type(node.op).__name__} is not allowed")
        self._expression(node.left)
        self._expression(node.right)

    def _negative(self, node: ast.UnaryOp) -> None:
        """A negative number (``x.reshape(-1, 64)``, ``dim=-1``): nothing else unary."""
        operand = node.operand
        if not (
            isinstance(node.op, ast.USub)
            and isinstance(operand, ast.Constant)
            and type(operand.value) in (int, float)
        ):
            raise _refuse(node, f"{_shown(node)} is not allowed (only a negative number is)")

    def _subscript(self, node: ast.Subscript) -> None:
        self._expression(node.value)
        self._expression(node.slice)

    def _slice(self, node: ast.Slice) -> None:
        for part in (node.lower, node.upper, node.step):
            if part is not None:
                self._expression(part)

    def _conditional(self, node: ast.IfExp) -> None:
        self._expression(node.test)
        self._expression(node.body)
        self._expression(node.orelse)

    # --- resolving names -------------------------------------------------------------------------

    def _resolve_local(
        self, scope: _Scope, name: str, node: ast.AST, use: int, member: str
    ) -> None:
        """A local's use other than a plain read."""
        if use == _CALL:
            loops = scope.loop_bound.get(name, 0)
            if loops and loops == scope.bound[name]:
                return
            raise _refuse(
                node,
                f"the call {name}(...) is not allowed: a local is called only as the variable of "
                "loops over a sub-module container (for layer in self.layers)",
            )
        if name == "self" and scope.method and use in (_READ, _CALL_MEMBER, _SELF_MEMBER):
            self.self_reads.append((member, node))
            return
        if _tensor_use(use, member):
            return
        shown = f"{name}.{member}" if member else name
        raise _refuse(node, f"{shown} is not allowed on the local variable {name}")

    def _resolve_global(self, name: str, node: ast.AST, use: int, member: str) -> None:
        kind = self.globals.get(name)
        if use == _VALUE:
            if kind in ("def", "class", "Any") or (kind is None and name in _READABLE_BUILTINS):
                return
            if kind is not None:
                raise _refuse(node, f"the module {name} is used only as {name}.<member>")
            raise _refuse(
                node,
                f"the name {name} is not allowed: not defined by the module, not imported and "
                "not an allowed builtin",
            )
        if use == _CALL:
            if kind in ("def", "class", "OrderedDict") or (
                kind is None and name in _CALLABLE_BUILTINS
            ):
                return
            raise _refuse(
                node,
                f"the call {name}(...) is not allowed: only the module's own functions and "
                "classes, zip and super().__init__ are called by name",
            )
        if use == _SUPER:
            return  # no module-level name hides a builtin
        if use == _SELF_MEMBER:
            raise _refuse(node, f"{name}.{member} is not allowed: {name} is not self")
        members = _members(kind, use)
        if member not in members:
            raise _refuse(node, f"{name}.{member} is not allowed")


def _members(kind: str | None, use: int) -> frozenset[str]:
    """The members of an import that may be read (or called, for ``_CALL_MEMBER``)."""
    if kind == "torch":
        return _TORCH_READS if use == _READ else _TORCH_CALLS
    if kind == "nn":
        return _nn_modules() | _NN_VALUES
    if kind == "F":
        return _FUNCTIONAL
    return frozenset()


def _tensor_use(use: int, member: str) -> bool:
    """Whether a local (a tensor) may be used so: an allowed method called, attribute read."""
    return (use == _CALL_MEMBER and member in _TENSOR_METHODS) or (
        use == _READ and member in _TENSOR_ATTRIBUTES
    )


def _check_bindable(name: str, node: ast.AST) -> None:
    if name == "self":
        raise _refuse(node, "self is only a method's first parameter")
    if name.startswith("__"):
        raise _refuse(node, f"the name {name} is not allowed")


def _is_docstring(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    )


def _is_bare_super(call: ast.Call) -> bool:
    function = call.func
    return (
        isinstance(function, ast.Name)
        and function.id == "super"
        and not call.args
        and not call.keywords
    )


def _sub_module_container(node: ast.expr) -> ast.Attribute | None:
    """``self.<attr>`` in ``self.<attr>`` or ``self.<attr>.values()``, else None."""
    if isinstance(node, ast.Call) and not node.args and not node.keywords:
        function = node.func
        if not isinstance(function, ast.Attribute) or function.attr != "values":
            return None
        node = function.value
    if not isinstance(node, ast.Attribute) or node.attr.startswith("_"):
        return None
    receiver = node.value
    return node if isinstance(receiver, ast.Name) and receiver.id == "self" else None
