"""Any log as its canonical Arrow table; :func:`filter_cases`, which returns the rows a case filter keeps,
:func:`filter_events`, the events an event filter keeps, and :func:`check_filter`, which names what a
filter asks for that the log lacks.

A DataFrame, an Arrow table or an unfiltered stored log is converted by ``_log.canonical_table``; a
stored log with filters (``stored(...).where(...)``) is first restricted to the cases its filters
keep, decided in ``_held`` (on the held relations when the version is held, else with the same
``kept_cases`` SQL). This module sits above ``_held`` so that ``_log`` never imports it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from flowmine._schema import ACTIVITY, CASE, EVENT_ID, READY, START, TIMESTAMP
from flowmine.analytics._events import EventFilter, between_mask, event_condition
from flowmine.analytics._filters import CaseFilter, check_case_filter, kept_cases
from flowmine.analytics._held import CaseEngine, HeldEngine, filtered_table, held_of, kept_case_ids
from flowmine.analytics._log import CORE_COLUMNS, LogLike, StoredLog, canonical_table, like_input
from flowmine.analytics._sql import Engine, q, scratch


def as_table(log: LogLike, columns: Sequence[str] | None = CORE_COLUMNS) -> pa.Table:
    """The log as an Arrow table with every column of ``columns`` (all columns when None).

    Required columns (case, activity, timestamp) must exist; optional core columns are added as nulls;
    timestamps are cast to ``timestamp[us, UTC]``. A stored log with filters gives the rows of the
    cases they keep. The input is never modified.

    Examples
    --------
    >>> import pandas as pd
    >>> from flowmine.analytics import as_table
    >>> log = pd.DataFrame({"case:concept:name": ["1"], "concept:name": ["Pay"],
    ...                     "time:timestamp": pd.to_datetime(["2025-01-02 10:00"])})
    >>> as_table(log).column("time:timestamp").type
    TimestampType(timestamp[us, tz=UTC])
    """
    if isinstance(log, StoredLog) and log.filters:
        return canonical_table(filtered_table(log, columns), columns)
    held = held_of(log) if isinstance(log, StoredLog) else None
    if held is not None:  # the held (memory-mapped) table: the stored events without reading Parquet again
        table = held.table
        return canonical_table(table if columns is None else table.select(
            [c for c in columns if c in table.column_names]), columns)
    return canonical_table(log, columns)


def filter_cases(log: LogLike, flt: CaseFilter | None = None, **conditions: Any) -> Any:
    """Keep the whole cases that satisfy a :class:`CaseFilter` (or its fields given as keywords).

    Returns a DataFrame for a DataFrame, else an Arrow table, with all columns of the log; the input
    is not modified.

    Examples
    --------
    >>> from flowmine.analytics import filter_cases, stored
    >>> fin = stored(STORE, "finance")  # STORE: a store's path
    >>> slow = filter_cases(fin, duration_s=(7 * 86400, None),
    ...                     follows=("Finance review", "Revise claim"))
    >>> slow.num_rows > 0
    True
    """
    flt = flt or CaseFilter(**conditions)
    table = as_table(log, columns=None)
    if flt.is_empty():
        return like_input(log, table)
    eng = Engine(table)
    try:
        keep = kept_cases(eng, flt)
    finally:
        eng.close()
    mask = pc.is_in(table.column(CASE), value_set=keep)
    return like_input(log, table.filter(mask))


def filter_events(log: LogLike, flt: EventFilter | None = None, **conditions: Any) -> Any:
    """Keep the events that satisfy an :class:`EventFilter` (or its fields given as keywords).

    Returns a new log, a DataFrame for a DataFrame, else an Arrow table, with all columns, the events in
    their order; a case without a kept event is gone. A stored log's case filters apply first. An
    activity or column the filter names that the log lacks is an :class:`AnalyticsError` naming it with
    the closest matches.

    Examples
    --------
    >>> from flowmine.analytics import filter_events, stored, throughput_time
    >>> fin = stored(STORE, "finance")  # STORE: a store's path
    >>> two = filter_events(fin, activities=["Submit expense claim", "Finance review"])
    >>> sorted(set(two.column("concept:name").to_pylist()))
    ['Finance review', 'Submit expense claim']
    """
    flt = flt or EventFilter(**conditions)
    table = as_table(log, columns=None)
    if flt.is_empty():
        return like_input(log, table)
    con = scratch()
    try:
        con.register("ev_", table)
        acts = [a for a in con.sql(f"SELECT DISTINCT {q(ACTIVITY)} FROM ev_").to_arrow_table().column(0).to_pylist()
                if a is not None]
        where = event_condition(flt, table.column_names, [str(a) for a in acts])
        keep = con.sql(f"SELECT COALESCE({where}, FALSE) FROM ev_").to_arrow_table().column(0)
    finally:
        con.close()
    within = between_mask(flt, table)
    if within is not None:
        keep = pa.array(np.asarray(keep.to_numpy(zero_copy_only=False), dtype=bool) & within)
    return like_input(log, table.filter(keep))


def count_cases(log: LogLike) -> int:
    """How many cases ``log`` has (a filtered stored log: how many its filters keep, decided without
    the per-instance relations when no filter needs them).

    Examples
    --------
    >>> from flowmine.analytics import CaseFilter, count_cases, stored
    >>> fin = stored(STORE, "finance")  # STORE: a store's path
    >>> count_cases(fin), count_cases(fin.where(CaseFilter(top_variants=1))) < 6000
    (6000, True)
    """
    if isinstance(log, StoredLog) and log.filters:
        return len(kept_case_ids(log))
    if isinstance(log, pa.Table | pd.DataFrame) and CASE in (log.column_names if isinstance(log, pa.Table)
                                                              else log.columns):
        return int(pc.count_distinct(pa.array(log[CASE])).as_py() if isinstance(log, pd.DataFrame)
                   else pc.count_distinct(log.column(CASE)).as_py())
    return int(pc.count_distinct(as_table(log).column(CASE)).as_py())


def _frame_schema(frame: pd.DataFrame, typed: set[str]) -> pa.Schema:
    """A DataFrame's column names, with the Arrow types of ``typed`` (the others as null: unread)."""
    def kind(name: Any) -> pa.DataType:
        if name not in typed:
            return pa.null()
        try:
            return pa.Schema.from_pandas(frame[[name]], preserve_index=False).field(0).type
        except (pa.ArrowInvalid, pa.ArrowTypeError):  # mixed values: not a numeric column
            return pa.string()
    return pa.schema([pa.field(str(c), kind(c)) for c in frame.columns])


