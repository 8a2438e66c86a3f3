"""The arrivals' trend (issue 18: "case arrivals by hour and weekday, with trend"): found in a log where the
weekly arrivals grow, none where they do not, and the simulated log grows the same way."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from flowmine._schema import ACTIVITY, CASE, EVENT_ID, RESOURCE, START, TIMESTAMP
from flowmine.simulation import discover, simulate
from flowmine.simulation._arrivals import arrival_trend


def growing_log(weeks: int, growth: float, seed: int = 1) -> pd.DataFrame:
    """Cases arriving in working hours, ``20 * exp(growth * week)`` a week on average; two steps each."""
    rng = np.random.default_rng(seed)
    t0 = pd.Timestamp("2025-01-06 00:00", tz="UTC")  # a Monday
    rows = []
    n = 0
    for w in range(weeks):
        for _ in range(rng.poisson(20 * np.exp(growth * w))):
            day, hour = int(rng.integers(0, 5)), 9 + 8 * rng.random()
            start = t0 + pd.Timedelta(weeks=w, days=day, hours=hour)
            a_end = start + pd.Timedelta(minutes=30)
            b_start = a_end + pd.Timedelta(minutes=10)
            rows += [(f"c{n}", "A", start, a_end, "r1"), (f"c{n}", "B", b_start, b_start + pd.Timedelta(minutes=20),
                                                          "r2")]
            n += 1
    df = pd.DataFrame(rows, columns=[CASE, ACTIVITY, START, TIMESTAMP, RESOURCE])
    df = df.sort_values([CASE, START], kind="stable").reset_index(drop=True)
    df[EVENT_ID] = np.arange(len(df))
    return df


def test_a_growing_log_has_its_trend_found_and_simulated():
    """Offline over generator seeds 1-3 and simulation seeds 0-3: the trend found is 1.13, 1.01 and 1.21 of
    the planted one, the simulated logs' 0.98-1.29 of it, their cases 0.955-1.049 of the log's."""
    growth = np.log(3) / 24  # three times as many cases a week after 24 weeks
    log = growing_log(26, growth)
    model = discover(log)
    assert model.arrival_trend == pytest.approx(growth, rel=0.25)
    sim = simulate(model, seed=3)
    starts = sim.groupby(CASE)[TIMESTAMP].min()
    assert arrival_trend(starts) == pytest.approx(growth, rel=0.3)
    # the simulated period holds as many cases as the log (the rates hold at the period's middle)
    assert sim[CASE].nunique() == pytest.approx(log[CASE].nunique(), rel=0.1)
    flat = discover(growing_log(26, 0.0))
    assert flat.arrival_trend == 0.0  # no trend the weekly counts show
    again = type(model).from_dict(model.to_dict())
    assert again.arrival_trend == model.arrival_trend


def test_the_trend_is_not_extrapolated_beyond_the_period():
    model = discover(growing_log(26, np.log(3) / 24))
    f = model.arrival_factor([-5, 0, model.weeks / 2, model.weeks, model.weeks + 30])
    assert f[0] == f[1] and f[3] == f[4] and f[2] == pytest.approx(1.0)
    assert f[3] / f[1] == pytest.approx(np.exp(model.arrival_trend * model.weeks))


def test_a_short_log_has_no_trend():
    log = growing_log(6, 0.3)
    assert discover(log).arrival_trend == 0.0  # fewer than eight whole weeks: not told
