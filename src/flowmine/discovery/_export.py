"""Write discovered models as BPMN with a real diagram layout, PNML, SVG or PNG.

pm4py's BPMN export leaves the diagram coordinates at zero or absurd (pm4py issues #244, #348,
#352, #371), so the model is laid out here on the grid of :mod:`flowmine.processes` (the writer of
the shipped reference models): columns by longest path from the start event (loops drawn back),
rows by the average row of the predecessors, so it opens as drawn in bpmn.io and Camunda Modeler.
SVG is drawn from the same layout (no graphviz needed); PNG needs graphviz's ``dot`` binary
(Debian package ``graphviz``).
"""

from __future__ import annotations

import shutil
import warnings
from collections import defaultdict
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from flowmine.discovery._layout import layers
from flowmine.discovery._mine import DiscoveredModel
from flowmine.errors import FlowmineError
from flowmine.processes._bpmn import Layout, Node, _route, to_bpmn

FORMATS = (".bpmn", ".pnml", ".svg", ".png")
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


def to_svg(layout: Layout) -> str:
    """An SVG picture of a laid-out model (tasks, gateways, events and orthogonal flows)."""
    nodes = {n.id: n for n in layout.nodes}
    xs = [v for n in layout.nodes for v in (n.box[0], n.box[0] + n.box[2])]
    ys = [v for n in layout.nodes for v in (n.box[1], n.box[1] + n.box[3])]
    x0, y0 = min(xs) - 40, min(ys) - 80
    w, h = max(xs) - x0 + 40, max(ys) - y0 + 80
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{x0:g} {y0:g} {w:g} {h:g}" '
           f'width="{w:g}" height="{h:g}" font-family="sans-serif" font-size="11">',
           '<defs><marker id="a" markerWidth="8" markerHeight="8" refX="7" refY="4" orient="auto">'
           '<path d="M0,0 L8,4 L0,8 z" fill="#444"/></marker></defs>']
    for s, t in layout.flows:
        pts = " ".join(f"{x:g},{y:g}" for x, y in _route(nodes[s], nodes[t]))
        out.append(f'<polyline points="{pts}" fill="none" stroke="#444" marker-end="url(#a)"/>')
    for n in layout.nodes:
        x, y, bw, bh = n.box
        cx, cy = n.center
        if n.kind == "task":
            out.append(f'<rect x="{x:g}" y="{y:g}" width="{bw}" height="{bh}" rx="8" fill="#fff" stroke="#222"/>')
            out.append(f'<foreignObject x="{x:g}" y="{y:g}" width="{bw}" height="{bh}"><div xmlns='
                       f'"http://www.w3.org/1999/xhtml" style="display:flex;align-items:center;justify-content:'
                       f'center;height:100%;text-align:center">{escape(n.name)}</div></foreignObject>')
        elif n.kind in ("xor", "and"):
            pts = f"{cx:g},{y:g} {x + bw:g},{cy:g} {cx:g},{y + bh:g} {x:g},{cy:g}"
            out.append(f'<polygon points="{pts}" fill="#fff" stroke="#222"/>')
            out.append(f'<text x="{cx:g}" y="{cy + 5:g}" text-anchor="middle" font-size="16">'
                       f'{"×" if n.kind == "xor" else "+"}</text>')
        else:
            width = 3 if n.kind == "end" else 1.5
            out.append(f'<circle cx="{cx:g}" cy="{cy:g}" r="{bw / 2:g}" fill="#fff" stroke="#222" '
                       f'stroke-width="{width}"/>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def write_model(model: DiscoveredModel, path: str | Path, name: str = "Discovered process") -> Path:
    """Write ``model`` as ``.bpmn`` (with layout), ``.pnml``, ``.svg`` or ``.png`` (by the extension).

    Examples
    --------
    >>> from flowmine.discovery import discover_model, variants, write_model
    >>> from pathlib import Path
    >>> write_model(discover_model(variants(STORE, "finance")), Path(TMP) / "finance.bpmn").suffix  # TMP: a folder
    '.bpmn'
    """
    import pm4py

    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in FORMATS:
        raise FlowmineError(f"{p}: unknown model format {suffix or '(none)'!r}; use one of {', '.join(FORMATS)}")
    if suffix == ".pnml":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pm4py.write_pnml(model.net, model.im, model.fm, str(p))
        return p
    if suffix == ".png":
        if shutil.which("dot") is None:
            raise FlowmineError(f"{p}: PNG needs graphviz's 'dot' program (Debian/Ubuntu: apt-get install graphviz); "
                                "write .svg instead")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pm4py.save_vis_bpmn(model.bpmn(), str(p))
        return p
    layout = bpmn_layout(model.bpmn(), name)
    p.write_text(to_bpmn(layout) if suffix == ".bpmn" else to_svg(layout), encoding="utf-8")
    return p
