"""One vocabulary: every term has its two labels and a unit, every face names a metric with it, and on a
log without start timestamps nothing is called waiting. Faces only show: the numbers they show (cost
per case, thin trend months, a case's timeline, the filter's attribute values, KPI targets) come from
public API calls a notebook makes, and no face imports an SQL engine."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pandas as pd
import pytest

from flowmine import vocabulary as v
from flowmine.errors import OptionError
from flowmine.store import Store

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_logs"
CJK = re.compile(r"[\u4e00-\u9fff]")


def test_every_term_has_english_chinese_and_a_unit():
    assert len(v.TERMS) >= 20
    for key, term in v.TERMS.items():
        assert term.key == key and term.en and term.unit in v.UNITS, key
        assert CJK.search(term.zh), key  # a Chinese label, not the English one again
    for lang in v.LANGS:  # one label per concept: no two terms read alike
        labels = [term.label(lang) for term in v.TERMS.values()]
        assert len(set(labels)) == len(labels), lang
    for key in ("throughput_time", "waiting_time", "sojourn_time", "service_time", "queue_time", "rework_rate",
                "cost_per_case", "fitness", "precision", "cases", "events", "activity_instances", "variants",
                "bottleneck"):
        assert key in v.TERMS


def test_labels_and_statistics():
    assert v.label("throughput_time", "zh") == "通过时间"  # the KPI labels' word, also in the report
    assert v.label("throughput_time", "en", stat="median") == "Median throughput time"
    assert v.label("throughput_time", "zh", stat="median") == "通过时间中位数"
    assert v.label("sojourn_time", "en", stat="total") == "Total sojourn time"
    assert v.label("sojourn_time", "zh", stat="total") == "累计逗留时间"
    assert v.label("waiting_time", "en", stat="p90") == "P90 waiting time"
    assert (v.between_steps("waiting"), v.between_steps("sojourn"), v.between_steps(None)) == (
        "waiting_time", "sojourn_time", "sojourn_time")
    with pytest.raises(OptionError, match="'case_duration' is not a term"):
        v.label("case_duration")


@pytest.mark.parametrize("call, expected", [
    (lambda: v.duration(45), "45 s"), (lambda: v.duration(720, "zh"), "12分钟"),
    (lambda: v.duration(19800), "5.5 h"), (lambda: v.duration(276480, "zh"), "3.2天"),
    (lambda: v.duration(float("nan")), "–"), (lambda: v.duration(None, missing="n/a"), "n/a"),
    (lambda: v.duration_in(95880), "1.11 d"), (lambda: v.duration_in(301692600, "h"), "83,803.5 h"),
    (lambda: v.duration_in(None, "h", missing=""), ""),
    (lambda: v.percent(0.1234), "12.3%"), (lambda: v.percent(None), "–"),
    (lambda: v.number(1234567), "1,234,567"), (lambda: v.number(2.5, 2), "2.50"),
    (lambda: v.money(1234.5, "CNY"), "1,234.50 CNY"), (lambda: v.money(3.0, None), "3.00"),
    (lambda: v.money(None, "CNY"), "–"), (lambda: v.ratio(0.95349), "0.953"),
    (lambda: v.fmt("cost_per_case", 10, currency="EUR"), "10.00 EUR"), (lambda: v.fmt("rework_rate", 0.5), "50.0%"),
    (lambda: v.fmt("cases", 1200), "1,200"), (lambda: v.fmt("fitness", 1.0), "1.000"),
    (lambda: v.fmt("waiting_time", 3600, "zh"), "1.0小时"),
    (lambda: v.kpi_value(95880, "s"), "1.11 d"), (lambda: v.kpi_value(0.05, "share"), "5.0%"),
    (lambda: v.kpi_value(1234.5, "CNY"), "1,234 CNY"), (lambda: v.kpi_value(0.98, None), "0.98"),
    (lambda: v.kpi_value(None, "s"), "n/a"),
])
def test_one_formatter_per_unit(call, expected):
    assert call() == expected


def test_faces_format_with_the_vocabulary():
    from flowmine.cli._perf import _span
    from flowmine.dashboard import _i18n
    from flowmine.report._text import fmt_duration, fmt_share

    assert _i18n.duration is v.duration and _i18n.percent is v.percent and _i18n.number is v.number
    assert (fmt_duration(95880), fmt_duration(7200, "h"), fmt_duration(None)) == ("1.11 d", "2.0 h", "n/a")
    assert (fmt_share(0.5), fmt_share(None)) == ("50.0%", "n/a")
    assert (_span(5400), _span(5400, "h"), _span(None)) == ("90.0 min", "1.5 h", "")
    metric_words = {t.en for t in v.TERMS.values()}
    chrome = {entry["en"] for entry in _i18n.LABELS.values()}
    assert metric_words & chrome == {_i18n.LABELS["variants"]["en"]}  # no metric but the Variants page's title


def _texts(component) -> list[str]:
    """Every text a Dash layout shows: children strings, grid headers and cells, figure titles."""
    out: list[str] = []
    if isinstance(component, str | int | float):
        return [str(component)]
    if isinstance(component, list | tuple):
        for kid in component:
            out += _texts(kid)
        return out
    if isinstance(component, dict):
        for key, value in component.items():
            out += [] if key in ("field", "value") else _texts(value)  # ids a grid or a dropdown keeps, not shown
        return out
    for attr in ("children", "columnDefs", "rowData", "figure", "options"):
        value = getattr(component, attr, None)
        if value is not None:
            out += _texts(value)
    return out


@pytest.fixture(scope="module")
def startless(tmp_path_factory):
    """A store with a log without start timestamps (the sales orders: completion times only)."""
    st = Store(tmp_path_factory.mktemp("vocab") / "store")
    st.ingest("sales", [str(SAMPLES / "sales_orders.xlsx")], mapping=SAMPLES / "sales_orders.mapping.toml")
    return st


def test_pages_label_sojourn_time_never_waiting_without_starts(startless):
    from flowmine.analytics import profile, stored
    from flowmine.dashboard._state import Filters
    from flowmine.dashboard.pages import bottlenecks, processmap, steps

    p = profile(stored(startless, "sales"))
    assert p["time_basis"] == "sojourn"
    step = p["activities"][0]["activity"]
    for lang, total, waiting in (("en", "Total sojourn time", "waiting"), ("zh", "累计逗留时间", "等待")):
        f = Filters(process="sales", lang=lang)
        shown = " | ".join(_texts(bottlenecks.layout(startless, f)) + _texts(steps.layout(startless, f))
                           + _texts(processmap.step_detail(startless, f, step)))
        assert total in shown and v.label("sojourn_time", lang, stat="median") in shown
        assert waiting not in shown.lower(), lang
        assert bottlenecks.total_label(p, lang) == total


def test_the_report_names_sojourn_time_without_starts_and_throughput_time_as_the_dashboard(startless):
    from flowmine.dashboard._state import Filters
    from flowmine.dashboard.pages import overview
    from flowmine.report import build_report

    for lang in ("en", "zh"):
        page = build_report(startless, "sales", lang=lang, with_check=False)
        body = re.sub(r"<script.*?</script>", "", page, flags=re.S)
        assert v.label("sojourn_time", lang, stat="total") in body
        assert ("waiting" if lang == "en" else "等待") not in body.lower()
        median = v.label("throughput_time", lang, stat="median")
        assert median in body
        cards = _texts(overview.layout(startless, Filters(process="sales", lang=lang)))
        assert median in cards  # the same words for the same metric on both faces
    assert "处理周期" not in build_report(startless, "sales", lang="zh", with_check=False)


def test_perf_table_names_the_time_basis(startless):
    from flowmine.analytics import profile, stored
    from flowmine.cli._perf import format_profile

    text = format_profile(profile(stored(startless, "sales")))
    assert "sojourn med" in text and "bottleneck (sojourn)" in text and "waiting" not in text
    assert text.splitlines()[0].split("; ")[1].startswith("throughput time median ")


def test_profile_json_has_one_key_for_throughput_time(startless):
    from flowmine.analytics import profile, stored

    p = profile(stored(startless, "sales"), by="month")
    assert "case_duration_s" not in p and set(p["throughput_time_s"]) == {"median", "mean", "p90"}
    assert all(set(r) == {"period", "arrivals", "completions", "wip", "throughput_time_median_s"}
               for r in p["periods"])


@pytest.fixture(scope="module")
def finance(tmp_path_factory):
    st = Store(tmp_path_factory.mktemp("vocab-fin") / "store")
    st.ingest("finance", [str(SAMPLES / "finance_claims.csv")], mapping=SAMPLES / "finance_claims.mapping.toml")
    return st


def test_overview_cost_per_case_is_the_monitor_kpi_definition(finance):
    from flowmine.analytics import cost, cost_per_case, stored
    from flowmine.dashboard._state import Filters
    from flowmine.dashboard.pages import overview
    from flowmine.monitor import case_data
    from flowmine.processes import load_process

    st = finance
    log = stored(st, "finance")
    per_case = cost(log, level="case")
    priced = per_case[per_case["instances"] > per_case["instances_unpriced"]]
    expected = priced.groupby("case")["cost_total"].sum().mean()  # the monitor's: cases with a known cost
    got = cost_per_case(log)
    assert got["value"] == pytest.approx(expected, rel=1e-12) and got["currency"] == "CNY"
    assert got["cases"] == priced["case"].nunique()
    cfg = load_process("finance")
    kpi = next(k for k in cfg.kpis if k.metric == "cost_per_case")
    monitored = case_data(st, "finance", cfg, (kpi,)).cost
    assert monitored is not None and monitored.mean() == pytest.approx(got["value"], rel=1e-12)
    shown = _texts(overview.layout(st, Filters(process="finance")))
    assert v.money(got["value"], "CNY") in shown
    assert "target ≤ 130.00" in shown and "target ≤ 1.0 d" in shown  # monitor.target_value("1d") = 86400 s


def test_cost_per_case_of_a_filtered_log_is_that_of_its_cases_alone(finance):
    """A filtered stored log's case costs come from its version's per-case costs restricted to the kept
    cases: the same as costing a log that holds only those cases."""
    from flowmine.analytics import CaseFilter, case_costs, cost_per_case, stored
    from flowmine.analytics._held import kept_case_ids

    log = stored(finance, "finance")
    every = finance.load("finance")
    for flt in (CaseFilter(attributes={"case:department": ["Sales"]}), CaseFilter(contains=["GM approval"]),
                CaseFilter(cases=["nope"])):
        kept = log.where(flt)
        alone = every[every["case:concept:name"].isin(kept_case_ids(kept).to_pylist())]
        got, want = cost_per_case(kept), cost_per_case(alone)
        if want["value"] is not None:  # summed in another order
            want["value"] = pytest.approx(want["value"], rel=1e-12)
        assert got == want
        pd.testing.assert_series_equal(case_costs(kept), case_costs(alone), check_names=False)


def test_the_conformance_filter_keeps_the_check_reports_conforming_cases(finance):
    from flowmine.conformance import check
    from flowmine.dashboard._data import conforming_cases

    report = check(finance, "finance")
    fitting, deviating = report.conforming_cases()
    assert len(fitting) == round(report.fitting_cases_share * report.cases)
    assert len(fitting) + len(deviating) == report.cases and fitting == sorted(fitting)
    assert conforming_cases(finance, "finance") == (tuple(fitting), tuple(deviating))  # what the dashboard filters on


def test_cost_per_case_leaves_out_cases_without_a_known_cost():
    """A case with no priced step has no known cost (not zero): the KPI's mean is over the others,
    where the dashboard used to divide every step's cost by all cases (15 here)."""
    from flowmine.analytics import case_costs, cost_per_case

    t0 = pd.Timestamp("2025-01-01", tz="UTC")
    log = pd.DataFrame({"case:concept:name": ["a", "a", "b"], "concept:name": ["X", "Y", "X"],
                        "time:timestamp": [t0 + pd.Timedelta(hours=h) for h in (1, 2, 3)],
                        "cost:total": [10.0, 20.0, None], "cost:currency": ["EUR", "EUR", None]})
    assert case_costs(log).to_dict() == {"a": 30.0}
    assert cost_per_case(log) == {"value": 30.0, "currency": "EUR", "cases": 1}


