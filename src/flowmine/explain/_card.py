"""``step_card``: one step in the seed's six elements (输入、处理、输出、控制、参与者、环境), each from data.

- **inputs**: the steps it receives work from (shares), when work arrives (weekday × hour of the ready
  time), the case attributes that arrive with it (top values);
- **processing**: waiting, service and sojourn time (median, p90, mean, a histogram), cost per execution,
  rework and first-pass yield, batching, and where the waiting goes;
- **outputs**: the steps it hands work to (shares, "(end)" when the case ends there), the outcome where the
  log records one (``quality:outcome``, instance outcomes);
- **controls**: the business rules and KPI targets that name the step, their violation rates, and its
  conformance to the reference model (skipped, inserted, out of order);
- **participants**: resources and roles with their workload, handovers in and out, four-eyes findings;
- **environment**: the influencing factors of its waiting time (sojourn time without starts) and of its
  deviations, the trend of that time per month, and a change point where Pettitt's test finds one;
- **annotations**: findings, interview notes and user feedback analysts attached to the step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from flowmine.analytics import LogLike, StoredLog, ready_times
from flowmine.errors import OptionError
from flowmine.explain._annotations import read_annotations
from flowmine.explain._explain import _config, _records, _steps_of_rule, _zone, explain_with
from flowmine.explain._prepared import Prepared, prepared
from flowmine.explain._units import batch_sizes
from flowmine.explain._waiting import waiting_parts

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
#: The card's sections, in the seed's order (the JSON's keys).
SECTIONS = ("inputs", "processing", "outputs", "controls", "participants", "environment", "annotations")


@dataclass
class StepCard:
    """One step in six elements; each section is a JSON-ready dict (see the module docstring).

    Attributes
    ----------
    process, step:
        Where the card is from (``process`` is None for a log that is not stored).
    instances, cases:
        The step's activity instances and the cases that have one.
    inputs, processing, outputs, controls, participants, environment:
        The six elements.
    annotations:
        The analysts' notes on the step (author, date, kind, text).
    """

    process: str | None
    step: str
    instances: int
    cases: int
    inputs: dict[str, Any]
    processing: dict[str, Any]
    outputs: dict[str, Any]
    controls: dict[str, Any]
    participants: dict[str, Any]
    environment: dict[str, Any]
    annotations: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The card as JSON-ready data: ``process``, ``step``, ``instances``, ``cases`` and the sections."""
        return {"process": self.process, "step": self.step, "instances": self.instances, "cases": self.cases,
                **{s: getattr(self, s) for s in SECTIONS}}


