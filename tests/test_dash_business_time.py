"""The dashboard's elapsed / business time switch (issue #19), without a browser.

The URL key ``time`` checked like every shell setting (offered only with a process calendar, a forged
value refused), the switch's options and tooltip, and numbers that agree: the dashboard's data layer in
business time equals the public API's ``profile(calendar=...)``, ``bottlenecks(calendar=...)`` and
``flowmine perf --time business`` on the finance sample store; the map's projected edges and a case's
waits on hand-computed logs; labels and exports that say business hours.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from flowmine import Store
from flowmine._schema import ACTIVITY, CASE, EVENT_ID, START, TIMESTAMP
from flowmine.analytics import Calendar, bottlenecks, case_waits, profile, service_time, stored
from flowmine.dashboard import _data, _shell, _state
from flowmine.dashboard._components import workbook
from flowmine.dashboard._numbers import bottleneck_lists
from flowmine.dashboard._state import Filters, Offer
from flowmine.discovery import map_layout, process_map
from flowmine.errors import OptionError
from tests.conftest import run_cli

SAMPLES = Path(__file__).resolve().parents[1] / "sample_logs"
WITH = Offer(activities=("A", "B"), calendar=True, calendar_text=("Mon–Fri 09:00–18:00", "周一至周五"))
WITHOUT = Offer(activities=("A", "B"))


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Store:
    st = Store(tmp_path_factory.mktemp("btime") / "store")
    st.ingest("finance", [str(SAMPLES / "finance_claims.csv")], mapping=SAMPLES / "finance_claims.mapping.toml")
    return st


# --- the URL key and the switch ---------------------------------------------------------------------------

def test_business_time_is_in_the_url_only_when_the_process_has_a_calendar():
    f = _state.parse("?process=p&time=business", ["p"], lambda p: WITH)
    assert f.time == "business" and not f.refused
    assert "time=business" in f.query() and _state.parse(f.query(), ["p"], lambda p: WITH).time == "business"
    assert _state.parse("?process=p&time=elapsed", ["p"], lambda p: WITH).time is None  # the default, implicit
    assert "time=" not in Filters(process="p").query()
    assert f.cleared().time == "business"  # "clear all" clears case filters, not the way time is measured
    refused = _state.parse("?process=p&time=business", ["p"], lambda p: WITHOUT)
    assert refused.time is None and refused.refused == ("time=business",)
    forged = _state.parse("?process=p&time=..%2F..%2Fetc", ["p"], lambda p: WITH)
    assert forged.time is None and forged.refused == ("time=../../etc",)


def test_a_forged_switch_value_is_refused_and_another_process_without_calendar_drops_it():
    f = Filters(process="p")
    assert _state.with_changes(f, ["p"], lambda p: WITH, time="business").time == "business"
    with pytest.raises(OptionError):
        _state.with_changes(f, ["p"], lambda p: WITH, time="wall-clock")
    with pytest.raises(OptionError):
        _state.with_changes(f, ["p"], lambda p: WITHOUT, time="business")
    offers = {"p": WITH, "q": WITHOUT}
    moved = _state.with_changes(Filters(process="p", time="business"), ["p", "q"], offers.get, process="q",
                                time="business")
    assert moved.process == "q" and moved.time is None


def test_the_switch_is_disabled_with_the_reason_without_a_calendar():
    on = _shell.time_switch(Filters(process="p", time="business"), WITH)
    assert on["flt-time.value"] == "business"
    assert [o["label"] for o in on["flt-time.options"]] == ["Elapsed time", "Business time"]
    assert not on["flt-time.options"][1]["disabled"] and "Mon–Fri 09:00–18:00" in on["flt-time-box.title"]
    off = _shell.time_switch(Filters(process="p", lang="zh"), WITHOUT)
    assert [o["label"] for o in off["flt-time.options"]] == ["日历时间", "工作时间"]
    assert off["flt-time.options"][1]["disabled"] and off["flt-time.value"] == "elapsed"
    assert off["flt-time-box.title"] == "工作时间需要工作日历：该流程的配置没有 [calendar]"
    assert off["lbl-time.children"] == "时长"
    assert set(on) <= set(_shell.CONTROL_PROPS)  # the shell's render callback sets them


# --- numbers that agree ------------------------------------------------------------------------------------

def _api(store: Store, f: Filters) -> dict:
    return profile(_data.log_of(store, f), by="month", n_boot=0, tz=_data.zone_of(store, f), process="finance",
                   calendar=_data.working_calendar("finance"))


@pytest.mark.parametrize("search", ["?process=finance&time=business",
                                    "?process=finance&time=business&from=2025-03-01&to=2025-06-30"])
def test_the_dashboards_business_profile_is_the_apis(store: Store, search: str):
    f = _data.filters_of(store, search)
    assert f.time == "business" and not f.refused
    shown, api = _data.process_profile(store, f), _api(store, f)
    elapsed = _data.process_profile(store, Filters(process="finance", start=f.start, end=f.end))
    assert shown["time"] == "business" and elapsed["time"] == "elapsed"
    assert shown["throughput_time_s"] == api["throughput_time_s"]
    assert shown["throughput_time_s"]["median"] < elapsed["throughput_time_s"]["median"]  # nights, weekends
    assert shown["activities"] == api["activities"] and shown["edges"] == api["edges"]
    assert shown["periods"] == api["periods"]
    assert shown["bottlenecks"] == api["bottlenecks"]
    kpi = _data.card_profile(store, f)["throughput_time_s"]
    assert kpi == api["throughput_time_s"]


def test_the_dashboards_business_figures_equal_flowmine_perf_time_business(store: Store):
    out = run_cli("perf", "--store", str(store.path), "--process", "finance", "--time", "business", "--json", "-")
    assert out.returncode == 0, out.stderr
    cli = json.loads(out.stdout)
    shown = _data.process_profile(store, _data.filters_of(store, "?process=finance&time=business"))
    assert cli["time"] == "business" and cli["calendar"] == shown["calendar"]
    assert cli["throughput_time_s"] == shown["throughput_time_s"]
    by_step = {a["activity"]: a["waiting_time_median_s"] for a in shown["activities"]}
    assert {a["activity"]: a["waiting_time_median_s"] for a in cli["activities"]} == by_step
    assert [(b["name"], b["waiting_total_s"]) for b in cli["bottlenecks"]] == [
        (b["name"], b["waiting_total_s"]) for b in shown["bottlenecks"]]


def test_bottlenecks_map_and_step_times_follow_the_switch(store: Store):
    f = _data.filters_of(store, "?process=finance&time=business")
    cal = _data.working_calendar("finance")
    lists = bottleneck_lists(store, f)
    api = bottlenecks(stored(store, "finance"), kind="both", n_boot=1000, calendar=cal)
    steps = api[api["kind"] == "activity"].sort_values("rank")
    assert [b["name"] for b in lists["activity"]] == steps["name"].head(10).tolist()
    assert [b["waiting_total_s"] for b in lists["activity"]] == pytest.approx(
        steps["waiting_total_s"].head(10).tolist())
    elapsed = bottleneck_lists(store, Filters(process="finance"))
    assert lists["activity"][0]["waiting_total_s"] < elapsed["activity"][0]["waiting_total_s"]
    # the map's edges (every activity: the profile's directly-follows edges), in business time
    pmap = _data.process_map_of(store, f, 1.0, 1.0).edges
    inner = pmap[~pmap["source"].str.startswith("▶") & ~pmap["target"].str.startswith("■")]
    prof = {(e["source"], e["target"]): e["duration_median_s"] for e in _data.process_profile(store, f)["edges"]}
    assert {(r.source, r.target): r.duration_median_s for r in inner.itertuples()} == pytest.approx(prof)
    node = _data.metric(store, f, "service_time", "activity")
    pd.testing.assert_frame_equal(node, service_time(stored(store, "finance"), level="activity", calendar=cal))


def test_labels_and_exports_say_business_hours(store: Store):
    from flowmine.dashboard.pages import bottlenecks as bn_page
    from flowmine.dashboard.pages import steps as steps_page

    f = _data.filters_of(store, "?process=finance&time=business")
    cols = [c.label for c in steps_page.columns(_data.process_profile(store, f), "en")]
    assert "Median waiting time (business hours)" in cols and "Median service time (business hours)" in cols
    zh = _data.filters_of(store, "?process=finance&time=business&lang=zh")
    assert any(c.label.endswith("（工作时间）") for c in steps_page.columns(_data.process_profile(store, zh), "zh"))
    book = pd.read_excel(io.BytesIO(workbook(bn_page.sheets(store, f), "en")), sheet_name=None)
    headers = [h for frame in book.values() for h in frame.columns]
    assert any("business hours" in h for h in headers), headers
    plain = pd.read_excel(io.BytesIO(workbook(bn_page.sheets(store, Filters(process="finance")), "en")),
                          sheet_name=None)
    assert not any("business" in h for frame in plain.values() for h in frame.columns)


# --- hand-computed: a projected map edge and a case's waits -----------------------------------------------

def _log(rows: list[tuple[str, str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame({CASE: [r[0] for r in rows], ACTIVITY: [r[1] for r in rows],
                         START: pd.to_datetime([r[2] for r in rows], utc=True),
                         TIMESTAMP: pd.to_datetime([r[3] for r in rows], utc=True), EVENT_ID: range(len(rows))})


def test_a_projected_maps_edge_is_measured_in_business_time():
    # Fri 2025-01-03: A done 16:00; X (rare) on Saturday; B starts Mon 10:00. Mon-Fri 09-17 UTC: 1 h + 1 h.
    rows = [("c1", "A", "2025-01-03 15:00", "2025-01-03 16:00"), ("c1", "X", "2025-01-04 10:00", "2025-01-04 11:00"),
            ("c1", "B", "2025-01-06 10:00", "2025-01-06 11:00"), ("c2", "A", "2025-01-07 09:00", "2025-01-07 10:00"),
            ("c2", "B", "2025-01-07 12:00", "2025-01-07 13:00")]
    log = _log(rows)
    layout = map_layout(log)
    projected = process_map(log, activities=0.6, layout=layout, calendar=Calendar()).edges.set_index(
        ["source", "target"])
    assert projected.loc[("A", "B"), "count"] == 2
    assert projected.loc[("A", "B"), "duration_max_s"] == 7200.0  # elapsed: 66 h
    assert projected.loc[("A", "B"), "duration_total_s"] == 7200.0 + 7200.0
    elapsed = process_map(log, activities=0.6, layout=layout).edges.set_index(["source", "target"])
    assert elapsed.loc[("A", "B"), "duration_max_s"] == 66 * 3600.0


def test_a_cases_waits_in_business_time():
    t = pd.to_datetime(["2025-01-03 09:00", "2025-01-03 16:00", "2025-01-06 10:00"], utc=True)
    timeline = pd.DataFrame({START: [t[0], t[2]], TIMESTAMP: [t[1], t[2] + pd.Timedelta(hours=1)]})
    assert case_waits(timeline)["wait_s"].tolist() == [66 * 3600.0]
    assert case_waits(timeline, Calendar())["wait_s"].tolist() == [7200.0]
    assert datetime(2025, 1, 3, tzinfo=UTC).weekday() == 4  # a Friday


def test_a_duration_kpi_target_is_judged_only_in_its_own_time():
    # finance's throughput-time KPI targets "1d" (elapsed): no business figure is judged against it
    assert "throughput_time" in _data.targets("finance")
    assert "throughput_time" not in _data.targets("finance", "business")
    assert _data.targets("finance", "business")["cost_per_case"] == _data.targets("finance")["cost_per_case"]


def test_the_report_link_hands_over_business_time(store: Store):
    from flowmine.dashboard import create_app

    client = create_app(store.path).server.test_client()
    business = client.get("/_flowmine/report?process=finance&time=business&lang=en", headers={"Host": "127.0.0.1"})
    elapsed = client.get("/_flowmine/report?process=finance&lang=en", headers={"Host": "127.0.0.1"})
    assert business.status_code == elapsed.status_code == 200
    line = "Bottleneck and step times are business time"
    assert line in business.get_data(as_text=True) and line not in elapsed.get_data(as_text=True)
