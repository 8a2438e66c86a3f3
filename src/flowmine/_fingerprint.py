"""128-bit content fingerprints of events: exact duplicates, and events already in the store.

Two 64-bit DuckDB hashes with different seeds over every content column (provenance and
event_id excluded), kept beside each event. Within one source, equal fingerprints are exact
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

from typing import Final

import duckdb
import numpy as np
import pyarrow as pa

from flowmine._schema import CASE, EVENT_ID, SOURCE, SOURCE_ROW, TIMESTAMP

FINGERPRINT = "event:fingerprint"
#: Changes whenever the hash function may change; stored fingerprints are recomputed then.
ALGORITHM = f"duckdb-{duckdb.__version__}-hash2x64"
_EXCLUDE = {SOURCE, SOURCE_ROW, EVENT_ID, FINGERPRINT}
_POS: Final = "__flowmine_position"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _content(events: pa.Table) -> tuple[pa.Table, str]:
    cols = sorted(c for c in events.column_names if c not in _EXCLUDE)
    return events.select(cols), ", ".join(_quote(c) for c in cols)


def connect() -> duckdb.DuckDBPyConnection:
    """A private in-memory DuckDB connection without a progress bar."""
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    return con


def _pack(a: np.ndarray, b: np.ndarray) -> pa.Array:
    both = np.empty((len(a), 2), dtype=np.uint64)
    both[:, 0] = a
    both[:, 1] = b
    return pa.FixedSizeBinaryArray.from_buffers(pa.binary(16), len(a), [None, pa.py_buffer(both.tobytes())])


def halves(fp: pa.Array) -> np.ndarray:
    """The two 64-bit halves of ``fixed_size_binary(16)`` fingerprints, as an (n, 2) uint64 view."""
    if isinstance(fp, pa.ChunkedArray):
        fp = fp.combine_chunks()
    buf = fp.buffers()[1]
    return np.frombuffer(buf, dtype=np.uint64, count=2 * (fp.offset + len(fp))).reshape(-1, 2)[fp.offset:]


def fingerprints(events: pa.Table) -> pa.Array:
    """One ``fixed_size_binary(16)`` fingerprint per event (column order does not matter)."""
    n = events.num_rows
    if n == 0:
        return pa.array([], pa.binary(16))
    content, expr = _content(events)
    con = connect()
    try:
        con.register("content", content)
        res = con.sql(f"SELECT hash({expr}) AS a, hash('flowmine', {expr}) AS b FROM content").arrow().read_all()
    finally:
        con.close()
    return _pack(res.column("a").to_numpy(), res.column("b").to_numpy())


def fingerprint_order(events: pa.Table) -> tuple[pa.Array, np.ndarray, np.ndarray]:
    """Fingerprints (in row order), the store's order and its tie groups, in one query.

    Returns ``(fingerprints, order, tied)``: ``order`` lists row positions sorted by (case,
    timestamp, position); ``tied[k]`` is true when ``order[k]`` has the same case and timestamp as
    ``order[k - 1]`` (by a 64-bit hash of the pair: a collision only widens a tie group).
    """
    n = events.num_rows
    if n == 0:
        return pa.array([], pa.binary(16)), np.zeros(0, np.int64), np.zeros(0, bool)
    content, expr = _content(events)
    content = content.append_column(_POS, pa.array(np.arange(n, dtype=np.int64)))
    case, ts, pos = _quote(CASE), _quote(TIMESTAMP), _quote(_POS)
    con = connect()
    try:
        con.register("content", content)
        res = con.sql(
            f"SELECT {pos} AS i, hash({expr}) AS a, hash('flowmine', {expr}) AS b, hash({case}, {ts}) AS k "
            f"FROM content ORDER BY {case} NULLS LAST, {ts} NULLS LAST, {pos}").arrow().read_all()
    finally:
        con.close()
    order = res.column("i").to_numpy()
    key = res.column("k").to_numpy()
    tied = np.zeros(n, dtype=bool)
    tied[1:] = key[1:] == key[:-1]
    a = np.empty(n, dtype=np.uint64)
    b = np.empty(n, dtype=np.uint64)
    a[order] = res.column("a").to_numpy()
    b[order] = res.column("b").to_numpy()
    return _pack(a, b), order, tied
