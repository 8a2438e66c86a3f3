"""The SQL engine: per-instance relations and group-bys in DuckDB, in portable SQL.

:func:`instances_sql` derives, for every activity instance (one row of the canonical log), the
relations all metrics build on, using only window functions that DuckDB and Spark SQL share. Every
ordering is the canonical one (:data:`ORDER`, ``SORT_KEYS`` of the store): instance time (start;
completion where no start is known; ready time where neither is), then completion (unknown last), then
event_id, so directly-follows and variants of start/complete logs are pm4py's interval DFG and Disco's
map, and timestamp ties never depend on the engine. An **open instance** (started, completion unknown)
and a kept never-started one (ready time only) are instances like any other: they count and take
their place in the order; what needs their completion is unknown (null, never zero).

``pos``
    1-based position of the instance in its case (the canonical order).
``prev_activity``, ``prev_complete_us``
    the previous instance in the case (the source of the directly-follows edge into this instance).
``enabling_us``
    completion of the enabling instance: the latest known completion, among instances earlier in the
    case order, that is not after this instance's start (unknown without a start).
``waiting_us``
    start minus enabling completion (unknown without a start or without an enabling instance).
``service_us``
    completion minus start minus the time suspended (``paused_us``; unknown without a start or a
    completion: never zero).
``queue_us``
    start minus ready time (unknown without both).
``prev_done_us``, ``sojourn_us``
    the previous completion in the case in completion order (completion, event_id), and this
    completion minus it: what is known when only completions exist (where there are no starts the
    canonical order is the completion order, so it is the previous instance's completion; with starts,
    instances that overlap never give a negative sojourn).
``edge_us``
    duration of the edge previous→this: start (completion where unknown) minus the previous
    completion, floored at 0 when the two overlap, exactly as pm4py's performance DFG.
``repetition``
    1 for the first execution of the activity in the case, 2 for the second, ...

Timestamps become integer microseconds since the epoch (``epoch_us``); that is the only dialect
function used (Spark: ``unix_micros``). Optional columns a log lacks are all-null (``canonical_table``).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from flowmine._schema import (
    ACTIVITY,
    CASE,
    COST,
    CURRENCY,
    EVENT_ID,
    OUTCOME,
    PAUSED,
    QUALITY,
    READY,
    RESOURCE,
    ROLE,
    START,
    TIMESTAMP,
)


def q(name: str) -> str:
    """Quote an identifier (log columns contain ``:``)."""
    return '"' + name.replace('"', '""') + '"'


#: The canonical order of the instances of a case over ``ev``'s columns (explicit NULLS LAST: Spark's
#: default puts nulls first).
ORDER = "COALESCE(start_us, complete_us, ready_us) NULLS LAST, complete_us NULLS LAST, event_id"


def log_order(names: Collection[str], tie: str | None = None) -> str:
    """``ORDER BY`` list of the canonical order over a raw log relation with columns ``names``: instance
    time (the first known of start, completion, ready, of those present), completion (unknown last),
    then ``tie`` (default: event_id). Unknown completions sort last by an ``IS NULL`` key, not by
    ``NULLS LAST``: Spark's ordered ``LIST`` (a sorted array of structs) has no null ordering."""
    times = [q(c) for c in (START, TIMESTAMP, READY) if c in names or c == TIMESTAMP]
    first = f"COALESCE({', '.join(times)})" if len(times) > 1 else q(TIMESTAMP)
    return f"{first}, {q(TIMESTAMP)} IS NULL, {q(TIMESTAMP)}, {tie or q(EVENT_ID)}"


