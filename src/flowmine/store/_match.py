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
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from flowmine._arrow import contiguous
from flowmine._fingerprint import FINGERPRINT, connect, content_columns, fingerprints, halves, subset_order
from flowmine._schema import ACTIVITY, CASE, CORE_TYPES, EVENT_ID, OUTCOME, Q_SOURCE, SOURCE, START, Outcome
from flowmine.ingest import Normalized
from flowmine.store._sources import SourceReport


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


# --- a newer extract against the stored events (used by Store.ingest) ---------------------------

def _source_columns(manifest: dict[str, Any]) -> dict[str, frozenset[str]]:
    return {s["source"]: frozenset(s["columns"]) for s in manifest["sources"] if s.get("columns")}


def _groups(old: pa.Table, manifest: dict[str, Any]) -> list[tuple[frozenset[str], np.ndarray | None]]:
    """Stored events grouped by the columns of the source they came from (None: all rows)."""
    every = frozenset(content_columns(old.column_names))
    by_source = _source_columns(manifest)
    if not by_source or set(by_source.values()) == {every}:
        return [(every, None)]
    src = pd.Categorical(old.column(SOURCE).to_pandas())
    kinds = sorted({*by_source.values(), every}, key=sorted)
    kind_of = np.array([kinds.index(by_source.get(c, every)) for c in src.categories] + [kinds.index(every)])
    per_row = kind_of[src.codes]  # code -1 (no source) takes the last entry: every column
    out: list[tuple[frozenset[str], np.ndarray | None]] = []
    for k, c in enumerate(kinds):
        mask = per_row == k
        if mask.any():
            out.append((c & every, mask))
    return out


def pools(old: pa.Table | None, manifest: dict[str, Any]) -> list[Pool]:
    if old is None or old.num_rows == 0:
        return []
    return [Pool(old if mask is None else old.filter(pa.array(mask)), cols) for cols, mask in _groups(old, manifest)]


def refingerprint(old: pa.Table, manifest: dict[str, Any]) -> pa.Table:
    """Stored fingerprints made with another algorithm: recomputed, each over its source's columns."""
    plain = old.drop_columns([FINGERPRINT])
    fp = np.empty((old.num_rows, 16), dtype=np.uint8)
    for cols, mask in _groups(plain, manifest):
        rows = np.arange(old.num_rows) if mask is None else np.flatnonzero(mask)
        part = plain.take(pa.array(rows)).select(sorted(cols))
        fp[rows] = np.frombuffer(fingerprints(part).buffers()[1], np.uint8, count=16 * len(rows)).reshape(-1, 16)
    arr = pa.FixedSizeBinaryArray.from_buffers(pa.binary(16), old.num_rows, [None, pa.py_buffer(fp)])
    return plain.append_column(FINGERPRINT, arr)


def remove_source(old: pa.Table | None, old_q: pa.Table, manifest: dict[str, Any], sha: str
                   ) -> tuple[pa.Table | None, pa.Table]:
    """Stored events and quarantine of the source with content ``sha`` taken out (it is read again)."""
    entries = [s for s in manifest["sources"] if s["sha256"] == sha]
    manifest["sources"] = [s for s in manifest["sources"] if s["sha256"] != sha]
    if old is not None:
        drop = np.zeros(old.num_rows, dtype=bool)
        ids = old.column(EVENT_ID).to_numpy()
        for s in entries:
            if s.get("event_ids"):
                lo, hi = s["event_ids"]
                drop |= (ids >= lo) & (ids < hi)
            else:  # written before event id ranges were recorded
                drop |= np.asarray(pc.equal(old.column(SOURCE), s["source"]).to_numpy(zero_copy_only=False))
        old = old.filter(pa.array(~drop))
    if old_q.num_rows:
        qs = old_q.column(Q_SOURCE)
        gone = np.zeros(old_q.num_rows, dtype=bool)
        for s in entries:
            gone |= np.asarray(pc.fill_null(pc.equal(qs, s["source"]), False).to_numpy(zero_copy_only=False))
        old_q = old_q.filter(pa.array(~gone))
    return old, old_q


def note_new_columns(rep: SourceReport, old: pa.Table | None, parts: list[pa.Table], events: pa.Table,
                      already: int) -> None:
    if old is None:
        return
    have = set(old.column_names).union(*(p.column_names for p in parts))
    new = [c for c in content_columns(events.column_names) if c not in have]
    rep.new_columns = new
    if new:
        rep.notes.append(f"new column(s) {new}: events matched over the {len(set(rep.columns) - set(new))} "
                         f"columns shared with the store; their values are kept for the {events.num_rows:,} "
                         f"new events ({already:,} already stored events have none)")


def drop_completed_open(table: pa.Table | None, new: pa.Table) -> tuple[pa.Table | None, int]:
    """``table`` without the open instances that ``new`` completes, and how many those were."""
    if table is None:
        return None, 0
    done = completed_open(table, new)
    return (table.filter(pa.array(~done)), int(done.sum())) if done.any() else (table, 0)


def unstored_events(norm: Normalized, pools: list[Pool], next_id: int
                ) -> tuple[pa.Table, pa.Table, int, np.ndarray | None]:
    """Events the store does not hold yet, with event ids in source order, and their store order."""
    events = norm.events
    order = norm.order
    already = already_stored(events, pools) if pools else np.zeros(events.num_rows, dtype=bool)
    if already.any():
        events = events.filter(pa.array(~already))
        order = subset_order(order, ~already) if order is not None else None
    ids = pa.array(np.arange(next_id, next_id + events.num_rows, dtype=np.int64))
    events = events.add_column(0, EVENT_ID, ids)
    return events, norm.quarantine, int(already.sum()), order
