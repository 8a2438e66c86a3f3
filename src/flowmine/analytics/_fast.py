"""The fast path of the profile: compiled passes over case-sorted columns (numba), same numbers as SQL.

The columns are a **cache** of the stored log in the canonical order the store keeps it (case, instance
time, completion, event_id: ``SORT_KEYS``): activities and currencies as dictionary codes, timestamps
as int64 microseconds (unknown = ``NULL_US``: an open instance's completion, a missing start or ready
time), time suspended as int64 µs (0 where none), cost as float64. For a stored log the cache is an
Arrow IPC file beside the live
version's Parquet (``analytics-cache.arrow``), written once atomically and memory-mapped afterwards; a
version is immutable, so the cache never goes stale, and it is removed with its version. Where the
version directory is not writable the cache is built in memory each time. The process keeps the last
few opened caches (their memory maps) so a warm profile neither re-reads nor converts anything.

The kernels are in ``_kernels``. The contract test ``tests/test_analytics_fast.py`` keeps
:func:`profile_fast` equal to the SQL profile.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.ipc as ipc

from flowmine._schema import ACTIVITY, CASE, COST, CURRENCY, EVENT_ID, PAUSED, READY, START, TIMESTAMP
from flowmine.analytics import _kernels as K
from flowmine.analytics._bootstrap import case_batches, intervals
from flowmine.analytics._common import EDGE_SEP, utc_periods
from flowmine.analytics._log import LogLike, StoredLog
from flowmine.analytics._map_kernel import map_pass
from flowmine.analytics._recent import Recent
from flowmine.analytics._sql import scratch
from flowmine.analytics._table import as_table
from flowmine.errors import TooManyActivitiesError

NULL_US = K.NULL_US
CACHE = "analytics-cache.arrow"
_CACHE_VERSION = "2"  # 2: canonical order by start; ready, paused, previous-completion columns; open instances
_CACHE_COLUMNS = (EVENT_ID, CASE, ACTIVITY, TIMESTAMP, START, READY, PAUSED, COST, CURRENCY)
#: Above this many distinct activities the per-edge-code arrays (activities², per chunk) get large: the
#: fast path refuses (:class:`TooManyActivitiesError`) and ``auto`` (profile, process map) takes SQL.
MAX_ACTIVITIES = 2048



def available() -> bool:
    """Whether the compiled fast path can run (numba importable)."""
    return K.NUMBA


def _check_width(col: Columns) -> None:
    if len(col.activities) > MAX_ACTIVITIES:
        raise TooManyActivitiesError(
            f"the fast engine handles at most {MAX_ACTIVITIES:,} distinct activities; this log has "
            f"{len(col.activities):,} (use engine 'sql')")


# --- cache ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Columns:
    """The coded columns (numpy views of the cache) and the names behind the codes."""

    case: np.ndarray  # int32 case index, 0.. in case-id order (SQL's ORDER BY "case")
    act: np.ndarray  # int32 activity code
    c: np.ndarray  # int64 completion, µs (NULL_US: unknown, an open instance)
    s: np.ndarray  # int64 start, µs (NULL_US: unknown)
    r: np.ndarray  # int64 ready time, µs (NULL_US: unknown)
    p: np.ndarray  # int64 µs suspended (0: none)
    pd: np.ndarray  # int64 previous completion in the case in completion order, µs (NULL_US: none)
    cost: np.ndarray  # float64 (NaN: none)
    cur: np.ndarray  # int32 currency code (-1: none)
    activities: list[str]
    currencies: list[str]

    @classmethod
    def of(cls, table: pa.Table) -> Columns:
        meta = table.schema.metadata or {}
        cols = {name: table.column(name).to_numpy()
                for name in ("case", "act", "c", "s", "r", "p", "pd", "cost", "cur")}
        return cls(**cols, activities=json.loads(meta[b"activities"]), currencies=json.loads(meta[b"currencies"]))


def _codes(col: pa.ChunkedArray) -> tuple[np.ndarray, list[str]]:
    enc = col.combine_chunks().dictionary_encode()
    return (pc.fill_null(enc.indices, -1).to_numpy().astype(np.int32), enc.dictionary.to_pylist())


def _case_runs(case: pa.Array) -> np.ndarray:
    """Run index of every row (a new run wherever the case id changes)."""
    new = np.ones(len(case), dtype=bool)
    if len(case) > 1:
        new[1:] = pc.not_equal(case.slice(1), case.slice(0, len(case) - 1)).to_numpy(zero_copy_only=False)
    return (np.cumsum(new) - 1).astype(np.int32)


def _us(col: pa.ChunkedArray) -> np.ndarray:
    """int64 µs of a timestamp column, ``NULL_US`` where null."""
    return pc.fill_null(col.combine_chunks().cast(pa.int64()), NULL_US).to_numpy(zero_copy_only=False)


def _prev_done(runs: np.ndarray, c: np.ndarray, eid: np.ndarray) -> np.ndarray:
    """Per row, the previous completion of its case in completion order (completion, event_id; unknown
    last), ``NULL_US`` for the first: the sojourn's origin. Without starts the canonical order is the
    completion order and this is the previous row's completion (no sort needed)."""
    n = len(c)
    out = np.full(n, NULL_US, np.int64)
    if n < 2:
        return out
    same = runs[1:] == runs[:-1]
    if not bool(np.any(c == NULL_US)) and \
            bool(np.all(~same | (c[1:] > c[:-1]) | ((c[1:] == c[:-1]) & (eid[1:] > eid[:-1])))):
        out[1:] = np.where(same, c[:-1], NULL_US)
        return out
    o = np.lexsort((eid, np.where(c == NULL_US, np.iinfo(np.int64).max, c), runs))
    cs, rs = c[o], runs[o]
    tmp = np.full(n, NULL_US, np.int64)
    tmp[1:] = np.where(rs[1:] == rs[:-1], cs[:-1], NULL_US)
    out[o] = tmp
    return out


