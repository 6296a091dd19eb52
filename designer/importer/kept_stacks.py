"""Stacks whose outputs are kept: an ``nn.ModuleList`` whose members run one after another
while ``forward`` appends each output to a list it holds (the seed's ``self.trace``) is one
stack block with ``keep_outputs``.

Tracing leaves that list on the module holding the proxies of what was appended, which is how
the members' outputs are known to be kept. Members that aren't alike layers with chained sizes
(the stack idiom), that run out of order, or whose outputs are read elsewhere stay blocks of
their own in a group.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from torch import fx, nn

from designer.importer.modules import LeafPlan, kept_stack_plan


@dataclass(frozen=True, slots=True)
class KeptStack:
    path: str
    """The ``nn.ModuleList``'s path in the model."""
    plan: LeafPlan
    members: tuple[fx.Node, ...]
    """The members' calls, in order."""


def _kept_lists(root: nn.Module) -> list[list[fx.Node]]:
    """The nodes whose proxies a module's list attribute holds after tracing."""
    found = []
    for module in root.modules():
        for value in vars(module).values():
            if isinstance(value, list) and value and all(isinstance(v, fx.Proxy) for v in value):
                found.append([proxy.node for proxy in value])
    return found


def _chained(members: list[fx.Node]) -> bool:
    """Each member's output feeds the next member only, as its one argument."""
    for before, after in itertools.pairwise(members):
        if after.args != (before,) or after.kwargs or set(before.users) != {after}:
            return False
    return len(members[0].args) == 1 and not members[0].kwargs


def find_kept_stacks(graph: fx.Graph, root: nn.Module) -> dict[fx.Node, KeptStack]:
    """Each member call of a kept stack -> the stack."""
    calls = {str(node.target): node for node in graph.nodes if node.op == "call_module"}
    found: dict[fx.Node, KeptStack] = {}
    for kept in _kept_lists(root):
        path = str(kept[0].target).rpartition(".")[0] if kept[0].op == "call_module" else ""
        container = root.get_submodule(path) if path else None
        if not isinstance(container, nn.ModuleList) or len(container) != len(kept):
            continue
        members = [calls.get(f"{path}.{index}") for index in range(len(container))]
        if members != kept or not _chained(kept):
            continue
        plan = kept_stack_plan(list(container))
        if plan is None:
            continue
        stack = KeptStack(path, plan, tuple(kept))
        found.update(dict.fromkeys(kept, stack))
    return found
