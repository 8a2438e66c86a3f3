"""The conformance page without a browser: the model figure (colours, counts, legend, text-only labels),
rules and deviations in business words in Chinese, the cases behind a task or a row, forged clicks refused."""

from __future__ import annotations

import re
from pathlib import Path

import plotly.graph_objects as go
import pytest

from flowmine import Store
from flowmine.analytics import prepare
from flowmine.dashboard._conf_model import GREY, model_figure
from flowmine.dashboard._data import conformance
from flowmine.dashboard._i18n import LABELS
from flowmine.dashboard._state import Filters
from flowmine.dashboard.pages import conformance as page
from flowmine.processes import Diagram, Flow, Shape, load_process

SAMPLES = Path(__file__).resolve().parents[1] / "sample_logs"
XSS = "<script>alert(1)</script>"


def _step(activity: str, rate: float, skipped: int = 0, inserted: int = 0, out: int = 0) -> dict:
    return {"activity": activity, "in_model": True, "skipped": skipped, "inserted": inserted, "out_of_order": out,
            "cases_affected": skipped + inserted + out, "cases_skipped": skipped, "cases_inserted": inserted,
            "cases_out_of_order": out, "rate": rate}


TINY = Diagram("m.bpmn", (
    Shape("S", "start", "Begin", (0, 10, 36, 36)), Shape("A", "task", "Approve", (100, 0, 100, 80)),
    Shape("B", "task", "Pay", (250, 0, 100, 80)), Shape("X", "task", XSS, (400, 0, 100, 80)),
    Shape("G", "gateway", "", (550, 15, 50, 50), "parallel"), Shape("E", "end", "", (650, 22, 36, 36))),
    (Flow("F1", "S", "A", ((36, 28), (100, 28))), Flow("F2", "A", "B", ())))
STEPS = [_step("Approve", 0.25, skipped=3, inserted=2), _step("Pay", 0.0)]


def _fill(fig: dict, task: Shape) -> str:
    x, y, _, _ = task.bounds
    return next(s["fillcolor"] for s in fig["layout"]["shapes"] if s.get("path", "").startswith(f"M {x + 10:g},{y:g} "))


def test_a_deviating_task_is_coloured_apart_and_shows_its_counts():
    fig = model_figure(TINY, STEPS, "en")
    go.Figure(fig)  # a valid plotly figure
    approve, pay, xss = (s for s in TINY.shapes if s.kind == "task")
    assert _fill(fig, approve) != _fill(fig, pay) != GREY
    assert _fill(fig, xss) == GREY  # no step of the log has this name
    points = fig["data"][1]
    assert points["customdata"] == ["A", "B", "X"]
    assert "Skipped 3<br>Inserted 2" in points["text"][0] and "Skipped" not in points["text"][1]
    assert points["marker"]["color"] == [0.25, 0.0, 0.0] and points["marker"]["showscale"]  # the legend
    assert points["marker"]["colorbar"]["title"]["text"] == "Deviation rate"
    assert "Rate: 25.0%" in points["hovertext"][0] and "Skipped: 3 (in 3 cases)" in points["hovertext"][0]
    # labels stay text: the activity called <script> is escaped wherever it is written
    assert XSS not in str(fig) and "&lt;script&gt;" in points["text"][2]


def test_shapes_markers_and_arrows():
    fig = model_figure(TINY, STEPS, "en")
    kinds = [s["type"] for s in fig["layout"]["shapes"]]
    assert kinds == ["circle", "path", "path", "path", "path", "circle"]
    gateway = fig["layout"]["shapes"][4]["path"]
    assert gateway == "M 575,15 L 600,40 L 575,65 L 550,40 Z"  # a diamond through the bounds' midpoints
    texts = [a["text"] for a in fig["layout"]["annotations"]]
    assert "+" in texts and "Begin" in texts
    heads = [a for a in fig["layout"]["annotations"] if a.get("showarrow")]
    assert [(h["x"], h["y"], h["ax"], h["ay"]) for h in heads] == [(100, 28, 36, 28), (300.0, 40.0, 150.0, 40.0)]
    assert fig["data"][0]["x"] == [36, 100, None, 150.0, 300.0, None]  # F2 has no waypoints: centre to centre


