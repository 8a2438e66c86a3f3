"""Working-hours calendars: durations in business time, with holidays and make-up workdays (per process).

A :class:`Calendar` says which weekdays are worked, the working hours of such a day (one interval,
``start``..``end``, local time = UTC + ``utc_offset_h``), the holidays (dates not worked although their
weekday is) and the make-up workdays (dates worked although their weekday is not, as China's 调休
Saturdays). :meth:`Calendar.official` builds one from a named official calendar: ``"CN"`` from the
``chinesecalendar`` package (public holidays and in-lieu workdays), any other country code from the
``holidays`` package (public holidays only). The business time between two instants is the working
time that lies between them.

It is computed through one monotone map: ``F(t)`` = working microseconds from the epoch up to ``t``
(whole working days before ``t``'s day × day length, plus the worked part of ``t``'s own day). A
business duration is ``F(end) − F(start)``, so every duration of the metrics (service, waiting,
sojourn, edge, throughput) becomes business time by mapping its two endpoints, after the relations
(order, enabling completion) were found on real time. ``F`` exists twice, kept equal by a test: as
vectorised numpy (:func:`business_duration`) and as portable SQL (:func:`business_sql`), which the
metrics use when given ``calendar=``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, time
from typing import Any

import numpy as np
import numpy.typing as npt

from flowmine.errors import AnalyticsError

DAY_US = 86_400_000_000
_EPOCH = date(1970, 1, 1)
_NULL = np.iinfo(np.int64).min


def _tod_us(value: str | time) -> int:
    try:
        t = value if isinstance(value, time) else time.fromisoformat(str(value))
    except ValueError:
        raise AnalyticsError(f"calendar: {value!r} is not a time of day (HH:MM)") from None
    return ((t.hour * 60 + t.minute) * 60 + t.second) * 1_000_000 + t.microsecond


@dataclass(frozen=True)
class Calendar:
    """Working days and hours, and holidays.

    Parameters
    ----------
    weekdays : tuple of int
        Worked weekdays, Monday = 0 (default Monday to Friday).
    start, end : str or datetime.time
        Working hours of a worked day, local time (default 09:00 to 17:00; ``end`` may be "24:00").
    holidays : sequence of date or ISO date text
        Dates not worked (those on a weekday that is not worked anyway change nothing).
    workdays : sequence of date or ISO date text
        Make-up workdays: dates worked, with the same hours, although their weekday is not (a date that
        is also a holiday stays closed).
    utc_offset_h : float
        Local time = UTC + this many hours (a fixed offset: no daylight-saving switch).
    timezone : str, optional
        An IANA zone (e.g. "Europe/Amsterdam") instead of a fixed offset: local time follows the zone's
        offset at each instant, daylight-saving switches included (``utc_offset_h`` must then stay 0).
        The hour a clock repeats in autumn lies outside working hours in every zone's rules; a
        calendar working through it counts it once.

    Examples
    --------
    >>> from flowmine.analytics import Calendar, waiting_time, stored
    >>> cal = Calendar(start="08:30", end="17:30", holidays=["2025-05-01"], utc_offset_h=8)
    >>> business = waiting_time(stored(STORE, "finance"), calendar=cal)  # STORE: a store's path
    >>> business.columns[:3].tolist()  # as elapsed time: instances, total_s, ... per activity
    ['activity', 'instances', 'total_s']
    """

    weekdays: tuple[int, ...] = (0, 1, 2, 3, 4)
    start: str | time = "09:00"
    end: str | time = "17:00"
    holidays: Sequence[date | str] = field(default_factory=tuple)
    utc_offset_h: float = 0.0
    workdays: Sequence[date | str] = field(default_factory=tuple)
    timezone: str | None = None
    #: (lo, hi) µs the calendar is used within (:meth:`within`): the zone's switches are looked up there
    span: tuple[int, int] | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.timezone is not None:
            from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

            try:
                ZoneInfo(self.timezone)
            except (ZoneInfoNotFoundError, ValueError):
                raise AnalyticsError(f"calendar: {self.timezone!r} is not an IANA time zone") from None
            if self.utc_offset_h:
                raise AnalyticsError("calendar: give timezone or utc_offset_h, not both")
        if not set(self.weekdays) <= set(range(7)):
            raise AnalyticsError(f"calendar: weekdays must be 0 (Monday) .. 6; got {self.weekdays!r}")
        if self.day_us <= 0:
            raise AnalyticsError(f"calendar: end {self.end!r} must be after start {self.start!r}")

    @property
    def start_us(self) -> int:
        return _tod_us(self.start)

    @property
    def day_us(self) -> int:
        end = DAY_US if str(self.end) == "24:00" else _tod_us(self.end)
        return end - self.start_us

    @property
    def offset_us(self) -> int:
        """The fixed offset (µs); with a ``timezone``, its offset at the start of the span (or now)."""
        if self.timezone is None:
            return round(self.utc_offset_h * 3_600_000_000)
        return self.offsets()[0][1]

    def offsets(self) -> list[tuple[int, int]]:
        """``[(from_us, offset_us), ...]``: the UTC offset from each instant on (the first entry from the
        beginning of time), over the span (:meth:`within`; without one 1970–2100). One entry for a fixed
        offset; a zone's daylight-saving switches in between."""
        if self.timezone is None:
            return [(_NULL, round(self.utc_offset_h * 3_600_000_000))]
        lo, hi = self.span if self.span is not None else (0, 4_102_444_800_000_000)
        return _zone_offsets(self.timezone, lo - DAY_US, hi + DAY_US)

    @classmethod
    def official(cls, code: str, years: Iterable[int], *, holidays: Sequence[date | str] = (),
                 workdays: Sequence[date | str] = (), **hours: Any) -> Calendar:
        """A Monday-to-Friday calendar with the public holidays of an official calendar, plus the
        company's own closed days (``holidays``) and extra workdays (``workdays``).

        ``code`` "CN" is China's official calendar (package ``chinesecalendar``: holidays and make-up
        workdays, the years it knows); any other code is a country of the ``holidays`` package (public
        holidays, no make-up days), e.g. "DE", "GB", "US". ``years``: the years to take. The other keyword
        arguments (``start``, ``end``, ``weekdays``, ``utc_offset_h``) are the :class:`Calendar`'s.

        Examples
        --------
        >>> from flowmine.analytics import Calendar
        >>> cal = Calendar.official("CN", years=[2025], utc_offset_h=8)
        >>> "2025-02-08" in {d.isoformat() for d in cal.workdays}  # the Spring Festival's make-up Saturday
        True
        """
        off, extra = official_days(code, years)
        return cls(holidays=tuple(off) + tuple(holidays), workdays=tuple(extra) + tuple(workdays), **hours)

    def describe(self) -> dict[str, Any]:
        """The calendar as JSON-ready data with a one-line summary in English and Chinese (what a profile
        in business time says it was measured in).

        Examples
        --------
        >>> from flowmine.analytics import Calendar
        >>> Calendar(utc_offset_h=8, holidays=["2025-05-01"]).describe()["text"]
        'Mon–Fri 09:00–17:00 (UTC+8), 1 holiday, 0 make-up workdays'
        """
        days = sorted(set(self.weekdays))
        runs: list[list[int]] = []
        for d in days:  # consecutive weekdays as ranges: Mon–Fri, Sat
            if runs and d == runs[-1][-1] + 1:
                runs[-1].append(d)
            else:
                runs.append([d])

        def span(names: tuple[str, ...], sep: str) -> str:
            return sep.join(names[r[0]] if len(r) == 1 else f"{names[r[0]]}–{names[r[-1]]}" for r in runs)

        start, end = _hhmm(self.start), "24:00" if str(self.end) == "24:00" else _hhmm(self.end)
        off = self.utc_offset_h
        zone = self.timezone or ("UTC" if off == 0 else f"UTC{off:+g}")
        n_h, n_w = len(self.holiday_days()), len(self.workday_days())
        return {
            "weekdays": days, "start": start, "end": end, "utc_offset_h": off, "timezone": self.timezone,
            "holidays": n_h, "workdays": n_w,
            "text": f"{span(_EN_DAYS, ', ')} {start}–{end} ({zone}), {n_h} holiday{'s' * (n_h != 1)}, "
                    f"{n_w} make-up workday{'s' * (n_w != 1)}",
            "text_zh": f"{span(_ZH_DAYS, '、')} {start}–{end}（{zone}），节假日 {n_h} 天，调休工作日 {n_w} 天",
        }

    def holiday_days(self) -> list[int]:
        """Holidays on worked weekdays, as sorted day numbers since 1970-01-01 (local)."""
        return sorted({_day(d) for d in _dates(self.holidays, "holiday") if d.weekday() in self.weekdays})

    def workday_days(self) -> list[int]:
        """Make-up workdays on weekdays not worked (and not holidays), as sorted day numbers since 1970-01-01."""
        closed = {_day(d) for d in _dates(self.holidays, "holiday")}
        return sorted({_day(d) for d in _dates(self.workdays, "workday")
                       if d.weekday() not in self.weekdays} - closed)

    def within(self, lo_us: int, hi_us: int) -> Calendar:
        """This calendar with only the holidays and make-up workdays from ``lo_us`` to ``hi_us`` (µs, UTC;
        two days' margin each side), and that span as the one its zone's switches are looked up in:
        ``F`` moves by a constant on that span, so every business duration between two instants in it
        stays exact, and the SQL of ``F`` stays short."""
        lo = lo_us // DAY_US - 2  # two days each side: more than any zone's offset
        hi = hi_us // DAY_US + 2
        return replace(self, span=(int(lo_us), int(hi_us)),
                       holidays=tuple(d for d in _dates(self.holidays, "holiday") if lo <= _day(d) <= hi),
                       workdays=tuple(d for d in _dates(self.workdays, "workday") if lo <= _day(d) <= hi))

    def _before_weekday(self) -> list[int]:
        """Worked weekdays before weekday r (Monday = 0) of a week."""
        return [sum(1 for w in self.weekdays if w < r) for r in range(7)]


