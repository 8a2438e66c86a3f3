"""What a metric accepts as a log, and how it becomes one canonical Arrow table.

Every metric takes ``log``: a pandas DataFrame or Arrow table in the canonical schema
(``docs/SCHEMA.md``), or a :class:`StoredLog` (a process of a store, read in place). Column roles are
fixed by the schema, so no metric ever asks for a case or activity column. Optional core columns that a
log lacks are added as all-null columns of their canonical type, so every query sees the same columns;
a log without ``event_id`` gets one in row order (file order breaks timestamp ties).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from flowmine._params import Options, check_params
from flowmine._schema import (
    ACTIVITY,
    CASE,
    CORE_TYPES,
    COST,
    CURRENCY,
    EVENT_ID,
    OUTCOME,
    PAUSED,
    QUALITY,
    READY,
    REQUIRED,
    RESOURCE,
    ROLE,
    START,
    TIMESTAMP,
    TIMESTAMP_TYPE,
)
from flowmine.errors import AnalyticsError
from flowmine.store import Store

#: The columns metrics read; everything else (case attributes) is read only by filters.
CORE_COLUMNS = (EVENT_ID, CASE, ACTIVITY, TIMESTAMP, START, RESOURCE, ROLE, COST, CURRENCY, QUALITY, READY, OUTCOME,
                PAUSED)



@dataclass(frozen=True)
class StoredLog:
    """A process of a store, read in place (Parquet) by the metrics, optionally restricted to the
    whole cases that pass case filters (``where``; all must hold).

    Examples
    --------
    >>> from flowmine.analytics import CaseFilter, stored, throughput_time
    >>> fin = stored(STORE, "finance")  # STORE: a store's path
    >>> march = fin.where(CaseFilter(started=("2025-03-01", "2025-04-01")))
    >>> bool(0 < throughput_time(march)["cases"][0] < throughput_time(fin)["cases"][0])
    True
    """

    store: Store
    process: str
    filters: tuple[Any, ...] = ()  # CaseFilter values, applied in order

    @property
    def path(self) -> str:
        return os.fspath(self.store.events_path(self.process))

    @property
    def base(self) -> StoredLog:
        """The same process without filters."""
        return StoredLog(self.store, self.process) if self.filters else self

    def where(self, *filters: Any) -> StoredLog:
        """This log restricted further to the whole cases that pass ``filters`` (CaseFilter values)."""
        keep = tuple(f for f in filters if f is not None and not f.is_empty())
        return StoredLog(self.store, self.process, self.filters + keep) if keep else self


LogLike: TypeAlias = pd.DataFrame | pa.Table | StoredLog


def stored(store: str | os.PathLike[str] | Store, process: str) -> StoredLog:
    """Bind a store's process as a log for the metrics (nothing is read yet)."""
    st = store if isinstance(store, Store) else Store(store, create=False)
    st.events_path(process)  # raises ProcessNotFoundError early, with the processes the store has
    return StoredLog(st, process)


def check_option(name: str, value: Any, allowed: Iterable[Any], function: str) -> None:
    """Raise the scikit-learn-style message (an :class:`AnalyticsError`) when ``value`` is not one of
    ``allowed``: the declared-parameter validator (:mod:`flowmine._params`) with one :class:`Options`."""
    check_params(function, {name: [Options(allowed)]}, {name: value}, AnalyticsError)


def canonical_table(log: LogLike, columns: Sequence[str] | None = CORE_COLUMNS) -> pa.Table:
    """An unfiltered log as an Arrow table with every column of ``columns`` (all columns when None).

    Required columns (case, activity, timestamp) must exist; optional core columns are added as nulls;
    timestamps are cast to ``timestamp[us, UTC]``. The input is never modified. A stored log with
    filters is read by :func:`flowmine.analytics.as_table` (its kept cases are decided in ``_held``).
    """
    if isinstance(log, StoredLog) and log.filters:
        raise AnalyticsError("canonical_table reads unfiltered logs; use flowmine.analytics.as_table")
    if isinstance(log, StoredLog):
        names = pq.read_schema(log.path).names
        wanted = names if columns is None else [c for c in columns if c in names]
        table = pq.read_table(log.path, columns=list(wanted))
    elif isinstance(log, pa.Table):
        table = log if columns is None else log.select([c for c in columns if c in log.column_names])
    elif isinstance(log, pd.DataFrame):
        keep = list(log.columns) if columns is None else [c for c in columns if c in log.columns]
        table = pa.Table.from_pandas(log[keep], preserve_index=False)
    else:
        raise AnalyticsError(f"log must be a pandas DataFrame, an Arrow table or flowmine.analytics.stored(...); "
                             f"got {type(log).__name__}")
    missing = [c for c in REQUIRED if c not in table.column_names]
    if missing:
        raise AnalyticsError(f"the log has no column {missing[0]!r} (required: {list(REQUIRED)}); "
                             f"it has {table.column_names[:12]}")
    if EVENT_ID not in table.column_names:
        table = table.append_column(EVENT_ID, pa.array(np.arange(table.num_rows, dtype=np.int64)))
    for name in (columns or CORE_COLUMNS):
        if name not in table.column_names and name in CORE_TYPES:
            table = table.append_column(name, pa.nulls(table.num_rows, CORE_TYPES[name]))
    for name in (TIMESTAMP, START, READY):
        if name not in table.column_names:  # a column subset without the start timestamps was asked for
            continue
        i = table.column_names.index(name)
        col = table.column(i)
        if col.type != TIMESTAMP_TYPE:
            if pa.types.is_null(col.type):
                col = pa.nulls(table.num_rows, TIMESTAMP_TYPE)
            elif pa.types.is_timestamp(col.type) and col.type.tz is None:
                col = pc.assume_timezone(col.cast(pa.timestamp("us")), "UTC").cast(TIMESTAMP_TYPE)
            else:
                col = col.cast(TIMESTAMP_TYPE, safe=False)
            table = table.set_column(i, name, col)
    for name in (CASE, ACTIVITY, RESOURCE, ROLE, CURRENCY, QUALITY, COST, OUTCOME, PAUSED):
        if name not in table.column_names:  # a column subset was asked for
            continue
        i = table.column_names.index(name)
        kind = pa.float64() if name == COST else pa.int64() if name == PAUSED else pa.string()
        if table.column(i).type != kind:
            table = table.set_column(i, name, table.column(i).cast(kind))
    return table


def like_input(log: LogLike, table: pa.Table) -> pd.DataFrame | pa.Table:
    """Return ``table`` in the input's kind: a DataFrame for a DataFrame, else an Arrow table."""
    return table.to_pandas() if isinstance(log, pd.DataFrame) else table
