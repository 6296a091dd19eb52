"""Everything the app's model and code panels show, worked out in one go from a design:
the generated source, ``print(model)``, a row per module (type, output shape, parameters),
totals, and which module and which source lines each block became.

The model is built on the meta device, so this takes no memory whatever the model's size.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from designer.compiler.compile import CompiledDesign, compile_design
from designer.compiler.inputs import example_inputs
from designer.compiler.live import build_model
from designer.compiler.scopes import Scope, build_scopes
from designer.compiler.summary import MODEL_ROW_NAME, ModuleRow, module_rows
from designer.graph import Design

if TYPE_CHECKING:
    from torch import nn


@dataclass(frozen=True, slots=True)
class ModelAnalysis:
    design_digest: str
    source: str
    class_name: str
    printed: str
    """``print(model)``, exactly."""
    rows: tuple[ModuleRow, ...]
    parameters: int
    parameter_bytes: int
    flops_per_sample: int
    """FLOPs of one forward pass per sample (matrix work, 2 per multiply-add), counted over
    the design's own example batch: a batch of one may not run (batch-statistics norms, a
    batch dimension the design fixes)."""
    block_modules: Mapping[str, str]
    """Block id -> the qualified name of the module it became (blocks that became one)."""
    block_lines: Mapping[str, tuple[int, ...]]
    """Block id -> the 1-based source lines that define or apply it."""


def analyse_design(design: Design, origin: str | None = None) -> ModelAnalysis:
    """Compile, build on meta and look at the model; raises the compiler's errors."""
    from torch.utils.flop_counter import FlopCounterMode

    compiled = compile_design(design, origin)
    model = build_model(compiled)
    inputs = example_inputs(design, device="meta")
    counter = FlopCounterMode(display=False)  # as designer.runtime.flops counts them
    with counter:
        rows = tuple(module_rows(model, inputs))
    batch = max(1, inputs[0].shape[0]) if inputs and inputs[0].dim() else 1
    parameters = list(model.parameters())
    modules = dict(model.named_modules())
    paths = _module_paths(design, build_scopes(design), "", set(modules))
    return ModelAnalysis(
        design_digest=compiled.design_digest,
        source=compiled.source,
        class_name=compiled.class_name,
        printed=str(model),
        rows=rows,
        parameters=sum(p.numel() for p in parameters),
        parameter_bytes=sum(p.numel() * p.element_size() for p in parameters),
        flops_per_sample=int(counter.get_total_flops()) // batch,
        block_modules={item: path for item, path in paths.items() if item in design.blocks},
        block_lines=block_lines(design, compiled, _group_classes(design, modules, paths)),
    )


def _module_paths(
    design: Design, scope: Scope, path: str, module_names: set[str]
) -> dict[str, str]:
    """Item id -> module path, for the items of ``scope`` (whose module is at ``path``) and
    below: an attribute of a class, or a position in an ``nn.Sequential`` (which numbers its
    children, nested ones too). Which module each block became comes from here."""
    found: dict[str, str] = {}
    for index, item in enumerate(scope.items):
        name = design.groups[item.id].name if item.is_group else design.blocks[item.id].name
        for candidate in (f"{path}.{name}", f"{path}.{index}") if path else (name,):
            if candidate in module_names:
                found[item.id] = candidate
                break
        if item.is_group and item.id in found:
            child = scope.children[item.id]
            found.update(_module_paths(design, child, found[item.id], module_names))
    return found


def block_lines(
    design: Design, compiled: CompiledDesign, group_classes: Mapping[str, str]
) -> dict[str, tuple[int, ...]]:
    """The statements of the block's class that name it (``self.conv1 = ...``,
    ``x = self.conv1(x)``, ``conv1_sizes = [...]``); functional blocks have none, nor do the
    blocks of an ``nn.Sequential`` (no attributes). ``group_classes`` from ``_group_classes``."""
    tree = ast.parse(compiled.source)
    classes = {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}
    found: dict[str, tuple[int, ...]] = {}
    for block in design.blocks.values():
        if block.group is None:
            owner = classes.get(compiled.class_name)
        else:
            owner = classes.get(group_classes.get(block.group, ""))
        if owner is None or block.kind == "output":
            continue
        if block.kind == "input":  # the forward's signature takes it
            found[block.id] = tuple(
                node.lineno
                for node in owner.body
                if isinstance(node, ast.FunctionDef) and node.name == "forward"
            )
            continue
        names = {block.name, f"{block.name}_sizes"} - _shared_names(owner)
        lines: set[int] = set()
        for statement in _simple_statements(owner):
            if _mentions(statement, block.name, names):
                end = statement.end_lineno or statement.lineno
                lines.update(range(statement.lineno, end + 1))
        if lines:
            found[block.id] = tuple(sorted(lines))
    return found


def _group_classes(
    design: Design, modules: Mapping[str, nn.Module], paths: Mapping[str, str]
) -> dict[str, str]:
    """Group id -> the generated class its module is an instance of (a class-less group may
    become one, of a derived name); groups that became an ``nn.Sequential`` have none."""
    generated = type(modules[""]).__module__
    return {
        group_id: type(modules[path]).__name__
        for group_id, path in paths.items()
        if group_id in design.groups and type(modules[path]).__module__ == generated
    }


def _shared_names(owner: ast.ClassDef) -> set[str]:
    """Names in a class's code that stand for no one block's value (a block of that name has
    its value renamed): the forward's arguments, its main line (``x``, or ``out`` where ``x``
    is kept) and the loop variables of the stacks' comprehensions."""
    names = {"x", "out"}
    for node in ast.walk(owner):
        if isinstance(node, ast.FunctionDef) and node.name == "forward":
            names.update(argument.arg for argument in node.args.args)
        elif isinstance(node, ast.comprehension):
            names.update(n.id for n in ast.walk(node.target) if isinstance(n, ast.Name))
    return names


def _simple_statements(node: ast.ClassDef) -> list[ast.stmt]:
    compound = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.If, ast.For, ast.With)
    return [
        statement
        for statement in ast.walk(node)
        if isinstance(statement, ast.stmt) and not isinstance(statement, compound)
    ]


def _mentions(statement: ast.stmt, attribute: str, names: set[str]) -> bool:
    for node in ast.walk(statement):
        if (
            isinstance(node, ast.Attribute)
            and node.attr == attribute
            and isinstance(node.value, ast.Name)
            and node.value.id == "self"
        ):
            return True
        if isinstance(node, ast.Name) and node.id in names:
            return True
    return False


__all__ = ["MODEL_ROW_NAME", "ModelAnalysis", "analyse_design"]