def _in_store_order(case: pa.Array, runs: np.ndarray, key: np.ndarray, c: np.ndarray, eid: np.ndarray) -> bool:
    """Whether the rows are already in the store's order: case runs strictly increasing (so each case
    is one run, in case-id order) and each run in the canonical order (instance time, completion,
    event_id)."""
    if len(case) < 2:
        return True
    heads = case.take(pa.array(np.flatnonzero(np.diff(runs, prepend=-1))))
    if len(heads) > 1 and not pc.all(pc.less(heads.slice(0, len(heads) - 1), heads.slice(1))).as_py():
        return False
    return bool(K.grouped_in_order(runs, key, c, eid))


def build_columns(table: pa.Table) -> pa.Table:
    """Case-sorted coded columns (the cache's content) from a canonical table.

    A stored log is already in the canonical order: that is checked in one pass, and only a log in
    another order is sorted. Instances without any time (none can be stored) are left out."""
    for name in (START, READY, PAUSED):
        if name not in table.column_names:  # a store written before the column existed: all null
            kind = pa.int64() if name == PAUSED else pa.timestamp("us", tz="UTC")
            table = table.append_column(name, pa.nulls(table.num_rows, kind))
    known = pc.is_valid(pc.coalesce(table.column(START), table.column(TIMESTAMP), table.column(READY)))
    if not pc.all(known).as_py():
        table = table.filter(known)
    c, s, r = _us(table.column(TIMESTAMP)), _us(table.column(START)), _us(table.column(READY))
    key = np.where(s != NULL_US, s, np.where(c != NULL_US, c, r))
    eid = table.column(EVENT_ID).combine_chunks().cast(pa.int64()).to_numpy(zero_copy_only=False)
    case = table.column(CASE).combine_chunks()
    runs = _case_runs(case)
    if not _in_store_order(case, runs, key, c, eid):
        keys = pa.table({"case": case, "key": key, "c": np.where(c == NULL_US, np.iinfo(np.int64).max, c),
                         "e": eid})
        order = pc.sort_indices(keys, sort_keys=[("case", "ascending"), ("key", "ascending"), ("c", "ascending"),
                                                 ("e", "ascending")]).to_numpy()
        table = table.take(pa.array(order))
        c, s, r, eid = c[order], s[order], r[order], eid[order]
        runs = _case_runs(table.column(CASE).combine_chunks())
    eid_sorted = eid
    act, acts = _codes(table.column(ACTIVITY))
    cur, curs = _codes(table.column(CURRENCY))
    paused = pc.fill_null(table.column(PAUSED).combine_chunks().cast(pa.int64()), 0).to_numpy(zero_copy_only=False)
    cost = table.column(COST).combine_chunks().to_numpy(zero_copy_only=False).astype(np.float64)
    meta = {b"activities": json.dumps(acts).encode(), b"currencies": json.dumps(curs).encode(),
            b"version": _CACHE_VERSION.encode()}
    out = pa.table({"case": runs, "act": act, "c": c, "s": s, "r": r, "p": paused,
                    "pd": _prev_done(runs, c, eid_sorted),
                    "cost": cost, "cur": cur})
    return out.replace_schema_metadata(meta)


