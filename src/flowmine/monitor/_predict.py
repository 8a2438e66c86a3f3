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
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial
from typing import Any

import pandas as pd

from flowmine.analytics import filter_cases, stored
from flowmine.errors import InputError
from flowmine.monitor._evaluate import Evaluation, _clean, _stat, goal_units
from flowmine.monitor._initiative import Initiative
from flowmine.simulation import WhatIf, mean_interval, whatif
from flowmine.store import Store

#: A prediction is close when predicted and achieved relative change differ by at most this share of the
#: achieved one.
CLOSE_SHARE = 0.25


def goal_value(ini: Initiative, log: pd.DataFrame) -> float:
    """The initiative's goal statistic on one (simulated) log: NaN when it has no unit (the scenario
    removed the goal step)."""
    units, _ = goal_units(log, ini, strict=False)
    v = units["value"].dropna().to_numpy(dtype=float)
    return float(_stat(v, ini.statistic)) if v.size else math.nan


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

    @property
    def gap(self) -> float | None:
        p, a = self.relative["value"], self.achieved_relative
        return None if p is None or a is None or not math.isfinite(a) else p - a

    @property
    def within(self) -> bool | None:
        gap, a = self.gap, self.achieved_relative
        return None if gap is None or a is None else abs(gap) <= CLOSE_SHARE * abs(a)

    def to_dict(self) -> dict[str, Any]:
        w, fid = self.whatif, self.whatif.fidelity
        return _clean({
            "scenario_name": w.scenario, "calibrated_until": self.initiative.change_date.isoformat(),
            "runs": w.runs, "seed": w.seed, "statistic": self.initiative.statistic,
            "as_is": self.as_is, "scenario": self.scenario, "effect": self.effect, "relative": self.relative,
            "achieved_relative": self.achieved_relative, "gap": self.gap, "within_25pct": self.within,
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
               until=until, measure=partial(goal_value, ini))
    base = [m[0] for m in w.measured]
    other = [m[1] for m in w.measured]
    rel = [o / b - 1.0 if b and o is not None and b is not None else math.nan for b, o in zip(base, other, strict=True)]
    eff = [o - b if o is not None and b is not None else math.nan for b, o in zip(base, other, strict=True)]
    return Prediction(ini, w, mean_interval(base), mean_interval(other), mean_interval(eff), mean_interval(rel),
                      None if achieved is None else achieved.relative)
