"""Scopes -> one Python module: helpers, a class per sub-module, the model class.

A group whose items form a plain chain (one value in, one out, every item a module) and that has
no class name of its own becomes an ``nn.Sequential``; any other group, and the model, becomes
an ``nn.Module`` subclass whose ``forward`` names its intermediate values. The value flowing
down the main line is ``x`` (``out`` where ``x`` must be kept); values read later or twice are
named after the block that made them.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from dataclasses import dataclass, field

from designer.compiler.errors import CompileError
from designer.compiler.layers import BlockCode, Needs, block_code, palette_source
from designer.compiler.namespace import Namespace, class_name_for
from designer.compiler.scopes import Item, Scope, build_scopes
from designer.graph import Design, ShapeReport

INDENT = "    "
HELPERS = ("activations", "conv_block", "dec_block")
MODULE_NAMES = ("torch", "nn", "F", "Any", *HELPERS)
FORWARD_NAMES = ("self", "torch", "nn", "F")
KEEP_ZIP_IDIOM = "# ruff: noqa: RUF007 - stacks keep the seed's idiom, zip(sizes, sizes[1:])"


@dataclass(slots=True)
class _Module:
    """What is being written: the classes so far and what they need."""

    design: Design
    report: ShapeReport
    needs: Needs = field(default_factory=Needs)
    classes: dict[str, str] = field(default_factory=dict)
    """Class name -> class source, in the order they must appear."""
    names: Namespace = field(default_factory=lambda: Namespace(MODULE_NAMES))


def emit_module(design: Design, report: ShapeReport, header: str) -> str:
    """The whole generated module, before formatting."""
    _check_model_class_name(design.class_name)
    module = _Module(design, report)
    module.names.reserve(design.class_name)
    for group in design.groups.values():  # names made up for other groups must avoid these
        if group.class_name is not None:
            module.names.reserve(group.class_name)
    scopes = build_scopes(design)
    model = _class_source(module, scopes, design.class_name)
    parts = [f'"""{_docstring_text(header)}"""', _imports(module.needs), *_helpers(module.needs)]
    if module.needs.stacks:
        parts[0] += f"\n\n{KEEP_ZIP_IDIOM}"
    parts += [*module.classes.values(), model]
    return "\n\n\n".join(parts) + "\n"


def _docstring_text(text: str) -> str:
    """``text`` escaped to sit between triple quotes and read back as itself.

    The header quotes a file name, which may hold backslashes (``C:\\Users``), quotes or
    characters that can't be written as they are.
    """
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return "".join(
        char if char.isprintable() or char == "\n" else repr(char)[1:-1] for char in escaped
    )


def _check_model_class_name(name: str) -> None:
    """The model class is defined at module level: it must not hide what the code uses."""
    if name in MODULE_NAMES:
        raise CompileError(
            f"model class name {name} is taken by the generated imports or helpers; choose another"
        )
    if hasattr(builtins, name):
        raise CompileError(
            f"model class name {name} would hide Python's built-in {name}; choose another"
        )


def _imports(needs: Needs) -> str:
    lines = []
    if needs.conv_block or needs.dec_block:
        lines += ["from typing import Any", ""]
    lines.append("import torch")
    if needs.functional:
        lines.append("import torch.nn.functional as F")
    lines.append("from torch import nn")
    return "\n".join(lines)


def _helpers(needs: Needs) -> list[str]:
    helpers = []
    if needs.palette:
        helpers.append(
            "def activations() -> nn.ModuleDict:\n"
            f'{INDENT}"""The activation palette blocks pick from (fresh modules each call)."""\n'
            f"{INDENT}return nn.ModuleDict({palette_source(needs.palette)})"
        )
    if needs.conv_block:
        option = ", batch_norm: bool = True" if needs.conv_block_batch_norm else ""
        norm = (
            "*([nn.BatchNorm2d(out_f)] if batch_norm else [])"
            if needs.conv_block_batch_norm
            else "nn.BatchNorm2d(out_f)"
        )
        helpers.append(
            "def conv_block(\n"
            f'{INDENT}in_f: int, out_f: int, activation: str = "relu"{option}, **kwargs: Any\n'
            ") -> nn.Sequential:\n"
            f'{INDENT}"""Conv2d, BatchNorm2d and an activation picked from the palette."""\n'
            f"{INDENT}return nn.Sequential(\n"
            f"{INDENT * 2}nn.Conv2d(in_f, out_f, **kwargs),\n"
            f"{INDENT * 2}{norm},\n"
            f"{INDENT * 2}activations()[activation],\n"
            f"{INDENT})"
        )
    if needs.dec_block:
        helpers.append(
            "def dec_block(\n"
            f'{INDENT}in_f: int, out_f: int, activation: str = "sigmoid", **kwargs: Any\n'
            ") -> nn.Sequential:\n"
            f'{INDENT}"""Linear and an activation picked from the palette."""\n'
            f"{INDENT}return nn.Sequential(\n"
            f"{INDENT * 2}nn.Linear(in_f, out_f, **kwargs), activations()[activation]\n"
            f"{INDENT})"
        )
    return helpers


# --- sub-modules ---------------------------------------------------------------------------


@dataclass(slots=True)
class _Built:
    """An item's code as its parent needs it."""

    setup: list[str]
    constructor: str | None
    code: BlockCode | None = None


