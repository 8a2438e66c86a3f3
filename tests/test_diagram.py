"""A BPMN model's own diagram (``flowmine.processes.read_diagram``): the four shipped models are read shape
for shape and flow for flow as their files say; every defect of a user's file is one line naming the file
and the element; a model without a diagram is read as "not drawn", not refused."""

from __future__ import annotations

import re

import pytest

from flowmine.errors import InputError
from flowmine.processes import Diagram, load_process, read_diagram

PROCESSES = ("finance", "procurement", "production", "sales")

HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" '
        'xmlns:di="http://www.omg.org/spec/DD/20100524/DI" id="D">\n'
        '<bpmn:process id="P"><bpmn:startEvent id="S"/><bpmn:task id="A" name="Approve"/>'
        '<bpmn:exclusiveGateway id="G"/><bpmn:endEvent id="E"/>'
        '<bpmn:sequenceFlow id="F1" sourceRef="S" targetRef="A"/><bpmn:sequenceFlow id="F2" sourceRef="A" '
        'targetRef="G"/><bpmn:sequenceFlow id="F3" sourceRef="G" targetRef="E"/></bpmn:process>\n')
SHAPES = ('<bpmndi:BPMNShape id="S_di" bpmnElement="S"><dc:Bounds x="0" y="10" width="36" height="36"/>'
          '</bpmndi:BPMNShape><bpmndi:BPMNShape id="A_di" bpmnElement="A"><dc:Bounds x="100" y="-12.5" '
          'width="100" height="80"/></bpmndi:BPMNShape><bpmndi:BPMNShape id="G_di" bpmnElement="G">'
          '<dc:Bounds x="250" y="3" width="50" height="50"/></bpmndi:BPMNShape>'
          '<bpmndi:BPMNShape id="E_di" bpmnElement="E"><dc:Bounds x="350" y="10" width="36" height="36"/>'
          '</bpmndi:BPMNShape>')
EDGES = ('<bpmndi:BPMNEdge id="F1_di" bpmnElement="F1"><di:waypoint x="36" y="28"/><di:waypoint x="100" y="28"/>'
         '</bpmndi:BPMNEdge><bpmndi:BPMNEdge id="F2_di" bpmnElement="F2"><di:waypoint x="200" y="28"/>'
         '<di:waypoint x="225" y="28"/><di:waypoint x="250" y="28"/></bpmndi:BPMNEdge>')


