"""What deviations cost: throughput time and cost of deviating versus conforming cases.

For each deviation (a step skipped, inserted or out of order, or a business rule broken) the cases
with it are compared with the **conforming** cases (no deviation from the model and no rule
broken): median throughput time and mean cost per case of both groups, and the difference with a
95 % percentile-bootstrap confidence interval. Throughput time is the glossary's: last completion
minus first start (the first completion where starts are unknown).

The bootstrap resamples cases with replacement within each group, ``draws`` times, and takes the
2.5 and 97.5 percentiles of (statistic of the deviating resample - statistic of the conforming
resample). It is seeded (the same log gives the same interval) and computed without materialising
every resample where that is exact:

* the median of a resample of n sorted values is an order statistic of the resampled ranks, and the
  k-th smallest of n uniform ranks is ``ceil(n * U)`` with ``U ~ Beta(k, n - k + 1)`` (for even n
  the next one is ``U + (1 - U) * Beta(1, n - k)``), so each median draw costs O(1), not O(n);
* a mean resample draws its n case indices (in blocks of bounded memory);
* the conforming group's ``draws`` resampled statistics are drawn once and paired with every
  deviation's own draws (each interval is still a two-sample percentile bootstrap).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from flowmine._schema import CASE, COST, START, TIMESTAMP
from flowmine.errors import MissingColumnError

Floats = npt.NDArray[np.float64]

#: Columns of :func:`deviation_impact` (the nested pairs are ``{"deviating": x, "conforming": y}``).
IMPACT_COLUMNS = ("deviation", "cases", "throughput_time_median_s", "throughput_time_difference_s",
                  "throughput_time_difference_ci95_s", "cost_mean", "cost_difference", "cost_difference_ci95")


def case_figures(events: pd.DataFrame | pa.Table) -> pd.DataFrame:
    """Per case: ``throughput_s`` and ``cost`` (sum of the cost attribute; NaN when none is known).

    ``events`` is a canonical log as a DataFrame or an Arrow table; the index (``case``) holds the
    case ids as text, sorted.
    """
    table = events if isinstance(events, pa.Table) else None

    def column(name: str) -> pa.ChunkedArray | None:
        if table is not None:
            return table.column(name) if name in table.column_names else None
        return pa.chunked_array([pa.Array.from_pandas(events[name])]) if name in events.columns else None

    case = column(CASE)
    ts = column(TIMESTAMP)
    if case is None or ts is None:
        raise MissingColumnError(f"the events need the columns {CASE!r} and {TIMESTAMP!r}")
    enc = pc.dictionary_encode(case.cast(pa.string()).combine_chunks())
    ids = enc.dictionary
    by_id = pc.array_sort_indices(ids).to_numpy()
    rank = np.empty(len(ids), np.int64)
    rank[by_id] = np.arange(len(ids))
    raw = enc.indices.fill_null(-1).to_numpy(zero_copy_only=False)
    codes = np.where(raw >= 0, rank[np.maximum(raw, 0)], -1)
    last = _datetimes(ts)
    start = column(START)
    first = last if start is None else np.where(np.isnat(s := _datetimes(start)), last, s)
    cost_col = column(COST)
    if cost_col is None:
        cost = np.full(len(codes), np.nan)
    elif pa.types.is_floating(cost_col.type) or pa.types.is_integer(cost_col.type):
        cost = cost_col.cast(pa.float64()).to_numpy()
    else:
        cost = pd.to_numeric(cost_col.to_pandas(), errors="coerce").to_numpy(float)
    frame = pd.DataFrame({"c": codes, "first": first, "last": last, "cost": cost})
    g = frame[codes >= 0].groupby("c", sort=True)
    out = pd.DataFrame({
        "throughput_s": (g["last"].max() - g["first"].min()).dt.total_seconds(),
        "cost": g["cost"].sum(min_count=1),
    })
    out.index = pd.Index(ids.take(pa.array(by_id[out.index.to_numpy()])).to_pylist(), name="case")
    return out


def _datetimes(col: pa.ChunkedArray) -> np.ndarray:
    """A timestamp column as numpy datetime64 (UTC instants; NaT for nulls)."""
    if not pa.types.is_timestamp(col.type):
        col = col.cast(pa.timestamp("us", tz="UTC"))
    return np.asarray(col.to_numpy())


def _median_draws(values: Floats, rng: np.random.Generator, draws: int) -> Floats:
    """``draws`` medians of resamples (with replacement) of ``values``: O(draws), see the module docstring."""
    x = np.sort(values)
    n = len(x)
    k = (n + 1) // 2  # the lower middle rank
    u = rng.beta(k, n - k + 1, size=draws)
    lower = x[np.clip(np.ceil(n * u).astype(np.int64), 1, n) - 1]
    if n % 2:
        return lower
    upper_u = u + (1.0 - u) * rng.beta(1, n - k, size=draws)
    upper = x[np.clip(np.ceil(n * upper_u).astype(np.int64), 1, n) - 1]
    return (lower + upper) / 2.0


def _mean_draws(values: Floats, rng: np.random.Generator, draws: int) -> Floats:
    """``draws`` means of resamples (with replacement) of ``values``, in blocks of bounded memory."""
    n = len(values)
    chunk = max(1, min(draws, 1_000_000 // n))
    out = np.empty(draws)
    for lo in range(0, draws, chunk):
        hi = min(draws, lo + chunk)
        out[lo:hi] = np.take(values, rng.integers(0, n, size=(hi - lo, n))).mean(axis=1)
    return out


def _resampled(values: Floats, stat: str, rng: np.random.Generator, draws: int) -> Floats | None:
    """Bootstrap statistics of the non-NaN ``values`` (None below two values)."""
    v = values[~np.isnan(values)]
    if len(v) < 2 or draws <= 0:
        return None
    return _median_draws(v, rng, draws) if stat == "median" else _mean_draws(v, rng, draws)


def _interval(a: Floats | None, b: Floats | None) -> list[float] | None:
    if a is None or b is None:
        return None
    lo, hi = np.percentile(a - b, [2.5, 97.5])
    return [float(lo), float(hi)]


def _stat(values: Floats, stat: Callable[..., np.floating]) -> float | None:
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
    index = figures.index
    groups: dict[str, list[int]] = {}  # label -> positions in ``deviations`` of the cases with it
    deviating: list[int] = []
    for i, labels in enumerate(deviations.values()):
        if labels:
            deviating.append(i)
            for label in labels:
                groups.setdefault(label, []).append(i)
    groups["any deviation"] = deviating
    at = index.get_indexer(pd.Index(list(deviations))) if deviations else np.empty(0, np.intp)  # figures row or -1
    conforming = np.ones(len(index), bool)
    conforming[at[deviating][at[deviating] >= 0]] = False
    ok = np.flatnonzero(conforming)
    if not index.is_monotonic_increasing:  # conforming cases in case-id order
        ok = ok[np.argsort(index.to_numpy()[ok], kind="stable")]
    tt_all, cost_all = figures["throughput_s"].to_numpy(float), figures["cost"].to_numpy(float)
    tt_ok, cost_ok = tt_all[ok], cost_all[ok]
    boot_tt_ok, boot_cost_ok = _resampled(tt_ok, "median", rng, draws), _resampled(cost_ok, "mean", rng, draws)
    rows = []
    for label, cases in sorted(groups.items(), key=lambda kv: (kv[0] != "any deviation", -len(kv[1]), kv[0])):
        rows_of = at[cases]
        sel = np.unique(rows_of[rows_of >= 0])  # the cases' rows in figures, in figures' order
        tt, cost = tt_all[sel], cost_all[sel]
        med_d, med_c = _stat(tt, np.median), _stat(tt_ok, np.median)
        mean_d, mean_c = _stat(cost, np.mean), _stat(cost_ok, np.mean)
        rows.append({
            "deviation": label, "cases": len(sel),
            "throughput_time_median_s": {"deviating": med_d, "conforming": med_c},
            "throughput_time_difference_s": None if med_d is None or med_c is None else med_d - med_c,
            "throughput_time_difference_ci95_s": _interval(_resampled(tt, "median", rng, draws), boot_tt_ok),
            "cost_mean": {"deviating": mean_d, "conforming": mean_c},
            "cost_difference": None if mean_d is None or mean_c is None else mean_d - mean_c,
            "cost_difference_ci95": _interval(_resampled(cost, "mean", rng, draws), boot_cost_ok),
        })
    return pd.DataFrame(rows, columns=list(IMPACT_COLUMNS))
