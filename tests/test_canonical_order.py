"""One canonical order of activity instances, and instances without a completion.

Activity instances are ordered by start (completion where no start is known, ready time where neither
is), then completion (unknown last), then event_id: in the store, the SQL relations, the compiled fast
path, variants and the process map, as pm4py's interval DFG (``discover_dfg`` on a frame with
``start_timestamp``, ``interval_lifecycle.to_interval``) and Disco order them.

Hand log (seconds after T0), where start order and completion order differ:

    c1: A[0,50] (id 0)  B[10,20] (id 1)  A[30,40] (id 2)
        by start: A B A  (edges A→B, B→A; the A of [0,50] is repetition 1)
        by completion: B A A  (edges B→A, A→A)
    c2: X[0,10] (id 4)  Y[0,10] (id 3)  Z[0,5] (id 5)
        equal starts: by completion (Z first), equal start and completion: by event_id (Y before X)
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from flowmine import Store
from flowmine._schema import (
    ACTIVITY,
    CASE,
    EVENT_ID,
    OUTCOME,
    PAUSED,
    QUARANTINE_SCHEMA,
    READY,
    SORT_KEYS,
    START,
    TIMESTAMP,
    TIMESTAMP_TYPE,
)
from flowmine.analytics import directly_follows, instances, profile, rework, stored, throughput_time, variant_stats
from flowmine.discovery import collect_variants as discovery_variants
from flowmine.discovery import process_map

T0 = datetime(2025, 3, 3, tzinfo=UTC)
HAND = [  # case, activity, start, complete, event_id
    ("c1", "A", 0, 50, 0),
    ("c1", "B", 10, 20, 1),
    ("c1", "A", 30, 40, 2),
    ("c2", "Y", 0, 10, 3),
    ("c2", "X", 0, 10, 4),
    ("c2", "Z", 0, 5, 5),
]


def ts(sec: float | None) -> datetime | None:
    return None if sec is None else T0 + timedelta(seconds=sec)


def frame(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame({CASE: [r[0] for r in rows], ACTIVITY: [r[1] for r in rows],
                         START: pd.to_datetime([ts(r[2]) for r in rows], utc=True),
                         TIMESTAMP: pd.to_datetime([ts(r[3]) for r in rows], utc=True),
                         EVENT_ID: [r[4] for r in rows]})


def edges_of(log) -> dict[tuple[str, str], int]:
    return {(s, t): int(n) for s, t, n in directly_follows(log)[["source", "target", "count"]].itertuples(index=False)}


def commit_table(path, process: str, table: pa.Table) -> Store:
    """A store whose live version holds exactly ``table`` (as a lifecycle-aware ingest would write it)."""
    st = Store(path)
    st._commit(process, None, table, None, QUARANTINE_SCHEMA.empty_table(), {"process": process, "sources": []}, [])
    return st


# --- the order on a hand-computed log -------------------------------------------------------------
def test_instances_follow_start_then_completion_then_event_id():
    inst = instances(frame(HAND)).sort_values(["case", "pos"])
    assert inst[["case", "activity", "event_id"]].values.tolist() == [
        ["c1", "A", 0], ["c1", "B", 1], ["c1", "A", 2], ["c2", "Z", 5], ["c2", "Y", 3], ["c2", "X", 4]]
    assert inst["repetition"].tolist() == [1, 1, 2, 1, 1, 1]  # the A of [0,50] is the first execution


def test_edges_variants_rework_by_start_on_every_engine(tmp_path):
    log = frame(HAND)
    want_edges = {("A", "B"): 1, ("B", "A"): 1, ("Z", "Y"): 1, ("Y", "X"): 1}
    assert edges_of(log) == want_edges
    assert dict(zip(variant_stats(log)["variant"], variant_stats(log)["cases"], strict=True)) == {
        "A → B → A": 1, "Z → Y → X": 1}
    assert discovery_variants(log).traces == [("A", "B", "A"), ("Z", "Y", "X")]
    rw = rework(log).set_index("activity")
    assert (rw.loc["A", "cases_with_rework"], rw.loc["A", "executions"]) == (1, 2)
    # the same through a store: events.parquet in the canonical order, SQL and compiled paths agree
    st = Store(tmp_path / "s")
    src = tmp_path / "hand.csv"
    src.write_text("case,activity,start,end\n" + "".join(
        f"{c},{a},{ts(s).isoformat()},{ts(e).isoformat()}\n" for c, a, s, e, _ in
        sorted(HAND, key=lambda r: r[4])), encoding="utf-8")
    mapping = tmp_path / "m.toml"
    mapping.write_text('[columns]\ncase = "case"\nactivity = "activity"\ntimestamp = "end"\n'
                       'start_timestamp = "start"\n', encoding="utf-8")
    st.ingest("p", [src], mapping=mapping)
    stored_events = pq.read_table(st.events_path("p"))
    assert stored_events.column(ACTIVITY).to_pylist() == ["A", "B", "A", "Z", "Y", "X"]
    assert json.loads(pq.read_schema(st.events_path("p")).metadata[b"flowmine.sorted_by"]) == [
        CASE, [START, TIMESTAMP, READY], TIMESTAMP, EVENT_ID] == json.loads(json.dumps(SORT_KEYS))
    slog = stored(st, "p")
    assert edges_of(slog) == want_edges
    fast, sql = profile(slog, engine="fast", n_boot=0), profile(slog, engine="sql", n_boot=0)
    for prof in (fast, sql):
        assert {(e["source"], e["target"]): e["count"] for e in prof["edges"]} == want_edges
        assert prof["variants"] == 2
    assert fast["edges"] == sql["edges"] and fast["activities"] == sql["activities"]
    m = process_map(slog)
    inner = m.edges[~m.edges["source"].str.startswith("▶") & ~m.edges["target"].str.startswith("■")]
    assert {(s, t): int(n) for s, t, n in inner[["source", "target", "count"]].itertuples(index=False)} == want_edges
    assert set(m.edges.loc[m.edges["source"].str.startswith("▶"), "target"]) == {"A", "Z"}


def rounded(value):
    """Floats rounded to 6 decimals, recursively (the engines add float sums in different orders)."""
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, list):
        return [rounded(v) for v in value]
    if isinstance(value, dict):
        return {k: rounded(v) for k, v in value.items()}
    return value


def test_equals_pm4py_interval_dfg_and_variants_with_overlaps_and_ties(tmp_path):
    """A random interval log with many overlaps and shared start/completion times: directly-follows
    equals ``pm4py.discover_dfg`` (which sorts by case, start, completion, stably) and the variants
    equal pm4py's on ``interval_lifecycle.to_interval`` of the same log written as start/complete
    events (ties follow the completion rows' order, which event_id follows)."""
    pm4py = pytest.importorskip("pm4py")
    from pm4py.objects.log.obj import Event, EventLog, Trace
    from pm4py.objects.log.util import interval_lifecycle

    rng = np.random.default_rng(7)
    rows, raw = [], EventLog()
    eid = 0
    for k in range(300):
        n = int(rng.integers(1, 7))
        starts = rng.integers(0, 6, n) * 60
        ends = starts + rng.integers(0, 4, n) * 60
        acts = rng.choice(list("ABCDE"), n)
        trace = Trace()
        trace.attributes["concept:name"] = f"k{k:03d}"
        for i in np.argsort(starts, kind="stable"):  # start rows first
            trace.append(Event({"concept:name": str(acts[i]), "lifecycle:transition": "start",
                                "time:timestamp": ts(int(starts[i]))}))
        for i in np.lexsort((np.arange(n), ends)):  # completion rows in time order, ids in that order
            trace.append(Event({"concept:name": str(acts[i]), "lifecycle:transition": "complete",
                                "time:timestamp": ts(int(ends[i]))}))
            rows.append((f"k{k:03d}", str(acts[i]), int(starts[i]), int(ends[i]), eid))
            eid += 1
        raw.append(trace)
    log = frame(rows)
    assert (log[TIMESTAMP].groupby([log[CASE], log[TIMESTAMP]]).transform("size") > 1).any()  # ties exist
    # the start pairs of one activity in a case are matched first-in-first-out by to_interval; draw the
    # activities so that each (case, activity) has one instance, which keeps the pairing unambiguous
    log = log[~log.duplicated([CASE, ACTIVITY], keep=False)].reset_index(drop=True)
    keep = set(zip(log[CASE], log[ACTIVITY], strict=True))
    for trace in raw:
        kept = [e for e in trace if (trace.attributes["concept:name"], e["concept:name"]) in keep]
        del trace._list[:]
        trace._list.extend(kept)
    dfg = pm4py.discover_dfg(log.sort_values(EVENT_ID))[0]
    ours = edges_of(log)
    assert ours == dict(dfg) and len(ours) > 10
    completion_order = pm4py.discover_dfg(log.drop(columns=[START]))[0]
    assert dict(completion_order) != ours  # the orders really differ on this log
    interval = interval_lifecycle.to_interval(raw)
    theirs = {}
    for trace in interval:
        if len(trace):
            key = " → ".join(e["concept:name"] for e in trace)
            theirs[key] = theirs.get(key, 0) + 1
    v = variant_stats(log)
    assert dict(zip(v["variant"], v["cases"], strict=True)) == theirs
    # the compiled passes (enabling completion and sojourn origin found across overlaps) equal SQL
    st = commit_table(tmp_path / "s", "r", pa.Table.from_pandas(log, preserve_index=False))
    fast, sql = (profile(stored(st, "r"), engine=e, n_boot=0) for e in ("fast", "sql"))
    assert fast["engine"] == "fast" and fast["time_basis"] == "waiting"
    for key in ("activities", "edges", "variants", "throughput_time_s"):
        assert rounded(fast[key]) == rounded(sql[key]), key


def test_logs_without_starts_keep_the_completion_order(tmp_path, write):
    src = write("a.csv", "case,activity,timestamp\nB,X,2024-01-01 10:00\nA,Y,2024-01-01 11:00\n"
                         "A,X,2024-01-01 11:00\nA,Z,2024-01-01 09:00\n")
    st = Store(tmp_path / "s")
    st.ingest("p", [src])
    df = st.load("p")
    assert list(zip(df[CASE], df[ACTIVITY], df[EVENT_ID], strict=True)) == [
        ("A", "Z", 3), ("A", "Y", 1), ("A", "X", 2), ("B", "X", 0)]
    assert edges_of(stored(st, "p")) == {("Z", "Y"): 1, ("Y", "X"): 1}


# --- open and never-started instances -------------------------------------------------------------
#: c1: A[0,10], B open since 20 (outcome "open"), C never started (ready at 30)
#: c2: A[0,10] ready at 0 then paused 2 s; B ready at 15, started 20, done 50, paused 5 s
OPEN_ROWS = [  # case, activity, ready, start, complete, outcome, paused, event_id
    ("c1", "A", None, 0, 10, None, None, 0),
    ("c1", "B", None, 20, None, "open", None, 1),
    ("c1", "C", 30, None, None, None, None, 2),
    ("c2", "A", 0, 0, 10, None, 2_000_000, 3),
    ("c2", "B", 15, 20, 50, None, 5_000_000, 4),
]


def open_table(with_optional: bool = True) -> pa.Table:
    cols = {
        EVENT_ID: pa.array([r[7] for r in OPEN_ROWS], pa.int64()),
        CASE: pa.array([r[0] for r in OPEN_ROWS]), ACTIVITY: pa.array([r[1] for r in OPEN_ROWS]),
        TIMESTAMP: pa.array([ts(r[4]) for r in OPEN_ROWS], TIMESTAMP_TYPE),
        START: pa.array([ts(r[3]) for r in OPEN_ROWS], TIMESTAMP_TYPE),
    }
    if with_optional:
        cols[READY] = pa.array([ts(r[2]) for r in OPEN_ROWS], TIMESTAMP_TYPE)
        cols[OUTCOME] = pa.array([r[5] for r in OPEN_ROWS], pa.string())
        cols[PAUSED] = pa.array([r[6] for r in OPEN_ROWS], pa.int64())
    return pa.table(cols)


def test_open_and_never_started_instances_count_with_unknown_durations():
    inst = instances(open_table()).sort_values(["case", "pos"]).reset_index(drop=True)
    assert inst[["case", "activity"]].values.tolist() == [["c1", "A"], ["c1", "B"], ["c1", "C"],
                                                         ["c2", "A"], ["c2", "B"]]
    b = inst.iloc[1]
    assert np.isnan(b["service_s"]) and b["waiting_s"] == 10 and b["edge_s"] == 10  # open: no service time
    c = inst.iloc[2]
    assert np.isnan(c["service_s"]) and np.isnan(c["waiting_s"]) and np.isnan(c["edge_s"])  # after an open one
    assert inst.iloc[3]["service_s"] == 8 and inst.iloc[4]["service_s"] == 25  # completion - start - paused
    assert edges_of(open_table()) == {("A", "B"): 2, ("B", "C"): 1}
    v = variant_stats(open_table())
    assert dict(zip(v["variant"], v["cases"], strict=True)) == {"A → B → C": 1, "A → B": 1}
    case = throughput_time(open_table(), level="case").set_index("case")
    assert case.loc["c1", "throughput_s"] == 10 and case.loc["c1", "instances"] == 3  # last known completion
    assert case.loc["c2", "throughput_s"] == 50


def test_queue_time_from_ready_to_start():
    from flowmine.analytics import queue_time

    q = queue_time(open_table()).set_index("activity")
    assert (q.loc["B", "instances"], q.loc["B", "total_s"]) == (1, 5)  # c2: 20 - 15; c1's B has no ready time
    assert (q.loc["A", "instances"], q.loc["A", "total_s"]) == (1, 0)
    prof = profile(open_table(), engine="sql", n_boot=0)
    acts = {a["activity"]: a for a in prof["activities"]}
    assert acts["B"]["queue_time_median_s"] == 5 and acts["C"]["queue_time_median_s"] is None
    assert acts["B"]["count"] == 2 and acts["C"]["count"] == 1


def test_open_instances_fast_path_equals_sql(tmp_path):
    st = commit_table(tmp_path / "s", "p", open_table())
    log = stored(st, "p")
    fast, sql = profile(log, engine="fast", n_boot=0, by="day"), profile(log, engine="sql", n_boot=0, by="day")
    assert fast["engine"] == "fast"
    assert {(e["source"], e["target"]): e["count"] for e in fast["edges"]} == {("A", "B"): 2, ("B", "C"): 1}
    for key in ("cases", "events", "variants", "throughput_time_s", "activities", "edges", "periods"):
        assert fast[key] == sql[key], key
    assert fast["events"] == 5 and fast["throughput_time_s"]["median"] == 30  # (10 + 50) / 2
    acts = {a["activity"]: a for a in fast["activities"]}
    assert acts["B"]["service_time_median_s"] == 25 and acts["A"]["service_time_median_s"] == 9  # (10 + 8) / 2


def test_store_without_the_optional_columns_reads_them_as_null(tmp_path):
    st = commit_table(tmp_path / "s", "p", open_table(with_optional=False))
    assert READY not in pq.read_schema(st.events_path("p")).names
    log = stored(st, "p")
    fast, sql = profile(log, engine="fast", n_boot=0), profile(log, engine="sql", n_boot=0)
    assert fast["events"] == sql["events"] == 4  # the never-started row has no time at all: not an instance
    assert fast["activities"] == sql["activities"]
    assert {a["activity"]: a["queue_time_median_s"] for a in sql["activities"]} == {"A": None, "B": None}


def test_case_timeline_draws_an_open_instance_to_the_end_of_the_log(tmp_path):
    from flowmine.dashboard._data import case_events
    from flowmine.dashboard.pages.cases import timeline

    st = commit_table(tmp_path / "s", "p", open_table())
    ev = case_events(st, "p", "c1")
    assert ev[ACTIVITY].tolist() == ["A", "B", "C"]
    assert ev["running"].tolist() == [False, True, False]
    assert ev.loc[1, "shown_end"] == pd.Timestamp(ts(50))  # the latest time in the log
    fig = timeline(ev, "en")
    assert fig["data"][1]["line"].get("dash") == "dot" and "dash" not in fig["data"][0]["line"]


def test_case_timeline_of_a_held_log_is_the_scanned_one(tmp_path):
    """A held version answers a case from its slice of the held table (no scan of the Parquet): the same
    rows, columns and open-instance end as the scan, and no rows for an unknown case."""
    from flowmine.analytics import case_timeline, hold, release

    st = commit_table(tmp_path / "s", "p", open_table())
    log = stored(st, "p")
    scanned = {c: case_timeline(log, c) for c in ("c1", "c2", "nope")}
    hold(log)
    try:
        from flowmine.analytics._held import case_rows

        assert case_rows(log, "c1").num_rows == 3  # the held path answers
        for c, frame in scanned.items():
            pd.testing.assert_frame_equal(case_timeline(log, c), frame)
        assert case_timeline(log, "c1")["shown_end"].max() == pd.Timestamp(ts(50))
        assert case_timeline(log, "nope").empty
    finally:
        release(log)


# --- a log with very many distinct activities -----------------------------------------------------
def test_perf_on_200k_distinct_activities_falls_back_to_sql_without_memory_error(tmp_path):
    """The compiled passes keep activities² arrays: above ``MAX_ACTIVITIES`` they refuse with one line,
    ``auto`` takes the SQL path, and that path's bootstrap is computed for the shown bottlenecks only
    (not for 200,000 items x 500 batches x 1,000 replicates)."""
    from flowmine.analytics._fast import MAX_ACTIVITIES
    from flowmine.errors import TooManyActivitiesError
    from tests.conftest import run_cli

    n = 200_000
    src = tmp_path / "wide.csv"
    src.write_text("case,activity,timestamp\n" + "".join(
        f"c{i // 2},step {i:06d},2024-01-0{1 + i % 2} 10:00\n" for i in range(n)), encoding="utf-8")
    st = Store(tmp_path / "s")
    # ingest refuses more than 100,000 distinct activities by default ([limits] max_activities): raised here
    (tmp_path / "wide.toml").write_text("[limits]\nmax_activities = 300000\n", encoding="utf-8")
    st.ingest("wide", [src], mapping=tmp_path / "wide.toml")
    log = stored(st, "wide")
    with pytest.raises(TooManyActivitiesError) as err:
        profile(log, engine="fast")
    assert str(err.value) == (f"the fast engine handles at most {MAX_ACTIVITIES:,} distinct activities; this log "
                              "has 200,000 (use engine 'sql')")
    p = profile(log, n_boot=50)
    assert (p["engine"], p["events"], p["cases"], len(p["activities"]), len(p["edges"])) == (
        "sql", n, n // 2, n, n // 2)
    assert p["time_basis"] == "sojourn" and len(p["bottlenecks"]) == 10
    top = p["bottlenecks"][0]
    assert (top["waiting_total_s"], top["cases"]) == (86400.0, 1)  # one day between the two steps of a case
    assert all(b["ci_low_s"] is not None and b["ci_low_s"] <= 86400.0 <= b["ci_high_s"] for b in p["bottlenecks"])
    out = run_cli("perf", "--store", str(tmp_path / "s"), "--process", "wide", "--engine", "fast")
    assert out.returncode == 2 and out.stderr.strip().endswith("this log has 200,000 (use engine 'sql')")
    assert "Traceback" not in out.stderr


def test_simulated_production_log_equals_pm4py_interval_dfg_and_variants(tmp_path):
    """The simulated production log (start and completion of every instance), stored: its edges equal
    ``pm4py.discover_dfg`` on the stored frame and its variants pm4py's start-keyed variants."""
    pm4py = pytest.importorskip("pm4py")
    from flowmine.simulate import simulate

    events = simulate("production", cases=400, seed=3).events
    src = tmp_path / "prod.parquet"
    pq.write_table(pa.Table.from_pandas(events, preserve_index=False), src)
    st = Store(tmp_path / "s")
    st.ingest("prod", [src])
    log = stored(st, "prod")
    df = st.load("prod")
    assert df[START].notna().all()
    ours = edges_of(log)
    assert ours == dict(pm4py.discover_dfg(df)[0]) and len(ours) > 5
    assert {(e["source"], e["target"]): e["count"] for e in profile(log, engine="fast", n_boot=0)["edges"]} == ours
    theirs = {" → ".join(k): (n if isinstance(n, int) else len(n))
              for k, n in pm4py.get_variants(df, timestamp_key=START).items()}
    v = variant_stats(log)
    assert dict(zip(v["variant"], v["cases"], strict=True)) == theirs


def test_ingest_order_and_store_order_agree_and_keep_copies_adjacent():
    """``sort_order`` (ingest, by position) and ``order_of`` (store, by event_id) give the canonical order;
    exact copies share every key, so they stay adjacent and in one tie group for the duplicate search."""
    from flowmine._fingerprint import fingerprint_order, order_columns, sort_order
    from flowmine.store._write import order_of

    rows = [  # case, activity, start, complete
        ("A", "X", 60, 120), ("A", "Y", 0, 120), ("A", "X", 60, 120), ("A", "Z", None, 30), ("B", "W", None, None)]
    table = pa.table({
        CASE: [r[0] for r in rows], ACTIVITY: [r[1] for r in rows],
        TIMESTAMP: pa.array([ts(r[3]) for r in rows], TIMESTAMP_TYPE),
        START: pa.array([ts(r[2]) for r in rows], TIMESTAMP_TYPE),
        READY: pa.array([None, None, None, None, ts(5)], TIMESTAMP_TYPE),
        EVENT_ID: pa.array(range(len(rows)), pa.int64())})
    want = [1, 3, 0, 2, 4]  # Y (start 0), Z (no start: its completion 30), X, X (start 60), then case B
    assert sort_order(*order_columns(table)).tolist() == want == order_of(table).tolist()
    _, order, tied = fingerprint_order(table.drop_columns([EVENT_ID]))
    # Y shares the copies' completion but not their start: the copies are adjacent all the same
    assert order.tolist() == want and tied.tolist() == [False, False, False, True, False]