def _bpmn(tmp_path, body: str, name: str = "m.bpmn") -> str:
    path = tmp_path / name
    path.write_text(HEAD + '<bpmndi:BPMNDiagram id="DD"><bpmndi:BPMNPlane id="PL" bpmnElement="P">' + body
                    + "</bpmndi:BPMNPlane></bpmndi:BPMNDiagram></bpmn:definitions>", encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("process", PROCESSES)
def test_each_shipped_model_is_read_as_its_file_draws_it(process):
    path = load_process(process).reference_model
    text = path.read_text(encoding="utf-8")
    d = read_diagram(path)
    assert d.drawn
    # every BPMNShape of the shipped models is a flow node, every BPMNEdge a sequence flow
    assert len(d.shapes) == text.count("<bpmndi:BPMNShape ") > 0
    assert len(d.flows) == text.count("<bpmn:sequenceFlow ") == text.count("<bpmndi:BPMNEdge ")
    assert len(d.tasks()) == text.count("<bpmn:task ")
    # each task's bounds are the numbers written in its shape (read here with a plain regular expression)
    for task in d.tasks().values():
        m = re.search(rf'bpmnElement="{task.id}">\s*<dc:Bounds x="([-\d.]+)" y="([-\d.]+)" '
                      r'width="([\d.]+)" height="([\d.]+)"', text)
        assert m is not None and task.bounds == tuple(float(v) for v in m.groups())
    ids = {s.id for s in d.shapes}
    assert all(f.source in ids and f.target in ids and len(f.waypoints) >= 2 for f in d.flows)


def test_procurement_numbers_read_by_hand():
    d = read_diagram(load_process("procurement").reference_model)
    po = d.tasks()["Task_6"]
    assert (po.name, po.bounds, po.center) == ("PO approval", (1080.0, 220.0, 100.0, 80.0), (1130.0, 260.0))
    start = next(s for s in d.shapes if s.id == "Start")
    assert (start.kind, start.bounds) == ("start", (62.0, 242.0, 36.0, 36.0))
    flow1 = next(f for f in d.flows if f.id == "Flow_1")
    assert (flow1.source, flow1.target, flow1.waypoints) == ("Start", "Task_1", ((98.0, 260.0), (180.0, 260.0)))
    gateways = sorted((s.id, s.gateway) for s in d.shapes if s.kind == "gateway")
    assert gateways == [("Gw_approved", "exclusive"), ("Gw_join", "parallel"), ("Gw_review", "exclusive"),
                        ("Gw_split", "parallel")]
    assert sum(s.kind == "end" for s in d.shapes) == 1


def test_a_tiny_model_is_read_exactly(tmp_path):
    d = read_diagram(_bpmn(tmp_path, SHAPES + EDGES))
    assert [(s.id, s.kind, s.gateway, s.name, s.bounds) for s in d.shapes] == [
        ("S", "start", "", "", (0.0, 10.0, 36.0, 36.0)), ("A", "task", "", "Approve", (100.0, -12.5, 100.0, 80.0)),
        ("G", "gateway", "exclusive", "", (250.0, 3.0, 50.0, 50.0)), ("E", "end", "", "", (350.0, 10.0, 36.0, 36.0))]
    # F3 has no edge in the diagram: it is kept without waypoints (drawn centre to centre)
    assert [(f.id, f.waypoints) for f in d.flows] == [
        ("F1", ((36.0, 28.0), (100.0, 28.0))), ("F2", ((200.0, 28.0), (225.0, 28.0), (250.0, 28.0))), ("F3", ())]


def test_a_model_without_a_diagram_is_not_drawn(tmp_path):
    path = tmp_path / "plain.bpmn"
    path.write_text(HEAD + "</bpmn:definitions>", encoding="utf-8")
    d = read_diagram(path)
    assert isinstance(d, Diagram) and not d.drawn and d.shapes == () and d.tasks() == {}


@pytest.mark.parametrize("body, words", [
    (SHAPES.replace('<dc:Bounds x="100" y="-12.5" width="100" height="80"/>', ""),
     ["BPMNShape id='A_di'", "bpmnElement='A'", "no dc:Bounds"]),
    (SHAPES.replace('x="100"', 'x="wide"'), ["BPMNShape id='A_di'", "x='wide' is not a number"]),
    (SHAPES.replace('x="100"', 'x="nan"'), ["BPMNShape id='A_di'", "x='nan' is not a number"]),
    (SHAPES.replace('width="100"', 'width="0"'), ["BPMNShape id='A_di'", "width and height must be positive"]),
    (SHAPES + '<bpmndi:BPMNEdge id="F1_di" bpmnElement="F1"><di:waypoint x="36" y="28"/></bpmndi:BPMNEdge>',
     ["BPMNEdge id='F1_di'", "at least 2 waypoints, got 1"]),
    (SHAPES + '<bpmndi:BPMNShape id="X_di" bpmnElement="Ghost"><dc:Bounds x="0" y="0" width="1" height="1"/>'
     '</bpmndi:BPMNShape>', ["BPMNShape id='X_di'", "bpmnElement='Ghost' is not in the model"]),
    (SHAPES + "<bpmndi:BPMNEdge", ["not valid BPMN XML"]),
])
def test_a_malformed_diagram_is_one_clear_error(tmp_path, body, words):
    path = _bpmn(tmp_path, body)
    with pytest.raises(InputError) as err:
        read_diagram(path)
    message = str(err.value)
    assert message.startswith(path + ": ") and "\n" not in message
    for w in words:
        assert w in message


def test_a_flow_to_nowhere_and_unsafe_or_foreign_files_are_refused(tmp_path):
    bad_flow = tmp_path / "flow.bpmn"
    bad_flow.write_text(HEAD.replace('targetRef="E"', 'targetRef="Nowhere"') + "</bpmn:definitions>", encoding="utf-8")
    with pytest.raises(InputError, match=r"sequenceFlow id='F3': refers to 'Nowhere', which is not in the model"):
        read_diagram(bad_flow)
    bomb = tmp_path / "bomb.bpmn"
    bomb.write_text('<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
                    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&b;'
                    "</bpmn:definitions>", encoding="utf-8")
    with pytest.raises(InputError, match=r"bomb\.bpmn: refused: .*no DTD or entities"):
        read_diagram(bomb)
    other = tmp_path / "other.bpmn"
    other.write_text("<svg/>", encoding="utf-8")
    with pytest.raises(InputError, match=r"not a BPMN 2\.0 model: the root element is 'svg'"):
        read_diagram(other)
    with pytest.raises(InputError, match="reference model not found"):
        read_diagram(tmp_path / "missing.bpmn")