def test_throughput_kpis_are_labelled_as_the_vocabulary_labels_the_metric():
    from flowmine.processes import load_process

    for process in ("finance", "procurement", "production", "sales"):
        kpi = next(k for k in load_process(process).kpis if k.metric == "throughput_time")
        assert (kpi.label_en, kpi.label_zh) == (v.label("throughput_time", "en", stat="median"),
                                                v.label("throughput_time", "zh", stat="median")), process


def test_kpi_targets_are_read_where_the_targets_are():
    from flowmine.dashboard._data import targets
    from flowmine.monitor import target_value
    from flowmine.processes import load_process

    cfg = load_process("sales")
    by_metric = {k.metric: k for k in cfg.kpis}
    assert target_value(by_metric["throughput_time"], cfg) == 5 * 86400.0
    assert target_value(by_metric["rework_rate"], cfg) == 0.30
    assert targets("sales")["throughput_time"] == ("lower", 432000.0)


def test_thin_periods_and_case_views_are_public():
    from flowmine.analytics import attribute_values, case_timeline, thin_periods

    assert thin_periods([{"completions": n} for n in (3, 100, 120, 110, 2)]) == (10, [True, False, False, False,
                                                                                       True])
    assert thin_periods(pd.DataFrame({"completions": [2, 0]})) == (5, [True, True])
    t0 = pd.Timestamp("2025-01-01", tz="UTC")
    log = pd.DataFrame({"case:concept:name": ["a", "a", "b"], "concept:name": ["X", "Y", "X"],
                        "time:timestamp": [t0 + pd.Timedelta(hours=h) for h in (2, 1, 3)],
                        "case:region": ["north", "north", "south"], "case:amount": [1.0, 1.0, 2.0]})
    assert attribute_values(log) == {"case:region": ["north", "south"]}
    assert attribute_values(log, max_values=1) == {}
    tl = case_timeline(log, "a")
    assert tl["concept:name"].tolist() == ["Y", "X"] and tl["running"].tolist() == [False, False]
    assert tl["shown_end"].tolist() == [t0 + pd.Timedelta(hours=1), t0 + pd.Timedelta(hours=2)]


