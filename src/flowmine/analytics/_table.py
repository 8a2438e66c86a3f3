"""Any log as its canonical Arrow table, and :func:`filter_cases`, which returns the rows a case filter keeps.

A DataFrame, an Arrow table or an unfiltered stored log is converted by ``_log.canonical_table``; a
stored log with filters (``stored(...).where(...)``) is first restricted to the cases its filters
keep, decided in ``_held`` (on the held relations when the version is held, else with the same
``kept_cases`` SQL). This module sits above ``_held`` so that ``_log`` never imports it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from flowmine._schema import CASE
from flowmine.analytics._filters import CaseFilter, kept_cases
from flowmine.analytics._held import filtered_table
from flowmine.analytics._log import CORE_COLUMNS, LogLike, StoredLog, canonical_table, like_input
from flowmine.analytics._sql import Engine


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
