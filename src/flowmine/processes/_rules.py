"""A reference checker of the declarative business rules: which cases break which rule.

The meaning of each rule kind (events ordered by completion time, ties by file order):

``precedence`` (``before`` list, ``after``)
    Every instance of ``after`` has an earlier completed instance of each ``before`` activity.
``response`` (``trigger``, ``response``)
    Every instance of ``trigger`` is followed later by an instance of ``response``.
``absence`` (``activity``)
    The activity does not occur.
``exactly_once`` (``activity``)
    The activity occurs exactly once.
``four_eyes`` (``steps`` = [a, b])
    Nobody performs both an ``a`` and a ``b`` instance in one case.
``time_limit`` (``from``, ``to``, ``max``)
    From the first ``from`` to the first ``to`` completed after it takes at most ``max``
    (``30d``, ``48h``: elapsed time; ``3wd``: working days between the local dates of the two
    completions, by the ``[calendar]``). A case with no such ``to`` is not judged.
``amount_threshold`` (``attribute``, ``above``, ``requires``)
    A case whose attribute is above the limit contains ``requires``.

It is simple and per case (fine for sample-sized logs); it states the semantics the monitor
implements and is what the ground-truth tests check planted violations against.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from flowmine._schema import ACTIVITY, CASE, RESOURCE, TIMESTAMP
from flowmine.processes._config import WEEKDAYS, Duration, Rule


def _weekmask(calendar: dict[str, Any] | None) -> str:
    days = (calendar or {}).get("weekdays", WEEKDAYS[:5])
    return " ".join(d for d in WEEKDAYS if d in days)


def _violates(
    rule: Rule,
    acts: list[str],
    times: list[pd.Timestamp],
    res: list[Any],
    attrs: dict[str, Any],
    workdays: Any,
) -> bool:
    p = rule.params
    if rule.kind == "precedence":
        after, before = p["after"], p["before"]
        return any(a == after and any(b not in acts[:i] for b in before) for i, a in enumerate(acts))
    if rule.kind == "response":
        return any(a == p["trigger"] and p["response"] not in acts[i + 1 :] for i, a in enumerate(acts))
    if rule.kind == "absence":
        return p["activity"] in acts
    if rule.kind == "exactly_once":
        return acts.count(p["activity"]) != 1
    if rule.kind == "four_eyes":
        a, b = p["steps"]
        first = {r for x, r in zip(acts, res, strict=True) if x == a and isinstance(r, str)}
        return any(x == b and r in first for x, r in zip(acts, res, strict=True))
    if rule.kind == "time_limit":
        if p["from"] not in acts:
            return False
        i = acts.index(p["from"])
        later = [j for j in range(i + 1, len(acts)) if acts[j] == p["to"]]
        if not later:
            return False
        limit = Duration.parse(p["max"])
        t0, t1 = times[i], times[later[0]]
        if limit.unit == "wd":
            return bool(workdays(t0, t1) > limit.amount)
        hours = (t1 - t0).total_seconds() / 3600.0
        return hours > limit.amount * (24.0 if limit.unit == "d" else 1.0)
    if rule.kind == "amount_threshold":
        value = attrs.get(p["attribute"])
        return value is not None and float(value) > float(p["above"]) and p["requires"] not in acts
    raise ValueError(f"unknown rule kind {rule.kind!r}")


def check_rules(
    events: pd.DataFrame, rules: Iterable[Rule], calendar: dict[str, Any] | None = None
) -> dict[str, list[str]]:
    """Case ids that break each rule.

    Parameters
    ----------
    events : pandas.DataFrame
        Canonical event log (case, activity, completion timestamp; resource and case attributes
        where rules need them).
    rules : iterable of Rule
        Usually ``load_process(name).rules``.
    calendar : dict, optional
        The ``[calendar]`` table (``weekdays``, ``timezone``, ``holidays``) for ``wd`` limits.

    Returns
    -------
    dict
        Rule id -> sorted list of violating case ids (empty list when none).
    """
    rules = list(rules)
    cal = calendar or {}
    tz = cal.get("timezone", "UTC")
    mask = _weekmask(cal)
    holidays = [np.datetime64(d) for d in cal.get("holidays", [])]

    def workdays(t0: pd.Timestamp, t1: pd.Timestamp) -> int:
        d0 = np.datetime64(t0.tz_convert(tz).date())
        d1 = np.datetime64(t1.tz_convert(tz).date())
        return int(np.busday_count(d0, d1, weekmask=mask, holidays=holidays))

    ordered = events.sort_values([CASE, TIMESTAMP], kind="stable")
    attr_cols = [c for c in ordered.columns if c.startswith("case:") and c != CASE]
    out: dict[str, list[str]] = {r.id: [] for r in rules}
    resources = ordered[RESOURCE] if RESOURCE in ordered.columns else pd.Series(None, index=ordered.index)
    frame = pd.DataFrame({"c": ordered[CASE], "a": ordered[ACTIVITY], "t": ordered[TIMESTAMP], "r": resources})
    firsts = ordered.groupby(CASE, sort=False)[attr_cols].first() if attr_cols else None
    for case_id, group in frame.groupby("c", sort=True):
        acts = group["a"].tolist()
        times = group["t"].tolist()
        res = group["r"].tolist()
        attrs = {str(k): v for k, v in firsts.loc[case_id].items()} if firsts is not None else {}
        for rule in rules:
            if _violates(rule, acts, times, res, attrs, workdays):
                out[rule.id].append(str(case_id))
    return out