_OPEN: OrderedDict[tuple[str, int, int], Columns] = OrderedDict()  # the last few opened caches


def _open_cache(path: Path) -> Columns | None:
    try:
        st = path.stat()
    except OSError:
        return None
    key = (str(path), st.st_ino, st.st_mtime_ns)
    if key in _OPEN:
        _OPEN.move_to_end(key)
        return _OPEN[key]
    from flowmine.analytics._stamp import cache_intact

    if not cache_intact(path):  # damaged, stale or unstamped: rebuilt from the events, never trusted
        return None
    table = ipc.open_file(pa.memory_map(str(path))).read_all()
    if (table.schema.metadata or {}).get(b"version") != _CACHE_VERSION.encode():
        return None
    cols = Columns.of(table)
    _OPEN[key] = cols
    while len(_OPEN) > 4:
        _OPEN.popitem(last=False)
    return cols


def _nbytes(col: Columns) -> int:
    return sum(getattr(col, f).nbytes for f in ("case", "act", "c", "s", "r", "p", "pd", "cost", "cur"))


#: The last filtered columns, by version and kept cases: a page's profile, bottlenecks and map of one
#: filter (and the next page's) restrict the cache once (at most 256 MB of them).
_SUBSETS: Recent[Columns] = Recent(16, weigh=_nbytes, budget=256 << 20)


def subset(col: Columns, keep: np.ndarray) -> Columns:
    """The columns of the cases where ``keep`` (bool per case index) holds, cases renumbered 0.."""
    rows = keep[col.case]
    index = (np.cumsum(keep) - 1).astype(np.int32)
    out = Columns(case=index[col.case[rows]], act=col.act[rows], c=col.c[rows], s=col.s[rows], r=col.r[rows],
                  p=col.p[rows], pd=col.pd[rows], cost=col.cost[rows], cur=col.cur[rows],
                  activities=col.activities, currencies=col.currencies)
    for name in ("case", "act", "c", "s", "r", "p", "pd", "cost", "cur"):
        getattr(out, name).setflags(write=False)  # shared by later callers (remembered), as the cache is
    return out


def load_columns(log: LogLike) -> Columns:
    """The coded columns of ``log``: from the cache for a stored log (built on first use), else built.

    A stored log with filters is its base's cache restricted to the kept cases (a case mask: the
    filters run in SQL, the same ``kept_cases`` as every engine)."""
    if isinstance(log, StoredLog) and log.filters:
        from flowmine.analytics._held import case_ids, keep_mask, kept_case_ids

        col = load_columns(log.base)
        ids = case_ids(log.base)
        n_cases = int(col.case[-1]) + 1 if len(col.case) else 0
        if len(ids) != n_cases:  # not in store order: take the filtered rows instead
            return Columns.of(build_columns(as_table(log, columns=_CACHE_COLUMNS)))
        keep = keep_mask(log)
        if keep is None:
            keep = pc.is_in(ids, value_set=kept_case_ids(log)).to_numpy(zero_copy_only=False)
        key = (log.base.path, hashlib.blake2b(np.packbits(keep).tobytes(), digest_size=16).digest())
        return _SUBSETS.get(key, lambda: subset(col, keep))
    if not isinstance(log, StoredLog):
        return Columns.of(build_columns(as_table(log, columns=_CACHE_COLUMNS)))
    path = Path(log.path).with_name(CACHE)
    cols = _open_cache(path)
    if cols is not None:
        return cols
    table = build_columns(as_table(log, columns=_CACHE_COLUMNS))
    from flowmine.analytics._stamp import write_stamped

    write_stamped(path, table)  # a read-only store: the table is kept in memory
    return _open_cache(path) or Columns.of(table)


