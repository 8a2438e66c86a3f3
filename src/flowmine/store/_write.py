"""Writing the event log in the store's canonical order (case, instance time, completion, event_id), one
row group at a time.

The order is a permutation computed once (by :func:`order_of`, or handed over by normalisation,
which computed it together with the fingerprints). Rows are then moved one row group at a time
in a worker thread while the previous group is compressed and written, so the sorted log never
exists in memory as a whole. Text columns with few distinct values are moved as dictionary
indices and written as Parquet dictionaries without being hashed again; the case column, sorted,
is written plain. The file keeps ``timestamp[us, UTC]`` and plain strings for every reader
(``store_schema=False``) and the flowmine metadata (schema version, process, sort keys).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from flowmine._arrow import contiguous, release_memory
from flowmine._fingerprint import FINGERPRINT, connect
from flowmine._schema import CASE, EVENT_ID, READY, START, TIMESTAMP

#: Rows per Parquet row group.
ROW_GROUP: Final = 1 << 20
#: A text column is moved and written as a dictionary when a sample has at most this share of
#: distinct values (activities, resources, sources); otherwise (case ids, free text) plain.
_DICT_SHARE: Final = 0.2
_SAMPLE: Final = 1 << 16


@dataclass
class Written:
    """What :func:`write_sorted` saw while writing: number of cases and the time span."""

    cases: int
    start: object
    end: object


def order_of(events: pa.Table) -> np.ndarray:
    """Row positions of ``events`` in the canonical order (``SORT_KEYS``): case, instance time (start;
    completion where no start is known; ready time where neither is), completion, event_id; by DuckDB."""
    if events.num_rows == 0:
        return np.zeros(0, dtype=np.int64)
    cols: dict[str, pa.ChunkedArray] = {"c": events.column(CASE), "t": events.column(TIMESTAMP)}
    present = [(k, events.column(name)) for k, name in (("s", START), ("r", READY))
               if name in events.column_names and events.column(name).null_count < events.num_rows]
    cols.update(present)
    cols.update({"e": events.column(EVENT_ID), "i": pa.array(np.arange(events.num_rows, dtype=np.int64))})
    keys = pa.table(cols)
    if present:
        names = dict(present)
        time = "COALESCE(" + ", ".join(k for k in ("s", "t", "r") if k == "t" or k in names) + ")"
        by = f"c NULLS LAST, {time} NULLS LAST, t NULLS LAST, e"
    else:
        by = "c NULLS LAST, t NULLS LAST, e"
    con = connect()
    try:
        con.register("keys", keys)
        res = con.sql(f"SELECT i FROM keys ORDER BY {by}").arrow().read_all()
    finally:
        con.close()
    return np.asarray(res.column(0).to_numpy(), dtype=np.int64)


def _prepare(col: pa.ChunkedArray | pa.Array, name: str) -> pa.Array:
    """One contiguous array per column; text with few distinct values becomes a dictionary
    (encoded chunk by chunk with one shared dictionary, so only the indices are joined)."""
    if pa.types.is_dictionary(col.type):
        arr = contiguous(col)
        return arr.dictionary_decode() if name == CASE else arr
    if name != CASE and (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
        sample = col.slice(0, _SAMPLE)
        if len(sample) and pc.count_distinct(sample).as_py() <= _DICT_SHARE * len(sample):
            return contiguous(col.dictionary_encode())
    return contiguous(col)


def _groups(columns: list[pa.Array], names: list[str], order: np.ndarray) -> Iterator[pa.Table]:
    """Row groups in the store's order; each is gathered in a worker while the previous one is written."""
    def gather(start: int) -> pa.Table:
        idx = pa.array(order[start:start + ROW_GROUP])
        return pa.table([c.take(idx) for c in columns], names=names)

    starts = list(range(0, len(order), ROW_GROUP)) or [0]
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(gather, starts[0])
        for nxt in [*starts[1:], None]:
            group = pending.result()
            if nxt is not None:
                pending = pool.submit(gather, nxt)
            yield group


def write_sorted(path: Path, events: pa.Table, order: np.ndarray, metadata: dict[bytes, bytes]) -> Written:
    """Write ``events`` to ``path`` as Parquet in ``order`` (see the module docstring)."""
    names = events.column_names
    with ThreadPoolExecutor(max_workers=2) as pool:  # dictionary encoding releases the GIL
        columns = list(pool.map(lambda n: _prepare(events.column(n), n), names))
    schema = pa.schema([pa.field(n, c.type) for n, c in zip(names, columns, strict=True)])
    codecs, levels, encodings, dictionary = _layout(schema)
    ci = names.index(CASE)
    cases = 0
    last: pa.Scalar | None = None
    with pq.ParquetWriter(path, schema, compression=codecs, compression_level=levels, use_dictionary=dictionary,
                          column_encoding=encodings, store_schema=False, write_page_checksum=True) as writer:
        for group in _groups(columns, names, order):
            case = contiguous(group.column(ci))
            if len(case):
                cases += _case_starts(case, last)
                last = case[len(case) - 1]
            writer.write_table(group, row_group_size=ROW_GROUP)
            del group, case
            release_memory()
        writer.add_key_value_metadata(metadata)
    ts = events.column(TIMESTAMP)
    return Written(cases=cases, start=pc.min(ts).as_py(), end=pc.max(ts).as_py())


def _layout(schema: pa.Schema) -> tuple[dict[str, str], dict[str, int], dict[str, str], list[str]]:
    """Codec, level and encoding per column (cheap to write, small enough, read by every engine).

    Integers and timestamps are delta bit-packed and not compressed further (ids in case order
    are random: a compressor gains little and costs much); doubles are byte-stream split and
    zstd-compressed; text is zstd-compressed, as dictionaries where it was encoded so; the
    fingerprints are random bytes, stored as they are.
    """
    codecs: dict[str, str] = {}
    encodings: dict[str, str] = {}
    dictionary: list[str] = []
    for f in schema:
        t = f.type
        if f.name == FINGERPRINT:
            codecs[f.name] = "none"
            encodings[f.name] = "PLAIN"
        elif pa.types.is_dictionary(t):
            codecs[f.name] = "zstd"
            dictionary.append(f.name)
        elif (pa.types.is_integer(t) and t.bit_width >= 32) or pa.types.is_timestamp(t):
            codecs[f.name] = "none"
            encodings[f.name] = "DELTA_BINARY_PACKED"
        elif pa.types.is_floating(t) and t.bit_width >= 32:
            codecs[f.name] = "zstd"
            encodings[f.name] = "BYTE_STREAM_SPLIT"
        else:
            codecs[f.name] = "zstd"
    levels = {n: 1 for n, c in codecs.items() if c == "zstd"}
    return codecs, levels, encodings, dictionary


def _case_starts(case: pa.Array, previous: pa.Scalar | None) -> int:
    """Rows of a sorted case column where a new case begins (the first row counts unless it
    continues ``previous``, the last case of the group before)."""
    n = len(case)
    starts = int(pc.sum(pc.not_equal(case.slice(1), case.slice(0, n - 1))).as_py() or 0) if n > 1 else 0
    first_new = previous is None or previous.as_py() != case[0].as_py()
    return starts + int(first_new)


def fsync_dir(path: Path) -> None:
    """Flush every file of ``path`` to disk (before the version directory is published)."""
    for f in path.iterdir():
        with f.open("rb") as fh:
            os.fsync(fh.fileno())