_EN_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_ZH_DAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


def _hhmm(value: str | time) -> str:
    us = _tod_us(value)
    return f"{us // 3_600_000_000:02d}:{us // 60_000_000 % 60:02d}"


def _zone_offsets(zone: str, lo_us: int, hi_us: int) -> list[tuple[int, int]]:
    """The offsets of ``zone`` from ``lo_us`` to ``hi_us`` (see :meth:`Calendar.offsets`): sampled hourly,
    each switch then found to the minute (zones switch on whole minutes)."""
    hour, minute = 3_600_000_000, 60_000_000
    grid = np.arange(lo_us - lo_us % hour, hi_us + hour, hour, dtype=np.int64)
    off = _offset_at(grid, zone)
    out = [(_NULL, int(off[0]))]
    for i in np.flatnonzero(off[1:] != off[:-1]):
        minutes = np.arange(grid[i], grid[i + 1] + minute, minute, dtype=np.int64)
        m = _offset_at(minutes, zone)
        j = int(np.flatnonzero(m != m[0])[0])
        out.append((int(minutes[j]), int(m[j])))
    return out


def _offset_at(t_us: npt.NDArray[np.int64], zone: str) -> npt.NDArray[np.int64]:
    """The UTC offset (µs) of ``zone`` at each instant."""
    import pandas as pd

    utc = pd.DatetimeIndex(t_us.astype("datetime64[us]"), tz="UTC")
    local = utc.tz_convert(zone).tz_localize(None)
    return np.asarray((local.asi8 - utc.tz_localize(None).asi8), dtype=np.int64) // (
        1000 if local.unit == "ns" else 1)


