"""A traced model -> a design: blocks for its nodes, groups for its module hierarchy.

Leaf modules become blocks named by their attributes, with parameters read from the module;
functional calls and tensor methods become the matching kinds; every module that was traced
through becomes a group with its attribute name, of its own class (an ``nn.Sequential`` or
``nn.ModuleList``: a class-less group, which the compiler makes an ``nn.Sequential``). Block ids
follow the order in which ``forward`` runs, which is the order the compiler writes them.

What no kind stands for is reported and stood in for by an Identity block on its first tensor
input, so the design keeps its data flow.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import fx, nn

from designer.compiler.emit import MODULE_NAMES
from designer.graph import Design
from designer.graph.activations import ACTIVATIONS_BY_KEY
from designer.graph.catalogue import block_kind
from designer.graph.names import NN_MODULE_ATTRIBUTES, unique_name
from designer.importer.causal_masks import find_causal_calls
from designer.importer.class_names import distinct_classes
from designer.importer.functional_norms import find_functional_norms
from designer.importer.kept_stacks import KeptStack, find_kept_stacks
from designer.importer.learned_tensors import find_learned_tensors
from designer.importer.modules import LeafPlan, Params, UnmappableError, leaf_plan
from designer.importer.operations import Call, OpPlan, Tensor, function_name, rule_for
from designer.importer.report import ImportFailedError, ImportReport, Unmapped
from designer.importer.tracing import Traced, user_line
from designer.importer.value_names import assigned_name
from designer.importer.written import is_spelled_out

Ref = tuple[str, str]
"""A block's output: (block id, port)."""
_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}\Z")
_MODULE_KEY = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]{0,63}\Z")
_CONTAINERS = (nn.Sequential, nn.ModuleList, nn.ModuleDict)
_PALETTE_KEYS = {entry.module: entry.key for entry in ACTIVATIONS_BY_KEY.values()}
"""torch.nn class name -> palette key: a second call of ``ReLU(inplace=True)`` is ``F.relu``."""


@dataclass(slots=True)
class _Block:
    id: str
    kind: str
    params: Params
    scope: str
    wanted: str | None
    """The original attribute name; None: one is made up from ``base``."""
    base: str
    inputs: list[tuple[str, Ref]] = field(default_factory=list)
    name: str = ""


def _valid_name(name: str, key: bool = False) -> bool:
    """Whether a design may keep the name; with ``key``, in a named Sequential, where a module
    key such as regnet's ``block1-0`` is kept too."""
    if name in NN_MODULE_ATTRIBUTES or name == "self":
        return False
    return bool(_IDENTIFIER.match(name) or (key and _MODULE_KEY.match(name)))


def _parent(path: str) -> str:
    return path.rpartition(".")[0]


def _holds_tensor(value: object) -> bool:
    if isinstance(value, torch.Tensor):
        return True
    if isinstance(value, list | tuple):
        return any(_holds_tensor(item) for item in value)
    return False


