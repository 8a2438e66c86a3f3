"""The filter options every analysing command shares: declared once, parsed once, applied once.

:func:`filter_options` adds every option of :data:`OPTIONS` to a command's signature and hands the
command one parsed :class:`Filters` (``filters``); :meth:`Filters.log` applies them to a stored
process. Adding a filter is one entry in :data:`OPTIONS` and one line in :func:`parse`.

Case filters keep whole cases (:class:`~flowmine.analytics.CaseFilter`); event filters
(``--keep-activities``, ``--drop-activities``, ``--trim``, ``--lifecycle``, ``--between``) then keep events of the
kept cases (:class:`~flowmine.analytics.EventFilter`, a new log). ``--conforming``/``--deviating``
need a conformance check, which sits above analytics: the check runs here and its case ids become
a case-id filter, the same one ``--cases FILE`` gives. A name the log lacks (an activity, a variant,
a column) is one ``error:`` line naming the option and the closest matches, exit 2; so is a filter
that keeps no case.
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from flowmine.cli import fail

_ARROW = re.compile(r"\s*(?:->|→)\s*")
_EVENTUALLY = re.compile(r"\s*(?:->>|→→|⇝)\s*")
_RANGE = re.compile(r"^\s*([^<>=]+?)\s*(>=|<=)\s*(\S+)\s*$")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$")
_UNIT = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}

_P = "Filters"  # the help panel the options are listed in


def _opt(kind: Any, help: str, *names: str) -> Any:
    return Annotated[kind, typer.Option(*names, help=help, rich_help_panel=_P)]


#: Every filter option: parameter name -> (annotation, default). Order is the help's order.
OPTIONS: dict[str, Any] = {
    "started": _opt(str | None, "Cases started in FROM,TO (ISO dates; either may be empty; [FROM, TO))."),
    "completed": _opt(str | None, "Cases completed in FROM,TO."),
    "active": _opt(str | None, "Cases active in FROM,TO (intersecting it)."),
    "contained": _opt(str | None, "Cases started and completed inside FROM,TO."),
    "attribute": _opt(list[str] | None, "COLUMN=V1,V2: cases with such a value; 'COLUMN>=5000' or 'COLUMN<=9': a "
                      "numeric range (repeatable)."),
    "variant": _opt(list[str] | None, "Keep this variant ('A -> B -> C' or A → B → C; repeatable)."),
    "not_variant": _opt(list[str] | None, "Drop this variant (repeatable)."),
    "top_variants": _opt(int | None, "Keep the cases of the K most frequent variants (pm4py's ties)."),
    "variant_coverage": _opt(float | None, "Keep the most frequent variants covering this share of cases (0-1]."),
    "variant_min_share": _opt(float | None, "Keep the variants each covering at least this share of cases."),
    "activity": _opt(list[str] | None, "Cases executing this activity (repeatable: all of them)."),
    "not_activity": _opt(list[str] | None, "Cases executing none of these activities (repeatable)."),
    "follows": _opt(list[str] | None, "'A -> B': A directly followed by B; 'A ->> B': eventually (repeatable)."),
    "edge_duration": _opt(str | None, "With --follows 'A -> B': that edge lasts MIN,MAX (seconds, or 2h, 3d)."),
    "starts_with": _opt(list[str] | None, "Cases whose first activity is this (repeatable: any).",
                        "--starts-with", "--start-step"),
    "ends_with": _opt(list[str] | None, "Cases whose last activity is this (repeatable: any).",
                      "--ends-with", "--end-step"),
    "case_size": _opt(str | None, "Cases with MIN,MAX events (either may be empty)."),
    "duration": _opt(str | None, "Cases whose throughput time is MIN,MAX (seconds, or 2h, 3d, 1w)."),
    "min_duration": _opt(float | None, "Minimum throughput time, seconds (as --duration MIN,)."),
    "max_duration": _opt(float | None, "Maximum throughput time, seconds (as --duration ,MAX)."),
    "rework": _opt(list[str] | None, "Cases executing this activity twice or more (repeatable)."),
    "conforming": _opt(bool, "Only the cases the reference model replays fully (runs the conformance check).",
                       "--conforming"),
    "deviating": _opt(bool, "Only the cases that deviate from the reference model.", "--deviating"),
    "cases": _opt(Path | None, "Only the case ids listed in FILE (one per line).", "--cases"),
    "keep_activities": _opt(list[str] | None, "Events: keep only these activities (repeatable; A,B too)."),
    "drop_activities": _opt(list[str] | None, "Events: drop these activities (repeatable; A,B too)."),
    "trim": _opt(str | None, "Events: keep those completed in FROM,TO."),
    "lifecycle": _opt(list[str] | None, "Events: keep these lifecycle:transition values (a log with that column)."),
    "between": _opt(str | None, "Events: 'A -> B' keeps each case from its first A to its last B after it "
                    "(* for the case's first or last event)."),
}
_DEFAULTS = {name: False if name in ("conforming", "deviating") else None for name in OPTIONS}

#: The command-line option of each CaseFilter / EventFilter field, for error messages.
FLAGS = {"started": "started", "completed": "completed", "active": "active", "contained": "contained",
         "attributes": "attribute", "ranges": "attribute", "variants": "variant", "not_variants": "not-variant",
         "top_variants": "top-variants", "variant_coverage": "variant-coverage",
         "variant_min_share": "variant-min-share", "contains": "activity", "not_contains": "not-activity",
         "follows": "follows", "directly_follows": "follows", "directly_follows_s": "edge-duration",
         "start_steps": "starts-with", "end_steps": "ends-with", "case_size": "case-size", "duration_s": "duration",
         "rework": "rework", "cases": "cases", "activities": "keep-activities",
         "drop_activities": "drop-activities", "trim": "trim", "lifecycle": "lifecycle",
         "between": "between"}


@dataclass(frozen=True)
class Filters:
    """The parsed filter options of one command: its case filter, event filter and conformance choice."""

    case: Any  # CaseFilter
    events: Any  # EventFilter
    fit: str | None = None  # "yes": conforming cases only, "no": deviating ones

    def is_empty(self) -> bool:
        return self.case.is_empty() and self.events.is_empty() and self.fit is None

    def case_filter(self, store: Any, process: str, definition: str | None = None) -> Any:
        """The case filter, with the conforming or deviating case ids when asked (the check runs now)."""
        if self.fit is None:
            return self.case
        from dataclasses import replace

        from flowmine.conformance import check

        report = check(store, process, with_precision=False, with_impact=False, definition=definition)
        fitting, deviating = report.conforming_cases()
        ids = set(fitting if self.fit == "yes" else deviating)
        if self.case.cases is not None:
            ids &= {str(c) for c in self.case.cases}
        return replace(self.case, cases=sorted(ids))

    def checked(self, store: Any, process: str, definition: str | None = None) -> Any:
        """The case filter (with the conforming or deviating ids), its names checked against the stored
        process and the cases it keeps counted: an unknown name or no case kept is one line, exit 2."""
        from flowmine.analytics import check_filter, stored

        with _named():
            check_filter(stored(store, process), self.case)  # before a --conforming filter's check runs
        case = self.case_filter(store, process, definition)
        if self.events.is_empty():
            self._nonempty(stored(store, process).where(case))
        return case

    def log(self, store: Any, process: str, definition: str | None = None) -> Any:
        """The stored process with these filters: a filtered stored log, or (with event filters) the kept
        events as a new log. An unknown name or a filter that keeps no case: one line, exit 2."""
        from flowmine.analytics import filter_events, stored

        if self.is_empty():
            return stored(store, process)
        log = stored(store, process).where(self.checked(store, process, definition))
        if not self.events.is_empty():
            with _named():
                log = filter_events(log, self.events)
            self._nonempty(log)
        return log

    def _nonempty(self, log: Any) -> None:
        from flowmine.analytics import count_cases

        if not self.is_empty() and count_cases(log) == 0:
            said = {**self.case.conditions(), **self.events.conditions()}
            if "cases" in said:  # a list of ids is said by its length
                said["cases"] = f"{len(said['cases']):,} ids"
            if self.fit is not None:
                said["conformance"] = "conforming" if self.fit == "yes" else "deviating"
            fail(f"the filter keeps no case ({'; '.join(f'{k}={v}' for k, v in said.items())}) / 筛选后没有案例")


class _named:
    """Turn an analytics filter error into one line naming the command-line option, exit 2."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, exc: BaseException | None, tb: Any) -> None:
        from flowmine.errors import AnalyticsError

        if isinstance(exc, AnalyticsError) and getattr(exc, "function", None) in ("CaseFilter", "EventFilter"):
            flag = FLAGS.get(str(exc.parameter).split("[")[0], str(exc.parameter))
            text = re.sub(r"^filter \S+?: ", "", str(exc))
            fail(f"--{flag}: {text}")


