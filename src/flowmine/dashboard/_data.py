"""What the pages show, computed by the public API and cached per (store version, filters).

Callbacks call these pure functions and only lay out their results, so every number on a page is
the public API's number for the same filters (``flowmine.analytics.profile`` is what
``flowmine perf --json`` prints).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

from flowmine.analytics import CaseFilter, profile, stored, variants
from flowmine.dashboard._state import Filters
from flowmine.store import Store

F = TypeVar("F", bound=Callable[..., Any])


def single_flight(maxsize: int) -> Callable[[F], F]:
    """An LRU memo where concurrent calls with the same arguments compute once and share the result
    (twenty managers opening the same page must not start twenty identical queries)."""

    def wrap(fn: F) -> F:
        cache: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        locks: dict[tuple[Any, ...], threading.Lock] = {}
        guard = threading.Lock()

        def memo(*args: Any) -> Any:
            with guard:
                if args in cache:
                    cache.move_to_end(args)
                    return cache[args]
                lock = locks.setdefault(args, threading.Lock())
            with lock:
                with guard:
                    if args in cache:
                        return cache[args]
                value = fn(*args)
                with guard:
                    cache[args] = value
                    if len(cache) > maxsize:
                        cache.popitem(last=False)
                    locks.pop(args, None)
                return value

        memo.cache = cache  # type: ignore[attr-defined]
        return memo  # type: ignore[return-value]

    return wrap


def version(store: Store, process: str) -> str:
    """The live version of a process: part of every cache key, so new ingests show at once."""
    return store.manifest(process)["version"]


def case_filter(f: Filters) -> CaseFilter | None:
    if not (f.start or f.end):
        return None
    lo = dt.datetime.fromisoformat(f.start).replace(tzinfo=dt.UTC) if f.start else None
    hi = (dt.datetime.fromisoformat(f.end).replace(tzinfo=dt.UTC) + dt.timedelta(days=1)) if f.end else None
    return CaseFilter(started=(lo, hi))


@single_flight(maxsize=256)
def _profile(store_path: str, process: str, ver: str, start: str | None, end: str | None) -> dict[str, Any]:
    flt = case_filter(Filters(process=process, start=start, end=end))
    return profile(stored(Store(store_path, create=False), process), by="month", filters=flt, process=process)


def process_profile(store: Store, f: Filters) -> dict[str, Any]:
    """``flowmine.analytics.profile`` of the filtered process (with monthly periods)."""
    assert f.process is not None
    return _profile(str(store.path), f.process, version(store, f.process), f.start, f.end)


@single_flight(maxsize=64)
def _variants(store_path: str, process: str, ver: str, start: str | None, end: str | None) -> Any:
    from flowmine.analytics import filter_cases

    log = stored(Store(store_path, create=False), process)
    flt = case_filter(Filters(process=process, start=start, end=end))
    return variants(filter_cases(log, flt) if flt else log)


def process_variants(store: Store, f: Filters) -> Any:
    assert f.process is not None
    return _variants(str(store.path), f.process, version(store, f.process), f.start, f.end)


@single_flight(maxsize=64)
def _metric(store_path: str, process: str, ver: str, start: str | None, end: str | None, name: str,
            level: str) -> Any:
    from flowmine import analytics

    log = stored(Store(store_path, create=False), process)
    flt = case_filter(Filters(process=process, start=start, end=end))
    if flt is not None:
        log = analytics.filter_cases(log, flt)
    return getattr(analytics, name)(log, level=level)


def metric(store: Store, f: Filters, name: str, level: str) -> Any:
    """A metric frame of the public API (``flowmine.analytics.<name>(log, level=level)``), cached."""
    assert f.process is not None
    return _metric(str(store.path), f.process, version(store, f.process), f.start, f.end, name, level)


@single_flight(maxsize=256)
def _cases(store_path: str, process: str, ver: str, start: str | None, end: str | None, variant: str) -> Any:
    from flowmine import analytics

    log = stored(Store(store_path, create=False), process)
    window = case_filter(Filters(start=start, end=end))
    flt = CaseFilter(started=window.started if window else None, variants=[variant])
    return analytics.throughput_time(analytics.filter_cases(log, flt), level="case")


def variant_cases(store: Store, f: Filters, variant: str) -> Any:
    """Cases of one variant with their throughput time, slowest first (the drill-down)."""
    assert f.process is not None
    frame = _cases(str(store.path), f.process, version(store, f.process), f.start, f.end, variant)
    return frame.sort_values("throughput_s", ascending=False)


def case_events(store: Store, process: str, case: str) -> Any:
    """The events of one case in order: its timeline of steps, waits and resources."""
    import duckdb

    path = str(store.events_path(process))
    con = duckdb.connect()
    try:
        return con.execute(
            'SELECT * FROM read_parquet(?) WHERE "case:concept:name" = ? ORDER BY "time:timestamp", event_id',
            [path, case]).df()
    finally:
        con.close()


@single_flight(maxsize=32)
def _layout(store_path: str, process: str, ver: str) -> dict[str, tuple[float, float]]:
    from flowmine.discovery import map_layout

    return map_layout(stored(Store(store_path, create=False), process))


@single_flight(maxsize=256)
def _map(store_path: str, process: str, ver: str, start: str | None, end: str | None, activities: float,
         paths: float) -> Any:
    from flowmine import analytics
    from flowmine.discovery import process_map

    log: Any = stored(Store(store_path, create=False), process)
    flt = case_filter(Filters(process=process, start=start, end=end))
    if flt is not None:
        log = analytics.filter_cases(log, flt)
    return process_map(log, activities=activities, paths=paths, layout=_layout(store_path, process, ver))


def process_map_of(store: Store, f: Filters, activities: float, paths: float) -> Any:
    """The abstracted process map on the full log's fixed layout (nodes stay put when sliders move)."""
    assert f.process is not None
    return _map(str(store.path), f.process, version(store, f.process), f.start, f.end, activities, paths)


