"""Classes that take their sizes as arguments: one class for sub-modules built alike but sized
differently, as people write them (torchvision's ``BasicBlock(inplanes, planes, stride)``, the
seed's ``MyEncoder(enc_sizes)``).

Works on the text the emitter wrote for each instance of a class, one statement per line. In
``__init__``, every literal (a number, a bool, or a tuple or list of those) is a slot; instances
whose text is the same once slots are blanked (with their type) are built alike and share one
class. A slot whose value differs between them becomes a constructor parameter, slots that
always hold the same values share one, and each instance passes its own values where it is
built. A line that only binds a local to a slot (a stack's ``sizes = [1, 32, 64]``) gives the
parameter its name and is dropped. ``forward`` must be identical: it is left as written.
"""

from __future__ import annotations

import ast
import functools
import inspect
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from torch import nn

from designer.compiler.namespace import Namespace

INIT_LINE = "    def __init__(self) -> None:"
FORWARD_START = "    def forward("
HELPER_PARAMETERS = {
    "conv_block": ("in_channels", "out_channels"),
    "dec_block": ("in_features", "out_features"),
}
"""What the generated helpers' size arguments are, as names for the sizes passed to them."""

ParameterNames = Callable[[str], Sequence[str] | None]
"""A generated class's name -> its constructor's parameter names (None: not known yet)."""


@dataclass(frozen=True, slots=True)
class _Slot:
    line: int
    start: int
    end: int
    """Byte offsets of the literal in its line."""
    text: str
    kind: str
    """Its type as an annotation: ``int``, ``tuple[int, int]``, ``list[int]``."""
    hint: str | None
    """What it is called where it is used: a keyword, a parameter, the local it binds."""
    binds: str | None
    """The local the line binds to this literal alone (``sizes = [1, 32]``), if so."""


@dataclass(frozen=True, slots=True)
class Parameter:
    name: str
    annotation: str


@dataclass(frozen=True, slots=True)
class SharedClass:
    """One class for several instances: its lines (``{name}`` for its name), its parameters
    and, per member, the arguments that build it."""

    members: tuple[int, ...]
    """Indices into the bodies given."""
    lines: tuple[str, ...]
    kept: tuple[bool, ...]
    """Per line of the members' bodies: whether it is kept (one binding a parameter is not)."""
    parameters: tuple[Parameter, ...]
    arguments: tuple[tuple[str, ...], ...]
    """Per member, the source of each parameter's value."""


def share_classes(bodies: Sequence[Sequence[str]], names: ParameterNames) -> list[SharedClass]:
    """Bodies grouped into classes, in order of first appearance: those built alike share one,
    parametric where they differ."""
    parsed = [_slots(body, names) for body in bodies]
    families: dict[tuple[str, ...], list[int]] = {}
    for index, (skeleton, _) in enumerate(parsed):
        families.setdefault(skeleton, []).append(index)
    return [
        _shared(bodies[members[0]], [parsed[member][1] for member in members], tuple(members))
        for members in families.values()
    ]


def _shared(
    body: Sequence[str], slots_per_member: list[list[_Slot]], members: tuple[int, ...]
) -> SharedClass:
    first = slots_per_member[0]
    varying = [
        position
        for position in range(len(first))
        if len({slots[position].text for slots in slots_per_member}) > 1
    ]
    by_values: dict[tuple[str, ...], list[int]] = {}
    for position in varying:
        values = tuple(slots[position].text for slots in slots_per_member)
        by_values.setdefault(values, []).append(position)
    taken = Namespace(_names_in(body))
    dropped: set[int] = set()
    replacements: dict[int, str] = {}
    parameters: list[Parameter] = []
    for positions in by_values.values():
        slots = [first[position] for position in positions]
        binding = next(((slot.binds, slot.line) for slot in slots if slot.binds), None)
        if binding is not None:
            name, line = binding  # the local becomes the parameter
            dropped.add(line)
        else:
            name = taken.create(_parameter_name(slot.hint for slot in slots))
        parameters.append(Parameter(name, slots[0].kind))  # the skeleton holds it: all agree
        for position in positions:
            replacements[position] = name
    lines = list(body)
    for position in sorted(replacements, key=lambda p: (first[p].line, -first[p].start)):
        slot = first[position]
        if slot.line in dropped:
            continue
        encoded = lines[slot.line].encode()
        lines[slot.line] = (
            encoded[: slot.start] + replacements[position].encode() + encoded[slot.end :]
        ).decode()
    if parameters:
        init = lines.index(INIT_LINE)
        signature = ", ".join(f"{p.name}: {p.annotation}" for p in parameters)
        lines[init] = f"    def __init__(self, {signature}) -> None:"
    kept = tuple(index not in dropped for index in range(len(lines)))
    arguments = tuple(
        tuple(slots[by_values_positions[0]].text for by_values_positions in by_values.values())
        for slots in slots_per_member
    )
    return SharedClass(
        members,
        tuple(line for line, keep in zip(lines, kept, strict=True) if keep),
        kept,
        tuple(parameters),
        arguments,
    )


