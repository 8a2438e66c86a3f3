"""A scenario's predicted effect: the as-is model and the changed one, each run as several independent
replications, their KPIs with intervals across replications, and the delta.

Replication ``k`` of both models uses the seed ``seed + k`` (common random numbers: the two runs of a
replication draw their arrivals alike, so their difference is less noisy than two independent runs).
A KPI's value is its mean over the replications, its interval the Student-t 95 % interval of that
mean; the delta's interval is that of the mean paired difference. Replications run on ``workers``
processes. The as-is model's fidelity against the log (its first replication) comes with the result,
and a poor fidelity is said before any number.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from flowmine._schema import START, TIMESTAMP
from flowmine.analytics import LogLike, instances
from flowmine.simulation._discover import discover
from flowmine.simulation._fidelity import case_times, fidelity
from flowmine.simulation._model import SimulationModel
from flowmine.simulation._run import simulate
from flowmine.simulation._scenario import Scenario, apply

#: KPIs of one simulated log (seconds, the currency per case, cases, a share of cases).
KPIS = ("throughput_median_s", "throughput_p90_s", "cost_per_case", "cases", "wip_mean", "rule_violation_rate")


def kpis(sim: pd.DataFrame, process: str | None = None, inst: pd.DataFrame | None = None) -> dict[str, Any]:
    """The KPIs of one simulated log: throughput median and p90, cost per case, cases, the mean work in
    progress (``wip_mean``: cases open at once, averaged over the simulated period), the share of cases
    that break at least one business rule of ``process``'s definition (``rule_violation_rate``; None
    without rules), and the median waiting per step (``waiting_median_s``, a dict). ``inst``: the log's
    activity instances when they are at hand (``instances(sim)``, else computed)."""
    inst = instances(sim) if inst is None else inst
    cases = case_times(inst)
    tt = cases["throughput_s"]
    waits = inst.groupby("activity", sort=True)["waiting_s"].median().dropna()
    began = pd.to_datetime(sim[START].fillna(sim[TIMESTAMP]), utc=True).min()
    span = (pd.to_datetime(sim[TIMESTAMP], utc=True).max() - began).total_seconds() if len(sim) else 0.0
    return {"throughput_median_s": float(tt.median()), "throughput_p90_s": float(tt.quantile(0.9)),
            "cost_per_case": float(cases["cost"].fillna(0.0).mean()), "cases": float(len(tt)),
            "wip_mean": float(tt.sum() / span) if span > 0 else None,
            "rule_violation_rate": _violation_rate(sim, process, len(tt)),
            "waiting_median_s": {str(k): float(v) for k, v in waits.items()}}


def _violation_rate(sim: pd.DataFrame, process: str | None, n_cases: int) -> float | None:
    """The share of the simulated cases that break at least one rule of the process's definition."""
    from flowmine.processes import check_rules, configured

    cfg = configured(process) if process else None
    if cfg is None or not cfg.rules or not n_cases:
        return None
    broken = check_rules(sim, cfg.rules, cfg.calendar)
    return len(set().union(*broken.values())) / n_cases


#: A measure of one simulated log, given the log and its activity instances (``instances(log)``, computed
#: once per replication for it and the KPIs): a picklable function, replications run in other processes.
Measure = Callable[[pd.DataFrame, pd.DataFrame], Any]


def _job(as_is: dict[str, Any], changed: dict[str, Any] | None, seed: int, keep: bool, measure: Measure | None
         ) -> tuple[dict[str, Any], dict[str, Any] | None, pd.DataFrame | None, tuple[Any, Any]]:
    def run(model: dict[str, Any]) -> tuple[pd.DataFrame, dict[str, Any], Any]:
        log = simulate(SimulationModel.from_dict(model), seed=seed)
        inst = instances(log)  # once: the KPIs and the measure read the same instances
        return log, kpis(log, as_is["process"], inst), None if measure is None else measure(log, inst)

    base, base_kpis, base_measured = run(as_is)
    other = run(changed) if changed is not None else (None, None, None)
    return base_kpis, other[1], base if keep else None, (base_measured, other[2])


