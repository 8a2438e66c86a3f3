"""The performance profile: everything ``flowmine perf --json`` prints, as one JSON-ready dict.

Two engines give the same numbers (a contract test keeps them so): ``sql`` (DuckDB over the log, the
reference and the drill-down path) and ``fast`` (a compiled single pass over case-sorted columns, see
``_fast``), which serves stored logs fast enough for an instant dashboard. ``auto`` takes ``fast``
when numba is importable and no filter is given, else ``sql``.

Fields: ``process``, ``engine``, ``time_basis`` (``waiting`` with start timestamps, else ``sojourn``),
``cases``, ``events``, ``variants``, ``throughput_time_s`` (median, mean, p90), ``activities`` (activity,
count, cases, service_time_median_s, waiting_time_median_s, queue_time_median_s (ready to start),
sojourn_time_median_s, cost_total,
cost_currency, rework_rate), ``edges`` (source, target, count, duration_mean_s, duration_median_s,
duration_p90_s), ``bottlenecks`` (rank, kind, name, waiting_total_s, share, waiting_median_s, cases,
ci_low_s, ci_high_s; top ``top``), and with ``by`` the ``periods`` (period, arrivals, completions,
wip, throughput_time_median_s).

Keys name a metric by its glossary term (``throughput_time``, ``service_time``, ``waiting_time``...),
as every JSON flowmine writes does (``flowmine check --json`` has ``throughput_time_median_s`` too).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from flowmine._params import Interval, Options, validate_params
from flowmine.analytics._bootstrap import bootstrap_totals
from flowmine.analytics._bottlenecks import BOOTSTRAP_PARAMS, EDGE_SEP, rank
from flowmine.analytics._calendar import Calendar
from flowmine.analytics._common import check_zone, in_business_time, local_us, utc_periods
from flowmine.analytics._filters import CaseFilter, kept_cases
from flowmine.analytics._flow import edge_sql
from flowmine.analytics._held import open_engine
from flowmine.analytics._log import LogLike, StoredLog
from flowmine.analytics._sql import OPENER, Engine, registered_engine
from flowmine.analytics._table import as_table, filter_cases
from flowmine.analytics._time import PERIODS
from flowmine.errors import AnalyticsError

PROFILE_ENGINES = ("auto", "sql", "fast", "spark")
ACTIVITY_FIELDS = ("activity", "count", "cases", "service_time_median_s", "waiting_time_median_s",
                   "queue_time_median_s", "sojourn_time_median_s", "cost_total", "cost_currency", "rework_rate")
EDGE_FIELDS = ("source", "target", "count", "duration_mean_s", "duration_median_s", "duration_p90_s")
BOTTLENECK_FIELDS = ("rank", "kind", "name", "waiting_total_s", "share", "waiting_median_s", "cases",
                     "ci_low_s", "ci_high_s")
PERIOD_FIELDS = ("period", "arrivals", "completions", "wip", "throughput_time_median_s")


def _clean(value: Any) -> Any:
    """JSON-ready scalar: numpy → Python, NaN → None, timestamps → ISO text."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value


def _values(col: pd.Series) -> list[Any]:
    """A column as JSON-ready Python values, cleaned per column type (a log with a million distinct
    activities has millions of cells: one ``_clean`` call per cell only where the type needs it)."""
    values = col.tolist()
    kind = col.dtype.kind
    if kind in "iub":
        return values
    if kind == "f":
        return [None if v != v else v for v in values]
    return [v if type(v) is str or v is None else _clean(v) for v in values]


def records(frame: pd.DataFrame, fields: tuple[str, ...]) -> list[dict[str, Any]]:
    cols = [_values(frame[f]) for f in fields]
    return [dict(zip(fields, row, strict=True)) for row in zip(*cols, strict=True)]


def assemble(process: str, engine: str, basis: str, cases: int, events: int, n_variants: int,
             durations: dict[str, float | None], activities: pd.DataFrame, edges: pd.DataFrame,
             bottleneck_rows: pd.DataFrame, periods: pd.DataFrame | None, top: int, tz: str = "UTC"
             ) -> dict[str, Any]:
    """Build the profile dict from engine-independent frames (both engines end here)."""
    out: dict[str, Any] = {
        "process": process, "engine": engine, "time_basis": basis, "cases": int(cases), "events": int(events),
        "variants": int(n_variants), "throughput_time_s": {k: _clean(v) for k, v in durations.items()},
        "activities": records(activities.sort_values("activity", kind="stable"), ACTIVITY_FIELDS),
        "edges": records(edges.sort_values(["count", "source", "target"], ascending=[False, True, True],
                                           kind="stable"), EDGE_FIELDS),
        "bottlenecks": records(rank(bottleneck_rows).head(top), BOTTLENECK_FIELDS),
    }
    if periods is not None:
        out["tz"] = tz  # the zone the periods start in
        out["periods"] = records(periods, PERIOD_FIELDS)
    return out