def _item(module: _Module, item: Item, parent: Scope, locals_: Namespace) -> _Built:
    design = module.design
    if item.is_group:
        return _group(module, item, parent.children[item.id], locals_)
    block = design.blocks[item.id]
    sizes_name = locals_.create(f"{block.name}_sizes") if block.kind.endswith("_stack") else ""
    inputs = [shape for shape in module.report.results[item.id].inputs if shape is not None]
    code = block_code(block, inputs, sizes_name, module.needs)
    return _Built(list(code.setup), code.constructor, code)


def _group(module: _Module, item: Item, scope: Scope, locals_: Namespace) -> _Built:
    group = module.design.groups[item.id]
    if group.class_name is None and _is_chain(module, scope):
        setup: list[str] = []
        constructors = []
        for child in scope.items:
            built = _item(module, child, scope, locals_)
            setup += built.setup
            assert built.constructor is not None
            constructors.append(built.constructor)
        return _Built(setup, f"nn.Sequential({', '.join(constructors)})")
    wanted = group.class_name or class_name_for(group.name)
    body = _class_source(module, scope, "{name}")
    name = _register_class(module, wanted, body, explicit=group.class_name is not None)
    return _Built([], f"{name}()")


def _register_class(module: _Module, wanted: str, body: str, *, explicit: bool) -> str:
    """The class name to use: shared with an identical class of that name, else a new one."""
    if module.classes.get(wanted) == body.replace("{name}", wanted):
        return wanted
    if explicit and wanted in module.classes:
        raise CompileError(
            f"two different sub-modules are both of class {wanted}: give one another class "
            "name (groups share a class only when they are built alike)"
        )
    if explicit and (wanted in MODULE_NAMES or wanted == module.design.class_name):
        raise CompileError(
            f"class name {wanted} is taken by the model or the generated helpers; choose another"
        )
    # explicit names are reserved up front (so derived ones avoid them) and kept as asked,
    # except that a builtin's name gets Namespace's suffix rather than hide the builtin
    name = wanted if explicit and not hasattr(builtins, wanted) else module.names.create(wanted)
    module.classes[name] = body.replace("{name}", name)
    return name


def _is_chain(module: _Module, scope: Scope) -> bool:
    """One value in, one out, passed item to item, and every item a module."""
    if len(scope.inputs) != 1 or len(scope.outputs) != 1 or not scope.items:
        return False
    uses = scope.uses()
    previous = scope.inputs
    for item in scope.items:
        if item.inputs != previous or len(item.outputs) != 1 or uses[previous[0]] != 1:
            return False
        if not item.is_group and not _is_plain_module(module, item.id):
            return False
        if item.is_group:
            child = scope.children[item.id]
            if len(child.inputs) != 1 or len(child.outputs) != 1:
                return False
        previous = item.outputs
    return previous == scope.outputs and uses[previous[0]] == 1


def _is_plain_module(module: _Module, block_id: str) -> bool:
    block = module.design.blocks[block_id]
    if block.kind in ("add", "concat"):
        return False
    if block.kind in ("activation", "flatten") and block.params["functional"]:
        return False
    return not block.params.get("keep_outputs", False)


# --- classes -------------------------------------------------------------------------------


