"""What the case explorer and the case page show, from the public API, cached like ``_data``'s functions.

A page of the explorer is ``flowmine.analytics.case_table`` of the filtered log (the analytics layer
keeps the per-case rows of each log version and filters in memory, so a page turn is one small query);
a case's deviations and broken rules are those of ``flowmine.conformance.check`` on the process.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from flowmine.analytics import business_duration, case_table, case_timeline, case_waits, stored
from flowmine.dashboard._data import (
    _filters,
    _key,
    conforming_cases,
    log_of,
    offer,
    single_flight,
    version,
    whole_check,
    working_calendar,
)
from flowmine.dashboard._state import Filters
from flowmine.store import Store


@single_flight(maxsize=256)
def _page(search: str, sort: str, descending: bool, offset: int, limit: int, *key: Any) -> tuple[Any, int]:
    store = Store(key[0], create=False)
    f = _filters(key)
    fitting = conforming_cases(store, key[1])[0] if offer(store, key[1]).conformance else None
    return case_table(log_of(store, f), search=search or None, sort=sort, descending=descending, offset=offset,
                      limit=limit, fitting=fitting)


def case_page(store: Store, f: Filters, search: str = "", sort: str = "start", descending: bool = False,
              offset: int = 0, limit: int = 25) -> tuple[Any, int]:
    """One page of ``flowmine.analytics.case_table`` over the filtered cases (with ``fitting`` when the
    process has a reference model) and the number of cases the search matches."""
    return _page(search, sort, descending, offset, limit, *_key(store, f))


@dataclass(frozen=True)
class CaseView:
    """One case: its row of the case table, its timeline, the waits before its instances, and what the
    conformance check says of it (None without a reference model)."""

    row: dict[str, Any]
    timeline: Any
    waits: Any
    deviations: list[str] | None = None  # "kind: activity" labels (the check's case_deviations)
    rules: list[tuple[str, str, str]] | None = None  # broken rules: (id, English label, Chinese label)
    fitness: float | None = None
    attributes: dict[str, Any] = field(default_factory=dict)


@single_flight(maxsize=16)
def _checked(store_path: str, process: str, ver: str) -> tuple[Any, dict[str, tuple[str, str, str]]] | None:
    """The check every page shares (``_data.whole_check``; None: no reference model), read per case as it
    is (no copy of its per-case tables), and its rules' labels."""
    report = whole_check(store_path, process, ver)
    if report is None:
        return None
    labels = {str(r["rule"]): (str(r["rule"]), str(r["label_en"] or r["rule"]), str(r["label_zh"] or r["label_en"]
                                                                                    or r["rule"]))
              for r in report.rules.to_dict("records")}
    return report, labels


@single_flight(maxsize=256)
def _case(case: str, store_path: str, process: str, ver: str, time: str | None = None) -> CaseView | None:
    store = Store(store_path, create=False)
    log = stored(store, process)
    rows, total = case_table(log, case=case, limit=1)
    if total == 0:
        return None
    timeline = case_timeline(log, case)
    cal = working_calendar(process) if time == "business" else None
    waits = case_waits(timeline, cal)
    row = {str(k): v for k, v in rows.to_dict("records")[0].items()}
    if cal is not None:  # its throughput time in business time too: first start to last completion
        us = pd.DatetimeIndex(pd.to_datetime([row["start"], row["end"]], utc=True)).as_unit("us").asi8
        row["throughput_s"] = float(business_duration(us[:1], us[1:], cal)[0])
    attributes = {k: v for k, v in row.items() if k.startswith("case:")}
    checked = _checked(store_path, process, ver) if offer(store, process).conformance else None
    if checked is None:
        return CaseView(row=row, timeline=timeline, waits=waits, attributes=attributes)
    report, labels = checked
    fitness = report.case_fitness.get(case)
    return CaseView(row=row, timeline=timeline, waits=waits, attributes=attributes,
                    deviations=list(report.case_deviations.get(case, [])),
                    rules=[labels.get(r, (r, r, r)) for r in report.case_rules.get(case, [])],
                    fitness=None if fitness is None else float(fitness))


def case_view(store: Store, process: str, case: str, time: str | None = None) -> CaseView | None:
    """Everything the case page shows of ``case`` (None: the process has no case with this id), its waits
    in business time of the process calendar when ``time`` is ``business``. The id is only ever a query
    parameter."""
    return _case(case, str(store.path), process, version(store, process), time)