def _bottleneck_rows(eng: Engine, kind: str, name: str, expr: str, n_cases: int, total: float, n_boot: int,
                     seed: int, top: int) -> pd.DataFrame:
    """Every step (or edge) with its total and median waiting and cases, and the bootstrap interval of
    the ones that can be among the ``top`` shown."""
    with_x = (f'WITH x AS (SELECT {name} AS name, "case", {expr} / 1e6 AS v FROM inst '
              f"WHERE {expr} IS NOT NULL), items AS (SELECT name, ROW_NUMBER() OVER (ORDER BY name) - 1 "
              "AS item_idx FROM (SELECT DISTINCT name FROM x)) ")
    agg = eng.frame(
        with_x + "SELECT name, item_idx, waiting_total_s, waiting_median_s, cases FROM "
        "(SELECT name, SUM(v) AS waiting_total_s, quantile_cont(v, 0.5) AS waiting_median_s, "
        'COUNT(DISTINCT "case") AS cases FROM x GROUP BY name) JOIN items USING (name) ORDER BY item_idx')
    # intervals only for the items that can be among the ``top`` shown: an item's interval does not
    # depend on the other items, and (batch x item) totals of every item of a log with a million
    # distinct activities would not fit in memory
    shown = np.zeros(len(agg), dtype=bool)
    shown[agg.sort_values(["waiting_total_s", "name"], ascending=[False, True], kind="stable")
          .head(max(int(top), 0))["item_idx"].to_numpy(dtype=np.int64)] = True
    low, high = np.full(len(agg), np.nan), np.full(len(agg), np.nan)
    if shown.any():
        contrib = eng.arrow(
            with_x + ', cs AS (SELECT "case", ROW_NUMBER() OVER (ORDER BY "case") - 1 AS case_idx FROM cases) '
            'SELECT case_idx, item_idx, SUM(v) FROM x JOIN items USING (name) JOIN cs USING ("case") '
            "GROUP BY 1, 2")
        item = contrib.column(1).to_numpy().astype(np.int64)
        rows_in = shown[item]
        index = np.cumsum(shown) - 1  # item_idx -> position among the shown items
        lo, hi = bootstrap_totals(
            contrib.column(0).to_numpy().astype(np.int64)[rows_in], index[item[rows_in]],
            contrib.column(2).to_numpy().astype(np.float64)[rows_in], n_cases, int(shown.sum()),
            n_boot=n_boot, seed=seed)
        low[shown], high[shown] = lo, hi
    agg["kind"], agg["ci_low_s"], agg["ci_high_s"] = kind, low, high
    agg["share"] = agg["waiting_total_s"] / total if total > 0 else np.nan
    return agg


