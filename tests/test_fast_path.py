"""The fast ways through ingestion give exactly what the general ways give.

Two shortcuts exist: a plain UTF-8 CSV is parsed straight from disk (UTF-8 and line count
checked in a side pass) instead of from memory with per-column decoding; and a new process is
written in the order normalisation computed with the fingerprints instead of concatenating and
sorting again. Each is switched off here and the stored files compared: same columns, types,
values, order, event ids, fingerprints, quarantine and manifest. The duplicate search (tie
groups of the store's order) is checked against a plain search over all fingerprints.
"""

from __future__ import annotations

import json
import random

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

import flowmine.ingest._csv as csv_reader
import flowmine.store._store as store_mod
from flowmine import Store, read_log
from flowmine._fingerprint import fingerprints
from flowmine._schema import CASE, EVENT_ID, SOURCE_ROW, TIMESTAMP, Reason
from flowmine.ingest._duplicates import drop_duplicates
from flowmine.store._write import order_of

HEADER = "case,activity,timestamp,resource,cost,note\n"


def _clean_rows(n: int, seed: int = 3) -> list[str]:
    rng = random.Random(seed)
    cases = ["C1", "C10", "C2", "c1", "Ä7", "PO-2024-000123", "x", "001", "01", "1"]
    acts = ["Create", "Approve", "Ship", "审批", "Pay"]
    rows = []
    for _ in range(n):
        ts = f"2024-0{rng.randint(1, 9)}-1{rng.randint(0, 9)} {rng.randint(10, 23)}:0{rng.randint(0, 5)}:00"
        rows.append(f"{rng.choice(cases)},{rng.choice(acts)},{ts},u{rng.randint(1, 4)},{rng.randint(1, 999)}.5,"
                    f"{rng.choice(['', 'ok', 'a, b'])}")
    return [r.replace("a, b", '"a, b"') for r in rows]


def _dirty_text() -> str:
    rows = _clean_rows(300)
    rows[5] = rows[4]  # an exact duplicate, right after its original
    rows[40] = rows[10]  # a duplicate far from its original
    rows[41] = rows[10]  # and a second copy
    rows[60] = ",Approve,2024-01-01 10:00:00,u1,1.5,"  # no case
    rows[61] = "C1,,2024-01-01 10:00:00,u1,1.5,"  # no activity
    rows[62] = "C1,Pay,2024-02-30 10:00:00,u1,1.5,"  # impossible date
    rows[63] = "C1,Pay,,u1,1.5,"  # no timestamp
    rows[64] = "C1,Pay,2024-01-01 10:00:00,u1,abc,"  # not a number
    rows[65] = "C1,Pay,2024-01-01 10:00:00,u1"  # too few fields
    rows[70] = 'C2,"two\nlines",2024-01-01 10:00:00,u1,1.5,'  # a line break inside a value
    rows[71] = 'C2,Pay,2024-01-01 10:00:00,u1,1.5,"last\ncolumn"'  # ... in the last column
    rows[72] = '"C\n3",Pay,2024-01-01 10:00:00,u1,1.5,'  # ... in the first
    rows.insert(80, "")  # a blank line
    return HEADER + "\n".join(rows) + "\n"


def _ingest(tmp_path, name: str, files, **switches) -> Store:
    for attr, module in (("READ_FROM_DISK", csv_reader), ("REUSE_ORDER", store_mod)):
        setattr(module, attr, switches.get(attr, True))
    try:
        st = Store(tmp_path / name)
        report = st.ingest("p", files)
        assert not report.errors, report.errors
        return st
    finally:
        csv_reader.READ_FROM_DISK = True
        store_mod.REUSE_ORDER = True


def _stored(st: Store) -> tuple[pa.Table, pa.Schema, pa.Table, dict]:
    path = st.events_path("p")
    events = pq.read_table(path)
    q = pq.read_table(path.parent / "quarantine.parquet")
    manifest = json.loads((path.parent / "manifest.json").read_text())
    for s in manifest["sources"]:
        s.pop("ingested_at")
    # the files' digests and the commit time differ with the bytes (dictionary pages) and the clock
    assert set(manifest.pop("files")) == {"events.parquet", "quarantine.parquet"}
    manifest.pop("created_at")
    return events, pq.read_schema(path), q, manifest


def _assert_same(a: Store, b: Store) -> None:
    ea, sa, qa, ma = _stored(a)
    eb, sb, qb, mb = _stored(b)
    assert sa.equals(sb, check_metadata=True)
    assert ea.equals(eb)
    assert qa.equals(qb)
    assert ma == mb


