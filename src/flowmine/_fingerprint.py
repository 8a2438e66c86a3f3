"""128-bit content fingerprints of events: exact duplicates, and events already in the store.

Two 64-bit DuckDB hashes with different seeds over every content column (provenance and
event_id excluded), kept beside each event. Within one source, equal fingerprints are exact
duplicates; across ingests, a newer extract of a source adds only the events whose fingerprint
the store does not hold yet. The chance that two different events share a 128-bit fingerprint
is about n²/2¹²⁹: nil for any real log. The algorithm's id is kept in the manifest; when it
changes (a new DuckDB), the stored fingerprints are recomputed before they are compared.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa

from flowmine._schema import EVENT_ID, SOURCE, SOURCE_ROW

FINGERPRINT = "event:fingerprint"
#: Changes whenever the hash function may change; stored fingerprints are recomputed then.
ALGORITHM = f"duckdb-{duckdb.__version__}-hash2x64"
_EXCLUDE = {SOURCE, SOURCE_ROW, EVENT_ID, FINGERPRINT}


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def fingerprints(events: pa.Table) -> pa.Array:
    """One ``fixed_size_binary(16)`` fingerprint per event (column order does not matter)."""
    n = events.num_rows
    if n == 0:
        return pa.array([], pa.binary(16))
    cols = sorted(c for c in events.column_names if c not in _EXCLUDE)
    content = events.select(cols)
    expr = ", ".join(_quote(c) for c in cols)
    con = duckdb.connect()
    try:
        con.register("content", content)
        res = con.sql(f"SELECT hash({expr}) AS a, hash('flowmine', {expr}) AS b FROM content").arrow().read_all()
    finally:
        con.close()
    both = np.empty((n, 2), dtype=np.uint64)
    both[:, 0] = res.column("a").to_numpy()
    both[:, 1] = res.column("b").to_numpy()
    return pa.FixedSizeBinaryArray.from_buffers(pa.binary(16), n, [None, pa.py_buffer(both.tobytes())])