def window(value: str | None, option: str) -> tuple[str | None, str | None] | None:
    if value is None:
        return None
    if "," not in value:
        fail(f"--{option} {value!r}: expected FROM,TO (ISO dates; either may be empty)")
    lo, hi = (v.strip() or None for v in value.split(",", 1))
    return lo, hi


def _number(text: str, option: str, seconds: bool = False) -> float:
    if seconds:
        m = _DURATION.match(text)
        if m:
            return float(m.group(1)) * _UNIT[m.group(2)]
        fail(f"--{option} {text!r}: expected seconds or a duration like 90m, 2h, 3d, 1w")
    try:
        return float(text)
    except ValueError:
        fail(f"--{option} {text!r}: expected a number")
        raise  # not reached: fail exits


def bounds(value: str | None, option: str, seconds: bool = False) -> tuple[float | None, float | None] | None:
    """``MIN,MAX`` (either may be empty) as numbers; one line and exit 2 otherwise."""
    if value is None:
        return None
    if "," not in value:
        fail(f"--{option} {value!r}: expected MIN,MAX (either may be empty)")
    lo, hi = (v.strip() for v in value.split(",", 1))
    return (_number(lo, option, seconds) if lo else None, _number(hi, option, seconds) if hi else None)


def attributes(values: list[str]) -> tuple[dict[str, list[str]], dict[str, tuple[float | None, float | None]]]:
    """``COLUMN=V1,V2`` values and ``COLUMN>=X`` / ``COLUMN<=Y`` ranges (both bounds of one column merge)."""
    out: dict[str, list[str]] = {}
    ranges: dict[str, tuple[float | None, float | None]] = {}
    for item in values:
        m = _RANGE.match(item)
        if m:
            name, op, text = m.groups()
            lo, hi = ranges.get(name, (None, None))
            x = _number(text, "attribute")
            ranges[name] = (x, hi) if op == ">=" else (lo, x)
            continue
        name, sep, vals = item.partition("=")
        if not sep or not name:
            fail(f"--attribute {item!r}: expected COLUMN=VALUE[,VALUE...], 'COLUMN>=NUMBER' or 'COLUMN<=NUMBER'")
        out.setdefault(name, []).extend(v for v in vals.split(","))
    return out, ranges


