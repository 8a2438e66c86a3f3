"""Variants found in the store's order (numpy, no query) equal the query's, on sample and real logs; a table
out of order, or with a case split in two runs, is left to the query."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from flowmine import Store
from flowmine._schema import ACTIVITY, CASE, EVENT_ID, START, TIMESTAMP
from flowmine.analytics import CaseFilter, Variants, as_table, scratch, stored, variants_in_order, variants_sql
from flowmine.discovery import collect_variants
from tests.conftest import shared_log

SAMPLES = Path(__file__).resolve().parents[1] / "sample_logs"
COLUMNS = [EVENT_ID, CASE, ACTIVITY, TIMESTAMP, START, "time:ready"]


def by_query(table: pa.Table) -> Variants:
    con = scratch()
    try:
        con.register("events_", table)
        rows = con.execute(variants_sql("events_", table.column_names)).fetchall()
    finally:
        con.close()
    return Variants.of((tuple(t), int(n), [str(c) for c in ids]) for t, n, ids in rows)


def same(a: Variants | None, b: Variants) -> None:
    assert a is not None
    assert a.traces == b.traces
    assert a.counts.tolist() == b.counts.tolist()
    assert a.cases == b.cases


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    st = Store(tmp_path_factory.mktemp("v") / "store")
    for name, src in (("finance", "finance_claims.csv"), ("production", "production_mes.xes.gz")):
        st.ingest(name, [SAMPLES / src], mapping=SAMPLES / (src.split(".")[0] + ".mapping.toml"))
    for name, xes in (("sepsis", "Sepsis Cases - Event Log.xes.gz"), ("bpic13", "06_bpic2013_closed.xes.gz"),
                      ("receipt", "08_receipt.xes.gz")):
        st.ingest(name, [shared_log(xes)])
    return st


@pytest.mark.parametrize("process", ["finance", "production", "sepsis", "bpic13", "receipt"])
def test_in_order_equals_the_query_on_stored_logs(store, process):
    table = as_table(stored(store, process), columns=COLUMNS)
    want = by_query(table)
    assert len(want) > 1
    same(variants_in_order(table), want)
    same(collect_variants(store, process), want)  # the store path reads the Parquet, no query
    kept = as_table(stored(store, process).where(CaseFilter(top_variants=3)), columns=COLUMNS)
    same(variants_in_order(kept), by_query(kept))


def test_rows_out_of_order_go_to_the_query(store):
    table = as_table(stored(store, "sepsis"), columns=COLUMNS)
    rng = np.random.default_rng(0)
    shuffled = table.take(pa.array(rng.permutation(table.num_rows)))
    assert variants_in_order(shuffled) is None
    same(collect_variants(shuffled), by_query(table))
    # each case's events together and cases ascending, but two events of one case swapped in time order
    swapped = np.arange(table.num_rows)
    swapped[[1, 2]] = swapped[[2, 1]]
    assert variants_in_order(table.take(pa.array(swapped))) is None


def test_ties_in_time_are_broken_by_the_event_id_and_starts_come_first():
    t = pd.to_datetime(["2025-01-01 10:00", "2025-01-01 10:00", "2025-01-01 11:00", "2025-01-01 09:00"], utc=True)
    frame = pd.DataFrame({CASE: ["a", "a", "a", "b"], ACTIVITY: ["X", "Y", "Z", "X"], EVENT_ID: [5, 7, 6, 8],
                          TIMESTAMP: t, START: [pd.NaT, pd.NaT, pd.Timestamp("2025-01-01 09:30", tz="UTC"), pd.NaT]})
    # a's canonical order: Z (started 09:30), X (10:00, id 5), Y (10:00, id 7): rows are not in it
    table = as_table(frame, columns=COLUMNS)
    assert variants_in_order(table) is None
    ordered = table.take(pa.array([2, 0, 1, 3]))
    got = variants_in_order(ordered)
    same(got, by_query(table))
    assert got is not None and got.traces == [("X",), ("Z", "X", "Y")]
