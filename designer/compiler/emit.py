"""Scopes -> one Python module: helpers, a class per sub-module, the model class.

A group whose items form a plain chain (one value in, one out, every item a module) and that has
no class name of its own becomes an ``nn.Sequential``; any other group, and the model, becomes
an ``nn.Module`` subclass whose ``forward`` names its intermediate values. The value flowing
down the main line is ``x`` (``out`` where ``x`` must be kept); values read later or twice are
named after the block that made them.

While it writes, the emitter records where each block went (as torch.fx's codegen keeps its
node-to-line map): the class whose code defines or applies it, its attribute there, its module
path as ``named_modules()`` will give it, and the statements that define or apply it. Every
statement of a class is written as one line, so a statement is counted by its place among the
class's non-blank lines; the formatter splits and re-indents statements but never adds, drops,
joins or reorders them, so ``compile.py`` finds the same statements, by the same count, in the
parse of the formatted text (the allow-list's tree) and turns them into line numbers there.
"""

from __future__ import annotations

import builtins
import re
import textwrap
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from designer.compiler.errors import ClassConflictError, CompileError
from designer.compiler.namespace import Namespace, class_name_for
from designer.compiler.parametric import INIT_LINE, SharedClass, share_classes
from designer.compiler.scopes import Item, Scope, build_scopes, producer_of
from designer.compiler.varying import varying_parameters
from designer.graph import Design, End, ShapeReport
from designer.graph.block_code import BlockCode, CodeContext, Needs, palette_source
from designer.graph.model import OUTPUT_PORT
from designer.graph.names import is_identifier

INDENT = "    "
HELPERS = ("activations", "conv_block", "dec_block")
MODULE_NAMES = ("torch", "nn", "F", "Any", "OrderedDict", *HELPERS)
FORWARD_NAMES = ("self", "torch", "nn", "F")
KEEP_ZIP_IDIOM = "# ruff: noqa: RUF007 - stacks keep the seed's idiom, zip(sizes, sizes[1:])"
_TOKEN_FORMAT = "\0class {}\0"
_TOKEN = re.compile(r"\0class \d+\0")
"""What stands for an instance's constructor call until its class is shared out."""
LINE_LENGTH = 88
"""The formatter's line length (ruff's default), which the header docstring is wrapped to."""


@dataclass(frozen=True, slots=True)
class RawPlace:
    """Where a block went, as written (before formatting)."""

    class_name: str
    """The generated class whose code defines or applies the block."""
    attribute: str | None
    """``self.<attribute>`` in that class; None inside an ``nn.Sequential`` and for blocks
    that live in ``forward`` only (functional ones, merges, inputs and outputs)."""
    module_path: str | None
    """The block's module as ``named_modules()`` gives it; None where it becomes none."""
    statements: tuple[int, ...]
    """The statements that define or apply it: places among the class's non-blank lines, the
    ``class`` line being 0."""


@dataclass(frozen=True, slots=True)
class EmittedModule:
    source: str
    """The module's text, before formatting."""
    places: dict[str, RawPlace]
    """Block id -> where it went (blocks that became no code have none)."""


@dataclass(slots=True)
class _ClassBody:
    """A class's lines as written, one statement each, and the blocks each one is about."""

    lines: list[str]
    """With ``{name}`` standing for the class name until it is registered."""
    blocks: list[tuple[str, ...]]
    """Per line: the blocks it defines or applies."""
    name: str = ""

    def text(self) -> str:
        return "\n".join(self.lines)


@dataclass(slots=True)
class _Where:
    body: _ClassBody
    attribute: str | None
    module_path: str | None


@dataclass(slots=True)
class _Instance:
    """A group written as a class, until the classes are shared out (``parametric.py``)."""

    group_id: str
    wanted: str
    explicit: bool
    body: _ClassBody
    token: str
    """Stands for its constructor call in its parent's text until then."""


