"""The fast path of the profile: one compiled pass over case-sorted columns (numba), same numbers as SQL.

The columns are a **cache** of the stored log in the order the store keeps it (case, timestamp,
event_id): activities and currencies as dictionary codes, timestamps as int64 microseconds (null start
= ``NULL_US``), cost as float64. For a stored log the cache is an Arrow IPC file beside the live
version's Parquet (``analytics-cache.arrow``), written once atomically and memory-mapped afterwards; a
version is immutable, so the cache never goes stale, and it is removed with its version. Where the
version directory is not writable the cache is built in memory each time.

The relations are the SQL's (``_sql``): the enabling completion is found by walking back from the
previous instance while completions are later than the start. The contract test
``tests/test_analytics_fast.py`` keeps :func:`profile_fast` equal to the SQL profile.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.ipc as ipc

from flowmine._schema import ACTIVITY, CASE, COST, CURRENCY, EVENT_ID, START, TIMESTAMP
from flowmine.analytics._bootstrap import bootstrap_totals
from flowmine.analytics._bottlenecks import EDGE_SEP
from flowmine.analytics._common import utc_periods
from flowmine.analytics._log import LogLike, StoredLog, as_table

NULL_US = np.iinfo(np.int64).min
CACHE = "analytics-cache.arrow"
_CACHE_VERSION = "1"

try:  # numba is optional: without it, profile(engine="auto") uses SQL
    import numba

    _NUMBA = True
except ImportError:  # pragma: no cover
    _NUMBA = False


def available() -> bool:
    """Whether the compiled fast path can run (numba importable)."""
    return _NUMBA


# --- cache ---------------------------------------------------------------------------------------
def _codes(col: pa.ChunkedArray) -> tuple[np.ndarray, list[str]]:
    enc = col.combine_chunks().dictionary_encode()
    return (pc.fill_null(enc.indices, -1).to_numpy().astype(np.int32), enc.dictionary.to_pylist())


def build_columns(table: pa.Table) -> pa.Table:
    """Case-sorted coded columns (the cache's content) from a canonical table."""
    table = table.filter(pc.is_valid(table.column(TIMESTAMP)))
    order = pc.sort_indices(table, sort_keys=[(CASE, "ascending"), (TIMESTAMP, "ascending"), (EVENT_ID, "ascending")])
    table = table.take(order)
    case = table.column(CASE).combine_chunks()
    new = np.ones(len(case), dtype=bool)
    if len(case) > 1:
        new[1:] = pc.not_equal(case.slice(1), case.slice(0, len(case) - 1)).to_numpy(zero_copy_only=False)
    case_idx = (np.cumsum(new) - 1).astype(np.int32)
    act, acts = _codes(table.column(ACTIVITY))
    cur, curs = _codes(table.column(CURRENCY))
    c = table.column(TIMESTAMP).combine_chunks().cast(pa.int64()).to_numpy(zero_copy_only=False)
    s = pc.fill_null(table.column(START).combine_chunks().cast(pa.int64()), NULL_US).to_numpy(zero_copy_only=False)
    cost = table.column(COST).combine_chunks().to_numpy(zero_copy_only=False).astype(np.float64)
    meta = {b"activities": json.dumps(acts).encode(), b"currencies": json.dumps(curs).encode(),
            b"version": _CACHE_VERSION.encode()}
    out = pa.table({"case": case_idx, "act": act, "c": c, "s": s, "cost": cost, "cur": cur})
    return out.replace_schema_metadata(meta)


def load_columns(log: LogLike) -> pa.Table:
    """The coded columns of ``log``: from the cache for a stored log (built on first use), else built."""
    if not isinstance(log, StoredLog):
        return build_columns(as_table(log))
    path = Path(log.path).with_name(CACHE)
    if path.exists():
        table = ipc.open_file(pa.memory_map(str(path))).read_all()
        if (table.schema.metadata or {}).get(b"version") == _CACHE_VERSION.encode():
            return table
    table = build_columns(as_table(log))
    tmp = path.with_name(f".{CACHE}.{os.getpid()}")
    with contextlib.suppress(OSError):  # a read-only store: keep the table in memory
        with pa.OSFile(str(tmp), "wb") as sink, ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table)
        os.replace(tmp, path)
    with contextlib.suppress(OSError):
        tmp.unlink()
    return table


