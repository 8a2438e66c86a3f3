"""Compiled kernels of the fast path (numba): two passes over case-sorted coded columns, then selection.

Everything stays in int64 microseconds and dictionary codes; nothing is sorted. Pass 1
(:func:`count_pass`) walks the events once and counts, per activity and per directly-follows code, how
many service / waiting / sojourn / edge durations are known, plus everything that is a plain sum or
count (cases, rework, cost, case start/end and a hash of each case's trace). Pass 2 (:func:`fill_pass`)
walks again and writes each known duration into its group's slice of a contiguous buffer (a counting
sort by group), with the distinct cases per group and the bootstrap batch totals. Medians and p90s are
then found per group slice by sampled-pivot selection (:func:`slice_stats`, O(n) per group),
interpolated linearly exactly as ``numpy.quantile`` and SQL ``quantile_cont`` do.

The relations are the SQL's (``_sql``), in the canonical order (by start, completion where no start
is known, ready time where neither is; then completion, then event_id): the enabling completion of a
start is the latest known completion before it in the case that is not after the start. Unknown
times (an open instance's completion, a never-started instance's start) are ``NULL_US``: what needs
them is not counted, never zero.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
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
def _enabling(c: np.ndarray, s_i: int, i: int, first: int, runmax: int) -> int:
    """Completion (µs) of the enabling instance of instance ``i``: the latest known completion, among the
    instances before it in the case order, that is not after its start (``NULL_US``: none). In the
    canonical order (by start) earlier instances may complete later: ``runmax``, the latest completion
    before ``i``, answers when it is not after the start (no overlap, the usual case), else walk back."""
    if runmax != NULL_US and runmax <= s_i:
        return runmax
    best = NULL_US
    for j in range(i - 1, first - 1, -1):
        cj = c[j]
        if cj != NULL_US and cj <= s_i and cj > best:
            best = cj
    return best


#: The two passes run their case-aligned chunks in parallel (numba prange, both cores). The chunk count is fixed,
#: not the thread count, so float sums are added in the same order on every machine.
CHUNKS = 4

#: Rows of ``count_pass``'s per-activity counts: instances, cases, cases with rework, known service,
#: waiting, sojourn and queue durations.
N_ACT_COUNTS = 7
#: Duration groups per activity in ``fill_pass`` (service, waiting, sojourn, queue), then the edges.
N_ACT_GROUPS = 4


@_jit(parallel=True)
def count_pass(case: np.ndarray, act: np.ndarray, c: np.ndarray, s: np.ndarray, r: np.ndarray, pd_: np.ndarray,
               cost: np.ndarray, cur: np.ndarray, n_act: int, n_cases: int, bounds: np.ndarray) -> tuple[Any, ...]:
    """Per case: first index, start, end (``NULL_US`` where unknown), trace hash. Per chunk (events
    ``bounds[h]:bounds[h+1]``) and activity: counts (``act_n[h, 0..6]``: instances, cases, cases with
    rework, known service, waiting, sojourn, queue), cost total and currency (the one non-null currency
    seen; -1 none, -2 several); per chunk and edge code (``source * n_act + target``): occurrences, and
    how many of them have a known duration.

    ``c`` (completion), ``s`` (start) and ``r`` (ready) are µs with ``NULL_US`` for unknown: an open
    instance has no completion, a never-started one only a ready time; ``pd_`` is the previous
    completion in the case in completion order (the sojourn's origin)."""
    n_chunks = bounds.shape[0] - 1
    case_first = np.zeros(n_cases + 1, np.int64)
    case_start = np.full(n_cases, NULL_US, np.int64)
    case_end = np.full(n_cases, NULL_US, np.int64)
    case_hash = np.zeros(n_cases, np.uint64)
    act_n = np.zeros((n_chunks, N_ACT_COUNTS, n_act), np.int64)
    cost_total = np.zeros((n_chunks, n_act), np.float64)
    cost_cur = np.full((n_chunks, n_act), -1, np.int64)
    edge_n = np.zeros((n_chunks, n_act * n_act), np.int64)
    edge_d = np.zeros((n_chunks, n_act * n_act), np.int64)
    for h in prange(n_chunks):
        seen = np.zeros(n_act, np.int64)
        stamp = np.full(n_act, -1, np.int64)
        an, en, ed, ct, cc = act_n[h], edge_n[h], edge_d[h], cost_total[h], cost_cur[h]
        first = bounds[h]
        hs = np.uint64(0)
        runmax = NULL_US
        for i in range(bounds[h], bounds[h + 1]):
            k = case[i]
            a = act[i]
            si = s[i]
            ci = c[i]
            st = ci if si == NULL_US else si
            if i == bounds[h] or k != case[i - 1]:
                first = i
                case_first[k] = i
                hs = np.uint64(1469598103934665603)
                runmax = NULL_US
            if st != NULL_US and (case_start[k] == NULL_US or st < case_start[k]):
                case_start[k] = st
            if ci != NULL_US and ci > case_end[k]:
                case_end[k] = ci
            hs = (hs ^ np.uint64(a + 1)) * np.uint64(1099511628211)
            case_hash[k] = hs
            an[0, a] += 1
            if stamp[a] != k:
                stamp[a] = k
                seen[a] = 0
            seen[a] += 1
            if seen[a] <= 2:
                an[seen[a], a] += 1
            if not np.isnan(cost[i]):
                ct[a] += cost[i]
                if cur[i] >= 0 and cc[a] != cur[i]:
                    cc[a] = cur[i] if cc[a] == -1 else -2
            if si != NULL_US and ci != NULL_US:
                an[3, a] += 1
            if si != NULL_US and r[i] != NULL_US:
                an[6, a] += 1
            if ci != NULL_US and pd_[i] != NULL_US:
                an[5, a] += 1
            if i > first:
                cp = c[i - 1]
                e = act[i - 1] * n_act + a
                en[e] += 1
                if cp != NULL_US and st != NULL_US:
                    ed[e] += 1
                if si != NULL_US and _enabling(c, si, i, first, runmax) != NULL_US:
                    an[4, a] += 1
            if ci != NULL_US and ci > runmax:
                runmax = ci
    case_first[n_cases] = case.shape[0]
    return case_first, case_start, case_end, case_hash, act_n, cost_total, cost_cur, edge_n, edge_d


@_jit(parallel=True)
def fill_pass(case: np.ndarray, act: np.ndarray, c: np.ndarray, s: np.ndarray, r: np.ndarray, p: np.ndarray,
              pd_: np.ndarray, n_act: int, edge_id: np.ndarray, starts: np.ndarray, buf: np.ndarray, bounds: np.ndarray,
              batch: np.ndarray, n_batches: int, basis: int) -> tuple[Any, ...]:
    """Write every known duration (µs) into its group's slice of ``buf`` (given: a reused buffer costs
    no page faults); chunk ``h`` writes group
    ``g`` from ``starts[h, g]`` on (so each group's values are contiguous, chunks side by side).

    Groups: service per activity (``a``; completion - start - ``p``, the µs suspended), waiting
    (``n_act + a``), sojourn (``2*n_act + a``; completion - ``pd_``, the previous completion), queue
    (``3*n_act + a``; start - ready), then edges
    (``4*n_act + edge_id``). Also, per chunk, the distinct cases per group of the bottleneck
    streams and the per-batch totals (s) of the bottleneck streams: ``basis`` (1 waiting, 2 sojourn)
    per activity, and per edge.
    """
    n_chunks, n_groups = starts.shape
    e0 = N_ACT_GROUPS * n_act
    n_edges = n_groups - e0
    cases = np.zeros((n_chunks, n_groups), np.int64)
    nb = max(n_batches, 1)
    bsum_act = np.zeros((n_chunks, nb, n_act), np.float64)
    bsum_edge = np.zeros((n_chunks, nb, n_edges), np.float64)
    for h in prange(n_chunks):
        cursor = starts[h].copy()
        stamp = np.full(n_groups, -1, np.int64)
        cs, ba, be = cases[h], bsum_act[h], bsum_edge[h]
        first = bounds[h]
        runmax = NULL_US
        for i in range(bounds[h], bounds[h + 1]):
            k = case[i]
            a = act[i]
            si = s[i]
            ci = c[i]
            if i == bounds[h] or k != case[i - 1]:
                first = i
                runmax = NULL_US
            b = batch[k] if n_batches > 0 else 0
            if si != NULL_US and ci != NULL_US:
                buf[cursor[a]] = ci - si - p[i]
                cursor[a] += 1
            if si != NULL_US and r[i] != NULL_US:
                g = 3 * n_act + a
                buf[cursor[g]] = si - r[i]
                cursor[g] += 1
            if ci != NULL_US and pd_[i] != NULL_US:
                g = 2 * n_act + a
                v = ci - pd_[i]
                buf[cursor[g]] = v
                cursor[g] += 1
                if basis == 2:
                    ba[b, a] += v / 1e6
                    if stamp[g] != k:
                        stamp[g] = k
                        cs[g] += 1
            if i > first:
                if si != NULL_US:
                    en = _enabling(c, si, i, first, runmax)
                    if en != NULL_US:
                        g = n_act + a
                        v = si - en
                        buf[cursor[g]] = v
                        cursor[g] += 1
                        if basis == 1:
                            ba[b, a] += v / 1e6
                            if stamp[g] != k:
                                stamp[g] = k
                                cs[g] += 1
                cp = c[i - 1]
                if cp != NULL_US:
                    t = ci if si == NULL_US else si
                    if t != NULL_US:
                        e = edge_id[act[i - 1] * n_act + a]
                        g = e0 + e
                        v = max(t, cp) - cp
                        buf[cursor[g]] = v
                        cursor[g] += 1
                        be[b, e] += v / 1e6
                        if stamp[g] != k:
                            stamp[g] = k
                            cs[g] += 1
            if ci != NULL_US and ci > runmax:
                runmax = ci
    return cases.sum(axis=0), bsum_act.sum(axis=0), bsum_edge.sum(axis=0)


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
def _lerp(x: float, y: float, t: float) -> float:
    """numpy's linear interpolation (the same float result as ``numpy.quantile``)."""
    d = y - x
    return y - d * (1.0 - t) if t >= 0.5 else x + d * t


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
    return _lerp(x, a[lo + 1:].min() / 1e6, t)


_SAMPLE = 2048
_BIG = np.iinfo(np.int64).max


@_jit()
def _sampled_quantile(part: np.ndarray, sample: np.ndarray, q: float) -> float:
    """The quantile of a large slice, selecting only among the values strictly between two pivots
    taken from a sorted sample around the wanted rank: one read of the slice and a small selection
    (values equal to a pivot are counted, not collected: durations repeat a lot). NaN when the wanted
    ranks fall outside the pivots (the caller then selects in the whole slice)."""
    n, m = part.shape[0], sample.shape[0]
    vi = (n - 1) * q
    k = int(np.floor(vi))
    t = vi - k
    r = q * (m - 1)
    d = 4.0 * np.sqrt(q * (1.0 - q) * m) + 2.0
    lo_p = sample[int(r - d)] if r - d >= 0 else -_BIG - 1
    hi_p = sample[int(r + d) + 1] if r + d + 1 < m else _BIG
    lt_lo = 0
    le_lo = 0
    lt_hi = 0
    le_hi = 0
    above = _BIG
    for i in range(n):  # written so that it compiles branch-free (SIMD): the comparisons are unpredictable
        x = part[i]
        lt_lo += 1 if x < lo_p else 0
        le_lo += 1 if x <= lo_p else 0
        lt_hi += 1 if x < hi_p else 0
        le_hi += 1 if x <= hi_p else 0
        above = min(above, x + (_BIG - x) * (x <= hi_p))  # smallest value above hi_p (_BIG: none)
    last = k + 1 if t != 0.0 and k + 1 < n else k
    if k < lt_lo or last > le_hi or (last == le_hi and above == _BIG):
        return np.nan
    between = np.empty(0, np.int64)
    if k < lt_hi and last >= le_lo:  # a wanted rank lies strictly between the pivots: collect those
        between = np.empty(lt_hi - le_lo + 1, np.int64)
        j = 0
        for i in range(n):  # branch-free: always write, advance only past a kept value
            x = part[i]
            between[j] = x
            j += 1 if lo_p < x < hi_p else 0
        between = between[:j]
    vals = np.empty(2, np.int64)
    for w in range(last - k + 1):
        rank = k + w
        if rank < le_lo:
            vals[w] = lo_p
        elif rank < lt_hi:
            i = rank - le_lo
            vals[w] = _select(between, i) if w == 0 or i == 0 else between[i:].min()
        elif rank < le_hi:
            vals[w] = hi_p
        else:
            vals[w] = above
    if last == k:
        return vals[0] / 1e6
    return _lerp(vals[0] / 1e6, vals[1] / 1e6, t)


@_jit()
def _slice_quantiles(part: np.ndarray, p90: bool) -> tuple[float, float]:
    m = part.shape[0]
    if m > 8 * _SAMPLE:
        sample = np.sort(part[::m // _SAMPLE][:_SAMPLE].copy())
        med = _sampled_quantile(part, sample, 0.5)
        hi = _sampled_quantile(part, sample, 0.9) if p90 else np.nan
        if not np.isnan(med) and (not p90 or not np.isnan(hi)):
            return med, hi
    med = _quantile(part, 0.5, 0)
    hi = _quantile(part, 0.9, int(np.floor((m - 1) * 0.5))) if p90 else np.nan
    return med, hi


@_jit()
def slice_stats(buf: np.ndarray, offsets: np.ndarray, p90: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per group slice ``buf[offsets[g]:offsets[g+1]]``: total (s), median (s), p90 (s; NaN unless
    ``p90``). Empty groups give NaN. Small slices are reordered in place."""
    n_groups = offsets.shape[0] - 1
    total = np.full(n_groups, np.nan)
    med = np.full(n_groups, np.nan)
    hi = np.full(n_groups, np.nan)
    for g in range(n_groups):
        part = buf[offsets[g]:offsets[g + 1]]
        if part.shape[0] == 0:
            continue
        acc = 0.0
        for x in part:
            acc += x
        total[g] = acc / 1e6
        med[g], hi[g] = _slice_quantiles(part, p90)
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
def grouped_in_order(case: np.ndarray, key: np.ndarray, c: np.ndarray, eid: np.ndarray) -> bool:
    """Whether rows sharing a run of ``case`` codes are in the canonical order: by ``key`` (instance
    time), then completion ``c`` (``NULL_US``: unknown, last), then event_id."""
    for i in range(1, case.shape[0]):
        if case[i] != case[i - 1]:
            continue
        if key[i] != key[i - 1]:
            if key[i] < key[i - 1]:
                return False
            continue
        a, b = c[i - 1], c[i]
        if a != b:
            if a == NULL_US or (b != NULL_US and b < a):
                return False
            continue
        if eid[i] < eid[i - 1]:
            return False
    return True


#: Below this many events the passes run on one thread: starting the parallel region costs more than it
#: saves, and a server answering many small (filtered) profiles at once has no idle core to give.
PARALLEL_FROM = 500_000


@contextmanager
def threads_for(n_events: int) -> Iterator[None]:
    """Run the parallel passes on one thread for small inputs (numba's thread count is thread-local;
    the chunks are the same either way, so the sums are identical)."""
    if not NUMBA or n_events >= PARALLEL_FROM:
        yield
        return
    before = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        yield
    finally:
        numba.set_num_threads(before)