def _offset_np(t: npt.NDArray[np.int64], cal: Calendar) -> npt.NDArray[np.int64] | int:
    table = cal.offsets()
    if len(table) == 1:
        return table[0][1]
    starts = np.asarray([a for a, _ in table[1:]], dtype=np.int64)
    values = np.asarray([b for _, b in table], dtype=np.int64)
    return values[np.searchsorted(starts, t, side="right")]


def _offset_sql(expr: str, cal: Calendar) -> str:
    """SQL of the offset (µs) at ``expr``: a binary search of nested CASEs over the zone's switches."""
    table = cal.offsets()

    def pick(lo: int, hi: int) -> str:  # entries lo..hi-1; entry k applies from table[k][0] on
        if hi - lo == 1:
            return str(table[lo][1])
        mid = (lo + hi) // 2
        return f"(CASE WHEN ({expr}) >= {table[mid][0]} THEN {pick(mid, hi)} ELSE {pick(lo, mid)} END)"

    return pick(0, len(table))


def _dates(values: Iterable[date | str], what: str) -> list[date]:
    """Dates given as ``date`` or ISO text; an :class:`AnalyticsError` names the first that is neither."""
    out = []
    for v in values:
        try:
            out.append(v if isinstance(v, date) else date.fromisoformat(str(v)))
        except ValueError:
            raise AnalyticsError(f"calendar: {what} {v!r} is not an ISO date") from None
    return out


