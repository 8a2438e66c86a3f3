"""Exact duplicate events: the first is kept, later copies are quarantined (``duplicate_event``).

Runs last in normalisation, on the events that passed every other check. Fingerprints and the
store's order come from one DuckDB query (:func:`flowmine._fingerprint.fingerprint_order`);
copies of an event share its case and timestamp, so only the tie groups of that order are
searched, and the order of the kept events is handed on to the store.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa

from flowmine._fingerprint import FINGERPRINT, fingerprint_order, halves, subset_order
from flowmine._schema import (
    QUARANTINE_SCHEMA,
    SOURCE_ROW,
    Reason,
)
from flowmine.ingest._raw import quarantine_table


def drop_duplicates(events: pa.Table, src: str, order: np.ndarray | Callable[[], np.ndarray] | None = None
                    ) -> tuple[pa.Table, pa.Table, np.ndarray]:
    """Exact duplicate events (every content column equal): the first is kept, later copies quarantined.

    Adds the fingerprint column that the store uses to recognise events it already holds, and
    returns the store's order of the kept events (see :func:`fingerprint_order`; ``order``, when
    given, is that order of ``events`` or a function that waits for it): copies share case and timestamp, so
    only tie groups of that order are searched for them.
    """
    fp, order, tied = fingerprint_order(events, order)
    events = events.append_column(FINGERPRINT, fp)
    if not tied.any():  # the usual case: no two events share case and timestamp
        return events, QUARANTINE_SCHEMA.empty_table(), order
    ab = halves(fp)
    starts = ~tied
    group = np.cumsum(starts) - 1  # tie group of each sorted position
    in_tie = tied | np.append(tied[1:], False)  # sorted positions in a group of two or more
    cand = np.flatnonzero(in_tie)
    rows_at = order[cand]
    frame = pd.DataFrame({"g": group[cand], "a": ab[rows_at, 0], "b": ab[rows_at, 1]})
    dup = frame.duplicated(keep="first").to_numpy()  # within a group, sorted positions follow file order
    if not dup.any():
        return events, QUARANTINE_SCHEMA.empty_table(), order
    rows = events.column(SOURCE_ROW).to_numpy()
    firsts = pd.Series(rows_at).groupby([frame["g"], frame["a"], frame["b"]], sort=False).transform("first")
    drop = rows_at[dup]
    q = quarantine_table(src, rows[drop], Reason.DUPLICATE_EVENT,
                         [f"exact duplicate of row {int(r)} (kept once)" for r in rows[firsts.to_numpy()[dup]]])
    q = q.take(pa.array(np.argsort(drop, kind="stable")))
    keep = np.ones(events.num_rows, dtype=bool)
    keep[drop] = False
    return events.filter(pa.array(keep)), q, subset_order(order, keep)
