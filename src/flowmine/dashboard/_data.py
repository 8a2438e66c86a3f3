"""What the pages show, computed by the public API and cached per (store version, filters).

Callbacks call these pure functions and only lay out their results, so every number on a page is
the public API's number for the same filters (``flowmine.analytics.profile`` is what
``flowmine perf --json`` prints). With the shell's business time (``Filters.time``), every time figure
is the API's with ``calendar=`` the process configuration's working calendar (:func:`calendar_of`):
what ``flowmine perf --time business`` prints.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar

from flowmine.analytics import (
    Calendar,
    CaseFilter,
    StoredLog,
    attribute_values,
    case_timeline,
    cost_per_case,
    hold,
    numeric_ranges,
    profile,
    stored,
    throughput_time,
    variant_stats,
)
from flowmine.dashboard import _heavy
from flowmine.dashboard._state import Filters, Offer, parse
from flowmine.monitor import target_value
from flowmine.processes import configured
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


#: (store, process, version) → when its relations were last held (``hold`` again after HOLD_EVERY_S, so the
#: analytics package's least-recently-used list of held versions sees the dashboard's versions in use)
_HELD: dict[tuple[str, str, str], float] = {}
HOLD_EVERY_S = 5.0


def version(store: Store, process: str) -> str:
    """The live version of a process: part of every cache key, so new ingests show at once. The
    version's relations are held in memory (``flowmine.analytics.hold``) on first use, so every
    filtered view only restricts and aggregates. Asked on every request: after the first, only the
    store's ``CURRENT`` name is read (binding the log checks the events file's digest, which a profile of
    the dashboard under load showed as an eighth of its time)."""
    ver = store.version(process)
    key = (str(store.path), process, ver)
    now = time.monotonic()
    if now - _HELD.get(key, -HOLD_EVERY_S) >= HOLD_EVERY_S:
        hold(stored(store, process))
        _HELD[key] = now
    return ver


#: Case attributes with at most this many distinct values are offered as filters.
MAX_ATTRIBUTE_VALUES = 200
#: Variants offered in the variant filter (most frequent first).
MAX_VARIANTS = 100


@single_flight(maxsize=32)
def _offer(store_path: str, process: str, ver: str) -> Offer:
    store = Store(store_path, create=False)
    log = stored(store, process)
    attributes = attribute_values(log, max_values=MAX_ATTRIBUTE_VALUES)
    vstats = variant_stats(log).head(MAX_VARIANTS)
    vs = vstats["variant"].astype(str).tolist()
    has_model = _check(store_path, process, ver, Filters().key()) is not None
    p = profile(log)
    starts = throughput_time(log, level="case")["start"].dropna()
    span = (starts.min().date().isoformat(), starts.max().date().isoformat()) if len(starts) else None
    cfg = configured(process)
    cal = working_calendar(process)
    text = cal.describe() if cal is not None else {"text": "", "text_zh": ""}
    return Offer(attributes=attributes, variants=tuple(vs), conformance=has_model,
                 variant_cases=dict(zip(vs, (int(n) for n in vstats["cases"]), strict=True)),
                 activities=tuple(sorted(a["activity"] for a in p.get("activities", []))),
                 edges=tuple(sorted(f"{e['source']} → {e['target']}" for e in p.get("edges", []))),
                 span=span, zone=str(cfg.calendar.get("timezone", "UTC")) if cfg is not None else "UTC",
                 numeric=numeric_ranges(log), calendar=cal is not None,
                 calendar_text=(str(text["text"]), str(text["text_zh"])))


def offer(store: Store, process: str) -> Offer:
    """What the filter bar offers for a process: case attributes and their values, the most frequent
    variants with their case counts, the steps and transitions, the span of case starts, whether a
    reference model exists, the process configuration's time zone and whether it has a working calendar
    (business time is offered only then)."""
    return _offer(str(store.path), process, version(store, process))


def filters_of(store: Store, search: str | None) -> Filters:
    """The URL's filters, every value checked against what the filter bar offers."""
    return parse(search, store.processes(), lambda process: offer(store, process))