@dataclass(slots=True)
class _Module:
    """What is being written: the classes so far and what they need."""

    design: Design
    report: ShapeReport
    varying: dict[str, frozenset[str]]
    """Block id -> parameters always written: they differ between groups sharing a class."""
    needs: Needs = field(default_factory=Needs)
    classes: dict[str, str] = field(default_factory=dict)
    """Class name -> class source, in the order they must appear."""
    class_order: dict[str, int] = field(default_factory=dict)
    """Class name -> when its first instance was written (classes appear in that order)."""
    class_parameters: dict[str, tuple[str, ...]] = field(default_factory=dict)
    instances: list[_Instance] = field(default_factory=list)
    names: Namespace = field(default_factory=lambda: Namespace(MODULE_NAMES))
    where: dict[str, _Where] = field(default_factory=dict)
    """Block id -> the class body, attribute and module path it went to."""


def emit_module(design: Design, report: ShapeReport, header: str) -> EmittedModule:
    """The whole generated module, before formatting, and where each block went in it."""
    _check_model_class_name(design.class_name)
    module = _Module(design, report, varying_parameters(design))
    module.names.reserve(design.class_name)
    for group in design.groups.values():  # names made up for other groups must avoid these
        if group.class_name is not None:
            module.names.reserve(group.class_name)
    scopes = build_scopes(design)
    model = _class_source(module, scopes, "")
    model.name = design.class_name
    constructors = _share_classes(module)
    model_text = _with_constructors(model.text(), constructors).replace("{name}", model.name)
    parts = [f'"""{_docstring_text(header)}"""', _imports(module.needs), *_helpers(module.needs)]
    if module.needs.stacks:
        parts[0] += f"\n\n{KEEP_ZIP_IDIOM}"
    classes = sorted(module.classes, key=module.class_order.__getitem__)
    parts += [*(module.classes[name] for name in classes), model_text]
    return EmittedModule("\n\n\n".join(parts) + "\n", _places(module))


def _places(module: _Module) -> dict[str, RawPlace]:
    statements: dict[str, list[int]] = {}
    counted: set[int] = set()
    for where in module.where.values():
        body = where.body
        if id(body) in counted:
            continue
        counted.add(id(body))
        ordinal = 0
        for line, blocks in zip(body.lines, body.blocks, strict=True):
            if not line:
                continue
            for block_id in blocks:
                statements.setdefault(block_id, []).append(ordinal)
            ordinal += 1
    return {
        block_id: RawPlace(
            where.body.name, where.attribute, where.module_path, tuple(statements[block_id])
        )
        for block_id, where in module.where.items()
        if block_id in statements
    }


def _docstring_text(text: str) -> str:
    """``text`` escaped to sit between triple quotes and read back as itself, its lines
    wrapped to the formatter's line length (the first one after the opening quotes).

    The header quotes a file name, which may hold backslashes (``C:\\Users``), quotes or
    characters that can't be written as they are. A word longer than a line (a long file
    name) keeps a line of its own, unbroken.
    """
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    printable = "".join(
        char if char.isprintable() or char == "\n" else repr(char)[1:-1] for char in escaped
    )
    wrapped = [
        textwrap.fill(
            line,
            LINE_LENGTH,
            initial_indent='"""' if index == 0 else "",
            break_long_words=False,
            break_on_hyphens=False,
        ).removeprefix('"""')
        if line
        else line
        for index, line in enumerate(printable.split("\n"))
    ]
    return "\n".join(wrapped)


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
    if needs.ordered_dict:
        lines.append("from collections import OrderedDict")
    if needs.conv_block or needs.dec_block:
        lines.append("from typing import Any")
    if lines:
        lines.append("")
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


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


@dataclass(slots=True)
class _Built:
    """An item's code as its parent needs it."""

    setup: list[str]
    constructor: str | None
    code: BlockCode | None = None
    inline: dict[str, str | None] = field(default_factory=dict)
    """The blocks written in ``setup`` and ``constructor`` (an ``nn.Sequential``'s members
    too, not those of a class it builds), each with its module path (None: it is no module)."""


def _item(module: _Module, item: Item, parent: Scope, locals_: Namespace, path: str) -> _Built:
    """The item's code; ``path`` is the module path it will have."""
    design = module.design
    if item.is_group:
        return _group(module, item, parent.children[item.id], locals_, path)
    block = design.blocks[item.id]
    kind = design.kind(item.id)
    sizes_name = locals_.create(f"{block.name}_sizes") if kind.stack else ""
    inputs = [shape for shape in module.report.results[item.id].inputs if shape is not None]
    written = module.varying.get(item.id, frozenset())
    context = CodeContext(
        block.params, inputs, module.needs, sizes_name, kind.torch_defaults, written
    )
    code = kind.code(context)
    own = {item.id: path if code.constructor is not None and code.is_module else None}
    return _Built(list(code.setup), code.constructor, code, own)


