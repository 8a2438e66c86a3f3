"""Global filters as they live in the URL, checked against what the dashboard offered.

Every value that arrives from the browser (URL query, dropdown, date picker) is validated here:
a process must be one the store holds, dates must be ISO dates within the data's years, an attribute
and its values, a variant, a step, a transition and the conformance choice must be among those the
filter bar offered for the process, the language and the time zone among the offered ones. Anything
else (a forged value such as ``../../etc/passwd``, or ``to=9999-12-31``) is refused, never used.

URL keys: ``process``, ``from``, ``to`` (cases started between, ISO dates, inclusive, in the time
zone ``tz``; ``frame`` says how a case meets those days, pm4py's time-range modes: ``started`` (the
default), ``completed``, ``active`` (running at some moment of them) or ``contained`` (started and
completed within them)), ``attr`` and ``val`` (repeatable: cases with one of these values of a case attribute),
``variant`` (activities joined by " → "), ``fit`` (``yes``: conforming cases only, ``no``: deviating
cases only), ``has`` (repeatable: cases containing each of these steps), ``df`` (``A → B``: cases
where B directly follows A), ``dur_min`` / ``dur_max`` (case duration in seconds, inclusive),
``start`` / ``end`` (the case's first / last step), ``num`` with ``num_min`` / ``num_max`` (a numeric case
attribute within a range, inclusive, inside its values' range), ``not`` (repeatable: cases containing
none of these steps), ``rework`` (cases executing this step twice or more), ``top`` (the cases of the
K most frequent variants of all the process's cases, K up to the number of variants; the other
filters intersect with them, as within one ``CaseFilter``), ``size_min`` / ``size_max`` (events per
case, inclusive), ``tz`` (IANA zone; default: the process's), ``time`` (``business``: every duration in
business time of the process configuration's working calendar, offered only when it has a ``[calendar]``;
absent or ``elapsed``: elapsed time), ``lang``; page settings: ``acts``, ``paths``, ``overlay``, ``stat``
(the process map's).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any
from urllib.parse import parse_qs, urlencode

from flowmine.dashboard._i18n import LANGS
from flowmine.errors import OptionError

FIT = ("yes", "no")
#: How a case meets the time frame (``CaseFilter`` fields of the same names); None in the URL: started.
FRAMES = ("started", "completed", "active", "contained")
#: How durations are measured: elapsed (the default, None in the URL) or business time of the process calendar.
TIMES = ("elapsed", "business")
#: URL keys of page settings (``Filters.view``): the process map's activity and path sliders, overlay and
#: statistic. Shared links restore them; they are not case filters (no cached number depends on them).
VIEW_KEYS = ("acts", "paths", "overlay", "stat", "card")
#: The longest value of a page setting; the step card's ``card`` names a step (steps are longer).
VIEW_MAX = {"card": 200}
SEP = " → "
#: Time zones offered besides UTC and the process's own.
ZONES = ("UTC", "Asia/Shanghai", "Europe/London", "Europe/Berlin", "America/New_York")
#: Dates outside these years are refused even without a data span (``9999-12-31`` breaks date arithmetic).
YEARS = (1900, 2199)
#: The longest case duration a filter accepts, in seconds (about 300 years).
MAX_DURATION_S = 1e10
#: The most events per case a size filter names.
MAX_CASE_SIZE = 1_000_000


@dataclass(frozen=True)
class Offer:
    """What the filter bar offers for one process."""

    attributes: Mapping[str, Sequence[str]] = field(default_factory=dict)  # case attribute → values
    variants: Sequence[str] = ()
    conformance: bool = False  # whether a reference model exists (the conforming filter is offered)
    variant_cases: Mapping[str, int] = field(default_factory=dict)  # variant → its cases (all cases)
    activities: Sequence[str] = ()  # the steps (for has / start / end)
    edges: Sequence[str] = ()  # the transitions "A → B" that occur (for df)
    span: tuple[str, str] | None = None  # ISO dates of the first and the last case start
    zone: str = "UTC"  # the process configuration's time zone
    numeric: Mapping[str, tuple[float, float]] = field(default_factory=dict)  # numeric attribute → (min, max)
    calendar: bool = False  # whether the process configuration has a working calendar (business time offered)
    calendar_text: tuple[str, str] = ("", "")  # that calendar in one line, English and Chinese

    def date_bounds(self) -> tuple[str, str]:
        """The dates a filter may name: the whole years of the data (any year in 1900-2199 without data)."""
        lo, hi = (int(self.span[0][:4]), int(self.span[1][:4])) if self.span else YEARS
        return f"{lo:04d}-01-01", f"{hi:04d}-12-31"

    def zones(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((self.zone, *ZONES)))


NO_OFFER = Offer()


@dataclass(frozen=True)
class Filters:
    process: str | None = None
    start: str | None = None  # ISO date: cases started on or after
    end: str | None = None  # ISO date: cases started on or before
    attr: str | None = None  # a case attribute ...
    values: tuple[str, ...] = ()  # ... and the values kept (none: no attribute filter)
    variant: str | None = None
    fit: str | None = None  # "yes" / "no"
    lang: str = "en"
    refused: tuple[str, ...] = ()
    has: tuple[str, ...] = ()  # steps every kept case contains
    df: str | None = None  # "A → B": B directly after A
    dur_min: float | None = None  # case duration, seconds
    dur_max: float | None = None
    first: str | None = None  # the case's first step (URL key start)
    last: str | None = None  # the case's last step (URL key end)
    tz: str | None = None  # the zone dates are read in (None: the process's)
    num: str | None = None  # a numeric case attribute ...
    num_min: float | None = None  # ... and its range (inclusive)
    num_max: float | None = None
    unknown_process: bool = False  # the URL named a process the store does not hold
    view: tuple[tuple[str, str], ...] = ()  # a page's own settings (VIEW_KEYS), not a case filter
    not_has: tuple[str, ...] = ()  # steps no kept case contains (URL key not)
    rework: str | None = None  # a step every kept case executes twice or more
    top: int | None = None  # the cases of the K most frequent variants
    size_min: int | None = None  # events per case (inclusive)
    size_max: int | None = None
    frame: str | None = None  # how a case meets from/to (FRAMES; None: started)
    time: str | None = None  # "business": durations in business time of the process calendar (None: elapsed)

    def setting(self, key: str, allowed: Sequence[str], default: str) -> str:
        """A page setting from the URL (``view``) if it is one of ``allowed``, else ``default``."""
        value = dict(self.view).get(key, default)
        return value if value in allowed else default

    def query(self) -> str:
        items: list[tuple[str, str]] = [(k, v) for k, v in (
            ("process", self.process), ("from", self.start), ("to", self.end), ("frame", self.frame)) if v]
        if self.attr:  # an attribute chosen before its values is kept (the value list is offered for it)
            items += [("attr", self.attr)] + [("val", v) for v in self.values]
        items += [(k, v) for k, v in (("variant", self.variant), ("fit", self.fit)) if v]
        items += [("has", v) for v in self.has]
        items += [(k, v) for k, v in (("df", self.df), ("dur_min", _num(self.dur_min)),
                                      ("dur_max", _num(self.dur_max)), ("start", self.first),
                                      ("end", self.last)) if v]
        if self.num:
            items += [(k, v) for k, v in (("num", self.num), ("num_min", _num(self.num_min)),
                                          ("num_max", _num(self.num_max))) if v]
        items += [("not", v) for v in self.not_has]
        items += [(k, v) for k, v in (("rework", self.rework), ("top", _num(self.top)),
                                      ("size_min", _num(self.size_min)), ("size_max", _num(self.size_max))) if v]
        items += [(k, v) for k, v in (("tz", self.tz), ("time", self.time), ("lang", self.lang)) if v]
        items += list(self.view)
        return "?" + urlencode(items)

    def key(self) -> tuple[Any, ...]:
        """The case-filter part (what a cached result depends on besides the process and version)."""
        return (self.start, self.end, self.attr if self.values else None, self.values, self.variant, self.fit,
                self.has, self.df, self.dur_min, self.dur_max, self.first, self.last,
                self.tz if (self.start or self.end) else None,
                self.num if (self.num_min is not None or self.num_max is not None) else None, self.num_min,
                self.num_max, self.not_has, self.rework, self.top, self.size_min, self.size_max,
                self.frame if (self.start or self.end) else None)

    @classmethod
    def from_key(cls, process: str | None, key: Sequence[Any]) -> Filters:
        """The filters a :meth:`key` was made of (the language aside)."""
        names = ("start", "end", "attr", "values", "variant", "fit", "has", "df", "dur_min", "dur_max",
                 "first", "last", "tz", "num", "num_min", "num_max", "not_has", "rework", "top", "size_min",
                 "size_max", "frame")
        return cls(process=process, **dict(zip(names, key, strict=True)))

    @property
    def filtered(self) -> bool:
        return any(v is not None and v != () for v in self.key())

    def cleared(self) -> Filters:
        """The same process, language and zone without any case filter ("clear all")."""
        return Filters(process=self.process, lang=self.lang, tz=self.tz, view=self.view, time=self.time)

    def active(self) -> list[tuple[str, str, Filters]]:
        """The active filters, each as (URL key, value shown, the filters without it): the removable chips."""
        out: list[tuple[str, str, Filters]] = []
        if self.start or self.end:
            out.append(("from", f"{self.start or '…'} – {self.end or '…'}",
                        replace(self, start=None, end=None, frame=None)))
        if self.attr and self.values:
            out.append(("attr", f"{self.attr.removeprefix('case:')} = {', '.join(self.values)}",
                        replace(self, attr=None, values=())))
        out += [(k, str(v), replace(self, **{n: None})) for k, n, v in (  # type: ignore[arg-type]
            ("variant", "variant", self.variant), ("fit", "fit", self.fit), ("df", "df", self.df),
            ("start", "first", self.first), ("end", "last", self.last)) if v]
        out += [("has", h, replace(self, has=tuple(x for x in self.has if x != h))) for h in self.has]
        out += [("not", h, replace(self, not_has=tuple(x for x in self.not_has if x != h))) for h in self.not_has]
        out += [(k, str(v), replace(self, **{n: None})) for k, n, v in (  # type: ignore[arg-type]
            ("rework", "rework", self.rework), ("top", "top", self.top)) if v]
        if self.size_min is not None or self.size_max is not None:
            out.append(("size", f"{_num(self.size_min) or '…'} – {_num(self.size_max) or '…'}",
                        replace(self, size_min=None, size_max=None)))
        if self.num and (self.num_min is not None or self.num_max is not None):
            out.append(("num", f"{self.num.removeprefix('case:')} {_num(self.num_min) or '…'} – "
                               f"{_num(self.num_max) or '…'}", replace(self, num=None, num_min=None, num_max=None)))
        if self.dur_min is not None or self.dur_max is not None:
            out.append(("dur", f"{_num(self.dur_min) or '…'} – {_num(self.dur_max) or '…'} s",
                        replace(self, dur_min=None, dur_max=None)))
        return out


def _num(value: float | None) -> str | None:
    return None if value is None else (str(int(value)) if float(value).is_integer() else repr(float(value)))


def _date(value: Any, off: Offer = NO_OFFER) -> str | None:
    if not value:
        return None
    if not isinstance(value, str):
        raise OptionError(f"date {value!r} is not an ISO date")
    try:
        day = dt.date.fromisoformat(value[:10]).isoformat()
    except ValueError:
        raise OptionError(f"date {value!r} is not an ISO date") from None
    lo, hi = off.date_bounds()
    if not lo <= day <= hi:
        raise OptionError(f"date {day} is outside the data ({lo} to {hi})")
    return day


def _duration(value: Any) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise OptionError(f"duration {value!r} is not a number of seconds")
    try:
        seconds = float(value)
    except ValueError:
        raise OptionError(f"duration {value!r} is not a number of seconds") from None
    if not math.isfinite(seconds) or not 0 <= seconds <= MAX_DURATION_S:
        raise OptionError(f"duration {value!r} is not a number of seconds from 0 to {MAX_DURATION_S:.0e}")
    return seconds


def _count(value: Any, what: str, most: int) -> int | None:
    """A whole number from 1 to ``most`` (a URL's text, or a control's number)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise OptionError(f"{what} {value!r} is not a whole number")
    try:
        number = float(value)
    except ValueError:
        raise OptionError(f"{what} {str(value)[:80]!r} is not a whole number") from None
    if not number.is_integer() or not 1 <= number <= most:
        raise OptionError(f"{what} {value!r} is not a whole number from 1 to {most}")
    return int(number)