def _bound(day: str | None, zone: str, days: int = 0) -> dt.datetime | None:
    """Midnight of ``day`` (+ ``days``) in ``zone``."""
    from zoneinfo import ZoneInfo

    if not day:
        return None
    return dt.datetime.fromisoformat(day).replace(tzinfo=ZoneInfo(zone)) + dt.timedelta(days=days)


def zone_of(store: Store, f: Filters) -> str:
    """The time zone the filters' dates are read in: the URL's ``tz``, else the process configuration's."""
    return f.tz or (offer(store, f.process).zone if f.process else "UTC")


def case_filter(store: Store, f: Filters) -> CaseFilter | None:
    """The public API's case filter for the dashboard's filters (None: all cases). Dates are whole
    days in the filters' time zone (:func:`zone_of`)."""
    zone = zone_of(store, f) if (f.start or f.end) else "UTC"
    lo, hi = _bound(f.start, zone), _bound(f.end, zone, days=1)
    cases = None
    if f.fit is not None and f.process is not None:
        fitting, deviating = conforming_cases(store, f.process)
        cases = fitting if f.fit == "yes" else deviating
    a, _, b = (f.df or "").partition(" → ")
    window = (lo, hi) if (lo or hi) else None
    frame = f.frame or "started"
    flt = CaseFilter(started=window if frame == "started" else None,
                     completed=window if frame == "completed" else None,
                     active=window if frame == "active" else None,
                     contained=window if frame == "contained" else None,
                     attributes={f.attr: list(f.values)} if f.attr and f.values else {},
                     variants=[f.variant] if f.variant else None, cases=cases,
                     duration_s=(f.dur_min, f.dur_max) if (f.dur_min is not None or f.dur_max is not None) else None,
                     start_steps=[f.first] if f.first else None, end_steps=[f.last] if f.last else None,
                     directly_follows=(a, b) if f.df else None, contains=list(f.has) or None,
                     ranges={f.num: (f.num_min, f.num_max)} if f.num and (
                         f.num_min is not None or f.num_max is not None) else None,
                     not_contains=list(f.not_has) or None, rework=[f.rework] if f.rework else None,
                     top_variants=f.top, case_size=(f.size_min, f.size_max) if (
                         f.size_min is not None or f.size_max is not None) else None)
    return None if flt.is_empty() else flt


def log_of(store: Store, f: Filters) -> StoredLog:
    """The process's stored log restricted to the filtered cases: what every page computes on (a
    notebook gets the same numbers from ``stored(store, process).where(case_filter)``)."""
    assert f.process is not None
    return stored(store, f.process).where(case_filter(store, f))


def _key(store: Store, f: Filters) -> tuple[Any, ...]:
    """What a cached answer depends on: the store, process, version, case filters, the time zone the
    page reads dates and periods in (:func:`zone_of`) and the time durations are measured in (``time``)."""
    assert f.process is not None
    return (str(store.path), f.process, version(store, f.process), f.key(), zone_of(store, f), f.time)


def _filters(key: tuple[Any, ...]) -> Filters:
    return replace(Filters.from_key(key[1], key[3]), time=key[5])


@single_flight(maxsize=32)
def _working_calendar(process: str) -> Calendar | None:
    cfg = configured(process)
    return cfg.working_calendar() if cfg is not None and cfg.calendar else None


def working_calendar(process: str | None) -> Calendar | None:
    """The working calendar of the process configuration's ``[calendar]`` (None without one): what
    business time is measured in, as ``flowmine perf --time business`` measures it."""
    return _working_calendar(process) if process else None


def calendar_of(key: tuple[Any, ...]) -> Calendar | None:
    """The calendar a cached answer measures durations in: None in elapsed time."""
    return working_calendar(key[1]) if key[5] == "business" else None


