"""Numbers that agree, KPI status and tables (issue #15, "tables"): without a browser.

Bottleneck shares per list on a hand-computed log and on the sample store, P90 filled, KPI status
against a hand-set target, the previous period's change on a tiny log, the grid's raw values, export
names and case links, the .xlsx export read back with pandas, and the fitness KPI history on the
card's definition.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from flowmine import Store
from flowmine._schema import ACTIVITY, CASE, EVENT_ID, START, TIMESTAMP
from flowmine.analytics import bottlenecks, profile, stored
from flowmine.dashboard._components import Column, export_stem, grid_rows, table, workbook
from flowmine.dashboard._i18n import t
from flowmine.dashboard._numbers import bottleneck_lists, previous_values, previous_window, status
from flowmine.dashboard._state import Filters
from flowmine.vocabulary import duration

SAMPLES = Path(__file__).resolve().parents[1] / "sample_logs"
T0 = datetime(2025, 1, 6, tzinfo=UTC)
# case x: A[0,10] B[20,30]; case y: A[0,10] C[15,20] B[40,50] (seconds from T0)
TINY = [("x", "A", 0, 10), ("x", "B", 20, 30), ("y", "A", 0, 10), ("y", "C", 15, 20), ("y", "B", 40, 50)]


def tiny() -> pd.DataFrame:
    return pd.DataFrame({
        CASE: [r[0] for r in TINY], ACTIVITY: [r[1] for r in TINY],
        START: pd.to_datetime([T0 + timedelta(seconds=r[2]) for r in TINY], utc=True),
        TIMESTAMP: pd.to_datetime([T0 + timedelta(seconds=r[3]) for r in TINY], utc=True),
        EVENT_ID: list(range(len(TINY)))})


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Store:
    st = Store(tmp_path_factory.mktemp("tables") / "store")
    st.ingest("finance", [str(SAMPLES / "finance_claims.csv")], mapping=SAMPLES / "finance_claims.mapping.toml")
    return st


def test_bottleneck_lists_never_double_count_on_a_hand_computed_log():
    b = bottlenecks(tiny(), n_boot=0)
    steps = b[b["kind"] == "activity"].set_index("name")
    edges = b[b["kind"] == "edge"].set_index("name")
    # waiting: B 10 (x) + 20 (y) = 30, C 5: 35 s at steps; edges A→B 10, A→C 5, C→B 20: 35 s
    assert steps["waiting_total_s"].to_dict() == {"B": 30, "C": 5}
    assert steps.loc["B", "share"] == pytest.approx(30 / 35) and steps.loc["C", "share"] == pytest.approx(5 / 35)
    assert edges["waiting_total_s"].to_dict() == {"C → B": 20, "A → B": 10, "A → C": 5}
    assert edges.loc["C → B", "share"] == pytest.approx(20 / 35)
    assert list(steps["rank"]) == [1, 2] and list(edges["rank"]) == [1, 2, 3]
    assert steps.loc["B", "waiting_p90_s"] == pytest.approx(10 + 0.9 * 10)  # of 10 and 20
    p = profile(tiny(), n_boot=0)  # the profile (flowmine perf, the report) shares the same way
    got = {(r["kind"], r["name"]): r["share"] for r in p["bottlenecks"]}
    assert got[("activity", "B")] == pytest.approx(30 / 35) and got[("edge", "C → B")] == pytest.approx(20 / 35)


def test_bottleneck_shares_per_list_at_most_100_percent_and_p90_filled(store):
    lists = bottleneck_lists(store, Filters(process="finance"))
    for kind in ("activity", "edge"):
        assert lists[kind], kind
        assert 0 < sum(r["share"] for r in lists[kind]) <= 1 + 1e-9
        assert all(r["kind"] == kind for r in lists[kind])
        assert all(r["waiting_p90_s"] is not None and r["waiting_p90_s"] >= r["waiting_median_s"]
                   for r in lists[kind])
    p = profile(stored(store, "finance"), n_boot=0, top=100)
    for kind in ("activity", "edge"):
        assert sum(r["share"] for r in p["bottlenecks"] if r["kind"] == kind) == pytest.approx(1.0)


def test_bottleneck_page_fills_p90_and_names_each_statistic(store):
    from flowmine.dashboard.pages import bottlenecks as page

    f = Filters(process="finance")
    top = bottleneck_lists(store, f)["activity"][0]
    cols = page.columns("waiting", "activity", "en")
    assert [c.label for c in cols if c.key in ("median", "mean", "p90", "waiting")] == [
        "Total waiting time", "Median waiting time", "Mean waiting time", "P90 waiting time"]
    row = grid_rows(cols, page.rows([top], "finance", "en"), "en")[0]
    assert row["p90"] == pytest.approx(top["waiting_p90_s"] / 86400)
    assert row["p90__text"] == duration(top["waiting_p90_s"], "en") != "–"


def test_kpi_status_against_a_hand_set_target():
    assert status(691.0, ("lower", 650.0)) == "missed"
    assert status(650.0, ("lower", 650.0)) == "met"
    assert status(0.08, ("lower", 0.05)) == "missed"
    assert status(0.99, ("higher", 0.98)) == "met"
    assert status(0.97, ("higher", 0.98)) == "missed"
    assert status(0.5, None) == "none" and status(None, ("lower", 1.0)) == "none"


def _find(component, cid):
    if getattr(component, "id", None) == cid:
        return component
    kids = getattr(component, "children", None)
    for kid in kids if isinstance(kids, list) else [kids] if kids is not None else []:
        found = _find(kid, cid)
        if found is not None:
            return found
    return None


def test_overview_card_shows_missed_and_met_targets(store, monkeypatch):
    from flowmine.dashboard.pages import overview

    f = Filters(process="finance")
    cost = overview.case_cost(store, f)["value"]
    monkeypatch.setattr(overview, "targets", lambda process, time=None: {"cost_per_case": ("lower", cost - 1.0),
                                                              "throughput_time": ("lower", 1e12)})
    page = overview.layout(store, f)
    missed = _find(page, "ov-cost-status")
    assert missed.children == t("kpi_missed", "en") and "missed" in missed.className
    assert missed.style["color"] == overview.STATUS_STYLE["missed"]
    assert _find(page, "ov-tt-median-status").children == t("kpi_met", "en")
    zh = overview.layout(store, Filters(process="finance", lang="zh"))
    assert _find(zh, "ov-cost-status").children == "✗ 未达标"


def _tiny_store(path: Path) -> Store:
    st = Store(path)
    csv = path.parent / "tiny.csv"
    # December: c1 takes 2 days; January: c2 takes 5 days, c3 takes 7 days (median 6 days)
    csv.write_text("case,activity,timestamp\n"
                   "c1,A,2023-12-05 10:00\nc1,B,2023-12-07 10:00\n"
                   "c2,A,2024-01-10 10:00\nc2,B,2024-01-15 10:00\n"
                   "c3,A,2024-01-12 10:00\nc3,B,2024-01-19 10:00\n", encoding="utf-8")
    st.ingest("tiny", [str(csv)])
    return st


def test_previous_period_change_is_exact_on_a_tiny_log(tmp_path):
    from flowmine.dashboard.pages import overview

    st = _tiny_store(tmp_path / "store")
    f = Filters(process="tiny", start="2024-01-01", end="2024-01-31")
    assert previous_window(f) == ("2023-12-01", "2023-12-31")
    window, prev = previous_values(st, f)
    assert window == ("2023-12-01", "2023-12-31")
    assert prev["cases"] == 1 and prev["throughput_time"] == 2 * 86400
    page = overview.layout(st, f)
    assert _find(page, "ov-tt-median").children == duration(6 * 86400, "en")
    delta = _find(page, "ov-tt-median-delta").children
    assert delta == f"+{duration(4 * 86400, 'en')} vs 2023-12-01 – 2023-12-31"
    assert _find(page, "ov-tt-median-status").children == t("kpi_none", "en")  # no process definition
    assert previous_window(Filters(process="tiny")) is None
    # whole calendar months compare with the months before them; other windows with as many days
    for (a, b), before in {("2024-03-01", "2024-03-31"): ("2024-02-01", "2024-02-29"),
                           ("2024-04-01", "2024-06-30"): ("2024-01-01", "2024-03-31"),
                           ("2024-01-01", "2024-12-31"): ("2023-01-01", "2023-12-31"),
                           ("2024-03-01", "2024-03-10"): ("2024-02-20", "2024-02-29"),
                           ("2024-03-05", "2024-04-04"): ("2024-02-03", "2024-03-04")}.items():
        assert previous_window(Filters(process="tiny", start=a, end=b)) == before
    assert _find(overview.layout(st, Filters(process="tiny")), "ov-tt-median-delta") is None


def test_previous_period_cards_equal_the_full_computations(store):
    """The previous period's cards skip the profile's intervals and the check's precision and impact: the
    values they show are those of the full profile and check of the same filters."""
    from flowmine.dashboard import _data
    from flowmine.dashboard._numbers import card_values

    for process, dept in (("finance", "Sales"), ("finance", "Production")):
        f = Filters(process=process, start="2025-02-01", end="2025-03-31", attr="case:department", values=(dept,))
        assert _data._key(store, f) not in _data._check.cache  # so the cards take the light path
        light = card_values(store, f)
        k = _data.kpis(_data.process_profile(store, f), _data.case_cost(store, f))
        c = _data.conformance(store, process, f)
        assert c is not None and c["cases"] == light["cases"] == k["cases"] > 0
        assert light == {"throughput_time": k["tt_median"], "cost_per_case": k["cost_case"], "cases": k["cases"],
                         "fitness": c["fitness"], "rule_violation_rate": c["rule_violation_rate"]}


def test_grid_keeps_raw_values_units_in_export_names_and_case_links():
    cols = [Column("case", "Case", "case"), Column("cost", "Cost", "money", unit="CNY"),
            Column("tt", "Throughput time", "duration"), Column("share", "Share", "percent"),
            Column("n", "Cases", "number"), ("name", "Name")]
    rows = [{"case": "<script>&1", "cost": 1212681.94, "tt": 86400 * 1.5, "share": 0.125, "n": 3, "name": "x"}]
    got = grid_rows([c if isinstance(c, Column) else Column(*c) for c in cols], rows, "en", "finance")[0]
    assert got["cost"] == 1212681.94 and got["cost__text"] == "1,212,681.94 CNY"
    assert got["tt"] == 1.5 and got["share"] == 12.5 and got["n"] == 3
    assert got["case"] == "<script>&1"
    assert got["case__href"] == "/case?process=finance&case=%3Cscript%3E%261&lang=en"
    assert [c.export_name("en") for c in cols[1:4]] == ["Cost (CNY)", "Throughput time (d)", "Share (%)"]
    assert Column("tt", "通过时间", "duration").export_name("zh") == "通过时间（天）"
    f = Filters(process="finance", start="2024-01-01", end="2024-03-31", lang="zh")
    assert export_stem(f, "bottlenecks") == "finance_bottlenecks_2024-01-01_2024-03-31"
    assert export_stem(Filters(process="finance", variant="A → B/C"), "variants") == "finance_variants_variant-A-B-C"
    grid = table("t", cols, rows, f=f, page="bottlenecks").children[1]
    assert grid.csvExportParams["fileName"] == "finance_bottlenecks_2024-01-01_2024-03-31.csv"
    defs = {d["field"]: d for d in grid.columnDefs}
    assert defs["cost"]["type"] == "numericColumn" and defs["cost"]["headerTooltip"] == "Cost（CNY）"
    assert defs["case"]["cellRenderer"] == "FmCaseLink" and "valueFormatter" not in defs["name"]
    assert grid.defaultColDef["useValueFormatterForExport"] is False  # exports hold the raw values
    assert grid.dashGridOptions["localeText"]["page"] == "第" and grid.dashGridOptions["localeText"]["of"] == "共"
    assert table("t", cols, rows, f=Filters(process="finance")).children[1].dashGridOptions["localeText"] == {}


def test_assets_functions_exist_and_use_no_eval():
    js = (Path(__file__).resolve().parents[1] / "src/flowmine/dashboard/assets/dashAgGridFunctions.js").read_text()
    for name in ("fmText", "fmExportHeader", "FmCaseLink"):
        assert f".{name} = function" in js
    assert "eval(" not in js and "new Function" not in js and "innerHTML" not in js


def test_xlsx_export_opens_with_pandas_and_holds_raw_numbers(store):
    from flowmine.dashboard.pages import bottlenecks as bn_page
    from flowmine.dashboard.pages import steps

    f = Filters(process="finance")
    p = profile(stored(store, "finance"))
    data = workbook(steps.sheets(store, f) + bn_page.sheets(store, f), "en")
    book = pd.read_excel(io.BytesIO(data), sheet_name=None)
    assert list(book) == ["Cost & quality per step", "Steps", "Transitions"]
    per_step = book["Cost & quality per step"]
    assert pd.api.types.is_float_dtype(per_step["Total cost (CNY)"])
    want = {a["activity"]: a["cost_total"] for a in p["activities"]}
    got = dict(zip(per_step["Step"], per_step["Total cost (CNY)"], strict=True))
    assert got == pytest.approx(want)
    assert per_step["Median service time (d)"].tolist() == pytest.approx(
        [a["service_time_median_s"] / 86400 for a in p["activities"]])
    top = bottleneck_lists(store, f)["activity"][0]
    assert book["Steps"]["P90 waiting time (d)"].iloc[0] == pytest.approx(top["waiting_p90_s"] / 86400)
    assert book["Steps"]["Share of its list (%)"].sum() <= 100 + 1e-9


def test_data_page_explains_every_count_in_both_languages(store):
    from flowmine.dashboard.pages import data

    for lang in ("en", "zh"):
        page = data.layout(store, Filters(process="finance", lang=lang))
        items = [li.children for li in _find(page, "data-explain").children]
        assert len(items) == len(data.EXPLAINED) == 7
        assert _find(page, "data-open").children == f"{t('open_instances', lang)}: 0"
    m = store.manifest("finance")["sources"][0]
    row = data.source_rows(store.manifest("finance"))[0]
    assert row["read"] == row["loaded"] + row["merged"] + row["already"] + row["quarantined"] == m["rows_read"]
    zh_headers = [c.label for c in data.source_columns("zh")]
    assert not any(ch.isascii() and ch.isalpha() for h in zh_headers for ch in h.replace("SHA-256", "")
                   .replace("UTC", ""))


def test_fitness_kpi_history_is_the_cards_fitness(store):
    """The fitness KPI of a month is ``flowmine check``'s fitness (the card's) of that month's cases,
    not the median case fitness (which was 1.000 every month)."""
    from flowmine.analytics import CaseFilter, throughput_time
    from flowmine.conformance import check
    from flowmine.monitor import case_data, kpi_periods
    from flowmine.processes import configured

    cfg = configured("finance")
    kpi = tuple(k for k in cfg.kpis if k.metric == "fitness")
    periods = kpi_periods(case_data(store, "finance", cfg, kpi), cfg, kpi)
    row = periods[periods["complete"]].iloc[1]
    cases = throughput_time(stored(store, "finance"), level="case")
    end = pd.to_datetime(cases["end"], utc=True)
    month = cases["case"][(end >= row["period"]) & (end < row["period_end"])].astype(str).tolist()
    want = check(store, "finance", filters=CaseFilter(cases=month), with_precision=False).fitness
    assert row["value"] == pytest.approx(want)
    assert row["value"] < 1.0  # the median case fitness would be 1


def test_trend_months_in_chinese_and_the_target_line():
    from flowmine.dashboard.pages.overview import month_label, trend_figure

    periods = [{"period": f"2025-{m:02d}-01T00:00:00+00:00", "arrivals": 50, "completions": 100,
                "throughput_time_median_s": 86400.0} for m in (1, 2, 3)]
    zh = trend_figure({"periods": periods}, "zh", ("lower", 2 * 86400.0))
    assert zh["layout"]["xaxis"]["ticktext"] == ["2025年1月", "2025年2月", "2025年3月"]
    assert trend_figure({"periods": periods}, "en")["layout"]["xaxis"]["ticktext"] == ["Jan 2025", "Feb 2025",
                                                                                     "Mar 2025"]
    target = zh["data"][-1]
    assert target["y"] == [2.0, 2.0] and target["name"] == f"目标 ≤ {duration(2 * 86400.0, 'zh')}"
    assert len(trend_figure({"periods": periods}, "en")["data"]) == 2  # no target: no line
    assert month_label("2024-12-01", "zh") == "2024年12月" and month_label("", "en") == ""


def test_control_chart_lines_named_in_chinese(store):
    from flowmine.monitor import control_chart_figure, monitor

    result = monitor(store, "finance")  # computes the KPI history
    charted = [s for s in result.statuses if s.chart is not None]
    assert charted
    names = {tr.name for tr in control_chart_figure(charted[0], "zh").data}
    assert {"控制上限", "控制下限", "中心线", "目标"} <= names and not names & {"UCL", "LCL", "CL", "target"}


def test_excel_download_of_a_page_from_the_url(store):
    import base64

    from flowmine.dashboard._components import excel_download
    from flowmine.dashboard._data import filters_of
    from flowmine.dashboard.pages import variants

    def build(search):
        f = filters_of(store, search)
        return f, variants.sheets(store, f)

    got = excel_download(1, "?process=finance&lang=zh", "variants", build)
    assert got["filename"] == "finance_variants.xlsx" and got["base64"] is True
    frame = pd.read_excel(io.BytesIO(base64.b64decode(got["content"])))
    assert list(frame.columns) == ["变体", "案例数", "案例占比（%）", "通过时间中位数（天）"]
    stats = variants.process_variants(store, Filters(process="finance")).head(variants.SHOWN)
    assert frame["案例数"].tolist() == stats["cases"].tolist()
    for forged in (0, None, "1", True, [1]):
        assert excel_download(forged, "?process=finance", "variants", build) is None
    assert excel_download(1, {"x": 1}, "variants", build) is None


def test_initiative_record_in_chinese_where_written(tmp_path):
    from flowmine.monitor import load_initiative
    from flowmine.processes import packaged_folder

    src = (packaged_folder() / "finance" / "initiatives" / "finance_deputy_gm.toml").read_text(encoding="utf-8")
    src = src.split("\n[steps_zh]")[0]  # the packaged record in Chinese left out: one step written here
    path = tmp_path / "ini.toml"
    path.write_text(src + '\n[steps_zh]\ngoal = "GM 审批平均等待少于 12 小时。"\n', encoding="utf-8")
    ini = load_initiative(path)
    assert ini.record("zh")["goal"] == "GM 审批平均等待少于 12 小时。"
    assert ini.record("zh")["design"] == ini.steps["design"]  # not written in Chinese: the author's words
    assert ini.record("en")["goal"] == ini.steps["goal"]


def test_old_tuple_form_case_column_is_a_link_column():
    grid = table("t", [("case", "Case"), ("name", "Name")], [{"case": 7, "name": "<b>x</b>"}]).children[1]
    defs = {d["field"]: d for d in grid.columnDefs}
    assert defs["case"]["cellRenderer"] == "FmCaseLink" and "cellRenderer" not in defs["name"]
    assert grid.rowData == [{"case": "7", "name": "<b>x</b>"}]  # no address: the browser takes the page's
