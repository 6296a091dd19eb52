"""Modules that forward calls only while training, imported where training calls them.

GoogLeNet's ``aux1`` and Inception's ``AuxLogits`` hold weights but run only in training mode:
traced in eval mode, as imports are, they have no block, and the design's code couldn't load the
original's ``state_dict``. When the training-mode trace calls modules the eval-mode one doesn't,
the design is mapped from the training-mode graph with its output cut back to what eval mode
returns: those modules become blocks on a branch from where training mode feeds them, which runs
and whose result nothing reads. The keys are kept and the outputs are the same; the report says
which modules, and that their results are dropped.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from torch import fx, nn
from torch.utils._pytree import tree_flatten, tree_unflatten


@dataclass(frozen=True, slots=True)
class TrainingBranches:
    graph_module: fx.GraphModule
    """The training-mode graph, returning what the eval-mode graph returns."""
    modules: tuple[str, ...]
    """The outermost modules that only training mode calls."""


def training_branches(
    trained: fx.GraphModule, evaluated: fx.GraphModule, root: nn.Module
) -> TrainingBranches | None:
    """The training-mode graph cut to eval mode's outputs, where training mode calls modules
    eval mode never does, eval mode's outputs are module calls training mode makes once too,
    and what leads to them is the same in both modes; None otherwise (nothing to gain, or the
    outputs can't be matched, or training mode computes them otherwise)."""
    extra = _called(trained) - _called(evaluated)
    if not extra:
        return None
    graph = copy.deepcopy(trained.graph)  # cut a copy: ``trained`` stays as traced
    outputs, spec = tree_flatten(_output(evaluated.graph).args[0])
    matched = []
    for node in outputs:
        if not isinstance(node, fx.Node) or node.op != "call_module":
            return None
        same = [n for n in graph.nodes if n.op == "call_module" and n.target == node.target]
        if len(same) != 1:
            return None
        matched.append(same[0])
    output = _output(graph)
    returned = [value for value in tree_flatten(output.args[0])[0] if isinstance(value, fx.Node)]
    output.args = (tree_unflatten(matched, spec),)
    for value in returned:  # the training-mode result (a named tuple) is no longer returned
        if value not in matched and not value.users and value.op == "call_function":
            graph.erase_node(value)
    graph.lint()
    if _computation(graph) != _computation(evaluated.graph):
        return None  # training mode computes the outputs otherwise too: eval mode's stands
    cut = fx.GraphModule(trained, graph, type(root).__name__)  # the same modules, shared
    return TrainingBranches(cut, tuple(_owners(extra, root)))


def _computation(graph: fx.Graph) -> list[tuple[object, ...]]:
    """The steps that lead to the output, each with its inputs as places in this list: equal
    for two graphs that compute their outputs alike, whatever else they compute."""
    needed: set[fx.Node] = set()
    waiting = [node for node in graph.nodes if node.op in ("output", "placeholder")]
    while waiting:
        node = waiting.pop()
        if node not in needed:
            needed.add(node)
            waiting += node.all_input_nodes
    place: dict[fx.Node, int] = {}
    steps: list[tuple[object, ...]] = []

    def local(value: fx.node.Argument) -> fx.node.Argument:
        return f"%{place[value]}" if isinstance(value, fx.Node) else value

    for node in graph.nodes:
        if node in needed:
            place[node] = len(steps)
            args = fx.node.map_aggregate(node.args, local)
            kwargs = fx.node.map_aggregate(node.kwargs, local)
            steps.append((node.op, str(node.target), repr(args), repr(kwargs)))
    return steps


def _called(graph_module: fx.GraphModule) -> set[str]:
    return {str(node.target) for node in graph_module.graph.nodes if node.op == "call_module"}


def _output(graph: fx.Graph) -> fx.Node:
    output: fx.Node = next(node for node in graph.nodes if node.op == "output")
    return output


def _owners(extra: set[str], root: nn.Module) -> list[str]:
    """The outermost modules all of whose layers only training mode calls (``aux1`` rather
    than its layers)."""
    leaves = [path for path, module in root.named_modules() if not list(module.children())]
    owners = set()
    for path in extra:
        owner = path
        while "." in owner:
            parent = owner.rpartition(".")[0]
            if any(leaf.startswith(f"{parent}.") and leaf not in extra for leaf in leaves):
                break
            owner = parent
        owners.add(owner)
    return sorted(o for o in owners if not any(o.startswith(f"{other}.") for other in owners))
