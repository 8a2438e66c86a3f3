"""Batching in the simulation model: a step's instances done together, in runs at fixed times of the
week (a carrier's pick-up at 14:00, a lab's daily run, a weekly payment run).

Read off a step's instances with start timestamps and resources, as batches are in the waiting-time
analysis (``flowmine.explain``: instances of the step started together by the same resource):

- **who batches**: a resource of the step with at least :data:`MIN_RUNS` runs of two or more instances
  and at least half of its instances of the step in such runs; every instance of theirs counts as
  batched (a run may find one instance waiting);
- **the share**: the step's instances done by them;
- **the run times**: the runs' starts, local to the model's zone, by quarter hour of the week; the
  quarters holding at least :data:`SLOT_SHARE` of the runs (and two) are the run times, each at its runs'
  median moment, when together they hold :data:`SLOTS_COVER` of the runs; runs at no fixed time (a batch
  started when enough had gathered) are not modelled and the discovery says so in the model's notes;
- **the run's length**: per run, its start to its last completion, in the pool's working time.

In the run, a batched instance (drawn with the share) neither waits for its extraneous delay nor asks
its pool: it waits for the next run time (on a day its pool works, when it keeps the process calendar),
starts with the run and completes when the run ends; the run's length is drawn once, by its first
instance. Its resource is one of the batchers, in turn by run.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from flowmine.analytics import to_micros
from flowmine.simulation._days import local_seconds

#: A resource batches a step with at least this many runs of two or more instances.
MIN_RUNS = 5
#: ... and at least this share of its instances of the step in such runs.
BATCHED_SHARE = 0.5
#: A quarter hour of the week is a run time when it holds this share of the runs (and two runs).
SLOT_SHARE = 0.03
#: The run times must hold this share of the runs together, else runs are at no fixed time.
SLOTS_COVER = 0.8
WEEK_S = 7 * 86400.0


@dataclass
class Found:
    """What :func:`find` read off a step: the batchers, the batched rows, the run times and the runs."""

    resources: list[str]
    batched: npt.NDArray[np.bool_]
    at: list[float]
    run_start: pd.Series
    run_end: pd.Series


def find(part: pd.DataFrame, tz: str) -> Found | str | None:
    """The batching of one step's instances ``part`` (None: nobody batches it; a text: batching seen
    at no fixed run time, why it is not modelled)."""
    known = (part["start"].notna() & part["resource"].notna()).to_numpy()
    if known.sum() < 2 * MIN_RUNS:
        return None
    rows = part[known]
    who, names = pd.factorize(rows["resource"].astype(str))
    began = to_micros(rows["start"])
    # runs: the instances of one resource with one start, found on integer codes sorted once
    order = np.lexsort((began, who))
    w, b = who[order], began[order]
    first = np.r_[True, (w[1:] != w[:-1]) | (b[1:] != b[:-1])]
    run = np.cumsum(first) - 1
    size = np.bincount(run)[run]
    in_batch = size >= 2
    runs_of = np.bincount(w[first & in_batch], minlength=len(names))  # runs of two or more, per resource
    share_of = np.bincount(w, weights=in_batch, minlength=len(names)) / np.bincount(w, minlength=len(names))
    picked = np.flatnonzero((runs_of >= MIN_RUNS) & (share_of >= BATCHED_SHARE))
    if picked.size == 0:
        return None
    batchers = sorted(str(names[int(k)]) for k in picked)
    mine = np.isin(w, picked)
    ends = to_micros(rows["complete"])[order]
    heads = np.flatnonzero(first & mine)  # each batcher's runs (a run of one counts too)
    run_end_us = np.maximum.reduceat(ends, np.flatnonzero(first))[run[heads]]  # a run's last completion
    run_start = pd.Series(pd.to_datetime(b[heads], unit="us", utc=True))
    run_end = pd.Series(pd.to_datetime(run_end_us, unit="us", utc=True))
    how = np.mod(local_seconds(run_start, tz), WEEK_S)  # seconds into the local week (Monday 00:00 = 0)
    quarter = (how // 900).astype(np.int64)
    counts = np.bincount(quarter, minlength=672)
    slots = np.flatnonzero(counts >= max(2.0, SLOT_SHARE * len(how)))
    if counts[slots].sum() < SLOTS_COVER * len(how):
        return (f"runs by {', '.join(batchers)} start at no fixed time of the week "
                f"({counts[slots].sum()} of {len(how)} runs at recurring times): not modelled")
    at = sorted(float(np.median(how[quarter == q])) / 3600.0 for q in slots)
    batched = np.zeros(len(part), dtype=bool)
    sel = np.zeros(len(rows), dtype=bool)
    sel[order[mine]] = True
    batched[np.flatnonzero(known)[sel]] = True
    return Found(batchers, batched, at, run_start, run_end)
