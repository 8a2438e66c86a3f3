"""The case table: every case of a (filtered) log as one row, searched, sorted and paged by the engine.

A case explorer shows a page of 25 cases out of hundreds of thousands, and turns the page, sorts or
searches at every click. :func:`case_table` builds the per-case rows once per log version and filters
(held in memory, a few at a time) and answers each page with one small query over them; the search
text is a query parameter, the sort column one of the table's own columns: nothing a caller gives is
ever spliced into SQL text. :func:`case_waits` tells, for one case's timeline, the wait before each
activity instance (the glossary's waiting time) as a timeline draws it.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Collection
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from flowmine._params import Interval, validate_params
from flowmine._schema import CASE, CASE_PREFIX, START, TIMESTAMP
from flowmine.analytics._calendar import Calendar, business_duration
from flowmine.analytics._cases import case_costs
from flowmine.analytics._held import kept_case_ids, open_engine
from flowmine.analytics._log import LogLike, StoredLog
from flowmine.analytics._recent import Recent
from flowmine.analytics._sql import q, scratch
from flowmine.errors import AnalyticsError

#: The columns every case table has, before the case attributes (``case:*``, named as in the log).
CASE_TABLE_COLUMNS = ("case", "start", "end", "throughput_s", "events", "variant", "cost")
#: Largest page :func:`case_table` returns.
MAX_PAGE = 1000
#: Case tables kept in memory (per log version and filters), least recently used dropped first.
MAX_TABLES = 16
#: Memory each of the two caches (case rows, orderings) may take; about 30 MB per 100,000 cases.
MAX_BYTES = 192 << 20

#: Orderings kept (a table's matching rows for one search, sort and fitting), so a page turn is a slice.
MAX_ORDERINGS = 8
#: The hidden column a search reads: the id and the case attribute values, lower case, joined by U+001F.
SEARCHED = "searched_"

_TABLES: OrderedDict[tuple[str, str], pa.Table] = OrderedDict()
#: The unfiltered rows per version path, outside the budget above: every filtered table is taken from
#: them, so evicting them for a filtered table would rebuild them at the next filter (seconds at 10M events).
MAX_BASES = 4
_BASES: Recent[pa.Table] = Recent(MAX_BASES)
_ORDERED: OrderedDict[tuple[Any, ...], pa.Table] = OrderedDict()
_GUARD = threading.Lock()


def _attribute_columns(names: Collection[str]) -> list[str]:
    return [n for n in names if n.startswith(CASE_PREFIX) and n != CASE]


def _build(log: LogLike) -> pa.Table:
    """Every case of ``log``: start, end, throughput time, events, variant, cost and case attributes."""
    eng = open_engine(log, columns=None)
    try:
        attrs = _attribute_columns(eng.arrow("SELECT * FROM log LIMIT 0").column_names)
        picked = "".join(f", ANY_VALUE({q(a)}) AS {q(a)}" for a in attrs)
        searched = ", ".join(['c."case"', *(f"CAST(e.{q(a)} AS VARCHAR)" for a in attrs)])
        table = eng.arrow(
            'SELECT c."case", make_timestamptz(c.start_us) AS start, make_timestamptz(c.end_us) AS "end", '
            "c.throughput_us / 1e6 AS throughput_s, e.events, array_to_string(c.trace, ' → ') AS variant"
            f"{''.join(f', e.{q(a)}' for a in attrs)}, lower(concat_ws(chr(31), {searched})) AS {SEARCHED} "
            "FROM cases c JOIN "
            f'(SELECT {q(CASE)} AS "case", COUNT(*) AS events{picked} FROM log GROUP BY 1) e ON c."case" = e."case"')
    finally:
        eng.close()
    costs = case_costs(log)
    ids = table.column("case").to_pandas()
    cost = pa.array(ids.map(costs).to_numpy(dtype=float, na_value=np.nan), pa.float64(), from_pandas=True)
    return table.add_column(CASE_TABLE_COLUMNS.index("cost"), "cost", cost)


def _trim(cache: OrderedDict[Any, pa.Table], most: int) -> None:
    """Drop the least recently used tables beyond ``most`` or beyond :data:`MAX_BYTES` (the newest stays)."""
    while len(cache) > 1 and (len(cache) > most or sum(t.get_total_buffer_size() for t in cache.values()) > MAX_BYTES):
        cache.popitem(last=False)


def _key(log: StoredLog) -> tuple[str, str]:
    return log.base.path, hashlib.blake2b(repr(log.filters).encode(), digest_size=16).hexdigest()


def _rows(log: LogLike) -> pa.Table:
    """The case rows of ``log``, remembered for a stored log (a version never changes)."""
    if not isinstance(log, StoredLog):
        return _build(log)
    return _remembered(log)


def _remembered(log: StoredLog) -> pa.Table:
    """The case rows of a stored log: a filtered log's are the unfiltered rows of the cases it keeps (a
    filter keeps whole cases and every column is a case's own), so the rows are built once per version."""
    if not log.filters:
        return _base(log)
    key = _key(log)
    with _GUARD:
        if key in _TABLES:
            _TABLES.move_to_end(key)
            return _TABLES[key]
    every = _base(log.base)
    ids = every.column("case")
    table = every.filter(pc.is_in(ids, value_set=kept_case_ids(log).cast(ids.type)))
    with _GUARD:
        _TABLES[key] = table
        _trim(_TABLES, MAX_TABLES)
    return table


