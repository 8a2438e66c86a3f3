"""Bottlenecks: steps and edges ranked by the total waiting time they add across cases.

For a step, the waiting of its instances (start minus enabling completion) where the log has start
timestamps, else their sojourn time (``basis`` says which). For an edge A→B, its duration (the
directly-follows duration of pm4py's performance DFG). Steps and edges are two separate ranked lists
(see :func:`rank`: a step's waiting and its incoming edge's duration are much the same time, so they are
never summed or shared together). Each row carries the total, its share of its own list's total (all
steps' waiting, or all edges' duration), the mean, median and p90, how many instances and cases
support it, and a seeded bootstrap confidence interval of the total over cases (``_bootstrap``), so a
real bottleneck can be told from noise.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from flowmine._params import Interval, Kind, check_params
from flowmine.analytics._bootstrap import bootstrap_totals
from flowmine.analytics._calendar import Calendar
from flowmine.analytics._common import EDGE_SEP, declare, run
from flowmine.analytics._log import LogLike, check_option
from flowmine.analytics._sql import Engine
from flowmine.errors import AnalyticsError

KINDS = ("activity", "edge", "both")
BOTTLENECK_COLUMNS = declare("bottlenecks", "activity", (
    "rank", "kind", "name", "basis", "waiting_total_s", "share", "waiting_mean_s", "waiting_median_s",
    "waiting_p90_s", "instances", "cases", "ci_low_s", "ci_high_s"))
COLUMNS_BY_KIND = {k: declare("bottlenecks", k, BOTTLENECK_COLUMNS) for k in KINDS}


def time_basis(eng: Engine) -> str:
    """``waiting`` where the log has any start timestamp, else ``sojourn``."""
    return "waiting" if eng.scalar("SELECT COUNT(start_us) FROM inst") else "sojourn"


def _item_sql(kind: str, basis: str) -> tuple[str, str]:
    if kind == "activity":
        return "activity", f"{basis}_us"
    return f"prev_activity || '{EDGE_SEP}' || activity", "edge_us"


def rank(rows: pd.DataFrame) -> pd.DataFrame:
    """Two ranked lists in one frame, steps (``activity``) and transitions (``edge``), never mixed.

    A step's waiting and the incoming transition's duration measure much the same time, so one list
    over both would count it twice (their shares once summed to 163 %). Each kind is therefore ranked
    on its own: ``rank`` is 1, 2, ... within the kind (largest total first, ties by name) and ``share``
    is the item's total over the total of its kind, so each list's shares sum to 100 % over all its
    items (at most 100 % over any top of it). The rows are interleaved by rank (step 1, transition 1,
    step 2, ...), so the first ``n`` rows hold the top of both lists."""
    rows = rows.sort_values(["kind", "waiting_total_s", "name"], ascending=[True, False, True], kind="stable")
    rows = rows.reset_index(drop=True)
    per_kind = rows.groupby("kind", sort=False)["waiting_total_s"]
    kind_total = per_kind.transform("sum")
    rows["share"] = (rows["waiting_total_s"] / kind_total.where(kind_total > 0)).astype(np.float64)
    rows.insert(0, "rank", (per_kind.cumcount() + 1).astype(np.int64))
    return rows.sort_values(["rank", "kind"], kind="stable").reset_index(drop=True)


#: The bootstrap's declared options (0 replicates: no interval).
BOOTSTRAP_PARAMS: dict[str, list[Kind]] = {"n_boot": [Interval(int, 0, None)],
                                           "confidence": [Interval(float, 0, 1, closed="neither")]}


def bottlenecks(log: LogLike, kind: str = "both", n_boot: int = 1000, seed: int = 0,
                confidence: float = 0.95, calendar: Calendar | None = None) -> pd.DataFrame:
    """Steps and/or edges ranked by the waiting time they add across all cases.

    Parameters
    ----------
    log : DataFrame, Arrow table or StoredLog
    kind : {"activity", "edge", "both"}
    n_boot : int
        Bootstrap replicates for the confidence interval (0: no interval).
    seed : int
        Seed of the bootstrap: the same seed gives the same interval.
    confidence : float
        Coverage of the interval (0.95: the 2.5th and 97.5th percentiles of the replicates).
    calendar : Calendar, optional
        Measure every time in business time of this working calendar (as ``profile(calendar=...)``;
        on the SQL engine: the compiled passes measure elapsed time only).

    Returns
    -------
    DataFrame
        rank (within its kind), kind ("activity"/"edge"), name (step, or "A → B"), basis ("waiting" or
        "sojourn"), waiting_total_s, share (of the total of its kind: all steps' waiting, or all edges'
        duration; each kind's shares sum to 1), waiting_mean_s, waiting_median_s,
        waiting_p90_s, instances, cases, ci_low_s, ci_high_s.

    Examples
    --------
    >>> from flowmine.analytics import bottlenecks, stored
    >>> bottlenecks(stored(STORE, "finance"), kind="activity").iloc[0]["name"]  # STORE: a store's path
    'GM approval'
    """
    check_option("kind", kind, KINDS, "bottlenecks")
    check_params("bottlenecks", BOOTSTRAP_PARAMS, {"n_boot": n_boot, "confidence": confidence}, AnalyticsError)
    fast = _fast(log, kind, n_boot, seed, confidence) if calendar is None else None
    if fast is not None:
        return fast.loc[:, list(COLUMNS_BY_KIND[kind])].reset_index(drop=True)

    def build(eng: Engine) -> pd.DataFrame:
        basis = time_basis(eng)
        frames = []
        for k in ("activity", "edge") if kind == "both" else (kind,):
            name, expr = _item_sql(k, basis)
            d = f"{expr} / 1e6"
            agg = eng.frame(
                f"SELECT '{k}' AS kind, {name} AS name, '{basis if k == 'activity' else 'edge'}' AS basis, "
                f"SUM({d}) AS waiting_total_s, AVG({d}) AS waiting_mean_s, "
                f"quantile_cont({d}, 0.5) AS waiting_median_s, quantile_cont({d}, 0.9) AS waiting_p90_s, "
                f'COUNT({expr}) AS instances, COUNT(DISTINCT "case") AS cases '
                f"FROM inst WHERE {expr} IS NOT NULL GROUP BY 2 ORDER BY 2")
            agg["share"] = np.nan  # of its kind's total: set by rank()
            contrib = eng.arrow(
                f'SELECT c.case_idx, i.item_idx, SUM({d}) AS v FROM inst JOIN '
                f'(SELECT "case", ROW_NUMBER() OVER (ORDER BY "case") - 1 AS case_idx FROM cases) c USING ("case") '
                f"JOIN (SELECT name, ROW_NUMBER() OVER (ORDER BY name) - 1 AS item_idx FROM "
                f"(SELECT DISTINCT {name} AS name FROM inst WHERE {expr} IS NOT NULL)) i ON i.name = {name} "
                f"WHERE {expr} IS NOT NULL GROUP BY 1, 2")
            n_cases = int(eng.scalar("SELECT COUNT(*) FROM cases") or 0)  # type: ignore[call-overload]
            low, high = bootstrap_totals(
                contrib.column(0).to_numpy().astype(np.int64), contrib.column(1).to_numpy().astype(np.int64),
                contrib.column(2).to_numpy().astype(np.float64), n_cases, len(agg),
                n_boot=n_boot, seed=seed, confidence=confidence)
            agg["ci_low_s"], agg["ci_high_s"] = low, high
            frames.append(agg)
        return rank(pd.concat(frames, ignore_index=True) if frames else pd.DataFrame())

    return run(log, build, COLUMNS_BY_KIND[kind], calendar)


def _fast(log: LogLike, kind: str, n_boot: int, seed: int, confidence: float) -> pd.DataFrame | None:
    """The ranked rows from the compiled passes over the log's cached columns (``_fast.bottlenecks_fast``,
    the same numbers: ``tests/test_bottlenecks_fast.py``) when they can run: numba importable, no other
    engine in force (Spark), a log with events and not too many activities; else None (SQL)."""
    from flowmine.analytics._fast import available, bottlenecks_fast
    from flowmine.analytics._sql import OPENER
    from flowmine.errors import TooManyActivitiesError

    if not available() or OPENER.get() is not None:
        return None
    try:
        rows = bottlenecks_fast(log, kind, n_boot, seed, confidence)
    except TooManyActivitiesError:
        return None
    return rank(rows) if len(rows) else None


SLOWEST_KINDS = ("activity", "edge")
SLOWEST_COLUMNS = declare("slowest_cases", "case", ("case", "kind", "name", "basis", "waiting_s", "instances",
                                                    "throughput_s"))


def slowest_cases(log: LogLike, name: str, kind: str = "activity", n: int = 20,
                  calendar: Calendar | None = None) -> pd.DataFrame:
    """The cases that wait longest at one bottleneck: the drill-down behind a row of :func:`bottlenecks`.

    Parameters
    ----------
    log : DataFrame, Arrow table or StoredLog
    name : str
        An activity, or an edge ``"A → B"`` (as :func:`bottlenecks` names it).
    kind : {"activity", "edge"}
    n : int
        How many cases (the slowest first; ties by case id).
    calendar : Calendar, optional
        Business time of this working calendar instead of elapsed time (as :func:`bottlenecks`).

    Returns
    -------
    DataFrame
        case, kind, name, basis (as :func:`bottlenecks`), waiting_s (the case's total at that step or
        edge, seconds), instances (its instances there), throughput_s (the whole case).
    """
    check_option("kind", kind, SLOWEST_KINDS, "slowest_cases")
    check_params("slowest_cases", {"n": [Interval(int, 0, None)]}, {"n": n}, AnalyticsError)
    if kind == "edge" and EDGE_SEP not in name:
        raise AnalyticsError(f"slowest_cases: an edge is named 'A{EDGE_SEP}B'; got {name!r}")

    def build(eng: Engine) -> pd.DataFrame:
        basis = time_basis(eng) if kind == "activity" else "edge"  # as bottlenecks() names it
        item, expr = _item_sql(kind, basis)
        eng.con.register("wanted_", pd.DataFrame({"name": [name]}))
        frame = eng.frame(
            f'SELECT i."case" AS "case", SUM({expr}) / 1e6 AS waiting_s, COUNT(*) AS instances, '
            f"ANY_VALUE(c.throughput_us) / 1e6 AS throughput_s FROM inst i JOIN cases c USING (\"case\") "
            f"WHERE {expr} IS NOT NULL AND {item} = (SELECT name FROM wanted_) "
            f'GROUP BY 1 ORDER BY waiting_s DESC, "case" LIMIT {int(n)}')
        frame.insert(1, "kind", kind)
        frame.insert(2, "name", name)
        frame.insert(3, "basis", basis)
        return frame

    return run(log, build, SLOWEST_COLUMNS, calendar)
