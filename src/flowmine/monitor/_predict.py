"""An initiative's predicted effect: its ``[scenario]`` simulated on the data before the change date,
set beside the effect the before/after evaluation measured.

The as-is model is discovered from the cases that started before the change date
(:func:`flowmine.simulation.discover` with ``until``); the scenario changes a copy of it. Both run as
``runs`` replications with common random numbers (:func:`flowmine.simulation.whatif`), and on each
replication the initiative's goal KPI is measured as the evaluation measures it on the log (the same
units, :func:`goal_units`, and statistic; a simulated log has no case attributes, so it is not
stratified). The **predicted relative change** is the mean over the replications of scenario / as-is −
1, with the Student-t 95 % interval of that mean; the **gap** is predicted minus achieved relative
change, and ``within_25pct`` says whether the gap is at most a quarter of the achieved change (the
accuracy the simulation is held to on the sample initiatives). A model whose fidelity against the
calibration data is poor says so (``fidelity_acceptable``), and the prediction is then not to be trusted.

Whether the achieved change lies inside the predicted interval is said for two intervals, with the
distance from it (0 inside; else the achieved change minus the nearer bound):

- the **confidence interval** of the predicted mean (``relative["ci"]``): how precisely the replications
  pin down what the model expects. It narrows with more replications, so an achieved change, which is
  one noisy before/after comparison of finite periods, lies outside it even when the model is right;
- the **prediction interval** (``prediction_interval``): where the before/after evaluation of periods of
  the evaluated sizes should land if the model is right. Each replication's goal statistic (as-is and
  scenario apart) varies as one period's statistic does; its variance across replications, scaled from
  the units of a simulated log to the units the evaluation had before and after the change (a variance
  of a statistic falls as 1 / units), gives the variance of the achieved relative change (the delta
  method: ``(S/B)^2 (var S / S^2 + var B / B^2)``), to which the prediction's own variance is added; the
  interval is the predicted change ± Student-t (replications − 1 degrees of freedom) times its root.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from flowmine.analytics import filter_cases, stored
from flowmine.errors import InputError
from flowmine.monitor._evaluate import Evaluation, _clean, _stat, goal_units
from flowmine.monitor._initiative import Initiative
from flowmine.simulation import WhatIf, mean_interval, whatif
from flowmine.store import Store

#: A prediction is close when predicted and achieved relative change differ by at most this share of the
#: achieved one.
CLOSE_SHARE = 0.25


def goal_value(ini: Initiative, log: pd.DataFrame, inst: pd.DataFrame | None = None) -> float:
    """The initiative's goal statistic on one (simulated) log: NaN when it has no unit (the scenario
    removed the goal step). ``inst``: the log's activity instances when they are at hand."""
    return goal_sample(ini, log, inst)[0]


def goal_sample(ini: Initiative, log: pd.DataFrame, inst: pd.DataFrame | None = None) -> tuple[float, int]:
    """The initiative's goal statistic on one (simulated) log and the number of units it was taken on."""
    units, _ = goal_units(log, ini, strict=False, inst=inst)
    v = units["value"].dropna().to_numpy(dtype=float)
    return (float(_stat(v, ini.statistic)) if v.size else math.nan), int(v.size)


def prediction_interval(measured: list[tuple[Any, Any]], n_before: int, n_after: int,
                        confidence: float = 0.95) -> list[float | None]:
    """The interval in which the before/after evaluation of ``n_before`` and ``n_after`` units should find
    the relative change if the model is right (see the module docstring); ``measured``: per replication,
    ``((as-is statistic, units), (scenario statistic, units))``. ``[None, None]`` with fewer than two
    usable replications or no unit on a side."""
    rows = np.asarray([(b[0], b[1], o[0], o[1]) for b, o in measured if b is not None and o is not None],
                      dtype=np.float64).reshape(-1, 4)
    rows = rows[np.isfinite(rows).all(axis=1) & (rows[:, 0] != 0) & (rows[:, 2] != 0)]
    if len(rows) < 2 or n_before < 1 or n_after < 1:
        return [None, None]
    b, nb, s, ns = rows.T
    rel = s / b - 1.0
    mb, ms = float(b.mean()), float(s.mean())
    var_b = float(b.var(ddof=1)) * float(nb.mean()) / n_before  # one period of n_before units
    var_s = float(s.var(ddof=1)) * float(ns.mean()) / n_after
    var_achieved = (ms / mb) ** 2 * (var_s / ms ** 2 + var_b / mb ** 2)
    var_mean = float(rel.var(ddof=1)) / len(rel)
    half = float(stats.t.ppf(0.5 + confidence / 2, len(rel) - 1)) * math.sqrt(var_achieved + var_mean)
    mean = float(rel.mean())
    return [mean - half, mean + half]