def check_filter(log: LogLike, flt: CaseFilter) -> None:
    """Raise an :class:`AnalyticsError` naming the first activity, variant or column of ``flt`` that
    ``log`` does not have (a stored log: its version, before any filter), with the closest matches.

    A typo in a filter is not an error to :func:`kept_cases` (it keeps no case); a face that reads a
    user's filter asks this first.

    Examples
    --------
    >>> from flowmine.analytics import CaseFilter, check_filter, stored
    >>> check_filter(stored(STORE, "finance"), CaseFilter(contains=["Finance reviw"]))
    Traceback (most recent call last):
    ...
    flowmine.errors.AnalyticsError: filter contains: the log has no activity 'Finance reviw'; closest: 'Finance review'
    """
    base = log.base if isinstance(log, StoredLog) else log
    held = held_of(base)
    if held is not None:
        eng: Engine = HeldEngine(held)
        schema = None
    else:  # only the columns the check reads (the activities, the variants' order), the others by name
        schema = (pq.read_schema(base.path) if isinstance(base, StoredLog) else base.schema
                  if isinstance(base, pa.Table) else _frame_schema(base, set(flt.ranges or ())))
        eng = CaseEngine(canonical_table(base, columns=[EVENT_ID, CASE, ACTIVITY, TIMESTAMP, START, READY]))
    try:
        check_case_filter(eng, flt, schema)
    finally:
        eng.close()