# --- the profile ---------------------------------------------------------------------------------

_POOL: list[np.ndarray] = []  # duration buffers kept for the next profile: reused memory has no page faults
_POOL_LOCK = threading.Lock()


@contextlib.contextmanager
def _scratch(size: int) -> Iterator[np.ndarray]:
    """An int64 buffer of ``size`` (taken from the pool, so concurrent profiles never share one)."""
    with _POOL_LOCK:
        fits = [i for i, b in enumerate(_POOL) if b.shape[0] >= size]
        buf = _POOL.pop(fits[0]) if fits else None  # the pool is sorted by size: the smallest that fits
    if buf is None:
        buf = np.empty(max(size, 1), np.int64)
    try:
        yield buf[:size]
    finally:
        with _POOL_LOCK:
            _POOL.append(buf)
            _POOL.sort(key=len)
            del _POOL[:-2]  # keep the two largest


def _one_currency(per_chunk: np.ndarray) -> np.ndarray:
    """Merge the per-chunk currency of each activity: the one non-null currency, -1 none, -2 several."""
    out = np.full(per_chunk.shape[1], -1, np.int64)
    for row in per_chunk:
        clash = (row != -1) & (out != -1) & (row != out)
        out = np.where(out == -1, row, np.where(clash, -2, out))
    return out


def _stats(buf: np.ndarray, offsets: np.ndarray, lo: int, hi: int, p90: bool) -> tuple[np.ndarray, ...]:
    return K.slice_stats(buf[offsets[lo]:offsets[hi]], offsets[lo:hi + 1] - offsets[lo], p90)


def _bottleneck_rows(kind: str, names: list[str], count: np.ndarray, total: np.ndarray, med: np.ndarray,
                     cases: np.ndarray, bsum: np.ndarray, state: dict[str, Any] | None,
                     n_boot: int, p90: np.ndarray | None = None, basis: str = "edge",
                     confidence: float = 0.95) -> pd.DataFrame:
    """One kind's rows of ``bottlenecks`` (the profile reads the columns it lists), items sorted by name."""
    present = np.flatnonzero(count)
    order = np.asarray(sorted(present, key=lambda g: names[g]), dtype=np.int64)
    if state is not None and len(order):
        low, high = intervals(np.ascontiguousarray(bsum[:, order]), state, n_boot=n_boot, confidence=confidence)
    else:
        low = high = np.full(len(order), np.nan)
    n = count[order].astype(np.int64)
    return pd.DataFrame({"kind": kind, "name": [names[g] for g in order], "basis": basis,
                         "waiting_total_s": total[order], "share": np.nan,
                         "waiting_mean_s": total[order] / np.maximum(n, 1),
                         "waiting_median_s": med[order],
                         "waiting_p90_s": p90[order] if p90 is not None else np.nan,
                         "instances": n, "cases": cases[order].astype(np.int64), "ci_low_s": low,
                         "ci_high_s": high})


