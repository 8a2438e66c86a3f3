"""KPI values per period, computed from the analytics and conformance APIs.

A KPI (``[[kpi]]`` in a process definition's ``process.toml``, :class:`flowmine.processes.Kpi`) names a metric,
its parameters, a direction, a target and a period. Every case is assigned to the period of its last
completion (UTC, weeks start on Monday: the analytics convention), and each KPI is aggregated over the
cases of a period:

==========================  ========  =================================================================
metric                      kind      value of a period
==========================  ========  =================================================================
``throughput_time``         measure   ``statistic`` (median, mean, p90) of the case throughput times (s)
``waiting_time``            measure   ``statistic`` of the waiting times at ``step`` (sojourn time when
                                      the log has no start timestamps), seconds
``cost_per_case``           measure   ``statistic`` (mean) of the case cost
``fitness``                 measure   fitness of the period's cases as ``flowmine check`` and the dashboard
                                      card define it (:func:`log_fitness`: 1 − Σ alignment cost / Σ
                                      best-worst cost, pm4py's ``log_fitness``); mean case fitness when
                                      the check ran without alignments (token replay)
``rework_rate``             share     cases executing ``step`` ≥ 2 times / cases executing it (any step
                                      when ``step`` is not given)
``rule_violation_rate``     share     cases breaking ≥ 1 business rule / cases
``share_within_sla``        share     cases whose throughput time ≤ ``sla`` / cases
==========================  ========  =================================================================

Durations in targets and SLAs are the configuration's (``"5d"``, ``"48h"``, ``"3wd"``); a ``wd``
duration is measured in business time with the process calendar.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from flowmine.analytics import Calendar, case_costs, instances, stored, throughput_time
from flowmine.errors import InputError
from flowmine.processes import Kpi, ProcessConfig
from flowmine.store import Store

MEASURES = ("throughput_time", "waiting_time", "cost_per_case", "fitness")
SHARES = ("rework_rate", "rule_violation_rate", "share_within_sla")
METRICS = MEASURES + SHARES
STATISTICS = {"median": 0.5, "p90": 0.9, "mean": None}
FREQ = {"day": "D", "week": "W-MON", "month": "MS", "quarter": "QS", "year": "YS"}
#: columns of :func:`kpi_periods`
PERIOD_COLUMNS = ("kpi", "period", "period_end", "complete", "value", "numerator", "cases", "target", "direction",
                  "kind", "unit")


def calendar_of(cfg: ProcessConfig) -> Calendar:
    """The analytics :class:`~flowmine.analytics.Calendar` of a process configuration's ``[calendar]``."""
    return cfg.working_calendar()


def seconds(text: Any, cal: Calendar) -> float:
    """A configuration duration in seconds (``wd``: working days of ``cal``), or a number as given."""
    if isinstance(text, int | float):
        return float(text)
    from flowmine.processes import Duration

    d = Duration.parse(str(text))
    per = {"d": 86400.0, "h": 3600.0, "wd": cal.day_us / 1e6}[d.unit]
    return d.amount * per


def target_value(kpi: Kpi, cfg: ProcessConfig) -> float:
    """A KPI's target in the unit of its values: seconds for a duration KPI (``"5d"``, ``"48h"``; ``"3wd"``
    in business time of the process calendar), else the number as configured."""
    if kpi.metric in ("throughput_time", "waiting_time"):
        return seconds(kpi.target, calendar_of(cfg))
    return float(kpi.target)


def _business(text: Any) -> bool:
    return isinstance(text, str) and text.strip().endswith("wd")


@dataclass
class CaseData:
    """Per-case figures shared by every KPI of a process (each analytics call runs once)."""

    cases: pd.DataFrame  # case, start, end, throughput_s (+ throughput_business_s when asked)
    inst: pd.DataFrame | None
    cost: pd.Series | None
    fitness: pd.Series | None
    rules: pd.Series | None
    alignment: pd.DataFrame | None = None  # per case: cost, bwc (the alignment's cost and best-worst cost)


def log_fitness(cost: float, bwc: float) -> float:
    """The fitness of a set of cases from their alignments: 1 − total cost / total best-worst cost
    (pm4py's ``log_fitness``, the ``fitness`` of :func:`flowmine.conformance.check` and of the dashboard
    card); NaN for no cases, 0 when no case has a best-worst cost."""
    if not np.isfinite(bwc) or not np.isfinite(cost):
        return float("nan")
    return 1.0 - cost / bwc if bwc > 0 else 0.0