def _profile_sql(eng: Engine, process: str, by: str | None, flt: CaseFilter | None, n_boot: int,
                 seed: int, top: int, tz: str = "UTC", calendar: Calendar | None = None) -> dict[str, Any]:
    try:
        if flt is not None and not flt.is_empty():
            eng.keep_cases(kept_cases(eng, flt))
        spanned = in_business_time(eng, calendar) if calendar is not None else None
        basis = "waiting" if eng.scalar("SELECT COUNT(start_us) FROM inst") else "sojourn"
        head = eng.frame("SELECT COUNT(*) AS cases, COUNT(DISTINCT trace) AS variants, "
                         "quantile_cont(throughput_us / 1e6, 0.5) AS median, AVG(throughput_us / 1e6) AS mean, "
                         "quantile_cont(throughput_us / 1e6, 0.9) AS p90, SUM(throughput_us / 1e6) AS total FROM cases")
        events = int(eng.scalar("SELECT COUNT(*) FROM inst") or 0)  # type: ignore[call-overload]
        h = head.iloc[0]
        acts = eng.frame(
            'WITH per AS (SELECT activity, "case", COUNT(*) AS n FROM inst GROUP BY 1, 2), '
            "rw AS (SELECT activity, COUNT(*) AS cases, COUNT(*) FILTER (WHERE n > 1) / COUNT(*) AS rework_rate "
            "FROM per GROUP BY 1), "
            "cur AS (SELECT activity, COUNT(DISTINCT currency) AS k, ANY_VALUE(currency) AS c FROM inst "
            "WHERE cost IS NOT NULL GROUP BY 1), "
            'med AS (SELECT activity, COUNT(*) AS "count", '
            "quantile_cont(service_us / 1e6, 0.5) AS service_time_median_s, "
            "quantile_cont(waiting_us / 1e6, 0.5) AS waiting_time_median_s, "
            "quantile_cont(queue_us / 1e6, 0.5) AS queue_time_median_s, "
            "quantile_cont(sojourn_us / 1e6, 0.5) AS sojourn_time_median_s, SUM(cost) AS cost_sum "
            "FROM inst GROUP BY activity) "  # quantiles over one relation (see engines._translate)
            'SELECT activity, "count", rw.cases, service_time_median_s, waiting_time_median_s, queue_time_median_s, '
            "sojourn_time_median_s, CASE WHEN cur.k = 1 THEN cost_sum END AS cost_total, "
            "CASE WHEN cur.k = 1 THEN cur.c END AS cost_currency, rw.rework_rate "
            "FROM med JOIN rw USING (activity) LEFT JOIN cur USING (activity)")
        edges = eng.frame(edge_sql())
        total = float(h["total"]) if h["cases"] else 0.0
        n_cases = int(h["cases"])
        rows = [_bottleneck_rows(eng, kind, name, expr, n_cases, total, n_boot, seed, top)
                for kind, name, expr in (("activity", "activity", f"{basis}_us"),
                                         ("edge", f"prev_activity || '{EDGE_SEP}' || activity", "edge_us"))]
        periods = None
        if by is not None:
            periods = utc_periods(eng.frame(_periods_sql(by, tz)), tz)
        durations = {"median": _f(h["median"]), "mean": _f(h["mean"]), "p90": _f(h["p90"])}
        out = assemble(process, eng.name, basis, n_cases, events, int(h["variants"]), durations, acts, edges,
                       pd.concat(rows, ignore_index=True), periods, top, tz)
        if spanned is not None:  # the holidays counted are those within the log's span, not the calendar's years
            out["calendar"] = spanned.describe()
        return out
    finally:
        eng.close()


def _f(v: Any) -> float | None:
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)


def _periods_sql(by: str, tz: str = "UTC") -> str:
    return f"""
WITH c AS (SELECT date_trunc('{by}', make_timestamp({local_us("start_us", tz)})) AS a,
                  date_trunc('{by}', make_timestamp({local_us("end_us", tz)})) AS e, throughput_us FROM cases),
p AS (SELECT UNNEST(generate_series((SELECT MIN(a) FROM c), (SELECT MAX(e) FROM c), INTERVAL 1 {by})) AS period),
arr AS (SELECT a AS period, COUNT(*) AS n FROM c GROUP BY 1),
com AS (SELECT e AS period, COUNT(*) AS n, quantile_cont(throughput_us / 1e6, 0.5) AS md FROM c GROUP BY 1)
SELECT p.period, COALESCE(arr.n, 0) AS arrivals, COALESCE(com.n, 0) AS completions,
       CAST(SUM(COALESCE(arr.n, 0) - COALESCE(com.n, 0)) OVER (ORDER BY p.period ROWS UNBOUNDED PRECEDING)
       AS BIGINT) AS wip, com.md AS throughput_time_median_s
FROM p LEFT JOIN arr USING (period) LEFT JOIN com USING (period) ORDER BY p.period"""


@validate_params({"by": [Options(PERIODS), None], "engine": [Options(PROFILE_ENGINES)], "top": [Interval(int, 0, None)],
                  "n_boot": BOOTSTRAP_PARAMS["n_boot"], "seed": [int], "tz": [str], "calendar": [Calendar, None]},
                 error=AnalyticsError)
