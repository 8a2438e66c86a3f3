"""A BPMN file's own diagram (BPMN DI): where each task, event and gateway is drawn, and each flow's route.

:func:`read_diagram` reads the ``bpmndi:BPMNShape`` bounds and the ``bpmndi:BPMNEdge`` waypoints of a
``.bpmn`` file into plain data (:class:`Diagram`, :class:`Shape`, :class:`Flow`), so a face can draw the
reference model exactly as its author laid it out. The faces draw it with Plotly, not with bpmn-js:
bpmn-js's licence requires its watermark on every drawing, and it would be a vendored JavaScript bundle.
A BPMN file from a user is untrusted input: it is parsed with ``defusedxml`` (no DTD, no entity
expansion) and every defect raises one :class:`flowmine.errors.InputError` line naming the file and the
element. A model without a diagram is not a defect: its :class:`Diagram` has no shapes (``drawn`` is False).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as safe_xml
from defusedxml import DefusedXmlException

from flowmine.errors import InputError

_MODEL = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
_BPMNDI = "{http://www.omg.org/spec/BPMN/20100524/DI}"
_DC = "{http://www.omg.org/spec/DD/20100524/DC}"
_DI = "{http://www.omg.org/spec/DD/20100524/DI}"

_TASKS = ("task", "userTask", "serviceTask", "manualTask", "scriptTask", "sendTask", "receiveTask",
          "businessRuleTask", "callActivity", "subProcess")
_EVENTS = {"startEvent": "start", "endEvent": "end", "intermediateCatchEvent": "event",
           "intermediateThrowEvent": "event", "boundaryEvent": "event"}
#: BPMN gateway elements and the gateway type a :class:`Shape` names them by.
GATEWAYS = {"exclusiveGateway": "exclusive", "parallelGateway": "parallel", "inclusiveGateway": "inclusive",
            "eventBasedGateway": "event", "complexGateway": "complex"}


@dataclass(frozen=True)
class Shape:
    """One flow node as drawn: ``kind`` is ``task``, ``start``, ``end``, ``event`` or ``gateway``
    (then ``gateway`` says exclusive, parallel, inclusive, event or complex); ``bounds`` is the
    file's ``(x, y, width, height)``, y growing downwards."""

    id: str
    kind: str
    name: str
    bounds: tuple[float, float, float, float]
    gateway: str = ""

    @property
    def center(self) -> tuple[float, float]:
        x, y, w, h = self.bounds
        return x + w / 2, y + h / 2


@dataclass(frozen=True)
class Flow:
    """One sequence flow from ``source`` to ``target`` (shape ids) with its drawn waypoints (empty when
    the diagram has no edge for it)."""

    id: str
    source: str
    target: str
    waypoints: tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class Diagram:
    """The drawn flow nodes and sequence flows of a BPMN file (``source``: the file)."""

    source: str
    shapes: tuple[Shape, ...]
    flows: tuple[Flow, ...]

    @property
    def drawn(self) -> bool:
        """Whether the file holds a diagram at all (a model without one is shown as tables only)."""
        return bool(self.shapes)

    def tasks(self) -> dict[str, Shape]:
        """The task shapes by id."""
        return {s.id: s for s in self.shapes if s.kind == "task"}


def _parse(path: Path) -> Element:
    try:
        return safe_xml.parse(str(path)).getroot()
    except DefusedXmlException as exc:
        raise InputError(str(path), f"refused: {type(exc).__name__} (no DTD or entities in a BPMN model)") from None
    except ParseError as exc:
        raise InputError(str(path), f"not valid BPMN XML: {' '.join(str(exc).split())}") from None


def _number(el: Element, attr: str, what: str, path: Path) -> float:
    raw = el.get(attr)
    try:
        value = float(raw) if raw is not None else math.nan
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise InputError(str(path), f"{what}: {attr}={raw!r} is not a number")
    return value


def _elements(root: Element) -> dict[str, tuple[str, Element]]:
    """Every flow node and sequence flow of the model's processes, by id: (local tag, element)."""
    out: dict[str, tuple[str, Element]] = {}
    for el in root.iter():
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag.startswith(_MODEL) and el.get("id"):
            out[str(el.get("id"))] = (tag[len(_MODEL):], el)
    return out