def calendar_text(process: str | None, lang: str) -> str | None:
    """The working calendar in one line (``Calendar.describe``) in ``lang``, None without one."""
    cal = working_calendar(process)
    if cal is None:
        return None
    text = cal.describe()
    return str(text["text_zh" if lang == "zh" else "text"])


#: Bootstrap replicates of the profile the pages read: none, since no page shows the profile's intervals
#: (the Bottlenecks page shows ``bottlenecks``' own, with every column); ranks and values do not depend on them.
PROFILE_N_BOOT = 0


@single_flight(maxsize=256)
def _profile(*key: Any) -> dict[str, Any]:
    store = Store(key[0], create=False)
    return profile(log_of(store, _filters(key)), by="month", process=key[1], n_boot=PROFILE_N_BOOT, tz=key[4],
                   calendar=calendar_of(key))


def process_profile(store: Store, f: Filters) -> dict[str, Any]:
    """``flowmine.analytics.profile`` of the filtered process (with monthly periods in the page's time
    zone, :func:`zone_of`: a case that starts at 00:38 local time on 1 October is October's; without the
    bottlenecks' intervals, :data:`PROFILE_N_BOOT`)."""
    return _profile(*_key(store, f))


@single_flight(maxsize=256)
def _card_profile(*key: Any) -> dict[str, Any]:
    if key in _profile.cache:  # type: ignore[attr-defined]  # the page's profile is there: the same numbers
        return _profile(*key)
    return profile(log_of(Store(key[0], create=False), _filters(key)), n_boot=PROFILE_N_BOOT, process=key[1],
                   calendar=calendar_of(key))


def card_profile(store: Store, f: Filters) -> dict[str, Any]:
    """:func:`process_profile`'s figures without its periods (what ``kpis`` reads), when the
    filters' pages have not asked for the whole profile: a previous period's KPI cards."""
    return _card_profile(*_key(store, f))


@single_flight(maxsize=128)
def _variants(*key: Any) -> Any:
    return variant_stats(log_of(Store(key[0], create=False), _filters(key)))


def process_variants(store: Store, f: Filters) -> Any:
    """``variant_stats`` of the filtered process (elapsed time: it takes no calendar)."""
    return _variants(*_key(store, replace(f, time=None)))


#: The metrics that measure time (they take ``calendar=``: business time when the shell asks for it).
TIME_METRICS = ("queue_time", "service_time", "sojourn_time", "throughput_time", "waiting_time")


@single_flight(maxsize=128)
def _metric(name: str, level: str, *key: Any) -> Any:
    from flowmine import analytics

    log = log_of(Store(key[0], create=False), _filters(key))
    if name in TIME_METRICS:
        return getattr(analytics, name)(log, level=level, calendar=calendar_of(key))
    return getattr(analytics, name)(log, level=level)


def metric(store: Store, f: Filters, name: str, level: str) -> Any:
    """A metric frame of the public API (``flowmine.analytics.<name>(log, level=level)``, with the
    working calendar for a time metric in business time), cached."""
    return _metric(name, level, *_key(store, f))


@single_flight(maxsize=256)
def _slowest(step: str, kind: str, *key: Any) -> Any:
    from flowmine.analytics import slowest_cases

    return slowest_cases(log_of(Store(key[0], create=False), _filters(key)), step, kind=kind, n=50,
                         calendar=calendar_of(key))


def slowest(store: Store, f: Filters, step: str, kind: str) -> Any:
    """The cases that wait longest at a bottleneck (``flowmine.analytics.slowest_cases``), cached."""
    return _slowest(step, kind, *_key(store, f))


@single_flight(maxsize=256)
def _cases(variant: str, *key: Any) -> Any:
    from flowmine import analytics

    log = log_of(Store(key[0], create=False), _filters(key)).where(CaseFilter(variants=[variant]))
    return analytics.throughput_time(log, level="case", calendar=calendar_of(key))


