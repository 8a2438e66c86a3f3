"""Ground truth of a simulated log: what was planted, and the figures an analysis must find.

The planted facts (bottleneck step, deviation kind per case, change date, rule violations implied
by the deviations) come from the simulator's plan. The measured figures (waiting per step, rework
and failed-check rates, cost per step, the change point's effect) are computed here from the
event frame with the glossary's definitions, so they are what an analysis of the log should
report. Tests recompute them from the raw rows with independent code.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from flowmine._schema import ACTIVITY, CASE, COST, CURRENCY, QUALITY, START, TIMESTAMP
from flowmine.simulate._definitions import CONTROL_FLOW_KINDS, KINDS, ProcessDef

#: Which planted deviation kinds break which business rule (rule ids of each definition's ``process.toml``).
#: A pair (kind, amount) applies only to cases whose ``case:amount`` is above ``amount``.
RULE_PLANTS: dict[str, dict[str, tuple[tuple[str, float | None], ...]]] = {
    "sales": {
        "contract_before_scheduling": (("skip", None),),
        "deliver_before_invoice": (("swap", None),),
        "payment_within_30d": (("late", None),),
        "no_order_change": (("insert", None),),
        "invoice_exactly_once": (),
    },
    "procurement": {
        "po_approved_before_receipt": (("skip", None),),
        "three_way_match": (("swap", None),),
        "four_eyes_requisition": (("four_eyes", None),),
        "pay_within_30d": (("late", None),),
        "pay_exactly_once": (),
    },
    "production": {
        "inspect_before_warehousing": (("skip", None),),
        "warehouse_before_shipping": (("swap", None),),
        "rework_reinspected": (),
        "no_expedite": (("insert", None),),
    },
    "finance": {
        "pay_after_review_and_approval": (("skip", None), ("swap", None)),
        "four_eyes_claim": (("four_eyes", None),),
        "review_within_3wd": (("late", None),),
        "gm_approval_above_5000": (("skip", 5000.0),),
        "pay_exactly_once": (),
    },
}


def waiting_hours(events: pd.DataFrame) -> pd.Series:
    """Waiting time (hours) of each event: its start minus the previous completion in its case.

    The simulated cases are sequential, so the enabling instance is the previous one; the first
    event of a case has no waiting (NaN).
    """
    ordered = events.sort_values([CASE, TIMESTAMP], kind="stable")
    prev = ordered.groupby(CASE, sort=False)[TIMESTAMP].shift(1)
    return ((ordered[START] - prev).dt.total_seconds() / 3600.0).reindex(events.index)


def _per_step(events: pd.DataFrame, wait: pd.Series) -> dict[str, Any]:
    frame = pd.DataFrame({"activity": events[ACTIVITY], "wait": wait, "cost": events[COST]})
    grouped = frame.groupby("activity", sort=True)
    total_wait = grouped["wait"].sum()
    cost_total = grouped["cost"].sum()
    cost_mean = grouped["cost"].mean()
    counts = grouped.size()
    return {
        "waiting_total_hours": {k: round(float(v), 2) for k, v in total_wait.items()},
        "waiting_median_hours": {k: round(float(v), 2) for k, v in grouped["wait"].median().items()},
        "cost_per_step": {
            str(k): {
                "total": round(float(cost_total[k]), 2),
                "mean": round(float(cost_mean[k]), 2),
                "instances": int(counts[k]),
            }
            for k in counts.index
        },
    }


def _rework(events: pd.DataFrame, proc: ProcessDef) -> dict[str, Any]:
    counts = events.groupby([CASE, ACTIVITY], sort=False).size()
    out: dict[str, Any] = {}
    for step in proc.rework_steps:
        per_case = counts.xs(step, level=1) if step in counts.index.get_level_values(1) else counts.iloc[:0]
        with_step = int((per_case >= 1).sum())
        out[step] = {
            "rate": round(float((per_case >= 2).sum() / with_step), 4) if with_step else 0.0,
            "cases_with_rework": int((per_case >= 2).sum()),
            "cases_with_step": with_step,
        }
    return out


def _quality(events: pd.DataFrame, proc: ProcessDef) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for step in proc.quality_steps:
        outcome = events.loc[events[ACTIVITY] == step, QUALITY]
        out[step] = {
            "fail_rate": round(float((outcome == "fail").mean()), 4) if len(outcome) else 0.0,
            "checks": len(outcome),
        }
    return out


def _change(
    events: pd.DataFrame, wait: pd.Series, proc: ProcessDef, change_utc: pd.Timestamp | None, date: str | None
) -> dict[str, Any] | None:
    if change_utc is None:
        return None
    step = proc.change.step
    mask = events[ACTIVITY] == step
    ready = events.loc[mask, START] - pd.to_timedelta(wait[mask], unit="h")
    w = wait[mask]
    before, after = w[ready < change_utc].dropna(), w[ready >= change_utc].dropna()
    result: dict[str, Any] = {
        "date": date,
        "step": step,
        "added_resource": proc.change.added,
        "description_en": proc.change.description_en,
        "description_zh": proc.change.description_zh,
        "instances_before": len(before),
        "instances_after": len(after),
    }
    if len(before) and len(after):
        result.update(
            waiting_mean_before_hours=round(float(before.mean()), 2),
            waiting_mean_after_hours=round(float(after.mean()), 2),
            waiting_median_before_hours=round(float(before.median()), 2),
            waiting_median_after_hours=round(float(after.median()), 2),
            waiting_mean_cut_share=round(float(1 - after.mean() / before.mean()), 3),
        )
    return result


def build_truth(
    proc: ProcessDef,
    events: pd.DataFrame,
    kinds: dict[str, str | None],
    amounts: dict[str, float],
    *,
    seed: int,
    rates: dict[str, float],
    timezone: str,
    change_utc: pd.Timestamp | None,
    change_date: str | None,
) -> dict[str, Any]:
    """Assemble the ground-truth dictionary (JSON-ready) of one simulated log."""
    n = len(kinds)
    by_kind: dict[str, list[str]] = {k: [] for k in KINDS}
    for cid, kind in kinds.items():
        if kind is not None:
            by_kind[kind].append(cid)
    dev = proc.deviations
    deviations = {
        kind: {
            "step": dev.step_of(kind),
            "control_flow": kind in CONTROL_FLOW_KINDS,
            "planted_rate": rates.get(kind, 0.0),
            "observed_rate": round(len(by_kind[kind]) / n, 5) if n else 0.0,
            "cases": sorted(by_kind[kind]),
        }
        for kind in KINDS
        if rates.get(kind, 0.0) > 0.0
    }
    rules: dict[str, list[str]] = {}
    for rule_id, plants in RULE_PLANTS[proc.name].items():
        hit: set[str] = set()
        for kind, above in plants:
            hit.update(c for c in by_kind[kind] if above is None or amounts[c] > above)
        rules[rule_id] = sorted(hit)
    wait = waiting_hours(events)
    steps = _per_step(events, wait)
    totals = steps["waiting_total_hours"]
    role = proc.role_of(proc.bottleneck)
    nonconforming = sum(len(by_kind[k]) for k in CONTROL_FLOW_KINDS)
    return {
        "process": proc.name,
        "label_en": proc.label_en,
        "label_zh": proc.label_zh,
        "seed": seed,
        "cases": n,
        "events": len(events),
        "timezone": timezone,
        "currency": str(events[CURRENCY].iloc[0]) if len(events) else "CNY",
        "first_event": events[TIMESTAMP].min().isoformat() if len(events) else None,
        "last_event": events[TIMESTAMP].max().isoformat() if len(events) else None,
        "activities": {name: a.zh for name, a in proc.activities.items()},
        "model_activities": list(proc.model_activities),
        "bottleneck": {
            "step": proc.bottleneck,
            "role": role.name,
            "staff": len(role.staff),
            "weekdays": list(role.calendar.weekdays),
            "hours": [role.calendar.start_hour, role.calendar.end_hour],
            "measured_rank": sorted(totals, key=lambda k: -totals[k]).index(proc.bottleneck) + 1
            if proc.bottleneck in totals
            else None,
        },
        "conforming_cases": n - nonconforming,
        "nonconforming_cases": nonconforming,
        "deviations": deviations,
        "rule_violations": rules,
        "rework": _rework(events, proc),
        "quality": _quality(events, proc),
        "change_point": _change(events, wait, proc, change_utc, change_date),
        **steps,
        "waiting_definition": "start minus the previous completion in the case (cases are sequential)",
        "median_throughput_hours": round(float(_throughput(events).median()), 2) if len(events) else None,
        "cost_per_case_mean": round(float(events[COST].sum() / n), 2) if n else None,
    }


def _throughput(events: pd.DataFrame) -> pd.Series:
    g = events.groupby(CASE, sort=False)
    return (g[TIMESTAMP].max() - g[START].min()).dt.total_seconds() / 3600.0


def as_builtin(value: Any) -> Any:
    """Recursively turn numpy scalars into Python ones (for ``json.dump``)."""
    if isinstance(value, dict):
        return {str(k): as_builtin(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [as_builtin(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def factor_truth(proc: ProcessDef, delays: list[tuple[str, int, float]],
                 batch_waits: Sequence[tuple[str, int, float]] = ()) -> list[dict[str, Any]]:
    """The planted influencing factors with what they added: per factor its step, the attribute as the
    stored log names it (``case:<name>``, ``org:resource`` for a batching resource), the value or
    threshold, and the cases, instances and extra seconds (total and median) the simulator drew: a
    delay's own length, or for a batch the clock time from an instance's ready time to its run."""
    out = []
    for k, f in enumerate(proc.factors):
        where: dict[str, Any] = ({"value": f.value} if f.op == "==" else
                                 {"threshold": {"op": f.op, "value": f.value}})
        out.append({"process": proc.name, "step": f.step, "measure": "waiting", "kind": "delay",
                    "attribute": f"case:{f.attribute}", **where, "median_delay_days": f.days,
                    **_drawn(delays, k), "description_en": f.description_en, "description_zh": f.description_zh})
    for k, b in enumerate(proc.batches):
        out.append({"process": proc.name, "step": b.step, "measure": "waiting", "kind": "batch",
                    "attribute": "org:resource", "value": proc.batcher(b.step), "share": b.share,
                    "run_hour": b.hour, **_drawn(batch_waits, k), "description_en": b.description_en,
                    "description_zh": b.description_zh})
    return out


def _drawn(waits: Sequence[tuple[str, int, float]], k: int) -> dict[str, Any]:
    secs = np.asarray([m * 60.0 for _c, i, m in waits if i == k], dtype=np.float64)
    return {"cases": len({c for c, i, _m in waits if i == k}), "instances": int(secs.size),
            "planted_extra_s_total": round(float(secs.sum()), 1),
            "planted_extra_s_median": round(float(np.median(secs)), 1) if secs.size else None}
