"""Before/after evaluation of an initiative: effect size, bootstrap interval, rank test, verdict.

The units compared are the goal's: activity instances of the step for waiting and service time
(timed by their arrival at the step: the enabling completion, or the previous completion when the
log has no start timestamps and sojourn time is used), cases for throughput time, cost and rework
(timed by their start). Units before the change date (inside the ``baseline`` window) are compared
with units from the change date on (inside the ``after`` window).

* **effect** = statistic after − statistic before; **relative** = effect / statistic before;
* **interval**: seeded percentile bootstrap (``n_boot`` draws, resampling within each side and
  stratum), level 1 − alpha;
* **stratified** by a case attribute (numbers cut into quartiles): the statistic is the weighted sum
  of the per-stratum statistics with the strata's shares of all units as weights (direct
  standardisation to one case mix), so a change of case mix is not read as an effect;
* **rank test** for time and cost metrics: Mann-Whitney U (scipy), two-sided and one-sided in the
  better direction;
* **verdict**: ``inconclusive`` when a side has fewer than ``min_cases`` units or the interval
  overlaps the target; ``achieved`` when the whole interval is on the better side of the target (for a
  relative target of a time or cost metric the two-sided rank test must also be significant at
  ``alpha``, else inconclusive); ``not achieved`` when it is wholly on the worse side.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import mannwhitneyu

from flowmine._schema import CASE
from flowmine.analytics import Calendar, cost, filter_cases, instances, stored, throughput_time
from flowmine.errors import InputError
from flowmine.monitor._initiative import TIME_METRICS, Initiative
from flowmine.monitor._kpi import calendar_of, seconds
from flowmine.processes import load_process
from flowmine.store import Store

VERDICTS = ("achieved", "not achieved", "inconclusive")


@dataclass
class Evaluation:
    """The result of :func:`evaluate_initiative`; ``units`` holds every unit compared."""

    initiative: Initiative
    unit: str
    units: pd.DataFrame  # case, time, value, stratum, side ("before"/"after")
    n_before: int
    n_after: int
    before: float
    after: float
    effect: float
    effect_ci: tuple[float, float]
    relative: float
    relative_ci: tuple[float, float]
    after_ci: tuple[float, float]
    p_value: float | None
    p_better: float | None
    verdict: str
    reason: str
    strata: pd.DataFrame = field(default_factory=pd.DataFrame)
    reason_zh: str = ""  # the reason in Chinese

    def to_dict(self) -> dict[str, Any]:
        ini = self.initiative
        return _clean({
            "initiative": ini.id, "name_en": ini.name_en, "name_zh": ini.name_zh, "owner": ini.owner,
            "process": ini.process, "metric": ini.metric, "step": ini.step, "statistic": ini.statistic,
            "direction": ini.direction, "change_date": ini.change_date.isoformat(), "unit": self.unit,
            "target": ini.target, "target_change": ini.target_change, "n_before": self.n_before,
            "n_after": self.n_after, "before": self.before, "after": self.after, "effect": self.effect,
            "effect_ci": list(self.effect_ci), "relative": self.relative, "relative_ci": list(self.relative_ci),
            "after_ci": list(self.after_ci), "p_value": self.p_value, "p_better": self.p_better,
            "verdict": self.verdict, "reason": self.reason, "reason_zh": self.reason_zh, "stratify": ini.stratify,
            "strata": self.strata.to_dict(orient="records"), "steps": ini.steps})


def _clean(v: Any) -> Any:
    if isinstance(v, dict):
        return {str(k): _clean(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_clean(x) for x in v]
    if hasattr(v, "item"):
        v = v.item()
    return None if isinstance(v, float) and not math.isfinite(v) else v


def _units(store: Store, ini: Initiative) -> tuple[pd.DataFrame, str]:
    """case, time, value of every unit the goal metric is measured on, and the value's unit."""
    log: Any = stored(store, ini.process)
    if not ini.scope.is_empty():
        log = filter_cases(log, ini.scope)
    return goal_units(log, ini)