# --- the compiled pass ---------------------------------------------------------------------------
def _pass(case: np.ndarray, act: np.ndarray, c: np.ndarray, s: np.ndarray, n_act: int, n_cases: int,
          ) -> tuple[np.ndarray, ...]:
    n = case.shape[0]
    waiting = np.full(n, np.nan)
    service = np.full(n, np.nan)
    sojourn = np.full(n, np.nan)
    edge = np.full(n, np.nan)
    edge_code = np.full(n, -1, np.int64)
    rep = np.zeros(n, np.int32)
    case_start = np.zeros(n_cases, np.int64)
    case_end = np.zeros(n_cases, np.int64)
    h1 = np.zeros(n_cases, np.uint64)
    h2 = np.zeros(n_cases, np.uint64)
    seen = np.zeros(n_act, np.int32)
    stamp = np.full(n_act, -1, np.int64)
    first = 0
    for i in range(n):
        k = case[i]
        if i == 0 or k != case[i - 1]:
            first = i
            case_start[k] = c[i] if s[i] == NULL_US else min(s[i], c[i])
            h1[k] = np.uint64(1469598103934665603)
            h2[k] = np.uint64(7)
        else:
            st = c[i] if s[i] == NULL_US else s[i]
            if st < case_start[k]:
                case_start[k] = st
        case_end[k] = c[i]
        a = act[i]
        h1[k] = (h1[k] ^ np.uint64(a + 1)) * np.uint64(1099511628211)
        h2[k] = h2[k] * np.uint64(31) + np.uint64(a + 1)
        if stamp[a] != k:
            stamp[a] = k
            seen[a] = 0
        seen[a] += 1
        rep[i] = seen[a]
        if s[i] != NULL_US:
            service[i] = (c[i] - s[i]) / 1e6
        if i > first:
            p = i - 1
            sojourn[i] = (c[i] - c[p]) / 1e6
            st = c[i] if s[i] == NULL_US else s[i]
            edge[i] = (max(st, c[p]) - c[p]) / 1e6
            edge_code[i] = act[p] * n_act + a
            if s[i] != NULL_US:
                j = p
                while j >= first and c[j] > s[i]:
                    j -= 1
                if j >= first:
                    waiting[i] = (s[i] - c[j]) / 1e6
    return waiting, service, sojourn, edge, edge_code, rep, case_start, case_end, h1, h2


_kernel: Any = numba.njit(cache=True, nogil=True)(_pass) if _NUMBA else _pass


# --- aggregates ----------------------------------------------------------------------------------
def _group_stats(codes: np.ndarray, values: np.ndarray, n_groups: int) -> dict[str, np.ndarray]:
    """count / sum / median / p90 / cases-free stats of non-NaN ``values`` per code (-1 ignored)."""
    ok = (codes >= 0) & ~np.isnan(values)
    codes, values = codes[ok], values[ok]
    count = np.bincount(codes, minlength=n_groups)
    total = np.bincount(codes, weights=values, minlength=n_groups)
    order = np.argsort(codes, kind="stable")
    v = values[order]
    bounds = np.concatenate([[0], np.cumsum(count)])
    med = np.full(n_groups, np.nan)
    p90 = np.full(n_groups, np.nan)
    for g in np.flatnonzero(count):
        med[g], p90[g] = np.quantile(v[bounds[g]:bounds[g + 1]], [0.5, 0.9])
    return {"count": count, "total": total, "median": med, "p90": p90}


def _distinct_pass(codes: np.ndarray, case: np.ndarray, n_groups: int) -> np.ndarray:
    count = np.zeros(n_groups, np.int64)
    stamp = np.full(n_groups, -1, np.int64)
    for i in range(codes.shape[0]):
        g = codes[i]
        if g >= 0 and stamp[g] != case[i]:
            stamp[g] = case[i]
            count[g] += 1
    return count


_distinct: Any = numba.njit(cache=True, nogil=True)(_distinct_pass) if _NUMBA else _distinct_pass


def _distinct_cases(codes: np.ndarray, case: np.ndarray, n_groups: int) -> np.ndarray:
    """Distinct cases per group code (-1 ignored); ``case`` must be sorted (it is: the cache's order)."""
    return np.asarray(_distinct(np.ascontiguousarray(codes), np.ascontiguousarray(case), n_groups))