def _base(log: StoredLog) -> pa.Table:
    return _BASES.get(log.base.path, lambda: _build(log.base))


@validate_params({"search": [str, None], "case": [str, None], "sort": [str], "descending": [bool],
                  "offset": [Interval(int, 0, None)], "limit": [Interval(int, 1, MAX_PAGE)]}, error=AnalyticsError)
def case_table(log: LogLike, search: str | None = None, sort: str = "start", descending: bool = False,
               offset: int = 0, limit: int = 25, fitting: Collection[str] | None = None, case: str | None = None
               ) -> tuple[pd.DataFrame, int]:
    """One page of the cases of ``log``, and how many cases match the search.

    Parameters
    ----------
    log : DataFrame, Arrow table or StoredLog
        A filtered stored log (``stored(store, p).where(...)``) gives the cases its filters keep.
    search : str, optional
        Keep the cases whose id, or the value of one of their case attributes, contains this text
        (ignoring case). Empty or None: every case.
    sort : str
        A column of the table (:data:`CASE_TABLE_COLUMNS`, a case attribute, or ``fitting``); ties
        are broken by the case id, so pages never overlap. Missing values sort last.
    descending : bool
    offset, limit : int
        The page: ``limit`` rows (at most :data:`MAX_PAGE`) from row ``offset`` of the sorted cases.
    fitting : collection of str, optional
        Ids of the conforming cases (``ConformanceReport.conforming_cases()[0]``): adds a bool column
        ``fitting`` (the case replays fully on the reference model).
    case : str, optional
        Keep only the case with exactly this id (its row, for a case page).

    Returns
    -------
    (DataFrame, int)
        The page with columns ``case``, ``start``, ``end`` (UTC), ``throughput_s``, ``events`` (events
        of the case in the log), ``variant`` (activities joined by " → "), ``cost`` (sum of its
        instances' cost, NaN when none is priced, as :func:`case_costs`), the case attributes, and
        ``fitting`` when given; and the number of matching cases (all pages).

    Examples
    --------
    >>> from flowmine.analytics import case_table, stored
    >>> page, total = case_table(stored(STORE, "finance"), search="EC-00000", sort="case", limit=3)
    >>> page["case"].tolist(), total
    (['EC-000001', 'EC-000002', 'EC-000003'], 9)
    """
    rows = _rows(log)
    columns = [*(n for n in rows.column_names if n != SEARCHED), *(["fitting"] if fitting is not None else [])]
    if sort not in columns:
        raise AnalyticsError(f"case_table: sort must be one of the table's columns {columns}; got {sort!r}")
    fit = None if fitting is None else tuple(fitting)  # the ids themselves key an ordering (a list may change)
    memo = (*_key(log), search or "", sort, descending, fit) if isinstance(log, StoredLog) and case is None else None
    ordered = _ordered(rows, memo, search, sort, descending, fit, case)
    frame = ordered.slice(offset, limit).to_pandas()
    for col in ("start", "end"):  # UTC by name, whatever the engine's session zone is called
        frame[col] = pd.to_datetime(frame[col], utc=True)
    return frame, ordered.num_rows


