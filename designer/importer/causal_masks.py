"""Causal attention in a traced graph: an attention module called with a mask and torch's
hint that it is the causal one (``attn_mask=..., is_causal=True``) is a block whose ``causal``
parameter is set, which writes that mask again; the operations that built the mask
(``torch.full``, ``torch.triu`` of ``generate_square_subsequent_mask``) become no blocks.

torch documents ``is_causal`` as a promise that the mask is the square causal one, so the hint
decides; a mask read from the model's weights or buffers is left to the mapper (its state_dict
key would be lost), which reports it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from torch import fx, nn

_KEYWORDS: dict[type[nn.Module], tuple[str, str]] = {
    nn.MultiheadAttention: ("attn_mask", "is_causal"),
    nn.TransformerEncoderLayer: ("src_mask", "is_causal"),
    nn.TransformerDecoderLayer: ("tgt_mask", "tgt_is_causal"),
    nn.TransformerEncoder: ("mask", "is_causal"),
}
"""The mask's keyword and the hint's, per module whose kind has a ``causal`` parameter."""


@dataclass(slots=True)
class CausalCalls:
    calls: dict[fx.Node, tuple[str, str]] = field(default_factory=dict)
    """A causal module call -> the keywords (mask, hint) its block stands for."""
    absorbed: set[fx.Node] = field(default_factory=set)
    """The nodes that only build those masks."""


def _builders(mask: fx.Node) -> set[fx.Node] | None:
    """``mask`` and the nodes that only serve it; None when it reads the model's state."""
    found: set[fx.Node] = set()
    pending = [mask]
    while pending:
        node = pending.pop()
        if node in found or node.op in ("placeholder", "call_module", "output"):
            continue
        if node is not mask and not set(node.users) <= found:
            continue
        if node.op == "get_attr":
            return None
        found.add(node)
        pending += node.all_input_nodes
    return found


def find_causal_calls(graph: fx.Graph, root: nn.Module) -> CausalCalls:
    found = CausalCalls()
    for node in graph.nodes:
        if node.op != "call_module":
            continue
        keywords = _KEYWORDS.get(type(root.get_submodule(str(node.target))))
        if keywords is None:
            continue
        mask_keyword, hint_keyword = keywords
        mask = node.kwargs.get(mask_keyword)
        if node.kwargs.get(hint_keyword) is not True or not isinstance(mask, fx.Node):
            continue
        found.calls[node] = keywords
    masks: dict[fx.Node, set[fx.Node]] = {}
    for node, (mask_keyword, _) in found.calls.items():
        mask = node.kwargs[mask_keyword]
        assert isinstance(mask, fx.Node)
        masks.setdefault(mask, set()).add(node)
    for mask, callers in masks.items():
        builders = _builders(mask) if set(mask.users) <= callers else None
        if builders is None:
            for caller in callers:
                del found.calls[caller]
            continue
        found.absorbed |= builders
    return found