def _day(d: date) -> int:
    return (d - _EPOCH).days


def official_days(code: str, years: Iterable[int]) -> tuple[list[date], list[date]]:
    """The official holidays and make-up workdays of ``code`` in ``years`` (see :meth:`Calendar.official`)."""
    wanted = sorted(set(int(y) for y in years))
    if code.upper() == "CN":
        from chinese_calendar import constants

        known = {d.year for d in constants.holidays}
        missing = [y for y in wanted if y not in known]
        if missing:
            raise AnalyticsError(f"calendar: chinesecalendar knows the years {min(known)}..{max(known)}; "
                                 f"not {missing}")
        return ([d for d in constants.holidays if d.year in wanted],
                [d for d in constants.workdays if d.year in wanted])
    import holidays as _holidays

    try:
        days = _holidays.country_holidays(code.upper(), years=wanted)
    except NotImplementedError:
        raise AnalyticsError(f"calendar: {code!r} is not a country code of the holidays package "
                             "(e.g. 'DE', 'GB', 'US') nor 'CN'") from None
    return sorted(days), []


def business_us(t_us: npt.NDArray[np.int64], cal: Calendar) -> npt.NDArray[np.int64]:
    """``F(t)``: working microseconds from the epoch up to each ``t`` (µs since the epoch, UTC)."""
    raw = np.asarray(t_us, dtype=np.int64)
    if cal.timezone is not None and cal.span is None and raw.size:
        known = raw[raw != _NULL]
        if known.size:
            cal = cal.within(int(known.min()), int(known.max()))
    t = raw + _offset_np(raw, cal)
    d = np.floor_divide(t, DAY_US)
    tod = t - d * DAY_US
    e = d + 3  # 1970-01-01 was a Thursday: e counts days from Monday 1969-12-29
    hol = np.asarray(cal.holiday_days(), dtype=np.int64)
    extra = np.asarray(cal.workday_days(), dtype=np.int64)
    worked = (np.isin(e % 7, cal.weekdays) & ~np.isin(d, hol)) | np.isin(d, extra)
    before = (np.floor_divide(e, 7) * len(set(cal.weekdays)) + np.asarray(cal._before_weekday())[e % 7]
              - np.searchsorted(hol, d, side="left") + np.searchsorted(extra, d, side="left"))
    part = np.where(worked, np.clip(tod - cal.start_us, 0, cal.day_us), 0)
    return (before * cal.day_us + part).astype(np.int64)


