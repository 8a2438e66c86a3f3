"""The numbers of the tables helper's pages that ``_data`` does not hold: the bottleneck lists with
every column (``flowmine.analytics.bottlenecks``), the KPI cards' status against their targets and
the previous period's values, cached per (store version, filters) as ``_data`` caches.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from flowmine.dashboard._data import (
    _filters,
    _key,
    calendar_of,
    card_conformance,
    card_profile,
    case_cost,
    kpis,
    log_of,
    single_flight,
)
from flowmine.dashboard._state import Filters
from flowmine.monitor import on_target
from flowmine.store import Store

#: Bottlenecks listed per kind (steps, transitions) on the page.
TOP = 10
#: Bootstrap replicates of the bottleneck intervals (as the profile's default).
N_BOOT = 1000


@single_flight(maxsize=128)
def _bottlenecks(*key: Any) -> Any:
    from flowmine.analytics import bottlenecks

    return bottlenecks(log_of(Store(key[0], create=False), _filters(key)), kind="both", n_boot=N_BOOT,
                       calendar=calendar_of(key))


def bottleneck_lists(store: Store, f: Filters) -> dict[str, list[dict[str, Any]]]:
    """The two ranked lists of ``flowmine.analytics.bottlenecks`` (``activity``: steps by their waiting,
    ``edge``: transitions by their duration), the top :data:`TOP` of each, every column as records."""
    frame = _bottlenecks(*_key(store, f))
    out: dict[str, list[dict[str, Any]]] = {}
    for kind in ("activity", "edge"):
        rows = frame[frame["kind"] == kind].sort_values("rank").head(TOP)
        out[kind] = [{k: (None if isinstance(v, float) and v != v else v) for k, v in r.items()}
                     for r in rows.to_dict("records")]
    return out


def status(value: float | None, target: tuple[str, float] | None) -> str:
    """``met``, ``missed`` or ``none`` (no target, or no value): ``flowmine.monitor.on_target``."""
    if target is None or value is None:
        return "none"
    return "met" if on_target(float(value), target[1], target[0]) else "missed"


def previous_window(f: Filters) -> tuple[str, str] | None:
    """The period right before the filter's start..end dates (both inclusive): the same number of whole
    calendar months before when the window is whole months (February after January, a quarter after the
    quarter before), else the same number of days; None when the filters set no complete window."""
    if not f.start or not f.end:
        return None
    start, end = dt.date.fromisoformat(f.start), dt.date.fromisoformat(f.end)
    days = (end - start).days + 1
    if days <= 0:
        return None
    after = end + dt.timedelta(days=1)
    if start.day == 1 and after.day == 1:  # whole months
        months = (after.year - start.year) * 12 + after.month - start.month
        first = start.year * 12 + start.month - 1 - months
        return dt.date(first // 12, first % 12 + 1, 1).isoformat(), (start - dt.timedelta(days=1)).isoformat()
    return (start - dt.timedelta(days=days)).isoformat(), (start - dt.timedelta(days=1)).isoformat()


def card_values(store: Store, f: Filters) -> dict[str, float | None]:
    """The KPI cards' values for the filters, by KPI metric: the same functions the overview cards use
    (``kpis`` of the profile and ``cost_per_case``, and ``flowmine check``'s fitness and rule
    violation rate), without what the cards do not show (the profile's intervals, the check's
    precision and impact) unless the filters' pages computed them already."""
    assert f.process is not None
    k = kpis(card_profile(store, f), case_cost(store, f))
    out: dict[str, float | None] = {"throughput_time": k["tt_median"], "cost_per_case": k["cost_case"],
                                    "cases": k["cases"]}
    c = card_conformance(store, f.process, f)
    if c is not None and c["cases"]:
        out["fitness"] = c.get("fitness")
        out["rule_violation_rate"] = c.get("rule_violation_rate")
    return out


def previous_values(store: Store, f: Filters) -> tuple[tuple[str, str] | None, dict[str, float | None]]:
    """The previous window (:func:`previous_window`) and the cards' values in it (empty without one)."""
    window = previous_window(f)
    if window is None:
        return None, {}
    return window, card_values(store, replace(f, start=window[0], end=window[1]))