@single_flight(maxsize=32)
def _conformance(store_path: str, process: str, ver: str) -> dict[str, Any] | None:
    from flowmine.conformance import check
    from flowmine.errors import FlowmineError

    try:
        return check(Store(store_path, create=False), process).to_dict()
    except FlowmineError:  # no reference model for this process
        return None


def conformance(store: Store, process: str) -> dict[str, Any] | None:
    """``flowmine check``'s result for a process (all cases), or None without a reference model."""
    return _conformance(str(store.path), process, version(store, process))


def targets(process: str) -> dict[str, Any]:
    """KPI targets of the process configuration (dashboards/<process>.toml), by metric."""
    from flowmine.errors import FlowmineError
    from flowmine.processes import load_process

    try:
        cfg = load_process(process)
    except (FlowmineError, OSError, KeyError, ValueError):
        return {}
    return {k.metric: k for k in cfg.kpis}


def kpis(p: dict[str, Any]) -> dict[str, Any]:
    """KPI card values from a profile: the same numbers ``flowmine perf --json`` gives."""
    acts = p.get("activities", [])
    costs = [a["cost_total"] for a in acts if a.get("cost_total") is not None]
    currency = next((a.get("cost_currency") for a in acts if a.get("cost_currency")), None)
    cases = p.get("cases", 0)
    return {
        "cases": cases,
        "events": p.get("events", 0),
        "variants": p.get("variants", 0),
        "tt_median": p["case_duration_s"]["median"] if cases else None,
        "tt_p90": p["case_duration_s"]["p90"] if cases else None,
        "cost_case": (sum(costs) / cases) if costs and cases else None,
        "currency": currency,
        "rework_steps": sum(1 for a in acts if (a.get("rework_rate") or 0) > 0),
        "steps": len(acts),
        "top_bottleneck": p["bottlenecks"][0]["name"] if p.get("bottlenecks") else None,
    }