def test_chinese_model_has_no_english_event_names():
    fig = model_figure(TINY, STEPS, "zh")
    texts = [a["text"] for a in fig["layout"]["annotations"]]
    assert "开始" in texts and "结束" in texts and "Begin" not in texts
    assert "跳过 3<br>插入 2" in fig["data"][1]["text"][0]
    assert fig["data"][1]["marker"]["colorbar"]["title"]["text"] == "偏差比例"


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Store:
    st = Store(tmp_path_factory.mktemp("confpage") / "store")
    st.ingest("procurement", [str(SAMPLES / "procurement_events_gbk.csv")],
              mapping=SAMPLES / "procurement_events_gbk.mapping.toml")
    prepare(st, "procurement")
    return st


def _texts(component) -> list[str]:
    out = []
    if isinstance(component, str):
        return [component]
    if isinstance(component, list):
        return [x for kid in component for x in _texts(kid)]
    for prop in ("children", "rowData", "columnDefs"):
        value = getattr(component, prop, None)
        for kid in value if isinstance(value, list) else [value] if value is not None else []:
            if isinstance(kid, dict):  # grid rows and column definitions
                out += [str(v) for k, v in kid.items() if k != "id"]
            else:
                out += _texts(kid)
    return out


def test_chinese_page_shows_rules_and_kinds_in_business_words(store):
    cfg = load_process("procurement")
    f = Filters(process="procurement", lang="zh")
    texts = _texts(page.layout(store, f))
    c = conformance(store, "procurement", f)
    assert c is not None and c["rules"]
    rule_ids = {r["rule"] for r in c["rules"]}
    kinds = {r["kind"] for r in c["rules"]}
    for r in cfg.rules:
        assert r.label_zh in texts
    grid = page._tables(c, "zh", str)[3]  # the rules grid: the id only in its own hint column
    rows = grid.children[1].rowData
    assert {row["id"] for row in rows} == rule_ids
    assert not [row for row in rows if row["rule"] in rule_ids or row["kind"] in kinds or re.search("[a-z]{3}",
                                                                                                    row["kind"])]
    impact = page._tables(c, "zh", str)[5].children[1].rowData
    names = [row["deviation"] for row in impact]
    assert names and not [n for n in names if n.startswith(("rule:", "skipped:", "inserted:", "out_of_order:"))
                          or any(i in n for i in rule_ids)]
    assert any(n.startswith("业务规则: ") for n in names) and any(n.startswith("跳过: ") for n in names)
    outside = next(row for row in c["steps"] if row["activity"] == "Change order")
    assert not outside["in_model"] and outside["inserted"] > 0
    zh = cfg.label("Change order", "zh")
    assert f"已执行但不在模型中（见下表）：{zh} (插入 {outside['inserted']:,})" in texts
    # every label of this page exists in both languages
    assert all(LABELS[k].get("zh") for k in LABELS if k.startswith(("conf_", "rule_kind_")))


