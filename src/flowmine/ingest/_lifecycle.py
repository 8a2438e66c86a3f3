"""Start/complete pairing: two lifecycle rows of one activity instance become one event.

Within a case, a ``start`` row is paired with the next ``complete`` row of the same activity
(first in, first out, in time order then source order). The pair becomes one event with
``start_timestamp`` and ``time:timestamp``. A start without a completion is quarantined
(``unmatched_start``); a completion without a start is kept with an unknown start and counted in
the notes. Rows with other lifecycle values (XES ``schedule``, ``assign``, custom statuses) are
kept as events of their own, their ``lifecycle:transition`` preserved.
"""

from __future__ import annotations

from collections import deque

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from flowmine._schema import (
    ACTIVITY,
    CASE,
    LIFECYCLE,
    QUARANTINE_SCHEMA,
    SOURCE_ROW,
    START,
    TIMESTAMP,
    Reason,
)
from flowmine.ingest._mapping import Mapping
from flowmine.ingest._raw import quarantine_table


def pair_lifecycle(events: pa.Table, mapping: Mapping, src: str) -> tuple[pa.Table, int, pa.Table, list[str]]:
    """Return (events, rows merged, quarantine of unmatched starts, notes)."""
    empty = QUARANTINE_SCHEMA.empty_table()
    if LIFECYCLE not in events.column_names or events.num_rows == 0:
        return events, 0, empty, []
    low = pc.utf8_lower(pc.utf8_trim_whitespace(events.column(LIFECYCLE).combine_chunks()))
    is_start = np.asarray(pc.fill_null(pc.is_in(low, pa.array(list(mapping.lifecycle_start))), False))
    if not is_start.any():
        return events, 0, empty, []
    is_complete = np.asarray(pc.fill_null(pc.is_in(low, pa.array(list(mapping.lifecycle_complete))), False))
    n = events.num_rows
    case = events.column(CASE).to_numpy(zero_copy_only=False)
    act = events.column(ACTIVITY).to_numpy(zero_copy_only=False)
    ts = pc.fill_null(events.column(TIMESTAMP).cast(pa.int64()), 0).to_numpy()
    order = np.lexsort((np.arange(n), ts, case))  # by case, time, file order
    start_of = np.full(n, -1, dtype=np.int64)  # complete row -> its start row
    matched = np.zeros(n, dtype=bool)
    queues: dict[tuple[object, object], deque[int]] = {}
    for i in order:
        if is_start[i]:
            queues.setdefault((case[i], act[i]), deque()).append(int(i))
        elif is_complete[i]:
            q = queues.get((case[i], act[i]))
            if q:
                s = q.popleft()
                start_of[i] = s
                matched[s] = True
    unmatched_start = is_start & ~matched
    no_start = is_complete & (start_of < 0)
    start_ts = events.column(TIMESTAMP).combine_chunks().take(pa.array(np.where(start_of >= 0, start_of, 0)))
    start_ts = pc.if_else(pa.array(start_of >= 0), start_ts, pa.nulls(n, start_ts.type))
    if START in events.column_names:
        start_ts = pc.coalesce(events.column(START).combine_chunks(), start_ts)
        events = events.drop_columns([START])
    events = events.add_column(events.column_names.index(TIMESTAMP) + 1, START, start_ts)
    keep = ~is_start
    rows = events.column(SOURCE_ROW).combine_chunks()
    idx = pa.array(np.flatnonzero(unmatched_start))
    q = quarantine_table(src, rows.take(idx), Reason.UNMATCHED_START,
                         "start with no later completion of the same activity in the case", column=LIFECYCLE,
                         values=events.column(ACTIVITY).combine_chunks().take(idx))
    notes = []
    if no_start.any():
        notes.append(f"{int(no_start.sum())} completion(s) without a start: their start time is unknown")
    merged = int(matched.sum())
    notes.append(f"{merged} start row(s) merged with their completion into one activity instance")
    return events.filter(pa.array(keep)), merged, q, notes
