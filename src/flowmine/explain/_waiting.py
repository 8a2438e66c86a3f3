"""Where a step's waiting time goes: outside working hours, waiting for the batch, waiting for a busy
resource, and the rest (in the spirit of Kronos, Lashkevich et al. 2023).

Each instance's waiting runs from its ready time (the enabling completion) to its start. Its parts, in
this order, never overlap and add up to the waiting:

- **off calendar**: the time outside the process's working calendar (needs the calendar: unknown
  without a process configuration);
- **resource busy**: the working time during which its resource was doing other work (any instance of
  any step by the same resource: needs resources and start timestamps on the other steps too);
- **batching**: for an instance started together with others of the step by the same resource (one
  batch), the rest of its working-time wait: waiting for the batch to fill and then for its run (a
  carrier's pick-up, a lab's daily run), as Kronos counts both (needs start timestamps and resources);
- **other**: the rest: priorities, the resource being away, work outside the log.

A part the log cannot tell is reported as unknown (None), never as zero, with the reason's code in
``unknown`` (``no_calendar``, ``no_resources``: :func:`flowmine.explain.value_label` spells it).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from flowmine.analytics import Calendar, business_duration, busy_seconds
from flowmine.explain._units import _take, looked_up, same_key_sizes

IntArray = npt.NDArray[np.int64]
PARTS = ("off_calendar", "batching", "resource_busy", "other")


def _us(ts: pd.Series) -> IntArray:
    out = pd.to_datetime(ts, utc=True).to_numpy(dtype="datetime64[us]").astype(np.int64)
    return np.asarray(out)


def waiting_parts(inst: pd.DataFrame, which: npt.NDArray[np.bool_], calendar: Calendar | None,
                  busy: dict[Any, Any] | None = None,
                  coded: tuple[npt.NDArray[np.int64], npt.NDArray[np.object_], int] | None = None
                  ) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Per selected instance with a known waiting time: its parts in seconds; and the totals, shares and
    what each part needed (``unknown``: the parts the log cannot tell, with the reason). ``busy``: the
    resources' :func:`~flowmine.analytics.busy_intervals` of ``inst`` when they are known; ``coded``: the
    resources as codes over the rows (``flowmine.explain._prepared.Prepared.coded``), when known."""
    rows = np.flatnonzero(which & inst["waiting_s"].notna().to_numpy())
    columns = ["case", "enabling_complete", "start"] + ([] if coded is not None else ["resource"])
    sel = _take(inst, rows, tuple(columns))
    ready = _us(sel["enabling_complete"])
    start = _us(sel["start"])
    wait = (start - ready) / 1e6
    unknown: dict[str, str] = {}
    frame = pd.DataFrame({"case": sel["case"].to_numpy(), "waiting_s": wait})
    if calendar is None:
        off = np.full(wait.size, np.nan)
        unknown["off_calendar"] = "no_calendar"
    else:
        off = wait - business_duration(ready, start, calendar)
    frame["off_calendar"] = off
    if coded is None:
        resource: npt.NDArray[Any] = sel["resource"].to_numpy(dtype=object)
        known_resource = pd.notna(resource)
    else:  # codes: -1 unknown, an empty text a resource (as its text is)
        resource = coded[0][rows]
        known_resource = resource >= 0
    if not known_resource.any():
        unknown["batching"] = unknown["resource_busy"] = "no_resources"
        frame["batching"] = frame["resource_busy"] = np.nan
    else:
        # instances of the resource started at the same moment
        size = same_key_sizes(resource, start, coded=coded is not None)
        room = np.maximum(wait - np.nan_to_num(off), 0.0)
        busy_s = busy_seconds(inst, sel["enabling_complete"], sel["start"],
                              resource if coded is None else looked_up(resource, coded[1]), busy)
        frame["resource_busy"] = np.clip(busy_s, 0.0, room)
        batched = (size > 1) & known_resource
        frame["batching"] = np.where(batched, room - frame["resource_busy"].to_numpy(), 0.0)
    known = frame[["off_calendar", "batching", "resource_busy"]].fillna(0.0).sum(axis=1)
    frame["other"] = np.maximum(wait - known.to_numpy(), 0.0)
    total = float(np.nansum(wait))
    summary: dict[str, Any] = {"instances": int(wait.size), "waiting_s": total, "unknown": unknown}
    for part in PARTS:
        value = None if part in unknown else float(np.nansum(frame[part].to_numpy()))
        summary[f"{part}_s"] = value
        summary[f"{part}_share"] = None if value is None or total <= 0 else value / total
    return frame, summary