FACES = ("dashboard", "cli", "report")
ENGINES = ("duckdb", "pyspark", "sqlglot")


def test_faces_import_no_sql_engine_and_no_analytics_internals():
    """Every import statement of the faces' modules, also inside functions."""
    found = []
    for face in FACES:
        for path in sorted((ROOT / "src" / "flowmine" / face).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                         [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
                found += [(path.name, n) for n in names
                          if n.split(".")[0] in ENGINES or n.startswith("flowmine.analytics._")]
    assert found == []


@pytest.mark.parametrize("seconds, unit, lang, expected", [
    (100, "auto", "en", "100 s"), (700, "auto", "en", "11.7 min"),  # were "0.0 h" in the CLI (issue 19)
    (1_648_279.4 * 3600, "auto", "en", "68,678.3 d"),  # was "1,648,279.4 h"
    (5400, "auto", "en", "90.0 min"), (7200, "auto", "en", "2.0 h"), (30 * 3600, "auto", "en", "30.0 h"),
    (48 * 3600, "auto", "en", "2.0 d"), (0, "auto", "en", "0 s"), (-45, "auto", "en", "-45 s"),
    (700, "auto", "zh", "11.7分钟"), (100, "auto", "zh", "100秒"), (3 * 86400, "auto", "zh", "3.0天"),
    (1_234_567, "s", "en", "1,234,567 s"), (700, "min", "en", "11.7 min"), (700, "h", "en", "0.2 h"),
    (1_648_279.4 * 3600, "h", "en", "1,648,279.4 h"), (95880, "d", "en", "1.11 d"), (95880, "d", "zh", "1.11天"),
])
def test_duration_in_fits_or_chooses_the_unit(seconds, unit, lang, expected):
    assert v.duration_in(seconds, unit, lang=lang) == expected


def test_duration_in_missing_and_unknown_unit():
    assert (v.duration_in(None, "auto"), v.duration_in(float("nan"), "auto", missing="")) == ("–", "")
    assert [v.fitting_unit(s) for s in (119, 120, 7199, 7200, 172799, 172800)] == ["s", "min", "min", "h", "h", "d"]
    with pytest.raises(OptionError, match="The 'unit' parameter of duration_in must be one of"):
        v.duration_in(1.0, "w")
    with pytest.raises(OptionError):
        v.duration_in(None, "w")  # an unknown unit is an error even for a missing value