def _among(what: str, value: Any, allowed: Sequence[str] | Mapping[str, Any]) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or value not in allowed:
        raise OptionError(f"{what} {str(value)[:80]!r} was not offered")
    return value


def _steps(values: Any, off: Offer) -> tuple[str, ...]:
    if values is None:
        return ()
    if isinstance(values, str) or not isinstance(values, list | tuple):
        raise OptionError("steps must be a list")
    return tuple(dict.fromkeys(_among("step", v, off.activities) or "" for v in values if v))


def _single(f: Filters, name: str, value: Any, off: Offer) -> Any:
    """One checked value of field ``name`` (raises OptionError when it was not offered)."""
    if name in ("start", "end"):
        return _date(value, off)
    if name in ("dur_min", "dur_max"):
        return _duration(value)
    if name in ("has", "not_has"):
        return _steps(value, off)
    if name == "top":
        return _count(value, "top", max(len(off.variant_cases), len(off.variants)))
    if name in ("size_min", "size_max"):
        return _count(value, name, MAX_CASE_SIZE)
    if name in ("num_min", "num_max"):
        return _in_range(value, off.numeric.get(f.num or "") if isinstance(f.num, str) else None)
    checks: dict[str, Sequence[str] | Mapping[str, Any]] = {
        "variant": off.variants, "fit": FIT if off.conformance else (), "df": off.edges,
        "first": off.activities, "last": off.activities, "rework": off.activities, "tz": off.zones(),
        "frame": FRAMES, "time": TIMES if off.calendar else (),
        "attr": off.attributes,
        "num": off.numeric}
    checked = _among(name, value, checks[name])
    return None if name == "time" and checked == "elapsed" else checked