def _group(module: _Module, item: Item, scope: Scope, locals_: Namespace, path: str) -> _Built:
    group = module.design.groups[item.id]
    # the design's own answer, which check and the Inspector give too (``module_paths``)
    if group.id in module.design.module_paths().sequentials:
        if group.class_name is None:
            members = _sequential_members(module, scope, locals_, path, group.sequential)
            return _Built(
                members.setup, f"nn.Sequential({members.arguments})", inline=members.inline
            )
        body = _sequential_class(module, scope, path, group.sequential)
    else:
        body = _class_source(module, scope, path)
    wanted = group.class_name or class_name_for(group.name)
    token = _TOKEN_FORMAT.format(len(module.instances))
    explicit = group.class_name is not None
    module.instances.append(_Instance(group.id, wanted, explicit, body, token))
    return _Built([], token)


@dataclass(slots=True)
class _Members:
    setup: list[str]
    arguments: str
    """What ``nn.Sequential(...)`` is given."""
    inline: dict[str, str | None]


def _sequential_members(
    module: _Module, scope: Scope, locals_: Namespace, path: str, style: str | None
) -> _Members:
    """An ``nn.Sequential``'s members: numbered, or ``named`` through an ``OrderedDict``."""
    design = module.design
    setup: list[str] = []
    constructors = []
    inline: dict[str, str | None] = {}
    named = style == "named"
    for index, child in enumerate(scope.items):
        name = design.groups[child.id].name if child.is_group else design.blocks[child.id].name
        built = _item(module, child, scope, locals_, _join(path, name if named else str(index)))
        setup += built.setup
        assert built.constructor is not None
        constructors.append((name, built.constructor))
        inline.update(built.inline)
    if not named:
        return _Members(setup, ", ".join(code for _, code in constructors), inline)
    module.needs.ordered_dict = True
    if all(is_identifier(name) for name, _ in constructors):
        pairs = ", ".join(f"{name}={code}" for name, code in constructors)
        return _Members(setup, f"OrderedDict({pairs})", inline)
    pairs = ", ".join(f"({name!r}, {code})" for name, code in constructors)  # block1-0
    return _Members(setup, f"OrderedDict([{pairs}])", inline)


def _sequential_class(module: _Module, scope: Scope, path: str, style: str | None) -> _ClassBody:
    """``class {name}(nn.Sequential)``: its members given to ``super().__init__``, and no
    ``forward`` of its own."""
    members = _sequential_members(module, scope, Namespace(("self",)), path, style)
    body = _ClassBody(["class {name}(nn.Sequential):", INIT_LINE], [(), ()])
    blocks = tuple(members.inline)
    for line in (*members.setup, f"super().__init__({members.arguments})"):
        body.lines.append(INDENT * 2 + line)
        body.blocks.append(blocks)
    for block_id, block_path in members.inline.items():
        module.where[block_id] = _Where(body, None, block_path)
    return body


# --- sharing classes -----------------------------------------------------------------------


def _share_classes(module: _Module) -> dict[str, str]:
    """Name the classes, sharing one between groups built alike, and return each instance's
    constructor call by its token.

    A class is shared out once the text of every instance of it is final, that is once the
    classes it builds are named (innermost first).
    """
    constructors: dict[str, str] = {}
    conflicts: list[tuple[str, list[list[str]]]] = []
    order = {id(instance): index for index, instance in enumerate(module.instances)}
    pending = list(module.instances)
    while pending:
        ready = [instance for instance in pending if not _waits(instance)]
        by_class: dict[tuple[str, bool], list[_Instance]] = {}
        for instance in ready:  # a name asked for and the same name made up are two classes
            by_class.setdefault((instance.wanted, instance.explicit), []).append(instance)
        complete = [
            members
            for key, members in by_class.items()
            if len(members)
            == sum((instance.wanted, instance.explicit) == key for instance in pending)
        ]
        # a class holding an instance of itself can't wait for it: share out what is ready
        chosen = complete or [min(by_class.values(), key=lambda m: order[id(m[0])])]
        for members in chosen:
            _share_class(module, members, order, constructors, conflicts)
        done = {id(instance) for members in chosen for instance in members}
        pending = [instance for instance in pending if id(instance) not in done]
        for instance in pending:
            instance.body.lines = [
                _with_constructors(line, constructors) for line in instance.body.lines
            ]
    if conflicts:
        raise ClassConflictError(conflicts)
    return constructors