@pytest.mark.parametrize("dirty", [False, True])
def test_all_ways_store_the_same(tmp_path, write, dirty):
    text = _dirty_text() if dirty else HEADER + "\n".join(_clean_rows(500)) + "\n"
    src = write("log.csv", text)
    fast = _ingest(tmp_path, "fast", [src])
    general = _ingest(tmp_path, "general", [src], READ_FROM_DISK=False, REUSE_ORDER=False)
    only_read = _ingest(tmp_path, "read", [src], READ_FROM_DISK=False)
    only_sort = _ingest(tmp_path, "sort", [src], REUSE_ORDER=False)
    for other in (general, only_read, only_sort):
        _assert_same(fast, other)
    events, schema, q, manifest = _stored(fast)
    assert schema.field(TIMESTAMP).type == pa.timestamp("us", tz="UTC")
    assert schema.metadata[b"flowmine.schema_version"] == b"1"
    assert schema.field(CASE).type == pa.string() and schema.field("source:file").type == pa.string()
    df = events.to_pandas()
    assert df[EVENT_ID].is_unique and manifest["events"] == len(df)
    # the store's order: case (bytewise), then time, then event id (= source order)
    key = list(zip(df[CASE].map(lambda s: s.encode()), df[TIMESTAMP], df[EVENT_ID], strict=True))
    assert key == sorted(key)
    assert (np.diff(df.sort_values(EVENT_ID)[SOURCE_ROW].to_numpy()) > 0).all()
    rep = manifest["sources"][0]
    assert rep["rows_read"] == rep["events_loaded"] + rep["rows_quarantined"]
    assert rep["cases"] == manifest["cases"] == df[CASE].nunique()
    if dirty:
        reasons = q.to_pandas().groupby("reason")["row"].apply(sorted).to_dict()
        # exact duplicates (rows 7, 42 and 43) are kept by default and counted
        assert Reason.DUPLICATE_EVENT not in reasons and rep["duplicate_events"] == 3
        assert sorted(df.loc[df[SOURCE_ROW].isin([7, 42, 43]), SOURCE_ROW]) == [7, 42, 43]
        assert set(reasons) >= {Reason.MISSING_CASE, Reason.MISSING_ACTIVITY, Reason.INVALID_TIMESTAMP,
                                Reason.MISSING_TIMESTAMP, Reason.INVALID_NUMBER, Reason.MALFORMED_ROW}
        assert "two\nlines" in set(df["concept:name"]) and "last\ncolumn" in set(df["note"])
        assert "C\n3" in set(df[CASE])


def test_invalid_utf8_and_bom_read_the_same_both_ways(tmp_path, write):
    body = (HEADER + "\n".join(_clean_rows(50))).encode() + b"\nC9,Bad\xff,2024-01-01 10:00:00,u1,1.5,\n"
    for name, data in (("bad.csv", body), ("bom.csv", b"\xef\xbb\xbf" + HEADER.encode() + b"C1,A,2024-01-01,u,1,\n")):
        src = write(name, data)
        fast = _ingest(tmp_path, "f" + name, [src])
        general = _ingest(tmp_path, "g" + name, [src], READ_FROM_DISK=False, REUSE_ORDER=False)
        _assert_same(fast, general)
    q = _stored(fast)[2].to_pandas()
    assert q.empty
    bad = _stored(_ingest(tmp_path, "again", [tmp_path / "bad.csv"]))[2].to_pandas()
    assert bad["reason"].tolist() == [Reason.INVALID_ENCODING] and bad["row"].tolist() == [52]


def test_incremental_ingest_gives_what_one_ingest_of_both_gives(tmp_path, write):
    rows = _clean_rows(400, seed=5)
    jan = write("jan.csv", HEADER + "\n".join(rows[:250]) + "\n")
    feb = write("feb.csv", HEADER + "\n".join(rows[150:]) + "\n")  # overlaps january
    st = Store(tmp_path / "inc")
    st.ingest("p", [jan])
    r = st.ingest("p", [feb]).sources[0]
    assert r.rows_already_stored > 0 and r.balanced
    both = _ingest(tmp_path, "both", [jan, feb])
    a, b = st.load_table("p"), both.load_table("p")
    assert a.equals(b)


def _old_duplicates(events: pa.Table) -> np.ndarray:
    """The plain search: every later row whose fingerprint an earlier row has."""
    fp = fingerprints(events)
    halves = np.frombuffer(fp.buffers()[1], dtype=np.uint64)[: 2 * len(fp)].reshape(-1, 2)
    return pd.DataFrame(halves).duplicated(keep="first").to_numpy()


@pytest.mark.parametrize("seed", range(5))
def test_duplicates_in_tie_groups_equal_a_search_over_all_fingerprints(seed):
    rng = np.random.default_rng(seed)
    n = 3000
    events = pa.table({
        CASE: pa.array(rng.choice(["a", "b", "ab", "", "é", "B"], n)),
        "concept:name": pa.array(rng.choice(["X", "Y", "Z"], n)),
        TIMESTAMP: pa.array(rng.integers(0, 5, n) * 1_000_000, pa.int64()).cast(pa.timestamp("us", tz="UTC")),
        "org:resource": pa.array(rng.choice(["u", None], n)),
        SOURCE_ROW: pa.array(np.arange(2, n + 2)),
    })
    kept, q, order, n_dup = drop_duplicates(events, "x", policy="drop")
    assert n_dup == q.num_rows
    dup = _old_duplicates(events)
    assert sorted(q.column("row").to_pylist()) == (np.flatnonzero(dup) + 2).tolist()
    assert kept.num_rows == n - dup.sum()
    ids = kept.add_column(0, EVENT_ID, pa.array(np.arange(kept.num_rows)))
    assert order.tolist() == order_of(ids).tolist()
    fp = pd.Series(fingerprints(events).to_pylist())
    first = pd.Series(np.arange(n)).groupby(fp).transform("first")
    details = dict(zip(q.column("row").to_pylist(), q.column("detail").to_pylist(), strict=True))
    for i in np.flatnonzero(dup):
        assert details[i + 2] == f"exact duplicate of row {first[i] + 2} (kept once)"


def test_order_is_bytewise_like_arrow(write):
    src = write("o.csv", "case,activity,timestamp\n" + "".join(
        f"{c},A,2024-01-01 10:00\n" for c in ["b", "B", "é", "e", "10", "9", "Z", "ä", "aa", "a"]))
    r = read_log(src)
    assert r.order is not None
    case = r.events.column(CASE)
    by_duckdb = case.take(pa.array(r.order)).to_pylist()
    assert by_duckdb == case.take(pc.sort_indices(case)).to_pylist()
    assert by_duckdb == sorted(case.to_pylist(), key=lambda s: s.encode())
