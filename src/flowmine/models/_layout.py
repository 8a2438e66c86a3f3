"""A layered (left-to-right) layout of a directed graph, for process maps and models without a diagram.

Depth-first search from the sources, following the most important edges first, marks the edges that
close a cycle (rework loops) as backward; the remaining graph is a DAG, laid out in columns by its
longest path from the sources. Rows come from a few barycentre sweeps (each node near the average
row of its neighbours in the previous column), ties broken by name, so the same graph always gets
the same positions. The positions are computed once per full graph and reused for every abstraction
of it, so nodes never jump when a slider moves.

:func:`bpmn_layout` puts a pm4py BPMN graph (a discovered model) on the grid of :mod:`._bpmn` the same
way: columns by longest path from the start event (loops drawn back), rows by the average row of the
predecessors. :func:`curve` gives the points of a curved edge between two positions (process maps and
the conformance model figure draw their edges with it).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from flowmine.errors import FlowmineError
from flowmine.models._bpmn import Layout, Node


def layers(roots: Iterable[Any], succ: Mapping[Any, list[Any]]) -> tuple[set[tuple[Any, Any]], dict[Any, int]]:
    """Back edges and layer (column) of every node reached from ``roots``, in that order.

    A depth-first search following ``succ`` in its given order marks the edges back to a node still on
    the stack as loops; every other node goes one layer after its deepest predecessor.
    """
    back: set[tuple[Any, Any]] = set()
    state: dict[Any, int] = {}
    finished: list[Any] = []
    for root in roots:
        if root in state:
            continue
        state[root] = 1
        stack = [(root, iter(succ.get(root, ())))]
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                state[node] = 2
                finished.append(node)
                stack.pop()
            elif state.get(nxt) == 1:
                back.add((node, nxt))
            elif nxt not in state:
                state[nxt] = 1
                stack.append((nxt, iter(succ.get(nxt, ()))))
    col: dict[Any, int] = {}
    for node in reversed(finished):  # a topological order of the graph without its back edges
        col.setdefault(node, 0)
        for nxt in succ.get(node, ()):
            if (node, nxt) not in back:
                col[nxt] = max(col.get(nxt, 0), col[node] + 1)
    return back, col


def layered_layout(
    nodes: Sequence[str],
    edges: Iterable[tuple[str, str]],
    sources: Sequence[str] = (),
    sweeps: int = 4,
) -> dict[str, tuple[float, float]]:
    """Positions ``{node: (x, y)}``: x is the column (0, 1, ...), y the row (centred on 0, down is +).

    Parameters
    ----------
    nodes : sequence of str
    edges : iterable of (source, target)
        In order of importance (most frequent first): the depth-first search follows them in this
        order, so the main flow runs forward and the rarer edges are the ones drawn backwards.
    sources : sequence of str
        Nodes to start from (e.g. the start node); other nodes without a visit are started in order.
    sweeps : int
        Barycentre sweeps (down and up) that reduce crossings.
    """
    order_nodes = list(dict.fromkeys(nodes))
    known = set(order_nodes)
    succ: dict[str, list[str]] = defaultdict(list)
    edge_list = [(a, b) for a, b in dict.fromkeys(edges) if a in known and b in known and a != b]
    for a, b in edge_list:
        succ[a].append(b)
    back, col = layers([r for r in [*sources, *order_nodes] if r in known], succ)
    preds: dict[str, list[str]] = defaultdict(list)
    forward: dict[str, list[str]] = defaultdict(list)
    for a, b in edge_list:
        if (a, b) not in back:
            preds[b].append(a)
            forward[a].append(b)
    by_col: dict[int, list[str]] = defaultdict(list)
    for node in order_nodes:
        by_col[col[node]].append(node)
    rank = {n: i for i, n in enumerate(order_nodes)}
    row: dict[str, float] = {}
    for c in sorted(by_col):  # first placement: importance order within the column
        members = sorted(by_col[c], key=lambda n: rank[n])
        for i, n in enumerate(members):
            row[n] = i - (len(members) - 1) / 2
    cols = sorted(by_col)
    for sweep in range(sweeps):
        seq = cols[1:] if sweep % 2 == 0 else cols[-2::-1]
        for c in seq:
            members = by_col[c]
            neigh = preds if sweep % 2 == 0 else forward

            def wish(n: str, neigh: dict[str, list[str]] = neigh) -> float:
                ys = [row[p] for p in neigh[n]]
                return sum(ys) / len(ys) if ys else row[n]

            members.sort(key=lambda n: (wish(n), rank[n]))
            for i, n in enumerate(members):
                row[n] = i - (len(members) - 1) / 2
    return {n: (float(col[n]), float(row[n])) for n in order_nodes}


_KINDS = {"Task": "task", "StartEvent": "start", "NormalStartEvent": "start", "EndEvent": "end",
          "NormalEndEvent": "end", "ExclusiveGateway": "xor", "ParallelGateway": "and"}


def bpmn_layout(bpmn: Any, name: str = "Discovered process") -> Layout:
    """A grid layout of a pm4py BPMN graph (tasks, start/end events, XOR and AND gateways)."""
    nodes = list(bpmn.get_nodes())
    ids = {n: f"Node_{i + 1}" for i, n in enumerate(sorted(nodes, key=lambda n: (type(n).__name__, n.get_name(),
                                                                                   n.get_id())))}
    kinds = {}
    for n in nodes:
        kind = _KINDS.get(type(n).__name__)
        if kind is None:
            raise FlowmineError(f"BPMN element {type(n).__name__} {n.get_name()!r} cannot be laid out")
        kinds[n] = kind
    succ: dict[Any, list[Any]] = defaultdict(list)
    for f in bpmn.get_flows():
        succ[f.get_source()].append(f.get_target())
    for v in succ.values():
        v.sort(key=lambda n: ids[n])
    starts = sorted((n for n in nodes if kinds[n] == "start"), key=lambda n: ids[n]) or nodes[:1]
    # depth-first search from the start: edges back to a node on the stack are loops
    back, col = layers(starts + sorted(nodes, key=lambda n: ids[n]), succ)
    preds: dict[Any, list[Any]] = defaultdict(list)
    for node in nodes:
        for nxt in succ[node]:
            if (node, nxt) not in back:
                preds[nxt].append(node)
    row: dict[Any, float] = {}
    by_col: dict[int, list[Any]] = defaultdict(list)
    for node in nodes:
        by_col[col[node]].append(node)
    for c in sorted(by_col):
        members = by_col[c]
        wish = {n: (sum(row[p] for p in preds[n] if p in row) / max(1, sum(p in row for p in preds[n])))
                for n in members}
        members.sort(key=lambda n: (wish[n], ids[n]))
        for i, n in enumerate(members):
            row[n] = i - (len(members) - 1) / 2
    laid = tuple(Node(ids[n], kinds[n], n.get_name() if kinds[n] == "task" else "", col[n], row[n])
                 for n in sorted(nodes, key=lambda n: ids[n]))
    flows = tuple(sorted((ids[f.get_source()], ids[f.get_target()]) for f in bpmn.get_flows()))
    return Layout("Process_discovered", name, laid, flows)


def curve(p: tuple[float, float], q: tuple[float, float], bend: float, n: int = 16) -> tuple[list[float], list[float]]:
    """Points of a quadratic curve from ``p`` to ``q`` bent sideways by ``bend`` (0: a straight line);
    from a point to itself, a small loop above it."""
    (x0, y0), (x1, y1) = p, q
    if (x0, y0) == (x1, y1):
        a = np.linspace(-0.5 * np.pi, 1.5 * np.pi, n)
        return (x0 + 0.18 * np.cos(a)).tolist(), (y0 + 0.22 + 0.22 * np.sin(a)).tolist()
    mx, my = (x0 + x1) / 2, (y0 + y1) / 2
    dx, dy = x1 - x0, y1 - y0
    length = math.hypot(dx, dy) or 1.0
    cx, cy = mx - dy / length * bend, my + dx / length * bend
    t = np.linspace(0.0, 1.0, n)
    xs = (1 - t) ** 2 * x0 + 2 * (1 - t) * t * cx + t**2 * x1
    ys = (1 - t) ** 2 * y0 + 2 * (1 - t) * t * cy + t**2 * y1
    return xs.tolist(), ys.tolist()
