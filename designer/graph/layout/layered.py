"""A Sugiyama-style layered drawing of boxes: columns by data flow, long edges given lanes of
their own, crossings reduced, rows balanced.

The steps are the classic ones (Sugiyama, Tagawa and Toda; Gansner et al. for the weights):
1. layers: the longest path from a source, then every box pulled right next to its nearest
   consumer, so a constant or a second input doesn't send a long edge across the drawing;
2. an edge spanning several layers gets a dummy node in each layer between, so it owns a lane
   and the router finds a gap there instead of running under a block;
3. order within layers: barycentre sweeps down and up, keeping the order with fewest crossings;
4. coordinates: columns as wide as their widest box; rows by weighted means of the neighbours,
   solved with the order kept and the boxes apart (a pool-adjacent-violators fit), so chains
   come out straight and long edges' lanes stay level.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

import networkx as nx

LAYER_GAP = 120.0
"""Room between columns: an edge's label (``1x64x16x16``) sits there, clear of the ports."""
NODE_GAP = 40.0
LANE = 26.0
"""The height a long edge's lane takes in a column it passes through."""
_SWEEPS = 8
_BALANCING = 6
_WEIGHTS = {(False, False): 1.0, (False, True): 2.0, (True, False): 2.0, (True, True): 8.0}
"""Edge weight by (first end is a dummy, second end is a dummy): long edges pull hardest."""


@dataclass
class Drawing:
    """Boxes' top-left corners and the extent of them all, from (0, 0)."""

    positions: dict[str, tuple[float, float]]
    width: float
    height: float
    layer_of: dict[str, int] = field(default_factory=dict)
    layer_spans: list[tuple[float, float]] = field(default_factory=list)
    """Each column's left and right x."""
    layer_extents: list[tuple[float, float]] = field(default_factory=list)
    """Each column's top and bottom y, long edges' lanes included."""
    edge_layers: list[tuple[int, int]] = field(default_factory=list)
    """Each edge's source and target layer."""


@dataclass
class _Net:
    layers: list[list[str]]
    layer: dict[str, int]
    up: dict[str, list[tuple[str, float]]]
    down: dict[str, list[tuple[str, float]]]
    dummies: set[str]


def arrange(
    sizes: Mapping[str, tuple[float, float]],
    edges: Sequence[tuple[str, str]],
    ghosts: Collection[str] = (),
) -> Drawing:
    """Lay out boxes (``sizes`` in the order to prefer) joined by ``edges`` left to right.

    ``ghosts`` stand for what lies outside (a group's edges from and to the rest of the
    design): sources go left of everything, sinks right, neither takes room or a position,
    but the edges from and to them get lanes like any other.
    """
    real = {node: size for node, size in sizes.items() if node not in ghosts}
    if not real:
        return Drawing({}, 0.0, 0.0)
    sizes = {**real, **{ghost: (0.0, LANE) for ghost in ghosts}}
    net = _build_net(sizes, edges, frozenset(ghosts))
    _order(net)
    spans, centres_x = _columns(net, sizes)
    centres_y = _rows(net, sizes)
    positions: dict[str, tuple[float, float]] = {}
    top = min(centres_y[node] - _height(node, sizes, net) / 2 for node in centres_y)
    bottom = max(centres_y[node] + _height(node, sizes, net) / 2 for node in centres_y)
    for node, (width, height) in real.items():
        positions[node] = (centres_x[node] - width / 2, centres_y[node] - height / 2 - top)
    layer_of = {node: net.layer[node] for node in real}
    extents = [
        (
            min(centres_y[node] - _height(node, sizes, net) / 2 for node in members) - top,
            max(centres_y[node] + _height(node, sizes, net) / 2 for node in members) - top,
        )
        for members in net.layers
    ]
    edge_layers = [(net.layer[u], net.layer[v]) for u, v in edges if u in sizes and v in sizes]
    width = max(spans[layer][1] for layer in layer_of.values())
    return Drawing(positions, width, bottom - top, layer_of, spans, extents, edge_layers)


