"""Tests of the reference processes: BPMN models, per-process configuration and the rule checker."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from lxml import etree

from flowmine._schema import ACTIVITY, CASE, RESOURCE, TIMESTAMP
from flowmine.errors import InputError
from flowmine.processes import (
    Duration,
    Rule,
    check_rules,
    is_sound,
    list_processes,
    load_process,
    reference_net,
)
from flowmine.processes.models import bpmn_text
from flowmine.simulate import PROCESSES

ROOT = Path(__file__).resolve().parents[1]
DEFINITIONS = ROOT / "src" / "flowmine" / "processes" / "definitions"
NAMES = ("sales", "procurement", "production", "finance")
NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
}
CJK = re.compile(r"[\u4e00-\u9fff]")


def test_every_process_is_configured() -> None:
    assert list_processes() == sorted(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_reference_model_is_a_sound_workflow_net_with_the_simulator_activities(name: str) -> None:
    cfg = load_process(name)
    net, im, fm = reference_net(cfg)
    assert is_sound(net, im, fm)
    labels = {t.label for t in net.transitions if t.label}
    assert labels == set(cfg.model_activities) == set(PROCESSES[name].model_activities)


@pytest.mark.parametrize("name", NAMES)
def test_committed_model_is_rebuilt_identically(name: str) -> None:
    assert (DEFINITIONS / name / "model.bpmn").read_text(encoding="utf-8") == bpmn_text(name)


@pytest.mark.parametrize("name", NAMES)
def test_model_has_a_left_to_right_diagram_for_every_element(name: str) -> None:
    tree = etree.parse(str(DEFINITIONS / name / "model.bpmn"))
    process = tree.find("bpmn:process", NS)
    nodes = [e for e in process if etree.QName(e).localname != "sequenceFlow"]
    flows = process.findall("bpmn:sequenceFlow", NS)
    shapes = {s.get("bpmnElement"): s.find("dc:Bounds", NS) for s in tree.iterfind(".//bpmndi:BPMNShape", NS)}
    edges = {
        e.get("bpmnElement"): e.findall("di:waypoint", NS) for e in tree.iterfind(".//bpmndi:BPMNEdge", NS)
    }
    assert {n.get("id") for n in nodes} == set(shapes)
    assert {f.get("id") for f in flows} == set(edges)
    assert all(len(points) >= 2 for points in edges.values())
    boxes = {k: tuple(float(b.get(a)) for a in ("x", "y", "width", "height")) for k, b in shapes.items()}
    start = next(n.get("id") for n in nodes if etree.QName(n).localname == "startEvent")
    end = next(n.get("id") for n in nodes if etree.QName(n).localname == "endEvent")
    assert boxes[start][0] < min(b[0] for k, b in boxes.items() if k != start)
    assert boxes[end][0] > max(b[0] for k, b in boxes.items() if k != end)
    items = list(boxes.values())
    for i, (x1, y1, w1, h1) in enumerate(items):
        for x2, y2, w2, h2 in items[i + 1 :]:
            assert x1 + w1 <= x2 or x2 + w2 <= x1 or y1 + h1 <= y2 or y2 + h2 <= y1, "shapes overlap"
    for task in process.findall("bpmn:task", NS):
        assert CJK.search(task.findtext("bpmn:documentation", namespaces=NS) or "")


@pytest.mark.parametrize("name", NAMES)
def test_configuration_labels_rules_and_kpis(name: str) -> None:
    cfg = load_process(name)
    proc = PROCESSES[name]
    assert cfg.name == name and CJK.search(cfg.label_zh)
    assert {a: s["zh"] for a, s in cfg.activities.items()} == {a: x.zh for a, x in proc.activities.items()}
    assert all(CJK.search(r["zh"]) for r in cfg.roles.values())
    assert all(CJK.search(r.label_zh) and r.label_en for r in cfg.rules)
    metrics = {k.metric for k in cfg.kpis}
    assert metrics == {
        "throughput_time",
        "rework_rate",
        "cost_per_case",
        "fitness",
        "rule_violation_rate",
        "share_within_sla",
    }
    assert cfg.reference_model == (DEFINITIONS / name / "model.bpmn").resolve()
    assert cfg.sample_log is not None and (ROOT / "sample_logs" / cfg.sample_log).is_file()
    assert (
        cfg.label("GM approval" if name == "finance" else proc.bottleneck, "zh")
        == proc.activities[proc.bottleneck].zh
    )


def test_rule_kinds_of_the_brief_are_all_used() -> None:
    kinds = {r.kind for name in NAMES for r in load_process(name).rules}
    assert kinds == {
        "precedence",
        "response",
        "absence",
        "exactly_once",
        "four_eyes",
        "time_limit",
        "amount_threshold",
    }
    finance = {r.id: r for r in load_process("finance").rules}
    assert finance["pay_after_review_and_approval"].params == {
        "before": ["Finance review", "GM approval"],
        "after": "Cashier payment",
    }


def test_invalid_configuration_lists_every_problem(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(
        '[process]\nname = "bad"\nlabel_en = "Bad"\nlabel_zh = "坏"\nreference_model = "none.bpmn"\n'
        '[activities]\n"A" = { zh = "甲" }\n'
        '[[rule]]\nid = "r1"\nkind = "sometimes"\n'
        '[[rule]]\nid = "r2"\nkind = "precedence"\nlabel_en = "x"\nlabel_zh = "x"\n'
        'before = ["B"]\nafter = "A"\n'
        '[[kpi]]\nid = "k"\nlabel_en = "k"\nlabel_zh = "k"\nmetric = "fitness"\ntarget = 1\n'
        'direction = "up"\nperiod = "month"\n',
        encoding="utf-8",
    )
    with pytest.raises(InputError) as caught:
        load_process(bad)
    text = str(caught.value)
    for part in ("'kind' must be one of", "unknown activities ['B']", "'direction'", "does not exist"):
        assert part in text
    with pytest.raises(InputError, match="no process configuration"):
        load_process("hr")


def test_duration_parsing() -> None:
    assert Duration.parse("30d") == Duration(30.0, "d")
    assert Duration.parse("3wd") == Duration(3.0, "wd")
    assert Duration.parse("1.5h") == Duration(1.5, "h")
    with pytest.raises(ValueError, match="'30d', '3wd' or '48h'"):
        Duration.parse("thirty days")


def _log(*cases: tuple[str, list[tuple[str, str, str]]]) -> pd.DataFrame:
    rows = [
        {
            CASE: cid,
            ACTIVITY: act,
            TIMESTAMP: pd.Timestamp(ts, tz="Asia/Shanghai").tz_convert("UTC"),
            RESOURCE: who,
        }
        for cid, events in cases
        for act, ts, who in events
    ]
    return pd.DataFrame(rows)


def test_rule_checker_on_a_hand_made_log() -> None:
    log = _log(
        (
            "c1",
            [
                ("Submit", "2025-03-03 09:00", "ann"),
                ("Review", "2025-03-06 10:00", "bob"),
                ("Approve", "2025-03-06 11:00", "gm"),
                ("Pay", "2025-03-07 09:00", "cash"),
            ],
        ),
        (
            "c2",
            [
                ("Submit", "2025-03-07 09:00", "bob"),
                ("Review", "2025-03-13 09:00", "bob"),
                ("Pay", "2025-03-13 10:00", "cash"),
                ("Pay", "2025-03-14 10:00", "cash"),
            ],
        ),
        (
            "c3",
            [
                ("Submit", "2025-03-03 09:00", "cy"),
                ("Pay", "2025-03-03 10:00", "cash"),
                ("Review", "2025-03-03 11:00", "bob"),
                ("Approve", "2025-03-03 12:00", "gm"),
            ],
        ),
    )
    log["case:amount"] = log[CASE].map({"c1": 100.0, "c2": 9000.0, "c3": 9000.0})

    def rule(kind: str, **params: object) -> Rule:
        return Rule(kind, kind, "", "", dict(params))

    rules = [
        rule("precedence", before=["Review", "Approve"], after="Pay"),
        rule("response", trigger="Submit", response="Approve"),
        rule("absence", activity="Approve"),
        rule("exactly_once", activity="Pay"),
        rule("four_eyes", steps=["Submit", "Review"]),
        rule("time_limit", **{"from": "Submit", "to": "Review", "max": "3wd"}),
        rule("amount_threshold", attribute="case:amount", above=5000, requires="Approve"),
    ]
    calendar = {"weekdays": ["Mon", "Tue", "Wed", "Thu", "Fri"], "timezone": "Asia/Shanghai"}
    assert check_rules(log, rules, calendar) == {
        "precedence": ["c2", "c3"],
        "response": ["c2"],
        "absence": ["c1", "c3"],
        "exactly_once": ["c2"],
        "four_eyes": ["c2"],
        "time_limit": ["c2"],  # Fri 7th -> Thu 13th is 4 working days; Mon 3rd -> Thu 6th is 3
        "amount_threshold": ["c2"],
    }
    hours = [rule("time_limit", **{"from": "Submit", "to": "Review", "max": "48h"})]
    assert check_rules(log, hours) == {"time_limit": ["c1", "c2"]}