def distance_to(value: float | None, interval: list[float | None]) -> float | None:
    """How far ``value`` lies outside ``interval``: 0 inside, else ``value`` minus the nearer bound (None
    when either is unknown)."""
    lo, hi = interval
    if value is None or lo is None or hi is None or not math.isfinite(value):
        return None
    return 0.0 if lo <= value <= hi else value - (lo if value < lo else hi)


@dataclass
class Prediction:
    """The result of :func:`predict_initiative` (see the module docstring)."""

    initiative: Initiative
    whatif: WhatIf
    as_is: dict[str, Any]
    scenario: dict[str, Any]
    effect: dict[str, Any]
    relative: dict[str, Any]
    achieved_relative: float | None = None
    #: where the evaluation of the evaluated periods should find the change (see the module docstring)
    prediction_interval: list[float | None] = field(default_factory=lambda: [None, None])

    @property
    def gap(self) -> float | None:
        p, a = self.relative["value"], self.achieved_relative
        return None if p is None or a is None or not math.isfinite(a) else p - a

    @property
    def within(self) -> bool | None:
        gap, a = self.gap, self.achieved_relative
        return None if gap is None or a is None else abs(gap) <= CLOSE_SHARE * abs(a)

    @property
    def distance_to_ci(self) -> float | None:
        """How far the achieved change lies outside the predicted mean's confidence interval (0 inside)."""
        return distance_to(self.achieved_relative, self.relative["ci"])

    @property
    def distance_to_interval(self) -> float | None:
        """How far the achieved change lies outside the prediction interval (0 inside)."""
        return distance_to(self.achieved_relative, self.prediction_interval)

    def to_dict(self) -> dict[str, Any]:
        w, fid = self.whatif, self.whatif.fidelity
        to_ci, to_pi = self.distance_to_ci, self.distance_to_interval
        return _clean({
            "scenario_name": w.scenario, "calibrated_until": self.initiative.change_date.isoformat(),
            "runs": w.runs, "seed": w.seed, "statistic": self.initiative.statistic,
            "as_is": self.as_is, "scenario": self.scenario, "effect": self.effect, "relative": self.relative,
            "achieved_relative": self.achieved_relative, "gap": self.gap, "within_25pct": self.within,
            "achieved_within_ci": None if to_ci is None else to_ci == 0.0, "distance_to_ci": to_ci,
            "prediction_interval": self.prediction_interval,
            "achieved_within_prediction_interval": None if to_pi is None else to_pi == 0.0,
            "distance_to_prediction_interval": to_pi,
            "fidelity_acceptable": fid.get("acceptable"), "fidelity_problems": fid.get("problems", []),
            "fidelity": fid})


def predict_initiative(store: str | Store, ini: Initiative, *, runs: int = 10, workers: int = 2,
                       seed: int | None = None, achieved: Evaluation | None = None) -> Prediction:
    """Simulate ``ini``'s ``[scenario]`` on the data before its change date (see the module docstring).

    ``achieved`` (an :func:`evaluate_initiative` result) fills the achieved effect and the gap.

    Examples
    --------
    >>> from flowmine.monitor import load_initiative, predict_initiative
    >>> from flowmine.processes import packaged_folder
    >>> ini = load_initiative(packaged_folder() / "finance" / "initiatives" / "finance_deputy_gm.toml")
    >>> p = predict_initiative(STORE, ini, runs=3, workers=1)  # STORE: a store's path
    >>> p.relative["value"] < 0  # one more approver: less waiting
    True
    """
    if ini.scenario is None:
        raise InputError(str(ini.path), "has no [scenario]: add [[scenario.change]] tables to predict its effect")
    st = store if isinstance(store, Store) else Store(store, create=False)
    log: Any = stored(st, ini.process)
    if not ini.scope.is_empty():
        log = filter_cases(log, ini.scope)
    until = pd.Timestamp(ini.change_date.isoformat(), tz=ini.timezone).tz_convert("UTC").isoformat()
    w = whatif(log, ini.scenario, runs=runs, seed=ini.seed if seed is None else seed, workers=workers,
               until=until, measure=partial(goal_sample, ini))
    base = [None if m[0] is None else m[0][0] for m in w.measured]
    other = [None if m[1] is None else m[1][0] for m in w.measured]
    rel = [o / b - 1.0 if b and o is not None and b is not None else math.nan for b, o in zip(base, other, strict=True)]
    eff = [o - b if o is not None and b is not None else math.nan for b, o in zip(base, other, strict=True)]
    pi: list[float | None] = [None, None] if achieved is None else prediction_interval(
        w.measured, achieved.n_before, achieved.n_after)
    return Prediction(ini, w, mean_interval(base), mean_interval(other), mean_interval(eff), mean_interval(rel),
                      None if achieved is None else achieved.relative, pi)