def mean_interval(values: list[float | None] | list[float], confidence: float = 0.95) -> dict[str, Any]:
    """The mean of ``values`` (None and NaN left out) and its Student-t interval at ``confidence``:
    ``{"value", "ci": [low, high]}`` (None where too few values)."""
    v = np.asarray([x for x in values if x is not None and np.isfinite(x)], dtype=np.float64)
    if v.size == 0:
        return {"value": None, "ci": [None, None]}
    mean = float(v.mean())
    if v.size < 2:
        return {"value": mean, "ci": [None, None]}
    half = float(stats.t.ppf(0.5 + confidence / 2, v.size - 1) * v.std(ddof=1) / np.sqrt(v.size))
    return {"value": mean, "ci": [mean - half, mean + half]}


def _summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    out = {k: mean_interval([r[k] for r in runs]) for k in KPIS}
    steps = sorted({s for r in runs for s in r["waiting_median_s"]})
    out["waiting_median_s"] = {s: mean_interval([r["waiting_median_s"].get(s, np.nan) for r in runs]) for s in steps}
    return out


def _delta(base: list[dict[str, Any]], other: list[dict[str, Any]]) -> dict[str, Any]:
    out = {k: mean_interval([o[k] - b[k] if o[k] is not None and b[k] is not None else None
                             for b, o in zip(base, other, strict=True)]) for k in KPIS}
    steps = sorted({s for r in base for s in r["waiting_median_s"]} & {s for r in other for s in r["waiting_median_s"]})
    out["waiting_median_s"] = {s: mean_interval([o["waiting_median_s"].get(s, np.nan) - b["waiting_median_s"].get(
        s, np.nan) for b, o in zip(base, other, strict=True)]) for s in steps}
    return out


@dataclass
class WhatIf:
    """A scenario's prediction: ``as_is`` and ``scenario`` KPIs (each ``{"value", "ci"}``), their
    ``delta``, the as-is model's ``fidelity`` against the log, and how it was run."""

    scenario: str | None
    runs: int
    seed: int
    as_is: dict[str, Any]
    predicted: dict[str, Any] | None
    delta: dict[str, Any] | None
    fidelity: dict[str, Any]
    model: SimulationModel = field(repr=False)
    log: pd.DataFrame | None = field(default=None, repr=False)  # the first as-is replication
    #: ``measure``'s value on each replication: (as-is, scenario) pairs
    measured: list[tuple[Any, Any]] = field(default_factory=list, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {"scenario_name": self.scenario, "runs": self.runs, "seed": self.seed, "as_is": self.as_is,
                "scenario": self.predicted, "delta": self.delta, "fidelity": self.fidelity}


def whatif(log: LogLike, scenario: Scenario | None = None, *, runs: int = 10, seed: int = 0, workers: int = 2,
           until: str | None = None, model: SimulationModel | None = None, measure: Measure | None = None
           ) -> WhatIf:
    """Predict ``scenario``'s effect on ``log``'s process (see the module docstring).

    ``model`` (default: :func:`discover` of the log, on the cases before ``until`` when given) is the
    as-is model; without a scenario only the as-is KPIs and the fidelity are computed. ``measure``
    (a picklable function of a simulated log and its instances) is taken on every replication of both
    models too (``WhatIf.measured``), e.g. an initiative's goal KPI.
    """
    base = model if model is not None else discover(log, until=until)
    changed = apply(base, scenario) if scenario is not None else None
    args = [(base.to_dict(), changed.to_dict() if changed is not None else None, seed + k, k == 0, measure)
            for k in range(runs)]
    if workers > 1 and runs > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(_job, *zip(*args, strict=True)))
    else:
        results = [_job(*a) for a in args]
    base_runs = [r[0] for r in results]
    other_runs = [r[1] for r in results if r[1] is not None]
    first = results[0][2]
    fid = fidelity(log if until is None else _before(log, until), first) if first is not None else {}
    return WhatIf(scenario.name if scenario is not None else None, runs, seed, _summary(base_runs),
                  _summary(other_runs) if other_runs else None,
                  _delta(base_runs, other_runs) if other_runs else None, fid, base, first, [r[3] for r in results])


def _before(log: LogLike, until: str) -> LogLike:
    """The log's cases the model was calibrated on: those that started before ``until``."""
    from flowmine.analytics import CaseFilter, StoredLog

    return log.where(CaseFilter(started=(None, until))) if isinstance(log, StoredLog) else log