def instances_sql(source: str = "log") -> str:
    """SQL of the per-instance relations over the canonical log relation ``source``."""
    return f"""
WITH ev AS (
  SELECT {q(CASE)} AS "case", {q(ACTIVITY)} AS activity, {q(EVENT_ID)} AS event_id,
         epoch_us({q(TIMESTAMP)}) AS complete_us, epoch_us({q(START)}) AS start_us,
         epoch_us({q(READY)}) AS ready_us, {q(PAUSED)} AS paused_us, {q(OUTCOME)} AS outcome,
         {q(RESOURCE)} AS resource, {q(ROLE)} AS role, {q(COST)} AS cost, {q(CURRENCY)} AS currency,
         {q(QUALITY)} AS quality
  FROM {source}
  WHERE COALESCE({q(START)}, {q(TIMESTAMP)}, {q(READY)}) IS NOT NULL
),
pos AS (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY "case" ORDER BY {ORDER}) AS pos,
         LAG(complete_us) OVER (PARTITION BY "case" ORDER BY complete_us NULLS LAST, event_id) AS prev_done_us
  FROM ev
),
points AS (
  -- starts (kind 0) and known completions (kind 1) in one stream; at equal times an earlier
  -- instance's completion precedes a start, a later instance's (and the instance's own) follows it
  SELECT "case", pos, start_us AS t, 0 AS kind, CAST(NULL AS BIGINT) AS c FROM pos WHERE start_us IS NOT NULL
  UNION ALL
  SELECT "case", pos, complete_us AS t, 1 AS kind, complete_us AS c FROM pos WHERE complete_us IS NOT NULL
),
enabling AS (
  SELECT "case", pos, en FROM (
    SELECT "case", pos, kind,
           MAX(c) OVER (PARTITION BY "case" ORDER BY t, pos, kind ROWS UNBOUNDED PRECEDING) AS en
    FROM points) p
  WHERE kind = 0
),
rel AS (
  SELECT p.*,
         LAG(activity) OVER w AS prev_activity,
         LAG(complete_us) OVER w AS prev_complete_us,
         ROW_NUMBER() OVER (PARTITION BY p."case", activity ORDER BY p.pos) AS repetition,
         e.en AS enabling_us
  FROM pos p LEFT JOIN enabling e ON p."case" = e."case" AND p.pos = e.pos
  WINDOW w AS (PARTITION BY p."case" ORDER BY p.pos)
)
SELECT "case", activity, event_id, pos, complete_us, start_us, ready_us, paused_us, outcome,
       resource, role, cost, currency, quality,
       prev_activity, prev_complete_us, prev_done_us, enabling_us,
       start_us - enabling_us AS waiting_us,
       complete_us - start_us - COALESCE(paused_us, 0) AS service_us,
       start_us - ready_us AS queue_us,
       complete_us - prev_done_us AS sojourn_us,
       CASE WHEN prev_complete_us IS NULL THEN NULL
            ELSE GREATEST(COALESCE(start_us, complete_us), prev_complete_us) - prev_complete_us END AS edge_us,
       repetition
FROM rel
"""


def cases_sql(source: str = "inst") -> str:
    """Per case: first start (first completion where no start is known), last known completion, variant."""
    return f"""
SELECT "case", MIN(COALESCE(start_us, complete_us)) AS start_us, MAX(complete_us) AS end_us,
       MAX(complete_us) - MIN(COALESCE(start_us, complete_us)) AS throughput_us,
       COUNT(*) AS instances,
       LIST(activity ORDER BY pos) AS trace,
       MAX(repetition) > 1 AS has_rework
FROM {source} GROUP BY "case"
"""


_SCRATCH: list[duckdb.DuckDBPyConnection] = []
_SCRATCH_LOCK = threading.Lock()


def scratch() -> duckdb.DuckDBPyConnection:
    """A new connection (cursor) to one process-wide in-memory DuckDB database, for small queries over
    registered Arrow tables: opening a new database costs 10-30 ms, a cursor almost nothing. What a
    cursor registers or creates as temporary is its own; close it when done."""
    with _SCRATCH_LOCK:
        if not _SCRATCH:
            _SCRATCH.append(duckdb.connect())
        return _SCRATCH[0].cursor()