# --- layers and lanes ------------------------------------------------------------------------


def _build_net(
    sizes: Mapping[str, tuple[float, float]],
    edges: Sequence[tuple[str, str]],
    ghosts: frozenset[str],
) -> _Net:
    graph: nx.DiGraph[str] = nx.DiGraph()
    graph.add_nodes_from(sizes)
    graph.add_edges_from((u, v) for u, v in edges if u != v and u in sizes and v in sizes)
    _break_cycles(graph)
    order = list(nx.topological_sort(graph))
    layer: dict[str, int] = {}
    for node in order:
        layer[node] = max((layer[p] + 1 for p in graph.predecessors(node)), default=0)
    for node in reversed(order):
        consumers = [layer[s] for s in graph.successors(node)]
        if consumers and node not in ghosts:
            layer[node] = max(layer[node], min(consumers) - 1)
    last = max(layer[node] for node in sizes if node not in ghosts)
    for ghost in ghosts:
        if graph.in_degree(ghost):
            layer[ghost] = last + 1  # a sink outside: right of everything
    renumber = {value: index for index, value in enumerate(sorted(set(layer.values())))}
    layer = {node: renumber[value] for node, value in layer.items()}
    layers: list[list[str]] = [[] for _ in renumber]
    for node in sizes:  # the caller's order is the first guess within each layer
        layers[layer[node]].append(node)
    up: dict[str, list[tuple[str, float]]] = {node: [] for node in sizes}
    down: dict[str, list[tuple[str, float]]] = {node: [] for node in sizes}
    dummies: set[str] = set(ghosts)  # neither takes room in its column
    for u, v in graph.edges:
        chain = [u]
        for step in range(layer[u] + 1, layer[v]):
            dummy = f"\0{u}\0{v}\0{step}"
            dummies.add(dummy)
            layer[dummy] = step
            layers[step].append(dummy)
            up[dummy], down[dummy] = [], []
            chain.append(dummy)
        chain.append(v)
        for a, b in itertools.pairwise(chain):
            weight = _WEIGHTS[a in dummies, b in dummies]
            down[a].append((b, weight))
            up[b].append((a, weight))
    return _Net(layers, layer, up, down, dummies)


def _break_cycles(graph: nx.DiGraph[str]) -> None:
    """Leave out edges that close a cycle between boxes (a group fed from a block that its own
    blocks feed): the router still draws them, running back."""
    while True:
        try:
            cycle = nx.find_cycle(graph)
        except nx.NetworkXNoCycle:
            return
        graph.remove_edge(*cycle[-1][:2])


# --- order within layers ---------------------------------------------------------------------


def _order(net: _Net) -> None:
    best = [list(members) for members in net.layers]
    best_crossings = _crossings(net)
    for sweep in range(_SWEEPS):
        downward = sweep % 2 == 0
        indices = range(1, len(net.layers)) if downward else range(len(net.layers) - 2, -1, -1)
        for index in indices:
            neighbours = net.up if downward else net.down
            _sort_by_barycentre(net, index, neighbours)
        crossings = _crossings(net)
        if crossings < best_crossings:
            best, best_crossings = [list(members) for members in net.layers], crossings
        if best_crossings == 0:
            break
    net.layers = best


def _sort_by_barycentre(
    net: _Net, index: int, neighbours: Mapping[str, list[tuple[str, float]]]
) -> None:
    members = net.layers[index]
    if len(members) < 2:
        return
    rank = _ranks(net)
    keys: dict[str, float] = {}
    for place, node in enumerate(members):
        linked = neighbours[node]
        if linked:
            keys[node] = sum(rank[other] for other, _ in linked) / len(linked)
        else:
            keys[node] = float(place)  # unlinked: stays where it is
    members.sort(key=lambda node: keys[node])


def _ranks(net: _Net) -> dict[str, int]:
    return {node: place for members in net.layers for place, node in enumerate(members)}