def case_alignment(report: Any) -> pd.DataFrame | None:
    """Each case's alignment cost and best-worst cost (index: case) from a conformance report, or None
    when it has no alignments."""
    ali = getattr(report, "alignments", None)
    if ali is None:
        return None
    ids: list[str] = []
    cost: list[float] = []
    bwc: list[float] = []
    for cases, result in zip(ali.variants.cases, ali.results, strict=True):
        ids += [str(c) for c in cases]
        cost += [float(result.cost)] * len(cases)
        bwc += [float(result.bwc)] * len(cases)
    return pd.DataFrame({"cost": cost, "bwc": bwc}, index=pd.Index(ids, name="case"))


def case_data(store: Store, process: str, cfg: ProcessConfig, kpis: tuple[Kpi, ...]) -> CaseData:
    """Run the analytics (and, when a KPI needs it, the conformance check) once for all KPIs."""
    log = stored(store, process)
    metrics = {k.metric for k in kpis}
    cases = throughput_time(log, level="case")
    if any(_business(k.params.get("sla")) or _business(k.target) for k in kpis):
        biz = throughput_time(log, level="case", calendar=calendar_of(cfg))
        cases = cases.merge(biz[["case", "throughput_s"]].rename(columns={"throughput_s": "throughput_business_s"}),
                            on="case", how="left")
    inst = instances(log) if metrics & {"waiting_time", "rework_rate"} else None
    cst = None
    if "cost_per_case" in metrics:
        cst = case_costs(log)  # a case with no priced step has no known cost (analytics.cost_per_case)
    fit = rules = align = None
    if metrics & {"fitness", "rule_violation_rate"}:
        from flowmine.conformance import check

        rep = check(store, process, with_precision=False)
        fit = rep.case_fitness
        rules = pd.Series({c: len(r) for c, r in rep.case_rules.items()}, dtype="int64")
        align = case_alignment(rep)
    return CaseData(cases, inst, cst, fit, rules, align)


def _stat(values: pd.Series, statistic: str) -> float:
    v = values.dropna().to_numpy(dtype=float)
    if not len(v):
        return float("nan")
    q = STATISTICS[statistic]
    return float(v.mean()) if q is None else float(np.quantile(v, q))


def _per_case(kpi: Kpi, data: CaseData, cfg: ProcessConfig) -> pd.DataFrame:
    """Frame of case, end, x (the measured value or 1/0 for a share) for one KPI."""
    base = data.cases[["case", "end"]]
    m, p = kpi.metric, kpi.params
    if m == "throughput_time":
        col = "throughput_business_s" if _business(kpi.target) else "throughput_s"
        return base.assign(x=data.cases[col])
    if m == "share_within_sla":
        if "sla" not in p:
            raise InputError(str(cfg.path), f"KPI {kpi.id!r}: share_within_sla needs 'sla'")
        col = "throughput_business_s" if _business(p["sla"]) else "throughput_s"
        limit = seconds(p["sla"], calendar_of(cfg))
        return base.assign(x=(data.cases[col] <= limit).astype(float))
    if m == "cost_per_case":
        assert data.cost is not None
        return base.assign(x=base["case"].map(data.cost))
    if m == "fitness":
        if data.alignment is not None:  # x: the alignment cost, bwc beside it (log_fitness per period)
            keyed = base["case"].astype(str)
            return base.assign(x=keyed.map(data.alignment["cost"]), bwc=keyed.map(data.alignment["bwc"]))
        assert data.fitness is not None
        return base.assign(x=base["case"].map(data.fitness))
    if m == "rule_violation_rate":
        assert data.rules is not None
        return base.assign(x=(base["case"].map(data.rules).fillna(0) > 0).astype(float))
    assert data.inst is not None
    inst = data.inst
    step = p.get("step")
    if step is not None and step not in set(inst["activity"]):
        raise InputError(str(cfg.path), f"KPI {kpi.id!r}: step {step!r} is not an activity of the log")
    if m == "rework_rate":
        sel = inst if step is None else inst[inst["activity"] == step]
        reps = sel.groupby("case")["repetition"].max()
        return base[base["case"].isin(reps.index)].assign(x=lambda f: (f["case"].map(reps) >= 2).astype(float))
    sel = inst[inst["activity"] == step] if step is not None else inst
    col = "waiting_s" if sel["waiting_s"].notna().any() else "sojourn_s"
    ends = base.set_index("case")["end"]
    return pd.DataFrame({"case": sel["case"].to_numpy(), "end": sel["case"].map(ends).to_numpy(),
                         "x": sel[col].to_numpy()})


