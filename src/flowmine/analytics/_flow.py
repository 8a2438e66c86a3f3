"""Control flow with performance: directly-follows edges, variants, and flow over time.

* **edge** A→B: B is the next instance after A in a case (the canonical order: start, completion where
  no start is known, ready time where neither is; then completion, then event_id). Its
  duration is start(B) − complete(A) (complete(B) where B's start is unknown), floored at 0 when B
  started before A completed: the numbers of pm4py's ``discover_dfg`` / ``discover_performance_dfg``.
* **variant**: the sequence of activities of a case (same order), shown joined by ``" → "``.
* **flow** per period (UTC; weeks start on Monday): arrivals (cases whose first start falls in it),
  completions (cases whose last completion does), work in progress at the period's end (cases
  arrived and not yet completed), and the throughput time of the cases completed in it.
"""

from __future__ import annotations

import pandas as pd

from flowmine.analytics._common import check_zone, declare, local_us, run, utc_periods
from flowmine.analytics._log import LogLike, check_option
from flowmine.analytics._sql import Engine
from flowmine.analytics._time import PERIODS

EDGE_COLUMNS = declare("directly_follows", "edge", (
    "source", "target", "count", "cases", "duration_total_s", "duration_mean_s", "duration_median_s",
    "duration_p90_s", "duration_min_s", "duration_max_s"))
VARIANT_COLUMNS = declare("variant_stats", "variant", (
    "variant", "length", "cases", "share", "throughput_mean_s", "throughput_median_s", "throughput_p90_s"))
FLOW_COLUMNS = declare("flow", "period", (
    "period", "arrivals", "completions", "wip", "throughput_mean_s", "throughput_median_s", "throughput_p90_s"))


def edge_sql(where: str = "") -> str:
    """Edge statistics over ``inst`` (shared with the profile)."""
    d = "edge_us / 1e6"
    return (f'SELECT prev_activity AS source, activity AS target, COUNT(*) AS "count", '
            f'COUNT(DISTINCT "case") AS cases, SUM({d}) AS duration_total_s, AVG({d}) AS duration_mean_s, '
            f"quantile_cont({d}, 0.5) AS duration_median_s, quantile_cont({d}, 0.9) AS duration_p90_s, "
            f"MIN({d}) AS duration_min_s, MAX({d}) AS duration_max_s "
            f"FROM inst WHERE prev_activity IS NOT NULL {where} GROUP BY 1, 2 "
            'ORDER BY "count" DESC, source, target')


def directly_follows(log: LogLike, level: str = "edge") -> pd.DataFrame:
    """Directly-follows edges with their frequency and duration statistics (seconds).

    Parameters
    ----------
    log : DataFrame, Arrow table or StoredLog
    level : {"edge"}

    Returns
    -------
    DataFrame
        source, target, count (edge occurrences, as ``pm4py.discover_dfg``), cases (cases with the
        edge), duration_total_s, duration_mean_s (as ``pm4py.discover_performance_dfg``'s mean),
        duration_median_s, duration_p90_s, duration_min_s, duration_max_s; most frequent first.

    Examples
    --------
    >>> from flowmine.analytics import directly_follows, stored
    >>> directly_follows(stored(STORE, "finance"))[["source", "target"]].iloc[0].tolist()  # STORE: a store's path
    ['Submit expense claim', 'Finance review']
    """
    check_option("level", level, ("edge",), "directly_follows")
    return run(log, lambda eng: eng.frame(edge_sql()), EDGE_COLUMNS)


def variant_stats(log: LogLike, level: str = "variant") -> pd.DataFrame:
    """Variants with their case count, share of cases and throughput time (seconds).

    Returns
    -------
    DataFrame
        variant (activities joined by " → "), length (instances), cases, share (of all cases),
        throughput_mean_s, throughput_median_s, throughput_p90_s; most frequent first.
    """
    check_option("level", level, ("variant",), "variant_stats")

    def build(eng: Engine) -> pd.DataFrame:
        t = "throughput_us / 1e6"
        return eng.frame(
            f"SELECT array_to_string(trace, ' → ') AS variant, len(trace) AS length, COUNT(*) AS cases, "
            f"COUNT(*) / SUM(COUNT(*)) OVER () AS share, AVG({t}) AS throughput_mean_s, "
            f"quantile_cont({t}, 0.5) AS throughput_median_s, quantile_cont({t}, 0.9) AS throughput_p90_s "
            "FROM cases GROUP BY trace ORDER BY cases DESC, variant")

    return run(log, build, VARIANT_COLUMNS)


def flow(log: LogLike, by: str = "week", tz: str = "UTC") -> pd.DataFrame:
    """Arrivals, completions and work in progress per period, with the throughput-time trend.

    Parameters
    ----------
    log : DataFrame, Arrow table or StoredLog
    by : {"day", "week", "month"}
    tz : str
        IANA time zone the periods start in (at midnight; weeks on Monday).

    Returns
    -------
    DataFrame
        period (start of the period in ``tz``), arrivals, completions, wip (cases open at the period's
        end), throughput_mean_s / _median_s / _p90_s of the cases completed in the period. Every
        period between the first arrival and the last completion has a row.
    """
    check_option("by", by, PERIODS, "flow")
    check_zone(tz, "flow")

    def build(eng: Engine) -> pd.DataFrame:
        t = "throughput_us / 1e6"
        return eng.frame(f"""
WITH c AS (SELECT date_trunc('{by}', make_timestamp({local_us("start_us", tz)})) AS a,
                  date_trunc('{by}', make_timestamp({local_us("end_us", tz)})) AS e, throughput_us FROM cases),
p AS (SELECT UNNEST(generate_series((SELECT MIN(a) FROM c), (SELECT MAX(e) FROM c), INTERVAL 1 {by})) AS period),
arr AS (SELECT a AS period, COUNT(*) AS n FROM c GROUP BY 1),
com AS (SELECT e AS period, COUNT(*) AS n, AVG({t}) AS m, quantile_cont({t}, 0.5) AS md,
               quantile_cont({t}, 0.9) AS p9 FROM c GROUP BY 1)
SELECT p.period, COALESCE(arr.n, 0) AS arrivals, COALESCE(com.n, 0) AS completions,
       CAST(SUM(COALESCE(arr.n, 0) - COALESCE(com.n, 0)) OVER (ORDER BY p.period ROWS UNBOUNDED PRECEDING)
       AS BIGINT) AS wip,
       com.m AS throughput_mean_s, com.md AS throughput_median_s, com.p9 AS throughput_p90_s
FROM p LEFT JOIN arr USING (period) LEFT JOIN com USING (period) ORDER BY p.period""")

    return utc_periods(run(log, build, FLOW_COLUMNS), tz)
