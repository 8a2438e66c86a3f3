"""Quality: rework, failed checks, first-pass yield and loop-backs.

* **rework** of a step: it is executed more than once in a case; the step's rework rate = cases with
  ≥2 executions / cases with ≥1.
* **defect rate** of a step: failed checks / checks, where a check is an instance with a quality outcome
  (``quality:outcome``) and a failure is an outcome in ``failed`` (case-insensitive; default ``fail``).
* **first-pass yield**: share of cases with no rework and no failed check.
* **loop-back share**: share of cases that return to a step already executed (a case with rework).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from flowmine.analytics._common import declare, run
from flowmine.analytics._log import LogLike, check_option
from flowmine.analytics._sql import Engine

REWORK = {
    "log": declare("rework", "log", ("cases", "cases_with_rework", "rework_rate", "executions",
                                     "repeated_executions")),
    "case": declare("rework", "case", ("case", "executions", "repeated_executions", "steps_repeated")),
    "activity": declare("rework", "activity", ("activity", "cases", "cases_with_rework", "rework_rate",
                                               "executions", "repeated_executions")),
}
QUALITY = {
    "log": declare("quality", "log", ("cases", "checks", "failed", "defect_rate", "cases_with_rework",
                                      "cases_with_failed_check", "first_pass_yield", "loop_back_share")),
    "activity": declare("quality", "activity", ("activity", "checks", "failed", "defect_rate", "rework_rate")),
}


def rework(log: LogLike, level: str = "activity") -> pd.DataFrame:
    """Rework: executions of a step beyond the first in a case.

    Returns
    -------
    DataFrame
        ``activity``: activity, cases (with ≥1 execution), cases_with_rework (≥2), rework_rate,
        executions, repeated_executions; ``case``: case, executions, repeated_executions,
        steps_repeated; ``log``: cases, cases_with_rework, rework_rate (share of cases), executions,
        repeated_executions.

    Examples
    --------
    >>> from flowmine.analytics import rework, stored
    >>> rework(stored(STORE, "finance"), level="log")["cases"].tolist()  # STORE: a store's path
    [6000]
    """
    check_option("level", level, REWORK, "rework")

    def build(eng: Engine) -> pd.DataFrame:
        per = ('SELECT "case", activity, COUNT(*) AS n FROM inst GROUP BY 1, 2')
        if level == "activity":
            return eng.frame(f"SELECT activity, COUNT(*) AS cases, COUNT(*) FILTER (WHERE n > 1) AS cases_with_rework, "
                             f"COUNT(*) FILTER (WHERE n > 1) / COUNT(*) AS rework_rate, SUM(n) AS executions, "
                             f"SUM(n - 1) AS repeated_executions FROM ({per}) GROUP BY 1 "
                             "ORDER BY rework_rate DESC, activity")
        case = (f'SELECT "case", SUM(n) AS executions, SUM(n - 1) AS repeated_executions, '
                f'COUNT(*) FILTER (WHERE n > 1) AS steps_repeated FROM ({per}) GROUP BY 1')
        if level == "case":
            return eng.frame(case + ' ORDER BY "case"')
        return eng.frame(f"SELECT COUNT(*) AS cases, COUNT(*) FILTER (WHERE steps_repeated > 0) AS cases_with_rework, "
                         f"COUNT(*) FILTER (WHERE steps_repeated > 0) / NULLIF(COUNT(*), 0) AS rework_rate, "
                         f"COALESCE(SUM(executions), 0) AS executions, "
                         f"COALESCE(SUM(repeated_executions), 0) AS repeated_executions FROM ({case})")

    frame = run(log, build, REWORK[level])
    return frame.astype({c: "int64" for c in frame.columns if c.endswith(("executions", "cases", "repeated"))})


def _failed_sql(failed: Sequence[str]) -> str:
    values = ", ".join("'" + v.strip().lower().replace("'", "''") + "'" for v in failed) or "NULL"
    return f"lower(trim(quality)) IN ({values})"


def quality(log: LogLike, level: str = "activity", failed: Sequence[str] = ("fail",)) -> pd.DataFrame:
    """Defect (failed-check) rate, rework rate, first-pass yield and loop-back share.

    Parameters
    ----------
    log : DataFrame, Arrow table or StoredLog
    level : {"activity", "log"}
    failed : sequence of str
        Quality outcomes that count as a failed check (case-insensitive).

    Returns
    -------
    DataFrame
        ``activity``: activity, checks, failed, defect_rate (NaN without checks), rework_rate;
        ``log``: cases, checks, failed, defect_rate, cases_with_rework, cases_with_failed_check,
        first_pass_yield, loop_back_share.
    """
    check_option("level", level, QUALITY, "quality")
    bad = _failed_sql(failed)

    def build(eng: Engine) -> pd.DataFrame:
        if level == "activity":
            return eng.frame(
                f'WITH per AS (SELECT "case", activity, COUNT(*) AS n FROM inst GROUP BY 1, 2), '
                f"rw AS (SELECT activity, COUNT(*) FILTER (WHERE n > 1) / COUNT(*) AS rework_rate FROM per GROUP BY 1) "
                f"SELECT activity, COUNT(quality) AS checks, COUNT(*) FILTER (WHERE {bad}) AS failed, "
                f"COUNT(*) FILTER (WHERE {bad}) / NULLIF(COUNT(quality), 0) AS defect_rate, ANY_VALUE(rw.rework_rate) "
                f"AS rework_rate FROM inst JOIN rw USING (activity) GROUP BY activity "
                f"ORDER BY defect_rate DESC NULLS LAST, rework_rate DESC, activity")
        return eng.frame(
            f'WITH c AS (SELECT "case", MAX(repetition) > 1 AS rw, COUNT(*) FILTER (WHERE {bad}) > 0 AS bad, '
            f"COUNT(quality) AS checks, COUNT(*) FILTER (WHERE {bad}) AS failed FROM inst GROUP BY 1) "
            f"SELECT COUNT(*) AS cases, COALESCE(SUM(checks), 0) AS checks, COALESCE(SUM(failed), 0) AS failed, "
            f"SUM(failed) / NULLIF(SUM(checks), 0) AS defect_rate, COUNT(*) FILTER (WHERE rw) AS cases_with_rework, "
            f"COUNT(*) FILTER (WHERE bad) AS cases_with_failed_check, "
            f"COUNT(*) FILTER (WHERE NOT rw AND NOT bad) / NULLIF(COUNT(*), 0) AS first_pass_yield, "
            f"COUNT(*) FILTER (WHERE rw) / NULLIF(COUNT(*), 0) AS loop_back_share FROM c")

    frame = run(log, build, QUALITY[level])
    ints = [c for c in ("cases", "checks", "failed", "cases_with_rework", "cases_with_failed_check") if c in frame]
    return frame.astype({c: "int64" for c in ints})
