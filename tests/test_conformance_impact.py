"""The impact bootstrap: fast draws that follow the exact bootstrap distribution, seeded intervals.

The median of a resample is drawn from order statistics of uniform ranks (O(1) per draw); its
distribution must equal the bootstrap distribution of the median, enumerated here over all n**n
resamples of small samples (odd and even n, with and without ties).
"""

from __future__ import annotations

import itertools
from collections import Counter

import numpy as np
import pandas as pd
import pytest

from flowmine.conformance import deviation_impact
from flowmine.conformance._impact import _mean_draws, _median_draws

DRAWS = 200_000


def _exact_median_distribution(values: list[float]) -> dict[float, float]:
    n = len(values)
    counts = Counter(float(np.median([values[i] for i in idx])) for idx in itertools.product(range(n), repeat=n))
    return {m: c / n**n for m, c in counts.items()}


@pytest.mark.parametrize("values", [[1.0, 4.0, 9.0, 10.0, 30.0], [3.0, 1.0, 8.0, 2.0], [1.0, 1.0, 2.0, 5.0, 5.0, 7.0],
                                    [2.0, 6.0]], ids=["odd", "even", "ties", "two"])
def test_median_draws_follow_the_exact_bootstrap_distribution(values):
    exact = _exact_median_distribution(values)
    draws = _median_draws(np.array(values), np.random.default_rng(7), DRAWS)
    seen = Counter(draws.tolist())
    assert set(seen) <= set(exact)
    for m, p in exact.items():  # 5 standard errors at most (about 0.0056 at p = 0.5)
        assert seen[m] / DRAWS == pytest.approx(p, abs=5 * np.sqrt(p * (1 - p) / DRAWS) + 1e-9), m


def test_mean_draws_have_the_bootstrap_mean_and_spread():
    values = np.random.default_rng(1).lognormal(5, 1, size=3_001)
    draws = _mean_draws(values, np.random.default_rng(2), 20_000)
    assert draws.mean() == pytest.approx(values.mean(), rel=2e-3)
    assert draws.std() == pytest.approx(values.std() / np.sqrt(len(values)), rel=0.03)


def _figures(n: int, slow: set[int]) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    tt = rng.gamma(4, 3600, size=n) + np.array([20_000.0 if i in slow else 0.0 for i in range(n)])
    cost = rng.normal(100, 10, size=n)
    cost[::17] = np.nan  # unknown costs are left out
    out = pd.DataFrame({"throughput_s": tt, "cost": cost}, index=pd.Index([f"c{i:04d}" for i in range(n)], name="case"))
    return out


def test_intervals_are_seeded_and_cover_a_planted_difference():
    slow = set(range(0, 600, 3))
    figures = _figures(600, slow)
    deviations = {f"c{i:04d}": ["skipped: X"] if i in slow else [] for i in range(600)}
    deviations["c0001"] = ["rule: r"]  # one case: no interval
    table = deviation_impact(figures, deviations)
    assert table.equals(deviation_impact(figures, deviations))
    assert not table.equals(deviation_impact(figures, deviations, seed=1))
    rows = table.set_index("deviation")
    assert list(table["deviation"]) == ["any deviation", "skipped: X", "rule: r"]
    x = rows.loc["skipped: X"]
    lo, hi = x["throughput_time_difference_ci95_s"]
    assert 0 < lo < x["throughput_time_difference_s"] < hi
    assert lo < 20_000 < hi  # the planted shift
    clo, chi = x["cost_difference_ci95"]
    assert clo < x["cost_difference"] < chi and clo < 0 < chi  # no planted cost difference
    assert rows.loc["rule: r", "cases"] == 1 and rows.loc["rule: r", "throughput_time_difference_ci95_s"] is None
