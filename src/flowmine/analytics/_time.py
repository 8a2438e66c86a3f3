"""Time metrics: throughput time of cases, and service, waiting and sojourn time of activity instances.

Definitions are the glossary's (``../shared/design/GLOSSARY.md``):

* **throughput time** of a case: last completion minus first start (first completion where no start
  is known);
* **service time** of an instance: completion minus start minus the time suspended; unknown (excluded,
  never zero) without a start or a completion;
* **waiting time**: start minus the completion of the enabling instance (the latest completion before
  the start in the case); unknown without a start;
* **queue time**: start minus the ready time (when the instance was scheduled or enabled: XES
  ``schedule``/``assign``); unknown without both;
* **sojourn time**: completion minus the previous completion in the case, what a log with completions
  only tells; it is never presented as service time.

An open instance (started, not completed at extraction) counts as an instance; what needs its
completion (service, sojourn) is unknown. Service time excludes the time an instance was suspended
(``paused_us``).

Levels: ``log`` (one row), ``case``, ``activity``, ``resource``, ``role`` for the instance metrics;
``log``, ``case``, ``variant``, ``period`` for throughput time.
"""

from __future__ import annotations

import pandas as pd

from flowmine.analytics._calendar import Calendar
from flowmine.analytics._common import (
    STAT_COLUMNS,
    check_zone,
    declare,
    local_us,
    run,
    stats,
    total_throughput_s,
    utc_periods,
)
from flowmine.analytics._log import LogLike, check_option
from flowmine.analytics._sql import Engine

PERIODS = ("day", "week", "month")
_CASE_STATS = ("cases", "total_s", "mean_s", "median_s", "p90_s", "min_s", "max_s")

THROUGHPUT = {
    "log": declare("throughput_time", "log", _CASE_STATS),
    "case": declare("throughput_time", "case", ("case", "start", "end", "throughput_s", "instances")),
    "variant": declare("throughput_time", "variant", ("variant", *_CASE_STATS)),
    "period": declare("throughput_time", "period", ("period", *_CASE_STATS)),
}


def _case_stats(expr: str = "throughput_us") -> str:
    return stats(expr).replace(f"COUNT({expr}) AS instances", "COUNT(*) AS cases")


def throughput_time(log: LogLike, level: str = "log", by: str = "month", calendar: Calendar | None = None,
                    tz: str = "UTC") -> pd.DataFrame:
    """Throughput time (case duration) in seconds.

    Parameters
    ----------
    log : DataFrame, Arrow table or StoredLog
    level : {"log", "case", "variant", "period"}
        ``period`` groups cases by the period of their last completion (``by``).
    by : {"day", "week", "month"}
        Period length for ``level="period"`` (weeks start on Monday, in ``tz``).
    calendar : Calendar, optional
        Measure in business time (working hours, holidays) instead of elapsed time.
    tz : str
        IANA time zone the periods of ``level="period"`` start in (at midnight).

    Returns
    -------
    DataFrame
        ``log``: cases, total_s, mean_s, median_s, p90_s, min_s, max_s (one row);
        ``case``: case, start, end (UTC timestamps), throughput_s, instances;
        ``variant``/``period``: the log statistics per variant (activities joined by " → ") / period.

    Examples
    --------
    >>> from flowmine.analytics import stored, throughput_time
    >>> throughput_time(stored(STORE, "finance"))["cases"].tolist()  # STORE: a store's path
    [6000]
    """
    check_option("level", level, THROUGHPUT, "throughput_time")
    check_option("by", by, PERIODS, "throughput_time")
    check_zone(tz, "throughput_time")

    def build(eng: Engine) -> pd.DataFrame:
        if level == "log":
            return eng.frame(f"SELECT {_case_stats()} FROM cases")
        if level == "case":
            return eng.frame('SELECT "case", make_timestamptz(start_us) AS start, make_timestamptz(end_us) AS "end", '
                             'throughput_us / 1e6 AS throughput_s, instances FROM cases ORDER BY "case"')
        if level == "variant":
            return eng.frame(f"SELECT array_to_string(trace, ' → ') AS variant, {_case_stats()} FROM cases "
                             "GROUP BY trace ORDER BY cases DESC, variant")
        end = local_us("end_us", tz)
        return eng.frame(f"SELECT date_trunc('{by}', make_timestamp({end})) AS period, {_case_stats()} "
                         "FROM cases GROUP BY 1 ORDER BY 1")

    frame = run(log, build, THROUGHPUT[level], calendar)
    return utc_periods(frame, tz) if level == "period" else frame


