"""Write BPMN 2.0 files with diagram interchange (bpmndi) from a hand-made grid layout.

pm4py's BPMN export leaves the diagram coordinates at zero (pm4py issues #244, #348), so the
reference models are written here: every node has a column and a row chosen by hand (left to
right, the main path on row 0, alternatives and rework loops above or below it), and edges are
routed orthogonally from those positions. The output opens as drawn in bpmn.io and Camunda
Modeler, and pm4py reads it (tasks by their ``name``; the Chinese label is the task's
``documentation``). :func:`to_svg` draws the same layout as an SVG picture, with the same routes.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

SIZES = {"task": (100, 80), "xor": (50, 50), "and": (50, 50), "start": (36, 36), "end": (36, 36)}
TAGS = {
    "task": "task",
    "xor": "exclusiveGateway",
    "and": "parallelGateway",
    "start": "startEvent",
    "end": "endEvent",
}
COL, ROW, X0, Y0 = 150, 130, 80, 260


@dataclass(frozen=True)
class Node:
    """A node at grid position (col, row); ``zh`` is the Chinese label (tasks)."""

    id: str
    kind: str
    name: str
    col: float
    row: float
    zh: str = ""

    @property
    def center(self) -> tuple[float, float]:
        return X0 + self.col * COL, Y0 + self.row * ROW

    @property
    def box(self) -> tuple[float, float, float, float]:
        w, h = SIZES[self.kind]
        cx, cy = self.center
        return cx - w / 2, cy - h / 2, w, h


@dataclass(frozen=True)
class Layout:
    """A process drawn on the grid: nodes and sequence flows (source id, target id)."""

    process_id: str
    name: str
    nodes: tuple[Node, ...]
    flows: tuple[tuple[str, str], ...]


def route(a: Node, b: Node) -> list[tuple[float, float]]:
    """The orthogonal waypoints of the sequence flow from ``a`` to ``b`` (BPMN edges and SVG alike)."""
    (ax, ay), (bx, by) = a.center, b.center
    (ax0, ay0, aw, ah), (bx0, by0, bw, bh) = a.box, b.box
    down = by > ay
    if ay == by:
        if bx > ax:
            return [(ax0 + aw, ay), (bx0, by)]
        # backwards on one row: go round below
        low = ay + ROW * 0.6
        return [(ax, ay0 + ah), (ax, low), (bx, low), (bx, by0 + bh)]
    if a.kind in ("xor", "and"):  # a split leaves from its top or bottom corner
        y_out = ay0 + ah if down else ay0
        if bx > ax:
            return [(ax, y_out), (ax, by), (bx0, by)]
        return [(ax, y_out), (ax, by), (bx0 + bw, by)]
    if b.kind in ("xor", "and"):  # a join enters at its top or bottom corner
        y_in = by0 if down else by0 + bh
        if bx > ax:
            return [(ax0 + aw, ay), (bx, ay), (bx, y_in)]
        return [(ax0, ay), (bx, ay), (bx, y_in)]
    mid = (ax0 + aw + bx0) / 2
    return [(ax0 + aw, ay), (mid, ay), (mid, by), (bx0, by)]


def _num(v: float) -> str:
    return f"{v:g}"


def to_bpmn(layout: Layout) -> str:
    """The BPMN 2.0 XML text of ``layout`` (semantic model plus diagram)."""
    nodes = {n.id: n for n in layout.nodes}
    flows = [(f"Flow_{i + 1}", s, t) for i, (s, t) in enumerate(layout.flows)]
    out: list[str] = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" '
        'xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" '
        'xmlns:di="http://www.omg.org/spec/DD/20100524/DI" '
        f'id="Definitions_{layout.process_id}" targetNamespace="https://flowmine.example/bpmn" '
        'exporter="flowmine" exporterVersion="0.1">',
        f'  <bpmn:process id="{layout.process_id}" name={quoteattr(layout.name)} isExecutable="false">',
    ]
    for n in layout.nodes:
        tag = TAGS[n.kind]
        out.append(f"    <bpmn:{tag} id={quoteattr(n.id)} name={quoteattr(n.name)}>")
        if n.zh:
            out.append(f"      <bpmn:documentation>{escape(n.zh)}</bpmn:documentation>")
        out += [f"      <bpmn:incoming>{fid}</bpmn:incoming>" for fid, _, t in flows if t == n.id]
        out += [f"      <bpmn:outgoing>{fid}</bpmn:outgoing>" for fid, s, _ in flows if s == n.id]
        out.append(f"    </bpmn:{tag}>")
    for fid, s, t in flows:
        out.append(f'    <bpmn:sequenceFlow id="{fid}" sourceRef="{s}" targetRef="{t}" />')
    out += [
        "  </bpmn:process>",
        f'  <bpmndi:BPMNDiagram id="Diagram_{layout.process_id}">',
        f'    <bpmndi:BPMNPlane id="Plane_{layout.process_id}" bpmnElement="{layout.process_id}">',
    ]
    for n in layout.nodes:
        x, y, w, h = n.box
        marker = ' isMarkerVisible="true"' if n.kind == "xor" else ""
        out.append(f'      <bpmndi:BPMNShape id="{n.id}_di" bpmnElement="{n.id}"{marker}>')
        out.append(f'        <dc:Bounds x="{_num(x)}" y="{_num(y)}" width="{w}" height="{h}" />')
        if n.kind != "task" and n.name:
            lx, ly = (x - 25, y + h + 5) if n.kind in ("start", "end") else (x - 25, y - 32)
            out.append("        <bpmndi:BPMNLabel>")
            out.append(f'          <dc:Bounds x="{_num(lx)}" y="{_num(ly)}" width="100" height="27" />')
            out.append("        </bpmndi:BPMNLabel>")
        out.append("      </bpmndi:BPMNShape>")
    for fid, s, t in flows:
        out.append(f'      <bpmndi:BPMNEdge id="{fid}_di" bpmnElement="{fid}">')
        for x, y in route(nodes[s], nodes[t]):
            out.append(f'        <di:waypoint x="{_num(x)}" y="{_num(y)}" />')
        out.append("      </bpmndi:BPMNEdge>")
    out += ["    </bpmndi:BPMNPlane>", "  </bpmndi:BPMNDiagram>", "</bpmn:definitions>", ""]
    return "\n".join(out)


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
        pts = " ".join(f"{x:g},{y:g}" for x, y in route(nodes[s], nodes[t]))
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
