"""Evaluate every KPI of a stored process for its latest complete period: target and control.

:func:`monitor` brings the KPI history up to date (recomputing only when the store version or the
configuration changed), draws a control chart per KPI over the complete periods (limits from the
first ``baseline_periods`` of them, default 6, or the periods before ``baseline_until``) and judges
the latest complete period: **on target** (the value meets the target in the KPI's direction) and
**in control** (no run rule hits that point). A KPI that is off target or out of control is a
**breach**; ``MonitorResult.exit_code`` is 1 when any KPI breaches, else 0 (the CLI's contract).
"""

from __future__ import annotations

import hashlib
import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from flowmine._params import Interval, validate_params
from flowmine.errors import InputError
from flowmine.monitor import _history
from flowmine.monitor._kpi import case_data, kpi_periods, on_target
from flowmine.monitor._spc import RULES, ControlChart, individuals_chart, p_chart
from flowmine.processes import Kpi, ProcessConfig, load_process
from flowmine.store import Store

BASELINE_PERIODS = 6
_ALGORITHM = "monitor-1"  # part of the configuration hash: a change of the computation recomputes the history


@dataclass
class KpiStatus:
    """The judgement of one KPI in its latest complete period, with its chart and history."""

    process: str
    kpi: Kpi
    periods: pd.DataFrame  # the complete periods charted (columns of kpi_periods)
    chart: ControlChart | None
    period: pd.Timestamp | None
    value: float | None
    target: float
    on_target: bool
    in_control: bool
    signals: list[dict[str, Any]] = field(default_factory=list)

    @property
    def breach(self) -> bool:
        return not (self.on_target and self.in_control)

    @property
    def status(self) -> str:
        if self.period is None:
            return "no_data"
        if not self.on_target:
            return "off_target"
        return "ok" if self.in_control else "out_of_control"

    def to_dict(self) -> dict[str, Any]:
        p = self.periods
        return {"process": self.process, "kpi": self.kpi.id, "label_en": self.kpi.label_en,
                "label_zh": self.kpi.label_zh, "metric": self.kpi.metric, "period_length": self.kpi.period,
                "period": None if self.period is None else self.period.date().isoformat(),
                "value": _num(self.value), "target": _num(self.target), "direction": self.kpi.direction,
                "unit": str(p["unit"].iloc[0]) if len(p) else None,
                "cases": int(p["cases"].iloc[-1]) if len(p) else 0,
                "on_target": self.on_target, "in_control": self.in_control, "status": self.status,
                "signals": self.signals,
                "history": [{"period": pd.Timestamp(r["period"]).date().isoformat(), "value": _num(r["value"]),
                             "cases": int(r["cases"])} for r in p.to_dict("records")],
                "chart": None if self.chart is None else self.chart.to_dict()}


@dataclass
class MonitorResult:
    """All KPI statuses of one monitoring run; ``to_dict`` is the JSON of ``flowmine monitor``."""

    statuses: list[KpiStatus]
    skipped: dict[str, str]
    history: dict[str, dict[str, Any]]

    @property
    def exit_code(self) -> int:
        return 1 if any(s.breach for s in self.statuses) else 0

    def to_dict(self) -> dict[str, Any]:
        return {"exit_code": self.exit_code, "breaches": sum(s.breach for s in self.statuses),
                "kpis": [s.to_dict() for s in self.statuses], "skipped": self.skipped, "history": self.history}

    def to_junit(self) -> str:
        """JUnit XML: one test suite per process, one test case per KPI (a breach is a failure)."""
        root = ET.Element("testsuites", name="flowmine monitor")
        for process in dict.fromkeys(s.process for s in self.statuses):
            mine = [s for s in self.statuses if s.process == process]
            suite = ET.SubElement(root, "testsuite", name=process, tests=str(len(mine)),
                                  failures=str(sum(s.breach for s in mine)), errors="0")
            for s in mine:
                case = ET.SubElement(suite, "testcase", classname=f"flowmine.monitor.{process}", name=s.kpi.id)
                text = (f"{s.kpi.label_en}: value {_fmt(s.value)} vs target {_fmt(s.target)} "
                        f"({s.kpi.direction} is better) in period {s.period.date() if s.period is not None else '-'}")
                if s.breach:
                    rules = ", ".join(f"{h['rule']} ({RULES[h['rule']]})" for h in s.signals)
                    msg = s.status + (f": {rules}" if rules else "")
                    ET.SubElement(case, "failure", message=msg, type=s.status).text = text
                else:
                    ET.SubElement(case, "system-out").text = text
        return ET.tostring(root, encoding="unicode", xml_declaration=True)


def _num(v: float | None) -> float | None:
    return None if v is None or not math.isfinite(v) else float(v)


def _fmt(v: float | None) -> str:
    return "n/a" if v is None or not math.isfinite(v) else f"{v:.6g}"