def _ordered(rows: pa.Table, memo: tuple[Any, ...] | None, search: str | None, sort: str, descending: bool,
             fit: tuple[Any, ...] | None, case: str | None) -> pa.Table:
    """The rows that match, in the asked order (remembered under ``memo`` when given)."""
    if memo is not None:
        with _GUARD:
            if memo in _ORDERED:
                _ORDERED.move_to_end(memo)
                return _ORDERED[memo]
    con = scratch()
    try:
        con.register("case_rows_", rows)
        source = "case_rows_"
        if fit is not None:
            con.register("fitting_", pa.table({"case": pa.array([str(c) for c in fit], pa.string())}))
            source = '(SELECT r.*, r."case" IN (SELECT "case" FROM fitting_) AS fitting FROM case_rows_ r)'
        where, params = ("TRUE", []) if not search else (f"contains({SEARCHED}, lower(?))",
                                                         [search.replace(chr(31), "")])
        if case is not None:
            where, params = f'{where} AND "case" = ?', [*params, case]
        order = f'{q(sort)} {"DESC" if descending else "ASC"} NULLS LAST, "case"'
        table = con.sql(f"SELECT * EXCLUDE ({SEARCHED}) FROM {source} WHERE {where} ORDER BY {order}",
                        params=params).to_arrow_table()
    finally:
        con.close()
    if memo is not None:
        with _GUARD:
            _ORDERED[memo] = table
            _trim(_ORDERED, MAX_ORDERINGS)
    return table


def case_waits(timeline: pd.DataFrame, calendar: Calendar | None = None) -> pd.DataFrame:
    """The wait before each activity instance of one case, from its timeline (:func:`case_timeline`).

    The wait of an instance runs from the completion of the instance that enabled it (the latest
    completion of another instance at or before its start) to its start: the glossary's waiting time.
    An instance without a start waits until its completion (its sojourn time, labelled so by the
    caller). Instances nothing completed before, and zero waits, are left out. With ``calendar``,
    ``wait_s`` is business time of that working calendar (a wait of no business time is kept: it
    still shows when the case waited).

    Returns
    -------
    DataFrame
        One row per wait: ``position`` (the instance's row in the timeline), ``from``, ``to`` (UTC)
        and ``wait_s``, ``sojourn`` (True when the instance has no start).

    Examples
    --------
    >>> import pandas as pd
    >>> from flowmine.analytics import case_waits
    >>> t = pd.to_datetime(["2025-01-01 09:00", "2025-01-01 10:00", "2025-01-01 13:00"], utc=True)
    >>> tl = pd.DataFrame({"start_timestamp": [t[0], t[2]], "time:timestamp": [t[1], t[2]]})
    >>> case_waits(tl)[["position", "wait_s"]].to_dict("records")
    [{'position': 1, 'wait_s': 10800.0}]
    """
    cols = ["position", "from", "to", "wait_s", "sojourn"]
    done = pd.to_datetime(timeline[TIMESTAMP], utc=True)
    begun = (pd.to_datetime(timeline[START], utc=True) if START in timeline
             else pd.Series(pd.NaT, index=timeline.index, dtype="datetime64[ns, UTC]"))
    # the same comparisons on the instants as integers (nanoseconds; unknown ones never enable)
    d, d_ok = pd.DatetimeIndex(done).as_unit("ns").asi8, ~done.isna().to_numpy()
    b, b_ok = pd.DatetimeIndex(begun).as_unit("ns").asi8, ~begun.isna().to_numpy()
    rows = []
    for i in range(len(timeline)):
        started = bool(b_ok[i])
        if not started and not d_ok[i]:
            continue
        own = b[i] if started else d[i]
        # at equal times an earlier instance's completion comes before this start, a later one's after
        # it (the engine's order); an instance without a start waits on the earlier completions only
        before = np.flatnonzero(d_ok[:i] & (d[:i] <= own))
        after = np.flatnonzero(d_ok[i + 1:] & (d[i + 1:] < own)) + i + 1 if started else before[:0]
        enabling = np.concatenate([before, after])
        if enabling.size == 0:
            continue
        j = int(enabling[np.argmax(d[enabling])])
        if d[j] >= own:
            continue
        to = begun.iloc[i] if started else done.iloc[i]
        rows.append({"position": i, "from": done.iloc[j], "to": to,
                     "wait_s": (to - done.iloc[j]).total_seconds(), "sojourn": not started})
    out = pd.DataFrame(rows, columns=cols)
    if calendar is not None and len(out):
        micros = [pd.DatetimeIndex(out[c]).as_unit("us").asi8 for c in ("from", "to")]
        out["wait_s"] = business_duration(micros[0], micros[1], calendar)
    return out
