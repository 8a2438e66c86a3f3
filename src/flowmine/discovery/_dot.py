"""The process map's layout by Graphviz ``dot``: node positions, box sizes, edge routes and label spots.

``dot`` (run as ``dot -Tjson``) places the steps top to bottom in layers and routes every edge as a
spline that goes **around** the boxes it does not connect, so a path that bypasses a step (A → C beside
A → B → C) is drawn beside that step, not through it. Each edge gets a label spot that dot keeps
clear of the other labels and boxes. Top to bottom because a step's label is wider than tall: for
8–15 steps a column of boxes fits a page (15 layers of ~60 pt), while left to right would need
15 label widths (~2,000 pt) side by side.

Coordinates are dot's points with y pointing **down** (0 at the top), as :func:`map_layout`'s
positions always were. Without a ``dot`` binary the layout falls back to
:func:`flowmine.models.layered_layout` scaled to points, with a one-line notice (``MapLayout.notice``)
instead of an error; its edges are then drawn as curves between the boxes.
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from flowmine.models import layered_layout

Point = tuple[float, float]
log = logging.getLogger(__name__)

#: Box size: points per character of a label, padding, minimum width and the height (points).
CHAR_PT, PAD_PT, MIN_W_PT, BOX_H_PT = 6.6, 26.0, 96.0, 34.0
#: End node (start and end) size in points.
END_PT = 26.0
#: The label dot reserves beside every edge (the widest text a statistic shows, such as ``12,345`` or
#: ``10.5 min``) so the shown labels do not overlap.
LABEL_STUB = "00000000"
#: More paths than this are laid out without dot (it would take minutes and draw a hairball anyway).
MAX_DOT_EDGES = 3000
#: Columns and rows of the fallback layout in points.
FALLBACK_STEP = (190.0, 90.0)


@dataclass(frozen=True)
class Route:
    """An edge's drawn path: points of its spline (sampled), the arrow tip, and its label spot."""

    points: tuple[Point, ...]
    tip: Point
    label: Point


@dataclass(frozen=True)
class MapGeometry:
    """Everything a figure needs besides the positions: box sizes, edge routes, the drawing's extent."""

    sizes: Mapping[str, Point]  # (width, height) in points
    routes: Mapping[tuple[str, str], Route] = field(default_factory=dict)
    extent: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)  # x0, x1, y0, y1 (y down)
    engine: str = "dot"


class MapLayout(dict[str, Point]):
    """Positions ``{node: (x, y)}`` (a plain dict to read) with the ``geometry`` of the same layout and
    a ``notice`` (None, or the one line saying why dot was not used)."""

    def __init__(self, positions: Mapping[str, Point], geometry: MapGeometry, notice: str | None = None) -> None:
        super().__init__(positions)
        self.geometry = geometry
        self.notice = notice


def box_size(name: str, kind: str) -> Point:
    """The (width, height) of a node's box in points: wide enough for its label (capped at 26 characters
    a line; longer labels wrap in the figure)."""
    if kind != "activity":
        return END_PT, END_PT
    chars = min(len(name), 26)
    return max(MIN_W_PT, chars * CHAR_PT + PAD_PT), BOX_H_PT * (1 if len(name) <= 26 else 1.5)


def back_edges(nodes: Sequence[str], edges: Sequence[tuple[str, str]], sources: Sequence[str] = ()) -> set[
        tuple[str, str]]:
    """The edges that close a cycle in a depth-first search from ``sources`` (then every other node, in
    order) that follows the edges most frequent first: the rework and loop-back edges. dot leaves them
    out of its ranking (``constraint=false``), so the main flow always runs downwards."""
    succ: dict[str, list[str]] = {n: [] for n in nodes}
    for a, b in edges:
        succ[a].append(b)
    state: dict[str, int] = {}  # 1: on the stack, 2: done
    back: set[tuple[str, str]] = set()
    for root in [*sources, *nodes]:
        if root in state or root not in succ:
            continue
        state[root] = 1
        stack = [(root, iter(succ[root]))]
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                state[node] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                back.add((node, nxt))
            elif nxt not in state:
                state[nxt] = 1
                stack.append((nxt, iter(succ[nxt])))
    return back


