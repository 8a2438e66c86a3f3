"""Resources: workload per resource and role, involvement per step, and handover of work.

**Workload** counts the instances (and cases, steps, service time) of each resource or role.
**Involvement** (``level="activity"``) gives, per step, each resource's instances and share of the
step's instances. A **handover** is a pair of consecutive instances in a case (directly-follows order)
whose resources (or roles) are both known and differ: work passed from one to the other.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from flowmine.analytics._common import declare, run
from flowmine.analytics._log import LogLike, check_option
from flowmine.analytics._relations import to_micros
from flowmine.analytics._sql import Engine

_W = ("instances", "cases", "activities", "service_total_s", "service_mean_s", "share")
WORKLOAD = {
    "resource": declare("workload", "resource", ("resource", *_W)),
    "role": declare("workload", "role", ("role", *_W)),
    "activity": declare("workload", "activity", ("activity", "resource", "instances", "cases", "share")),
}
HANDOVER = {lvl: declare("handovers", lvl, ("source", "target", "count", "cases")) for lvl in ("resource", "role")}


def workload(log: LogLike, level: str = "resource") -> pd.DataFrame:
    """Workload per resource or role, or resource involvement per step.

    Returns
    -------
    DataFrame
        ``resource``/``role``: the key, instances, cases, activities (distinct steps), service_total_s,
        service_mean_s (instances with a start), share (of all instances); instances without a
        resource are one row with a null key. ``activity``: activity, resource, instances, cases,
        share (of the step's instances).
    """
    check_option("level", level, WORKLOAD, "workload")

    def build(eng: Engine) -> pd.DataFrame:
        if level == "activity":
            return eng.frame('SELECT activity, resource, COUNT(*) AS instances, COUNT(DISTINCT "case") AS cases, '
                             "COUNT(*) / SUM(COUNT(*)) OVER (PARTITION BY activity) AS share FROM inst "
                             "GROUP BY 1, 2 ORDER BY activity, instances DESC, resource")
        return eng.frame(f'SELECT {level}, COUNT(*) AS instances, COUNT(DISTINCT "case") AS cases, '
                         f"COUNT(DISTINCT activity) AS activities, "
                         f"COALESCE(SUM(service_us) / 1e6, 0) AS service_total_s, "
                         f"AVG(service_us) / 1e6 AS service_mean_s, COUNT(*) / SUM(COUNT(*)) OVER () AS share "
                         f"FROM inst GROUP BY 1 ORDER BY instances DESC, {level}")

    return run(log, build, WORKLOAD[level])


def handovers(log: LogLike, level: str = "resource") -> pd.DataFrame:
    """Handover of work between resources (or roles): source, target, count, cases; most frequent first."""
    check_option("level", level, HANDOVER, "handovers")

    def build(eng: Engine) -> pd.DataFrame:
        return eng.frame(
            f'WITH p AS (SELECT "case", LAG({level}) OVER (PARTITION BY "case" ORDER BY pos) AS source, '
            f"{level} AS target FROM inst) "
            f'SELECT source, target, COUNT(*) AS "count", COUNT(DISTINCT "case") AS cases FROM p '
            f'WHERE source IS NOT NULL AND target IS NOT NULL AND source <> target GROUP BY 1, 2 '
            f'ORDER BY "count" DESC, source, target')

    return run(log, build, HANDOVER[level])


def busy_spans(inst: pd.DataFrame) -> dict[Any, tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]]:
    """Per resource, when it was doing any work of the log: the union of its activity instances of
    ``inst`` (:func:`flowmine.analytics.instances`; start to completion, whatever the step or case) as
    disjoint spans, sorted: (starts, ends) in UTC microseconds. Instances without a start or a resource
    are left out."""
    work = inst[inst["start"].notna() & inst["resource"].notna()]
    start, end = to_micros(work["start"]), to_micros(work["complete"])
    who = work["resource"].to_numpy(dtype=object)
    out: dict[Any, tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]] = {}
    for person, where in pd.Series(who).groupby(who, sort=False).indices.items():
        order = np.argsort(start[where], kind="stable")
        s, e = start[where][order], np.maximum.accumulate(end[where][order])
        first = np.concatenate(([True], s[1:] > e[:-1]))  # a span begins where the one before has ended
        out[person] = (s[first], np.maximum.reduceat(e, np.flatnonzero(first)))
    return out


#: Per resource, its work as disjoint intervals: (starts, ends, the busy seconds before each start, in us).
BusyIntervals = dict[Any, tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]]


def busy_intervals(inst: pd.DataFrame) -> BusyIntervals:
    """:func:`busy_spans` with the running total of their lengths: what :func:`busy_seconds` looks up
    (computed once where many questions are asked of one log)."""
    return {res: (ms, me, np.concatenate(([0], np.cumsum(me - ms)))) for res, (ms, me) in busy_spans(inst).items()}


def busy_seconds(inst: pd.DataFrame, lo: pd.Series, hi: pd.Series, resource: npt.NDArray[np.object_],
                 intervals: BusyIntervals | None = None) -> npt.NDArray[np.float64]:
    """Per interval ``[lo, hi)`` (timestamps), the seconds in it during which ``resource`` (one per
    interval) was doing any work of the log: the union of its activity instances (start to completion)
    in ``inst`` (:func:`flowmine.analytics.instances`), whatever the step or case (:func:`busy_spans`).
    ``intervals``: the :func:`busy_intervals` of ``inst`` when they are known."""
    merged = busy_intervals(inst) if intervals is None else intervals
    lo_us, hi_us = to_micros(lo), to_micros(hi)
    out = np.zeros(lo_us.size, dtype=np.float64)
    asked = pd.Series(np.arange(lo_us.size)).groupby(pd.Series(resource, dtype=object), sort=False).indices
    for res, (ms, me, cum) in merged.items():
        idx = np.asarray(asked.get(res, ()), dtype=np.int64)
        if idx.size == 0:
            continue

        def covered(t: npt.NDArray[np.int64], ms: npt.NDArray[np.int64] = ms, me: npt.NDArray[np.int64] = me,
                    cum: npt.NDArray[np.int64] = cum) -> npt.NDArray[np.int64]:
            k = np.searchsorted(ms, t, side="right")  # intervals starting at or before t
            inside = np.where(k > 0, np.minimum(t, me[np.maximum(k - 1, 0)]) - ms[np.maximum(k - 1, 0)], 0)
            return np.asarray(cum[np.maximum(k - 1, 0)] * (k > 0) + np.maximum(inside, 0))

        out[idx] = (covered(hi_us[idx]) - covered(lo_us[idx])) / 1e6
    return out
