"""Statistical process control: control limits from a baseline and the standard run rules.

Two charts, as fits the metric:

* **individuals** (XmR) for a measured KPI per period (a median time, a mean cost, a fitness):
  centre = mean of the baseline values, sigma = mean moving range / d2 (d2 = 1.128 for ranges of
  two), limits centre ± 3 sigma;
* **p-chart** for a share of cases per period (rework rate, rule violation rate, share within SLA):
  centre p̄ = baseline successes / baseline cases, sigma_i = sqrt(p̄(1 − p̄) / n_i) for the n_i cases
  of period i, limits clipped to [0, 1].

Each point is turned into a z-score (distance to the centre in sigmas) and the Western Electric rules
(Nelson 1–4 plus the trend rule) are checked on the z-scores, so both charts share one rule engine.
A rule "hits" at the last point of the window that satisfies it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

D2 = 1.128  #: expected range of two normal values in sigmas (the XmR chart constant)

#: rule id -> description (the Western Electric rules, numbered as Nelson's first four, plus the trend rule)
RULES: dict[str, str] = {
    "WE1": "one point beyond 3 sigma",
    "WE2": "2 of 3 consecutive points beyond 2 sigma on the same side",
    "WE3": "4 of 5 consecutive points beyond 1 sigma on the same side",
    "WE4": "8 consecutive points on the same side of the centre line",
    "TREND": "6 consecutive points steadily increasing or decreasing",
}


@dataclass(frozen=True)
class RuleHit:
    """A run rule satisfied by the window of points ending at ``index``; ``side`` is +1 above, -1 below."""

    rule: str
    index: int
    side: int


@dataclass
class ControlChart:
    """A control chart: values, centre line, limits per point, z-scores and the rule hits."""

    kind: str
    values: list[float]
    center: float
    sigma: list[float]
    ucl: list[float]
    lcl: list[float]
    baseline: int
    hits: list[RuleHit] = field(default_factory=list)

    def hits_at(self, index: int) -> list[RuleHit]:
        """The rule hits whose window ends at ``index`` (negative counts from the end)."""
        i = index % len(self.values) if self.values else index
        return [h for h in self.hits if h.index == i]

    def to_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "center": _num(self.center), "baseline_points": self.baseline,
                "ucl": [_num(v) for v in self.ucl], "lcl": [_num(v) for v in self.lcl],
                "hits": [{"rule": h.rule, "index": h.index, "side": h.side} for h in self.hits]}


def _num(v: float) -> float | None:
    return None if v is None or not np.isfinite(v) else float(v)


def individuals_chart(values: Sequence[float], baseline: int | None = None) -> ControlChart:
    """An individuals (XmR) chart with limits from the first ``baseline`` points (default: all).

    Examples
    --------
    >>> c = individuals_chart([10, 12, 11, 13, 12], baseline=5)
    >>> round(c.center, 2), round(c.ucl[0], 3)
    (11.6, 15.589)
    """
    x = np.asarray(values, dtype=float)
    b = len(x) if baseline is None else max(0, min(baseline, len(x)))
    base = x[:b][np.isfinite(x[:b])]
    center = float(base.mean()) if len(base) else float("nan")
    mr = np.abs(np.diff(base))
    sigma = float(mr.mean() / D2) if len(mr) else float("nan")
    n = len(x)
    chart = ControlChart("individuals", [float(v) for v in x], center, [sigma] * n,
                         [center + 3 * sigma] * n, [center - 3 * sigma] * n, b)
    chart.hits = run_rules(_z(x, center, np.full(n, sigma)))
    return chart


def p_chart(successes: Sequence[float], totals: Sequence[float], baseline: int | None = None) -> ControlChart:
    """A p-chart of ``successes / totals`` per period with p̄ from the first ``baseline`` periods.

    Examples
    --------
    >>> c = p_chart([5, 4, 6, 5], [100, 100, 100, 100])
    >>> round(c.center, 3), round(c.ucl[0], 4)
    (0.05, 0.1154)
    """
    k = np.asarray(successes, dtype=float)
    n = np.asarray(totals, dtype=float)
    b = len(k) if baseline is None else max(0, min(baseline, len(k)))
    nb = n[:b].sum()
    center = float(k[:b].sum() / nb) if nb > 0 else float("nan")
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(n > 0, k / np.where(n > 0, n, 1), np.nan)
        sigma = np.where(n > 0, np.sqrt(center * (1 - center) / np.where(n > 0, n, 1)), np.nan)
    ucl = np.minimum(center + 3 * sigma, 1.0)
    lcl = np.maximum(center - 3 * sigma, 0.0)
    chart = ControlChart("p", [float(v) for v in p], center, [float(s) for s in sigma],
                         [float(v) for v in ucl], [float(v) for v in lcl], b)
    chart.hits = run_rules(_z(p, center, sigma))
    return chart


def _z(x: np.ndarray, center: float, sigma: np.ndarray) -> np.ndarray:
    """Distance to the centre in sigmas; with sigma 0 a point off the centre is infinitely far."""
    d = x - center
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(sigma > 0, d / np.where(sigma > 0, sigma, 1), np.sign(d) * np.inf)
    return np.where(np.isfinite(x), z, np.nan)


def run_rules(z: Iterable[float]) -> list[RuleHit]:
    """The run-rule hits on a series of z-scores (NaN points break no rule and end no run).

    Examples
    --------
    >>> [(h.rule, h.index) for h in run_rules([0.5, 2.5, 2.2, 0.1])]
    [('WE2', 2)]
    """
    zs = [float(v) for v in z]
    hits: list[RuleHit] = []

    def window(end: int, size: int) -> list[float] | None:
        w = zs[end - size + 1:end + 1]
        return None if end - size + 1 < 0 or any(np.isnan(v) for v in w) else w

    for i, v in enumerate(zs):
        if np.isnan(v):
            continue
        if abs(v) > 3:
            hits.append(RuleHit("WE1", i, 1 if v > 0 else -1))
        for rule, size, need, limit in (("WE2", 3, 2, 2.0), ("WE3", 5, 4, 1.0)):
            w = window(i, size)
            if w is None:
                continue
            for side in (1, -1):
                # the current point must be one of the extreme ones, so a run is reported where it ends
                if side * v > limit and sum(1 for u in w if side * u > limit) >= need:
                    hits.append(RuleHit(rule, i, side))
        w = window(i, 8)
        if w is not None:
            for side in (1, -1):
                if all(side * u > 0 for u in w):
                    hits.append(RuleHit("WE4", i, side))
        w = window(i, 6)
        if w is not None:
            d = np.diff(w)
            if (d > 0).all() or (d < 0).all():
                hits.append(RuleHit("TREND", i, 1 if d[0] > 0 else -1))
    return hits