def _waits(instance: _Instance) -> bool:
    return any(_TOKEN.search(line) for line in instance.body.lines)


def _with_constructors(text: str, constructors: dict[str, str]) -> str:
    """``text`` with the tokens of instances shared out so far replaced by their calls."""
    return _TOKEN.sub(lambda token: constructors.get(token[0], token[0]), text)


def _share_class(
    module: _Module,
    members: list[_Instance],
    order: dict[int, int],
    constructors: dict[str, str],
    conflicts: list[tuple[str, list[list[str]]]],
) -> None:
    first = members[0]
    families = share_classes([member.body.lines for member in members], module.class_parameters.get)
    if first.explicit and len(families) > 1:
        groups = [[members[index].group_id for index in family.members] for family in families]
        conflicts.append((first.wanted, groups))
    for number, family in enumerate(families):
        name = _class_name(module, first.wanted, family, explicit=first.explicit and number == 0)
        module.class_order.setdefault(name, order[id(members[family.members[0]])])
        module.class_parameters[name] = tuple(parameter.name for parameter in family.parameters)
        for index, arguments in zip(family.members, family.arguments, strict=True):
            member = members[index]
            constructors[member.token] = f"{name}({', '.join(arguments)})"
            member.body.name = name
            member.body.blocks = [
                blocks for blocks, kept in zip(member.body.blocks, family.kept, strict=True) if kept
            ]
            member.body.lines = list(family.lines)


def _class_name(module: _Module, wanted: str, family: SharedClass, *, explicit: bool) -> str:
    """The name of a class and its text registered: shared with an identical class of that
    name (a class shared out in two goes), else a new one."""
    text = "\n".join(family.lines)
    if module.classes.get(wanted) == text.replace("{name}", wanted):
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
    module.classes[name] = text.replace("{name}", name)
    return name


# --- classes -------------------------------------------------------------------------------


def _class_source(module: _Module, scope: Scope, path: str) -> _ClassBody:
    """``class {name}(nn.Module)`` for a scope whose module is at ``path``; the caller names it.

    Records where each block of the scope goes (``module.where``) and tags each line with the
    blocks it defines or applies.
    """
    design = module.design
    locals_ = Namespace(("self",))
    attributes = {
        item.id: (design.groups[item.id].name if item.is_group else design.blocks[item.id].name)
        for item in scope.items
    }
    for item in scope.items:
        key = attributes[item.id]
        if not is_identifier(key):
            what = f"group '{key}'" if item.is_group else design.describe(item.id)
            raise CompileError(
                f"{what}: {key} can only name a member of a named Sequential (its group is no "
                "longer a plain chain); rename it"
            )
    members = Namespace(attributes.values())
    body = _ClassBody(["class {name}(nn.Module):"], [()])
    init: list[tuple[str, tuple[str, ...]]] = []
    built: dict[str, _Built] = {}
    for item in scope.items:
        item_path = _join(path, attributes[item.id])
        part = _item(module, item, scope, locals_, item_path)
        built[item.id] = part
        blocks = tuple(part.inline)
        init += [(line, blocks) for line in part.setup]
        if part.constructor is not None:
            init.append((f"self.{attributes[item.id]} = {part.constructor}", blocks))
        own_attribute = not item.is_group and part.constructor is not None
        for block_id, block_path in part.inline.items():
            attribute = attributes[item.id] if own_attribute else None
            module.where[block_id] = _Where(body, attribute, block_path)
    traces = _trace_names(scope, built, attributes, members)
    init += [
        (f"self.{name}: list[torch.Tensor] = []", (item_id,)) for item_id, name in traces.items()
    ]
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
    # the model's forward takes the inputs; its return gives what the outputs read
    takes = tuple(scope.inputs) if scope.group_id is None else ()
    gives = _output_blocks(design) if scope.group_id is None else ()
    if gives and forward.lines and forward.lines[-1].startswith("return "):
        forward.blocks[-1] += gives
    for block_id in (*takes, *gives):
        module.where[block_id] = _Where(body, None, None)
    rows = [
        (f"{INDENT}def __init__(self) -> None:", ()),
        (f"{INDENT * 2}super().__init__()", ()),
        *((INDENT * 2 + line, blocks) for line, blocks in init),
        ("", ()),
        (f"{INDENT}def forward({signature}) -> {returns}:", takes),
        *(
            (INDENT * 2 + line, blocks)
            for line, blocks in zip(forward.lines, forward.blocks, strict=True)
        ),
    ]
    body.lines += [line for line, _ in rows]
    body.blocks += [blocks for _, blocks in rows]
    return body


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
    blocks: list[tuple[str, ...]]
    """Per line: the blocks it applies."""


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
    name_of.update(_value_names(design, items, streamed, uses, main, values))
    loop_variable = values.create("layer") if traces else ""
    lines: list[str] = []
    blocks: list[tuple[str, ...]] = []
    last_expression: str | None = None
    for index, item in enumerate(items):
        ins = [name_of[value] for value in item.inputs]
        outs = [name_of[value] for value in item.outputs]
        attribute = attributes[item.id]
        code = built[item.id].code
        last_expression = None
        own = () if item.is_group else (item.id,)
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
            blocks += [own] * (len(lines) - len(blocks))
            continue
        expression = _expression(code, attribute, ins)
        unread = not outs or all(uses[value] == 0 for value in item.outputs)
        if unread:
            lines.append(expression)
        else:
            target = code.unpack(outs) if code is not None and code.unpack else ", ".join(outs)
            lines.append(f"{target} = {expression}")
        blocks.append(own)
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
        blocks.append(())
    annotated = [f"{name}: torch.Tensor" for name in arguments]
    return _Forward(annotated, lines, blocks)