def pair(value: str | None, option: str) -> tuple[str, str] | None:
    """``'A -> B'`` (or ``A → B``) as ``("A", "B")``; one line and exit 2 otherwise."""
    if value is None:
        return None
    parts = _ARROW.split(value.strip())
    if len(parts) != 2 or not all(parts):
        fail(f"--{option} {value!r}: expected 'A -> B'")
    return parts[0], parts[1]


def follows(values: list[str]) -> tuple[tuple[str, str] | None, tuple[str, str] | None]:
    """The directly-follows pair (``A -> B``) and the eventually-follows pair (``A ->> B``), at most one each."""
    direct: tuple[str, str] | None = None
    eventual: tuple[str, str] | None = None
    for value in values:
        parts = _EVENTUALLY.split(value.strip())
        if len(parts) == 2 and all(parts):
            if eventual is not None:
                fail(f"--follows {value!r}: give at most one 'A ->> B'")
            eventual = (parts[0], parts[1])
            continue
        one = pair(value, "follows")
        if direct is not None:
            fail(f"--follows {value!r}: give at most one 'A -> B'")
        direct = one
    return direct, eventual


def _between(value: str | None) -> tuple[str | None, str | None] | None:
    """``--between 'A -> B'``, ``'* -> B'`` or ``'A -> *'`` as the EventFilter's pair (``*``: None)."""
    got = pair(value, "between")
    if got is None:
        return None
    a, b = (None if x == "*" else x for x in got)
    if a is None and b is None:
        fail(f"--between {value!r}: name an activity on at least one side")
    return a, b


