"""Case-level views the faces show: a case's timeline, the case attributes a filter can offer (text values,
numeric ranges), the cost
per case (the monitor KPI's definition) and which trend periods hold too few completions to be drawn.

They live here, behind the public API, so a page, the report and a notebook get the same rows from
the same call (the dashboard holds no SQL and no metric definition of its own).
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from flowmine._remember import remembered
from flowmine._schema import CASE, START, TIMESTAMP
from flowmine.analytics._cost import cost
from flowmine.analytics._held import case_rows, kept_case_ids, latest_time
from flowmine.analytics._log import LogLike, StoredLog
from flowmine.analytics._sql import log_order, q, scratch
from flowmine.analytics._table import as_table

#: columns added by :func:`case_timeline`
TIMELINE_COLUMNS = ("running", "shown_end")


def _relation(log: LogLike, con: Any) -> tuple[str, list[Any], list[str]]:
    """A relation over the log's events (all of its stored version's events for a stored log), its
    query parameters and its column names."""
    if isinstance(log, StoredLog):
        import pyarrow.parquet as pq

        path = log.path
        return "read_parquet(?)", [path], pq.read_schema(path).names
    table = as_table(log, columns=None)
    con.register("timeline_log_", table)
    return "timeline_log_", [], table.column_names


def case_timeline(log: LogLike, case: str) -> pd.DataFrame:
    """The events of one case in the canonical order (start, else completion; then completion,
    event_id): its steps, waits and resources, as a timeline draws them.

    Two columns are added: ``running`` (an open instance: started, completion unknown at extraction)
    and ``shown_end`` (the completion; for an open instance the end of the log, the latest time it
    holds, so it is drawn as still running). A stored log gives the events of its version whatever its
    filters (one case is asked for by its id).

    Examples
    --------
    >>> from flowmine.analytics import case_timeline, stored
    >>> steps = case_timeline(stored(STORE, "finance"), "EC-000001")  # STORE: a store's path
    >>> steps["concept:name"].tolist()[:3], bool(steps["running"].any())
    (['Submit expense claim', 'Finance review', 'GM approval'], False)
    """
    con = scratch()
    try:
        rows = case_rows(log, case) if isinstance(log, StoredLog) else None
        params: list[Any]
        if rows is not None and isinstance(log, StoredLog):  # held: the case's rows are a slice, the end is known
            con.register("timeline_case_", rows)
            source, params, names = "timeline_case_", [], rows.column_names
            latest, latest_params = "CAST(? AS TIMESTAMPTZ)", [latest_time(log)]
        else:
            source, params, names = _relation(log, con)
            latest, latest_params = None, params
        start = q(START) if START in names else "CAST(NULL AS TIMESTAMPTZ)"
        ts = q(TIMESTAMP)
        latest = latest or f"(SELECT GREATEST(MAX({ts}), MAX({start})) FROM {source})"
        return con.execute(
            f"SELECT *, {ts} IS NULL AND {start} IS NOT NULL AS running, "
            f"CASE WHEN {ts} IS NULL AND {start} IS NOT NULL THEN {latest} ELSE {ts} END AS shown_end "
            f"FROM {source} WHERE {q(CASE)} = ? ORDER BY {log_order(names)}",
            [*latest_params, *params, case]).df()
    finally:
        con.close()


def _is_text(kind: pa.DataType) -> bool:
    return bool(pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_dictionary(kind))


def attribute_values(log: LogLike, max_values: int = 200) -> dict[str, list[str]]:
    """The text case attributes (``case:*`` columns other than the case id) with at most ``max_values``
    distinct values, each with its sorted values: what a case filter can offer to choose from.

    Examples
    --------
    >>> from flowmine.analytics import attribute_values, stored
    >>> offer = attribute_values(stored(STORE, "finance"))
    >>> sorted(offer), offer["case:department"][:3]
    (['case:department', 'case:expense_type'], ['Admin', 'Finance', 'Production'])
    """
    con = scratch()
    out: dict[str, list[str]] = {}
    try:
        source, params, _ = _relation(log, con)
        if isinstance(log, StoredLog):
            import pyarrow.parquet as pq

            schema = pq.read_schema(log.path)
        else:
            schema = as_table(log, columns=None).schema
        for fld in schema:
            if not fld.name.startswith("case:") or fld.name == CASE or not _is_text(fld.type):
                continue
            col = q(fld.name)
            rows = con.execute(f"SELECT DISTINCT {col} FROM {source} WHERE {col} IS NOT NULL "
                               f"ORDER BY 1 LIMIT {int(max_values) + 1}", params).fetchall()
            if 0 < len(rows) <= max_values:
                out[fld.name] = [str(r[0]) for r in rows]
    finally:
        con.close()
    return out


def numeric_ranges(log: LogLike) -> dict[str, tuple[float, float]]:
    """The numeric case attributes (``case:*`` columns of integer or floating type, other than the case id)
    that hold a value, each with its smallest and largest value: what a range filter can offer.

    Examples
    --------
    >>> from flowmine.analytics import numeric_ranges, stored
    >>> lo, hi = numeric_ranges(stored(STORE, "finance"))["case:amount"]
    >>> 0 < lo < hi
    True
    """
    con = scratch()
    try:
        source, params, _ = _relation(log, con)
        schema = _schema(log)
        out: dict[str, tuple[float, float]] = {}
        for fld in schema:
            numeric = pa.types.is_integer(fld.type) or pa.types.is_floating(fld.type)
            if not fld.name.startswith("case:") or fld.name == CASE or not numeric:
                continue
            lo, hi = con.execute(f"SELECT MIN({q(fld.name)}), MAX({q(fld.name)}) FROM {source} "
                                 f"WHERE isfinite(CAST({q(fld.name)} AS DOUBLE))", params).fetchone() or (None, None)
            if lo is not None and hi is not None:
                out[fld.name] = (float(lo), float(hi))
    finally:
        con.close()
    return out


def _schema(log: LogLike) -> pa.Schema:
    if isinstance(log, StoredLog):
        import pyarrow.parquet as pq

        return pq.read_schema(log.path)
    return as_table(log, columns=None).schema


def case_costs(log: LogLike) -> pd.Series:
    """The cost of each case whose cost is known: the sum of its instances' cost, over the cases with at
    least one priced instance (a case with no priced step has no known cost, not zero). Indexed by case.
    The monitor's ``cost_per_case`` KPI aggregates these per period."""
    return _priced_cases(log).groupby("case")["cost_total"].sum(min_count=1)


