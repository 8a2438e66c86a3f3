"""Exact duplicate events: kept by default and counted; dropped only when the mapping asks; matched
against stored events as a multiset."""

from __future__ import annotations

import json

import pytest

from flowmine import MappingError, Store
from flowmine._schema import ACTIVITY, CASE, EVENT_ID, Reason
from flowmine.ingest._mapping import mapping_from_dict
from tests.conftest import run_cli

HEADER = "case,activity,timestamp,resource\n"
ROW = "C1,A,2024-01-01 10:00,u1\n"


def test_duplicates_are_kept_by_default_and_counted_in_json_and_report(tmp_path, write):
    src = write("a.csv", HEADER + ROW * 3 + "C1,B,2024-01-01 11:00,u1\n")
    r = run_cli("ingest", str(src), "--store", str(tmp_path / "s"), "--process", "p", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["duplicate_events"] == 2 and out["events_loaded"] == 4 and out["rows_quarantined"] == 0
    assert out["sources"][0]["duplicate_events"] == 2 and out["reasons"] == {}
    text = run_cli("ingest", str(write("b.csv", HEADER + "C2,A,2024-01-01 10:00,u1\n" * 2)),
                   "--store", str(tmp_path / "s"), "--process", "p")
    assert text.returncode == 0, text.stderr
    assert "    exact duplicate events (repeat an earlier one in every column): 1 (kept)" in text.stdout.splitlines()
    assert len(Store(tmp_path / "s").load("p")) == 6


def test_duplicates_drop_keeps_one_of_each_with_its_reason(tmp_path, write):
    src = write("a.csv", HEADER + ROW * 3 + "C1,B,2024-01-01 11:00,u1\n")
    st = Store(tmp_path / "s")
    rep = st.ingest("p", [src], mapping=mapping_from_dict({"events": {"duplicates": "drop"}})).sources[0]
    assert (rep.events_loaded, rep.rows_quarantined, rep.duplicate_events) == (2, 2, 2)
    assert rep.reasons == {Reason.DUPLICATE_EVENT: 2}
    q = st.quarantine("p")
    assert list(q["row"]) == [3, 4] and list(q["detail"]) == ["exact duplicate of row 2 (kept once)"] * 2
    with pytest.raises(MappingError, match=r"\[events\] duplicates must be \"keep\" or \"drop\", got 'maybe'"):
        mapping_from_dict({"events": {"duplicates": "maybe"}})


def test_a_newer_extract_is_matched_as_a_multiset(tmp_path, write):
    """The store holds an event twice; a newer extract with 3 copies adds one (and its new event)."""
    st = Store(tmp_path / "s")
    st.ingest("p", [write("jan.csv", HEADER + ROW * 2)])
    r = st.ingest("p", [write("feb.csv", HEADER + ROW * 3 + "C2,A,2024-02-01 10:00,u2\n")]).sources[0]
    assert (r.rows_read, r.rows_already_stored, r.events_loaded, r.duplicate_events) == (4, 2, 2, 2)
    df = st.load("p")
    assert (df[CASE] == "C1").sum() == 3 and (df[CASE] == "C2").sum() == 1
    assert sorted(df[EVENT_ID]) == [0, 1, 2, 3]
    # the same content under another name is the same source: skipped
    same = st.ingest("p", [write("feb2.csv", HEADER + ROW * 3 + "C2,A,2024-02-01 10:00,u2\n")]).sources[0]
    assert same.skipped == "this exact file (same sha256) is already in the store"
    # a later extract: every stored event is recognised, copies included
    again = st.ingest("p", [write("mar.csv", HEADER + ROW * 3 + "C2,A,2024-02-01 10:00,u2\n"
                                  "C3,A,2024-03-01 10:00,u2\n")]).sources[0]
    assert (again.rows_already_stored, again.events_loaded) == (4, 1)
    # two sources in one ingest count each other's copies too
    st2 = Store(tmp_path / "s2")
    both = st2.ingest("p", [write("x.csv", HEADER + ROW), write("y.csv", HEADER + ROW * 2)])
    assert [(s.events_loaded, s.rows_already_stored) for s in both.sources] == [(1, 0), (1, 1)]
    assert both.store_events == 2


def test_data_page_shows_the_duplicate_count(tmp_path, write):
    from flowmine.dashboard._state import Filters
    from flowmine.dashboard.pages import data

    st = Store(tmp_path / "s")
    st.ingest("p", [write("a.csv", HEADER + ROW * 3)])
    page = data.layout(st, Filters(process="p"))
    grid = page.children[2].children[1]
    assert "Exact duplicate events" in [c["headerName"] for c in grid.columnDefs if c["field"] == "duplicates"]
    assert grid.rowData[0]["duplicates"] == 2 and grid.rowData[0]["loaded"] == 3  # raw numbers (they sort)
    assert grid.rowData[0]["duplicates__text"] == "2"
    assert list(st.load("p")[ACTIVITY]) == ["A"] * 3