def variant_cases(store: Store, f: Filters, variant: str) -> Any:
    """Cases of one variant with their throughput time, slowest first (the drill-down)."""
    frame = _cases(variant, *_key(store, f))
    return frame.sort_values("throughput_s", ascending=False)


def case_events(store: Store, process: str, case: str) -> Any:
    """The events of one case in the canonical order, with ``running`` and ``shown_end`` for the
    timeline: ``flowmine.analytics.case_timeline(stored(store, process), case)``."""
    return case_timeline(stored(store, process), case)


@single_flight(maxsize=256)
def _cost(*key: Any) -> dict[str, Any]:
    return cost_per_case(log_of(Store(key[0], create=False), _filters(key)))


def case_cost(store: Store, f: Filters) -> dict[str, Any]:
    """``flowmine.analytics.cost_per_case`` of the filtered process: the monitor KPI's definition, so
    the card shows the number its target is set for."""
    return _cost(*_key(store, replace(f, time=None)))  # no duration in it


@single_flight(maxsize=32)
def _layout(store_path: str, process: str, ver: str) -> dict[str, tuple[float, float]]:
    from flowmine.discovery import map_layout

    return map_layout(stored(Store(store_path, create=False), process))


@single_flight(maxsize=256)
def _map(activities: float, *key: Any) -> Any:
    from flowmine.discovery import process_map

    log = log_of(Store(key[0], create=False), _filters(key))
    return process_map(log, activities=activities, paths=1.0, layout=_layout(*key[:3]), calendar=calendar_of(key))


def process_map_of(store: Store, f: Filters, activities: float, paths: float) -> Any:
    """The abstracted process map on the full log's fixed layout (nodes stay put when sliders move);
    the log is read once per activity share, the path slider only selects edges."""
    return _map(activities, *_key(store, f)).with_paths(paths)


def _run_check(key: tuple[Any, ...], **options: Any) -> Any:
    """``check`` of the filters in ``key`` (None: no reference model for this process)."""
    from flowmine.conformance import check
    from flowmine.errors import FlowmineError

    store = Store(key[0], create=False)
    flt = case_filter(store, _filters(key)) if any(key[3]) else None
    try:
        return check(store, key[1], filters=flt, **options) if flt is not None else check(store, key[1], **options)
    except FlowmineError:  # no reference model for this process
        return None


@single_flight(maxsize=64)
def _check(*key: Any) -> dict[str, Any] | None:
    """``check``'s report as a dict (the ids behind each number are its ``case_ids``, a hundred each: a
    filtered report's full id lists are not kept, they took gigabytes at ten million events)."""
    report = _run_check(key) if any(key[3]) else whole_check(*key[:3])
    return None if report is None else report.to_dict()


@single_flight(maxsize=8)
def _conforming(store_path: str, process: str, ver: str) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    report = whole_check(store_path, process, ver)
    if report is None:
        return None
    fitting, deviating = report.conforming_cases()
    return tuple(fitting), tuple(deviating)  # immutable: a filter's digest of them is remembered (analytics)


@single_flight(maxsize=8)
def whole_check(store_path: str, process: str, ver: str) -> Any:
    """``check``'s report on every case of a process version (None without a reference model): the
    unfiltered conformance of every page, and the case page's deviations and broken rules per case."""
    return _run_check((store_path, process, ver, Filters().key()))


@single_flight(maxsize=256)
def _card_check(*key: Any) -> dict[str, float | None] | None:
    """The fitness and rule violation rate of ``check`` (no precision, no impact: what a KPI card needs)."""
    if key in _check.cache:  # type: ignore[attr-defined]  # the page's full check is there: the same numbers
        full = _check(*key)
        return None if full is None else {"cases": full["cases"], "fitness": full["fitness"],
                                          "rule_violation_rate": full["rule_violation_rate"]}
    report = _run_check(key, with_precision=False, with_impact=False)
    return None if report is None else {"cases": report.cases, "fitness": report.fitness,
                                        "rule_violation_rate": report.rule_violation_rate}


