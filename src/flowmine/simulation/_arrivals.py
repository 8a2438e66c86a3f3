"""The case arrivals' trend over the weeks (:func:`arrival_trend`), which :func:`flowmine.simulation.discover`
puts into a model beside the arrivals per hour of the week."""

from __future__ import annotations

import numpy as np
import pandas as pd

#: The trend of the arrivals is kept when its z-value (estimate over standard error) reaches this, the
#: calibration period has at least ``TREND_MIN_WEEKS`` whole weeks, and the rate changes by at most the
#: factor ``TREND_MAX_CHANGE`` (either way) over the period: beyond it the arrivals jumped rather than
#: trended (a few cases for years, then many), which a steady trend would misstate.
TREND_Z = 3.0
TREND_MIN_WEEKS = 8
TREND_MAX_CHANGE = 4.0


def arrival_trend(arrivals: pd.Series) -> float:
    """The weekly log-growth of the case arrivals: the slope of a Poisson regression of the cases
    arriving in each whole week on the week's number (Newton's method on the log-likelihood), or 0
    where it is not clearly there (z below :data:`TREND_Z`, fewer than :data:`TREND_MIN_WEEKS` whole
    weeks) or not steady (a change by more than :data:`TREND_MAX_CHANGE` over the period). Weeks run
    from the first arrival; the last, incomplete week is left out.

    >>> import pandas as pd
    >>> t0 = pd.Timestamp("2025-01-06", tz="UTC")
    >>> def weekly(counts): return pd.Series([t0 + pd.Timedelta(weeks=w, hours=i) for w, n in enumerate(counts)
    ...                                      for i in range(n)])
    >>> round(arrival_trend(weekly([20 + 2 * w for w in range(20)])), 3)  # 20 to 58 a week: steady growth
    0.054
    >>> arrival_trend(weekly([24] * 20)), arrival_trend(weekly([10 + 5 * w for w in range(20)]))  # flat; 10x
    (0.0, 0.0)
    """
    t = arrivals.dropna()
    if t.empty:
        return 0.0
    weeks = ((t - t.min()).dt.total_seconds() // (7 * 86400)).astype(np.int64).to_numpy()
    whole = int((t.max() - t.min()).total_seconds() // (7 * 86400))
    if whole < TREND_MIN_WEEKS:
        return 0.0
    y = np.bincount(weeks[weeks < whole], minlength=whole).astype(np.float64)
    x = np.arange(whole, dtype=np.float64) - (whole - 1) / 2
    b0, b1 = np.log(max(y.mean(), 1e-9)), 0.0
    for _ in range(50):  # Newton on (b0, b1) of log E[y] = b0 + b1 x
        mu = np.exp(b0 + b1 * x)
        g = np.array([np.sum(y - mu), np.sum((y - mu) * x)])
        h = np.array([[mu.sum(), (mu * x).sum()], [(mu * x).sum(), (mu * x * x).sum()]])
        step = np.linalg.solve(h, g)
        b0, b1 = b0 + step[0], b1 + step[1]
        if np.max(np.abs(step)) < 1e-10:
            break
    mu = np.exp(b0 + b1 * x)
    info = np.array([[mu.sum(), (mu * x).sum()], [(mu * x).sum(), (mu * x * x).sum()]])
    se = float(np.sqrt(np.linalg.inv(info)[1, 1]))
    steady = abs(b1) * whole <= np.log(TREND_MAX_CHANGE)
    return float(b1) if se > 0 and abs(b1) / se >= TREND_Z and steady else 0.0
