"""The per-instance relations as a frame: what every metric is a group-by over (for drill-downs), and
two readings of it the packages above share: when each instance became ready, and timestamps as UTC
microseconds (the integers the vectorised passes over instances compare)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from flowmine.analytics._common import declare, run
from flowmine.analytics._log import LogLike

INSTANCE_COLUMNS = declare("instances", "instance", (
    "case", "activity", "event_id", "pos", "complete", "start", "resource", "role", "cost", "currency", "quality",
    "prev_activity", "enabling_complete", "waiting_s", "service_s", "sojourn_s", "edge_s", "repetition", "ready",
    "queue_s", "outcome"))


def instances(log: LogLike) -> pd.DataFrame:
    """One row per activity instance with its relations (see ``flowmine.analytics._sql``).

    Returns
    -------
    DataFrame
        case, activity, event_id, pos (1-based in the case), complete, start, resource, role, cost,
        currency, quality, prev_activity, enabling_complete (UTC timestamps), waiting_s, service_s,
        sojourn_s, edge_s (seconds; NaN where unknown), repetition (1 = first execution in the case),
        ready (UTC), queue_s, outcome (e.g. "open"); sorted by case, pos (the canonical order).
    """
    def us(col: str) -> str:
        return f"{col}_us / 1e6"

    return run(log, lambda eng: eng.frame(
        'SELECT "case", activity, event_id, pos, make_timestamptz(complete_us) AS complete, '
        "make_timestamptz(start_us) AS start, resource, role, cost, currency, quality, prev_activity, "
        f"make_timestamptz(enabling_us) AS enabling_complete, {us('waiting')} AS waiting_s, "
        f"{us('service')} AS service_s, {us('sojourn')} AS sojourn_s, {us('edge')} AS edge_s, repetition, "
        f"make_timestamptz(ready_us) AS ready, {us('queue')} AS queue_s, outcome "
        'FROM inst ORDER BY "case", pos'), INSTANCE_COLUMNS)


def ready_times(inst: pd.DataFrame) -> pd.Series:
    """When each instance of ``inst`` (:func:`instances`) became ready: its ready (schedule) time, else the
    completion of the instance that enabled it, else its own start or completion (a case's first step).

    Examples
    --------
    >>> from flowmine.analytics import instances, ready_times, stored
    >>> inst = instances(stored(STORE, "finance"))  # STORE: a store's path
    >>> bool(ready_times(inst).notna().all())
    True
    """
    none = pd.Series(pd.NaT, index=inst.index, dtype="datetime64[us, UTC]")
    when = inst["ready"] if "ready" in inst.columns else none
    for col in ("enabling_complete", "start", "complete"):
        when = when.fillna(inst[col])
    return when


def to_micros(ts: pd.Series) -> npt.NDArray[np.int64]:
    """Timestamps (aware or naive UTC) as integer microseconds since the epoch, UTC (NaT: the smallest
    int64, as numpy writes it)."""
    return np.asarray(pd.to_datetime(ts, utc=True).to_numpy(dtype="datetime64[us]").astype(np.int64))
