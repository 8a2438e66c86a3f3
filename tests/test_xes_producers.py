"""XES as real producers write it (Disco, ProM 6, pm4py, bupaR, Celonis/Apromore, prefixes, no namespace):
each loads with the right cases, events and activities, equal to pm4py's reading of the same file."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pandas as pd
import pm4py
import pytest
from pm4py.objects.log.util import insert_classifier, interval_lifecycle

from flowmine import Store, read_log
from flowmine._schema import ACTIVITY, CASE, LIFECYCLE, OUTCOME, SOURCE, SOURCE_ROW, START, TIMESTAMP, Outcome
from flowmine.errors import MappingError
from flowmine.ingest._mapping import mapping_from_dict
from tests.conftest import run_cli, shared_log

PRODUCERS = Path(__file__).parent / "data" / "xes" / "producers"
_OWN = {SOURCE, SOURCE_ROW, "event:fingerprint"}

#: file -> (activity instances, cases, activities, lifecycle rows merged)
EXPECTED = {
    "disco.xes": (5, 2, 4, 0),
    "prom6.xes": (5, 2, 4, 1),
    "pm4py.xes": (5, 2, 4, 0),
    "bupar.xes": (3, 2, 2, 3),
    "celonis.xes": (6, 2, 4, 0),
    "prefixed.xes": (2, 1, 2, 0),
    "no_namespace.xes": (3, 2, 2, 0),
    "bpic2013_style.xes": (6, 2, 3, 0),
}


def _pm4py(path: Path) -> pd.DataFrame:
    df = pm4py.read_xes(str(path), variant="iterparse", return_legacy_log_object=False)
    df[CASE] = df[CASE].astype(str)
    df[TIMESTAMP] = pd.to_datetime(df[TIMESTAMP], utc=True).astype("datetime64[us, UTC]")
    return df


def _interval_counts(path: Path) -> Counter[str]:
    log = pm4py.read_xes(str(path), variant="iterparse", return_legacy_log_object=True)
    return Counter(e[ACTIVITY] for trace in interval_lifecycle.to_interval(log) for e in trace)


def _comparable(df: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    out = df[columns].copy()
    for c in columns:
        if isinstance(out[c].dtype, pd.DatetimeTZDtype):
            out[c] = out[c].astype("datetime64[us, UTC]")
        elif out[c].dtype == object or pd.api.types.is_string_dtype(out[c]):
            out[c] = out[c].astype(object).where(out[c].notna(), None)
    return out.sort_values([CASE, TIMESTAMP, ACTIVITY], kind="stable").reset_index(drop=True)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_producer_file_loads_as_pm4py_reads_it(name: str) -> None:
    path = PRODUCERS / name
    r = read_log(path)
    df = r.events.to_pandas()
    events, cases, activities, merged = EXPECTED[name]
    assert (len(df), df[CASE].nunique(), df[ACTIVITY].nunique(), r.rows_merged) == (events, cases, activities, merged)
    assert r.quarantine.num_rows == 0 and r.rows_read == len(df) + r.rows_merged
    theirs = _pm4py(path)
    assert r.rows_read == len(theirs)
    assert set(df[CASE]) == set(theirs[CASE]) and set(df[ACTIVITY]) == set(theirs[ACTIVITY])
    if merged:  # lifecycle pairs: the instances are pm4py's interval log (no open instances here)
        assert Counter(df[ACTIVITY]) == _interval_counts(path)
        assert set(df[OUTCOME]) == {Outcome.COMPLETE}
        return
    ours_cols = set(df.columns) - _OWN
    assert ours_cols == set(theirs.columns)
    cols = sorted(ours_cols)
    pd.testing.assert_frame_equal(_comparable(df, cols), _comparable(theirs, cols), check_dtype=False)


def test_disco_namespace_without_trailing_slash_keeps_every_attribute() -> None:
    df = read_log(PRODUCERS / "disco.xes").events.to_pandas()
    assert df["case:variant"].tolist() == ["Variant 1"] * 3 + ["Variant 2"] * 2
    assert df["case:variant-index"].tolist() == [1, 1, 1, 2, 2]
    assert df["Activity"].tolist() == df[ACTIVITY].tolist() and df["Resource"].tolist() == df["org:resource"].tolist()
    assert df[TIMESTAMP].iloc[0] == pd.Timestamp("2011-01-01T09:00:00Z")


def test_disco_file_ingests_through_the_cli(tmp_path: Path) -> None:
    r = run_cli("ingest", str(PRODUCERS / "disco.xes"), "--store", str(tmp_path / "s"), "--process", "purchasing",
                "--no-analytics-cache")
    assert r.returncode == 0, r.stderr
    assert "read 5 rows = 5 events loaded" in r.stdout and "Traceback" not in r.stderr


def test_bupar_concept_instance_pairs_start_and_complete() -> None:
    df = read_log(PRODUCERS / "bupar.xes").events.to_pandas()
    got = [(c, a, s.strftime("%H:%M:%S"), t.strftime("%H:%M:%S"))
           for c, a, s, t in zip(df[CASE], df[ACTIVITY], df[START], df[TIMESTAMP], strict=True)]
    assert got == [("patient-1", "Registration", "11:41:53", "12:40:20"),
                   ("patient-1", "Triage", "12:40:20", "22:32:25"),
                   ("patient-2", "Registration", "11:50:00", "13:05:00")]


def test_header_note_names_the_producer_lifecycle_model_and_classifiers() -> None:
    notes = read_log(PRODUCERS / "prom6.xes").notes
    assert notes[0] == ("XES header: lifecycle:model 'standard'; classifiers 'MXML Legacy Classifier' = "
                        "concept:name+lifecycle:transition, 'Resource' = org:resource (one can be the activity: "
                        '[xes] classifier = "NAME")')
    assert read_log(PRODUCERS / "disco.xes").notes[0].startswith("XES header: xes.creator 'Fluxicon Disco'; ")
    assert read_log(PRODUCERS / "pm4py.xes").notes == []


def _xes(body: str, head: str = "") -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<log xes.version="1.0" xmlns="http://www.xes-standard.org/">'
            f"{head}{body}</log>\n")


_EV = ('<event><string key="concept:name" value="{a}"/><date key="time:timestamp" value="2024-01-0{d}T10:00:00Z"/>'
       '{x}</event>')


def test_attribute_with_an_empty_key_is_skipped_with_a_note(write) -> None:
    body = ('<trace><string key="concept:name" value="c1"/><string key="" value="trace-level"/>'
            + _EV.format(a="A", d=1, x='<string key="" value="x"/><int key=" " value="3"/>')
            + _EV.format(a="B", d=2, x="") + "</trace>")
    r = read_log(write("empty.xes", _xes(body)))
    df = r.events.to_pandas()
    assert df[ACTIVITY].tolist() == ["A", "B"] and r.quarantine.num_rows == 0
    assert not [c for c in df.columns if c.strip() in ("", "case:")]
    assert "3 attribute(s) with an empty key skipped (no column can be named by it)" in r.notes


def test_log_attributes_after_the_last_trace_are_read(write) -> None:
    body = ('<trace><string key="concept:name" value="c1"/>' + _EV.format(a="A", d=1, x="") + "</trace>"
            '<string key="creator" value="late writer"/>')
    assert read_log(write("late.xes", _xes(body))).notes == ["XES header: creator 'late writer'"]


MAPPING = {"xes": {"classifier": "Activity classifier"}}


def test_declared_classifier_as_the_activity_joins_keys_as_pm4py_does() -> None:
    path = PRODUCERS / "bpic2013_style.xes"
    r = read_log(path, mapping_from_dict(MAPPING))
    df = r.events.to_pandas()
    log = pm4py.read_xes(str(path), variant="iterparse", return_legacy_log_object=True)
    log, key = insert_classifier.insert_activity_classifier_attribute(log, "Activity classifier")
    theirs = [e[key] for trace in log for e in trace]
    assert df[ACTIVITY].tolist() == theirs
    assert theirs[:3] == ["Queued+Awaiting Assignment", "Accepted+In Progress", "Completed+Closed"]
    assert df[LIFECYCLE].tolist() == ["Awaiting Assignment", "In Progress", "Closed", "In Progress", "Wait",
                                      "Closed"]
    assert "activity = classifier 'Activity classifier' (concept:name+lifecycle:transition)" in r.notes


def test_classifier_holding_the_lifecycle_folds_nothing() -> None:
    r = read_log(PRODUCERS / "prom6.xes", mapping_from_dict({"xes": {"classifier": "MXML Legacy Classifier"}}))
    df = r.events.to_pandas()
    assert r.rows_merged == 0 and len(df) == 6 and OUTCOME not in df.columns
    assert df[ACTIVITY].tolist()[:2] == ["register request+start", "register request+complete"]
    assert any("each transition is an activity of its own" in n for n in r.notes)


def test_quoted_classifier_keys_split_as_pm4py_splits_them(write) -> None:
    head = "<classifier name=\"By unit\" keys=\"'concept:name' 'org unit'\"/>"
    body = ('<trace><string key="concept:name" value="c1"/>'
            + _EV.format(a="A", d=1, x='<string key="org unit" value="Sales"/>') + "</trace>")
    r = read_log(write("q.xes", _xes(body, head)), mapping_from_dict({"xes": {"classifier": "By unit"}}))
    assert r.events.column(ACTIVITY).to_pylist() == ["A+Sales"]


def test_classifier_errors_name_what_is_declared(write) -> None:
    with pytest.raises(MappingError, match=r"chooses the classifier 'Nope', but the file declares "
                                           r"\['Activity classifier', 'Resource classifier'\]"):
        read_log(PRODUCERS / "bpic2013_style.xes", mapping_from_dict({"xes": {"classifier": "Nope"}}))
    csv = write("a.csv", "case,activity,timestamp\nc1,A,2024-01-01 10:00\n")
    with pytest.raises(MappingError, match="but the file declares none"):
        read_log(csv, mapping_from_dict(MAPPING))
    with pytest.raises(MappingError, match=r"\[xes\] classifier and \[columns\] activity both"):
        mapping_from_dict({**MAPPING, "columns": {"activity": "x"}})


def test_real_bpic2013_classifier_equals_pm4py() -> None:
    path = shared_log("06_bpic2013_closed.xes.gz")
    df = read_log(path, mapping_from_dict(MAPPING)).events.to_pandas()
    log = pm4py.read_xes(str(path), variant="iterparse", return_legacy_log_object=True)
    log, key = insert_classifier.insert_activity_classifier_attribute(log, "Activity classifier")
    assert Counter(df[ACTIVITY]) == Counter(e[key] for trace in log for e in trace)


REAL = ["running-example.xes", "roadtraffic100traces.xes", "08_receipt.xes.gz", "Sepsis Cases - Event Log.xes.gz",
        "helpdesk.xes.gz", "06_bpic2013_closed.xes.gz"]


@pytest.mark.parametrize("name", REAL)
def test_real_logs_accounted_and_equal_to_pm4py(tmp_path: Path, name: str) -> None:
    path = shared_log(name)
    rep = Store(tmp_path / "s").ingest("real", [str(path)])
    src = rep.sources[0]
    assert rep.errors == [] and src.balanced
    r = read_log(path)
    df = r.events.to_pandas()
    theirs = _pm4py(path)
    assert r.rows_read == len(theirs) and df[CASE].nunique() == theirs[CASE].nunique()
    assert len(df) + r.rows_merged + r.quarantine.num_rows == r.rows_read
    if name == "06_bpic2013_closed.xes.gz":  # statuses, not transitions: every row is a plain event
        assert r.rows_merged == 0 and len(df) == len(theirs) and OUTCOME not in df.columns
        assert any("outside the XES standard model" in n for n in r.notes)
        assert r.lifecycle["In Progress"] == 3066
    else:  # complete-only logs (or none): one instance per row, equal to pm4py's interval log
        assert r.rows_merged == 0
        interval = _interval_counts(path)
        assert interval == Counter(theirs[ACTIVITY])
        # exact duplicate events: kept once while the store drops them (issue #13 keeps them by default)
        dropped = int((r.quarantine.column("reason").to_numpy(zero_copy_only=False) == "duplicate_event").sum())
        if dropped:
            dups = theirs.duplicated(subset=list(theirs.columns), keep="first")
            assert int(dups.sum()) == dropped
            interval -= Counter(theirs.loc[dups, ACTIVITY])
        assert len(df) == sum(interval.values()) and Counter(df[ACTIVITY]) == interval