def _class_source(module: _Module, scope: Scope, class_name: str) -> str:
    """``class <class_name>(nn.Module)`` for a scope; ``{name}`` may stand for the name."""
    design = module.design
    locals_ = Namespace(("self",))
    attributes = {
        item.id: (design.groups[item.id].name if item.is_group else design.blocks[item.id].name)
        for item in scope.items
    }
    members = Namespace(attributes.values())
    init: list[str] = []
    built: dict[str, _Built] = {}
    for item in scope.items:
        part = _item(module, item, scope, locals_)
        built[item.id] = part
        init += part.setup
        if part.constructor is not None:
            init.append(f"self.{attributes[item.id]} = {part.constructor}")
    traces = _trace_names(scope, built, attributes, members)
    init += [f"self.{name}: list[torch.Tensor] = []" for name in traces.values()]
    if scope.group_id is None:
        arguments = [design.blocks[value].name for value in scope.inputs]
    else:
        arguments = ["x", *(f"x{index}" for index in range(1, len(scope.inputs)))]
    forward = _forward(module, scope, built, attributes, traces, arguments)
    if not scope.outputs:  # a group whose results all end inside it: it only runs
        returns = "None"
    elif len(scope.outputs) == 1:
        returns = "torch.Tensor"
    else:
        returns = "tuple[" + ", ".join(["torch.Tensor"] * len(scope.outputs)) + "]"
    signature = ", ".join(["self", *forward.arguments])
    init_lines = [f"{INDENT * 2}super().__init__()", *(INDENT * 2 + line for line in init)]
    return "\n".join(
        [
            f"class {class_name}(nn.Module):",
            f"{INDENT}def __init__(self) -> None:",
            *init_lines,
            "",
            f"{INDENT}def forward({signature}) -> {returns}:",
            *(INDENT * 2 + line for line in forward.lines),
        ]
    )


def _trace_names(
    scope: Scope, built: dict[str, _Built], attributes: dict[str, str], members: Namespace
) -> dict[str, str]:
    keepers = [
        item.id for item in scope.items if (code := built[item.id].code) and code.keeps_outputs
    ]
    if len(keepers) == 1 and "trace" not in members:
        members.reserve("trace")
        return {keepers[0]: "trace"}
    return {item_id: members.create(f"{attributes[item_id]}_trace") for item_id in keepers}


@dataclass(slots=True)
class _Forward:
    arguments: list[str]
    lines: list[str]


def _forward(
    module: _Module,
    scope: Scope,
    built: dict[str, _Built],
    attributes: dict[str, str],
    traces: dict[str, str],
    wanted_arguments: Sequence[str],
) -> _Forward:
    design = module.design
    uses = scope.uses()
    items = scope.items
    streamed = _streamed_values(scope, uses)
    values = Namespace(FORWARD_NAMES)
    arguments = [values.create(name) for name in wanted_arguments]
    name_of = dict(zip(scope.inputs, arguments, strict=True))
    kept_arguments = {name for value, name in name_of.items() if value not in streamed}
    main = "out" if "x" in kept_arguments else "x"
    # the main line may reuse a streamed argument's name: that argument is dead once read
    if main in kept_arguments or (main == "out" and "out" in values):
        main = values.create(main)
    values.reserve(main)
    for item in items:
        for value in item.outputs:
            if value in streamed:
                name_of[value] = main
            else:
                name_of[value] = values.create(design.blocks[value].name)
    loop_variable = values.create("layer") if traces else ""
    lines: list[str] = []
    last_expression: str | None = None
    for index, item in enumerate(items):
        ins = [name_of[value] for value in item.inputs]
        outs = [name_of[value] for value in item.outputs]
        attribute = attributes[item.id]
        code = built[item.id].code
        last_expression = None
        if item.id in traces:
            trace, out = traces[item.id], outs[0]
            if out != ins[0]:
                lines.append(f"{out} = {ins[0]}")
            lines += [
                f"self.{trace} = []",
                f"for {loop_variable} in self.{attribute}:",
                f"{INDENT}{out} = {loop_variable}({out})",
                f"{INDENT}self.{trace}.append({out})",
            ]
            continue
        if code is not None and code.statement is not None:
            expression = code.statement(ins)
        else:
            expression = f"self.{attribute}({', '.join(ins)})"
        unread = not outs or all(uses[value] == 0 for value in item.outputs)
        lines.append(expression if unread else f"{', '.join(outs)} = {expression}")
        if index == len(items) - 1 and len(outs) == 1:
            last_expression = expression
    results = [name_of[value] for value in scope.outputs]
    if (
        last_expression is not None
        and len(results) == 1
        and items
        and items[-1].outputs == scope.outputs
        and scope.outputs[0] in streamed
    ):
        lines[-1] = f"return {last_expression}"
    elif results:
        lines.append(f"return {', '.join(results)}")
    annotated = [f"{name}: torch.Tensor" for name in arguments]
    return _Forward(annotated, lines)


def _streamed_values(scope: Scope, uses: dict[str, int]) -> set[str]:
    """Values read exactly once, by the very next item (or returned by the last)."""
    streamed = set()
    producers: list[list[str]] = [list(scope.inputs), *(item.outputs for item in scope.items)]
    for index, values in enumerate(producers):
        following = scope.items[index] if index < len(scope.items) else None
        if index > 0 and len(values) != 1:
            continue  # the main line holds one value: a sub-module's several outputs are named
        for value in values:
            if uses[value] != 1:
                continue
            read_next = following is not None and value in following.inputs
            returned = following is None and value in scope.outputs
            if read_next or returned:
                streamed.add(value)
    return streamed
