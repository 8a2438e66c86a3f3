"""Business rules per case: which cases break which rule, with rates and examples.

The rule kinds and their meaning are those of :mod:`flowmine.processes` (precedence, response,
absence, exactly_once, four_eyes, time_limit in calendar hours/days or working days of the
process calendar, amount_threshold); its checker is the single implementation, wrapped here into
tidy results. Rules come from the process configuration or from a separate TOML file holding
``[[rule]]`` tables in the same format.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from flowmine._schema import CASE
from flowmine._toml import read_toml
from flowmine.errors import InputError
from flowmine.processes import Rule, check_rules, parse_rule

#: Columns of :func:`check_business_rules`.
RULE_COLUMNS = ("rule", "kind", "label_en", "label_zh", "severity", "violating_cases", "rate", "examples")


def read_rules(path: str | Path, activities: Mapping[str, Any] | None = None) -> tuple[Rule, ...]:
    """Read ``[[rule]]`` tables from a TOML file (the format of a process definition's ``process.toml``).

    ``activities`` (the configuration's activity table) lets unknown activity names be reported;
    without it every name a rule uses is accepted.
    """
    p = Path(path)
    data = read_toml(p, "rules file not found")
    raw = data.get("rule", [])
    if not raw:
        raise InputError(str(p), "no [[rule]] tables")
    names: dict[str, Any] = dict(activities or {})
    if activities is None:
        for r in raw:
            for key in ("before", "steps"):
                names.update({a: {} for a in r.get(key, [])})
            for key in ("after", "trigger", "response", "activity", "from", "to", "requires"):
                if key in r:
                    names[r[key]] = {}
    problems: list[str] = []
    rules = [parse_rule(r, f"[[rule]] #{i + 1}", names, problems) for i, r in enumerate(raw)]
    if problems:
        raise InputError(str(p), "; ".join(problems))
    return tuple(r for r in rules if r is not None)


def check_business_rules(
    events: pd.DataFrame | pa.Table, rules: Iterable[Rule], calendar: dict[str, Any] | None = None,
    examples: int = 5, ties: str | None = None,
) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """Check every rule on every case.

    ``events`` is a canonical log as a DataFrame or an Arrow table; ``ties`` orders events of a case
    with equal completion times (the store's ``event_id``; by default the row order).

    Returns
    -------
    (DataFrame, dict)
        Per rule (columns ``RULE_COLUMNS``): violating cases, their share of all cases and the first
        ``examples`` case ids; and per case: the ids of the rules it breaks (only breaking cases).

    Examples
    --------
    >>> from flowmine.processes import load_process
    >>> cfg = load_process("finance")
    >>> from flowmine import load_log
    >>> table, per_case = check_business_rules(load_log(STORE, "finance"), cfg.rules, cfg.calendar)
    """
    rules = list(rules)
    found = check_rules(events, rules, calendar, ties=ties)
    if isinstance(events, pa.Table):
        n = pc.count_distinct(events.column(CASE)).as_py() if events.num_rows else 0
    else:
        n = int(events[CASE].nunique())
    return rule_results(rules, found, n, examples)


def rule_results(rules: Iterable[Rule], found: Mapping[str, list[str]], n: int, examples: int = 5
                 ) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """:func:`check_business_rules`' table and per-case rule ids from what ``check_rules`` found (rule id ->
    violating case ids, sorted) among ``n`` cases. A rule is decided on each case alone, so the results
    on some of the cases are these lists restricted to them (what a filtered ``check`` uses)."""
    rows = []
    per_case: dict[str, list[str]] = {}
    for r in rules:
        ids = found[r.id]
        for c in ids:
            per_case.setdefault(c, []).append(r.id)
        rows.append({"rule": r.id, "kind": r.kind, "label_en": r.label_en, "label_zh": r.label_zh,
                     "severity": r.severity, "violating_cases": len(ids), "rate": len(ids) / n if n else 0.0,
                     "examples": ids[:examples]})
    return pd.DataFrame(rows, columns=list(RULE_COLUMNS)), per_case