def config_hash(cfg: ProcessConfig) -> str:
    """What the stored history depends on besides the store version: the KPI definitions and the code."""
    text = repr([(k.id, k.metric, k.target, k.direction, k.period, sorted(k.params.items())) for k in cfg.kpis])
    text += repr(sorted(cfg.calendar.items())) + repr([(r.id, r.kind, sorted(r.params.items())) for r in cfg.rules])
    return hashlib.sha256((_ALGORITHM + text).encode()).hexdigest()[:16]


def refresh_history(store: Store, process: str, cfg: ProcessConfig) -> dict[str, Any]:
    """Bring the KPI history of a process up to date; returns the store version and rows changed."""
    version = int(store.version(process).lstrip("v") or 0)
    key = config_hash(cfg)
    if _history.is_current(store.path, process, version, key):
        return {"version": version, "recomputed": False, "inserted": 0, "updated": 0}
    periods = kpi_periods(case_data(store, process, cfg, cfg.kpis), cfg)
    counts = _history.update(store.path, process, version, key, periods)
    return {"version": version, "recomputed": True, **counts}


def control_chart(periods: pd.DataFrame, baseline: int) -> ControlChart:
    """The control chart of one KPI's periods: a p-chart for a share, else an individuals chart."""
    if len(periods) and periods["kind"].iloc[0] == "p":
        return p_chart(periods["numerator"].tolist(), periods["cases"].tolist(), baseline)
    return individuals_chart(periods["value"].tolist(), baseline)


def _baseline(kpi: Kpi, periods: pd.DataFrame, default: int) -> int:
    until = kpi.params.get("baseline_until")
    if until is not None:
        return int((periods["period"] < pd.Timestamp(str(until), tz="UTC")).sum())
    return int(kpi.params.get("baseline_periods", default))


def kpi_status(process: str, kpi: Kpi, history: pd.DataFrame, baseline: int = BASELINE_PERIODS) -> KpiStatus:
    """Judge one KPI from its history rows: the latest complete period against target and limits."""
    rows = history[(history["kpi"] == kpi.id) & history["complete"].astype(bool)].sort_values("period")
    if not len(rows):  # a log shorter than one period: judge the open one
        rows = history[history["kpi"] == kpi.id].sort_values("period")
    rows = rows.reset_index(drop=True)
    target = float(rows["target"].iloc[0]) if len(rows) else float("nan")
    if not len(rows):
        return KpiStatus(process, kpi, rows, None, None, None, target, False, False)
    chart = control_chart(rows, _baseline(kpi, rows, baseline))
    last = len(rows) - 1
    better = -1 if kpi.direction == "lower" else 1
    signals = [{"rule": h.rule, "side": "above" if h.side > 0 else "below", "favourable": h.side == better,
                "description": RULES[h.rule]} for h in chart.hits_at(last)]
    value = float(rows["value"].iloc[last])
    return KpiStatus(process, kpi, rows, chart, pd.Timestamp(rows["period"].iloc[last]), value, target,
                     on_target(value, target, kpi.direction), not signals, signals)


@validate_params({"baseline": [Interval(int, 1, None)]})
def monitor(store: str | Path | Store, process: str | None = None, config: str | Path | ProcessConfig | None = None,
            baseline: int = BASELINE_PERIODS, refresh: bool = True) -> MonitorResult:
    """Evaluate every KPI of one process (or of every configured process in the store).

    Parameters
    ----------
    store : path or Store
    process : str, optional
        One process; default every process of the store with a configuration and KPIs.
    config : path or ProcessConfig, optional
        A configuration file instead of the process definition's ``process.toml`` (needs ``process``).
    baseline : int
        Complete periods whose values set the control limits, unless a KPI says otherwise.
    refresh : bool
        Update the KPI history in the store first (default). ``False`` only reads the history as it is:
        readers such as the dashboard never write to the store.

    Examples
    --------
    >>> from flowmine.monitor import monitor
    >>> result = monitor(STORE, "finance")  # STORE: a store's path
    >>> result.exit_code in (0, 1), len(result.statuses) > 0
    (True, True)
    """
    st = store if isinstance(store, Store) else Store(store, create=False)
    if config is not None and process is None:
        raise InputError(str(config), "a configuration file needs --process")
    names = [process] if process else st.processes()
    statuses: list[KpiStatus] = []
    skipped: dict[str, str] = {}
    refreshed: dict[str, dict[str, Any]] = {}
    for name in names:
        if config is not None:
            cfg = config if isinstance(config, ProcessConfig) else load_process(Path(config))
        else:
            try:
                cfg = load_process(name)
            except InputError as exc:
                if process:
                    raise
                skipped[name] = f"no process configuration ({exc})"
                continue
        if not cfg.kpis:
            skipped[name] = "the configuration declares no [[kpi]]"
            continue
        if refresh:
            refreshed[name] = refresh_history(st, name, cfg)
        hist = _history.read(st.path, name)
        statuses += [kpi_status(name, k, hist, baseline) for k in cfg.kpis]
    return MonitorResult(statuses, skipped, refreshed)
