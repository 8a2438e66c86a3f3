"""How close a simulated log is to the log its model came from (the as-is model's fidelity).

Measures, each for both logs and compared: case throughput time (median, p90 and their relative
errors; the earth mover's distance of the two distributions in hours, ``scipy.stats.wasserstein_distance``),
the activity-frequency L1 distance (the sum over steps of the absolute difference of each step's share of
all instances: 0 is identical, 2 disjoint), cases arriving per week, the median waiting per step, and
the cost per case, and the distance measures of the process-simulation literature (``distances``: n-gram,
absolute, arrival, circadian, relative and cycle-time distributions, see ``_distances``). ``acceptable``
holds when the median is within 15 %, the p90 within 25 % and the L1 distance at most 0.1 (the issue's
thresholds); ``problems`` says which failed.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from flowmine.analytics import LogLike, instances
from flowmine.simulation._distances import distances

MEDIAN_TOLERANCE, P90_TOLERANCE, L1_TOLERANCE = 0.15, 0.25, 0.1


def case_times(inst: pd.DataFrame) -> pd.DataFrame:
    """Per case: its first start (or completion), last completion, total cost and throughput time."""
    begin = pd.to_datetime(inst["start"].fillna(inst["complete"]), utc=True)
    g = pd.DataFrame({"case": inst["case"].to_numpy(), "b": begin.to_numpy(),
                      "e": pd.to_datetime(inst["complete"], utc=True).to_numpy(),
                      "cost": inst["cost"].to_numpy(dtype=np.float64)}).groupby("case", sort=False)
    out = pd.DataFrame({"begin": g["b"].min(), "end": g["e"].max(), "cost": g["cost"].sum(min_count=1)})
    out["throughput_s"] = (out["end"] - out["begin"]).dt.total_seconds()
    return out


def fidelity(log: LogLike, simulated: LogLike) -> dict[str, Any]:
    """The fidelity measures of ``simulated`` against ``log`` (see the module docstring)."""
    real_i, sim_i = instances(log), instances(simulated)
    real, sim = case_times(real_i), case_times(sim_i)
    out: dict[str, Any] = {"cases": {"log": len(real), "simulated": len(sim)}}
    for name, q in (("median", 0.5), ("p90", 0.9)):
        a, b = float(real["throughput_s"].quantile(q)), float(sim["throughput_s"].quantile(q))
        out[f"throughput_{name}_s"] = {"log": a, "simulated": b, "relative_error": (b - a) / a if a else None}
    out["throughput_emd_hours"] = float(stats.wasserstein_distance(real["throughput_s"], sim["throughput_s"]) / 3600)
    share_real = real_i["activity"].value_counts(normalize=True)
    share_sim = sim_i["activity"].value_counts(normalize=True)
    both = share_real.index.union(share_sim.index)
    out["activity_l1"] = float((share_real.reindex(both, fill_value=0)
                                - share_sim.reindex(both, fill_value=0)).abs().sum())
    weeks = {k: max((c["begin"].max() - c["begin"].min()).total_seconds() / (7 * 86400), 1.0)
             for k, c in (("log", real), ("simulated", sim))}
    out["arrivals_per_week"] = {"log": len(real) / weeks["log"], "simulated": len(sim) / weeks["simulated"]}
    waits = {}
    for a in sorted(both):
        w_real = real_i.loc[real_i["activity"] == a, "waiting_s"].dropna()
        w_sim = sim_i.loc[sim_i["activity"] == a, "waiting_s"].dropna()
        if len(w_real) and len(w_sim):
            waits[str(a)] = {"log": float(w_real.median()), "simulated": float(w_sim.median())}
    out["waiting_median_s"] = waits
    out["cost_per_case"] = {"log": _mean(real["cost"]), "simulated": _mean(sim["cost"])}
    out["distances"] = distances(real_i, sim_i)
    out["problems"] = problems(out)
    out["acceptable"] = not out["problems"]
    return out


def problems(measures: dict[str, Any]) -> list[str]:
    """What fails the tolerances in fidelity ``measures`` (throughput median and p90 relative errors,
    activity L1), one line each: nothing when the model is acceptable."""
    out = []
    for name, tol in (("median", MEDIAN_TOLERANCE), ("p90", P90_TOLERANCE)):
        err = measures[f"throughput_{name}_s"]["relative_error"]
        if err is None or abs(err) > tol:
            out.append(f"throughput {name} off by {err:+.0%} (tolerance {tol:.0%})" if err is not None
                       else f"throughput {name} undefined")
    if measures["activity_l1"] > L1_TOLERANCE:
        out.append(f"activity-frequency L1 distance {measures['activity_l1']:.3f} (tolerance {L1_TOLERANCE})")
    return out


def _mean(s: pd.Series) -> float | None:
    v = s.dropna()
    return float(v.mean()) if len(v) else None
