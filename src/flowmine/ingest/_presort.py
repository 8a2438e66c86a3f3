"""The store's order, sorted early on DuckDB's reading of the timestamps, checked against flowmine's.

Sorting the events by (case, timestamp, row) takes DuckDB most of a second at 5M events, and
parsing the timestamps with flowmine's strict rules takes Arrow as long on one core. When the
timestamps are written year first (ISO 8601 and the like), DuckDB's own lenient cast reads them
the same almost always, so the sort can start at once, beside the parsing. Its order is used
only when the parsed times prove it right: between neighbours of one case, times never
decrease and equal times keep row order. Since (case, time, row) sorts uniquely, that makes it
*the* order. Otherwise, or for other timestamp layouts, the events are sorted again on the
parsed times.
"""

from __future__ import annotations

import re
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from flowmine._fingerprint import connect, sort_order
from flowmine._schema import CASE, TIMESTAMP

_YEAR_FIRST: Final = re.compile(r"^\s*\d{4}-\d\d-\d\d")
_LOOK: Final = 100


def start(case: pa.ChunkedArray | pa.Array, ts_text: pa.ChunkedArray | pa.Array) -> Future[np.ndarray] | None:
    """Sort by (case, DuckDB's reading of the timestamp, row) in the background when the
    timestamp text looks year-first; else None."""
    if not pa.types.is_string(ts_text.type):
        return None
    head = [v for v in ts_text.slice(0, _LOOK).to_pylist() if v]
    if not head or not all(_YEAR_FIRST.match(v) for v in head):
        return None
    pool = ThreadPoolExecutor(max_workers=1)
    try:
        return pool.submit(_sort, case, ts_text)
    finally:
        pool.shutdown(wait=False)


def _sort(case: pa.ChunkedArray | pa.Array, ts_text: pa.ChunkedArray | pa.Array) -> np.ndarray:
    keys = pa.table({"c": case, "t": ts_text, "p": pa.array(np.arange(len(case), dtype=np.int64))})
    con = connect()
    try:
        con.register("keys", keys)
        res = con.sql("SELECT p FROM keys ORDER BY c NULLS LAST, TRY_CAST(t AS TIMESTAMP) NULLS LAST, p")
        return np.asarray(res.arrow().read_all().column(0).to_numpy(), dtype=np.int64)
    finally:
        con.close()


def kept_order(presorted: Future[np.ndarray], keep: np.ndarray, events: pa.Table) -> np.ndarray:
    """The store's order of ``events`` (the rows ``keep`` marks): the early sort if the parsed times
    prove it right, else a sort on the parsed times."""
    order = presorted.result()
    order = order[keep[order]]
    if not keep.all():
        order = order - np.cumsum(~keep)[order]
    return order if _proves(order, events) else sort_order(events.column(CASE), events.column(TIMESTAMP))


def _proves(order: np.ndarray, events: pa.Table) -> bool:
    """Whether ``order`` sorts ``events`` by (case, timestamp, row), given that it sorts them by case."""
    ts = events.column(TIMESTAMP)
    if ts.null_count or len(order) != events.num_rows:
        return False
    t = np.asarray(pc.cast(ts, pa.int64()).to_numpy())[order]
    ok = (t[1:] > t[:-1]) | ((t[1:] == t[:-1]) & (order[1:] > order[:-1]))
    suspect = np.flatnonzero(~ok)  # fine only where a new case begins
    if suspect.size == 0:
        return True
    case = events.column(CASE)
    here, after = case.take(pa.array(order[suspect])), case.take(pa.array(order[suspect + 1]))
    same = pc.fill_null(pc.equal(here, after), True)
    return not pc.any(same).as_py()
