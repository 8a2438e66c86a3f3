"""Which events of a newer extract the store already holds, and widening types that changed.

Stored events are matched as a multiset: an event the store holds twice matches the first two
copies of it in a newer extract, a third copy is new (exact duplicates are kept by default).
Each stored event was fingerprinted over its own source's columns; a newer extract with the same
columns is compared on the stored fingerprints directly. Where the columns differ (an extract
with one more column, even an empty one), both sides are fingerprinted again over the columns
they share, so only the really new events are added and keep the new column's values.

A column whose type differs between the stored events and an extract (numbers in January, a
code such as ``n/a`` in February) is widened to text in the new version; attribute values are
fingerprinted as text (:mod:`flowmine._fingerprint`), so widening changes no fingerprint.

An instance stored as open (started, not completed when the earlier extract was taken) that a newer
extract holds as ended is replaced by it (:func:`completed_open`), never counted twice.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from flowmine._arrow import contiguous
from flowmine._fingerprint import FINGERPRINT, connect, content_columns, fingerprints, halves
from flowmine._schema import ACTIVITY, CASE, CORE_TYPES, OUTCOME, START, Outcome


@dataclass
class Pool:
    """Events to match against: their table (with fingerprints) and the columns those cover."""

    table: pa.Table
    columns: frozenset[str]


def _plain(t: pa.DataType) -> pa.DataType:
    return t.value_type if pa.types.is_dictionary(t) else t


def conflicts(tables: list[pa.Table]) -> list[tuple[str, list[str]]]:
    """Columns whose (non-null) types differ between ``tables``: ``[(name, [type, ...])]``."""
    seen: dict[str, list[pa.DataType]] = {}
    for t in tables:
        for f in t.schema:
            typ = _plain(f.type)
            if pa.types.is_null(typ) or f.name in CORE_TYPES or f.name == FINGERPRINT:
                continue
            types = seen.setdefault(f.name, [])
            if typ not in types:
                types.append(typ)
    return [(n, [str(x) for x in ts]) for n, ts in seen.items() if len(ts) > 1]


def as_text(arr: pa.ChunkedArray | pa.Array) -> pa.Array:
    """Values as DuckDB writes them as text (the same text the fingerprints hash)."""
    arr = contiguous(arr)
    if pa.types.is_dictionary(arr.type):
        arr = arr.dictionary_decode()
    if pa.types.is_string(arr.type):
        return arr
    if pa.types.is_null(arr.type):
        return pa.nulls(len(arr), pa.string())
    con = connect()
    try:
        con.register("t", pa.table({"v": arr}))
        out = con.sql("SELECT CAST(v AS VARCHAR) AS v FROM t").arrow().read_all().column(0)
    finally:
        con.close()
    return contiguous(out).cast(pa.string())


def widen(table: pa.Table, names: set[str]) -> pa.Table:
    for name in names & set(table.column_names):
        i = table.column_names.index(name)
        table = table.set_column(i, name, as_text(table.column(i)))
    return table


def already_stored(new: pa.Table, pools: list[Pool]) -> np.ndarray:
    """Mask of the rows of ``new`` (with fingerprints) that the pools already hold, as a multiset."""
    n = new.num_rows
    mask = np.zeros(n, dtype=bool)
    cols = frozenset(content_columns(new.column_names))
    for pool in pools:
        if pool.table.num_rows == 0:
            continue
        rest = np.flatnonzero(~mask)
        if not rest.size:
            break
        sub = new.take(pa.array(rest)) if rest.size < n else new
        if pool.columns == cols:
            pf, nf = contiguous(pool.table.column(FINGERPRINT)), contiguous(sub.column(FINGERPRINT))
        else:
            shared = sorted(pool.columns & cols)
            if not shared:
                continue
            differ = {name for name, _ in conflicts([pool.table.select(shared), sub.select(shared)])}
            pf = fingerprints(widen(pool.table.select(shared), differ))
            nf = fingerprints(widen(sub.select(shared), differ))
        mask[rest[_multiset(pf, nf)]] = True
    return mask


def _multiset(pool: pa.Array, new: pa.Array) -> np.ndarray:
    """For each of ``new`` (in order): is it one of the first k copies, where the pool holds k?"""
    cand = np.asarray(pc.is_in(new, value_set=pool).to_numpy(zero_copy_only=False), dtype=bool)
    idx = np.flatnonzero(cand)
    out = np.zeros(len(new), dtype=bool)
    if not idx.size:
        return out
    sub = new.take(pa.array(idx))
    hit = pool.filter(pc.is_in(pool, value_set=sub))
    ph = halves(hit)
    counts = pd.DataFrame({"a": ph[:, 0], "b": ph[:, 1]}).value_counts().rename("k").reset_index()
    nh = halves(sub)
    frame = pd.DataFrame({"a": nh[:, 0], "b": nh[:, 1]})
    frame["j"] = frame.groupby(["a", "b"], sort=False).cumcount()
    merged = frame.merge(counts, on=["a", "b"], how="left", sort=False)
    out[idx] = (merged["j"].to_numpy() < merged["k"].fillna(0).to_numpy())
    return out


#: The XES ``concept:instance`` attribute: where present it tells instances of one activity apart.
_INSTANCE = "concept:instance"


def completed_open(stored: pa.Table, new: pa.Table) -> np.ndarray:
    """Mask of the ``stored`` open instances that ``new`` holds as ended instances.

    An open instance (started, completion unknown at extraction) is completed by a newer extract:
    the same case, activity and start (and ``concept:instance`` where both have it), now with an end.
    Matched one to one (two open instances with one key are completed by two ended ones), so the
    newer, ended instance replaces the open one instead of being added beside it.
    """
    out = np.zeros(stored.num_rows, dtype=bool)
    needed = (OUTCOME, START)
    if stored.num_rows == 0 or new.num_rows == 0 or any(c not in t.column_names for c in needed
                                                          for t in (stored, new)):
        return out
    is_open = np.asarray(pc.fill_null(pc.equal(stored.column(OUTCOME), Outcome.OPEN), False).to_numpy(
        zero_copy_only=False), dtype=bool)
    if not is_open.any():
        return out
    ended = pc.and_(pc.is_valid(new.column(START)),
                    pc.fill_null(pc.not_equal(new.column(OUTCOME), Outcome.OPEN), True))
    ended_np = np.asarray(ended.to_numpy(zero_copy_only=False), dtype=bool)
    if not ended_np.any():
        return out
    keys = [CASE, ACTIVITY, START] + ([_INSTANCE] if all(_INSTANCE in t.column_names for t in (stored, new)) else [])

    def frame(t: pa.Table, rows: np.ndarray) -> pd.DataFrame:
        f = pd.DataFrame({k: as_text(contiguous(t.column(k)).take(pa.array(rows))).to_pandas() for k in keys})
        f["j"] = f.groupby(keys, sort=False, dropna=False).cumcount()
        return f

    open_rows = np.flatnonzero(is_open)
    left = frame(stored, open_rows)
    left["row"] = open_rows
    hit = left.merge(frame(new, np.flatnonzero(ended_np)), on=[*keys, "j"], how="inner")
    out[hit["row"].to_numpy()] = True
    return out
