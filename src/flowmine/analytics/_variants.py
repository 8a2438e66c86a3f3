"""Variants of a log: each distinct activity sequence once, with its cases, and the one query that finds them.

:class:`Variants` is the value every engine returns (DuckDB in :func:`flowmine.discovery.variants`,
Spark in :func:`flowmine.engines.variants`): both run :func:`variants_sql`, each in its dialect, and
build the result with :meth:`Variants.of`. Events of a case are in the canonical order (``log_order``).

:func:`variants_in_order` finds the same variants without a query where the rows already are in the
canonical order with each case's events together (as a store's Parquet and every table read from it
are): each case's trace is hashed with a 64-bit polynomial hash of its activity codes (numpy, all
cases at once), cases are grouped by (length, hash), and every case is then compared event by event
with its group's first case, so a collision can never merge two variants (it makes the function
return None, and the caller runs the query).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from flowmine._schema import ACTIVITY, CASE, EVENT_ID, READY, START, TIMESTAMP
from flowmine.analytics._sql import log_order


@dataclass(frozen=True)
class Variants:
    """Distinct traces of a log, most frequent first (ties by the trace itself).

    Attributes
    ----------
    traces : list of tuple of str
        Activity sequence of each variant.
    counts : numpy.ndarray
        Number of cases of each variant (int64).
    cases : list of list of str
        Case ids of each variant, sorted.
    """

    traces: list[tuple[str, ...]]
    counts: np.ndarray
    cases: list[list[str]]

    def __len__(self) -> int:
        return len(self.traces)

    @property
    def n_cases(self) -> int:
        return int(self.counts.sum())

    @property
    def activities(self) -> list[str]:
        """Every activity that occurs, sorted."""
        return sorted({a for t in self.traces for a in t})

    def renamed(self, mapping: Mapping[str, str]) -> Variants:
        """The same variants with activities renamed (traces that become equal are merged)."""
        merged: dict[tuple[str, ...], tuple[int, list[str]]] = {}
        for trace, n, ids in zip(self.traces, self.counts.tolist(), self.cases, strict=True):
            new = tuple(mapping.get(a, a) for a in trace)
            old_n, old_ids = merged.get(new, (0, []))
            merged[new] = (old_n + n, old_ids + ids)
        return Variants.of((t, n, sorted(ids)) for t, (n, ids) in merged.items())

    @classmethod
    def of(cls, rows: Iterable[tuple[tuple[str, ...], int, list[str]]]) -> Variants:
        """Variants from ``(trace, number of cases, case ids)`` rows, most frequent first (ties by trace)."""
        ordered = sorted(rows, key=lambda r: (-r[1], r[0]))
        return cls(
            traces=[tuple(r[0]) for r in ordered],
            counts=np.array([r[1] for r in ordered], dtype=np.int64),
            cases=[list(r[2]) for r in ordered],
        )

    def case_index(self) -> dict[str, int]:
        """Case id -> variant position."""
        return {c: i for i, ids in enumerate(self.cases) for c in ids}


_SQL = f"""
WITH t AS (
    SELECT "{CASE}" AS c, list("{ACTIVITY}" ORDER BY {{order}}) AS trace
    FROM {{source}} GROUP BY 1
)
SELECT trace, count(*) AS n, list(c ORDER BY c) AS cases FROM t GROUP BY trace
"""


def variants_sql(source: str, columns: Collection[str]) -> str:
    """The variants query (DuckDB SQL) over the relation ``source`` that has the log's ``columns``:
    one row per variant with ``trace`` (a list of activities), ``n`` and ``cases`` (sorted)."""
    return _SQL.format(source=source, order=log_order(columns))


_P = np.uint64(0x9E3779B97F4A7C15)  # the hash's base (odd: invertible mod 2**64)
_LAST = np.iinfo(np.int64).max


def _one(col: pa.ChunkedArray | pa.Array) -> pa.Array:
    return col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col


def _us(table: pa.Table, name: str) -> npt.NDArray[np.int64] | None:
    """A timestamp column as µs (nulls: the largest value, so they sort last), or None when absent."""
    if name not in table.column_names:
        return None
    col = _one(table.column(name))
    if col.null_count == len(col):
        return None
    return np.asarray(pc.fill_null(col.cast(pa.timestamp("us", tz="UTC")).cast(pa.int64()), _LAST)
                      .to_numpy(zero_copy_only=False), dtype=np.int64)


def _in_canonical_order(table: pa.Table, same: npt.NDArray[np.bool_]) -> bool:
    """Are the rows of each case (``same[i]``: row i is of row i-1's case) in the canonical order
    (``log_order``: instance time, unknown completion last, completion, event id)?"""
    ts = _us(table, TIMESTAMP)
    assert ts is not None
    first = ts.copy()
    ready, start = _us(table, READY), _us(table, START)  # COALESCE(start, completion, ready)
    if ready is not None:
        first = np.where(first == _LAST, ready, first)
    if start is not None:
        first = np.where(start != _LAST, start, first)
    eid = np.asarray(_one(table.column(EVENT_ID)).to_numpy(zero_copy_only=False), dtype=np.int64)
    keys = (first, ts, eid)  # ts as µs with nulls last is "ts IS NULL, ts"
    later = np.zeros(len(ts) - 1, dtype=bool)  # row i+1 sorts strictly after row i
    tie = np.ones(len(ts) - 1, dtype=bool)
    for k in keys:
        later |= tie & (k[1:] > k[:-1])
        tie &= k[1:] == k[:-1]
    return bool(np.all(later[same[1:]]))


def variants_in_order(table: pa.Table) -> Variants | None:
    """The variants of a canonical table whose rows are in the store's order (see the module docstring):
    equal to the query's; None when the rows are not so ordered (a case's events apart or out of order,
    case ids not ascending) or a case or activity is null, where the caller runs :func:`variants_sql`.

    Examples
    --------
    >>> import pandas as pd, pyarrow as pa
    >>> t = pa.table({"case:concept:name": ["a", "a", "b", "b", "c"], "concept:name": list("XYXYX"),
    ...               "time:timestamp": pd.to_datetime([1, 2, 1, 2, 1], unit="h", utc=True),
    ...               "event_id": [0, 1, 2, 3, 4]})
    >>> v = variants_in_order(t)
    >>> v.traces, v.counts.tolist(), v.cases
    ([('X', 'Y'), ('X',)], [2, 1], [['a', 'b'], ['c']])
    """
    n = table.num_rows
    if n == 0:
        return Variants.of([])
    case, act = _one(table.column(CASE)), _one(table.column(ACTIVITY))
    if pa.types.is_dictionary(case.type):
        case = case.dictionary_decode()
    if case.null_count or act.null_count or EVENT_ID not in table.column_names:
        return None
    same = np.zeros(n, dtype=bool)
    same[1:] = np.asarray(pc.equal(case.slice(1), case.slice(0, n - 1)).to_numpy(zero_copy_only=False), dtype=bool)
    starts = np.flatnonzero(~same)
    ids = case.take(pa.array(starts))
    if len(ids) > 1 and not pc.all(pc.greater(ids.slice(1), ids.slice(0, len(ids) - 1))).as_py():
        return None  # not ascending: a case in two runs, or cases not in the store's order
    if not _in_canonical_order(table, same):
        return None
    enc = act if pa.types.is_dictionary(act.type) else pc.dictionary_encode(act)
    codes = np.asarray(enc.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
    k = len(starts)
    lengths = np.diff(np.append(starts, n))
    owner = np.repeat(np.arange(k), lengths)
    pos = np.arange(n, dtype=np.int64) - starts[owner]
    key = np.empty((k, 2), dtype=np.uint64)
    key[:, 0] = lengths
    with np.errstate(over="ignore"):  # arithmetic mod 2**64
        powers = np.ones(int(lengths.max()), dtype=np.uint64)
        powers[1:] = np.cumprod(np.full(len(powers) - 1, _P, dtype=np.uint64))
        key[:, 1] = np.add.reduceat((codes + 1).view(np.uint64) * powers[pos], starts)
    _, first, inverse = np.unique(key, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    if not np.array_equal(codes, codes[starts[first[inverse]][owner] + pos]):
        return None  # a hash collision (never seen): the query decides
    counts = np.bincount(inverse)
    names = np.asarray(enc.dictionary.to_pylist(), dtype=object)
    order = np.argsort(inverse, kind="stable")  # cases of each variant, ascending as stored
    grouped = ids.take(pa.array(order)).to_pylist()
    bounds = np.concatenate([[0], np.cumsum(counts)]).tolist()
    rows = []
    for v, f in enumerate(first.tolist()):
        s0 = int(starts[f])
        trace = tuple(names[codes[s0:s0 + int(lengths[f])]].tolist())
        rows.append((trace, int(counts[v]), grouped[bounds[v]:bounds[v + 1]]))
    return Variants.of(rows)