class _Mapper:
    def __init__(
        self, traced: Traced, root: nn.Module, input_shape: tuple[int, ...], dtype: str
    ) -> None:
        self.traced = traced
        self.root = root
        self.input_shape = input_shape
        self.dtype = dtype
        self.blocks: list[_Block] = []
        self.refs: dict[fx.Node, Any] = {}
        """Node -> a Ref, a tuple of them (a module's several outputs), or None."""
        self.called: dict[str, _Block] = {}
        self.report = ImportReport()
        self.called_again: dict[str, dict[str, str]] = {}
        """What a module called again became -> its path -> where it is called again; one note
        each, at the end (a ResNet-50 calls 16 ReLUs again)."""
        self.unmapped_at: dict[fx.Node, int] = {}
        """A node reported unmapped -> its line's index in the report."""
        self.outputs: list[Ref] = []

    # --- nodes -----------------------------------------------------------------------------

    def run(self) -> None:
        graph = self.traced.module.graph
        self.learned = find_learned_tensors(graph, self.root, self.traced.values)
        self.causal = find_causal_calls(graph, self.root)
        self.kept = find_kept_stacks(graph, self.root)
        self.norms = find_functional_norms(graph, self.root, self.traced.values)
        absorbed = self.learned.absorbed | self.causal.absorbed | self.norms.absorbed
        for node in graph.nodes:
            if node in absorbed:
                continue
            if node in self.learned.uses:
                self._learned_tensor(node)
            elif node in self.norms.uses:
                self._functional_norm(node)
            elif node in self.kept:
                self._kept_member(node, self.kept[node])
            elif node.op == "placeholder":
                self._placeholder(node)
            elif node.op == "output":
                self._output(node)
            elif node.op == "call_module":
                self._call_module(node)
            elif node.op in ("call_function", "call_method"):
                self._call(node)
            elif node.op == "get_attr":
                self._get_attr(node)
        self._fold_reads()

    def _new_block(
        self, kind: str, params: Params, scope: str, wanted: str | None, base: str
    ) -> _Block:
        block = _Block(f"b{len(self.blocks) + 1}", kind, params, scope, wanted, base)
        self.blocks.append(block)
        return block

    def _placeholder(self, node: fx.Node) -> None:
        if any(block.kind == "input" for block in self.blocks):
            raise ImportFailedError(
                f"forward takes more than one tensor ({node.target} too); import gives it one "
                "input shape"
            )
        name = str(node.target)
        block = self._new_block(
            "input", {"shape": self.input_shape, "dtype": self.dtype}, "", None, name
        )
        block.wanted = name if _valid_name(name) else None
        self.refs[node] = (block.id, "out")

    def _output(self, node: fx.Node) -> None:
        refs = [ref for ref in self._flat_refs(node.args[0]) if ref is not None]
        if not refs:
            value = (
                self.traced.values.get(node.args[0])
                if isinstance(node.args[0], fx.Node)
                else node.args[0]
            )
            raise ImportFailedError(
                f"forward returns {type(value).__name__ if value is not None else 'None'}, not "
                "a tensor; a design returns tensors"
            )
        for ref in refs:
            block = self._new_block("output", {}, "", None, "output")
            block.inputs.append(("in", ref))

    def _flat_refs(self, value: object) -> list[Ref | None]:
        if isinstance(value, fx.Node):
            return self._flat_refs(self.refs.get(value)) if value in self.refs else []
        if isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, str) for v in value):
            return [value]
        if isinstance(value, list | tuple):
            return [ref for item in value for ref in self._flat_refs(item)]
        if isinstance(value, dict):
            return [ref for item in value.values() for ref in self._flat_refs(item)]
        return []

    def _tensor_ref(self, value: object) -> Ref | None:
        if isinstance(value, fx.Node):
            ref = self.refs.get(value)
            if isinstance(ref, tuple) and len(ref) == 2 and all(isinstance(v, str) for v in ref):
                return ref
        return None

    def _scope_of(self, node: fx.Node) -> str:
        stack = node.meta.get("nn_module_stack") or {}
        paths = [path for path, _ in stack.values()]
        return paths[-1] if paths else ""

    # --- modules ---------------------------------------------------------------------------

    def _call_module(self, node: fx.Node) -> None:
        path = str(node.target)
        module = self.root.get_submodule(path)
        scope, attribute = _parent(path), path.rpartition(".")[2]
        where = user_line(node.stack_trace)
        if path in self.called:
            self._second_call(node, path, module, scope, where)
            return
        try:
            plan = leaf_plan(module)
        except UnmappableError as reason:
            self._unmapped(
                node,
                f"module {path} (nn.{type(module).__name__})",
                f"{reason}: build it from blocks the catalogue has, or add a kind for it",
                scope,
                attribute,
            )
            return
        if block_kind(plan.kind).stack and self._spelled_out(node, path, module):
            return
        block = self._new_block(plan.kind, plan.params, scope, attribute, _base(plan))
        self.called[path] = block
        self._connect_module(node, block, plan, where)

    def _spelled_out(self, node: fx.Node, path: str, module: nn.Module) -> bool:
        """A stack written member by member: a block per member, in a group."""
        scope, attribute = _parent(path), path.rpartition(".")[2]
        owner = self.root.get_submodule(scope) if scope else self.root
        members = list(module.children())
        if node.kwargs or len(node.args) != 1 or not is_spelled_out(owner, attribute, len(members)):
            return False
        source = self._tensor_ref(node.args[0])
        for index, member in enumerate(members):
            plan = leaf_plan(member)
            block = self._new_block(plan.kind, plan.params, path, None, _base(plan))
            if source is not None:
                block.inputs.append(("in", source))
            self.called[f"{path}.{index}"] = self.called[path] = block
            source = (block.id, "out")
        self.refs[node] = source
        return True

    def _connect_module(self, node: fx.Node, block: _Block, plan: LeafPlan, where: str) -> None:
        kind = block_kind(plan.kind)
        ports = kind.input_ports(plan.params)
        args = [*node.args, *(node.kwargs.get(port) for port in ports[len(node.args) :])]
        causal = self.causal.calls.get(node, ())
        if causal:
            block.params = {**block.params, "causal": True}
        extra = {
            key: value
            for key, value in node.kwargs.items()
            if key not in ports
            and key not in causal
            and not (key == "need_weights" and value is False)
        }
        if extra or len(node.args) > len(ports):
            self.report.unmapped.append(
                Unmapped(
                    f"the call of {node.target}",
                    where,
                    f"arguments {', '.join(extra) or 'beyond the tensors'} are dropped: "
                    "the block is called with its input only",
                    block.id,
                )
            )
        connected: list[Ref] = []
        for port, arg in zip(ports, args, strict=False):
            ref = self._tensor_ref(arg)
            if ref is None:
                continue
            default = kind.input_default(port)
            if default is not None and connected and ref == connected[-1]:
                continue  # key is the query, value the key: left to default, as drawn
            block.inputs.append((port, ref))
            connected.append(ref)
        outputs = [(block.id, port) for port in kind.output_ports()]
        value = self.traced.values.get(node)
        if len(outputs) == 1 and isinstance(value, tuple):
            self.refs[node] = (outputs[0], None)  # MultiheadAttention: (output, weights)
        elif plan.kind == "lstm":
            self.refs[node] = (outputs[0], (outputs[1], outputs[2]))
        elif len(outputs) > 1:
            self.refs[node] = tuple(outputs)
        else:
            self.refs[node] = outputs[0]

    def _second_call(
        self, node: fx.Node, path: str, module: nn.Module, scope: str, where: str
    ) -> None:
        first = self.called[path]
        stateful = any(True for _ in module.parameters()) or any(True for _ in module.buffers())
        source = self._tensor_ref(node.args[0]) if node.args else None
        if stateful or source is None:
            self._unmapped(
                node,
                f"module {path} called again",
                "a block runs once, and its "
                "weights can't be shared with another block; call a module once",
                scope,
                None,
            )
            return
        key = first.params.get("activation") or _PALETTE_KEYS.get(
            str(first.params.get("class_name"))
        )
        if key is not None and ACTIVATIONS_BY_KEY[str(key)].function is not None:
            block = self._new_block(
                "activation", {"activation": key, "functional": True}, scope, None, str(key)
            )
            became = (
                f"applied as a function ({ACTIVATIONS_BY_KEY[str(key)].function}), which keeps "
                "the outputs and the state_dict"
            )
            self.called_again.setdefault(became, {})[path] = where
        else:
            block = self._new_block(first.kind, dict(first.params), scope, None, first.base)
            became = (
                "given a block of its own (no weights, so the state_dict is kept, but "
                "print(model) shows one more module)"
            )
            self.called_again.setdefault(became, {})[path] = where
        block.inputs.append(("in", source))
        self.refs[node] = (block.id, "out")

    # --- operations ------------------------------------------------------------------------

    def _call(self, node: fx.Node) -> None:
        value = self.traced.values.get(node)
        if not _holds_tensor(value):
            return  # a size or a number: read where it is used
        if self._index_outputs(node):
            return
        scope = self._scope_of(node)
        found = rule_for(node.op, node.target)
        what = f"x.{node.target}()" if node.op == "call_method" else function_name(node.target)
        if found is None:
            self._unmapped(
                node,
                what,
                "no kind of block stands for it: build it from blocks "
                "the catalogue has, or add a kind for it",
                scope,
                None,
            )
            return
        name, rule = found
        tensors: list[Ref] = []

        def convert(arg: object) -> object:
            if isinstance(arg, fx.Node):
                ref = self._tensor_ref(arg)
                if ref is not None:
                    tensors.append(ref)
                    shape = tuple(self.traced.values[arg].shape)
                    return Tensor(len(tensors) - 1, shape)
                return self.traced.values.get(arg)
            if isinstance(arg, list | tuple):
                return type(arg)(convert(item) for item in arg)
            if isinstance(arg, slice):
                return slice(convert(arg.start), convert(arg.stop), convert(arg.step))
            return arg

        args = tuple(convert(arg) for arg in node.args)
        kwargs = {key: convert(arg) for key, arg in node.kwargs.items()}
        try:
            plan = rule(Call(name, args, kwargs, value))
        except UnmappableError as reason:
            self._unmapped(node, what, f"{reason}", scope, None)
            return
        self._place(node, plan, tensors, scope)

    def _index_outputs(self, node: fx.Node) -> bool:
        """``out, (h, c) = self.lstm(x)``: indexing a module's several outputs picks a port."""
        if node.op != "call_function" or function_name(node.target) != "operator.getitem":
            return False
        source, index = node.args[0], node.args[1]
        held = self.refs.get(source) if isinstance(source, fx.Node) else None
        if not isinstance(held, tuple) or self._tensor_ref(source) is not None:
            return False
        if not isinstance(index, int) or not -len(held) <= index < len(held):
            return False
        picked = held[index]
        if picked is None and not node.users:
            return True  # ``out, _ = self.attn(q, k, v)``: the weights unpacked, never read
        if picked is None:
            self._unmapped(
                node,
                "attention weights",
                "the block gives its output only (need_weights=False)",
                self._scope_of(node),
                None,
            )
            return True
        self.refs[node] = picked
        return True

    def _place(self, node: fx.Node, plan: OpPlan, tensors: list[Ref], scope: str) -> None:
        note = f"{user_line(node.stack_trace) or node.name}: {plan.note}"
        if plan.note and note not in self.report.notes:
            self.report.notes.append(note)
        if plan.parts:  # x.chunk(2): a block per piece, picked where the pieces are indexed
            pieces = []
            for part in plan.parts:
                self._place(node, part, tensors, scope)
                pieces.append(self.refs[node])
            self.refs[node] = tuple(pieces)
            return
        if plan.kind is None:
            self.refs[node] = tensors[plan.inputs[0].index]
            return
        base = assigned_name(node) or str(plan.params.get("activation", plan.kind))
        block = self._new_block(plan.kind, plan.params, scope, None, base)
        ports = block_kind(plan.kind).input_ports(plan.params)
        for port, tensor in zip(ports, plan.inputs, strict=True):
            block.inputs.append((port, tensors[tensor.index]))
        self.refs[node] = (block.id, "out")

    def _learned_tensor(self, node: fx.Node) -> None:
        use = self.learned.uses[node]
        source = self._tensor_ref(use.source)
        if source is None:
            self._unmapped(node, f"self.{use.path}", "it is added to no tensor", "", None)
            return
        scope, attribute = _parent(use.path), use.path.rpartition(".")[2]
        block = self._new_block("learned_tensor", use.params, scope, attribute, "learned")
        block.inputs.append(("in", source))
        self.refs[node] = (block.id, "out")

    def _functional_norm(self, node: fx.Node) -> None:
        """A LayerNorm block without weights, then the module's weight and bias as learned
        tensors that scale and shift, in the group of the module that owns them."""
        use = self.norms.uses[node]
        source = self._tensor_ref(use.source)
        if source is None:
            self._unmapped(node, "F.layer_norm", "it normalises no tensor", use.scope, None)
            return
        block = self._new_block("layer_norm", use.norm, use.scope, None, "layer_norm")
        block.inputs.append(("in", source))
        for learned in use.affine:
            attribute = learned.path.rpartition(".")[2]
            previous = (block.id, "out")
            block = self._new_block("learned_tensor", learned.params, use.scope, attribute, "")
            block.inputs.append(("in", previous))
        self.refs[node] = (block.id, "out")

    def _kept_member(self, node: fx.Node, stack: KeptStack) -> None:
        """The first member's call is the stack's block; the others pass its output on."""
        if node is stack.members[0]:
            source = self._tensor_ref(node.args[0])
            scope, attribute = _parent(stack.path), stack.path.rpartition(".")[2]
            block = self._new_block(stack.plan.kind, stack.plan.params, scope, attribute, "stack")
            if source is not None:
                block.inputs.append(("in", source))
        else:
            block = self.called[str(stack.members[0].target)]
        self.called[str(node.target)] = block
        self.refs[node] = (block.id, "out")

    def _fold_reads(self) -> None:
        """A weight read only by operations that are reported anyway is named in their lines
        (``F.linear (reading self.fc.weight)``) rather than in a line of its own."""
        reads = [
            node
            for node in self.unmapped_at
            if node.op == "get_attr"
            and node.users
            and all(user in self.unmapped_at for user in node.users)
        ]
        read_by: dict[int, list[str]] = {}
        for read in reads:
            for user in read.users:
                read_by.setdefault(self.unmapped_at[user], []).append(f"self.{read.target}")
        for index, names in read_by.items():
            item = self.report.unmapped[index]
            what = f"{item.what} (reading {', '.join(names)})"
            self.report.unmapped[index] = dataclasses.replace(item, what=what)
        dropped = {self.unmapped_at[read] for read in reads}
        self.report.unmapped[:] = [
            item for index, item in enumerate(self.report.unmapped) if index not in dropped
        ]

    def _get_attr(self, node: fx.Node) -> None:
        self._unmapped(
            node,
            f"self.{node.target} (a tensor used directly)",
            "a learned tensor block holds one added, prepended, or scaling or shifting "
            "each channel or feature; other uses have no kind yet",
            self._scope_of(node),
            None,
        )

    def _unmapped(
        self, node: fx.Node, what: str, advice: str, scope: str, wanted: str | None
    ) -> None:
        self.unmapped_at[node] = len(self.report.unmapped)
        where = user_line(node.stack_trace)
        source = next(
            (ref for arg in node.all_input_nodes if (ref := self._tensor_ref(arg)) is not None),
            None,
        )
        if source is None:
            self.report.unmapped.append(Unmapped(what, where, advice))
            self.refs[node] = None
            return
        block = self._new_block("identity", {}, scope, wanted, "unmapped")
        self.report.unmapped.append(Unmapped(what, where, advice, block.id))
        block.inputs.append(("in", source))
        self.refs[node] = (block.id, "out")
        value = self.traced.values.get(node)
        if isinstance(value, tuple | list):  # several tensors: each index picks the stand-in
            self.refs[node] = tuple((block.id, "out") for _ in value)