def _in_range(value: Any, bounds: tuple[float, float] | None) -> float | None:
    """A bound of a numeric attribute's range: a finite number within the attribute's values."""
    if value is None or value == "":
        return None
    if bounds is None:
        raise OptionError("a range needs a numeric attribute that was offered")
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise OptionError(f"{value!r} is not a number")
    try:
        number = float(value)
    except ValueError:
        raise OptionError(f"{value!r} is not a number") from None
    if not math.isfinite(number) or not bounds[0] <= number <= bounds[1]:
        raise OptionError(f"{value!r} is outside the attribute's values ({bounds[0]:g} to {bounds[1]:g})")
    return number


def _values(attr: str | None, values: Any, off: Offer) -> tuple[str, ...]:
    values = tuple(values or ())
    if not all(isinstance(v, str) for v in values) or (
            values and (attr is None or not set(values) <= set(off.attributes[attr]))):
        raise OptionError("a value was not offered")
    return values


CHECKED = ("start", "end", "attr", "variant", "fit", "has", "df", "dur_min", "dur_max", "first", "last", "tz",
           "num", "num_min", "num_max",  # num before its bounds: they are checked against its range
           "not_has", "rework", "top", "size_min", "size_max", "frame", "time")
URL_KEYS = {"start": "from", "end": "to", "first": "start", "last": "end", "not_has": "not"}
#: Fields whose URL key repeats (one value each).
REPEATED = ("has", "not_has")


