"""Stored logs held in memory, and the engine every metric opens on a (possibly filtered) log.

A metric on a log builds the per-instance relations (``inst``, ``cases``: window functions over every
event) before it aggregates; on a million events that is most of its time. :func:`hold` builds them
once for a stored log's live version and keeps them in an in-memory DuckDB database, so that every
later metric on that log, **with any case filter**, only restricts and aggregates: what a dashboard
that answers many filtered questions about one log needs. A version is immutable, so what is held
never goes stale; a new ingest is a new version (held anew when asked).

:func:`open_engine` is where every metric gets its engine: the held database when there is one, the
engine of ``flowmine.engines.use_spark()`` inside such a block, else a DuckDB engine over the log's
Arrow table. A :class:`~flowmine.analytics.StoredLog` with filters (``stored(...).where(...)``)
becomes an engine restricted to the cases that pass them (``kept_cases``, the same SQL everywhere).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, fields

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from flowmine._schema import ACTIVITY, CASE, EVENT_ID, READY, START, TIMESTAMP
from flowmine.analytics._filters import RELATIVE, CaseFilter, kept_cases
from flowmine.analytics._held_files import held_relations
from flowmine.analytics._log import CORE_COLUMNS, LogLike, StoredLog, canonical_table
from flowmine.analytics._recent import Recent
from flowmine.analytics._sql import OPENER, ORDER, Engine

#: How many log versions are held at once (least recently used are released; a dashboard holds one per process).
MAX_HELD = 8


@dataclass
class _Held:
    path: str  # the version's Parquet file
    table: pa.Table  # the stored Parquet, every column, in store order
    con: duckdb.DuckDBPyConnection  # log_all, inst_all, cases_all (the database file, read-only, or in memory)
    n_cases: int  # distinct cases (cidx_ runs 0..n_cases-1)
    runs: np.ndarray | None = None  # where each case's rows begin in ``table`` (and its length last), when asked
    latest: tuple[object] | None = None  # the latest completion or start, when asked


_HELD: OrderedDict[str, _Held] = OrderedDict()
_GUARD = threading.Lock()
_BUILDING: dict[str, threading.Lock] = {}


def hold(log: StoredLog, threads: int | None = None) -> None:
    """Build ``log``'s relations once and keep them for every later metric on it.

    The first hold of a version costs about what one unfiltered metric costs and writes the relations
    (the events with each case's index, the per-instance and the per-case relations) beside the
    version's events (``flowmine.analytics._held_files``); every later hold, in this process or another, opens them: a
    dashboard's server and its card worker share the events' pages in the system's page cache and read
    the relations from the database file (compressed; DuckDB keeps the blocks it reads) instead of each
    holding its own copy, and a restarted dashboard does not build them again. Afterwards a metric on the
    log or on ``log.where(filter)`` skips the per-event window functions. Where the version's folder is
    not writable the relations are held in memory. Holding a version that is already held does nothing.
    At most ``MAX_HELD`` versions are held.

    Examples
    --------
    >>> from flowmine.analytics import CaseFilter, hold, stored, workload
    >>> log = stored(STORE, "finance")  # STORE: a store's path
    >>> hold(log)
    >>> march = workload(log.where(CaseFilter(started=("2025-03-01", "2025-04-01"))))
    """
    path = log.base.path
    with _GUARD:
        if path in _HELD:
            _HELD.move_to_end(path)
            return
        lock = _BUILDING.setdefault(path, threading.Lock())
    with lock:
        with _GUARD:
            if path in _HELD:
                return
        events, con = held_relations(path, threads)
        n_cases = int(pc.max(events.column("cidx_")).as_py()) + 1 if events.num_rows else 0
        with _GUARD:
            _HELD[path] = _Held(path, events.drop_columns(["cidx_"]), con, n_cases)
            _BUILDING.pop(path, None)
            while len(_HELD) > MAX_HELD:
                _HELD.popitem(last=False)  # not closed here: a metric may still read it (freed when unused)


def release(log: StoredLog | None = None) -> None:
    """Stop holding ``log``'s version (every held log when None)."""
    with _GUARD:
        paths = list(_HELD) if log is None else [log.base.path]
        for path in paths:
            held = _HELD.pop(path, None)
            if held is not None:
                held.con.close()


def _held(log: LogLike) -> _Held | None:
    if not isinstance(log, StoredLog) or not _HELD:
        return None
    with _GUARD:
        return _HELD.get(log.base.path)


def held_of(log: LogLike) -> _Held | None:
    """What is held of ``log``'s version (None: nothing), for an engine over its whole version."""
    return _held(log)


class HeldEngine(Engine):
    """An engine over a held log: ``log``, ``inst`` and ``cases`` are views of the held tables, restricted
    by a filter to the kept cases (a semi-join each query reads; the held tables are never changed)."""

    def __init__(self, held: _Held, keep: np.ndarray | None = None) -> None:  # no Engine.__init__: nothing to copy
        """``keep``: indices (``cidx_``) of the kept cases, when they are known (all cases when None)."""
        self.con = held.con.cursor()
        self._views = True
        if keep is not None:  # the kept cases are known: define the restricted views once
            self.con.register("keep_", pa.table({"i": pa.array(keep, pa.int32())}))
        self._define('cidx_ IN (SELECT i FROM keep_)' if keep is not None else None)

    def _define(self, where: str | None) -> None:
        for rel in ("log", "inst", "cases"):
            cond = f" WHERE {where}" if where else ""
            self.con.execute(f"CREATE OR REPLACE TEMP VIEW {rel} AS SELECT * EXCLUDE (cidx_) FROM main.{rel}_all{cond}")

    def materialize(self) -> None:
        if self._views:
            for rel in ("inst", "cases"):
                self.con.execute(f"CREATE TEMP TABLE {rel}_t AS SELECT * FROM {rel}")
                self.con.execute(f"DROP VIEW {rel}")
                self.con.execute(f"ALTER TABLE {rel}_t RENAME TO {rel}")
            self._views = False

    def keep_cases(self, cases: pa.Array) -> None:
        if not self._views:
            super().keep_cases(cases)
            return
        # the kept cases were found in the current views, so they are a subset of the last keep_
        self.con.register("keep_", pa.table({"case": cases}))
        self._define('cidx_ IN (SELECT cidx_ FROM main.cases_all WHERE "case" IN (SELECT "case" FROM keep_))')


def open_engine(log: LogLike, columns: Sequence[str] | None = CORE_COLUMNS) -> Engine:
    """The engine a metric runs on for ``log``, restricted to the cases its filters keep.

    ``columns``: what the engine's ``log`` relation needs (attribute filters need all columns)."""
    filters = log.filters if isinstance(log, StoredLog) else ()
    base: LogLike = log.base if isinstance(log, StoredLog) else log
    held = _held(base)
    opener = OPENER.get()
    if held is not None and opener is None:
        if filters:
            assert isinstance(log, StoredLog)
            mask = keep_mask(log)
            if mask is not None:  # the kept cases are known: the views are restricted once
                return HeldEngine(held, np.flatnonzero(mask))
        eng: Engine = HeldEngine(held)
    elif opener is not None:
        eng = opener(base)
    else:
        eng = Engine(canonical_table(base, columns=None if filters else columns))
    try:
        for flt in filters:
            eng.keep_cases(kept_cases(eng, flt))
    except BaseException:
        eng.close()
        raise
    return eng


#: Which cases each single condition of a filter keeps, per held version: a bool per case in store
#: order, bit-packed. A dashboard's filters are combinations of a few offered conditions (a month, an
#: attribute value, a variant), so after the first views every combination is an AND of known masks.
_MASKS: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
_MASK_BYTES = 64 << 20  # memory the remembered masks may take
_MASKS_HELD = 0  # bytes they take now


#: Digests of tuples of case ids, by object: a served dashboard's conformance filter hands the same tuple of
#: a hundred thousand ids to every query of a request (its repr and hash took about 3 % of the server).
_DIGESTS: OrderedDict[int, tuple[object, str]] = OrderedDict()


def _digest(value: object) -> str:
    """A digest of ``repr(value)``, remembered for a tuple of strings or numbers (immutable; it is kept
    beside its digest, so its id is not reused), never for a list (it may change in place)."""
    if not isinstance(value, tuple) or not all(isinstance(v, str | int | float) for v in value[:1]):
        return hashlib.blake2b(repr(value).encode(), digest_size=16).hexdigest()
    with _GUARD:
        hit = _DIGESTS.get(id(value))
    if hit is not None and hit[0] is value:
        return hit[1]
    digest = hashlib.blake2b(repr(value).encode(), digest_size=16).hexdigest()
    if all(isinstance(v, str | int | float) for v in value):
        with _GUARD:
            _DIGESTS[id(value)] = (value, digest)
            while len(_DIGESTS) > 16:
                _DIGESTS.popitem(last=False)
    return digest


def _conditions(flt: CaseFilter) -> list[tuple[str, CaseFilter]]:
    """The single conditions of a case filter, each as its own filter with a key (a case filter keeps
    the cases that meet all its conditions, each decided on the whole case alone)."""
    out: list[tuple[str, CaseFilter]] = []
    for f in fields(flt):
        value = getattr(flt, f.name)
        if f.name == "attributes":
            out += [(repr(("attributes", k, list(v))), CaseFilter(attributes={k: v})) for k, v in value.items()]
        elif f.name == "cases":
            if value is not None:
                out.append((f"cases {_digest(value)}", CaseFilter(cases=value)))
        elif f.name in RELATIVE or f.name == "directly_follows_s":
            continue  # decided together (below): the variants' frequencies; an edge and its duration
        elif flt.is_set(f.name):
            out.append((repr((f.name, value)), CaseFilter(**{f.name: value})))
    if flt.is_relative():
        rel = {n: getattr(flt, n) for n in RELATIVE}
        out.append((repr(("relative", rel)), CaseFilter(**rel)))
    if flt.directly_follows_s is not None:
        out = [(t, p) for t, p in out if p.directly_follows is None]
        pair = {"directly_follows": flt.directly_follows, "directly_follows_s": flt.directly_follows_s}
        out.append((repr(("edge", pair)), CaseFilter(**pair)))  # type: ignore[arg-type]
    return out


def keep_mask(log: StoredLog) -> np.ndarray | None:
    """Which cases a filtered held log keeps: a bool per case of :func:`case_ids` (store order); None
    when the log is not held or its cases are not contiguous in the store."""
    global _MASKS_HELD
    held = _held(log.base)
    if held is None or OPENER.get() is not None:
        return None
    ids = case_ids(log.base)
    if len(ids) != held.n_cases:  # a case in several runs of the store: positions are not cidx_
        return None
    if any(f.is_relative() for f in log.filters[1:]):
        return None  # its variants' frequencies are those of the cases the filters before it keep
    mask = np.ones(len(ids), dtype=bool)
    for flt in log.filters:
        for text, part in _conditions(flt):
            key = (held.path, text)
            with _GUARD:
                packed = _MASKS.get(key)
                if packed is not None:
                    _MASKS.move_to_end(key)
            if packed is None:
                eng = HeldEngine(held)
                try:
                    kept = kept_cases(eng, part)
                finally:
                    eng.close()
                packed = np.packbits(pc.is_in(ids, value_set=kept).to_numpy(zero_copy_only=False))
                with _GUARD:
                    if key not in _MASKS:
                        _MASKS_HELD += packed.nbytes
                    _MASKS[key] = packed
                    while _MASKS_HELD > _MASK_BYTES and len(_MASKS) > 1:
                        _MASKS_HELD -= _MASKS.popitem(last=False)[1].nbytes
            mask &= np.unpackbits(packed, count=len(ids)).view(bool)
    return mask


def held_engine(log: LogLike) -> Engine | None:
    """The engine over ``log`` when it is a held stored log (filters applied), else None: for
    callers whose own queries are cheap only on relations already in memory."""
    if _held(log.base if isinstance(log, StoredLog) else log) is None or OPENER.get() is not None:
        return None
    return open_engine(log)


class CaseEngine(Engine):
    """Just enough for case filters that need no instance relation: ``log`` and ``cases`` (first start,
    last completion, throughput, trace in the canonical order, as ``cases_sql``), without the
    per-instance window functions."""

    def __init__(self, table: pa.Table) -> None:  # no Engine.__init__: no instance relation
        self.con = duckdb.connect()
        self.con.register("log", table)
        names = table.column_names
        ready = f'"{READY}"' if READY in names else "CAST(NULL AS TIMESTAMPTZ)"
        self.con.execute(f"""CREATE TEMP TABLE cases AS
            SELECT "case", MIN(COALESCE(start_us, complete_us)) AS start_us, MAX(complete_us) AS end_us,
                   MAX(complete_us) - MIN(COALESCE(start_us, complete_us)) AS throughput_us, COUNT(*) AS instances,
                   LIST(activity ORDER BY {ORDER}) AS trace
            FROM (SELECT "{CASE}" AS "case", "{ACTIVITY}" AS activity, "{EVENT_ID}" AS event_id,
                         epoch_us("{TIMESTAMP}") AS complete_us, epoch_us("{START}") AS start_us,
                         epoch_us({ready}) AS ready_us
                  FROM log WHERE COALESCE("{START}", "{TIMESTAMP}", {ready}) IS NOT NULL) GROUP BY 1""")

    def keep_cases(self, cases: pa.Array) -> None:
        self.con.register("keep", pa.table({"case": cases}))
        self.con.execute('DELETE FROM cases WHERE "case" NOT IN (SELECT "case" FROM keep)')


def kept_case_ids(log: StoredLog) -> pa.Array:
    """Case ids of a filtered stored log (all its filters applied), in store order for a held log.

    Examples
    --------
    >>> from flowmine.analytics import CaseFilter, kept_case_ids, stored
    >>> log = stored(STORE, "finance").where(CaseFilter(started=("2025-03-01", "2025-04-01")))  # STORE: a store
    >>> march = kept_case_ids(log)  # an Arrow array of the case ids that started in March
    """
    mask = keep_mask(log) if log.filters else None
    if mask is not None:
        return pc.filter(case_ids(log.base), pa.array(mask))
    local = OPENER.get() is None
    key = (log.base.path, _digest(log.filters))
    if local:  # a version never changes, so the cases its filters keep do not either
        with _GUARD:
            if key in _KEPT:
                _KEPT.move_to_end(key)
                return _KEPT[key]
    if _held(log.base) is None and local and not any(f.needs_instances() for f in log.filters):
        light = CaseEngine(canonical_table(log.base, columns=None))  # no filter here reads the instances
        try:
            for flt in log.filters:
                light.keep_cases(kept_cases(light, flt))
            ids = light.arrow('SELECT "case" FROM cases').column(0).combine_chunks()
        finally:
            light.close()
    else:
        eng = open_engine(log, columns=None)
        try:
            ids = eng.arrow('SELECT "case" FROM cases').column(0).combine_chunks()
        finally:
            eng.close()
    if local:
        with _GUARD:
            _KEPT[key] = ids
            while len(_KEPT) > 16:
                _KEPT.popitem(last=False)
    return ids


#: Kept case ids of filtered logs that are not held (a notebook's metrics on one filtered log), a few.
_KEPT: OrderedDict[tuple[str, str], pa.Array] = OrderedDict()


def filtered_table(log: StoredLog, columns: Sequence[str] | None) -> pa.Table:
    """The rows of a filtered stored log (``columns`` of the Parquet that exist; all when None)."""
    held = _held(log.base)
    if held is not None:
        table = held.table
        mask = keep_mask(log)
        if mask is not None:  # cases contiguous: each kept case's rows, without matching a million ids
            rows = np.repeat(mask, np.diff(_runs(held)))
            if columns is not None:
                table = table.select([c for c in columns if c in table.column_names])
            return table.filter(pa.array(rows))
    else:
        names = pq.read_schema(log.path).names
        table = pq.read_table(log.path, columns=None if columns is None else [c for c in columns if c in names])
    if columns is not None:
        table = table.select([c for c in columns if c in table.column_names])
    return table.filter(pc.is_in(table.column(CASE), value_set=kept_case_ids(log)))


def case_rows(log: StoredLog, case: str) -> pa.Table | None:
    """The stored rows of one case of a held log, a slice of the held table in store order (no rows when
    the version has no such case); None when the log is not held or its cases are not contiguous: then
    only a scan finds them. A case page reads one case of a million events in microseconds."""
    held = _held(log.base)
    if held is None or OPENER.get() is not None:
        return None
    ids = case_ids(log.base)
    if len(ids) != held.n_cases:
        return None
    runs = _runs(held)
    i = pc.index(ids, pa.scalar(case, ids.type)).as_py() if len(ids) else -1
    if i < 0:
        return held.table.slice(0, 0)
    return held.table.slice(int(runs[i]), int(runs[i + 1] - runs[i]))


def _runs(held: _Held) -> np.ndarray:
    """Where each case's rows begin in the held table, and its row count last (cases contiguous)."""
    if held.runs is None:  # computed once per version (a benign race computes the same array twice)
        col = held.table.column(CASE).combine_chunks()
        heads = np.flatnonzero(pc.not_equal(col.slice(1), col.slice(0, len(col) - 1)).to_numpy(
            zero_copy_only=False)) + 1 if len(col) > 1 else np.array([], dtype=np.int64)
        held.runs = np.concatenate([[0], heads, [len(col)]]).astype(np.int64) if len(col) else np.zeros(1, np.int64)
    return held.runs


def latest_time(log: StoredLog) -> object:
    """The latest completion or start a held log's version holds (None: not held)."""
    held = _held(log.base)
    if held is None:
        return None
    if held.latest is None:
        names = held.table.column_names
        present = [v for v in (pc.max(held.table.column(c)).as_py() for c in (TIMESTAMP, START) if c in names)
                   if v is not None]
        held.latest = (max(present) if present else None,)
    return held.latest[0]


_CASE_IDS: Recent[pa.Array] = Recent(MAX_HELD)  # per version path (immutable): a few recent ones


def case_ids(log: StoredLog) -> pa.Array:
    """The case ids of a stored log in store order, one per case (the fast path's case index order)."""
    return _CASE_IDS.get(log.base.path, lambda: _case_ids(log))


def _case_ids(log: StoredLog) -> pa.Array:
    held = _held(log.base)
    col = (held.table.column(CASE) if held is not None else pq.read_table(log.base.path, columns=[CASE])
           .column(CASE)).combine_chunks()
    if len(col) == 0:
        return col
    heads = pc.not_equal(col.slice(1), col.slice(0, len(col) - 1))
    idx = pc.indices_nonzero(heads)
    return pa.concat_arrays([col.slice(0, 1), col.take(pc.add(idx, 1))])

