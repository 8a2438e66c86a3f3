"""A layered (left-to-right) layout of a directed graph, for process maps and models without a diagram.

Depth-first search from the sources, following the most important edges first, marks the edges that
close a cycle (rework loops) as backward; the remaining graph is a DAG, laid out in columns by its
longest path from the sources. Rows come from a few barycentre sweeps (each node near the average
row of its neighbours in the previous column), ties broken by name, so the same graph always gets
the same positions. The positions are computed once per full graph and reused for every abstraction
of it, so nodes never jump when a slider moves.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any


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