def test_clicks_list_the_cases_and_forged_clicks_are_refused(store):
    f = Filters(process="procurement", lang="en")
    c = conformance(store, "procurement", f)
    d = page.diagram_of(c["reference"])
    po = next(s.id for s in d.tasks().values() if s.name == "PO approval")
    click = {"points": [{"customdata": po}]}
    assert page.chosen(c, "conf-model", click, None, None) == ("PO approval", None)
    i = next(i for i, r in enumerate(c["rules"]) if r["rule"] == "po_approved_before_receipt")
    assert page.chosen(c, page.RULES_GRID, None, None, {"rowId": str(i)}) == (None, "po_approved_before_receipt")
    j = next(j for j, s in enumerate(c["steps"]) if s["activity"] == "Change order")
    assert page.chosen(c, page.STEPS_GRID, None, {"rowId": str(j), "rowIndex": 0}, None) == ("Change order", None)
    for forged in ({"points": [{"customdata": "Gw_split"}]}, {"points": [{"customdata": "Nope"}]},
                   {"points": [{"customdata": ["Task_6", 1]}]}, {"points": []}, None, "x"):
        assert page.chosen(c, "conf-model", forged, None, None) is None
    for cell in ({"rowId": str(len(c["rules"]))}, {"rowId": "-1"}, {"rowId": 1}, {"rowIndex": 0}, None, []):
        assert page.chosen(c, page.RULES_GRID, None, None, cell) is None
    assert page.chosen(c, "something-else", click, None, None) is None

    panel = page.detail(c, "en", str, step="PO approval")
    texts = _texts(panel)
    skipped = c["case_ids"]["steps"]["PO approval"]["skipped"]
    assert "Skipped: {:,} cases, the first {} listed".format(skipped["total"], len(skipped["ids"])) in texts
    grid = panel[-1].children[1]
    assert [r["case"] for r in grid.rowData] == skipped["ids"] and grid.columnDefs[0]["field"] == "case"
    rule_panel = _texts(page.detail(c, "zh", str, rule="po_approved_before_receipt"))
    assert "采购订单审批后方可收货入库" in rule_panel and "po_approved_before_receipt" not in rule_panel
    four_eyes = c["case_ids"]["rules"]["four_eyes_requisition"]["total"]
    assert f"four eyes (two different people): {four_eyes} cases" in _texts(
        page.detail(c, "en", str, rule="four_eyes_requisition"))  # all listed: no "first n"
    calm = page.detail(c, "en", str, step="Purchase requisition")
    assert "No case deviates here." in _texts(calm)
    kept = next(r["rule"] for r in c["rules"] if r["violating_cases"] == 0)  # pay_exactly_once holds everywhere
    assert "没有案例违反此规则。" in _texts(page.detail(c, "zh", str, rule=kept))


def test_a_model_that_cannot_be_drawn_says_so_in_one_line(tmp_path):
    bad = tmp_path / "bad.bpmn"
    bad.write_text("<bpmn:definitions", encoding="utf-8")
    got = page.diagram_of(str(bad))
    assert isinstance(got, str) and got.startswith(str(bad)) and "\n" not in got
    c = {"reference": str(bad), "steps": []}
    lines = page._model(c, "en", str)
    assert lines[0].id == "conf-no-diagram" and lines[0].children.startswith("The reference model's diagram")
    assert page._model({"reference": str(tmp_path / "net.pnml"), "steps": []}, "zh", str)[0].children == (
        "参考模型没有图形布局（BPMN DI）：仅显示表格。")


RULE_KINDS = ("precedence", "response", "absence", "exactly_once", "four_eyes", "time_limit", "amount_threshold")


def test_every_rule_kind_and_every_shipped_rule_has_business_words_in_both_languages():
    for kind in RULE_KINDS:
        en, zh = page.rule_kind(kind, "en"), page.rule_kind(kind, "zh")
        assert en != kind and zh != kind and re.search("[\u4e00-\u9fff]", zh) and not re.search("[A-Za-z]", zh)
    assert page.rule_kind("unknown_kind", "zh") == "unknown_kind"  # a kind the page does not know: as it is
    for process in ("finance", "procurement", "production", "sales"):
        for rule in load_process(process).rules:
            assert rule.label_en and rule.label_en != rule.id and " " in rule.label_en, (process, rule.id)
            assert re.search("[\u4e00-\u9fff]", rule.label_zh) and not re.search("[A-Za-z]", rule.label_zh), (
                process, rule.id)


@pytest.mark.parametrize("process", ["finance", "procurement", "production", "sales"])
def test_each_shipped_model_draws_every_shape_and_flow(process):
    from flowmine.processes import read_diagram

    d = read_diagram(load_process(process).reference_model)
    tasks = list(d.tasks().values())
    steps = [_step(t.name, 0.5 if i == 0 else 0.0, skipped=1 if i == 0 else 0) for i, t in enumerate(tasks)]
    for lang in ("en", "zh"):
        fig = model_figure(d, steps, lang)
        go.Figure(fig)
        assert len(fig["layout"]["shapes"]) == len(d.shapes)
        assert sum(1 for a in fig["layout"]["annotations"] if a.get("showarrow")) == len(d.flows)
        assert fig["data"][0]["x"].count(None) == len(d.flows)
        fills = [_fill(fig, t) for t in tasks]
        assert fills[0] != fills[1] and len(set(fills[1:])) == 1 and GREY not in fills