def variant(value: str) -> str:
    """A variant as the analytics spell it: activities joined by ``" → "`` (``->`` is read as ``→``)."""
    return " → ".join(p for p in _ARROW.split(value.strip()))


def _listed(values: list[str] | None) -> list[str] | None:
    """Repeatable names, each possibly ``A,B``; None when not given."""
    if values is None:
        return None
    return [v.strip() for item in values for v in item.split(",") if v.strip()]


def case_ids(path: Path | None) -> list[str] | None:
    if path is None:
        return None
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"--cases {path}: cannot be read ({exc})")
        raise  # not reached
    ids = [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
    if not ids:
        fail(f"--cases {path}: no case id in it (one per line)")
    return ids


def parse(**v: Any) -> Filters:
    """The :class:`Filters` of the options' values (the parameter names of :data:`OPTIONS`)."""
    from flowmine.analytics import CaseFilter, EventFilter

    if v["conforming"] and v["deviating"]:
        fail("--conforming and --deviating exclude each other: give one")
    duration = bounds(v["duration"], "duration", seconds=True)
    if v["min_duration"] is not None or v["max_duration"] is not None:
        lo, hi = duration or (None, None)
        duration = (v["min_duration"] if v["min_duration"] is not None else lo,
                    v["max_duration"] if v["max_duration"] is not None else hi)
    size = bounds(v["case_size"], "case-size")
    direct, eventual = follows(v["follows"] or [])
    values, ranges = attributes(v["attribute"] or [])
    with _named():
        case = CaseFilter(
            started=window(v["started"], "started"), completed=window(v["completed"], "completed"),
            active=window(v["active"], "active"), contained=window(v["contained"], "contained"),
            attributes=values, ranges=ranges or None,
            variants=[variant(x) for x in v["variant"]] if v["variant"] else None,
            not_variants=[variant(x) for x in v["not_variant"]] if v["not_variant"] else None,
            top_variants=v["top_variants"], variant_coverage=v["variant_coverage"],
            variant_min_share=v["variant_min_share"], contains=_listed(v["activity"]),
            not_contains=_listed(v["not_activity"]), follows=eventual, directly_follows=direct,
            directly_follows_s=bounds(v["edge_duration"], "edge-duration", seconds=True),
            start_steps=v["starts_with"] or None, end_steps=v["ends_with"] or None,
            case_size=(None if size is None else tuple(None if x is None else int(x) for x in size)),  # type: ignore[arg-type]
            duration_s=duration, rework=_listed(v["rework"]), cases=case_ids(v["cases"]))
        events = EventFilter(activities=_listed(v["keep_activities"]), drop_activities=_listed(v["drop_activities"]),
                             trim=window(v["trim"], "trim"), lifecycle=_listed(v["lifecycle"]),
                             between=_between(v["between"]))
    fit = "yes" if v["conforming"] else "no" if v["deviating"] else None
    return Filters(case, events, fit)


def filter_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add every filter option to ``command``'s signature; it receives them parsed as ``filters``."""
    sig = inspect.signature(command, eval_str=True)
    own = [p for p in sig.parameters.values() if p.name != "filters"]
    extra = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=_DEFAULTS[name], annotation=kind)
             for name, kind in OPTIONS.items()]

    @functools.wraps(command)
    def wrapper(**kwargs: Any) -> Any:
        given = {name: kwargs.pop(name, _DEFAULTS[name]) for name in OPTIONS}
        return command(**kwargs, filters=parse(**given))

    params = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own] + extra
    wrapper.__signature__ = sig.replace(parameters=params)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in params}
    del wrapper.__wrapped__  # typer reads the signature above, not the command's own
    return wrapper
