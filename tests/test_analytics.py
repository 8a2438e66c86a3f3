"""Analytics on a 3-case hand-computed log: exact values for every metric and level.

Case c1 (starts known, rework of B): A[0,10] B[15,30] C[30,40] B[50,60]
Case c2 (parallel B and C): A[100,110] B[110,140] C[112,130] D[140,150]  → order A, B, C, D (by start,
as pm4py's interval DFG and Disco; by completion it would be A, C, B, D)
Case c3 (no starts, tie at 210 broken by event_id): A@200, C@210 (id 9), B@210 (id 10)
Times are seconds after T0.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from flowmine._schema import ACTIVITY, CASE, COST, CURRENCY, EVENT_ID, QUALITY, RESOURCE, ROLE, START, TIMESTAMP
from flowmine.analytics import (
    AnalyticsError,
    CaseFilter,
    bottlenecks,
    cost,
    directly_follows,
    filter_cases,
    flow,
    handovers,
    instances,
    profile,
    quality,
    rework,
    service_time,
    sojourn_time,
    throughput_time,
    variant_stats,
    waiting_time,
    workload,
)

T0 = datetime(2025, 1, 6, tzinfo=UTC)
ROWS = [  # case, activity, start, complete, event_id, cost, quality, resource, role
    ("c1", "A", 0, 10, 0, 1.0, None, "r1", "clerk"),
    ("c1", "B", 15, 30, 1, 2.0, "fail", "r2", "mgr"),
    ("c1", "C", 30, 40, 2, 3.0, None, "r2", "mgr"),
    ("c1", "B", 50, 60, 3, 2.5, "pass", "r2", "mgr"),
    ("c2", "A", 100, 110, 4, 1.0, None, "r1", "clerk"),
    ("c2", "B", 110, 140, 5, 1.0, "pass", "r2", "mgr"),
    ("c2", "C", 112, 130, 6, 1.0, None, "r3", "clerk"),
    ("c2", "D", 140, 150, 7, 1.0, None, "r1", "clerk"),
    ("c3", "A", None, 200, 8, None, None, None, None),
    ("c3", "C", None, 210, 9, None, None, None, None),
    ("c3", "B", None, 210, 10, None, None, None, None),
]


def t(sec: int | None) -> pd.Timestamp | None:
    return None if sec is None else pd.Timestamp(T0 + timedelta(seconds=sec))


@pytest.fixture
def log() -> pd.DataFrame:
    return pd.DataFrame({
        CASE: [r[0] for r in ROWS], ACTIVITY: [r[1] for r in ROWS],
        START: pd.to_datetime([t(r[2]) for r in ROWS], utc=True),
        TIMESTAMP: pd.to_datetime([t(r[3]) for r in ROWS], utc=True),
        EVENT_ID: [r[4] for r in ROWS], COST: [r[5] for r in ROWS],
        CURRENCY: ["CNY" if r[5] is not None else None for r in ROWS], QUALITY: [r[6] for r in ROWS],
        RESOURCE: [r[7] for r in ROWS], ROLE: [r[8] for r in ROWS],
    })


def by(frame: pd.DataFrame, key: str) -> dict:
    return {k: row for k, row in zip(frame[key], frame.to_dict("records"), strict=True)}


def test_instance_relations(log):
    inst = instances(log)
    got = {(r["case"], r["pos"]): r for r in inst.to_dict("records")}
    assert [got[("c2", p)]["activity"] for p in (1, 2, 3, 4)] == ["A", "B", "C", "D"]  # by start
    assert [got[("c3", p)]["activity"] for p in (1, 2, 3)] == ["A", "C", "B"]  # tie broken by event_id
    waits = {k: v["waiting_s"] for k, v in got.items()}
    assert waits[("c1", 2)] == 5 and waits[("c1", 3)] == 0 and waits[("c1", 4)] == 10
    assert waits[("c2", 2)] == 0 and waits[("c2", 3)] == 2 and waits[("c2", 4)] == 0  # C enabled by A, not B
    assert np.isnan(waits[("c1", 1)]) and np.isnan(waits[("c3", 2)])  # no enabling / no start: unknown
    assert got[("c2", 3)]["edge_s"] == 0  # C started before B completed: floored at 0 (as pm4py)
    # sojourn: completion minus the previous completion in completion order (never negative on overlaps)
    assert got[("c2", 2)]["sojourn_s"] == 10 and got[("c2", 3)]["sojourn_s"] == 20
    assert got[("c3", 2)]["edge_s"] == 10 and got[("c3", 3)]["sojourn_s"] == 0
    assert np.isnan(got[("c3", 2)]["service_s"])  # unknown, never zero
    assert [got[("c1", p)]["repetition"] for p in (1, 2, 3, 4)] == [1, 1, 1, 2]


def test_throughput_time(log):
    lg = throughput_time(log).iloc[0]
    assert (lg["cases"], lg["median_s"], lg["mean_s"], lg["p90_s"], lg["total_s"]) == (3, 50, 40, 58, 120)
    case = by(throughput_time(log, level="case"), "case")
    assert {k: v["throughput_s"] for k, v in case.items()} == {"c1": 60, "c2": 50, "c3": 10}
    assert case["c1"]["start"] == t(0)  # first start, not first completion
    per = throughput_time(log, level="period", by="day")
    assert per["cases"].tolist() == [3]
    assert set(throughput_time(log, level="variant")["cases"]) == {1}


def test_service_waiting_sojourn(log):
    w = by(waiting_time(log), "activity")
    assert (w["B"]["instances"], w["B"]["total_s"], w["B"]["median_s"]) == (3, 15, 5)
    assert w["B"]["share"] == pytest.approx(15 / 120)
    assert w["A"]["instances"] == 0 and np.isnan(w["A"]["median_s"])
    s = by(service_time(log), "activity")
    assert (s["B"]["instances"], s["B"]["total_s"]) == (3, 15 + 10 + 30)
    assert s["C"]["mean_s"] == 14  # (10 + 18) / 2; c3 has no start
    so = by(sojourn_time(log), "activity")
    assert so["B"]["total_s"] == 20 + 20 + 10 + 0
    assert waiting_time(log, level="log").iloc[0]["total_s"] == 15 + 2
    assert by(waiting_time(log, level="resource"), "resource")["r2"]["total_s"] == 15


def test_directly_follows(log):
    e = {(r["source"], r["target"]): r for r in directly_follows(log).to_dict("records")}
    # c2 in start order (A, B, C, D): pm4py.discover_dfg on this log gives the same counts
    assert {k: v["count"] for k, v in e.items()} == {("A", "B"): 2, ("B", "C"): 2, ("C", "B"): 2, ("A", "C"): 1,
                                                     ("C", "D"): 1}
    assert e[("C", "B")]["duration_mean_s"] == 5  # c1: 50 - 40, c3: 210 - 210
    assert e[("A", "B")]["duration_median_s"] == 2.5 and e[("A", "B")]["cases"] == 2  # c1: 15 - 10, c2: 110 - 110
    assert e[("B", "C")]["duration_mean_s"] == 0  # c2: C started before B completed


def test_bottlenecks_rank_and_ci(log):
    b = bottlenecks(log, n_boot=200, seed=1)
    # two lists, interleaved by rank: steps (waiting B 15, C 2, D 0) and edges (A → C, C → B, C → D 10 each,
    # A → B 5, B → C 0); each share is of its own list's total (17 s of waiting, 35 s on edges)
    assert list(b["name"]) == ["B", "A → C", "C", "C → B", "D", "C → D", "A → B", "B → C"]
    assert list(b["rank"]) == [1, 1, 2, 2, 3, 3, 4, 5]
    top = b.iloc[0]
    assert (top["kind"], top["basis"], top["waiting_total_s"], top["cases"]) == ("activity", "waiting", 15, 2)
    assert top["share"] == pytest.approx(15 / 17)
    assert b.set_index("name").loc["A → C", "share"] == pytest.approx(10 / 35)
    assert b.groupby("kind")["share"].sum().tolist() == pytest.approx([1.0, 1.0])
    assert top["ci_low_s"] <= 15 <= top["ci_high_s"]
    again = bottlenecks(log, n_boot=200, seed=1)
    pd.testing.assert_frame_equal(b, again)  # seeded


def test_sojourn_basis_without_starts(log):
    b = bottlenecks(log.drop(columns=[START]), kind="activity", n_boot=0)
    assert set(b["basis"]) == {"sojourn"} and b.iloc[0]["name"] == "B"


def test_rework_quality_cost(log):
    r = by(rework(log), "activity")
    assert (r["B"]["cases"], r["B"]["cases_with_rework"], r["B"]["executions"]) == (3, 1, 4)
    assert r["B"]["rework_rate"] == pytest.approx(1 / 3)
    assert rework(log, level="log").iloc[0]["cases_with_rework"] == 1
    q = by(quality(log), "activity")
    assert (q["B"]["checks"], q["B"]["failed"]) == (3, 1) and np.isnan(q["A"]["defect_rate"])
    ql = quality(log, level="log").iloc[0]
    assert ql["first_pass_yield"] == pytest.approx(2 / 3) and ql["loop_back_share"] == pytest.approx(1 / 3)
    c = cost(log)
    cb = c[(c["activity"] == "B") & (c["currency"] == "CNY")].iloc[0]
    assert (cb["cost_total"], cb["instances"], cb["rework_cost"]) == (5.5, 3, 2.5)
    unpriced = c[(c["activity"] == "B") & c["currency"].isna()].iloc[0]
    assert unpriced["instances_unpriced"] == 1
    rated = by(cost(log, level="role", rates={"mgr": 3600.0}, currency="EUR"), "role")
    assert rated["mgr"]["cost_total"] == 15 + 10 + 10 + 30  # 1 EUR per second of service
    with pytest.raises(AnalyticsError, match="currency"):
        cost(log, rates={"mgr": 1.0})


def test_resources_flow_variants(log):
    wl = by(workload(log, level="resource"), "resource")
    assert (wl["r2"]["instances"], wl["r2"]["cases"]) == (4, 2)
    h = {(r["source"], r["target"]): r["count"] for r in handovers(log).to_dict("records")}
    assert h == {("r1", "r2"): 2, ("r2", "r3"): 1, ("r3", "r1"): 1}
    f = flow(log, by="day")
    assert f[["arrivals", "completions", "wip"]].values.tolist() == [[3, 3, 0]]
    v = variant_stats(log)
    assert set(v["variant"]) == {"A → B → C → B", "A → B → C → D", "A → C → B"}


def test_filters_keep_whole_cases(log):
    assert set(filter_cases(log, follows=("C", "B"))[CASE]) == {"c1", "c3"}
    assert set(filter_cases(log, follows=("B", "C"))[CASE]) == {"c1", "c2"}
    assert set(filter_cases(log, duration_s=(20, 55))[CASE]) == {"c2"}
    assert set(filter_cases(log, end_steps=["B"])[CASE]) == {"c1", "c3"}
    assert set(filter_cases(log, attributes={RESOURCE: ["r3"]})[CASE]) == {"c2"}
    assert len(filter_cases(log, attributes={RESOURCE: ["r3"]})) == 4  # the whole case
    assert set(filter_cases(log, variants=["A → C → B"])[CASE]) == {"c3"}
    w = (T0 + timedelta(seconds=90)).isoformat(), (T0 + timedelta(seconds=205)).isoformat()
    assert set(filter_cases(log, started=w)[CASE]) == {"c2", "c3"}
    assert set(filter_cases(log, completed=w)[CASE]) == {"c2"}
    assert set(filter_cases(log, CaseFilter(active=(w[1], None)))[CASE]) == {"c3"}


def test_profile_fields(log):
    p = profile(log, by="day", n_boot=100, engine="sql")
    assert {"process", "cases", "events", "variants", "throughput_time_s", "activities", "edges",
            "bottlenecks"} <= set(p)
    assert p["throughput_time_s"] == {"median": 50, "mean": 40, "p90": 58}
    b = {a["activity"]: a for a in p["activities"]}["B"]
    assert b["waiting_time_median_s"] == 5 and b["rework_rate"] == pytest.approx(1 / 3) and b["cost_total"] == 5.5
    assert p["bottlenecks"][0]["name"] == "B" and p["periods"][0]["arrivals"] == 3


def test_bad_options_name_the_parameter(log):
    with pytest.raises(AnalyticsError, match="'level' parameter of waiting_time must be one of"):
        waiting_time(log, level="cases")
    with pytest.raises(AnalyticsError, match="no column"):
        throughput_time(log.drop(columns=[ACTIVITY]))


def test_slowest_cases_add_up_to_the_bottleneck(log):
    from flowmine.analytics import bottlenecks, slowest_cases

    for kind in ("activity", "edge"):
        top = bottlenecks(log, kind=kind, n_boot=0).iloc[0]
        cases = slowest_cases(log, top["name"], kind=kind, n=10_000)
        assert cases["waiting_s"].sum() == pytest.approx(top["waiting_total_s"])
        assert len(cases) == top["cases"] and cases["instances"].sum() == top["instances"]
        assert cases["waiting_s"].is_monotonic_decreasing and (cases["basis"] == top["basis"]).all()
        assert len(slowest_cases(log, top["name"], kind=kind, n=1)) == 1
    with pytest.raises(AnalyticsError, match="A → B"):
        slowest_cases(log, "just a step", kind="edge")
