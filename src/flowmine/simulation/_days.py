"""The process calendar's days in the simulation model: closed days (public holidays, the company's own
closed days) and make-up workdays (China's 调休: a weekend day worked instead of a holiday).

A pool's working hours are hours of the week, read off when its members worked. On a closed day a pool
that keeps the process calendar (``Pool.calendar``) does not work; on a make-up workday it works the
hours it works on most weekdays (those open on at least three of Monday to Friday: a pool that works
only on Wednesdays does not come in on a make-up Saturday). Cases arrive on a closed day at the
model's ``closed_arrivals`` share of the hour of the week's rate.

Days are counted as in the discovery's working hours: local days (model time zone) from the Monday
2000-01-03. Discovery counts a step's working time with these days (a service started before the
Spring Festival and finished after it did not work through it); the run opens and closes its pools'
hours on them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

if TYPE_CHECKING:
    from flowmine.analytics import Calendar
    from flowmine.simulation._model import Pool

#: The Monday from which discovery counts days (and weeks) of local time.
EPOCH = date(2000, 1, 3)
#: A make-up workday is worked in the hours a pool works on at least this many of Monday to Friday.
MAKEUP_WEEKDAYS = 3
#: A pool seen working on the calibration period's closed days at this share of its usual daily work
#: (or more) works through them (``Pool.calendar = False``).
WORKS_THROUGH = 0.25


#: The model keeps the calendar's days from this many weeks before the calibration period (a warm-up) to
#: this many after its end (scenarios run on longer).
WEEKS_BEFORE, WEEKS_AFTER = 26, 104


@dataclass(frozen=True)
class Days:
    """Closed days and make-up workdays as day numbers (:data:`EPOCH`), sorted."""

    closed: list[int]
    makeup: list[int]

    @staticmethod
    def iso(days: list[int]) -> list[str]:
        return [(EPOCH + timedelta(days=d)).isoformat() for d in days]


def local_seconds(t: Any, tz: str) -> npt.NDArray[np.float64]:
    """Moments (a Series of timestamps) as seconds from :data:`EPOCH`'s 00:00 in ``tz``."""
    origin = pd.Timestamp(EPOCH.isoformat(), tz=tz)
    return np.asarray((pd.to_datetime(t, utc=True).dt.tz_convert(tz) - origin).dt.total_seconds().to_numpy(),
                      dtype=np.float64)


def calendar_days(calendar: Calendar | None, arrivals_at: pd.Series, tz: str) -> Days:
    """The ``calendar``'s holidays (every one, on any weekday: a pool may work on Saturdays) and make-up
    workdays from :data:`WEEKS_BEFORE` weeks before the first arrival to :data:`WEEKS_AFTER` after the last."""
    if calendar is None or arrivals_at.empty:
        return Days([], [])
    x = local_seconds(arrivals_at, tz)
    lo = int(np.floor(np.nanmin(x) / 86400.0)) - 7 * WEEKS_BEFORE
    hi = int(np.floor(np.nanmax(x) / 86400.0)) + 7 * WEEKS_AFTER
    closed = [d for d in day_numbers(calendar.holidays) if lo <= d <= hi]
    makeup = [d for d in day_numbers(calendar.workdays) if lo <= d <= hi and d not in set(closed)]
    return Days(closed, makeup)


def arrival_rates(how: npt.NDArray[np.int64], x: npt.NDArray[np.float64], weeks: float,
                  closed: list[int]) -> tuple[npt.NDArray[np.float64], float]:
    """Case arrivals per hour of the week (``how``: each arrival's hour of the week, ``x`` its local
    seconds) over a period of ``weeks``, from the days that are not closed, and the rate on the closed
    days of the period as a share of those rates (1 when the period has none)."""
    day = np.floor(x / 86400.0).astype(np.int64)
    shut = [d for d in closed if day.min() <= d <= day.max()] if day.size else []
    if not shut:
        return np.bincount(how, minlength=168) / weeks, 1.0
    on_shut = np.isin(day, shut)
    per_weekday = np.bincount(np.asarray(shut, dtype=np.int64) % 7, minlength=7)
    exposure = np.maximum(weeks - np.repeat(per_weekday, 24), 0.1 * weeks)
    rates = np.bincount(how[~on_shut], minlength=168) / exposure
    expected = float(sum(rates[(d % 7) * 24:(d % 7) * 24 + 24].sum() for d in shut))
    return rates, (float(on_shut.sum()) / expected if expected > 0 else 1.0)