def _parameter_name(hints: Iterable[str | None]) -> str:
    """``in_channels`` and ``out_channels`` of one value are its ``channels``."""
    known = [hint for hint in hints if hint]
    for hint in known:
        if hint.startswith("in_") and f"out_{hint[3:]}" in known:
            return hint[3:]
    return known[0] if known else "size"


def _names_in(body: Sequence[str]) -> set[str]:
    names = {"self"}
    for line in body:
        tree = _statement(line)
        if tree is not None:
            names |= {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    return names


def _statement(line: str) -> ast.Module | None:
    try:
        return ast.parse(line.strip())
    except SyntaxError:
        return None


def _slots(body: Sequence[str], names: ParameterNames) -> tuple[tuple[str, ...], list[_Slot]]:
    """The body's skeleton (slots blanked with their kind) and its ``__init__`` slots."""
    skeleton: list[str] = []
    slots: list[_Slot] = []
    in_init = False
    for number, line in enumerate(body):
        if line == INIT_LINE:
            in_init = True
        elif line.startswith(FORWARD_START):
            in_init = False
        tree = _statement(line) if in_init and line != INIT_LINE else None
        if tree is None:
            skeleton.append(line)
            continue
        indent = len(line.encode()) - len(line.strip().encode())
        found = list(_literals(tree, names))
        encoded = line.encode()
        blanked, last = b"", 0
        for node, hint, binds in sorted(found, key=lambda item: item[0].col_offset):
            start, end = indent + node.col_offset, indent + (node.end_col_offset or 0)
            kind = _kind(node)
            blanked += encoded[last:start] + f"\0{kind}\0".encode()
            last = end
            slots.append(_Slot(number, start, end, encoded[start:end].decode(), kind, hint, binds))
        skeleton.append((blanked + encoded[last:]).decode())
    return tuple(skeleton), slots


def _literals(
    tree: ast.Module, names: ParameterNames
) -> Iterator[tuple[ast.expr, str | None, str | None]]:
    """The statement's outermost literals, each with its name where used and the local it
    binds alone."""
    statement = tree.body[0] if tree.body else None
    if (
        isinstance(statement, ast.Assign)
        and len(statement.targets) == 1
        and isinstance(statement.targets[0], ast.Name)
        and _is_literal(statement.value)
    ):
        local = statement.targets[0].id
        yield statement.value, local, local
        return
    yield from _walk(tree, None, names)


def _walk(
    node: ast.AST, hint: str | None, names: ParameterNames
) -> Iterator[tuple[ast.expr, str | None, str | None]]:
    if isinstance(node, ast.expr) and _is_literal(node):
        yield node, hint, None
        return
    if isinstance(node, ast.Call):
        positional = _positional_names(node.func, names)
        yield from _walk(node.func, None, names)
        for index, argument in enumerate(node.args):
            name = positional[index] if positional and index < len(positional) else None
            yield from _walk(argument, name, names)
        for keyword in node.keywords:
            yield from _walk(keyword.value, keyword.arg, names)
        return
    if isinstance(node, ast.Assign | ast.AnnAssign):
        target = node.targets[0] if isinstance(node, ast.Assign) else node.target
        name = target.attr if isinstance(target, ast.Attribute) else None
        if node.value is not None:
            yield from _walk(node.value, name, names)
        return
    for child in ast.iter_child_nodes(node):
        yield from _walk(child, hint, names)


def _is_literal(node: ast.expr) -> bool:
    return _kind(node) != ""


def _kind(node: ast.expr) -> str:
    """The literal's type as an annotation; empty for no literal."""
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool):
            return "bool"
        return type(value).__name__ if isinstance(value, int | float) else ""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _kind(node.operand)
        return inner if inner in ("int", "float") else ""
    if isinstance(node, ast.Tuple | ast.List) and node.elts:
        kinds = {_kind(element) for element in node.elts}
        if len(kinds) != 1 or kinds & {"", "bool"}:
            return ""
        (element,) = kinds
        if "[" in element:
            return ""
        if isinstance(node, ast.List):
            return f"list[{element}]"
        return f"tuple[{', '.join([element] * len(node.elts))}]"
    return ""


def _positional_names(function: ast.expr, names: ParameterNames) -> Sequence[str] | None:
    if isinstance(function, ast.Name):
        return HELPER_PARAMETERS.get(function.id) or names(function.id)
    if (
        isinstance(function, ast.Attribute)
        and isinstance(function.value, ast.Name)
        and function.value.id == "nn"
    ):
        return _torch_parameters(function.attr)
    return None


@functools.cache
def _torch_parameters(class_name: str) -> tuple[str, ...] | None:
    constructor = getattr(nn, class_name, None)
    if not isinstance(constructor, type):
        return None
    try:
        parameters = inspect.signature(constructor).parameters.values()
    except (TypeError, ValueError):
        return None
    return tuple(
        p.name for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    )