class Engine:
    """A DuckDB connection with the log registered as ``log`` and its instances as ``inst``.

    The instance relation is materialised once per engine, so several metrics on one log share it.
    Other engines (``flowmine.engines``: Spark) subclass it and run the same SQL, translated.
    """

    #: the profile's ``engine`` field
    name = "sql"
    #: DuckDB connection; another engine gives an object with ``execute(sql)`` and ``register(name, frame)``
    con: Any

    def __init__(self, table: pa.Table, threads: int | None = None) -> None:
        self.con = duckdb.connect()
        # no progress bar: a long query (a million distinct activities) would draw it into the output
        # of `flowmine perf --json -`
        with contextlib.suppress(duckdb.InvalidInputException):
            self.con.execute("SET enable_progress_bar = false")
        if threads:
            self.con.execute(f"SET threads = {int(threads)}")
        self.con.register("log", table)
        self.con.execute(f"CREATE TEMP TABLE inst AS {instances_sql('log')}")
        self.con.execute(f"CREATE TEMP TABLE cases AS {cases_sql('inst')}")

    def frame(self, sql: str) -> pd.DataFrame:
        """Run ``sql`` and return a pandas frame (small: aggregates only)."""
        return self.con.sql(sql).to_arrow_table().to_pandas()

    def arrow(self, sql: str) -> pa.Table:
        return self.con.sql(sql).to_arrow_table()

    def scalar(self, sql: str) -> object:
        rows = self.con.sql(sql).fetchall()
        return rows[0][0] if rows else None

    def materialize(self) -> None:
        """Make ``inst`` and ``cases`` tables this engine may replace (they are already)."""

    def keep_cases(self, cases: pa.Array) -> None:
        """Restrict ``inst`` and ``cases`` to these case ids (a case filter)."""
        self.con.register("keep", pa.table({"case": cases}))
        self.con.execute('DELETE FROM inst WHERE "case" NOT IN (SELECT "case" FROM keep)')
        self.con.execute('DELETE FROM cases WHERE "case" NOT IN (SELECT "case" FROM keep)')

    def close(self) -> None:
        self.con.close()


#: Opens the engine the metrics run on, for a log (DataFrame, Arrow table or StoredLog); None: DuckDB
#: over the log's Arrow table. ``flowmine.engines.use_spark()`` sets it for a block.
OPENER: ContextVar[Callable[[Any], Engine] | None] = ContextVar("flowmine_engine_opener", default=None)

#: Openers of engines beyond DuckDB by name (``profile(engine="spark")``): an adapter registers its own
#: when imported (``flowmine.engines`` registers ``"spark"``), so analytics names no adapter and never
#: imports one; :func:`registered_engine` loads an adapter an installed distribution declares.
OPENERS: dict[str, Callable[[Any], Engine]] = {}
#: The entry-point group where distributions declare engine adapters (``name = "module"``; importing the
#: module registers the engine). flowmine's own pyproject declares ``spark = "flowmine.engines"``.
ENGINE_ENTRY_POINTS = "flowmine.engines"


def register_engine(name: str, opener: Callable[[Any], Engine]) -> None:
    """Make ``opener`` the engine ``name`` (an :data:`OPENER` for a log) for ``profile(engine=name)``."""
    OPENERS[name] = opener


def registered_engine(name: str) -> Callable[[Any], Engine] | None:
    """The opener registered as ``name``, loading the adapter an installed distribution declares for it
    (entry points of :data:`ENGINE_ENTRY_POINTS`) if none is registered yet; None if there is none."""
    if name not in OPENERS:
        from importlib.metadata import entry_points

        for ep in entry_points(group=ENGINE_ENTRY_POINTS, name=name):
            ep.load()  # the adapter registers itself on import
    return OPENERS.get(name)


@contextmanager
def engine(table: pa.Table) -> Iterator[Engine]:
    """An :class:`Engine` over ``table``, closed on exit."""
    eng = Engine(table)
    try:
        yield eng
    finally:
        eng.close()