def _consistent(f: Filters) -> Filters:
    if f.dur_min is not None and f.dur_max is not None and f.dur_min > f.dur_max:
        raise OptionError("the shortest duration is longer than the longest")
    if f.num_min is not None and f.num_max is not None and f.num_min > f.num_max:
        raise OptionError("the range's lower bound is above its upper bound")
    if f.size_min is not None and f.size_max is not None and f.size_min > f.size_max:
        raise OptionError("the smallest case size is above the largest")
    return f


def parse(search: str | None, processes: list[str], offer: Callable[[str], Offer] | None = None) -> Filters:
    """Filters from a URL query string; values not offered are dropped and named in ``refused``.

    A process the store does not hold gives ``process=None`` and ``unknown_process`` (the shell then
    shows a notice and no numbers, never another process's); no process at all: the first one."""
    qs = parse_qs(search.lstrip("?") if isinstance(search, str) else "", keep_blank_values=False)
    get = {k: v[0] for k, v in qs.items() if v}
    refused: list[str] = []
    process, unknown = get.get("process"), False
    if process is not None and process not in processes:
        refused.append(f"process={process[:80]}")
        process, unknown = None, True
    elif process is None:
        process = processes[0] if processes else None
    lang = get.get("lang", "en")
    if lang not in LANGS:
        refused.append(f"lang={lang[:80]}")
        lang = "en"
    off = offer(process) if (offer is not None and process) else NO_OFFER
    checked: dict[str, Any] = {}
    for name in CHECKED:
        key = URL_KEYS.get(name, name)
        raw: Any = qs.get(key, []) if name in REPEATED else get.get(key)
        if name in REPEATED:
            ok = [v for v in raw if v in set(off.activities)]
            refused += [f"{key}={v[:80]}" for v in raw if v not in set(off.activities)]
            raw = ok
        try:
            checked[name] = _single(Filters(num=checked.get("num")), name, raw, off)
        except OptionError:
            refused.append(f"{key}={str(raw)[:80]}")
            checked[name] = None if name not in REPEATED else ()
    attr, values = checked["attr"], tuple(qs.get("val", []))
    allowed = set(off.attributes[attr]) if attr is not None else set()
    if attr is not None or "attr" not in get:  # values of a refused attribute go with it
        refused += [f"val={v[:80]}" for v in values if v not in allowed]
    values = tuple(dict.fromkeys(v for v in values if v in allowed))
    f = Filters(process=process, lang=lang, values=values, unknown_process=unknown, **checked)
    if f.dur_min is not None and f.dur_max is not None and f.dur_min > f.dur_max:
        refused.append(f"dur_max={_num(f.dur_max)}")
        f = replace(f, dur_max=None)
    if f.num_min is not None and f.num_max is not None and f.num_min > f.num_max:
        refused.append(f"num_max={_num(f.num_max)}")
        f = replace(f, num_max=None)
    if f.size_min is not None and f.size_max is not None and f.size_min > f.size_max:
        refused.append(f"size_max={_num(f.size_max)}")
        f = replace(f, size_max=None)
    return replace(f, refused=tuple(refused), view=_view(get))


