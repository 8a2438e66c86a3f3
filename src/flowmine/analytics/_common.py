"""Shared pieces of the metrics: SQL fragments for duration statistics and the metric runner.

All durations in metric frames are float **seconds** in columns ending ``_s`` (the unit pm4py reports
and JSON carries); a view turns them into hours or days. Medians and percentiles interpolate
linearly (numpy's default), so they equal ``numpy.median`` / ``numpy.percentile`` of the same values.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import cast

import numpy as np
import pandas as pd

from flowmine.analytics._calendar import Calendar, apply_sql
from flowmine.analytics._log import LogLike
from flowmine.analytics._sql import Engine


def stats(expr: str, prefix: str = "") -> str:
    """SQL select-list of count/total/mean/median/p90/min/max of a microsecond duration ``expr``."""
    p = f"{prefix}_" if prefix else ""
    s = f"({expr}) / 1e6"
    return (f"COUNT({expr}) AS {p}instances, SUM({s}) AS {p}total_s, AVG({s}) AS {p}mean_s, "
            f"quantile_cont({s}, 0.5) AS {p}median_s, quantile_cont({s}, 0.9) AS {p}p90_s, "
            f"MIN({s}) AS {p}min_s, MAX({s}) AS {p}max_s")


#: Between the two steps of an edge's name (``A → B``), in every metric that names edges.
EDGE_SEP = " → "

STAT_COLUMNS = ("instances", "total_s", "mean_s", "median_s", "p90_s", "min_s", "max_s")


def declare(metric: str, level: str, columns: Sequence[str]) -> tuple[str, ...]:
    """The columns of ``metric`` at ``level``, as the metric's module selects them and the registry
    (``_registry.METRICS``) declares them."""
    del metric, level  # named at the call for the reader; the registry maps metric and level to them
    return tuple(columns)


def run(log: LogLike, build: Callable[[Engine], pd.DataFrame], columns: Sequence[str],
        calendar: Calendar | None = None) -> pd.DataFrame:
    """Materialise the log's instances, run ``build`` and return exactly ``columns``, index reset.

    With a ``calendar``, every duration of ``inst`` and ``cases`` is business time (``_calendar``)."""
    from flowmine.analytics._held import open_engine

    eng = open_engine(log)
    try:
        if calendar is not None:
            in_business_time(eng, calendar)
        frame = build(eng)
    finally:
        eng.close()
    return frame.loc[:, list(columns)].reset_index(drop=True)


def in_business_time(eng: Engine, calendar: Calendar) -> Calendar:
    """Turn every duration of the engine's ``inst`` and ``cases`` into business time of ``calendar``;
    returns the calendar as applied (narrowed to the instants found, for :func:`business_sql` of a
    duration derived later from the same instants, such as a projected map's edges)."""
    eng.materialize()
    spanned = _on_span(eng, calendar)
    for sql in apply_sql(spanned):
        eng.con.execute(sql)
    return spanned


def _on_span(eng: Engine, calendar: Calendar) -> Calendar:
    """The calendar with only the holidays and make-up days within the instants of ``inst`` and ``cases``
    (the durations stay exact; the SQL of a calendar of many official years stays short)."""
    if not (calendar.holidays or calendar.workdays or calendar.timezone):
        return calendar
    cols = ("start_us", "complete_us", "enabling_us", "ready_us", "prev_done_us", "prev_complete_us")
    values = [eng.scalar(f"SELECT {fn}({', '.join(f'{agg}({c})' for c in columns)}) FROM {table}")
              for table, columns in (("inst", cols), ("cases", ("start_us", "end_us")))
              for fn, agg in (("LEAST", "MIN"), ("GREATEST", "MAX"))]
    found = [int(cast(int, v)) for v in values if v is not None]
    return calendar.within(min(found), max(found)) if found else calendar


def total_throughput_s(eng: Engine) -> float:
    """Sum of all case throughput times, in seconds (the denominator of every time share)."""
    value = eng.scalar("SELECT SUM(throughput_us) / 1e6 FROM cases")
    return float(value) if value is not None else 0.0  # type: ignore[arg-type]


def utc_periods(frame: pd.DataFrame, tz: str = "UTC") -> pd.DataFrame:
    """Mark the ``period`` column as starting in zone ``tz`` (periods are truncated on naive local
    timestamps, :func:`local_us`: no ICU/time-zone setting is needed in the engine, and a session time
    zone can never shift a period). A local midnight that a clock change skips starts when the clock
    jumps; one it repeats, at its first occurrence."""
    if "period" in frame:  # an empty frame too: the column's type never depends on the row count
        col = pd.to_datetime(frame["period"])
        if col.dt.tz is not None:  # an engine that hands timestamps back as UTC (Spark): the same wall clock
            col = col.dt.tz_convert("UTC").dt.tz_localize(None)
        col = col.dt.tz_localize(tz, ambiguous=np.ones(len(col), dtype=bool), nonexistent="shift_forward")
        frame = frame.assign(period=col)
    return frame


def check_zone(tz: str, function: str) -> str:
    """``tz`` if it is an IANA time zone, else the package's parameter error naming ``function``."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from flowmine.errors import AnalyticsError

    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise AnalyticsError(f"The 'tz' parameter of {function} must be an IANA time zone such as "
                             f"'Europe/Amsterdam'. Got {tz!r} instead.") from None
    return tz


@functools.lru_cache(maxsize=16)
def _offsets(tz: str) -> tuple[tuple[int, int], ...]:
    """The zone's UTC offsets 1970-2060 as (from this UTC instant on, offset), both microseconds; the
    first entry holds from the beginning of time. A change is found by day, then timed to the minute."""
    def offsets(instants: pd.DatetimeIndex) -> np.ndarray:
        local = instants.tz_convert(tz).tz_localize(None)
        return np.asarray((local - instants.tz_localize(None)) // pd.Timedelta(microseconds=1), dtype=np.int64)

    days = pd.date_range("1970-01-01", "2060-01-01", freq="D", tz="UTC")
    by_day = offsets(days)
    out = [(np.iinfo(np.int64).min, int(by_day[0]))]
    for i in (np.flatnonzero(by_day[1:] != by_day[:-1]) + 1).tolist():
        minutes = pd.date_range(days[i - 1], days[i], freq="min")
        first = int(np.flatnonzero(offsets(minutes) != by_day[i - 1])[0])
        out.append((int(minutes[first].value // 1000), int(by_day[i])))
    return tuple(out)


def local_us(expr: str, tz: str = "UTC") -> str:
    """SQL of the wall-clock time in zone ``tz`` of the UTC microsecond instant ``expr`` (microseconds
    of a naive local timestamp), so ``date_trunc`` on it gives the zone's days, weeks and months. The
    offsets are a CASE over the zone's changes (:func:`_offsets`): plain SQL every engine runs."""
    table = _offsets(tz)
    if len(table) == 1:
        return f"({expr} + {table[0][1]})" if table[0][1] else expr
    cases = " ".join(f"WHEN {expr} >= {at} THEN {off}" for at, off in reversed(table[1:]))
    return f"({expr} + CASE {cases} ELSE {table[0][1]} END)"
