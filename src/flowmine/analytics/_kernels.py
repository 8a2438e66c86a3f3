"""Compiled kernels of the fast path (numba): two passes over case-sorted coded columns, then selection.

Everything stays in int64 microseconds and dictionary codes; nothing is sorted. Pass 1
(:func:`count_pass`) walks the events once and counts, per activity and per directly-follows code, how
many service / waiting / sojourn / edge durations are known, plus everything that is a plain sum or
count (cases, rework, cost, case start/end and a hash of each case's trace). Pass 2 (:func:`fill_pass`)
walks again and writes each known duration into its group's slice of a contiguous buffer (a counting
sort by group), with the distinct cases per group and the bootstrap batch totals. Medians and p90s are
then found per group slice by quickselect (:func:`slice_stats`, O(n) per group, groups in parallel),
interpolated linearly exactly as ``numpy.quantile`` and SQL ``quantile_cont`` do.

The relations are the SQL's (``_sql``): the enabling completion of a start is found by walking back
from the previous instance while completions are later than the start.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

NULL_US = np.iinfo(np.int64).min

try:  # numba is optional: without it, profile(engine="auto") uses SQL
    import numba

    NUMBA = True
    prange: Callable[..., Any] = numba.prange

    def _jit(parallel: bool = False) -> Callable[[Any], Any]:
        return numba.njit(cache=True, nogil=True, parallel=parallel)
except ImportError:  # pragma: no cover
    NUMBA = False
    prange = range

    def _jit(parallel: bool = False) -> Callable[[Any], Any]:
        return lambda f: f


@_jit()
def _enabling(c: np.ndarray, s_i: np.int64, i: int, first: int) -> int:
    """Index of the enabling instance of instance ``i`` (latest earlier completion not after its start)."""
    j = i - 1
    while j >= first and c[j] > s_i:
        j -= 1
    return j


@_jit()
def count_pass(case: np.ndarray, act: np.ndarray, c: np.ndarray, s: np.ndarray, cost: np.ndarray,
               cur: np.ndarray, n_act: int, n_cases: int) -> tuple[Any, ...]:
    """Per case: first index, start, end, trace hash; per activity: counts, cases, rework, known
    durations, cost; per edge code (``source * n_act + target``): occurrences."""
    n = case.shape[0]
    case_first = np.zeros(n_cases + 1, np.int64)
    case_start = np.zeros(n_cases, np.int64)
    case_end = np.zeros(n_cases, np.int64)
    case_hash = np.zeros(n_cases, np.uint64)
    # per activity: 0 count, 1 cases, 2 rework cases, 3 service known, 4 waiting known, 5 sojourn known
    act_n = np.zeros((6, n_act), np.int64)
    cost_total = np.zeros(n_act, np.float64)
    cost_cur = np.full(n_act, -1, np.int64)  # the one non-null currency seen; -2: several
    edge_n = np.zeros(n_act * n_act, np.int64)
    seen = np.zeros(n_act, np.int64)
    stamp = np.full(n_act, -1, np.int64)
    first = 0
    h = np.uint64(0)
    for i in range(n):
        k = case[i]
        a = act[i]
        st = c[i] if s[i] == NULL_US else s[i]
        if i == 0 or k != case[i - 1]:
            first = i
            case_first[k] = i
            case_start[k] = min(st, c[i])
            h = np.uint64(1469598103934665603)
        elif st < case_start[k]:
            case_start[k] = st
        case_end[k] = c[i]
        h = (h ^ np.uint64(a + 1)) * np.uint64(1099511628211)
        case_hash[k] = h
        act_n[0, a] += 1
        if stamp[a] != k:
            stamp[a] = k
            seen[a] = 0
        seen[a] += 1
        if seen[a] <= 2:
            act_n[seen[a], a] += 1
        if not np.isnan(cost[i]):
            cost_total[a] += cost[i]
            if cur[i] >= 0 and cost_cur[a] != cur[i]:
                cost_cur[a] = cur[i] if cost_cur[a] == -1 else -2
        if s[i] != NULL_US:
            act_n[3, a] += 1
        if i > first:
            act_n[5, a] += 1
            edge_n[act[i - 1] * n_act + a] += 1
            if s[i] != NULL_US and _enabling(c, s[i], i, first) >= first:
                act_n[4, a] += 1
    case_first[n_cases] = n
    return case_first, case_start, case_end, case_hash, act_n, cost_total, cost_cur, edge_n


@_jit()
def fill_pass(case: np.ndarray, act: np.ndarray, c: np.ndarray, s: np.ndarray, n_act: int, edge_id: np.ndarray,
              offsets: np.ndarray, batch: np.ndarray, n_batches: int, basis: int) -> tuple[Any, ...]:
    """Write every known duration (µs) into its group's slice of ``buf`` (stream-major group order).

    Groups: service per activity (``0*n_act + a``), waiting (``1*n_act + a``), sojourn (``2*n_act + a``),
    then edges (``3*n_act + edge_id``). Also the distinct cases per group, and the per-batch totals (s)
    of the bottleneck streams: ``basis`` (1 waiting, 2 sojourn) for activities, and edges.
    """
    n = case.shape[0]
    n_groups = offsets.shape[0] - 1
    buf = np.empty(offsets[n_groups], np.int64)
    cursor = offsets[:n_groups].copy()
    stamp = np.full(n_groups, -1, np.int64)
    cases = np.zeros(n_groups, np.int64)
    n_edges = n_groups - 3 * n_act
    bsum_act = np.zeros((max(n_batches, 1), n_act), np.float64)
    bsum_edge = np.zeros((max(n_batches, 1), n_edges), np.float64)
    first = 0
    for i in range(n):
        k = case[i]
        a = act[i]
        if i == 0 or k != case[i - 1]:
            first = i
        b = batch[k] if n_batches > 0 else 0
        for stream in range(4):
            v = NULL_US
            if stream == 0:
                if s[i] != NULL_US:
                    v = c[i] - s[i]
                g = a
            elif stream == 1:
                if s[i] != NULL_US and i > first:
                    j = _enabling(c, s[i], i, first)
                    if j >= first:
                        v = s[i] - c[j]
                g = n_act + a
            elif stream == 2:
                if i > first:
                    v = c[i] - c[i - 1]
                g = 2 * n_act + a
            else:
                if i > first:
                    st = c[i] if s[i] == NULL_US else s[i]
                    v = max(st, c[i - 1]) - c[i - 1]
                    g = 3 * n_act + edge_id[act[i - 1] * n_act + a]
                else:
                    g = 0
            if v == NULL_US:
                continue
            buf[cursor[g]] = v
            cursor[g] += 1
            if stamp[g] != k:
                stamp[g] = k
                cases[g] += 1
            if stream == basis:
                bsum_act[b, a] += v / 1e6
            elif stream == 3:
                bsum_edge[b, g - 3 * n_act] += v / 1e6
    return buf, cases, bsum_act, bsum_edge


@_jit()
def _select(a: np.ndarray, k: int) -> np.int64:
    """The k-th smallest of ``a`` (0-based), partially ordering ``a`` in place (Hoare quickselect):
    afterwards everything before index k is <= a[k] and everything after is >= a[k]."""
    lo, hi = 0, a.shape[0] - 1
    while hi > lo:
        mid = (lo + hi) >> 1  # median of three as pivot: no quadratic case on sorted input
        if a[mid] < a[lo]:
            a[mid], a[lo] = a[lo], a[mid]
        if a[hi] < a[lo]:
            a[hi], a[lo] = a[lo], a[hi]
        if a[hi] < a[mid]:
            a[hi], a[mid] = a[mid], a[hi]
        pivot = a[mid]
        i, j = lo, hi
        while i <= j:
            while a[i] < pivot:
                i += 1
            while a[j] > pivot:
                j -= 1
            if i <= j:
                a[i], a[j] = a[j], a[i]
                i += 1
                j -= 1
        if k <= j:
            hi = j
        elif k >= i:
            lo = i
        else:
            break
    return a[k]


@_jit()
def _quantile(a: np.ndarray, q: float, done: int) -> float:
    """Linear-interpolated quantile (numpy's default, SQL quantile_cont) of int64 µs, in seconds.

    ``a[:done]`` is already known to be <= the rest (an earlier, lower selection): only ``a[done:]``
    is searched."""
    n = a.shape[0]
    vi = (n - 1) * q
    lo = int(np.floor(vi))
    t = vi - lo
    x = _select(a[done:], lo - done) / 1e6
    if t == 0.0 or lo + 1 >= n:
        return x
    y = a[lo + 1:].min() / 1e6
    d = y - x
    return y - d * (1.0 - t) if t >= 0.5 else x + d * t


@_jit(parallel=True)
def slice_stats(buf: np.ndarray, offsets: np.ndarray, p90: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per group slice ``buf[offsets[g]:offsets[g+1]]``: total (s), median (s), p90 (s; NaN unless
    ``p90``). Empty groups give NaN. The slices are reordered in place."""
    n_groups = offsets.shape[0] - 1
    total = np.full(n_groups, np.nan)
    med = np.full(n_groups, np.nan)
    hi = np.full(n_groups, np.nan)
    for g in prange(n_groups):
        part = buf[offsets[g]:offsets[g + 1]]
        m = part.shape[0]
        if m == 0:
            continue
        acc = 0.0
        for x in part:
            acc += x
        total[g] = acc / 1e6
        med[g] = _quantile(part, 0.5, 0)
        if p90:
            hi[g] = _quantile(part, 0.9, int(np.floor((m - 1) * 0.5)))
    return total, med, hi


@_jit()
def count_variants(act: np.ndarray, case_first: np.ndarray, case_hash: np.ndarray) -> int:
    """Number of distinct traces: an open-addressing table of hashes, traces compared on collision
    (exact, O(events))."""
    n_cases = case_hash.shape[0]
    size = 1
    while size < 2 * n_cases:
        size <<= 1
    table = np.full(size, -1, np.int64)
    mask = np.uint64(size - 1)
    distinct = 0
    for k in range(n_cases):
        slot = np.int64(case_hash[k] & mask)
        while True:
            r = table[slot]
            if r == -1:
                table[slot] = k
                distinct += 1
                break
            if case_hash[r] == case_hash[k]:
                a0, a1, b0 = case_first[r], case_first[r + 1], case_first[k]
                if a1 - a0 == case_first[k + 1] - b0:
                    same = True
                    for x in range(a1 - a0):
                        if act[a0 + x] != act[b0 + x]:
                            same = False
                            break
                    if same:
                        break
            slot = (slot + np.int64(1)) & np.int64(size - 1)
    return distinct


@_jit()
def grouped_in_order(case: np.ndarray, c: np.ndarray, eid: np.ndarray) -> bool:
    """Whether rows sharing a run of ``case`` codes are ordered by (completion, event_id)."""
    for i in range(1, case.shape[0]):
        if case[i] == case[i - 1] and (c[i] < c[i - 1] or (c[i] == c[i - 1] and eid[i] < eid[i - 1])):
            return False
    return True