def _priced(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["instances"] > frame["instances_unpriced"]]


def _with_ids(frame: pd.DataFrame) -> tuple[pd.DataFrame, pa.Array]:
    """A frame with its case column as an Arrow array (matched against kept ids without pandas' slow ``isin``)."""
    return frame, pa.array(frame["case"].astype(str), pa.string())


def _priced_cases(log: LogLike) -> pd.DataFrame:
    """The cases' cost rows (``cost(log, level="case")``) with at least one priced instance. A filtered
    stored log's are its version's rows of the kept cases (a filter keeps whole cases; a case's cost is
    its own), so a dashboard's every new filter restricts one table instead of costing its events again."""
    if isinstance(log, StoredLog) and log.filters:
        base = log.base
        every, ids = remembered("priced case costs", base.path, lambda: _with_ids(_priced(cost(base, level="case"))))
        keep = pc.is_in(ids, value_set=kept_case_ids(log).cast(ids.type)).to_numpy(zero_copy_only=False)
        return every[keep]
    return _priced(cost(log, level="case"))


def cost_per_case(log: LogLike) -> dict[str, Any]:
    """The cost per case: the mean of :func:`case_costs` (the monitor KPI ``cost_per_case`` with its
    default statistic, over the whole log), with its currency and the number of cases it averages.

    Returns
    -------
    dict
        ``value`` (None when no case has a known cost), ``currency`` (None unless one currency),
        ``cases``.
    """
    per = _priced_cases(log)
    costs = per.groupby("case")["cost_total"].sum(min_count=1).dropna()
    currency = per["currency"].dropna().unique()
    return {"value": float(costs.mean()) if len(costs) else None,
            "currency": str(currency[0]) if len(currency) == 1 else None, "cases": len(costs)}


#: A period's median throughput time describes the trend only when at least this many cases completed in
#: it, and at least this share of a typical period's completions: the first and last periods of a log
#: hold a few stragglers (the log starts or ends mid-process), whose median says nothing about the trend.
MIN_COMPLETIONS, MIN_COMPLETION_SHARE = 5, 0.1


def thin_periods(periods: list[dict[str, Any]] | pd.DataFrame) -> tuple[int, list[bool]]:
    """The completions a period needs for its median throughput time to describe the trend, and which
    of ``periods`` (``profile(log, by=...)["periods"]`` or ``flow(log, by=...)``) fall short.

    A period falls short with fewer than ``max(MIN_COMPLETIONS, ceil(MIN_COMPLETION_SHARE * m))``
    completions, ``m`` the median completions of the periods that have any.

    Examples
    --------
    >>> from flowmine.analytics import thin_periods
    >>> thin_periods([{"completions": n} for n in (3, 100, 120, 110, 2)])
    (10, [True, False, False, False, True])
    """
    rows = periods.to_dict("records") if isinstance(periods, pd.DataFrame) else periods
    done = sorted(int(row.get("completions") or 0) for row in rows if row.get("completions"))
    typical = done[len(done) // 2] if done else 0
    need = max(MIN_COMPLETIONS, math.ceil(MIN_COMPLETION_SHARE * typical))
    return need, [int(row.get("completions") or 0) < need for row in rows]