_INSTANCE_LEVELS = {"log": None, "case": '"case"', "activity": "activity", "resource": "resource", "role": "role"}


def _instance_metric(name: str) -> dict[str, tuple[str, ...]]:
    out = {}
    for level, key in _INSTANCE_LEVELS.items():
        cols = (*STAT_COLUMNS, "share") if level != "case" else STAT_COLUMNS
        out[level] = declare(name, level, ((key.strip('"'),) if key else ()) + cols)
    return out


SERVICE = _instance_metric("service_time")
WAITING = _instance_metric("waiting_time")
SOJOURN = _instance_metric("sojourn_time")
QUEUE = _instance_metric("queue_time")


def _instance_time(log: LogLike, level: str, expr: str, name: str, columns: dict[str, tuple[str, ...]],
                   calendar: Calendar | None = None) -> pd.DataFrame:
    check_option("level", level, _INSTANCE_LEVELS, name)
    key = _INSTANCE_LEVELS[level]

    def build(eng: Engine) -> pd.DataFrame:
        total = total_throughput_s(eng)
        share = f", SUM({expr}) / 1e6 / {total!r} AS share" if total > 0 else ", CAST(NULL AS DOUBLE) AS share"
        if key is None:
            return eng.frame(f"SELECT {stats(expr)}{share} FROM inst")
        return eng.frame(f"SELECT {key}, {stats(expr)}{share if level != 'case' else ''} FROM inst "
                         f"GROUP BY {key} ORDER BY total_s DESC NULLS LAST, {key}")

    return run(log, build, columns[level], calendar)


_LEVEL_DOC = """
    Parameters
    ----------
    log : DataFrame, Arrow table or StoredLog
    level : {"log", "case", "activity", "resource", "role"}
    calendar : Calendar, optional
        Measure in business time (working hours, holidays); shares stay relative to the throughput
        time in the same business time.

    Returns
    -------
    DataFrame
        The grouping column (none at ``log``) and instances (how many instances have a known value),
        total_s, mean_s, median_s, p90_s, min_s, max_s and, except per case, ``share``: total_s as a
        share of the sum of all case throughput times. Sorted by total_s, largest first.
"""


def service_time(log: LogLike, level: str = "activity", calendar: Calendar | None = None) -> pd.DataFrame:
    """Service (processing) time: completion minus start of each instance whose start is known.
    """
    return _instance_time(log, level, "service_us", "service_time", SERVICE, calendar)


def waiting_time(log: LogLike, level: str = "activity", calendar: Calendar | None = None) -> pd.DataFrame:
    """Waiting time: start minus the completion of the enabling instance (needs starts).
    """
    return _instance_time(log, level, "waiting_us", "waiting_time", WAITING, calendar)


def queue_time(log: LogLike, level: str = "activity", calendar: Calendar | None = None) -> pd.DataFrame:
    """Queue time: start minus the ready time (scheduled / enabled) of each instance where both are known.
    """
    return _instance_time(log, level, "queue_us", "queue_time", QUEUE, calendar)


def sojourn_time(log: LogLike, level: str = "activity", calendar: Calendar | None = None) -> pd.DataFrame:
    """Sojourn time: completion minus the previous completion in the case (known without starts).
    """
    return _instance_time(log, level, "sojourn_us", "sojourn_time", SOJOURN, calendar)


for _f in (service_time, waiting_time, queue_time, sojourn_time):
    _f.__doc__ = (_f.__doc__ or "").rstrip() + "\n" + _LEVEL_DOC
