"""The compiled pass behind process maps of stored logs (numba): directly-follows counts, cases and
durations of a log projected on chosen activities, over the fast path's case-sorted coded columns.
Used by :func:`flowmine.analytics._fast.map_frames`; a test keeps it equal to the map's SQL."""

from __future__ import annotations

from typing import Any

import numpy as np

from flowmine.analytics._kernels import NULL_US, _jit


@_jit()
def map_pass(case: np.ndarray, act: np.ndarray, c: np.ndarray, s: np.ndarray, keep: np.ndarray,
             n_act: int) -> tuple[Any, ...]:
    """The directly-follows map of the log projected on the activities where ``keep`` holds (each kept
    instance follows the previous kept instance of its case): per activity instances and cases; per
    edge code ``a * n_act + b`` count, cases and its durations (start, else completion, of b minus the
    completion of a, floored at 0; unknown after an open instance) written by edge into one buffer
    (``offsets``); per activity how
    many cases start / end with it; the number of cases with a kept instance."""
    n = case.shape[0]
    act_n = np.zeros(n_act, np.int64)
    act_cases = np.zeros(n_act, np.int64)
    act_last = np.full(n_act, -1, np.int64)
    edge_n = np.zeros(n_act * n_act, np.int64)
    edge_cases = np.zeros(n_act * n_act, np.int64)
    edge_last = np.full(n_act * n_act, -1, np.int64)
    starts = np.zeros(n_act, np.int64)
    ends = np.zeros(n_act, np.int64)
    n_cases = 0
    prev = -1  # index of the previous kept instance in the current case
    for i in range(n + 1):
        if i == n or (i > 0 and case[i] != case[i - 1]):
            if prev >= 0:
                ends[act[prev]] += 1
            prev = -1
            if i == n:
                break
        a = act[i]
        if not keep[a]:
            continue
        k = case[i]
        act_n[a] += 1
        if act_last[a] != k:
            act_last[a] = k
            act_cases[a] += 1
        if prev < 0:
            starts[a] += 1
            n_cases += 1
        else:
            e = act[prev] * n_act + a
            edge_n[e] += 1
            if edge_last[e] != k:
                edge_last[e] = k
                edge_cases[e] += 1
        prev = i
    edge_d = np.zeros(n_act * n_act, np.int64)  # edges whose duration is known
    prev = -1
    for i in range(n):
        if i > 0 and case[i] != case[i - 1]:
            prev = -1
        a = act[i]
        if not keep[a]:
            continue
        if prev >= 0 and c[prev] != NULL_US and (s[i] != NULL_US or c[i] != NULL_US):
            edge_d[act[prev] * n_act + a] += 1
        prev = i
    offsets = np.zeros(n_act * n_act + 1, np.int64)
    for e in range(n_act * n_act):
        offsets[e + 1] = offsets[e] + edge_d[e]
    buf = np.empty(offsets[-1], np.int64)
    fill = offsets[:-1].copy()
    prev = -1
    for i in range(n):
        if i > 0 and case[i] != case[i - 1]:
            prev = -1
        a = act[i]
        if not keep[a]:
            continue
        if prev >= 0:
            pc = c[prev]
            t = s[i] if s[i] != NULL_US else c[i]
            if pc != NULL_US and t != NULL_US:
                e = act[prev] * n_act + a
                buf[fill[e]] = (t if t > pc else pc) - pc
                fill[e] += 1
        prev = i
    return act_n, act_cases, edge_n, edge_cases, starts, ends, n_cases, buf, offsets