def goal_units(log: Any, ini: Initiative, strict: bool = True, inst: pd.DataFrame | None = None
               ) -> tuple[pd.DataFrame, str]:
    """case, time, value of every unit of ``log`` (any log the analytics take, e.g. a simulated one)
    the initiative's goal metric is measured on, and the value's unit. ``strict``: a goal step without
    an instance is an error (else no unit); ``inst``: the log's activity instances when they are at
    hand (``instances(log)``, else computed)."""
    if ini.metric in ("waiting_time", "service_time", "rework_rate"):
        inst = instances(log) if inst is None else inst
        sel = inst if ini.step is None else inst[inst["activity"] == ini.step]
        if strict and ini.step is not None and not len(sel):
            raise InputError(str(ini.path), f"step {ini.step!r} has no instance in {ini.process!r} (in scope)")
        if ini.metric == "rework_rate":
            g = sel.groupby("case")
            frame = pd.DataFrame({"time": g["complete"].min(), "value": (g["repetition"].max() >= 2).astype(float)})
            return frame.reset_index(), "share"
        if ini.metric == "service_time":
            return pd.DataFrame({"case": sel["case"], "time": sel["start"], "value": sel["service_s"]}), "s"
        if sel["waiting_s"].notna().any():
            return pd.DataFrame({"case": sel["case"], "time": sel["enabling_complete"], "value": sel["waiting_s"]}), "s"
        prev = sel["complete"] - pd.to_timedelta(sel["sojourn_s"], unit="s")
        return pd.DataFrame({"case": sel["case"], "time": prev, "value": sel["sojourn_s"]}), "s"
    cases = throughput_time(log, level="case")
    if ini.metric == "throughput_time":
        return pd.DataFrame({"case": cases["case"], "time": cases["start"], "value": cases["throughput_s"]}), "s"
    c = cost(log, level="case")
    c = c[c["instances"] > c["instances_unpriced"]]
    per = c.groupby("case")["cost_total"].sum()
    cur = str(c["currency"].dropna().iloc[0]) if c["currency"].notna().any() else ""
    return pd.DataFrame({"case": cases["case"], "time": cases["start"], "value": cases["case"].map(per)}), cur


def _strata(store: Store, ini: Initiative, cases: pd.Series) -> pd.Series:
    if ini.stratify is None:
        return pd.Series("all", index=cases.index)
    col = ini.stratify if ini.stratify.startswith("case:") else f"case:{ini.stratify}"
    try:
        raw = store.load(ini.process, columns=[CASE, col]).drop_duplicates(CASE).set_index(CASE)[col]
    except Exception as exc:  # pyarrow raises its own error for a missing column
        raise InputError(str(ini.path), f"stratify: no case attribute {col!r} in {ini.process!r} ({exc})") from None
    if pd.api.types.is_numeric_dtype(raw) and raw.nunique() > 8:
        raw = pd.qcut(raw, 4, duplicates="drop").astype(str)
    return cases.map(raw.astype(str)).fillna("(none)")


def _stat(x: np.ndarray, statistic: str, axis: int | None = None) -> Any:
    return np.median(x, axis=axis) if statistic == "median" else np.mean(x, axis=axis)