def _view(get: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """The page settings of a URL (the map's sliders, overlay and statistic): short values of the
    known keys only; the page checks each against what it offers (anything else: its default)."""
    return tuple((k, get[k]) for k in VIEW_KEYS
                 if k in get and len(get[k]) <= VIEW_MAX.get(k, 16) and get[k].isprintable())


def with_changes(f: Filters, processes: list[str], offer: Callable[[str], Offer] | None = None,
                 **changes: Any) -> Filters:
    """New filters after a control changed; a value not offered raises OptionError (a ValueError)."""
    unknown = set(changes) - {fl.name for fl in fields(Filters)}
    if unknown:
        raise OptionError(f"no filter {sorted(unknown)}")
    if "process" in changes and changes["process"] not in processes:
        raise OptionError(f"process {changes['process']!r} was not offered")
    if "lang" in changes and changes["lang"] not in LANGS:
        raise OptionError(f"language {changes['lang']!r} was not offered")
    process = changes.get("process", f.process)
    if process != f.process:  # another process offers other attributes, variants and steps
        f = Filters(process=f.process, lang=f.lang, tz=f.tz, time=f.time)
    off = offer(process) if (offer is not None and process) else NO_OFFER
    if process != f.process and not off.calendar:  # business time follows to a process only if it has a calendar
        changes["time"] = None
    if "num" in changes and (changes["num"] or None) != f.num:  # another attribute: its range starts open
        changes.update({k: None for k in ("num_min", "num_max") if changes.get(k, getattr(f, k)) == getattr(f, k)})
    out: dict[str, Any] = {}
    for name in CHECKED:
        out[name] = _single(replace(f, num=out.get("num", f.num)), name,
                            changes[name] if name in changes else getattr(f, name), off)
    values = changes.get("values", f.values)
    if out["attr"] != f.attr and tuple(values or ()) == f.values:  # another attribute: its values start empty
        values = ()
    out["values"] = _values(out["attr"], values, off)
    rest = {k: v for k, v in changes.items() if k not in out}
    return _consistent(replace(f, refused=(), unknown_process=False, **{**rest, **out}))


PRESETS = ("30", "90", "year", "all")


def preset(off: Offer, name: str) -> tuple[str | None, str | None]:
    """The dates of a time-frame preset, counted back from the data's last case start: the last 30 or
    90 days, the calendar year of that day, or all (no dates). Never before the first case start."""
    if name == "all" or off.span is None:
        return None, None
    first, last = (dt.date.fromisoformat(d) for d in off.span)
    lo = last.replace(month=1, day=1) if name == "year" else last - dt.timedelta(days=int(name) - 1)
    return max(lo, first).isoformat(), last.isoformat()