def _base(plan: LeafPlan) -> str:
    if plan.kind == "activation":
        return str(plan.params["activation"])
    if plan.kind == "torch_layer":
        return str(plan.params["class_name"]).lower()
    return plan.kind


# --- the design ----------------------------------------------------------------------------


def sequential_style(module: nn.Module) -> str | None:
    """The group's ``sequential``: ``named`` for an ``nn.Sequential`` whose members have names
    (``nn.Sequential(OrderedDict(...))``), ``numbered`` for a subclass of it with numbered
    members (torchvision's ``Conv2dNormActivation``); None for a plain numbered one (the
    compiler's own choice) and for anything else."""
    if not isinstance(module, nn.Sequential):
        return None
    if not _numbered(module):  # names, or numbers out of order or with gaps: kept as keys
        return "named"
    return None if type(module) is nn.Sequential else "numbered"


def _numbered(module: nn.Module) -> bool:
    """Whether its children are named 0, 1, 2... in order, as a written nn.Sequential's are."""
    names = [name for name, _ in module.named_children()]
    return names == [str(index) for index in range(len(names))]


def _class_name(module: nn.Module, path: str) -> str | None:
    """The group's class: None for a plain ``nn.Sequential`` and for another container whose
    children are numbered (written as an ``nn.Sequential``); a container whose children have
    names (an ``nn.ModuleDict``) becomes a class named after its attribute (``features`` ->
    ``Features``), so that they keep them, and with them the ``state_dict`` keys; any other
    module keeps its class's name (a private one with one leading underscore)."""
    if type(module) is nn.Sequential or (type(module) in _CONTAINERS and _numbered(module)):
        return None
    if type(module) in _CONTAINERS:
        parts = re.split(r"[^A-Za-z0-9]+", path.rpartition(".")[2])
        name = "".join(part[:1].upper() + part[1:] for part in parts)
        return name if name[:1].isalpha() else f"Layers{name}"
    name = type(module).__name__
    return f"_{name.lstrip('_')}" if name.startswith("_") else name


