"""The store: sorted Parquet, manifest, idempotent and incremental ingest, atomic commits."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pyarrow.parquet as pq
import pytest

from flowmine import ProcessNotFoundError, Store, StoreError
from flowmine._schema import CASE, EVENT_ID, SCHEMA_VERSION, TIMESTAMP

HEADER = "case,activity,timestamp\n"


def test_sorted_by_case_timestamp_event_id_with_schema_version(tmp_path, write):
    src = write("a.csv", HEADER + "B,X,2024-01-01 10:00\nA,Y,2024-01-01 11:00\nA,X,2024-01-01 11:00\n"
                         "A,Z,2024-01-01 09:00\n")
    st = Store(tmp_path / "s")
    st.ingest("p", [src])
    df = st.load("p")
    assert list(zip(df[CASE], df["concept:name"], df[EVENT_ID], strict=True)) == [
        ("A", "Z", 3), ("A", "Y", 1), ("A", "X", 2), ("B", "X", 0)]
    meta = pq.read_schema(st.events_path("p")).metadata
    assert meta[b"flowmine.schema_version"] == str(SCHEMA_VERSION).encode()
    m = st.manifest("p")
    assert m["events"] == 4 and m["cases"] == 2 and len(m["sources"]) == 1
    assert len(m["sources"][0]["sha256"]) == 64 and m["sources"][0]["rows_read"] == 4
    assert st.version("p") == m["version"] == "v000001"


def test_same_file_twice_adds_nothing_and_newer_extract_adds_only_new_events(tmp_path, write):
    st = Store(tmp_path / "s")
    first = write("jan.csv", HEADER + "A,X,2024-01-01 10:00\nA,Y,2024-01-02 10:00\n")
    r1 = st.ingest("p", [first])
    r2 = st.ingest("p", [first])
    assert r1.sources[0].events_loaded == 2
    assert r2.sources[0].skipped and r2.store_events == 2
    newer = write("feb.csv", HEADER + "A,X,2024-01-01 10:00\nA,Y,2024-01-02 10:00\nB,X,2024-02-01 10:00\n")
    r3 = st.ingest("p", [newer])
    s = r3.sources[0]
    assert (s.rows_read, s.events_loaded, s.rows_already_stored) == (3, 1, 2)
    assert r3.store_events == 3
    assert st.load("p")[EVENT_ID].tolist() == [0, 1, 2]  # ids are stable across ingests


def test_unusable_source_stores_nothing_from_it(tmp_path, write):
    st = Store(tmp_path / "s")
    good = write("a.csv", HEADER + "A,X,2024-01-01 10:00\n")
    r = st.ingest("p", [good, tmp_path / "missing.csv", write("empty.csv", b"")])
    assert r.store_events == 1 and len(r.errors) == 2
    assert [s["source"] for s in st.manifest("p")["sources"]] == [str(good)]


def test_failed_commit_leaves_previous_version_unchanged(tmp_path, write, monkeypatch):
    st = Store(tmp_path / "s")
    st.ingest("p", [write("a.csv", HEADER + "A,X,2024-01-01 10:00\n")])
    before = st.load("p")
    import flowmine.store._store as mod

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(mod.pq, "write_table", boom)
    with pytest.raises(StoreError, match=r"cannot write to the store \(disk full\); the live version v000001 "
                                         r"is unchanged"):
        st.ingest("p", [write("b.csv", HEADER + "B,X,2024-01-01 10:00\n")])
    monkeypatch.undo()
    assert Store(tmp_path / "s").load("p").equals(before)
    st.ingest("p", [write("c.csv", HEADER + "C,X,2024-01-01 10:00\n")])  # leftovers are cleaned up
    assert len(st.load("p")) == 2 and not list((tmp_path / "s" / "p").glob(".tmp-*"))


def test_killed_ingest_leaves_a_readable_store(tmp_path, write):
    """SIGKILL at several moments of a large ingest: the store is the old or the new version, never broken."""
    st = Store(tmp_path / "s")
    st.ingest("p", [write("a.csv", HEADER + "A,X,2024-01-01 10:00\n")])
    rows = "".join(f"C{i},X,2024-01-01 10:{i % 60:02d}\n" for i in range(200_000))
    big = write("big.csv", HEADER + rows)
    for delay in (0.5, 1.0, 1.5, 2.0):
        proc = subprocess.Popen([sys.executable, "-m", "flowmine", "ingest", str(big), "--store",
                                 str(tmp_path / "s"), "--process", "p"], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        time.sleep(delay)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        n = len(Store(tmp_path / "s").load("p"))
        assert n in (1, 200_001)
    assert json.loads((tmp_path / "s" / "flowmine-store.json").read_text())["format"] == "flowmine-store"


def test_unknown_process_and_bad_names(tmp_path):
    st = Store(tmp_path / "s")
    with pytest.raises(ProcessNotFoundError, match="no process 'nope'"):
        st.load("nope")
    with pytest.raises(StoreError, match="not allowed"):
        st.ingest("../etc", [])
    with pytest.raises(StoreError, match="not a flowmine store"):
        Store(tmp_path / "elsewhere", create=False)


def test_timestamps_are_utc_microseconds(tmp_path, write):
    st = Store(tmp_path / "s")
    st.ingest("p", [write("a.csv", HEADER + "A,X,2024-01-01T10:00:00.123456+08:00\n")])
    field = pq.read_schema(st.events_path("p")).field(TIMESTAMP)
    assert str(field.type) == "timestamp[us, tz=UTC]"
    assert st.load("p")[TIMESTAMP].iloc[0].microsecond == 123456


def test_a_reader_sees_the_version_another_writer_switched_to_at_once(tmp_path, write):
    """``version`` answers from the last read of ``CURRENT`` while that file is unchanged (a dashboard asks on
    every request); a commit by another Store object, an equal-length pointer and a rollback are seen."""
    reader, writer = Store(tmp_path / "s"), Store(tmp_path / "s")
    writer.ingest("p", [write("a.csv", HEADER + "A,X,2024-01-01 10:00\n")])
    assert reader.version("p") == "v000001" and reader.version("p") == "v000001"
    writer.ingest("p", [write("b.csv", HEADER + "B,X,2024-01-02 10:00\n")])
    assert reader.version("p") == "v000002"  # same length as before: a new file, not the remembered answer
    assert len(reader.load("p")) == 2
    writer.rollback("p", "v000001")
    assert reader.version("p") == "v000003" and len(reader.load("p")) == 1
    (tmp_path / "s" / "p" / "CURRENT").unlink()
    with pytest.raises(ProcessNotFoundError):
        reader.version("p")
