"""The distance measures of the process-simulation literature between a log and a simulated log (Chapela-
Campa, Benchekroun, Baron, Dumas et al., "A framework for measuring the distance between a real and a
simulated event log", the measures of the ``log-distance-measures`` package), computed on the activity
instances (one row per instance: its start, else its completion, and its completion).

Each is the Wasserstein (earth mover's) distance of two samples of whole hours, as that package's
default (``scipy.stats.wasserstein_distance``), except the n-gram one:

================ ==========================================================================================
measure          the samples
================ ==========================================================================================
``ngram_3``      not a Wasserstein distance: the 3-grams of each case's activities in order (two empty
                 places before and after), counted; the sum of the absolute count differences over the sum
                 of both logs' counts (0: the same, 1: disjoint)
``absolute``     (AED) every start and completion, in hours since the hour of the earliest start of both logs
``arrival``      (CAD) each case's first start, in hours since the hour of the earliest of both
``circadian``    (CED) per weekday, the hours of the day of the starts and completions that fall on it; the
                 mean over the seven weekdays (a weekday with instants in one log only counts 23, in neither 0)
``relative``     (RED) every start and completion, in hours since its case's first start
``cycle_time``   (CTD) each case's last completion minus its first start, in hours above the shortest of both
================ ==========================================================================================

Times are read as stored (UTC) for the weekday and hour of the circadian measure, as the package reads
its logs' timestamps. Equal to ``log-distance-measures`` 2.2.0 on the same logs
(``tests/test_simulation_distances.py``).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

HOUR_US = 3_600_000_000
MEASURES = ("ngram_3", "absolute", "arrival", "circadian", "relative", "cycle_time")


def _us(t: pd.Series) -> np.ndarray:
    return np.asarray(pd.to_datetime(t, utc=True).to_numpy(dtype="datetime64[us]").astype(np.int64))


class _Times:
    """One log's activity instances as integer microseconds, by case."""

    def __init__(self, inst: pd.DataFrame) -> None:
        start = inst["start"].fillna(inst["complete"])
        self.case = pd.factorize(inst["case"])[0]
        self.start, self.end = _us(start), _us(inst["complete"])
        self.first = np.full(self.case.max() + 1 if self.case.size else 0, np.iinfo(np.int64).max)
        np.minimum.at(self.first, self.case, self.start)
        self.last = np.full(self.first.size, np.iinfo(np.int64).min)
        np.maximum.at(self.last, self.case, self.end)
        self.instants = np.r_[self.start, self.end]
        order = np.lexsort((self.end, self.start, self.case))
        self.trace = [tuple(a) for a in pd.Series(inst["activity"].to_numpy()[order]).groupby(
            self.case[order], sort=False).agg(list)]


def _hours(x: np.ndarray) -> np.ndarray:
    return np.floor_divide(x, HOUR_US)


def _w(a: np.ndarray, b: np.ndarray) -> float:
    return float(stats.wasserstein_distance(a, b)) if a.size and b.size else float("nan")


def _ngrams(traces: list[tuple[Any, ...]], n: int) -> Counter[tuple[Any, ...]]:
    out: Counter[tuple[Any, ...]] = Counter()
    pad = (None,) * (n - 1)
    for t in traces:
        full = pad + t + pad
        out.update(full[i:i + n] for i in range(len(full) - n + 1))
    return out


def _circadian(a: np.ndarray, b: np.ndarray) -> float:
    def split(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        t = pd.to_datetime(x, unit="us", utc=True)
        return np.asarray(t.day_of_week), np.asarray(t.hour)

    (da, ha), (db, hb) = split(a), split(b)
    out = []
    for day in range(7):
        x, y = ha[da == day], hb[db == day]
        out.append(_w(x, y) if x.size and y.size else (0.0 if not x.size and not y.size else 23.0))
    return float(np.mean(out))


def distances(log: pd.DataFrame, simulated: pd.DataFrame) -> dict[str, float]:
    """The measures of the module docstring between two logs' activity instances (``flowmine.analytics.
    instances``: columns ``case``, ``activity``, ``start``, ``complete``)."""
    a, b = _Times(log), _Times(simulated)
    ga, gb = _ngrams(a.trace, 3), _ngrams(b.trace, 3)
    keys = set(ga) | set(gb)
    total = sum(ga.values()) + sum(gb.values())
    origin = _hours(min(a.start.min(), b.start.min())) * HOUR_US
    arrival = _hours(min(a.first.min(), b.first.min())) * HOUR_US
    cycle_a, cycle_b = a.last - a.first, b.last - b.first
    shortest = min(cycle_a.min(), cycle_b.min())
    return {
        "ngram_3": float(sum(abs(ga[k] - gb[k]) for k in keys) / total) if total else 0.0,
        "absolute": _w(_hours(a.instants - origin), _hours(b.instants - origin)),
        "arrival": _w(_hours(a.first - arrival), _hours(b.first - arrival)),
        "circadian": _circadian(a.instants, b.instants),
        "relative": _w(_hours(np.r_[a.start, a.end] - np.r_[a.first[a.case], a.first[a.case]]),
                       _hours(np.r_[b.start, b.end] - np.r_[b.first[b.case], b.first[b.case]])),
        "cycle_time": _w(_hours(cycle_a - shortest), _hours(cycle_b - shortest)),
    }