def conformance(store: Store, process: str, f: Filters | None = None) -> dict[str, Any] | None:
    """``flowmine check``'s result for a process (the filtered cases when ``f`` filters), or None
    without a reference model."""
    return _check(*_key(store, replace(f or Filters(), process=process, time=None)))  # no duration in it


def card_conformance(store: Store, process: str, f: Filters) -> dict[str, float | None] | None:
    """``cases``, ``fitness`` and ``rule_violation_rate`` of :func:`conformance` for ``f``, computed without
    what only the conformance page shows (precision, impact) when the page has not asked for it."""
    return _card_check(*_key(store, replace(f, process=process, time=None)))


def conforming_cases(store: Store, process: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Ids of the conforming cases (fitness 1 against the reference model) and of the deviating ones."""
    checked = _conforming(str(store.path), process, version(store, process))
    return ((), ()) if checked is None else checked


def labeller(process: str | None, lang: str) -> Callable[[str], str]:
    """How activity names are shown: in Chinese the process configuration's labels (``[activities]``
    ``zh``), for a step or a transition ``A → B``; names it does not know, and English, unchanged.
    Only the display changes: values sent back (filters, clicks) stay the canonical names."""
    cfg = configured(process) if process and lang == "zh" else None
    if cfg is None:
        return str
    sep = " → "
    return lambda name: sep.join(cfg.label(part, "zh") for part in str(name).split(sep))


def definition_problems() -> list[str]:
    """Every problem of the process definitions, one line each (file, entry, expected, got): the shell
    shows them while the pages go on with the valid processes."""
    return [p.line for p in configured().problems]


def targets(process: str, time: str | None = None) -> dict[str, tuple[str, float]]:
    """KPI targets of the process definition (its ``process.toml``), by metric: the direction
    and the target in the unit of the KPI's values (``flowmine.monitor.target_value``: seconds for a
    duration, business time for ``wd``). A duration target is kept only where it is in the time the page
    shows (``time``: ``business`` keeps the ``wd`` ones, elapsed the others), so a value is never judged
    against a target in the other time."""
    cfg = configured(process)
    if cfg is None:
        return {}
    return {k.metric: (k.direction, target_value(k, cfg)) for k in cfg.kpis
            if k.metric not in ("throughput_time", "waiting_time")
            or (isinstance(k.target, str) and k.target.strip().endswith("wd")) == (time == "business")}


def kpis(p: dict[str, Any], case_cost: dict[str, Any] | None = None) -> dict[str, Any]:
    """KPI card values from a profile (the numbers ``flowmine perf --json`` gives) and the cost per case
    (``flowmine.analytics.cost_per_case``, the monitor KPI's definition)."""
    acts = p.get("activities", [])
    cases = p.get("cases", 0)
    return {
        "cases": cases,
        "events": p.get("events", 0),
        "variants": p.get("variants", 0),
        "tt_median": p["throughput_time_s"]["median"] if cases else None,
        "tt_p90": p["throughput_time_s"]["p90"] if cases else None,
        "cost_case": case_cost["value"] if case_cost and cases else None,
        "currency": case_cost["currency"] if case_cost else None,
        "rework_steps": sum(1 for a in acts if (a.get("rework_rate") or 0) > 0),
        "steps": len(acts),
        "top_bottleneck": p["bottlenecks"][0]["name"] if p.get("bottlenecks") else None,
    }


@single_flight(maxsize=32)
def _arrivals(store_path: str, process: str, ver: str, by: str) -> Any:
    from flowmine.analytics import flow

    return flow(stored(Store(store_path, create=False), process), by=by)[["period", "arrivals"]]


def case_starts(store: Store, process: str, by: str) -> Any:
    """Cases started per period of the whole process (``flowmine.analytics.flow``'s ``arrivals``; periods in
    UTC): the time frame's histogram."""
    return _arrivals(str(store.path), process, version(store, process), by)


#: Influencing factors and step cards are the dashboard's heaviest questions (seconds at a million events):
#: one at a time, so that they never take both cores from the pages' own quick answers. A card is about
#: 11 kB and a step's factors 7 kB, and each costs seconds: a thousand of each are kept (with 32, the
#: unfiltered cards, 15 s each at a million events, were pushed out by a few filtered ones and computed again).
@single_flight(maxsize=1024)
def _step_card(step: str, lang: str, notes: int, *key: Any) -> dict[str, Any] | None:
    """The step card (``flowmine.explain.step_card``) of the filtered process, computed in the worker
    process when the dashboard is served (``flowmine.dashboard._heavy``); ``notes`` (the annotation
    file's modification time) only keys the cache."""
    return _heavy.run(card_work, step, lang, *key)


def card_work(step: str, lang: str, *key: Any) -> dict[str, Any]:
    """The card itself, on the check every page shares when no filter is set (where it runs, that
    process's own cached check)."""
    from flowmine.explain import step_card

    store = Store(key[0], create=False)
    version(store, key[1])  # held in memory in this process too
    f = _filters(key)
    report = whole_check(*key[:3]) if not any(key[3]) else _card_report(*key)
    return step_card(log_of(store, f), step, report=report, lang=lang).to_dict()


#: The filtered checks the step cards read, the last few filters (a card of each step of one filter follows
#: the first: each card recomputed the check and its per-case deviation index, 0.1-0.3 s at a million events).
#: Few, as a filtered report holds every case's deviations (hundreds of MB at ten million events).
@single_flight(maxsize=2)
def _card_report(*key: Any) -> Any:
    """``check`` of the filters in ``key`` without precision and impact: what a step card reads."""
    return _run_check(key, with_precision=False, with_impact=False)


def worker_warm(store_path: str, process: str, ver: str) -> None:
    """The worker's start-up work: the version held in memory and its unfiltered check."""
    version(Store(store_path, create=False), process)
    whole_check(store_path, process, ver)


def step_card_of(store: Store, f: Filters, step: str) -> dict[str, Any] | None:
    """The step card of ``step`` under the filters (None: the filtered log has no instance of it); in
    elapsed time whatever the shell's switch (``flowmine.explain.step_card`` takes no calendar; the card
    says so in business time)."""
    from flowmine.explain import annotations_file

    p = process_profile(store, f)
    if step not in {a["activity"] for a in p.get("activities", [])}:
        return None
    try:
        notes = annotations_file(store, f.process or "").stat().st_mtime_ns
    except OSError:
        notes = 0
    return _step_card(step, f.lang, notes, *_key(store, replace(f, time=None)))  # the card: elapsed time


@single_flight(maxsize=1024)
def _step_factors(step: str, *key: Any) -> list[dict[str, Any]]:
    """The findings of the step's waiting (sojourn) time: what the map's step detail lists."""
    return _heavy.run(factors_work, step, *key)


def factors_work(step: str, *key: Any) -> list[dict[str, Any]]:
    from flowmine.errors import OptionError
    from flowmine.explain import explain

    store = Store(key[0], create=False)
    version(store, key[1])
    try:
        return list(explain(log_of(store, _filters(key)), step=step, interactions=False, decompose=False,
                            n_boot=500).to_dict()["factors"])
    except OptionError:  # a case's first step: no waiting or sojourn time to explain
        return []


def step_factors(store: Store, f: Filters, step: str) -> list[dict[str, Any]]:
    """The step's influencing factors under the filters (those of its cached card when there is one), in
    elapsed time as the card's."""
    key = _key(store, replace(f, time=None))
    for cached, value in list(getattr(_step_card, "cache", {}).items()):
        if cached[0] == step and cached[3:] == key and value is not None:
            return list(value["environment"]["factors"])
    return _step_factors(step, *key)