def period_start(ts: pd.Series, period: str) -> pd.Series:
    """The UTC start of the period (day, week from Monday, month, quarter, year) of each timestamp."""
    t = pd.to_datetime(ts, utc=True).dt.tz_localize(None)
    if period == "day":
        out = t.dt.floor("D")
    elif period == "week":
        out = t.dt.floor("D") - pd.to_timedelta(t.dt.day_of_week, unit="D")
    else:
        out = t.dt.to_period({"month": "M", "quarter": "Q", "year": "Y"}[period]).dt.start_time
    return out.dt.tz_localize("UTC")


def _next(start: pd.Timestamp, period: str) -> pd.Timestamp:
    step = {"day": pd.DateOffset(days=1), "week": pd.DateOffset(weeks=1), "month": pd.DateOffset(months=1),
            "quarter": pd.DateOffset(months=3), "year": pd.DateOffset(years=1)}[period]
    return pd.Timestamp(start + step)


def kpi_periods(data: CaseData, cfg: ProcessConfig, kpis: tuple[Kpi, ...] | None = None) -> pd.DataFrame:
    """The value of every KPI in every period (columns :data:`PERIOD_COLUMNS`, one row per KPI and period).

    ``complete`` is false for the period still open at the log's last completion. ``numerator`` and
    ``cases`` are the p-chart counts of a share KPI (for a measure, ``cases`` counts its values).
    """
    rows: list[dict[str, Any]] = []
    last = pd.to_datetime(data.cases["end"], utc=True).max() if len(data.cases) else None
    for kpi in kpis if kpis is not None else cfg.kpis:
        if kpi.metric not in METRICS:
            raise InputError(str(cfg.path), f"KPI {kpi.id!r}: 'metric' must be one of {list(METRICS)}, "
                                            f"got {kpi.metric!r}")
        statistic = str(kpi.params.get("statistic", "median" if kpi.metric != "cost_per_case" else "mean"))
        if statistic not in STATISTICS:
            raise InputError(str(cfg.path), f"KPI {kpi.id!r}: 'statistic' must be one of {list(STATISTICS)}, "
                                            f"got {statistic!r}")
        frame = _per_case(kpi, data, cfg)
        frame = frame.assign(period=period_start(frame["end"], kpi.period)) if len(frame) else frame.assign(period=[])
        share = kpi.metric in SHARES
        unit = "share" if share else ("s" if kpi.metric in ("throughput_time", "waiting_time") else
                                      str(kpi.params.get("unit", cfg.currency if kpi.metric == "cost_per_case"
                                                         else "")))
        target = target_value(kpi, cfg)
        for key, grp in frame.groupby("period", sort=True):
            period = pd.Timestamp(str(key))
            x = grp["x"].dropna()
            end = _next(period, kpi.period)
            if "bwc" in grp:  # fitness: the card's definition over the period's cases
                known = grp.dropna(subset=["x", "bwc"])
                value = log_fitness(float(known["x"].sum()), float(known["bwc"].sum())) if len(known) \
                    else float("nan")
            else:
                value = float(x.mean()) if share and len(x) else _stat(x, statistic)
            rows.append({"kpi": kpi.id, "period": period, "period_end": end,
                         "complete": bool(last is not None and last >= end), "value": value,
                         "numerator": float(x.sum()) if share else float("nan"), "cases": len(x),
                         "target": target, "direction": kpi.direction, "kind": "p" if share else "individuals",
                         "unit": unit})
    return pd.DataFrame(rows, columns=list(PERIOD_COLUMNS))


def on_target(value: float, target: float, direction: str) -> bool:
    """Whether a value meets its target (``lower``: value ≤ target; ``higher``: value ≥ target)."""
    if value is None or not np.isfinite(value):
        return False
    return bool(value <= target) if direction == "lower" else bool(value >= target)
