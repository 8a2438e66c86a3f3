"""The XES standard lifecycle model: transitions of one activity instance become one event."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pm4py
import pytest
from pm4py.objects.log.util import interval_lifecycle

from flowmine import Store, export_log, read_log
from flowmine._schema import (
    ACTIVITY,
    CASE,
    LIFECYCLE,
    OUTCOME,
    PAUSED,
    READY,
    SOURCE_ROW,
    START,
    TIMESTAMP,
    Outcome,
    Reason,
)
from flowmine.errors import MappingError
from flowmine.ingest._mapping import mapping_from_dict
from tests._lifecycle_logs import write_bpi2012


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def _none(v: object) -> object:
    return None if v is None or v is pd.NaT or (isinstance(v, float) and v != v) else v


def _instances(df: pd.DataFrame) -> pd.DataFrame:
    """Activity instances in the glossary's order: start (completion where none, ready where neither),
    then completion, then file order."""
    key = df[START].fillna(df[TIMESTAMP]).fillna(df[READY]) if READY in df else df[START].fillna(df[TIMESTAMP])
    return df.assign(_k=key).sort_values([CASE, "_k", TIMESTAMP, SOURCE_ROW], kind="stable")


def _pm4py_interval_counts(path: Path) -> Counter[str]:
    log = pm4py.read_xes(str(path), variant="iterparse", return_legacy_log_object=True)
    return Counter(e[ACTIVITY] for trace in interval_lifecycle.to_interval(log) for e in trace)


def test_bpi2012_shaped_log_equals_pm4py_interval_log_plus_open_instances(tmp_path: Path) -> None:
    path = write_bpi2012(tmp_path / "financial_log.xes")
    r = read_log(path)
    df = r.events.to_pandas()
    ours = Counter(df[ACTIVITY])
    open_ = Counter(df.loc[df[OUTCOME] == Outcome.OPEN, ACTIVITY])
    assert open_ == {"W_Nabellen offertes": 1}
    assert ours == _pm4py_interval_counts(path) + open_
    # accounting: 33 rows = 18 instances + 14 rows merged + 1 quarantined schedule
    assert (r.rows_read, r.events.num_rows, r.rows_merged, r.quarantine.num_rows) == (33, 18, 14, 1)
    q = r.quarantine.to_pandas()
    assert q["reason"].tolist() == [Reason.NOT_STARTED] and q["row"].tolist() == [22]
    assert q["position"].tolist() == ["trace 3, event 2"]
    assert q["value"].tolist() == ["SCHEDULE"] and q["column"].tolist() == [LIFECYCLE]
    assert r.lifecycle == {"COMPLETE": 17, "SCHEDULE": 8, "START": 8}
    assert any("1 open instance(s)" in n for n in r.notes)
    assert any("quarantined as never_started" in n for n in r.notes)
    # the open instance: loaded, completion unknown, start known, kept at its start row (row 20)
    op = df[df[OUTCOME] == Outcome.OPEN].iloc[0]
    assert (op[CASE], _none(op[TIMESTAMP]), op[START], op[SOURCE_ROW]) == \
        ("173691", None, _utc(2011, 10, 1, 8, 10), 20)
    assert op[READY] == _utc(2011, 10, 1, 8, 1)
    # a W_ instance: ready = schedule, start, completion, kept at its completion row
    w = df[(df[CASE] == "173688") & (df[ACTIVITY] == "W_Afhandelen leads")].iloc[0]
    assert (w[READY], w[START], w[TIMESTAMP], w[SOURCE_ROW]) == (
        _utc(2011, 10, 1, 6, 1), _utc(2011, 10, 1, 6, 20), _utc(2011, 10, 1, 6, 25), 5)
    # A_/O_ steps are plain completions: no start, no ready time, outcome complete
    a = df[df[ACTIVITY] == "A_SUBMITTED"]
    assert a[START].isna().all() and a[READY].isna().all() and set(a[OUTCOME]) == {Outcome.COMPLETE}
    assert df[PAUSED].isna().all()


def test_bpi2012_shaped_rework_and_no_self_loops_from_schedule_rows(tmp_path: Path) -> None:
    df = read_log(write_bpi2012(tmp_path / "financial_log.xes")).events.to_pandas()
    per_case = df.groupby([ACTIVITY, CASE]).size()
    rework = (per_case >= 2).groupby(level=0).mean()
    # W_Completeren aanvraag: executed twice in 173688, once in 173691 and 173697 -> 1 of 3 cases
    assert rework["W_Completeren aanvraag"] == pytest.approx(1 / 3)
    assert rework["W_Afhandelen leads"] == 0.0 and rework["W_Nabellen offertes"] == 0.0
    ordered = _instances(df)
    loops = [(c, a) for c, g in ordered.groupby(CASE, sort=False)
             for a, b in zip(g[ACTIVITY], g[ACTIVITY].iloc[1:], strict=False) if a == b]
    assert loops == [("173688", "W_Completeren aanvraag")]  # the true rework, not a schedule row
    assert all(rate < 1 for step, rate in rework.items() if step.startswith("W_"))
    # read row by row (every transition an event of its own), every case repeats W_Completeren aanvraag
    rows = read_log(write_bpi2012(tmp_path / "again.xes"), mapping_from_dict({"lifecycle": {"model": "none"}}))
    per_row = rows.events.to_pandas().groupby([ACTIVITY, CASE]).size()
    assert (per_row["W_Completeren aanvraag"] >= 2).all()


def test_ties_follow_the_completion_rows_order(tmp_path: Path) -> None:
    df = read_log(write_bpi2012(tmp_path / "financial_log.xes")).events.to_pandas()
    tied = df[(df[CASE] == "173697") & df[ACTIVITY].isin(["W_Nabellen offertes", "W_Valideren aanvraag"])]
    assert tied[START].nunique() == 1 and tied[TIMESTAMP].nunique() == 1
    # file order of the events (event ids follow it) is the completion rows' order: Nabellen (row 32) first
    assert tied[ACTIVITY].tolist() == ["W_Nabellen offertes", "W_Valideren aanvraag"]
    assert tied[SOURCE_ROW].tolist() == [32, 33]


FULL = ("case,activity,timestamp,lifecycle\n"
        "C1,Review,2024-01-01 08:00,schedule\n"
        "C1,Review,2024-01-01 08:30,Assign\n"
        "C1,Review,2024-01-01 09:00,START\n"
        "C1,Review,2024-01-01 09:10,suspend\n"
        "C1,Review,2024-01-01 09:40,resume\n"
        "C1,Review,2024-01-01 10:00,complete\n"
        "C1,Ship,2024-01-01 11:00,start\n"
        "C1,Ship,2024-01-01 11:20,ate_abort\n"
        "C1,Call,2024-01-01 12:00,schedule\n"
        "C1,Call,2024-01-01 12:05,withdraw\n"
        "C1,Check,2024-01-01 12:10,autoskip\n"
        "C1,Check,2024-01-01 12:20,manualskip\n"
        "C1,Pay,2024-01-01 13:00,start\n"
        "C1,Pay,2024-01-01 13:30,pi_abort\n"
        "C1,Note,2024-01-01 14:00,\n"
        "C1,Pack,2024-01-01 15:00,reassign\n")


def test_every_standard_transition_in_a_csv(write) -> None:
    r = read_log(write("life.csv", FULL))
    df = r.events.to_pandas()
    got = [(a, _none(o), _none(s), _none(t), _none(rd), _none(p)) for a, o, s, t, rd, p in
           zip(df[ACTIVITY], df[OUTCOME], df[START], df[TIMESTAMP], df[READY], df[PAUSED], strict=True)]
    assert got == [
        ("Review", "complete", _utc(2024, 1, 1, 9), _utc(2024, 1, 1, 10), _utc(2024, 1, 1, 8), 30 * 60_000_000),
        ("Ship", "ate_abort", _utc(2024, 1, 1, 11), _utc(2024, 1, 1, 11, 20), None, None),
        ("Call", "withdraw", None, _utc(2024, 1, 1, 12, 5), _utc(2024, 1, 1, 12), None),
        ("Check", "autoskip", None, _utc(2024, 1, 1, 12, 10), None, None),
        ("Check", "manualskip", None, _utc(2024, 1, 1, 12, 20), None, None),
        ("Pay", "pi_abort", _utc(2024, 1, 1, 13), _utc(2024, 1, 1, 13, 30), None, None),
        ("Note", None, None, _utc(2024, 1, 1, 14), None, None),  # no lifecycle value: a plain event
    ]
    assert df[SOURCE_ROW].tolist() == [7, 9, 11, 12, 13, 15, 16]
    q = r.quarantine.to_pandas()
    assert list(zip(q["row"], q["reason"], strict=True)) == [(17, Reason.NOT_STARTED)]  # reassign, nothing after
    assert (r.rows_read, r.events.num_rows, r.rows_merged) == (16, 7, 8)
    assert r.lifecycle == {"schedule": 2, "Assign": 1, "START": 1, "suspend": 1, "resume": 1, "complete": 1,
                           "start": 2, "ate_abort": 1, "withdraw": 1, "autoskip": 1, "manualskip": 1,
                           "pi_abort": 1, "reassign": 1}


def test_pi_abort_ends_every_running_instance_of_its_case(write) -> None:
    """``pi_abort`` aborts the process instance: instances of the case still running end with it;
    one started later, one only scheduled and other cases are not touched."""
    r = read_log(write("abort.csv", "case,activity,timestamp,lifecycle\n"
                                    "C1,Pack,2024-01-01 09:00,start\n"
                                    "C1,Bill,2024-01-01 09:30,start\n"
                                    "C1,Bill,2024-01-01 09:40,suspend\n"
                                    "C1,Call,2024-01-01 09:50,schedule\n"
                                    "C1,Pay,2024-01-01 10:00,start\n"
                                    "C2,Pack,2024-01-01 09:00,start\n"
                                    "C1,Pay,2024-01-01 11:00,pi_abort\n"
                                    "C1,Ship,2024-01-01 12:00,start\n"))
    df = r.events.to_pandas().sort_values([CASE, ACTIVITY])
    got = [(c, a, _none(o), _none(s), _none(t), _none(p)) for c, a, o, s, t, p in
           zip(df[CASE], df[ACTIVITY], df[OUTCOME], df[START], df[TIMESTAMP], df[PAUSED], strict=True)]
    abort = _utc(2024, 1, 1, 11)
    assert got == [
        ("C1", "Bill", "pi_abort", _utc(2024, 1, 1, 9, 30), abort, 80 * 60_000_000),  # suspended until the abort
        ("C1", "Pack", "pi_abort", _utc(2024, 1, 1, 9), abort, None),
        ("C1", "Pay", "pi_abort", _utc(2024, 1, 1, 10), abort, None),
        ("C1", "Ship", "open", _utc(2024, 1, 1, 12), None, None),  # started after the abort: still running
        ("C2", "Pack", "open", _utc(2024, 1, 1, 9), None, None),  # another case
    ]
    q = r.quarantine.to_pandas()
    assert list(zip(q["row"], q["reason"], strict=True)) == [(5, Reason.NOT_STARTED)]  # Call: scheduled only
    assert (r.rows_read, r.events.num_rows, r.rows_merged, r.quarantine.num_rows) == (8, 5, 2, 1)


def test_never_started_instances_kept_when_the_mapping_asks(write) -> None:
    src = write("n.csv", "case,activity,timestamp,lifecycle\n"
                         "C1,A,2024-01-01 08:00,schedule\n"
                         "C1,A,2024-01-01 08:10,assign\n"
                         "C1,B,2024-01-01 09:00,complete\n")
    r = read_log(src, mapping_from_dict({"lifecycle": {"never_started": "keep"}}))
    df = r.events.to_pandas()
    assert df[ACTIVITY].tolist() == ["A", "B"]
    assert df[OUTCOME].tolist() == [Outcome.NEVER_STARTED, Outcome.COMPLETE]
    assert _none(df[TIMESTAMP][0]) is None and _none(df[START][0]) is None
    assert df[READY][0] == _utc(2024, 1, 1, 8) and df[SOURCE_ROW][0] == 2
    assert (r.rows_read, r.events.num_rows, r.rows_merged, r.quarantine.num_rows) == (3, 2, 1, 0)
    assert any("1 never-started instance(s) kept" in n for n in r.notes)


def test_concept_instance_pairs_interleaved_instances(write) -> None:
    # without concept:instance, first-in-first-out would pair the 09:00 start with the 09:30 completion
    src = write("i.csv", "case,activity,timestamp,lifecycle,concept:instance\n"
                         "C1,A,2024-01-01 09:00,start,1\n"
                         "C1,A,2024-01-01 09:10,start,2\n"
                         "C1,A,2024-01-01 09:30,complete,2\n"
                         "C1,A,2024-01-01 10:00,complete,1\n")
    df = read_log(src).events.to_pandas()
    assert [(s.minute, s.hour, t.hour, t.minute) for s, t in zip(df[START], df[TIMESTAMP], strict=True)] == [
        (10, 9, 9, 30), (0, 9, 10, 0)]
    plain = read_log(write("j.csv", "case,activity,timestamp,lifecycle\n"
                                    "C1,A,2024-01-01 09:00,start\n"
                                    "C1,A,2024-01-01 09:10,start\n"
                                    "C1,A,2024-01-01 09:30,complete\n"
                                    "C1,A,2024-01-01 10:00,complete\n")).events.to_pandas()
    assert [s.minute for s in plain[START]] == [0, 10]


BPIC2013 = ("case,activity,timestamp,lifecycle\n"
            "1-1,Queued,2024-01-01 08:00,Awaiting Assignment\n"
            "1-1,Accepted,2024-01-01 09:00,In Progress\n"
            "1-1,Completed,2024-01-01 10:00,Closed\n")


def test_values_outside_the_model_stay_plain_events_with_a_note(write) -> None:
    r = read_log(write("s.csv", BPIC2013))
    df = r.events.to_pandas()
    assert df[LIFECYCLE].tolist() == ["Awaiting Assignment", "In Progress", "Closed"]
    assert OUTCOME not in df.columns and r.rows_merged == 0 and r.quarantine.num_rows == 0
    note = next(n for n in r.notes if "outside the XES standard model" in n)
    assert "'Awaiting Assignment' (1)" in note and "'Closed' (1)" in note
    assert r.lifecycle == {"Awaiting Assignment": 1, "In Progress": 1, "Closed": 1}


def test_mapping_maps_statuses_onto_transitions(write) -> None:
    m = mapping_from_dict({"lifecycle": {"values": {"In Progress": "start", "closed": "complete",
                                                    "Awaiting Assignment": "schedule"}}})
    src = write("s.csv", BPIC2013.replace("Queued", "Work").replace("Accepted", "Work").replace("Completed", "Work"))
    r = read_log(src, m)
    df = r.events.to_pandas()
    assert df[ACTIVITY].tolist() == ["Work"] and df[OUTCOME].tolist() == [Outcome.COMPLETE]
    assert (df[READY][0], df[START][0], df[TIMESTAMP][0]) == (
        _utc(2024, 1, 1, 8), _utc(2024, 1, 1, 9), _utc(2024, 1, 1, 10))
    assert r.rows_merged == 2 and not any("outside the XES standard model" in n for n in r.notes)


def test_older_start_complete_options_still_pair(write) -> None:
    src = write("o.csv", "case,activity,timestamp,lifecycle\n"
                         "C1,A,2024-01-01 09:00,begin\n"
                         "C1,A,2024-01-01 10:00,end\n")
    r = read_log(src, mapping_from_dict({"lifecycle": {"start": ["BEGIN"], "complete": ["end"]}}))
    df = r.events.to_pandas()
    assert (df[START][0], df[TIMESTAMP][0], r.rows_merged) == (_utc(2024, 1, 1, 9), _utc(2024, 1, 1, 10), 1)


def test_model_none_keeps_every_row(write) -> None:
    r = read_log(write("f.csv", FULL), mapping_from_dict({"lifecycle": {"model": "none"}}))
    assert r.events.num_rows == 16 and r.rows_merged == 0 and r.quarantine.num_rows == 0
    assert OUTCOME not in r.events.column_names and START not in r.events.column_names


@pytest.mark.parametrize(("doc", "message"), [
    ({"lifecycle": {"model": "bpaf"}}, "[lifecycle] model must be one of ['standard', 'none'], got 'bpaf'"),
    ({"lifecycle": {"never_started": "drop"}}, "never_started must be one of ['quarantine', 'keep']"),
    ({"lifecycle": {"values": {"Closed": "finish"}}}, "values.closed must be one of the XES lifecycle"),
    ({"lifecycle": {"modle": "none"}}, "[lifecycle] has unknown key(s) ['modle']"),
])
def test_lifecycle_options_are_checked(doc: dict[str, object], message: str) -> None:
    with pytest.raises(MappingError) as err:
        mapping_from_dict(doc, "m.toml")
    assert message in str(err.value) and str(err.value).startswith("m.toml: ")


def test_start_without_completion_is_an_open_instance_in_the_store(tmp_path: Path) -> None:
    path = write_bpi2012(tmp_path / "financial_log.xes")
    store = Store(tmp_path / "s")
    rep = store.ingest("loans", [str(path)])
    src = rep.sources[0]
    assert rep.errors == [] and src.balanced
    assert (src.rows_read, src.events_loaded, src.rows_merged, src.rows_quarantined) == (33, 18, 14, 1)
    assert src.reasons == {Reason.NOT_STARTED: 1}
    assert src.lifecycle == {"COMPLETE": 17, "SCHEDULE": 8, "START": 8}
    assert rep.totals()["sources"][0]["lifecycle"] == src.lifecycle  # in the ingest JSON
    log = store.load("loans")
    assert int(log[TIMESTAMP].isna().sum()) == 1
    assert log.loc[log[TIMESTAMP].isna(), OUTCOME].tolist() == [Outcome.OPEN]


def _instance_rows(df: pd.DataFrame) -> list[tuple[object, ...]]:
    cols = [CASE, ACTIVITY, READY, START, TIMESTAMP, OUTCOME]
    rows = [tuple(_none(v) for v in row) for row in df[cols].itertuples(index=False)]
    return sorted(rows, key=lambda r: tuple((v is not None, str(v)) for v in r))


def test_xes_export_writes_each_instance_as_its_transitions_and_reads_back(tmp_path: Path) -> None:
    src = write_bpi2012(tmp_path / "financial_log.xes")
    store = Store(tmp_path / "s")
    store.ingest("loans", [str(src)])
    ours = store.load("loans")
    out = tmp_path / "back.xes"
    assert export_log(store, "loans", out) == len(ours) == 18
    back = pm4py.read_xes(str(out), variant="iterparse", return_legacy_log_object=False)
    # schedule at each ready time, start at each start, an end at each known completion
    assert Counter(back[LIFECYCLE]) == {"schedule": int(ours[READY].notna().sum()),
                                        "start": int(ours[START].notna().sum()),
                                        "complete": int(ours[TIMESTAMP].notna().sum())}
    assert Counter(back[LIFECYCLE]) == {"schedule": 7, "start": 8, "complete": 17}
    assert set(back[CASE]) == set(ours[CASE])
    # pm4py's interval log of the export is pm4py's interval log of the source (the open start dropped in both)
    assert _pm4py_interval_counts(out) == _pm4py_interval_counts(src)
    # and flowmine reads the export back into the same instances, the open one included
    again = read_log(out)
    assert _instance_rows(again.events.to_pandas()) == _instance_rows(ours)
    assert again.quarantine.num_rows == 0


def test_xes_export_of_aborted_withdrawn_and_never_started_instances(tmp_path: Path, write) -> None:
    src = write("life.csv", FULL)
    store = Store(tmp_path / "s")
    store.ingest("p", [str(src)], mapping=mapping_from_dict({"lifecycle": {"never_started": "keep"}}))
    ours = store.load("p")
    out = tmp_path / "p.xes"
    export_log(store, "p", out)
    back = pm4py.read_xes(str(out), variant="iterparse", return_legacy_log_object=False)
    got = list(zip(back[ACTIVITY], map(_none, back[LIFECYCLE]), strict=True))
    assert got == [("Review", "schedule"), ("Review", "start"), ("Review", "complete"), ("Ship", "start"),
                   ("Ship", "ate_abort"), ("Call", "schedule"), ("Call", "withdraw"), ("Check", "autoskip"),
                   ("Check", "manualskip"), ("Pay", "start"), ("Pay", "pi_abort"), ("Note", None),
                   ("Pack", "schedule")]
    again = read_log(out, mapping_from_dict({"lifecycle": {"never_started": "keep"}}))
    assert _instance_rows(again.events.to_pandas()) == _instance_rows(ours)


@pytest.mark.parametrize("together", [False, True])
def test_newer_extract_completing_an_open_instance_replaces_it(tmp_path: Path, write, together: bool) -> None:
    head = "case,activity,timestamp,lifecycle\n"
    first = write("a.csv", head + "C1,A,2024-01-01 09:00,start\nC1,B,2024-01-01 09:30,start\n"
                  "C2,A,2024-01-01 09:00,start\n")
    newer = write("b.csv", head + "C1,A,2024-01-01 09:00,start\nC1,A,2024-01-01 10:00,complete\n"
                  "C1,B,2024-01-01 09:30,start\nC2,A,2024-01-01 09:05,start\nC2,A,2024-01-01 11:00,complete\n")
    store = Store(tmp_path / "s")
    if together:  # both extracts in one ingest
        report = store.ingest("p", [str(first), str(newer)])
    else:
        store.ingest("p", [str(first)])
        report = store.ingest("p", [str(newer)])
    rep = report.sources[-1]
    assert rep.instances_completed == 1  # C1's A; C2's A started at another time: another instance
    assert rep.rows_already_stored == 1  # C1's B, still open
    assert rep.balanced
    log = store.load("p").sort_values(["case:concept:name", "concept:name", "start_timestamp"])
    got = list(zip(log["case:concept:name"], log["concept:name"], log[OUTCOME], strict=True))
    assert got == [("C1", "A", Outcome.COMPLETE), ("C1", "B", Outcome.OPEN), ("C2", "A", Outcome.OPEN),
                   ("C2", "A", Outcome.COMPLETE)]


def test_lifecycle_values_dropped_by_the_mapping(write) -> None:
    r = read_log(write("f.csv", FULL), mapping_from_dict({"attributes": {"drop": ["lifecycle"]}}))
    assert r.events.num_rows == 16 and r.rows_merged == 0 and r.lifecycle == {}
    assert LIFECYCLE not in r.events.column_names and "lifecycle" not in r.events.column_names
    assert OUTCOME not in r.events.column_names


def test_random_lifecycle_logs_pair_as_pm4py_to_interval(tmp_path: Path) -> None:
    """Seeded random schedule/start/complete logs: every completed instance has pm4py's start (its
    interval log's start, which is the completion where it found no start) and the open ones are extra."""
    rng = np.random.default_rng(13)
    cases = []
    for c in range(40):
        minute, events = 0, []
        for _ in range(int(rng.integers(1, 14))):
            minute += int(rng.integers(1, 30))  # strictly increasing: no tie to order by file
            events.append((str(rng.choice(["A", "B", "C"])), str(rng.choice(["SCHEDULE", "START", "COMPLETE"])),
                           minute))
        cases.append((f"case-{c}", events))
    path = write_bpi2012(tmp_path / "random.xes", cases)
    r = read_log(path, mapping_from_dict({"lifecycle": {"never_started": "keep"}}))
    df = r.events.to_pandas()
    done = df[df[TIMESTAMP].notna()]
    ours = sorted(zip(done[CASE], done[ACTIVITY], done[START].fillna(done[TIMESTAMP]), done[TIMESTAMP],
                      strict=True))
    log = pm4py.read_xes(str(path), variant="iterparse", return_legacy_log_object=True)
    theirs = sorted((t.attributes[ACTIVITY], e[ACTIVITY],
                     pd.Timestamp(e[START]), pd.Timestamp(e[TIMESTAMP]))
                    for t in interval_lifecycle.to_interval(log) for e in t)
    assert ours == theirs
    rows = [t for _, evs in cases for _, t, _ in evs]
    starts, completes = rows.count("START"), rows.count("COMPLETE")
    open_ = int((df[OUTCOME] == Outcome.OPEN).sum())
    assert open_ == starts - int(done[START].notna().sum()) and len(done) == completes
    assert r.rows_read == len(rows) == r.events.num_rows + r.rows_merged