def _num(v: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return None if not np.isfinite(v) else float(v)
    return v


def shares(values: pd.Series, top: int = 8) -> list[dict[str, Any]]:
    """The most frequent values with counts and shares (the rest folded into one ``(other)`` row)."""
    return _shares_of(values.value_counts(dropna=True), top)


def coded_shares(codes: np.ndarray, names: np.ndarray, top: int = 8) -> list[dict[str, Any]]:
    """:func:`shares` of the values ``names[codes]`` (-1: missing, not counted), counted on the codes:
    the same counts in the same order (by count, ties in order of first appearance, as
    ``value_counts`` sorts them) without a text per row."""
    known = codes[codes >= 0]
    distinct, first, counts = np.unique(known, return_index=True, return_counts=True)
    seen = np.argsort(first, kind="stable")
    series = pd.Series(counts[seen], index=pd.Index(np.asarray(names, dtype=object)[distinct[seen]], dtype=object))
    return _shares_of(series.sort_values(ascending=False, kind="stable"), top)


def _shares_of(counts: pd.Series, top: int) -> list[dict[str, Any]]:
    total = int(counts.sum())
    out = [{"value": str(k), "count": int(n), "share": n / total} for k, n in counts.iloc[:top].items()]
    if len(counts) > top:
        rest = int(counts.iloc[top:].sum())
        out.append({"value": "(other)", "count": rest, "share": rest / total})
    return out


def _stat(x: pd.Series) -> dict[str, Any]:
    v = x.dropna().to_numpy(dtype=np.float64)
    if v.size == 0:
        return {"count": 0, "median": None, "p90": None, "mean": None, "histogram": None}
    edges = np.unique(np.quantile(v, np.linspace(0, 1, 21)))
    hist = np.histogram(v, bins=edges)[0].tolist() if edges.size > 1 else [int(v.size)]
    return {"count": int(v.size), "median": float(np.median(v)), "p90": float(np.quantile(v, 0.9)),
            "mean": float(v.mean()), "histogram": {"edges": [float(e) for e in edges], "counts": hist}}


def pettitt(values: np.ndarray) -> tuple[int, float]:
    """Pettitt's nonparametric change-point test on a sequence: (index of the last value before the
    change, approximate two-sided p-value 2·exp(−6K²/(n³+n²)))."""
    n = values.size
    if n < 4:
        return -1, 1.0
    r = stats.rankdata(values)
    t = np.arange(1, n)
    u = 2 * np.cumsum(r)[:-1] - t * (n + 1)
    k = int(np.argmax(np.abs(u)))
    big_k = float(abs(u[k]))
    p = min(1.0, 2 * np.exp(-6 * big_k ** 2 / (n ** 3 + n ** 2)))
    return k, p


def _months(when: pd.Series) -> np.ndarray:
    """Each time's month as ``YYYY-MM`` (None: unknown), spelt once per month."""
    out = np.full(len(when), None, dtype=object)
    known = when.notna().to_numpy()
    if known.any():
        sub = when[known]
        ym = (sub.dt.year * 12 + sub.dt.month - 1).to_numpy(dtype=np.int64)
        lo = int(ym.min())
        names = np.asarray([f"{m // 12:04d}-{m % 12 + 1:02d}" for m in range(lo, int(ym.max()) + 1)], dtype=object)
        out[known] = names[ym - lo]
    return out


def _environment(log: LogLike, prep: Prepared, at: pd.DataFrame, step: str, measure: str | None, tz: str,
                 definition: str | None, top: int, report: Any) -> dict[str, Any]:
    col = f"{measure}_s" if measure is not None else "service_s"
    opts: dict[str, Any] = {"step": step, "edge": None, "min_cases": 30, "alpha": 0.05, "n_boot": 500,
                            "confidence": 0.95, "bins": 4, "seed": 0, "timezone": tz, "definition": definition}
    deviations = report is not None and isinstance(log, StoredLog)
    found = (explain_with(log, prep, measure=measure, interactions=True, report=None, decompose=False,
                          intervals="findings", **opts) if measure is not None else None)
    deviating = (explain_with(log, prep, measure="deviation", interactions=False, report=report, decompose=False,
                              intervals="findings", **opts) if deviations else None)
    # the first ``top`` records of what ``to_dict`` lists (the findings, the interactions), the rest not spelt
    env: dict[str, Any] = {"measure": measure,
                           "factors": _records(found.findings.head(top)) if found is not None else [],
                           "interactions": _records(found.interactions.head(top)) if found is not None else [],
                           "deviation_factors": _records(deviating.findings.head(top)) if deviating is not None
                           else None}
    when = pd.to_datetime(ready_times(at), utc=True).dt.tz_convert(tz)
    frame = pd.DataFrame({"month": _months(when), "v": at[col].to_numpy(), "t": when}).dropna()
    trend = frame.groupby("month")["v"].agg(["count", "median"]).reset_index()
    env["trend"] = [{"month": m, "instances": int(c), "median_s": float(md)}
                    for m, c, md in trend.itertuples(index=False)]
    ordered = frame.sort_values("t", kind="stable")
    k, p = pettitt(ordered["v"].to_numpy(dtype=np.float64))
    if k >= 0 and p < 0.05:
        before, after = ordered["v"].iloc[: k + 1], ordered["v"].iloc[k + 1:]
        env["change_point"] = {"at": ordered["t"].iloc[k + 1].isoformat(), "p_value": float(p),
                               "median_before_s": float(before.median()), "median_after_s": float(after.median())}
    else:
        env["change_point"] = None
    return env


def step_card(log: LogLike, step: str, *, report: Any = None, definition: str | None = None,
              timezone: str | None = None, lang: str = "en", top: int = 5, with_deviations: bool = True
              ) -> StepCard:
    """The card of one step: its six elements from the log, plus the analysts' annotations.

    Parameters
    ----------
    log:
        ``stored(store, process)`` (optionally filtered) or any log the analytics take; controls,
        deviations and annotations need a stored log of a configured process.
    step:
        The activity.
    report:
        A :class:`~flowmine.conformance.ConformanceReport` of the same log to reuse (one is run when
        the controls need it and none is given).
    definition:
        The process definition for rules, KPIs and the model (default: the stored process's own).
    timezone:
        For weekdays, hours and months (default: the configuration's calendar, else UTC).
    lang:
        ``"en"`` or ``"zh"``: the language of rule and KPI labels.
    top:
        How many factors, resources, predecessors... each list keeps.
    with_deviations:
        Also rank the factors of the step's deviations (a second explanation, on the conformance check).

    Examples
    --------
    >>> from flowmine.analytics import stored
    >>> from flowmine.explain import step_card
    >>> card = step_card(stored(STORE, "finance"), "GM approval")  # STORE: a store's path
    >>> sorted(card.to_dict())[:3]
    ['annotations', 'cases', 'controls']
    """
    if lang not in ("en", "zh"):
        raise OptionError(f"lang must be 'en' or 'zh', got {lang!r}", parameter="lang", function="step_card")
    prep = prepared(log)
    inst = prep.inst
    mask = prep.rows(step)
    if not mask.any():
        known = ", ".join(repr(a) for a in inst["activity"].value_counts().index[:8].tolist())
        raise OptionError(f"no instance of step {step!r} in the log; its steps include {known}",
                          parameter="step", function="step_card")
    cfg = _config(log, definition)
    tz = _zone(cfg, timezone)
    at = prep.step(step)
    # the rows before and after the step's own in the same case: its predecessor and successor instances
    rows = np.flatnonzero(mask)
    codes = prep.case_codes()
    before, after = np.maximum(rows - 1, 0), np.minimum(rows + 1, len(inst) - 1)
    has_prev = (rows > 0) & (codes[before] == codes[rows])
    has_next = (rows + 1 < len(inst)) & (codes[after] == codes[rows])
    act_codes, act_names = prep.activity_codes()
    # the successors as codes, "(end)" the code after the activities'
    successors = coded_shares(np.where(has_next, act_codes[after], act_names.size), np.append(act_names, "(end)"),
                              top)
    handovers = _handovers(prep, rows, before, after, has_prev, has_next, top)
    ready = pd.to_datetime(ready_times(at), utc=True).dt.tz_convert(tz)
    arrivals = pd.crosstab(ready.dt.day_of_week, ready.dt.hour).reindex(index=range(7), columns=range(24),
                                                                         fill_value=0)
    case_ids = at["case"].unique()
    # the step's cases in order of appearance, as places in the case attribute table
    firsts = rows[np.sort(np.unique(codes[rows], return_index=True)[1])]
    positions = prep.case_positions(log)[firsts]
    inputs: dict[str, Any] = {
        "predecessors": shares(at["prev_activity"].fillna("(start)"), top),
        "arrivals": {"weekdays": list(_WEEKDAYS), "hours": list(range(24)), "counts": arrivals.to_numpy().tolist()},
        "case_attributes": _case_attributes(prep.attributes(log)[0], case_ids, top, positions,
                                            prep.case_table_codes(log))}
    has_starts = bool(at["start"].notna().any())
    per_case = at.groupby("case")["repetition"].max()
    quality_failed = at[at["quality"].fillna("").str.lower().isin(["fail", "failed", "rejected", "no"])]
    first_pass = ((per_case == 1) & ~per_case.index.isin(quality_failed["case"])).mean()
    batches = batch_sizes(at["resource"].to_numpy(dtype=object),
                          pd.to_datetime(at["complete"], utc=True).to_numpy(dtype="datetime64[us]").astype(np.int64))
    in_batch = pd.Series(batches).isin(["2-3", "4-9", "10+"])
    parts = None
    if has_starts:
        _, parts = waiting_parts(inst, mask, cfg.working_calendar() if cfg is not None else None, prep.busy(),
                                 prep.coded("resource"))
    cost = at["cost"]
    processing: dict[str, Any] = {
        "time_basis": "waiting" if has_starts else "sojourn",
        "waiting": _stat(at["waiting_s"]) if has_starts else None,
        "service": _stat(at["service_s"]) if has_starts else None,
        "sojourn": _stat(at["sojourn_s"]),
        "cost": {"currency": _currency(at), "total": _num(cost.sum(min_count=1)), "mean": _num(cost.mean()),
                 "median": _num(cost.median()), "instances_with_cost": int(cost.notna().sum())},
        "rework_rate": float((per_case >= 2).mean()), "first_pass_yield": float(first_pass),
        "executions_per_case": float(len(at) / len(per_case)),
        "batching": {"share_in_batches": float(in_batch.mean()) if len(in_batch) else None,
                     "sizes": shares(pd.Series(batches), top)},
        "waiting_parts": parts}
    outputs: dict[str, Any] = {"successors": successors,
                               "quality": shares(at["quality"], top) if at["quality"].notna().any() else [],
                               "instance_outcomes": shares(at["outcome"], top) if at["outcome"].notna().any() else []}
    participants: dict[str, Any] = {
        "resources": _resources(at, top), "roles": shares(at["role"], top) if at["role"].notna().any() else [],
        "handovers_in": handovers[0], "handovers_out": handovers[1]}
    controls, report = _controls(log, cfg, step, report, lang, processing, definition)
    participants["four_eyes"] = [c for c in controls["rules"] if c["kind"] == "four_eyes"]
    # the time the environment explains: waiting, else sojourn, else service (a case's first step has
    # neither waiting nor sojourn: nothing enables it); none known: no factors
    measure = next((m for m, c in (("waiting", "waiting_s"), ("sojourn", "sojourn_s"), ("service", "service_s"))
                    if at[c].notna().any()), None)
    environment = _environment(log, prep, at, step, measure, tz, definition, top,
                               report if with_deviations else None)
    notes = (read_annotations(log.store, log.process, step) if isinstance(log, StoredLog) else [])
    return StepCard(process=log.process if isinstance(log, StoredLog) else None, step=step, instances=len(at),
                    cases=len(case_ids), inputs=inputs, processing=processing, outputs=outputs,
                    controls=controls, participants=participants, environment=environment, annotations=notes)


def _handovers(prep: Prepared, rows: np.ndarray, before: np.ndarray, after: np.ndarray, has_prev: np.ndarray,
               has_next: np.ndarray, top: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The shares of "previous resource → the step's" and "the step's → next resource" pairs (a pair with a
    missing resource, or without a neighbour in the case, not counted)."""
    coded = prep.coded("resource")
    inst = prep.inst
    if coded is None:  # resources that are not text: the pairs spelt
        res = inst["resource"].astype(object)
        here = res.iloc[rows].reset_index(drop=True)
        prev = res.iloc[before].reset_index(drop=True).where(has_prev)
        nxt = res.iloc[after].reset_index(drop=True).where(has_next)
        return shares((prev + " → " + here).dropna(), top), shares((here + " → " + nxt).dropna(), top)
    codes, names, _ = coded
    n = np.int64(max(names.size, 1))
    here = codes[rows]
    out = []
    for first, second, ok in ((codes[before], here, has_prev), (here, codes[after], has_next)):
        pair = np.where(ok & (first >= 0) & (second >= 0), first * n + second, -1)
        used = np.unique(pair[pair >= 0])  # only the pairs that occur are spelt
        spelt = np.asarray([f"{names[k // n]} → {names[k % n]}" for k in used.tolist()], dtype=object)
        out.append(coded_shares(np.where(pair >= 0, np.searchsorted(used, pair), -1), spelt, top))
    return out[0], out[1]


def _currency(at: pd.DataFrame) -> str | None:
    found = [c for c in at["currency"].dropna().unique().tolist() if c]
    return str(found[0]) if len(found) == 1 else (None if not found else "mixed")


def _case_attributes(attrs: pd.DataFrame, cases: np.ndarray, top: int, positions: np.ndarray | None = None,
                     coded: dict[str, tuple[np.ndarray, np.ndarray]] | None = None) -> dict[str, Any]:
    """The case attributes of ``cases`` (at ``positions`` of the table when known): the top values'
    shares, or the median and the 10th and 90th percentiles of a number with many values. ``coded``:
    each column's values as codes over the table (``Prepared.case_table_codes``), counted at the
    positions instead of the values."""
    out: dict[str, Any] = {}
    at = None
    if positions is not None and (positions.size == 0 or positions.min() >= 0):
        at = np.asarray(positions, dtype=np.int64)
        sub = attrs.iloc[at]
    else:
        sub = attrs.reindex(cases)
    for col in sub.columns:
        s = sub[col]
        if pd.api.types.is_numeric_dtype(s) and s.nunique() > 12:
            v = s.dropna().to_numpy(dtype=np.float64)
            out[col] = {"median": float(np.median(v)), "p10": float(np.quantile(v, 0.1)),
                        "p90": float(np.quantile(v, 0.9))} if v.size else None
        elif at is not None and coded is not None and col in coded:
            out[col] = coded_shares(coded[col][0][at], coded[col][1], top)
        else:
            out[col] = shares(s.astype(object), top)
    return out


def _resources(at: pd.DataFrame, top: int) -> list[dict[str, Any]]:
    if not at["resource"].notna().any():
        return []
    day = pd.to_datetime(at["complete"], utc=True).dt.floor("D")
    g = at.assign(day=day).groupby("resource")
    frame = pd.DataFrame({"instances": g.size(), "days": g["day"].nunique(),
                          "service_median_s": g["service_s"].median(), "sojourn_median_s": g["sojourn_s"].median()})
    frame["per_active_day"] = frame["instances"] / frame["days"]
    frame = frame.sort_values("instances", ascending=False).head(top)
    total = len(at)
    return [{"resource": str(r), "instances": int(row.instances), "share": row.instances / total,
             "per_active_day": float(row.per_active_day), "service_median_s": _num(row.service_median_s),
             "sojourn_median_s": _num(row.sojourn_median_s)} for r, row in frame.iterrows()]


def _controls(log: LogLike, cfg: Any, step: str, report: Any, lang: str, processing: dict[str, Any],
              definition: str | None) -> tuple[dict[str, Any], Any]:
    """Rules and KPI targets naming the step, and its conformance (None without a configuration)."""
    if cfg is None or not isinstance(log, StoredLog):
        return {"rules": [], "kpis": [], "conformance": None,
                "note": "no process configuration: no rules, KPI targets or reference model"}, None
    if report is None:
        from flowmine.conformance import check

        report = check(log.store, log.process, with_precision=False, with_impact=False,
                       filters=log.filters[0] if len(log.filters) == 1 else None, definition=definition)
    names = {step, report.labels.mapping.get(step, step)}
    rules = []
    table = report.rules.set_index("rule")
    for r in cfg.rules:
        if not names & _steps_of_rule(r.params):
            continue
        row = table.loc[r.id] if r.id in table.index else None
        rules.append({"id": r.id, "kind": r.kind, "label": r.label_zh if lang == "zh" else r.label_en,
                      "severity": r.severity,
                      "violating_cases": int(row["violating_cases"]) if row is not None else None,
                      "violation_rate": _num(row["rate"]) if row is not None else None})
    kpis = []
    for k in cfg.kpis:
        if k.params.get("step") not in names:
            continue
        value = processing["rework_rate"] if k.metric == "rework_rate" else None
        target = float(k.target) if isinstance(k.target, (int, float)) else None
        met = None if value is None or target is None else (value <= target if k.direction == "lower" else
                                                            value >= target)
        kpis.append({"id": k.id, "label": k.label_zh if lang == "zh" else k.label_en, "metric": k.metric,
                     "target": k.target, "direction": k.direction, "value": value, "met": met})
    steps = report.steps.set_index("activity")
    conf = None
    for n in names:
        if n in steps.index:
            row = steps.loc[n]
            conf = {"skipped": int(row["skipped"]), "inserted": int(row["inserted"]),
                    "out_of_order": int(row["out_of_order"]), "cases_affected": int(row["cases_affected"]),
                    "rate": _num(row["rate"]), "in_model": bool(row["in_model"])}
            break
    return {"rules": rules, "kpis": kpis, "conformance": conf}, report
