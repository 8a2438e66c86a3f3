"""Exact duplicate events: kept and counted by default; dropped (``duplicate_event``) when the mapping asks.

Runs last in normalisation, on the events that passed every other check. Fingerprints and the
store's order come from one DuckDB query (:func:`flowmine._fingerprint.fingerprint_order`);
copies of an event share its case and timestamp, so only the tie groups of that order are
searched, and the order of the kept events is handed on to the store.

pm4py, Disco and bupaR keep exact duplicates (a real log may record the same step twice in the
same second), so flowmine keeps them too and says how many there are; ``[events] duplicates =
"drop"`` keeps one of each and quarantines the later copies.
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

KEEP = "keep"
DROP = "drop"


def find_duplicates(events: pa.Table, fp: pa.Array, order: np.ndarray, tied: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Rows (file positions) that repeat an earlier event exactly, and the row each repeats.

    Only tie groups of ``order`` (same case and timestamp) are searched; within a group, sorted
    positions follow file order, so the first of equal fingerprints is the earlier row."""
    if not tied.any():  # the usual case: no two events share case and timestamp
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    ab = halves(fp)
    group = np.cumsum(~tied) - 1  # tie group of each sorted position
    in_tie = tied | np.append(tied[1:], False)  # sorted positions in a group of two or more
    cand = np.flatnonzero(in_tie)
    rows_at = order[cand]
    frame = pd.DataFrame({"g": group[cand], "a": ab[rows_at, 0], "b": ab[rows_at, 1]})
    dup = frame.duplicated(keep="first").to_numpy()
    if not dup.any():
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    firsts = pd.Series(rows_at).groupby([frame["g"], frame["a"], frame["b"]], sort=False).transform("first")
    return rows_at[dup], firsts.to_numpy()[dup]


def drop_duplicates(events: pa.Table, src: str, order: np.ndarray | Callable[[], np.ndarray] | None = None,
                    policy: str = DROP) -> tuple[pa.Table, pa.Table, np.ndarray, int]:
    """Fingerprint ``events`` and find its exact duplicates (every content column equal).

    Adds the fingerprint column that the store uses to recognise events it already holds, and
    returns ``(events, quarantine, order, duplicates)``: the store's order of the returned events
    (see :func:`fingerprint_order`; ``order``, when given, is that order of ``events`` or a
    function that waits for it) and the number of events that repeat an earlier one exactly.
    With ``policy="keep"`` every copy stays and the quarantine is empty; with ``"drop"`` the
    first is kept and later copies are quarantined as ``duplicate_event``.
    """
    fp, order, tied = fingerprint_order(events, order)
    events = events.append_column(FINGERPRINT, fp)
    drop, first = find_duplicates(events, fp, order, tied)
    if policy == KEEP or not len(drop):
        return events, QUARANTINE_SCHEMA.empty_table(), order, len(drop)
    rows = events.column(SOURCE_ROW).to_numpy()
    q = quarantine_table(src, rows[drop], Reason.DUPLICATE_EVENT,
                         [f"exact duplicate of row {int(r)} (kept once)" for r in rows[first]])
    q = q.take(pa.array(np.argsort(drop, kind="stable")))
    keep = np.ones(events.num_rows, dtype=bool)
    keep[drop] = False
    return events.filter(pa.array(keep)), q, subset_order(order, keep), len(drop)