def keeps_calendar(work: pd.DataFrame, pools: dict[str, Pool], tz: str, closed: list[int]) -> dict[str, bool]:
    """Per pool whether it keeps the closed days: False when, on the closed days of the calibration period
    that fall on its working weekdays, its members started work at :data:`WORKS_THROUGH` of their usual
    daily rate or more; True when they did less, or when the period has no such day."""
    out: dict[str, bool] = {}
    work = work[work["resource"].notna()]
    x = local_seconds(work["start"].fillna(work["complete"]), tz)
    day = np.floor(x / 86400.0).astype(np.int64)
    who = work["resource"].astype(str).to_numpy()
    for name, pool in pools.items():
        mine = np.isin(who, pool.members)
        if not mine.any():
            continue
        d = day[mine]
        weekdays = sorted({h // 24 for h in pool.hours} if pool.hours else set(range(7)))
        shut = [c for c in closed if d.min() <= c <= d.max() and c % 7 in weekdays]
        if not shut:
            continue
        span = np.arange(d.min(), d.max() + 1)
        usual = span[np.isin(span % 7, weekdays) & ~np.isin(span, shut)]
        if usual.size == 0:
            continue
        on_shut = float(np.isin(d, shut).sum()) / len(shut)
        on_usual = float(np.isin(d, usual).sum()) / usual.size
        out[name] = not (on_usual > 0 and on_shut >= WORKS_THROUGH * on_usual)
    return out


def day_numbers(days: Iterable[str | date]) -> list[int]:
    """ISO dates (or dates) as day numbers from :data:`EPOCH`, sorted and distinct."""
    return sorted({((d if isinstance(d, date) else date.fromisoformat(str(d))) - EPOCH).days for d in days})


def makeup_hours(hours: Iterable[int]) -> list[int]:
    """The hours of the day (0-23) a pool with working ``hours`` of the week works on a make-up workday."""
    open_ = np.zeros(168, dtype=bool)
    open_[list(hours) or list(range(168))] = True
    on = open_[: 5 * 24].reshape(5, 24).sum(axis=0)
    return [int(h) for h in np.flatnonzero(on >= MAKEUP_WEEKDAYS)]


def open_hours(hours: Iterable[int], closed: Iterable[int], makeup: Iterable[int], first: int,
               n_days: int) -> npt.NDArray[np.bool_]:
    """Whether each hour of ``n_days`` days from day number ``first`` is open: the week's ``hours``, with
    the ``closed`` day numbers shut and the ``makeup`` ones open in :func:`makeup_hours`."""
    week = np.zeros(168, dtype=bool)
    week[list(hours) or list(range(168))] = True
    days = np.arange(first, first + n_days)
    out = week[((days % 7)[:, None] * 24 + np.arange(24)[None, :])].copy()  # EPOCH is a Monday
    day_of_week_hours = np.zeros(24, dtype=bool)
    day_of_week_hours[makeup_hours(np.flatnonzero(week).tolist())] = True
    for d in makeup:
        if first <= d < first + n_days:
            out[d - first] = day_of_week_hours
    for d in closed:
        if first <= d < first + n_days:
            out[d - first] = False
    return out.reshape(-1)


def worked_correction(x: npt.NDArray[np.float64], hours: Iterable[int], closed: Iterable[int],
                      makeup: Iterable[int]) -> npt.NDArray[np.float64]:
    """Seconds to add to the working time of the week's ``hours`` counted from :data:`EPOCH` up to each
    moment ``x`` (local seconds from it) so that it counts the closed days shut and the make-up days open:
    the difference between the two countings, as a running sum over the exception days before ``x``."""
    closed, makeup = sorted(set(closed)), sorted(set(makeup) - set(closed))
    days = sorted(set(closed) | set(makeup))
    out = np.zeros(np.shape(x), dtype=np.float64)
    if not days:
        return out
    week = np.zeros(168, dtype=bool)
    week[list(hours) or list(range(168))] = True
    usual = week.reshape(7, 24).astype(np.float64) * 3600.0
    mk = np.zeros(24)
    mk[makeup_hours(np.flatnonzero(week).tolist())] = 3600.0
    d = np.asarray(days, dtype=np.int64)
    is_closed = np.isin(d, closed)
    new = np.where(is_closed[:, None], 0.0, mk[None, :])
    delta = new - usual[d % 7]  # per exception day and hour: the seconds gained (negative: lost)
    cum = np.concatenate([np.zeros((len(d), 1)), np.cumsum(delta, axis=1)], axis=1)  # within the day
    before = np.r_[0.0, np.cumsum(cum[:, -1])]  # whole exception days before the k-th
    ok = np.isfinite(x)
    xv = np.where(ok, x, 0.0)
    day = np.floor(xv / 86400.0).astype(np.int64)
    k = np.searchsorted(d, day, side="left")  # exception days before this moment's day
    out = before[k]
    same = (k < len(d)) & (d[np.minimum(k, len(d) - 1)] == day)
    rest = xv - day * 86400.0
    h = np.clip((rest // 3600.0).astype(np.int64), 0, 23)
    kk = np.minimum(k, len(d) - 1)
    part = cum[kk, h] + delta[kk, h] * (rest - h * 3600.0) / 3600.0
    out = out + np.where(same, part, 0.0)
    return np.where(ok, out, np.nan)


def next_day_open(day: npt.NDArray[np.int64], closed: Iterable[int]) -> npt.NDArray[np.int64]:
    """Each day number moved on past the run of closed days it falls in (unchanged when not closed)."""
    c = np.asarray(sorted(set(closed)), dtype=np.int64)
    if c.size == 0:
        return day
    # runs of consecutive closed days: each closed day's first open day after it
    breaks = np.flatnonzero(np.diff(c) != 1)
    ends = np.r_[c[breaks], c[-1]] + 1
    run_of = np.searchsorted(np.r_[c[breaks + 1]] if breaks.size else np.empty(0, np.int64), c, side="right")
    after = ends[run_of]
    k = np.clip(np.searchsorted(c, day), 0, c.size - 1)
    return np.where(c[k] == day, after[k], day)
