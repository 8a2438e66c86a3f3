"""The vectorised rule checker equals a plain per-case reading of each rule kind's definition.

``reference_rules`` below is the per-case checker flowmine used before the rules were vectorised
(it loops over the cases and reads the definitions of ``flowmine.processes._rules`` literally). Both
run on the four sample logs (their own rules plus one rule of every kind and parameter corner) and on
random logs with timestamp ties, repeated activities, unnamed resources and missing amounts.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from flowmine import Store
from flowmine._schema import ACTIVITY, CASE, EVENT_ID, RESOURCE, TIMESTAMP
from flowmine.conformance import check_business_rules
from flowmine.processes import Rule, check_rules, load_process
from flowmine.processes._config import WEEKDAYS, Duration

SAMPLES = Path(__file__).resolve().parents[1] / "sample_logs"
ENTRIES = {e["process"]: e for e in tomllib.loads((SAMPLES / "samples.toml").read_text("utf-8"))["log"]}
PROCESSES = ["sales", "procurement", "production", "finance"]
CALENDAR = {"weekdays": ["Mon", "Tue", "Wed", "Thu", "Fri"], "timezone": "Asia/Shanghai",
            "holidays": ["2025-10-01", "2025-10-02"]}


# --- the reference: one case at a time, the definitions read literally --------------------------------
def _violates(rule: Rule, acts: list[str], times: list[pd.Timestamp], res: list[Any], attrs: dict[str, Any],
              workdays: Any) -> bool:
    p = rule.params
    if rule.kind == "precedence":
        after, before = p["after"], p["before"]
        return any(a == after and any(b not in acts[:i] for b in before) for i, a in enumerate(acts))
    if rule.kind == "response":
        return any(a == p["trigger"] and p["response"] not in acts[i + 1:] for i, a in enumerate(acts))
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


def reference_rules(events: pd.DataFrame, rules: Iterable[Rule],
                    calendar: dict[str, Any] | None = None) -> dict[str, list[str]]:
    rules = list(rules)
    cal = calendar or {}
    tz = cal.get("timezone", "UTC")
    days = cal.get("weekdays", WEEKDAYS[:5])
    mask = " ".join(d for d in WEEKDAYS if d in days)
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
        acts, times, res = group["a"].tolist(), group["t"].tolist(), group["r"].tolist()
        attrs = {str(k): v for k, v in firsts.loc[case_id].items()} if firsts is not None else {}
        for rule in rules:
            if _violates(rule, acts, times, res, attrs, workdays):
                out[rule.id].append(str(case_id))
    return out


# --- rules of every kind -------------------------------------------------------------------------------
def _rule(rid: str, kind: str, **params: Any) -> Rule:
    return Rule(rid, kind, rid, rid, dict(params))


def corner_rules(acts: list[str], attribute: str = "case:amount", above: float = 5000.0) -> list[Rule]:
    """One rule of every kind over the first activities, with repeated and missing names."""
    a, b, c = acts[0], acts[1 % len(acts)], acts[2 % len(acts)]
    z = "No such step"
    out = [
        _rule("prec", "precedence", before=[a, b], after=c),
        _rule("prec_self", "precedence", before=[c], after=c),
        _rule("prec_missing", "precedence", before=[z], after=b),
        _rule("prec_rev", "precedence", before=[c], after=a),
        _rule("resp", "response", trigger=a, response=c),
        _rule("resp_rev", "response", trigger=c, response=a),
        _rule("resp_self", "response", trigger=b, response=b),
        _rule("resp_missing", "response", trigger=z, response=a),
        _rule("absent", "absence", activity=b),
        _rule("absent_missing", "absence", activity=z),
        _rule("once", "exactly_once", activity=a),
        _rule("once_c", "exactly_once", activity=c),
        _rule("eyes", "four_eyes", steps=[a, b]),
        _rule("eyes_rev", "four_eyes", steps=[c, a]),
        _rule("eyes_self", "four_eyes", steps=[b, b]),
        _rule("amount", "amount_threshold", attribute=attribute, above=above, requires=b),
        _rule("amount_missing_col", "amount_threshold", attribute="case:nothing", above=0, requires=b),
        _rule("amount_not_case", "amount_threshold", attribute=ACTIVITY, above=0, requires=b),
    ]
    for f, t in ((a, c), (a, b), (b, b), (c, a), (z, a)):
        for limit in ("1wd", "3wd", "0wd", "30d", "2d", "48h", "0.5h", "0h"):
            out.append(_rule(f"tl_{f}_{t}_{limit}", "time_limit", **{"from": f, "to": t, "max": limit}))
    return out


def _assert_same(events: pd.DataFrame, rules: list[Rule], calendar: dict[str, Any] | None) -> None:
    expected = reference_rules(events, rules, calendar)
    assert check_rules(events, rules, calendar) == expected
    assert check_rules(pa.Table.from_pandas(events, preserve_index=False), rules, calendar) == expected


@pytest.fixture(scope="module")
def sample_store(tmp_path_factory) -> Store:
    st = Store(tmp_path_factory.mktemp("rules") / "store")
    for p in PROCESSES:
        e = ENTRIES[p]
        st.ingest(p, [str(SAMPLES / e["file"])], mapping=SAMPLES / e["mapping"] if e.get("mapping") else None)
    return st


@pytest.mark.parametrize("process", PROCESSES)
def test_sample_logs_equal_the_reference(sample_store, process):
    cfg = load_process(process)
    events = sample_store.load(process)
    acts = [a for a in cfg.activities if a in set(events[ACTIVITY])]
    rules = list(cfg.rules) + corner_rules(acts)
    expected = reference_rules(events, rules, cfg.calendar)
    assert sum(map(len, expected.values())) > 0
    assert check_rules(events, rules, cfg.calendar) == expected
    table = sample_store.load_table(process)
    assert check_rules(table, rules, cfg.calendar, ties=EVENT_ID) == expected
    shuffled = table.take(pa.array(np.random.default_rng(3).permutation(table.num_rows)))
    assert check_rules(shuffled, rules, cfg.calendar, ties=EVENT_ID) == expected
    # the table of check_business_rules: counts, rates, examples in case order
    rows, per_case = check_business_rules(events, rules, cfg.calendar)
    n = events[CASE].nunique()
    for row in rows.to_dict(orient="records"):
        ids = expected[row["rule"]]
        assert (row["violating_cases"], row["rate"], row["examples"]) == (len(ids), len(ids) / n, ids[:5])
    broken: dict[str, list[str]] = {}
    for r in rules:
        for c in expected[r.id]:
            broken.setdefault(c, []).append(r.id)
    assert per_case == broken


def _random_log(seed: int, n_cases: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    acts = np.array(["A", "B", "C", "D"])
    rows = []
    base = pd.Timestamp("2025-09-25 20:00", tz="UTC")
    for k in range(n_cases):
        case = f"c{rng.integers(0, 10**rng.integers(1, 5))}-{k}"
        n = int(rng.integers(1, 9))
        t = base + pd.Timedelta(hours=int(rng.integers(0, 24 * 40)))
        amount = [None, np.nan, float(rng.integers(0, 10000))][int(rng.integers(0, 3))]
        for _ in range(n):
            t = t + pd.Timedelta(minutes=int(rng.choice([0, 0, 30, 60 * 23, 60 * 24, 60 * 24 * 3, 60 * 24 * 31])))
            res = [None, "ann", "bob", "cy"][int(rng.integers(0, 4))]
            rows.append((case, str(rng.choice(acts)), t, res, amount if rng.random() < 0.7 else None))
    frame = pd.DataFrame(rows, columns=[CASE, ACTIVITY, TIMESTAMP, RESOURCE, "case:amount"])
    return frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)  # rows out of case order


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_logs_equal_the_reference(seed):
    events = _random_log(seed)
    rules = corner_rules(["A", "B", "C", "D"])
    _assert_same(events, rules, CALENDAR)
    _assert_same(events, rules, None)
    assert any(reference_rules(events, rules, CALENDAR).values())


def test_resolutions_and_integer_case_ids():
    events = _random_log(5, 120)
    events[CASE] = events[CASE].str.split("-").str[1].astype(int)  # sorted as numbers, written as text
    events[TIMESTAMP] = events[TIMESTAMP].dt.as_unit("ns")
    rules = corner_rules(["A", "B", "C"])
    expected = reference_rules(events, rules, CALENDAR)
    assert check_rules(events, rules, CALENDAR) == expected
    assert expected["once"][:3] == sorted(expected["once"], key=int)[:3]


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="unknown rule kind"):
        check_rules(_random_log(0, 5), [_rule("x", "sometimes")])
