"""Working-hours calendars for the simulator: when a role works, and how work time maps to clock time.

The simulation clock counts minutes from a Monday 00:00 in the company's local time zone
(Asia/Shanghai by default, which has no daylight saving). A :class:`Calendar` says on which
weekdays and between which hours a role works; :meth:`Calendar.open_at` moves a time to the next
moment the role is at work and :meth:`Calendar.add_work` adds working minutes, pausing overnight
and over weekends, so that a task started at 17:30 with one hour of work completes at 09:30 on the
next working day. Conversion to UTC timestamps happens once, at the end, in :func:`to_utc`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

DAY = 1440.0  #: minutes per day
WEEK = 7 * DAY


@dataclass(frozen=True)
class Calendar:
    """Weekly working hours of a role.

    Parameters
    ----------
    start_hour, end_hour : float
        Daily working window in local time, e.g. 9 and 18 for 9:00-18:00.
    weekdays : tuple of int
        Working weekdays, Monday = 0 (default Monday to Friday).
    """

    start_hour: float = 9.0
    end_hour: float = 18.0
    weekdays: tuple[int, ...] = (0, 1, 2, 3, 4)

    @property
    def minutes_per_day(self) -> float:
        return (self.end_hour - self.start_hour) * 60.0

    def open_at(self, t: float) -> float:
        """Earliest clock time >= ``t`` at which the role is at work."""
        day = int(t // DAY)
        minute = t - day * DAY
        lo, hi = self.start_hour * 60.0, self.end_hour * 60.0
        if day % 7 in self.weekdays:
            if minute < lo:
                return day * DAY + lo
            if minute < hi:
                return t
        day += 1
        while day % 7 not in self.weekdays:
            day += 1
        return day * DAY + lo

    def add_work(self, t: float, minutes: float) -> float:
        """Clock time at which ``minutes`` of work started at ``t`` are done (pausing off hours)."""
        t = self.open_at(t)
        hi = self.end_hour * 60.0
        while True:
            day = int(t // DAY)
            left_today = day * DAY + hi - t
            if minutes <= left_today:
                return t + minutes
            minutes -= left_today
            t = self.open_at(day * DAY + hi)

    def work_to_clock(self, work_minutes: np.ndarray) -> np.ndarray:
        """Vectorised: clock times of points given in cumulative working minutes from time 0."""
        per_day = self.minutes_per_day
        whole = np.floor(work_minutes / per_day).astype(np.int64)
        rest = work_minutes - whole * per_day
        days_in_week = np.asarray(sorted(self.weekdays), dtype=np.int64)
        weeks, nth = np.divmod(whole, len(days_in_week))
        days = weeks * 7 + days_in_week[nth]
        return days * DAY + self.start_hour * 60.0 + rest


def origin_monday(start: str) -> pd.Timestamp:
    """The Monday 00:00 (naive local time) on or before the date ``start`` (``YYYY-MM-DD``)."""
    day = pd.Timestamp(start).normalize()
    return day - pd.Timedelta(days=int(day.weekday()))


def to_utc(minutes: np.ndarray, origin: pd.Timestamp, tz: str) -> pd.DatetimeIndex:
    """Convert clock minutes (from the local-time ``origin``) to UTC timestamps, floored to the minute.

    Flooring to whole minutes keeps every export shape exact (some carry minutes only); the
    simulator draws service times of at least two minutes, so order within a case is kept.
    """
    whole = np.floor(np.asarray(minutes, dtype=float)).astype("int64")
    local = origin + pd.to_timedelta(whole, unit="min")
    return pd.DatetimeIndex(local).tz_localize(tz).tz_convert("UTC").as_unit("us")


def business_days_between(a_local: pd.Series, b_local: pd.Series) -> np.ndarray:
    """Working days (Mon-Fri) from the local date of ``a`` to that of ``b`` (``numpy.busday_count``)."""
    da = a_local.dt.tz_localize(None).dt.normalize().to_numpy().astype("datetime64[D]")
    db = b_local.dt.tz_localize(None).dt.normalize().to_numpy().astype("datetime64[D]")
    return np.busday_count(da, db)
