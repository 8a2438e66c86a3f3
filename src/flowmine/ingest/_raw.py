"""What every reader hands to normalisation: the source's records, as read, before any mapping.

One protocol for every format (CSV, Excel, XES, Parquet): a reader turns a file into a
:class:`RawTable` and never interprets column roles; :mod:`flowmine.ingest._normalize` applies
the mapping. Rows the reader itself cannot read go to ``RawTable.quarantine`` with a reason,
so that ``rows_read`` always equals what is passed on plus what is quarantined.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeAlias

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from flowmine._schema import (
    Q_COLUMN,
    Q_DETAIL,
    Q_POSITION,
    Q_REASON,
    Q_ROW,
    Q_SOURCE,
    Q_VALUE,
    QUARANTINE_SCHEMA,
    QUARANTINE_VALUE_CHARS,
)


def clip_value(value: Any) -> str | None:
    """Text of a bad value, cut to a readable length for the quarantine."""
    if value is None:
        return None
    text = value if isinstance(value, str) else repr(value) if isinstance(value, bytes) else str(value)
    if len(text) > QUARANTINE_VALUE_CHARS:
        return text[:QUARANTINE_VALUE_CHARS] + f"… ({len(text)} chars)"
    return text


@dataclass
class QuarantineBuilder:
    """Collects quarantined records (every failure, not just the first) into one Arrow table."""

    source: str
    _cols: dict[str, list[Any]] = field(default_factory=lambda: {n: [] for n in QUARANTINE_SCHEMA.names})

    def add(
        self,
        row: int | None,
        reason: str,
        detail: str,
        column: str | None = None,
        value: Any = None,
        position: str | None = None,
    ) -> None:
        c = self._cols
        c[Q_SOURCE].append(self.source)
        c[Q_ROW].append(row)
        c[Q_POSITION].append(position)
        c[Q_COLUMN].append(column)
        c[Q_VALUE].append(clip_value(value))
        c[Q_REASON].append(reason)
        c[Q_DETAIL].append(detail)

    def __len__(self) -> int:
        return len(self._cols[Q_ROW])

    def to_table(self) -> pa.Table:
        return pa.table(self._cols, schema=QUARANTINE_SCHEMA)


def quarantine_table(source: str, rows: Any, reason: str, detail: str | Any, column: str | None = None,
                     values: pa.Array | None = None, positions: pa.Array | None = None) -> pa.Table:
    """Quarantine records for many rows at once: one reason, one column, per-row values/details/positions.

    ``detail`` is one text for all rows or a sequence with one per row; ``values`` are cut to a readable
    length by the caller (see :func:`clip_value`) or given as Arrow text.
    """
    row_arr = rows if isinstance(rows, pa.Array) else pa.array(rows, pa.int64())
    k = len(row_arr)
    details = pa.array([detail] * k if isinstance(detail, str) else list(detail), pa.string())
    return pa.table({
        Q_SOURCE: pa.array([source] * k, pa.string()),
        Q_ROW: row_arr.cast(pa.int64()),
        Q_POSITION: positions if positions is not None else pa.nulls(k, pa.string()),
        Q_COLUMN: pa.array([column] * k, pa.string()),
        Q_VALUE: values if values is not None else pa.nulls(k, pa.string()),
        Q_REASON: pa.array([reason] * k, pa.string()),
        Q_DETAIL: details,
    }, schema=QUARANTINE_SCHEMA)


def empty_quarantine() -> pa.Table:
    return QUARANTINE_SCHEMA.empty_table()


class TracePositions:
    """Where each XES event is, as ``"trace 3, event 2"`` (``"outside traces, event 1"``), written as text only
    for the events asked for (the quarantined ones): text for every event of a large log cost a third of a
    second, for the few records that show it. Takes and filters as an Arrow array of those texts would.

    >>> pos = TracePositions(np.array([0, 0, 1, -1]), np.array([1, 2, 1, 1]))
    >>> pos.filter(pa.array([True, False, True, True])).take(pa.array([1, 2])).to_pylist()
    ['trace 2, event 1', 'outside traces, event 1']
    """

    def __init__(self, trace: np.ndarray, event: np.ndarray) -> None:
        self.trace, self.event = trace, event  # 0-based trace index (-1: outside any), 1-based event in it

    def __len__(self) -> int:
        return len(self.trace)

    def take(self, indices: Any) -> pa.Array:
        i = np.asarray(indices.to_numpy(zero_copy_only=False) if isinstance(indices, pa.Array | pa.ChunkedArray)
                       else indices, dtype=np.int64)
        trace, event = self.trace[i], self.event[i]
        where = pc.if_else(pa.array(trace >= 0), pc.binary_join_element_wise(
            "trace ", pa.array(trace + 1).cast(pa.string()), ", event ", ""), "outside traces, event ")
        return pc.binary_join_element_wise(where, pa.array(event).cast(pa.string()), "")

    def filter(self, mask: Any) -> TracePositions:
        keep = np.asarray(mask.to_numpy(zero_copy_only=False) if isinstance(mask, pa.Array | pa.ChunkedArray)
                          else mask, dtype=bool)
        return TracePositions(self.trace[keep], self.event[keep])

    def to_pylist(self) -> list[str]:
        return self.take(np.arange(len(self))).to_pylist()

    def equals(self, other: object) -> bool:
        return isinstance(other, TracePositions) and np.array_equal(self.trace, other.trace) \
            and np.array_equal(self.event, other.event)


#: Human-readable positions of a reader's records: an Arrow text array, or XES's positions made on demand.
Positions: TypeAlias = "pa.Array | TracePositions"


@dataclass
class RawTable:
    """Records of one source as read.

    Attributes
    ----------
    source:
        The file name as the user gave it (used in every message).
    format:
        ``"csv"``, ``"xlsx"``, ``"xes"`` or ``"parquet"``.
    table:
        One row per record. Text stays text (``pa.string()``); formats with types keep them
        (XES dates become ``timestamp[us, UTC]``, ints ``int64``, floats ``float64``, booleans
        ``bool``). XES readers already use the XES keys (``case:concept:name``, ``concept:name``,
        ``time:timestamp``, ``lifecycle:transition``, trace attributes prefixed ``case:``).
    row_numbers:
        ``int64``, one per record: the row a person finds it at. CSV/Excel: spreadsheet row
        (header is row 1, first data row is row 2). Parquet: 1-based row. XES: 1-based event
        index in the file.
    positions:
        Optional human-readable positions (XES: ``"trace 3, event 5"``, as :class:`TracePositions`), or ``None``.
    quarantine:
        Records the reader could not read, in the :data:`~flowmine._schema.QUARANTINE_SCHEMA`.
    rows_read:
        Every record seen: ``len(table) + len(quarantine)``.
    notes:
        Warnings for the ingest report (e.g. "encoding detected as GB18030").
    classifiers:
        XES only: the classifiers declared in the header, name -> attribute keys.
    flattening:
        OCEL only: the object type flattened on and what flattening distorted
        (:meth:`flowmine.ingest._ocel.Flattening.counts`).
    """

    source: str
    format: str
    table: pa.Table
    row_numbers: pa.Array
    quarantine: pa.Table
    positions: Positions | None = None
    notes: list[str] = field(default_factory=list)
    classifiers: dict[str, tuple[str, ...]] = field(default_factory=dict)
    flattening: dict[str, Any] = field(default_factory=dict)

    @property
    def rows_read(self) -> int:
        return self.table.num_rows + self.quarantine.num_rows
