"""The statistics of an influencing factor: one group of units against the rest, tested and bounded.

Every factor value is a boolean mask over the units (activity instances of a step, or cases). For a
time or cost measure the groups are compared by their medians: the rank test is the two-sided
Mann-Whitney U test (normal approximation with the tie and continuity corrections, as
``scipy.stats.mannwhitneyu(method="asymptotic")`` computes it), vectorised over all masks at once; the
effect ratio's 95 % interval is a percentile bootstrap whose per-group medians are drawn from their
exact bootstrap distribution (the resampled median is an order statistic of the sorted sample whose
probabilities are binomial, Efron 1982), so no resample is ever materialised. For a yes/no measure
(rework, deviation) the groups are compared by their rates: Fisher's exact test and a parametric
bootstrap of the two binomial counts. The p-values of all values tested are corrected together by
Benjamini-Hochberg (``scipy.stats.false_discovery_control``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt
from scipy import stats
from scipy.special import gammaln, ndtr

FloatArray = npt.NDArray[np.float64]
#: Above this many units a group's bootstrap median is drawn through the binomial's normal limit.
LARGE = 20_000


def rank_test(values: FloatArray, masks: npt.NDArray[np.bool_]) -> FloatArray:
    """Two-sided Mann-Whitney p-value of each mask's group against the rest (one row of ``masks`` each)."""
    ranks = stats.rankdata(values)
    _, counts = np.unique(values, return_counts=True)
    r1 = np.array([ranks[np.flatnonzero(m)].sum() for m in masks], dtype=np.float64)
    return rank_p(r1, np.count_nonzero(masks, axis=1), values.size, float(np.sum(counts.astype(np.float64) ** 3
                                                                                  - counts)))


def sorted_ranks(sorted_values: FloatArray) -> tuple[FloatArray, float]:
    """The ranks of sorted values (ties get their average rank, as ``scipy.stats.rankdata``) and the
    tie term (the sum of t³ - t over the runs of equal values)."""
    n = sorted_values.size
    starts = np.flatnonzero(np.r_[True, sorted_values[1:] != sorted_values[:-1]]) if n else np.zeros(0, np.int64)
    counts = np.diff(np.r_[starts, n])
    ranks = np.repeat(0.5 * (2 * starts + counts + 1), counts).astype(np.float64)  # (first + last) / 2, 1-based
    return ranks, float(np.sum(counts.astype(np.float64) ** 3 - counts))


def rank_p(r1: FloatArray, sizes: npt.NDArray[np.int64], n: int, ties: float) -> FloatArray:
    """Two-sided Mann-Whitney p-values from each group's rank sum ``r1`` and size, of ``n`` values with
    the tie term ``ties`` (normal approximation with the tie and continuity corrections)."""
    n1 = np.asarray(sizes, dtype=np.float64)
    n2 = n - n1
    u1 = r1 - n1 * (n1 + 1) / 2.0
    mu = n1 * n2 / 2.0
    var = n1 * n2 / 12.0 * ((n + 1) - ties / (n * (n - 1.0))) if n > 1 else np.zeros_like(n1)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (np.abs(u1 - mu) - 0.5) / np.sqrt(var)
    p = np.where(var > 0, 2.0 * ndtr(-np.maximum(z, 0.0)), 1.0)  # the normal's survival (what norm.sf computes)
    return np.asarray(np.clip(p, 0.0, 1.0), dtype=np.float64)