def _shape(di: Element, tag: str, el: Element, path: Path) -> Shape | None:
    ref = di.get("bpmnElement")
    what = f"BPMNShape id={di.get('id')!r} (bpmnElement={ref!r})"
    if tag in _TASKS:
        kind, gateway = "task", ""
    elif tag in _EVENTS:
        kind, gateway = _EVENTS[tag], ""
    elif tag in GATEWAYS:
        kind, gateway = "gateway", GATEWAYS[tag]
    else:
        return None  # pools, lanes, data objects, annotations: not flow nodes
    bounds = di.find(f"{_DC}Bounds")
    if bounds is None:
        raise InputError(str(path), f"{what}: no dc:Bounds")
    box = tuple(_number(bounds, a, what, path) for a in ("x", "y", "width", "height"))
    if box[2] <= 0 or box[3] <= 0:
        raise InputError(str(path), f"{what}: width and height must be positive, got {box[2]:g} x {box[3]:g}")
    return Shape(str(ref), kind, " ".join((el.get("name") or "").split()), (box[0], box[1], box[2], box[3]), gateway)


def _waypoints(di: Element, path: Path) -> tuple[tuple[float, float], ...]:
    what = f"BPMNEdge id={di.get('id')!r} (bpmnElement={di.get('bpmnElement')!r})"
    points = tuple((_number(p, "x", what, path), _number(p, "y", what, path)) for p in di.findall(f"{_DI}waypoint"))
    if len(points) < 2:
        raise InputError(str(path), f"{what}: needs at least 2 waypoints, got {len(points)}")
    return points


def _flows(elements: dict[str, tuple[str, Element]], edges: dict[str, tuple[tuple[float, float], ...]],
           drawn: set[str], path: Path) -> tuple[Flow, ...]:
    flows = []
    for fid, (tag, el) in elements.items():
        if tag != "sequenceFlow":
            continue
        src, dst = el.get("sourceRef") or "", el.get("targetRef") or ""
        for end in (src, dst):
            if end not in elements:
                raise InputError(str(path), f"sequenceFlow id={fid!r}: refers to {end!r}, which is not in the model")
        if drawn and (src not in drawn or dst not in drawn):
            continue  # a flow from or to something not drawn (a boundary of a collapsed sub-process)
        flows.append(Flow(fid, src, dst, edges.get(fid, ())))
    return tuple(flows)


def read_diagram(path: str | Path) -> Diagram:
    """The diagram of a ``.bpmn`` file: its drawn flow nodes (tasks, events, gateways) and sequence flows.

    Raises
    ------
    flowmine.errors.InputError
        Missing file, invalid XML, a DTD or entity, a shape without numeric bounds, an edge with fewer
        than two waypoints, a diagram element or flow end that refers to nothing in the model.

    Examples
    --------
    >>> from flowmine.processes import load_process, read_diagram
    >>> d = read_diagram(load_process("procurement").reference_model)
    >>> d.tasks()["Task_6"].name, d.tasks()["Task_6"].bounds
    ('PO approval', (1080.0, 220.0, 100.0, 80.0))
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(str(p), "reference model not found")
    root = _parse(p)
    if root.tag != f"{_MODEL}definitions":
        raise InputError(str(p), f"not a BPMN 2.0 model: the root element is {root.tag!r}, not bpmn:definitions")
    elements = _elements(root)
    shapes: list[Shape] = []
    edges: dict[str, tuple[tuple[float, float], ...]] = {}
    for di in root.iter():
        if di.tag not in (f"{_BPMNDI}BPMNShape", f"{_BPMNDI}BPMNEdge"):
            continue
        ref = di.get("bpmnElement") or ""
        if ref not in elements:
            raise InputError(str(p), f"{di.tag[len(_BPMNDI):]} id={di.get('id')!r}: bpmnElement={ref!r} "
                                     "is not in the model")
        tag, el = elements[ref]
        if di.tag == f"{_BPMNDI}BPMNShape":
            shape = _shape(di, tag, el, p)
            if shape is not None:
                shapes.append(shape)
        elif tag == "sequenceFlow":
            edges[ref] = _waypoints(di, p)
    drawn = {s.id for s in shapes}
    return Diagram(str(p), tuple(shapes), _flows(elements, edges, drawn, p))