def _dot_source(nodes: Sequence[str], kinds: Mapping[str, str], edges: Sequence[tuple[str, str]],
                sources: Sequence[str] = ()) -> str:
    """The graph in dot's language; nodes are ``n0, n1...`` so no activity name reaches dot's parser."""
    ids = {n: f"n{i}" for i, n in enumerate(nodes)}
    back = back_edges(nodes, edges, sources)
    lines = ["digraph map {", "rankdir=TB; nodesep=0.35; ranksep=0.45; splines=spline; outputorder=edgesfirst;",
             'node [shape=box fixedsize=true label=""]; edge [fontsize=10];']
    for n in nodes:
        w, h = box_size(n, kinds.get(n, "activity"))
        shape = "box" if kinds.get(n, "activity") == "activity" else "circle"
        lines.append(f"{ids[n]} [shape={shape} width={w / 72:.3f} height={h / 72:.3f}];")
    for i, (a, b) in enumerate(edges):  # most frequent first: dot keeps the earlier ones straighter
        weight = max(1, 10 - i // 3)
        rank = " constraint=false" if (a, b) in back else ""
        lines.append(f'{ids[a]} -> {ids[b]} [label="{LABEL_STUB}" weight={weight}{rank}];')
    lines.append("}")
    return "\n".join(lines)


def _bezier(ctrl: Sequence[Point], n: int = 8) -> list[Point]:
    """Points along dot's piecewise cubic Bézier (control points 1 + 3k)."""
    out = [ctrl[0]]
    for k in range(0, len(ctrl) - 3, 3):
        p0, p1, p2, p3 = ctrl[k:k + 4]
        for j in range(1, n + 1):
            t = j / n
            a, b, c, d = (1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t ** 2, t ** 3
            out.append((a * p0[0] + b * p1[0] + c * p2[0] + d * p3[0], a * p0[1] + b * p1[1] + c * p2[1] + d * p3[1]))
    return out


def _parse_pos(pos: str, flip: float) -> tuple[list[Point], Point | None]:
    """dot's edge ``pos``: optional ``s,x,y`` / ``e,x,y`` ends, then control points; y flipped down."""
    ctrl: list[Point] = []
    tip: Point | None = None
    for part in pos.split():
        bits = part.split(",")
        if bits[0] == "e":
            tip = (float(bits[1]), flip - float(bits[2]))
        elif bits[0] != "s":
            ctrl.append((float(bits[0]), flip - float(bits[1])))
    return ctrl, tip


def run_dot(source: str, binary: str) -> dict[str, Any]:
    """``dot -Tjson`` of ``source`` (no shell; a 60 s limit)."""
    done = subprocess.run([binary, "-Tjson"], input=source.encode(), capture_output=True, timeout=60, check=True)
    out: dict[str, Any] = json.loads(done.stdout)
    return out


def dot_layout(nodes: Sequence[str], kinds: Mapping[str, str], edges: Iterable[tuple[str, str]],
               sources: Sequence[str] = ()) -> MapLayout:
    """The map's layout by dot (see the module's docstring), or the layered fallback without dot.

    Parameters
    ----------
    nodes : sequence of str
        Every node of the full map (start, activities, end).
    kinds : mapping
        ``"start"``, ``"activity"`` or ``"end"`` per node.
    edges : iterable of (source, target)
        Every edge of the full map, most frequent first.
    sources : sequence of str
        Where the fallback layout starts (the start node).
    """
    order = list(dict.fromkeys(nodes))
    known = set(order)
    pairs = [e for e in dict.fromkeys(edges) if e[0] in known and e[1] in known]
    binary = shutil.which("dot")
    if binary is not None and len(pairs) > MAX_DOT_EDGES:
        notice = f"The map has {len(pairs):,} paths, too many for Graphviz dot; it uses the simple layered layout"
    elif binary is not None:
        try:
            return _from_dot(run_dot(_dot_source(order, kinds, pairs, sources), binary), order, kinds, pairs)
        except (OSError, subprocess.SubprocessError, ValueError, KeyError) as exc:
            notice = f"Graphviz dot failed ({type(exc).__name__}); the process map uses the simple layered layout"
    else:
        notice = "Graphviz dot is not installed; the process map uses the simple layered layout (no routed edges)"
    log.warning(notice)
    return fallback_layout(order, kinds, pairs, sources, notice)


def _from_dot(out: dict[str, Any], order: Sequence[str], kinds: Mapping[str, str],
              pairs: Sequence[tuple[str, str]]) -> MapLayout:
    x0, y0, x1, y1 = (float(v) for v in out["bb"].split(","))
    flip = y1
    by_id = {f"n{i}": n for i, n in enumerate(order)}
    gvid: dict[int, str] = {}
    pos: dict[str, Point] = {}
    for obj in out.get("objects", []):
        name = by_id[obj["name"]]
        gvid[int(obj["_gvid"])] = name
        px, py = (float(v) for v in obj["pos"].split(","))
        pos[name] = (px, flip - py)
    routes: dict[tuple[str, str], Route] = {}
    for e in out.get("edges", []):
        a, b = gvid[int(e["tail"])], gvid[int(e["head"])]
        ctrl, tip = _parse_pos(e["pos"], flip)
        points = _bezier(ctrl)
        if "lp" in e:
            lx, ly = (float(v) for v in e["lp"].split(","))
            spot = (lx, flip - ly)
        else:
            spot = points[len(points) // 2]
        routes[(a, b)] = Route(tuple(points), tip if tip is not None else points[-1], spot)
    sizes = {n: box_size(n, kinds.get(n, "activity")) for n in order}
    return MapLayout({n: pos[n] for n in order}, MapGeometry(sizes, routes, (x0, x1, 0.0, y1 - y0), "dot"))


def fallback_layout(order: Sequence[str], kinds: Mapping[str, str], pairs: Sequence[tuple[str, str]],
                    sources: Sequence[str], notice: str | None) -> MapLayout:
    """:func:`layered_layout` (left to right) scaled to points; no routes (the figure draws curves)."""
    grid = layered_layout(order, pairs, sources=sources)
    sx, sy = FALLBACK_STEP
    pos = {n: (x * sx, y * sy) for n, (x, y) in grid.items()}
    sizes = {n: box_size(n, kinds.get(n, "activity")) for n in order}
    xs = [p[0] for p in pos.values()] or [0.0]
    ys = [p[1] for p in pos.values()] or [0.0]
    half_w = max((s[0] for s in sizes.values()), default=0.0) / 2
    extent = (min(xs) - half_w, max(xs) + half_w, min(ys) - BOX_H_PT, max(ys) + BOX_H_PT)
    return MapLayout(pos, MapGeometry(sizes, {}, extent, "layered"), notice)


def inside(p: Point, centre: Point, size: Point, margin: float = 0.0) -> bool:
    """Whether ``p`` lies in the box of that centre and size (grown by ``margin``)."""
    return abs(p[0] - centre[0]) <= size[0] / 2 + margin and abs(p[1] - centre[1]) <= size[1] / 2 + margin