def _free_class_name(mapper: _Mapper, design: Design, module: nn.Module, path: str) -> str | None:
    """The group's class, unless it is a name the generated module needs for itself (the model's
    own, as when a model ``Net`` holds another file's ``Net``, or ``nn``, ``F``...): then the
    first of ``Net2``, ``Net3``... that no class of the model has, and a note says so."""
    wanted = _class_name(module, path)
    if wanted is None or (wanted != design.class_name and wanted not in MODULE_NAMES):
        return wanted
    classes = {type(inner).__name__ for inner in mapper.root.modules()}
    number = 2
    while f"{wanted}{number}" in classes:
        number += 1
    renamed = f"{wanted}{number}"
    mapper.report.notes.append(
        f"module {path} is of class {wanted}, a name the generated module needs for itself "
        f"(the model's own, or one it imports or defines): its class is written as {renamed}"
    )
    return renamed


def _scopes(blocks: Iterable[_Block]) -> list[str]:
    """Every module path a group stands for, parents first."""
    paths: dict[str, None] = {}
    for block in blocks:
        parts = block.scope.split(".") if block.scope else []
        for end in range(1, len(parts) + 1):
            paths[".".join(parts[:end])] = None
    return list(paths)


def build_design(mapper: _Mapper) -> Design:
    root = mapper.root
    design = Design(type(root).__name__)
    taken: dict[str, set[str]] = {}
    keyed: dict[str, bool] = {}
    for path in ["", *_scopes(mapper.blocks)]:
        module = root.get_submodule(path) if path else root
        keyed[path] = sequential_style(module) == "named"
        taken[path] = {
            name for name, _ in module.named_children() if _valid_name(name, keyed[path])
        }
    group_ids: dict[str, str] = {}
    for index, path in enumerate(_scopes(mapper.blocks), start=1):
        parent, name = _parent(path), path.rpartition(".")[2]
        module = root.get_submodule(path)
        if not _valid_name(name, keyed[parent]):
            class_name = (_class_name(module, path) or "layer").lstrip("_")
            made_up = _fresh(taken[parent], _snake(class_name))
            if not _numbered_in(root, parent, name):
                _report_renamed(mapper.report, path, name, made_up, module)
            name = made_up
        group = design.add_group(
            name,
            class_name=_free_class_name(mapper, design, module, path),
            parent=group_ids.get(parent) if parent else None,
            group_id=f"g{index}",
            sequential=sequential_style(module),
        )
        group_ids[path] = group.id
    for block in mapper.blocks:
        if block.wanted is not None and block.kind not in ("input", "output"):
            block.name = block.wanted if _valid_name(block.wanted, keyed[block.scope]) else ""
        elif block.wanted is not None:
            block.name = _fresh(taken[""], block.wanted)
        if not block.name:
            block.name = _fresh(taken[block.scope], block.base)
            wanted = block.wanted
            if wanted is not None and block.kind not in ("input", "output"):
                path = f"{block.scope}.{wanted}" if block.scope else wanted
                held = root.get_submodule(path) if _is_module_path(root, path) else None
                if not _numbered_in(root, block.scope, wanted):
                    _report_renamed(mapper.report, path, wanted, block.name, held)
        design.add_block(
            block.kind,
            name=block.name,
            params=block.params,
            group=group_ids.get(block.scope) if block.scope else None,
            block_id=block.id,
        )
    for block in mapper.blocks:
        for port, (source, source_port) in block.inputs:
            design.connect(source, block.id, port, source_port, check_cycle=False)
    return design


