"""The store's order, sorted early: by case and the timestamp *text*, then checked against the times.

Sorting the events by (case, timestamp, row) takes DuckDB most of a second at 5M events, and
parsing the timestamps takes Arrow as long on one core. When the timestamps are written
year first (ISO 8601 and the like), the order of their text is almost always their order in
time, so the sort can start on the text, at once, beside the parsing. It is only used when the
parsed times prove it right: within each case (told apart by a hash of the case id, which can
only merge two cases, never split one), times never decrease and equal times keep row order.
That makes it *the* order, since (case, time, row) sorts uniquely. Otherwise, or for other
timestamp layouts, the order is sorted again from the parsed times.
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

_Sorted = Future[tuple[np.ndarray, np.ndarray]]  # row order and a hash of each row's case id
_YEAR_FIRST: Final = re.compile(r"^\s*\d{4}-\d\d-\d\d")
_LOOK: Final = 100


def start(case: pa.ChunkedArray | pa.Array, ts_text: pa.ChunkedArray | pa.Array) -> _Sorted | None:
    """Sort by (case, timestamp text, row) in the background when the text looks year-first."""
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


def _sort(case: pa.ChunkedArray | pa.Array, ts_text: pa.ChunkedArray | pa.Array) -> tuple[np.ndarray, np.ndarray]:
    keys = pa.table({"c": case, "t": ts_text, "p": pa.array(np.arange(len(case), dtype=np.int64))})
    con = connect()
    try:
        con.register("keys", keys)
        res = con.sql("SELECT p, hash(c) AS h FROM keys ORDER BY c NULLS LAST, t NULLS LAST, p").arrow().read_all()
    finally:
        con.close()
    return np.asarray(res.column("p").to_numpy(), dtype=np.int64), res.column("h").to_numpy()


def kept_order(presorted: _Sorted, keep: np.ndarray, events: pa.Table) -> np.ndarray:
    """The store's order of ``events`` (the rows of ``keep``): the early sort if the parsed times
    prove it right, else a sort on the parsed times."""
    order, case_hash = presorted.result()
    sel = keep[order]
    order, case_hash = order[sel], case_hash[sel]
    if not keep.all():
        order = order - np.cumsum(~keep)[order]
    ts = events.column(TIMESTAMP)
    if ts.null_count == 0 and len(order) == events.num_rows:
        t = np.asarray(pc.cast(ts, pa.int64()).to_numpy())[order]
        same = case_hash[1:] == case_hash[:-1]
        later, equal = t[1:] > t[:-1], t[1:] == t[:-1]
        if not (same & ~later & ~(equal & (order[1:] > order[:-1]))).any():
            return order
    return sort_order(events.column(CASE), ts)