def _value_names(
    design: Design,
    items: Sequence[Item],
    streamed: set[str],
    uses: Counter[str],
    main: str,
    values: Namespace,
) -> dict[str, str]:
    """The variable each item's outputs go to: the main line's, a name of their own, or ``_``
    for one of several outputs that nothing reads."""
    names = {}
    for item in items:
        for value in item.outputs:
            if value in streamed:
                names[value] = main
            elif uses[value] or len(item.outputs) == 1:
                # a group's result is named after the group (downsample), not its last block
                wanted = (
                    design.groups[item.id].name
                    if item.is_group and len(item.outputs) == 1
                    else _value_name(design, value)
                )
                names[value] = values.create(wanted)
            else:
                names[value] = "_"
    return names


def _expression(code: BlockCode | None, attribute: str, inputs: Sequence[str]) -> str:
    """What an item computes in ``forward`` from its input variables."""
    if code is not None and code.statement is not None:
        return code.statement(inputs)
    if code is not None and code.call is not None:
        return code.call(f"self.{attribute}", inputs)
    return f"self.{attribute}({', '.join(inputs)})"


def _value_name(design: Design, value: str) -> str:
    """What a value is called in ``forward``: its block's name, and its port's past the main."""
    block_id, port = producer_of(value)
    name = design.blocks[block_id].name
    return name if port == OUTPUT_PORT else f"{name}_{port}"


def _output_blocks(design: Design) -> tuple[str, ...]:
    """The output blocks the model's ``return`` gives a value to."""
    return tuple(
        block.id
        for block in design.blocks.values()
        if design.kind(block.id).end is End.OUTPUT and "in" in design.inbound(block.id)
    )


def _streamed_values(scope: Scope, uses: dict[str, int]) -> set[str]:
    """Values read exactly once, by the very next item (or returned by the last)."""
    streamed = set()
    producers: list[list[str]] = [list(scope.inputs), *(item.outputs for item in scope.items)]
    for index, produced in enumerate(producers):
        following = scope.items[index] if index < len(scope.items) else None
        candidates = produced
        if index > 0 and len(produced) != 1:
            if any(uses[value] for value in produced[1:]):
                continue  # the main line holds one value: several outputs read are named
            candidates = produced[:1]  # only the main one is read (an LSTM's output, not its state)
        for value in candidates:
            if uses[value] != 1:
                continue
            read_next = following is not None and value in following.inputs
            returned = following is None and value in scope.outputs
            if read_next or returned:
                streamed.add(value)
    return streamed