def bottlenecks_fast(log: LogLike, kind: str, n_boot: int, seed: int, confidence: float) -> pd.DataFrame:
    """The rows of :func:`flowmine.analytics.bottlenecks` (before ranking) from the compiled passes: the
    same totals, mean, median, p90, instances, cases and seeded bootstrap intervals as its SQL (cases
    dealt into the same batches: case index in case-id order, the same generator)."""
    col = load_columns(log)
    x = _passes(col, n_boot, seed, p90_steps=True)
    acts, na = col.activities, len(col.activities)
    frames = []
    if kind in ("activity", "both"):
        b = na if x.basis == "waiting" else 2 * na
        frames.append(_bottleneck_rows("activity", acts, x.counts[b:b + na], x.total[b:b + na], x.med[b:b + na],
                                       x.cases[b:b + na], x.bsum_act, x.state, n_boot, x.p90[b:b + na], x.basis,
                                       confidence))
    if kind in ("edge", "both"):
        e0 = K.N_ACT_GROUPS * na
        names = [f"{acts[a]}{EDGE_SEP}{acts[t]}" for a, t in zip(x.live // na, x.live % na, strict=True)]
        frames.append(_bottleneck_rows("edge", names, x.counts[e0:], x.e_total, x.e_med, x.cases[e0:], x.bsum_edge,
                                       x.state, n_boot, x.e_p90, "edge", confidence))
    return pd.concat(frames, ignore_index=True)


#: What :func:`profile_fast` returns: basis, cases, events, variants, durations, activities, edges,
#: bottleneck rows, periods (``_profile.assemble``'s arguments after the process and engine names).
FastParts = tuple[str, int, int, int, dict[str, float | None], pd.DataFrame, pd.DataFrame, pd.DataFrame,
                  pd.DataFrame | None]


@dataclass(frozen=True)
class _Passes:
    """What the two compiled passes give (``count_pass``, ``fill_pass``) and the statistics of every
    duration group: the profile's and the bottlenecks' common ground."""

    n_cases: int
    first: np.ndarray  # each case's first row
    cstart: np.ndarray  # each case's start, µs
    cend: np.ndarray  # each case's end, µs
    chash: np.ndarray  # each case's trace hash
    act_n: np.ndarray  # (instances, cases, rework cases, ...) per activity
    cost_total: np.ndarray
    cost_cur: np.ndarray
    edge_n: np.ndarray  # instances per edge code (source * activities + target)
    basis: str  # "waiting" or "sojourn"
    live: np.ndarray  # the edge codes that occur
    counts: np.ndarray  # known durations per group (service, waiting, sojourn, queue per activity; edges)
    cases: np.ndarray  # distinct cases per group of the bottleneck streams (basis per activity; edges)
    bsum_act: np.ndarray  # (batch, activity) totals (s) of the basis
    bsum_edge: np.ndarray  # (batch, edge) totals (s)
    state: dict[str, Any] | None  # the bootstrap's generator state after dealing (None: no bootstrap)
    total: np.ndarray  # per activity group: total (s)
    med: np.ndarray  # median (s)
    p90: np.ndarray  # p90 (s; NaN unless asked for)
    e_total: np.ndarray  # per live edge: total, median, p90 (s)
    e_med: np.ndarray
    e_p90: np.ndarray


def _passes(col: Columns, n_boot: int, seed: int, p90_steps: bool) -> _Passes:
    """Both compiled passes over ``col`` and the statistics of each group (``p90_steps``: also the
    steps' p90; the edges' always)."""
    _check_width(col)
    na = len(col.activities)
    n = len(col.case)
    n_cases = int(col.case[-1]) + 1 if n else 0
    # the needles in the cases' own dtype: int64 needles would make numpy cast all of ``col.case`` first
    # (a copy of every row: 1.8 s of a 50M-event profile)
    cuts = np.linspace(0, n_cases, K.CHUNKS + 1).astype(np.int64)
    bounds = np.searchsorted(col.case, cuts.astype(col.case.dtype) if n_cases < 2**31 else cuts).astype(np.int64)
    with K.threads_for(n):
        first, cstart, cend, chash, act_h, cost_h, cur_h, edge_h, edge_dh = K.count_pass(
            col.case, col.act, col.c, col.s, col.r, col.pd, col.cost, col.cur, na, n_cases, bounds)
    act_n, cost_total, edge_n = act_h.sum(axis=0), cost_h.sum(axis=0), edge_h.sum(axis=0)
    basis = "waiting" if np.any(col.s != NULL_US) else "sojourn"
    live = np.flatnonzero(edge_n)
    edge_id = np.full(na * na, -1, np.int64)
    edge_id[live] = np.arange(len(live))
    # (chunk, group): the known durations of each group (service, waiting, sojourn, queue, edges)
    per_chunk = np.concatenate([act_h[:, 3], act_h[:, 4], act_h[:, 5], act_h[:, 6], edge_dh[:, live]], axis=1)
    counts = per_chunk.sum(axis=0)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    starts = (offsets[:-1] + np.cumsum(per_chunk, axis=0) - per_chunk).astype(np.int64)
    boot = n_boot > 0 and n_cases > 0
    batch, g, state = case_batches(n_cases, seed) if boot else (np.zeros(1, np.int64), 0, None)
    with _scratch(int(offsets[-1])) as buf:
        with K.threads_for(n):
            cases, bsum_act, bsum_edge = K.fill_pass(col.case, col.act, col.c, col.s, col.r, col.p, col.pd, na, edge_id,
                                                     starts, buf, bounds, batch, g, 1 if basis == "waiting" else 2)
        e0 = K.N_ACT_GROUPS * na
        total, med, p90 = _stats(buf, offsets, 0, e0, p90_steps)
        e_total, e_med, e_p90 = _stats(buf, offsets, e0, e0 + len(live), True)
    return _Passes(n_cases, first, cstart, cend, chash, act_n, cost_total, _one_currency(cur_h), edge_n, basis, live,
                   counts, cases, bsum_act, bsum_edge, state if boot else None, total, med, p90, e_total, e_med, e_p90)


def profile_fast(log: LogLike, periods_sql: str | None = None, n_boot: int = 1000, seed: int = 0,
                 tz: str = "UTC") -> FastParts:
    """The profile's parts computed by the compiled passes (see :func:`flowmine.analytics.profile`):
    ``(basis, cases, events, variants, durations, activities, edges, bottleneck rows, periods)``, what
    ``_profile.assemble`` takes after the process and engine names. ``periods_sql``: the profile's
    query of the periods over ``cases`` (start_us, end_us, throughput_us), None for no periods."""
    col = load_columns(log)
    x = _passes(col, n_boot, seed, p90_steps=False)
    acts, curs = col.activities, col.currencies
    n, na, n_cases = len(col.case), len(acts), x.n_cases
    first, cstart, cend, chash = x.first, x.cstart, x.cend, x.chash
    act_n, cost_total, edge_n, cost_cur, basis, live = x.act_n, x.cost_total, x.edge_n, x.cost_cur, x.basis, x.live
    counts, cases, bsum_act, bsum_edge, state = x.counts, x.cases, x.bsum_act, x.bsum_edge, x.state
    boot = state is not None
    e0 = K.N_ACT_GROUPS * na
    total, med, e_total, e_med, e_p90 = x.total, x.med, x.e_total, x.e_med, x.e_p90
    known = (cstart != NULL_US) & (cend != NULL_US)  # a case without a known completion has no throughput time
    through = np.where(known, cend - cstart, 0)

    cases_per_act, rework_cases = act_n[1], act_n[2]
    one = cost_cur >= 0
    activities = pd.DataFrame({
        "activity": acts, "count": act_n[0], "cases": cases_per_act,
        "service_time_median_s": med[:na], "waiting_time_median_s": med[na:2 * na],
        "queue_time_median_s": med[3 * na:4 * na],
        "sojourn_time_median_s": med[2 * na:3 * na], "cost_total": np.where(one, cost_total, np.nan),
        "cost_currency": [curs[int(k)] if k >= 0 else None for k in cost_cur],
        "rework_rate": np.where(cases_per_act > 0, rework_cases / np.maximum(cases_per_act, 1), np.nan)})
    activities = activities[activities["count"] > 0]
    src, dst = live // na, live % na
    e_count = edge_n[live]
    e_known = counts[e0:]
    edges = pd.DataFrame({"source": [acts[a] for a in src], "target": [acts[b] for b in dst], "count": e_count,
                          "duration_mean_s": np.where(e_known > 0, e_total / np.maximum(e_known, 1), np.nan),
                          "duration_median_s": e_med, "duration_p90_s": e_p90})

    b = na if basis == "waiting" else 2 * na
    edge_names = [f"{acts[a]}{EDGE_SEP}{acts[t]}" for a, t in zip(src, dst, strict=True)]
    bn = pd.concat([
        _bottleneck_rows("activity", acts, counts[b:b + na], total[b:b + na], med[b:b + na], cases[b:b + na],
                         bsum_act, state if boot else None, n_boot),
        _bottleneck_rows("edge", edge_names, e_known, e_total, e_med, cases[e0:], bsum_edge,
                         state if boot else None, n_boot)], ignore_index=True)
    all_time = float(through.sum()) / 1e6 if n_cases else 0.0
    bn["share"] = bn["waiting_total_s"] / all_time if all_time > 0 else np.nan

    periods = None
    if periods_sql is not None:
        con = scratch()
        try:
            def us(v: np.ndarray, ok: np.ndarray) -> pa.Array:
                return pa.array(v, pa.int64(), mask=~ok)
            con.register("cases", pa.table({"start_us": us(cstart, cstart != NULL_US),
                                            "end_us": us(cend, cend != NULL_US),
                                            "throughput_us": us(through, known)}))
            periods = utc_periods(con.sql(periods_sql).to_arrow_table().to_pandas(), tz)
        finally:
            con.close()
    durations: dict[str, float | None] = {"median": None, "mean": None, "p90": None}
    n_known = int(known.sum())
    if n_known:
        _, d_med, d_p90 = K.slice_stats(through[known].copy(), np.array([0, n_known], np.int64), True)
        durations = {"median": float(d_med[0]), "mean": float(through.sum()) / 1e6 / n_known, "p90": float(d_p90[0])}
    n_variants = int(K.count_variants(col.act, first, chash)) if n_cases else 0
    return basis, n_cases, n, n_variants, durations, activities, edges, bn, periods


# --- the process map -----------------------------------------------------------------------------
def _slice_max(buf: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Per group slice ``buf[offsets[g]:offsets[g+1]]`` (microseconds): its maximum in seconds, NaN when empty."""
    sizes = np.diff(offsets)
    out = np.full(len(sizes), np.nan)
    full = np.flatnonzero(sizes > 0)
    if len(full):
        out[full] = np.maximum.reduceat(np.asarray(buf[:offsets[-1]], dtype=np.float64), offsets[:-1][full]) / 1e6
    return out


def map_frames(log: LogLike, activities: float) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, int]:
    """What :func:`flowmine.discovery.process_map` needs, from the compiled map pass over the cached
    columns: activity counts of the whole log (``a, n, c``: instances and cases, most frequent first),
    the directly-follows edges of the log projected on the ``ceil(activities * n)`` most frequent
    activities (``source, target, count, cases, duration_mean_s, duration_median_s, duration_p90_s,
    duration_total_s, duration_max_s``), the start and
    end counts (``side, activity, n``) and the number of cases in the projection. The same numbers as
    the map's SQL (a test keeps them equal)."""
    col = load_columns(log)
    _check_width(col)
    na = len(col.activities)
    names = np.asarray(col.activities, dtype=object)
    full = map_pass(col.case, col.act, col.c, col.s, np.ones(na, np.bool_), na)
    present = np.flatnonzero(full[0])
    order = sorted(present, key=lambda a: (-int(full[0][a]), str(names[a])))
    acts = pd.DataFrame({"a": [str(names[a]) for a in order], "n": full[0][order].astype(np.int64),
                         "c": full[1][order].astype(np.int64)})
    n_keep = max(1, int(np.ceil(activities * len(order)))) if len(order) else 0
    if n_keep < len(order):
        keep = np.zeros(na, np.bool_)
        keep[np.asarray(order[:n_keep], dtype=np.int64)] = True
        part = map_pass(col.case, col.act, col.c, col.s, keep, na)
    else:
        part = full
    _, _, edge_n, edge_cases, starts, ends, n_cases, buf, offsets = part
    live = np.flatnonzero(edge_n)
    total, med, p90 = K.slice_stats(buf, offsets, True)
    known = np.diff(offsets)[live]  # edges whose duration is known (not after an open instance)
    dfg = pd.DataFrame({"source": [str(names[e // na]) for e in live], "target": [str(names[e % na]) for e in live],
                        "count": edge_n[live], "cases": edge_cases[live],
                        "duration_mean_s": np.where(known > 0, total[live] / np.maximum(known, 1), np.nan),
                        "duration_median_s": med[live], "duration_p90_s": p90[live],
                        "duration_total_s": np.where(known > 0, total[live], np.nan),
                        "duration_max_s": _slice_max(buf, offsets)[live]})
    side = ([("start", a, starts[a]) for a in np.flatnonzero(starts)]
            + [("end", a, ends[a]) for a in np.flatnonzero(ends)])
    end_frame = pd.DataFrame({"side": [x[0] for x in side], "activity": [str(names[x[1]]) for x in side],
                              "n": np.asarray([x[2] for x in side], dtype=np.int64)})
    return acts, dfg, end_frame, int(n_cases)