def profile(log: LogLike, by: str | None = None, filters: CaseFilter | None = None, engine: str = "auto",
            n_boot: int = 1000, seed: int = 0, top: int = 10, process: str | None = None, tz: str = "UTC",
            calendar: Calendar | None = None) -> dict[str, Any]:
    """The per-step performance profile of a log, as a JSON-ready dict (see the module docstring).

    Parameters
    ----------
    log : DataFrame, Arrow table or StoredLog
    by : {"day", "week", "month"}, optional
        Adds ``periods`` (arrivals, completions, WIP, throughput trend).
    filters : CaseFilter, optional
        Applied first; whole cases are kept.
    engine : {"auto", "sql", "fast", "spark"}
        ``spark``: the SQL engine's queries translated to Spark SQL (``flowmine.engines``, needs the
        ``spark`` extra); inside ``flowmine.engines.use_spark()``, ``auto`` and ``sql`` run on Spark too.
    n_boot, seed : int
        Bootstrap replicates and seed of the bottleneck confidence intervals.
    top : int
        Number of bottlenecks listed.
    process : str, optional
        Name shown in the profile (default: the stored process's name, else "log").
    tz : str
        IANA time zone the periods start in at midnight (weeks on Monday), e.g. a process definition's
        ``[calendar] timezone``; a case falls in the period of its local start (arrival) and end
        (completion). The profile then carries ``tz`` and each period's start in that zone.
    calendar : Calendar, optional
        Measure every duration in business time of this working calendar (working hours, holidays,
        make-up workdays; e.g. a process configuration's ``working_calendar()``) instead of elapsed
        time. The profile's ``time`` says which (``"elapsed"`` or ``"business"``) and, in business
        time, ``calendar`` describes the calendar. Runs on the SQL engine (``fast`` measures elapsed
        time only).

    Examples
    --------
    >>> from flowmine.analytics import profile, stored
    >>> p = profile(stored(STORE, "finance"))  # STORE: a store's path
    >>> p["bottlenecks"][0]["name"]
    'GM approval'
    """
    check_zone(tz, "profile")
    if calendar is not None and engine == "fast":
        raise AnalyticsError("profile(engine='fast') measures elapsed time only: use engine='sql' (or 'auto') "
                             "with a calendar")
    out = _profile(log, by, filters, engine, n_boot, seed, top, process, tz, calendar)
    out["time"] = "elapsed" if calendar is None else "business"
    if calendar is not None:
        out.setdefault("calendar", calendar.describe())
    return out


def _profile(log: LogLike, by: str | None, filters: CaseFilter | None, engine: str, n_boot: int, seed: int,
             top: int, process: str | None, tz: str, calendar: Calendar | None) -> dict[str, Any]:
    name = process or (log.process if isinstance(log, StoredLog) else "log")
    if isinstance(log, StoredLog):
        log, filters = log.where(filters), None  # a stored log carries its filters (one path for both)
    filtered = filters is not None and not filters.is_empty()
    opener = OPENER.get()
    if engine == "spark" and opener is None:
        opener = registered_engine("spark")  # declared as an entry point: analytics never imports an adapter
        if opener is None:
            raise AnalyticsError("profile(engine='spark') needs the Spark engine: import flowmine.engines")
    if opener is not None and engine in ("auto", "sql", "spark"):
        token = OPENER.set(opener)
        try:
            return _profile_sql(open_engine(log), name, by, filters, n_boot, seed, top, tz, calendar)
        finally:
            OPENER.reset(token)
    auto = engine == "auto"
    if auto and calendar is not None:
        engine = "sql"
    elif auto:
        from flowmine.analytics._fast import available

        engine = "fast" if available() and not filtered else "sql"
    if engine == "fast":
        from flowmine.analytics._fast import profile_fast
        from flowmine.errors import TooManyActivitiesError

        if filtered:
            log = filter_cases(log, filters)
        try:
            parts = profile_fast(log, _periods_sql(by, tz) if by is not None else None, n_boot=n_boot, seed=seed,
                                 tz=tz)
            return assemble(name, "fast", *parts, top, tz)
        except TooManyActivitiesError:
            if not auto:
                raise
            filters = None  # auto: too many activities for the compiled passes, SQL on the same log
    if isinstance(log, StoredLog):
        return _profile_sql(open_engine(log), name, by, None, n_boot, seed, top, tz, calendar)
    table = as_table(log, columns=None) if filtered else as_table(log)  # filters may read any attribute
    return _profile_sql(Engine(table), name, by, filters, n_boot, seed, top, tz, calendar)
