"""The case explorer and the case page without a browser: the timeline figure on a hand-made case (bars,
instant markers, the shaded wait and its label), links and escaping, refused inputs, and a case that
no top-N list holds found by search and opened on the finance sample."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlencode

import pandas as pd
import plotly.graph_objects as go
import pytest

from flowmine import Store
from flowmine.analytics import case_waits, prepare, stored, throughput_time
from flowmine.dashboard._case_data import case_page, case_view
from flowmine.dashboard._state import Filters
from flowmine.dashboard.pages import case as case_pg
from flowmine.dashboard.pages import cases as cases_pg

SAMPLES = Path(__file__).resolve().parents[1] / "sample_logs"
T = pd.Timestamp("2025-01-06 09:00", tz="UTC")


def hours(h: float) -> pd.Timestamp:
    return T + pd.Timedelta(hours=h)


@pytest.fixture
def timeline() -> pd.DataFrame:
    """A[9:00-10:00] by ann, B[13:00-14:30] by bob (waits 3 h on A), C@15:00 instant (no start) by ann."""
    return pd.DataFrame({
        "concept:name": ["A", "B", "<b>C</b>"], "org:resource": ["ann", "bob", "ann"],
        "start_timestamp": pd.to_datetime([hours(0), hours(4), None], utc=True),
        "time:timestamp": pd.to_datetime([hours(1), hours(5.5), hours(6)], utc=True),
        "running": [False, False, False], "shown_end": pd.to_datetime([hours(1), hours(5.5), hours(6)], utc=True)})


def test_timeline_has_one_bar_or_marker_per_instance_and_the_wait_shaded(timeline):
    fig = case_pg.timeline_figure(timeline, "en", str, case_waits(timeline))
    bars = [d for d in fig["data"] if d["type"] == "bar"]
    marks = [d for d in fig["data"] if d["type"] == "scatter"]
    assert sum(len(b["y"]) for b in bars) == 2 and sum(len(m["y"]) for m in marks) == 1  # = 3 instances
    assert {b["name"] for b in bars} == {"ann", "bob"}  # a colour per resource
    bob = next(b for b in bars if b["name"] == "bob")
    assert bob["base"] == ["2025-01-06 13:00:00.000000"] and bob["x"] == [1.5 * 3600 * 1000]  # 13:00 → 14:30
    gap = fig["layout"]["shapes"][0]
    assert (gap["x0"], gap["x1"], gap["y0"], gap["y1"]) == ("2025-01-06 10:00:00.000000",
                                                            "2025-01-06 13:00:00.000000", 0.55, 1.45)
    texts = [a["text"] for a in fig["layout"]["annotations"]]
    assert texts[0] == "wait 3.0 h"  # 10:00 (A done) → 13:00 (B starts)
    assert texts[1] == "since previous 30 min"  # C has no start: the time since B's completion
    assert fig["layout"]["yaxis"]["ticktext"][2] == "3. &lt;b&gt;C&lt;/b&gt;"  # a label is text
    assert "2025-01-06 13:00:00 UTC" in bob["hovertext"][0] and "bob" in bob["hovertext"][0]
    go.Figure(fig)  # plotly accepts every property


def test_timeline_in_chinese_labels_the_wait_in_chinese(timeline):
    fig = case_pg.timeline_figure(timeline, "zh", str, case_waits(timeline))
    assert fig["layout"]["annotations"][0]["text"] == "等待 3.0小时"
    assert fig["layout"]["xaxis"]["title"]["text"] == "协调世界时"


def test_an_open_instance_is_hatched_to_the_end_of_the_log(timeline):
    tl = timeline.assign(running=[False, True, False])
    tl.loc[1, "time:timestamp"] = pd.NaT
    fig = case_pg.timeline_figure(tl, "en")
    bob = next(b for b in fig["data"] if b.get("name") == "bob")
    assert bob["marker"]["pattern"]["shape"] == ["/"] and "still running" in bob["hovertext"][0]


def test_case_link_escapes_the_id_in_markdown_and_in_the_address():
    f = Filters(process="finance", lang="zh")
    link = cases_pg._md_link("a_b*[x](y)<script>", f)
    assert link == ("[a\\_b\\*\\[x\\]\\(y\\)\\<script\\>]"
                    "(/case?process=finance&lang=zh&case=a_b%2A%5Bx%5D%28y%29%3Cscript%3E)")


def test_a_sort_or_search_the_page_did_not_offer_is_refused():
    offered = {"case": "case", "a0": "case:x.y"}
    assert cases_pg._sort([], offered) == ("start", False)
    assert cases_pg._sort([{"colId": "a0", "sort": "desc"}], offered) == ("case:x.y", True)
    for forged in ([{"colId": "x; DROP", "sort": "asc"}], [{"colId": "case", "sort": "up"}],
                   "case", [1], [{"colId": "case", "sort": "asc"}] * 2):
        assert cases_pg._sort(forged, offered) is None
    assert cases_pg._search({}) == "" and cases_pg._search({"case": {"filter": "EC-1"}}) == "EC-1"
    for forged in ({"other": {"filter": "x"}}, {"case": {"filter": 3}}, {"case": {"filter": "x" * 201}}, "x"):
        assert cases_pg._search(forged) is None


def test_grid_fields_keep_attribute_names_out_of_field_paths():
    assert cases_pg.fields(["case", "start", "case:x.y", "case:dept", "fitting"]) == {
        "case": "case", "start": "start", "a0": "case:x.y", "a1": "case:dept", "fitting": "fitting"}


def test_count_text():
    assert cases_pg.count_text(0, 25, 12345, "en") == "1–25 of 12,345 cases"
    assert cases_pg.count_text(25, 3, 28, "zh") == "第 26–28 个，共 28 个案例"
    assert cases_pg.count_text(0, 0, 0, "en") == "No case matches."


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Store:
    st = Store(tmp_path_factory.mktemp("cases") / "store")
    st.ingest("finance", [str(SAMPLES / "finance_claims.csv")], mapping=SAMPLES / "finance_claims.mapping.toml")
    prepare(st, "finance")
    return st


def _hidden_case(store: Store) -> tuple[str, int]:
    """The fastest case of the most frequent variant: outside its 200 slowest, and outside page one."""
    from flowmine.analytics import CaseFilter, variant_stats

    log = stored(store, "finance")
    top = variant_stats(log)["variant"].iloc[0]
    per = throughput_time(log.where(CaseFilter(variants=[top])), level="case").sort_values(["throughput_s", "case"])
    assert len(per) > 200
    return str(per["case"].iloc[0]), len(per)


def test_a_case_outside_every_top_n_list_is_found_by_search_and_opened(store):
    case, _ = _hidden_case(store)
    f = Filters(process="finance")
    first, total = case_page(store, f, limit=cases_pg.PAGE_SIZE)
    assert total == 6000 and case not in first["case"].tolist()
    found, n = case_page(store, f, search=case)
    assert case in found["case"].tolist() and n >= 1
    data = cases_pg.rows(found, f)
    assert f"case={case}" in next(r["case"] for r in data if r["case"].startswith("[" + case.replace("-", "\\-")))
    page = case_pg.render(store, f"?process=finance&case={case}&lang=en")
    fig = _first(page, "case-gantt").figure
    view = case_view(store, "finance", case)
    assert view is not None and len(view.timeline) == view.row["events"]
    instances = sum(len(d["y"]) for d in fig["data"])
    assert instances == len(view.timeline)
    assert _first(page, "case-title").children == f"Case {case}"


def test_unknown_and_forged_case_ids_get_a_notice(store):
    for case in ("nope", "EC-000001' OR '1'='1", "x" * 600):
        page = case_pg.render(store, "?process=finance&" + urlencode({"case": case}))
        assert page.id == "case-unknown" and "has no case" in page.children
    assert case_pg.render(store, "?process=finance").id == "case-unknown"


def test_the_case_page_shows_the_checks_deviations_and_rules(store):
    from flowmine.conformance import check

    report = check(store, "finance", with_precision=False)
    deviating = next(c for c, d in report.case_deviations.items() if d)
    view = case_view(store, "finance", deviating)
    assert view is not None and view.deviations == report.case_deviations[deviating]
    assert [r[0] for r in view.rules or []] == report.case_rules.get(deviating, [])
    page = case_pg.render(store, f"?process=finance&case={deviating}&lang=zh")
    devs = _first(page, "case-devs")
    assert devs is not None  # the deviations table (kinds in Chinese)
    rows = _grid_rows(devs)
    kind = report.case_deviations[deviating][0].split(": ", 1)[0]
    assert rows[0]["deviation"] == {"skipped": "跳过", "inserted": "插入", "out_of_order": "顺序错误"}[kind]


def test_explorer_grid_pages_every_case_on_the_server(store):
    page = cases_pg.layout(store, Filters(process="finance"))
    grid = _first(page, "cases-table")
    assert grid.rowModelType == "infinite" and grid.dashGridOptions["paginationPageSize"] == 25
    names = {c["headerName"] for c in grid.columnDefs}
    # times in the process configuration's zone, named in the header (finance: Asia/Shanghai)
    assert names >= {"Case", "Start (Asia/Shanghai)", "End (Asia/Shanghai)", "Events", "Variant", "Cost",
                     "Fits the model", "department"}
    first, _ = case_page(store, Filters(process="finance"), limit=1)
    start = pd.Timestamp(first["start"].iloc[0])
    start = start.tz_localize("UTC") if start.tzinfo is None else start
    for zone, url in (("Asia/Shanghai", "?process=finance"), ("UTC", "?process=finance&tz=UTC")):
        response, _ = cases_pg.answer(store, url, {"startRow": 0, "endRow": 1, "sortModel": [], "filterModel": {}})
        assert response["rowData"][0]["start"] == start.tz_convert(zone).strftime("%Y-%m-%d %H:%M")
    utc_grid = _first(cases_pg.layout(store, Filters(process="finance", tz="UTC")), "cases-table")
    assert "Start (UTC)" in {c["headerName"] for c in utc_grid.columnDefs}
    url = "?process=finance"
    response, text = cases_pg.answer(store, url, {"startRow": 25, "endRow": 50, "sortModel": [], "filterModel": {}})
    assert response["rowCount"] == 6000 and len(response["rowData"]) == 25 and text == "26–50 of 6,000 cases"
    every, _ = case_page(store, Filters(process="finance"), limit=50)
    assert [r["case"].split("]")[0][1:].replace("\\", "") for r in response["rowData"]] == every["case"].tolist()[25:]
    slow = {"startRow": 0, "endRow": 25, "sortModel": [{"colId": "throughput_s", "sort": "desc"}]}
    response, _ = cases_pg.answer(store, url, slow)
    per = throughput_time(stored(store, "finance"), level="case").sort_values(["throughput_s", "case"],
                                                                              ascending=[False, True])
    assert response["rowData"][0]["case"].startswith("[" + per["case"].iloc[0].replace("-", "\\-"))
    for forged in ({"startRow": -1, "endRow": 25}, {"startRow": 0, "endRow": 25, "sortModel": [{"colId": "x"}]},
                   {"startRow": "0", "endRow": 25}, None, {"startRow": 0, "endRow": 25, "filterModel": {"a0": {}}}):
        assert cases_pg.answer(store, url, forged) is None


def test_explorer_in_chinese_has_no_english_chrome(store):
    page = cases_pg.layout(store, Filters(process="finance", lang="zh"))
    grid = _first(page, "cases-table")
    heads = [c["headerName"].replace("Asia/Shanghai", "") for c in grid.columnDefs]  # a zone keeps its name
    assert all(not any(ch.isascii() and ch.isalpha() for ch in h) for h in heads if h not in (
        "department", "expense_type", "amount")), heads  # attribute names are the data's
    assert grid.dashGridOptions["localeText"]["of"] == "共"
    _, text = cases_pg.answer(store, "?process=finance&lang=zh", {"startRow": 0, "endRow": 25})
    assert text == "第 1–25 个，共 6,000 个案例"


def _walk(component):
    yield component
    kids = getattr(component, "children", None)
    for kid in kids if isinstance(kids, list) else [kids] if kids is not None else []:
        yield from _walk(kid)


def _first(component, cid):
    return next((c for c in _walk(component) if getattr(c, "id", None) == cid), None)


def _grid_rows(component):
    for c in _walk(component):
        if type(c).__name__ == "AgGrid":
            return c.rowData
    raise AssertionError("no grid")


def test_the_drill_down_says_when_it_lists_only_the_slowest_of_a_variant(store):
    from flowmine.analytics import CaseFilter, variant_stats

    f = Filters(process="finance")
    top = variant_stats(stored(store, "finance"))
    big, small = str(top["variant"].iloc[0]), str(top["variant"].iloc[-1])
    n_big = int(top["cases"].iloc[0])
    children, options = cases_pg.drill_down(store, f, big)
    assert len(options) == cases_pg.DRILL_CAP < n_big
    assert children[0].id == "cases-cap" and f"{n_big:,} cases" in children[0].children
    slowest = throughput_time(stored(store, "finance").where(CaseFilter(variants=[big])), level="case")
    assert options[0]["value"] == slowest.sort_values("throughput_s", ascending=False)["case"].iloc[0]
    children, options = cases_pg.drill_down(store, f, small)
    assert children[0] == "" and len(options) == int(top["cases"].iloc[-1])  # all listed: no notice


def test_the_global_filters_apply_to_the_explorer(store):
    from flowmine.analytics import CaseFilter

    flt = CaseFilter(started=("2025-03-01T00:00:00+00:00", "2025-04-01T00:00:00+00:00"),
                     attributes={"case:department": ["Sales"]})
    expected = throughput_time(stored(store, "finance").where(flt), level="case")
    url = "?process=finance&from=2025-03-01&to=2025-03-31&attr=case:department&val=Sales"
    response, text = cases_pg.answer(store, url, {"startRow": 0, "endRow": 25,
                                                  "sortModel": [{"colId": "case", "sort": "asc"}]})
    assert 0 < response["rowCount"] == len(expected) < 6000
    assert text == f"1–{min(25, len(expected))} of {len(expected):,} cases"
    first = sorted(expected["case"])[0]
    assert response["rowData"][0]["case"].startswith("[" + first.replace("-", "\\-") + "]")


def test_the_case_page_in_chinese_leaves_no_english_chrome(store):
    case = "EC-000002"
    page = case_pg.render(store, f"?process=finance&case={case}&lang=zh")
    shown = []
    for c in _walk(page):
        if isinstance(c, str):
            shown.append(c)
        elif type(c).__name__ == "AgGrid":
            shown += [col["headerName"] for col in c.columnDefs]
    # CSV: the grids' export; Asia/Shanghai: the zone's name
    data = {case, "EC-000002", "department", "expense_type", "amount", "CSV", "Asia", "Shanghai"}
    words = [w for text in shown for w in re.findall(r"[A-Za-z]{2,}", text)]
    fig = _first(page, "case-gantt").figure
    words += re.findall(r"[A-Za-z]{2,}", " ".join(a["text"] for a in fig["layout"]["annotations"]))
    # the data's own words (ids, attribute names, step names in the log) may be English; the chrome may not
    from flowmine.analytics import case_timeline

    tl = case_timeline(stored(store, "finance"), case)
    data |= {w for v in tl.to_numpy().ravel() for w in re.findall(r"[A-Za-z]{2,}", str(v))}
    assert [w for w in words if w not in data] == []