def business_duration(start_us: npt.ArrayLike, end_us: npt.ArrayLike, cal: Calendar) -> npt.NDArray[np.float64]:
    """Business time in seconds from each start to each end (µs since the epoch, UTC; vectorised).

    NaN where either end is missing (NaN or the int64 minimum); negative where end < start.

    Examples
    --------
    >>> import pandas as pd
    >>> from flowmine.analytics import Calendar, business_duration
    >>> def us(text): return pd.Timestamp(text, tz="UTC").value // 1000
    >>> business_duration([us("2025-01-10 16:00")], [us("2025-01-13 10:00")], Calendar()) / 3600  # Fri → Mon
    array([2.])
    """
    s = np.asarray(start_us)
    e = np.asarray(end_us)
    bad = np.zeros(np.broadcast(s, e).shape, dtype=bool)
    for x in (s, e):
        bad |= np.isnan(x) if x.dtype.kind == "f" else (x == _NULL)
    si = np.where(bad, 0, s).astype(np.int64)
    ei = np.where(bad, 0, e).astype(np.int64)
    if cal.timezone is not None and cal.span is None and (~bad).any():
        both = np.concatenate([np.broadcast_to(si, bad.shape)[~bad], np.broadcast_to(ei, bad.shape)[~bad]])
        cal = cal.within(int(both.min()), int(both.max()))
    out = (business_us(ei, cal) - business_us(si, cal)) / 1e6
    return np.where(bad, np.nan, out)


def business_sql(expr: str, cal: Calendar) -> str:
    """Portable SQL of ``F(expr)`` for an integer µs expression (NULL stays NULL)."""
    hol = cal.holiday_days()
    extra = cal.workday_days()
    t = f"(({expr}) + {_offset_sql(expr, cal)})"
    d = f"CAST(floor({t} / {DAY_US}) AS BIGINT)"
    wd = f"(({d} + 3) % 7)"
    cum = " ".join(f"WHEN {r} THEN {n}" for r, n in enumerate(cal._before_weekday()))
    worked = ", ".join(str(w) for w in sorted(set(cal.weekdays)))
    hol_before = _count_before(d, hol)
    extra_before = _count_before(d, extra)
    not_holiday = f" AND {d} NOT IN ({', '.join(str(h) for h in hol)})" if hol else ""
    or_extra = f" OR {d} IN ({', '.join(str(h) for h in extra)})" if extra else ""
    before = (f"((({d} + 3) // 7) * {len(set(cal.weekdays))} + (CASE {wd} {cum} END) - ({hol_before})"
              f" + ({extra_before}))")
    part = (f"CASE WHEN ({wd} IN ({worked}){not_holiday}){or_extra} "
            f"THEN LEAST(GREATEST({t} - {d} * {DAY_US} - {cal.start_us}, 0), {cal.day_us}) ELSE 0 END")
    return f"CASE WHEN ({expr}) IS NULL THEN NULL ELSE {before} * {cal.day_us} + {part} END"


def _count_before(d: str, days: Sequence[int], base: int = 0) -> str:
    """SQL counting the sorted ``days`` below ``d``: a binary search of nested CASEs (log depth, portable)."""
    if len(days) <= 4:
        return " + ".join([str(base)] + [f"CASE WHEN {d} > {h} THEN 1 ELSE 0 END" for h in days])
    mid = len(days) // 2
    return (f"CASE WHEN {d} > {days[mid]} THEN {_count_before(d, days[mid + 1:], base + mid + 1)} "
            f"ELSE {_count_before(d, days[:mid], base)} END")


def apply_sql(cal: Calendar) -> list[str]:
    """Statements turning the engine's ``inst`` and ``cases`` durations into business time."""
    def f(x: str) -> str:
        return business_sql(x, cal)

    edge_end = "GREATEST(COALESCE(start_us, complete_us), prev_complete_us)"
    return [
        "CREATE OR REPLACE TEMP TABLE inst AS SELECT * REPLACE ("
        f"{f('start_us')} - {f('enabling_us')} AS waiting_us, {f('complete_us')} - {f('start_us')} AS service_us, "
        f"{f('start_us')} - {f('ready_us')} AS queue_us, "
        f"{f('complete_us')} - {f('prev_done_us')} AS sojourn_us, "
        f"CASE WHEN prev_complete_us IS NULL THEN NULL ELSE {f(edge_end)} - {f('prev_complete_us')} END AS edge_us"
        ") FROM inst",
        f"CREATE OR REPLACE TEMP TABLE cases AS SELECT * REPLACE ({f('end_us')} - {f('start_us')} AS throughput_us) "
        "FROM cases",
    ]