def sorted_median(sorted_values: FloatArray) -> float:
    """The median of a sorted sample (what ``np.median`` gives, without its partition): the middle
    value, or the mean of the two middle values."""
    n = sorted_values.size
    if n % 2:
        return float(sorted_values[n // 2])
    return float(np.mean(sorted_values[n // 2 - 1:n // 2 + 1]))


def fisher_test(hits: npt.NDArray[np.int64], sizes: npt.NDArray[np.int64], total_hits: int, total: int
                ) -> FloatArray:
    """Two-sided Fisher exact p-value of each group's rate (``hits`` of ``sizes``) against the rest: the
    hypergeometric probability of every table with the same margins that is no more likely than the
    observed one (with scipy's relative tolerance of 1e-7), summed over the support in log space."""
    out = np.empty(hits.size, dtype=np.float64)
    big_k, n = int(total_hits), int(total)
    base = gammaln(big_k + 1) + gammaln(n - big_k + 1) - gammaln(n + 1)
    for i, (k, m) in enumerate(zip(hits.tolist(), sizes.tolist(), strict=True)):
        x = np.arange(max(0, m + big_k - n), min(m, big_k) + 1, dtype=np.float64)
        logp = (base + gammaln(m + 1) + gammaln(n - m + 1) - gammaln(x + 1) - gammaln(big_k - x + 1)
                - gammaln(m - x + 1) - gammaln(n - big_k - m + x + 1))
        observed = logp[int(k - x[0])]
        p = np.exp(logp[logp <= observed + np.log1p(1e-7)]).sum()
        out[i] = min(float(p), 1.0)
    return out


def median_draws(sorted_values: FloatArray, n_boot: int, rng: np.random.Generator) -> FloatArray:
    """``n_boot`` draws of the bootstrap median (the lower median, order statistic ``(n+1)//2``) of a
    sorted sample from its exact bootstrap distribution: P(median* <= x_(j)) = P(Binomial(n, j/n) >= k).
    Only the window of 8 binomial standard deviations around the middle is evaluated: the mass outside
    it is below 1e-14."""
    return median_draws_at(sorted_values.size, lambda j: sorted_values[j - 1], n_boot, rng)


def median_draws_at(n: int, value_at: Callable[[npt.NDArray[np.int64]], FloatArray], n_boot: int,
                    rng: np.random.Generator) -> FloatArray:
    """:func:`median_draws` of a sorted sample of ``n`` values given by ``value_at`` (1-based ranks ->
    values), so that a group need not be materialised."""
    k = (n + 1) // 2
    half = int(np.ceil(8 * np.sqrt(n) / 2)) + 2
    lo, hi = max(1, k - half), min(n, k + half)
    j = np.arange(lo, hi + 1)
    if n > LARGE:  # the binomial's normal limit (continuity-corrected): its error is below 1e-3 here
        p = j / n
        cdf = ndtr(-(k - 0.5 - n * p) / np.sqrt(n * p * (1 - p)))  # the normal's survival (what norm.sf computes)
    else:
        cdf = stats.binom.sf(k - 1, n, j / n)
    cdf[-1] = 1.0
    pick = np.searchsorted(cdf, rng.random(n_boot), side="left")
    return np.asarray(value_at(j[np.minimum(pick, j.size - 1)]), dtype=np.float64)


def ratio_interval(with_draws: FloatArray, rest_draws: FloatArray, confidence: float) -> tuple[float, float]:
    """Percentile interval of the ratio of two groups' bootstrap draws (NaN where undefined)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = with_draws / rest_draws
    ratio = ratio[np.isfinite(ratio)]
    if ratio.size < with_draws.size * 0.95:  # the rest's statistic is often zero: no ratio to bound
        return float("nan"), float("nan")
    a = (1.0 - confidence) / 2.0
    low, high = np.quantile(ratio, [a, 1.0 - a])
    return float(low), float(high)


def rate_draws(hits: int, size: int, n_boot: int, rng: np.random.Generator) -> FloatArray:
    """``n_boot`` bootstrap draws of a rate ``hits / size`` (the binomial count resampled)."""
    return np.asarray(rng.binomial(size, hits / size, n_boot) / size, dtype=np.float64)


def bh(p_values: FloatArray) -> FloatArray:
    """Benjamini-Hochberg adjusted p-values (q-values) of all values tested together."""
    if p_values.size == 0:
        return p_values
    return np.asarray(stats.false_discovery_control(p_values, method="bh"), dtype=np.float64)
