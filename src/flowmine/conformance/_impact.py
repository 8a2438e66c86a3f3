"""What deviations cost: throughput time and cost of deviating versus conforming cases.

For each deviation (a step skipped, inserted or out of order, or a business rule broken) the cases
with it are compared with the **conforming** cases (no deviation from the model and no rule
broken): median throughput time and mean cost per case of both groups, and the difference with a
95 % percentile-bootstrap confidence interval (resampling cases within each group, seeded, so the
same log gives the same interval). Throughput time is the glossary's: last completion minus first
start (the first completion where starts are unknown).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from flowmine._schema import CASE, COST, START, TIMESTAMP

#: Columns of :func:`deviation_impact` (the nested pairs are ``{"deviating": x, "conforming": y}``).
IMPACT_COLUMNS = ("deviation", "cases", "throughput_time_median_s", "throughput_time_difference_s",
                  "throughput_time_difference_ci95_s", "cost_mean", "cost_difference", "cost_difference_ci95")


def case_figures(events: pd.DataFrame) -> pd.DataFrame:
    """Per case: ``throughput_s`` and ``cost`` (sum of the cost attribute; NaN when none is known)."""
    ts = events[TIMESTAMP]
    first = events[START].fillna(ts) if START in events.columns else ts
    frame = pd.DataFrame({"c": events[CASE].astype(str), "first": first, "last": ts})
    if COST in events.columns:
        frame["cost"] = pd.to_numeric(events[COST], errors="coerce")
    else:
        frame["cost"] = np.nan
    g = frame.groupby("c", sort=True)
    out = pd.DataFrame({
        "throughput_s": (g["last"].max() - g["first"].min()).dt.total_seconds(),
        "cost": g["cost"].sum(min_count=1),
    })
    out.index.name = "case"
    return out


def _boot(a: np.ndarray, b: np.ndarray, stat: Callable[..., np.ndarray], rng: np.random.Generator,
          draws: int) -> list[float] | None:
    a, b = a[~np.isnan(a)], b[~np.isnan(b)]
    if len(a) < 2 or len(b) < 2:
        return None
    chunk = max(1, min(draws, 2_000_000 // max(len(a), len(b))))  # bounded memory on large logs
    diffs = []
    for start in range(0, draws, chunk):
        k = min(chunk, draws - start)
        da = stat(a[rng.integers(0, len(a), size=(k, len(a)))], axis=1)
        db = stat(b[rng.integers(0, len(b), size=(k, len(b)))], axis=1)
        diffs.append(da - db)
    lo, hi = np.percentile(np.concatenate(diffs), [2.5, 97.5])
    return [float(lo), float(hi)]


def _stat(values: np.ndarray, stat: Callable[..., np.ndarray]) -> float | None:
    v = values[~np.isnan(values)]
    return float(stat(v)) if len(v) else None


def deviation_impact(
    figures: pd.DataFrame, deviations: Mapping[str, list[str]], draws: int = 1000, seed: int = 0
) -> pd.DataFrame:
    """Compare the cases with each deviation against the conforming cases.

    Parameters
    ----------
    figures : DataFrame
        :func:`case_figures` (index: case id).
    deviations : mapping
        Case id -> labels of its deviations (``"skipped: X"``, ``"rule: id"``...); a case absent
        or with an empty list conforms.
    draws, seed : int
        Bootstrap resamples and random seed.

    Returns
    -------
    DataFrame
        One row per deviation (most cases first) plus ``"any deviation"``; columns ``IMPACT_COLUMNS``.
    """
    rng = np.random.default_rng(seed)
    groups: dict[str, list[str]] = {}
    for case, labels in deviations.items():
        for label in labels:
            groups.setdefault(label, []).append(case)
    deviating = {c for c, labels in deviations.items() if labels}
    groups["any deviation"] = sorted(deviating)
    conforming = figures.index.difference(pd.Index(sorted(deviating)))
    tt_ok = figures.loc[conforming, "throughput_s"].to_numpy(float)
    cost_ok = figures.loc[conforming, "cost"].to_numpy(float)
    rows = []
    for label, cases in sorted(groups.items(), key=lambda kv: (kv[0] != "any deviation", -len(kv[1]), kv[0])):
        sel = figures.loc[figures.index.intersection(pd.Index(cases))]
        tt, cost = sel["throughput_s"].to_numpy(float), sel["cost"].to_numpy(float)
        med_d, med_c = _stat(tt, np.median), _stat(tt_ok, np.median)
        mean_d, mean_c = _stat(cost, np.mean), _stat(cost_ok, np.mean)
        rows.append({
            "deviation": label, "cases": len(sel),
            "throughput_time_median_s": {"deviating": med_d, "conforming": med_c},
            "throughput_time_difference_s": None if med_d is None or med_c is None else med_d - med_c,
            "throughput_time_difference_ci95_s": _boot(tt, tt_ok, np.median, rng, draws),
            "cost_mean": {"deviating": mean_d, "conforming": mean_c},
            "cost_difference": None if mean_d is None or mean_c is None else mean_d - mean_c,
            "cost_difference_ci95": _boot(cost, cost_ok, np.mean, rng, draws),
        })
    return pd.DataFrame(rows, columns=list(IMPACT_COLUMNS))