def _boot(x: np.ndarray, statistic: str, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    out = np.empty(n_boot)
    chunk = max(1, 2_000_000 // max(len(x), 1))  # bounded memory: ~16 MB of indices at a time
    for lo in range(0, n_boot, chunk):
        hi = min(n_boot, lo + chunk)
        out[lo:hi] = _stat(x[rng.integers(0, len(x), (hi - lo, len(x)))], statistic, axis=1)
    return out


def _judge(lo: float, hi: float, target: float, direction: str) -> str:
    if direction == "lower":
        return "achieved" if hi <= target else "not achieved" if lo > target else "inconclusive"
    return "achieved" if lo >= target else "not achieved" if hi < target else "inconclusive"


def evaluate_initiative(store: str | Store, ini: Initiative) -> Evaluation:
    """Compare the units after the change with the baseline before it (see the module docstring).

    Examples
    --------
    >>> from flowmine.monitor import evaluate_initiative, load_initiative
    >>> ini = load_initiative("src/flowmine/processes/definitions/finance/initiatives/finance_deputy_gm.toml")
    >>> ev = evaluate_initiative(STORE, ini)  # STORE: a store's path
    >>> ev.verdict, round(ev.effect / 3600, 2)
    ('achieved', -4.39)
    """
    st = store if isinstance(store, Store) else Store(store, create=False)
    units, unit = _units(st, ini)
    units = units.dropna(subset=["time", "value"]).reset_index(drop=True)
    tz = ini.timezone
    t = pd.to_datetime(units["time"], utc=True)
    change = pd.Timestamp(ini.change_date.isoformat(), tz=tz)
    (b0, b1), (a0, a1) = ini.baseline, ini.after

    def inside(lo: str | None, hi: str | None) -> pd.Series:
        keep = pd.Series(True, index=t.index)
        if lo:
            keep &= t >= pd.Timestamp(lo, tz=tz)
        if hi:
            keep &= t < pd.Timestamp(hi, tz=tz)
        return keep

    before = (t < change) & inside(b0, b1)
    after = (t >= change) & inside(a0, a1)
    units["side"] = np.where(before, "before", np.where(after, "after", ""))
    units = units[units["side"] != ""].reset_index(drop=True)
    units["stratum"] = _strata(st, ini, units["case"]).to_numpy()
    rng = np.random.default_rng(ini.seed)
    rows, boot_b, boot_a = [], np.zeros(ini.n_boot), np.zeros(ini.n_boot)
    groups = {k: g["value"].to_numpy(dtype=float) for k, g in units.groupby(["stratum", "side"])}
    kept = [s for s in sorted(set(units["stratum"])) if len(groups.get((s, "before"), ())) >= 2
            and len(groups.get((s, "after"), ())) >= 2]
    total = sum(len(groups[(s, side)]) for s in kept for side in ("before", "after"))
    est_b = est_a = 0.0
    for s in kept:
        xb, xa = groups[(s, "before")], groups[(s, "after")]
        w = (len(xb) + len(xa)) / total
        sb, sa = float(_stat(xb, ini.statistic)), float(_stat(xa, ini.statistic))
        est_b, est_a = est_b + w * sb, est_a + w * sa
        boot_b += w * _boot(xb, ini.statistic, ini.n_boot, rng)
        boot_a += w * _boot(xa, ini.statistic, ini.n_boot, rng)
        p = mannwhitneyu(xa, xb).pvalue if ini.metric in TIME_METRICS else None
        rows.append({"stratum": s, "weight": w, "n_before": len(xb), "n_after": len(xa), "before": sb,
                     "after": sa, "effect": sa - sb, "p_value": None if p is None else float(p)})
    n_b, n_a = int((units["side"] == "before").sum()), int((units["side"] == "after").sum())
    q = [100 * ini.alpha / 2, 100 * (1 - ini.alpha / 2)]
    nan2 = (float("nan"), float("nan"))
    eff_ci = tuple(np.percentile(boot_a - boot_b, q)) if kept else nan2
    with np.errstate(divide="ignore", invalid="ignore"):
        rel_ci = tuple(np.percentile(boot_a / boot_b - 1, q)) if kept else nan2
    aft_ci = tuple(np.percentile(boot_a, q)) if kept else nan2
    p_two = p_better = None
    xb_all = units.loc[units["side"] == "before", "value"].to_numpy(float)
    xa_all = units.loc[units["side"] == "after", "value"].to_numpy(float)
    if ini.metric not in ("rework_rate",) and n_b and n_a:
        p_two = float(mannwhitneyu(xa_all, xb_all).pvalue)
        p_better = float(mannwhitneyu(xa_all, xb_all, alternative="less" if ini.direction == "lower"
                                      else "greater").pvalue)
    effect = est_a - est_b
    relative = effect / est_b if est_b else float("nan")
    verdict, reason, reason_zh = _verdict(ini, unit, n_b, n_a, rel_ci, aft_ci, p_two)
    return Evaluation(ini, unit, units, n_b, n_a, est_b, est_a, effect, (float(eff_ci[0]), float(eff_ci[1])),
                      relative, (float(rel_ci[0]), float(rel_ci[1])), (float(aft_ci[0]), float(aft_ci[1])),
                      p_two, p_better, verdict, reason, pd.DataFrame(rows), reason_zh)


def _calendar(process: str) -> Calendar:
    try:
        return calendar_of(load_process(process))
    except InputError:
        return Calendar()


def _verdict(ini: Initiative, unit: str, n_b: int, n_a: int, rel_ci: tuple[float, float],
             aft_ci: tuple[float, float], p_two: float | None) -> tuple[str, str, str]:
    """The verdict and its reason in English and in Chinese."""
    if min(n_b, n_a) < ini.min_cases:
        return "inconclusive", (f"too few units: {n_b} before and {n_a} after the change, "
                                f"{ini.min_cases} needed on each side"), (
                                f"单位过少：变更前 {n_b} 个、变更后 {n_a} 个，每侧至少需要 {ini.min_cases} 个")
    level = f"{1 - ini.alpha:.0%}"
    if ini.target_change is not None:
        lo, hi, target = rel_ci[0], rel_ci[1], ini.target_change
        what = f"the {level} interval of the relative change [{lo:+.1%}, {hi:+.1%}]"
        what_zh = f"相对变化的 {level} 置信区间 [{lo:+.1%}, {hi:+.1%}]"
        shown = f"{target:+.1%}"
    else:
        target = seconds(ini.target, _calendar(ini.process))
        lo, hi = aft_ci
        what, shown = f"the {level} interval of the value after the change [{lo:.4g}, {hi:.4g}] {unit}", f"{target:.4g}"
        what_zh = f"变更后数值的 {level} 置信区间 [{lo:.4g}, {hi:.4g}] {unit}"
    verdict = _judge(lo, hi, target, ini.direction)
    better = "≤" if ini.direction == "lower" else "≥"
    if verdict == "inconclusive":
        return verdict, f"{what} overlaps the target {better} {shown}", f"{what_zh}与目标 {better} {shown} 重叠"
    if verdict == "achieved" and ini.target_change is not None and p_two is not None and p_two >= ini.alpha:
        return ("inconclusive", f"{what} meets the target but the rank test is not significant (p = {p_two:.3g})",
                f"{what_zh}达到目标，但秩检验不显著（p = {p_two:.3g}）")
    inside = verdict == "achieved"
    return (verdict, f"{what} is {'within' if inside else 'outside'} the target {better} {shown}",
            f"{what_zh}{'在' if inside else '不在'}目标 {better} {shown} 之内")
