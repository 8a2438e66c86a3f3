"""The public API that every face (CLI, dashboard, notebooks) calls, so all show the same number."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from flowmine._fingerprint import FINGERPRINT
from flowmine.store import Store


def load_log(store: str | os.PathLike[str] | Store, process: str) -> pd.DataFrame:
    """A stored process as a pandas DataFrame, sorted by (case, timestamp, event_id).

    Examples
    --------
    >>> import flowmine
    >>> log = flowmine.load_log(STORE, "finance")  # STORE: a store's path, e.g. "build/store"
    >>> log[["case:concept:name", "concept:name"]].iloc[0].tolist()
    ['EC-000001', 'Submit expense claim']
    """
    st = store if isinstance(store, Store) else Store(store, create=False)
    return st.load(process)


def export_log(store: Store, process: str, out: str | os.PathLike[str], rows: pa.Table | None = None) -> int:
    """Write a stored process to ``out`` (.xes, .xes.gz, .csv or .parquet); return the event count.

    ``rows``: the events to write instead of all (a filtered log of this process, e.g.
    ``flowmine.analytics.as_table(stored(store, process).where(f), columns=None)``); only the columns
    the stored process has are written, so a filtered export has the columns of the whole one."""
    path = Path(out)
    if rows is None:
        table = store.load_table(process)
    else:
        names = pq.read_schema(store.events_path(process)).names
        table = rows.select([c for c in names if c in rows.column_names])
    table = table.drop_columns([c for c in (FINGERPRINT,) if c in table.column_names])
    name = path.name.lower()
    if name.endswith((".xes", ".xes.gz")):
        from flowmine.export import write_xes

        # Nullable dtypes keep booleans and integers with gaps as booleans and integers in XES.
        nullable = {pa.bool_(): pd.BooleanDtype(), pa.int64(): pd.Int64Dtype()}
        write_xes(table.to_pandas(types_mapper=nullable.get), path)
    elif name.endswith(".csv"):
        from flowmine.export import write_csv

        write_csv(table, path)
    else:
        from flowmine.export import write_parquet

        write_parquet(table, path)
    return table.num_rows


def summary(store: Store, process: str) -> dict[str, object]:
    """Events, cases, activities and time span of a stored process."""
    t = store.load_table(process, columns=["case:concept:name", "concept:name", "time:timestamp"])
    return {"process": process, "events": t.num_rows,
            "cases": pc.count_distinct(t.column(0)).as_py(),
            "activities": pc.count_distinct(t.column(1)).as_py(),
            "start": pc.min(t.column(2)).as_py(), "end": pc.max(t.column(2)).as_py()}