def profile_fast(log: LogLike, process: str, by: str | None = None, n_boot: int = 1000, seed: int = 0,
                 top: int = 10) -> dict[str, Any]:
    """The profile computed by the compiled pass (see :func:`flowmine.analytics.profile`)."""
    from flowmine.analytics._profile import _periods_sql, assemble

    cols = load_columns(log)
    meta = cols.schema.metadata or {}
    acts: list[str] = json.loads(meta[b"activities"])
    curs: list[str] = json.loads(meta[b"currencies"])
    case = cols.column("case").to_numpy()
    act = cols.column("act").to_numpy()
    c, s = cols.column("c").to_numpy(), cols.column("s").to_numpy()
    cost, cur = cols.column("cost").to_numpy(), cols.column("cur").to_numpy()
    n, na = len(case), len(acts)
    n_cases = int(case[-1]) + 1 if n else 0
    waiting, service, sojourn, edge, edge_code, rep, cstart, cend, h1, h2 = _kernel(case, act, c, s, na, n_cases)
    through = (cend - cstart) / 1e6
    basis = "waiting" if bool((s != NULL_US).any()) else "sojourn"
    total = float(through.sum()) if n_cases else 0.0
    n_variants = len(np.unique(np.stack([h1, h2], axis=1), axis=0)) if n_cases else 0

    cases_per_act = _distinct_cases(act, case, na)
    rework_cases = np.bincount(act[rep == 2], minlength=na)
    st_service, st_wait = _group_stats(act, service, na), _group_stats(act, waiting, na)
    st_soj = _group_stats(act, sojourn, na)
    has_cost = ~np.isnan(cost)
    cost_total = np.bincount(act[has_cost], weights=cost[has_cost], minlength=na)
    nc = len(curs) + 1  # currency codes + "none"
    pairs = np.bincount(act[has_cost].astype(np.int64) * nc + cur[has_cost] + 1, minlength=na * nc).reshape(na, nc)
    cur_sets = [np.flatnonzero(pairs[a]) - 1 for a in range(na)]
    activities = pd.DataFrame({
        "activity": acts, "count": np.bincount(act, minlength=na), "cases": cases_per_act,
        "service_time_median_s": st_service["median"], "waiting_time_median_s": st_wait["median"],
        "sojourn_time_median_s": st_soj["median"],
        "cost_total": [cost_total[a] if len(cur_sets[a]) == 1 and cur_sets[a][0] >= 0
                       else np.nan for a in range(na)],
        "cost_currency": [curs[int(cur_sets[a][0])] if len(cur_sets[a]) == 1 and cur_sets[a][0] >= 0 else None
                          for a in range(na)],
        "rework_rate": np.where(cases_per_act > 0, rework_cases / np.maximum(cases_per_act, 1), np.nan)})
    activities = activities[activities["count"] > 0]

    ne = na * na
    st_edge = _group_stats(edge_code, edge, ne)
    live = np.flatnonzero(st_edge["count"])
    edges = pd.DataFrame({"source": [acts[e // na] for e in live], "target": [acts[e % na] for e in live],
                          "count": st_edge["count"][live], "duration_mean_s": st_edge["total"][live]
                          / st_edge["count"][live], "duration_median_s": st_edge["median"][live],
                          "duration_p90_s": st_edge["p90"][live]})

    rows = []
    for kind, codes, values, names in (
            ("activity", act, waiting if basis == "waiting" else sojourn, acts),
            ("edge", edge_code, edge, [f"{acts[e // na]}{EDGE_SEP}{acts[e % na]}" for e in range(ne)])):
        st = _group_stats(codes, values, len(names))
        ok = (codes >= 0) & ~np.isnan(values)
        present = np.flatnonzero(st["count"])
        order = sorted(present, key=lambda g: names[g])
        item_of = np.full(len(names), -1, np.int64)
        item_of[order] = np.arange(len(order))
        low, high = bootstrap_totals(case[ok].astype(np.int64), item_of[codes[ok]], values[ok], n_cases, len(order),
                                     n_boot=n_boot, seed=seed)
        rows.append(pd.DataFrame({
            "kind": kind, "name": [names[g] for g in order], "waiting_total_s": st["total"][order],
            "waiting_median_s": st["median"][order], "cases": _distinct_cases(codes[ok], case[ok], len(names))[order],
            "ci_low_s": low, "ci_high_s": high}))
    bn = pd.concat(rows, ignore_index=True)
    bn["share"] = bn["waiting_total_s"] / total if total > 0 else np.nan

    periods = None
    if by is not None:
        con = duckdb.connect()
        try:
            con.register("cases", pa.table({"start_us": cstart, "end_us": cend, "throughput_us": cend - cstart}))
            periods = utc_periods(con.sql(_periods_sql(by)).to_arrow_table().to_pandas())
        finally:
            con.close()
    durations = {"median": float(np.median(through)) if n_cases else None,
                 "mean": float(through.mean()) if n_cases else None,
                 "p90": float(np.quantile(through, 0.9)) if n_cases else None}
    return assemble(process, "fast", basis, n_cases, n, n_variants, durations, activities, edges, bn, periods, top)
