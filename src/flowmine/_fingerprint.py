"""128-bit content fingerprints of events: exact duplicates, and events already in the store.

Two 64-bit DuckDB hashes with different seeds over every content column (provenance and
event_id excluded), kept beside each event. Columns are handed to DuckDB under positional names
(``c0, c1, ...`` in the sorted order of the real names): DuckDB identifiers are case-insensitive,
and ``Note`` and ``note`` must stay two columns. Attribute values (every column but the core
roles, whose types the schema fixes) are hashed as text, so a column that widens from a number
to text between extracts keeps its events' fingerprints. Within one source, equal fingerprints are exact
duplicates; across ingests, a newer extract of a source adds only the events whose fingerprint
the store does not hold yet. The chance that two different events share a 128-bit fingerprint
is about n²/2¹²⁹: nil for any real log. The algorithm's id is kept in the manifest; when it
changes (a new DuckDB), the stored fingerprints are recomputed before they are compared.

:func:`fingerprint_order` computes the fingerprints in the same DuckDB query that sorts the
events into the store's order, (case, timestamp, position): one multithreaded pass gives the
duplicates (equal content has equal case and timestamp, so copies fall into one tie group of
that order) and the order the store writes in.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from flowmine._arrow import contiguous, release_memory
from flowmine._schema import CASE, CORE_TYPES, EVENT_ID, READY, SOURCE, SOURCE_ROW, START, TIMESTAMP

FINGERPRINT = "event:fingerprint"
#: Changes whenever the hash function may change; stored fingerprints are recomputed then.
ALGORITHM = f"duckdb-{duckdb.__version__}-hash2x64-text"
_EXCLUDE = {SOURCE, SOURCE_ROW, EVENT_ID, FINGERPRINT}


def content_columns(names: list[str] | tuple[str, ...]) -> list[str]:
    """The columns a fingerprint covers, in hashing order (case-sensitive, sorted by code point)."""
    return sorted(c for c in names if c not in _EXCLUDE)


def _content(events: pa.Table, columns: list[str] | None = None) -> tuple[pa.Table, str]:
    cols = content_columns(events.column_names) if columns is None else list(columns)
    table = events.select(cols).rename_columns([f"c{i}" for i in range(len(cols))])
    exprs = []
    for i, (name, field) in enumerate(zip(cols, table.schema, strict=True)):
        text = pa.types.is_string(field.type) or pa.types.is_large_string(field.type) or (
            pa.types.is_dictionary(field.type) and pa.types.is_string(field.type.value_type))
        exprs.append(f"c{i}" if text or name in CORE_TYPES else f"CAST(c{i} AS VARCHAR)")
    return table, ", ".join(exprs)


def connect() -> duckdb.DuckDBPyConnection:
    """A private in-memory DuckDB connection without a progress bar."""
    con = duckdb.connect()
    # refused inside a Jupyter kernel without ipywidgets: harmless
    with contextlib.suppress(duckdb.InvalidInputException):
        con.execute("SET enable_progress_bar = false")
    return con


def _pack(a: np.ndarray, b: np.ndarray) -> pa.Array:
    both = np.empty((len(a), 2), dtype=np.uint64)
    both[:, 0] = a
    both[:, 1] = b
    return pa.FixedSizeBinaryArray.from_buffers(pa.binary(16), len(a), [None, pa.py_buffer(both)])


def halves(fp: pa.Array) -> np.ndarray:
    """The two 64-bit halves of ``fixed_size_binary(16)`` fingerprints, as an (n, 2) uint64 view."""
    fp = contiguous(fp)
    buf = fp.buffers()[1]
    return np.frombuffer(buf, dtype=np.uint64, count=2 * (fp.offset + len(fp))).reshape(-1, 2)[fp.offset:]


def fingerprints(events: pa.Table, columns: list[str] | None = None) -> pa.Array:
    """One ``fixed_size_binary(16)`` fingerprint per event (column order does not matter).

    ``columns`` (default: every content column) restricts the hash to those columns, in the
    order :func:`content_columns` gives: a newer extract is matched over the columns it shares
    with the stored events."""
    n = events.num_rows
    if n == 0:
        return pa.array([], pa.binary(16))
    content, expr = _content(events, None if columns is None else content_columns(columns))
    con = connect()
    try:
        con.register("content", content)
        res = con.sql(f"SELECT hash({expr}) AS a, hash('flowmine', {expr}) AS b FROM content").arrow().read_all()
    finally:
        con.close()
    return _pack(res.column("a").to_numpy(), res.column("b").to_numpy())


def sort_order(case: pa.ChunkedArray | pa.Array, ts: pa.ChunkedArray | pa.Array,
               start: pa.ChunkedArray | pa.Array | None = None,
               ready: pa.ChunkedArray | pa.Array | None = None) -> np.ndarray:
    """Row positions in the canonical order (``SORT_KEYS``): by case, instance time (start; completion
    where no start is known; ready time where neither is), completion (unknown last), position; nulls
    last. DuckDB sorts fastest with nothing but the position to carry. Without start and ready times
    (or all null) the instance time is the completion and only (case, completion, position) is sorted."""
    n = len(case)
    cols: dict[str, pa.ChunkedArray | pa.Array] = {"c": case, "t": ts}
    time = "t"
    extra = [(k, a) for k, a in (("s", start), ("r", ready)) if a is not None and a.null_count < len(a)]
    if extra:
        cols.update(extra)
        names = dict(extra)
        time = "COALESCE(" + ", ".join(k for k in ("s", "t", "r") if k == "t" or k in names) + ")"
    keys = pa.table({**cols, "p": pa.array(np.arange(n, dtype=np.int64))})
    by = f"c NULLS LAST, {time} NULLS LAST, t NULLS LAST, p" if extra else "c NULLS LAST, t NULLS LAST, p"
    con = connect()
    try:
        con.register("keys", keys)
        res = con.sql(f"SELECT p FROM keys ORDER BY {by}").arrow().read_all()
    finally:
        con.close()
    return np.asarray(res.column(0).to_numpy(), dtype=np.int64)


def order_columns(events: pa.Table) -> tuple[pa.ChunkedArray, pa.ChunkedArray, pa.ChunkedArray | None,
                                             pa.ChunkedArray | None]:
    """The columns :func:`sort_order` sorts ``events`` by: case, completion, start and ready (None where
    ``events`` has no such column)."""
    def opt(name: str) -> pa.ChunkedArray | None:
        return events.column(name) if name in events.column_names else None
    return events.column(CASE), events.column(TIMESTAMP), opt(START), opt(READY)


def subset_order(order: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """``order`` of all rows -> the same order of the kept rows, numbered among the kept rows."""
    if keep.all():
        return order
    kept = order[keep[order]]
    return kept - np.cumsum(~keep)[kept]


def _ties(events: pa.Table, order: np.ndarray) -> np.ndarray:
    """``tied[k]``: row ``order[k]`` has the case and timestamp of row ``order[k - 1]``. Times are
    compared first, all at once; case ids only where the times are equal (rarely)."""
    n = len(order)
    ts = events.column(TIMESTAMP)
    t = pc.fill_null(ts.cast(pa.int64()), np.iinfo(np.int64).min).to_numpy()[order]
    valid = np.asarray(ts.is_valid().to_numpy(zero_copy_only=False), dtype=bool)[order]
    tied = np.zeros(n, dtype=bool)
    tied[1:] = (t[1:] == t[:-1]) & (valid[1:] == valid[:-1])
    cand = np.flatnonzero(tied)
    if cand.size:
        case = events.column(CASE)
        here, before = case.take(pa.array(order[cand])), case.take(pa.array(order[cand - 1]))
        same = pc.or_(pc.fill_null(pc.equal(here, before), False), pc.and_(here.is_null(), before.is_null()))
        tied[cand] = np.asarray(same.to_numpy(zero_copy_only=False), dtype=bool)
    return tied


def fingerprint_order(events: pa.Table, order: np.ndarray | Callable[[], np.ndarray] | None = None
                      ) -> tuple[pa.Array, np.ndarray, np.ndarray]:
    """Fingerprints (in row order), the store's order and its tie groups.

    Returns ``(fingerprints, order, tied)``: ``order`` lists row positions in the canonical order
    (:func:`sort_order`); it is sorted here beside the hashing unless given, or given as a
    function that waits for it (a sort already running in the background); ``tied[k]`` is true
    when ``order[k]`` has the same case and timestamp as ``order[k - 1]`` (exact copies share every
    sort key, so they are adjacent in that order and fall into one such group).
    """
    n = events.num_rows
    if n == 0:
        return pa.array([], pa.binary(16)), np.zeros(0, np.int64), np.zeros(0, bool)
    content, expr = _content(events)
    with ThreadPoolExecutor(max_workers=1) as pool:
        sorting = pool.submit(sort_order, *order_columns(events)) if order is None else None
        con = connect()
        try:
            con.register("content", content)
            hashes = con.sql(f"SELECT hash({expr}) AS a, hash('flowmine', {expr}) AS b FROM content"
                             ).arrow().read_all()
        finally:
            con.close()
        order = sorting.result() if sorting is not None else order() if callable(order) else order
    assert order is not None
    del content
    release_memory()
    tied = _ties(events, order)
    return _pack(hashes.column("a").to_numpy(), hashes.column("b").to_numpy()), order, tied