def _is_module_path(root: nn.Module, path: str) -> bool:
    try:
        root.get_submodule(path)
    except AttributeError:
        return False
    return True


def _numbered_in(root: nn.Module, scope: str, name: str) -> bool:
    """Whether ``name`` is a place in a container written as an ``nn.Sequential`` (which
    numbers its members as torch did)."""
    if not scope or not name.isdigit():
        return False
    container = root.get_submodule(scope)
    return _class_name(container, scope) is None or sequential_style(container) == "numbered"


def _report_renamed(
    report: ImportReport, path: str, original: str, name: str, module: nn.Module | None
) -> None:
    """A module whose name can't be an attribute (``block1-0``) is renamed; when it holds
    weights, their ``state_dict`` keys change."""
    if module is None:
        return
    if not (any(True for _ in module.parameters()) or any(True for _ in module.buffers())):
        return
    report.unmapped.append(
        Unmapped(
            f"module {path}",
            "",
            f"its name {original!r} isn't a Python identifier, so the design calls it {name}: "
            "the keys of its weights in the state_dict differ from the original's; give it a "
            "name that is an identifier",
        )
    )


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _fresh(taken: set[str], base: str) -> str:
    base = base if _IDENTIFIER.match(base) else "block"
    name = base if base not in taken and _valid_name(base) else unique_name(base, taken)
    taken.add(name)
    return name