def _crossings(net: _Net) -> int:
    rank = _ranks(net)
    total = 0
    for members in net.layers[:-1]:
        pairs = sorted((rank[u], rank[v]) for u in members for v, _ in net.down[u])
        total += _inversions([v for _, v in pairs])
    return total


def _inversions(values: list[int]) -> int:
    """Pairs out of order, by a Fenwick tree over the values: O(n log n)."""
    if len(values) < 2:
        return 0
    size = max(values) + 2
    tree = [0] * (size + 1)
    count = 0
    for seen, value in enumerate(values):
        at, not_greater = value + 1, 0
        while at > 0:
            not_greater += tree[at]
            at -= at & -at
        count += seen - not_greater
        at = value + 1
        while at <= size:
            tree[at] += 1
            at += at & -at
    return count


# --- coordinates -----------------------------------------------------------------------------


def _height(node: str, sizes: Mapping[str, tuple[float, float]], net: _Net) -> float:
    return LANE if node in net.dummies else sizes[node][1]


def _columns(
    net: _Net, sizes: Mapping[str, tuple[float, float]]
) -> tuple[list[tuple[float, float]], dict[str, float]]:
    spans: list[tuple[float, float]] = []
    centres: dict[str, float] = {}
    left = 0.0
    for members in net.layers:
        if all(node in net.dummies for node in members):  # outside ghosts only: no room
            spans.append((left - LAYER_GAP / 2, left - LAYER_GAP / 2))
            centres.update(dict.fromkeys(members, left - LAYER_GAP / 2))
            continue
        width = max(sizes[node][0] for node in members if node not in net.dummies)
        spans.append((left, left + width))
        for node in members:
            centres[node] = left + width / 2
        left += width + LAYER_GAP
    return spans, centres


def _rows(net: _Net, sizes: Mapping[str, tuple[float, float]]) -> dict[str, float]:
    centre: dict[str, float] = {}
    for members in net.layers:
        y = 0.0
        for node in members:
            height = _height(node, sizes, net)
            centre[node] = y + height / 2
            y += height + NODE_GAP
    count = len(net.layers)
    for sweep in range(_BALANCING):
        downward = sweep % 2 == 0
        for index in range(count) if downward else range(count - 1, -1, -1):
            members = net.layers[index]
            wanted = [_pull(node, centre, net, sweep) for node in members]
            heights = [_height(node, sizes, net) for node in members]
            for node, y in zip(members, _fit_in_order(wanted, heights), strict=True):
                centre[node] = y
    return centre


def _pull(node: str, centre: Mapping[str, float], net: _Net, sweep: int) -> float:
    """Where the node's neighbours want it: the first sweep looks upstream only."""
    linked = net.up[node] if sweep == 0 else net.up[node] + net.down[node]
    total = sum(weight for _, weight in linked)
    if not total:
        return centre[node]
    return sum(centre[other] * weight for other, weight in linked) / total


def _fit_in_order(wanted: Sequence[float], heights: Sequence[float]) -> list[float]:
    """Centres closest to ``wanted`` (least squares) that keep the order and the gaps.

    With each centre written as its offset from the stacked position, the gaps become
    ``z[i] <= z[i + 1]``: isotonic regression, solved by pooling adjacent violators.
    """
    offsets = [0.0]
    for above, below in itertools.pairwise(heights):
        offsets.append(offsets[-1] + (above + below) / 2 + NODE_GAP)
    pools: list[list[float]] = []  # [mean, count]
    for target in (want - offset for want, offset in zip(wanted, offsets, strict=True)):
        pools.append([target, 1.0])
        while len(pools) > 1 and pools[-2][0] > pools[-1][0]:
            mean, count = pools.pop()
            pools[-1][0] = (pools[-1][0] * pools[-1][1] + mean * count) / (pools[-1][1] + count)
            pools[-1][1] += count
    fitted: list[float] = []
    for mean, count in pools:
        fitted.extend([mean] * int(count))
    return [z + offset for z, offset in zip(fitted, offsets, strict=True)]