def map_model(
    traced: Traced, root: nn.Module, input_shape: tuple[int, ...], dtype: str
) -> tuple[Design, ImportReport]:
    mapper = _Mapper(traced, root, input_shape, dtype)
    mapper.run()
    _note_called_again(mapper)
    _check_called_once(mapper)
    design = build_design(mapper)
    _check_unused(root, mapper)
    if not mapper.report.unmapped:
        distinct_classes(design, mapper.report)
    return design, mapper.report


def _note_called_again(mapper: _Mapper) -> None:
    for became, calls in mapper.called_again.items():
        paths, wheres = list(calls), sorted({where for where in calls.values() if where})
        shown = ", ".join(paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")
        verb, them = ("is", "that call is") if len(paths) == 1 else ("are", "those calls are")
        at = f" (at {', '.join(wheres)})" if wheres else ""
        mapper.report.notes.append(f"{shown} {verb} called again{at}; {them} {became}")


def _check_called_once(mapper: _Mapper) -> None:
    """A module traced through that runs twice would be one group run twice: refused."""
    seen: dict[str, int] = {}
    for node in mapper.traced.module.graph.nodes:
        for key, (path, _) in (node.meta.get("nn_module_stack") or {}).items():
            if "@" in key and not _is_leaf_path(mapper, path):
                seen[path] = max(seen.get(path, 1), int(key.rpartition("@")[2]) + 1)
    for path, count in seen.items():
        if not _has_blocks(mapper, path):
            continue  # its every call passes its input on (stochastic depth in eval mode)
        mapper.report.unmapped.append(
            Unmapped(
                f"module {path} runs {count} times",
                "",
                "a group runs once: the design "
                "repeats its blocks, and their weights are no longer shared",
            )
        )


def _has_blocks(mapper: _Mapper, path: str) -> bool:
    return any(block.scope == path or block.scope.startswith(f"{path}.") for block in mapper.blocks)


def _is_leaf_path(mapper: _Mapper, path: str) -> bool:
    return path in mapper.called


def _check_unused(root: nn.Module, mapper: _Mapper) -> None:
    """Weights that no called module holds have no place in the design: one line for each
    outermost module none of whose weights forward uses, in either mode (GoogLeNet's ``aux1``,
    called only while training, is imported from the training-mode trace)."""
    called = set(mapper.called)
    read = {
        str(node.target).rpartition(".")[0]
        for node in mapper.traced.module.graph.nodes
        if node.op == "get_attr"
    }
    reported: list[str] = []
    for path, module in root.named_modules():
        if any(_within(path, outer) for outer in [*reported, *called]) or path in read:
            continue
        partly_used = any(place != path and _within(place, path) for place in called | read)
        if partly_used:  # its unused members get a line each; here, its own weights only
            holds = bool(list(module.parameters(recurse=False)) or list(module.buffers(False)))
        else:
            holds = bool(module.state_dict())
            reported.append(path)
        if holds:
            mapper.report.unmapped.append(
                Unmapped(
                    f"{f'module {path}' if path else 'the model'} "
                    f"(class {type(module).__name__}) holds "
                    "weights forward never uses (in eval mode, as imported)",
                    "",
                    "they have no block, so their state_dict keys are missing: use them in "
                    "forward, or remove them (a head that only training mode calls is imported "
                    "from there where both modes compute the outputs alike)",
                )
            )


def _within(path: str, outer: str) -> bool:
    """Whether ``path`` is ``outer`` or inside it (every path is inside the model's, "")."""
    return not outer or path == outer or path.startswith(f"{outer}.")
