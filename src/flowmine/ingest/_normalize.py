"""Normalisation: a reader's RawTable plus a Mapping becomes canonical events plus quarantine.

Vectorised over Arrow columns: each check produces a mask of failing records with a reason; all
failures are collected (not just the first) and every failing record goes to the quarantine.
Wide milestone tables are melted into one record per filled milestone cell first. Start and
complete rows of one activity instance are paired afterwards (:mod:`._lifecycle`).
"""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Final, TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from flowmine._arrow import contiguous, release_memory
from flowmine._fingerprint import sort_order, subset_order
from flowmine._schema import (
    ACTIVITY,
    CASE,
    CASE_PREFIX,
    COST,
    CURRENCY,
    QUARANTINE_SCHEMA,
    RESOURCE,
    SOURCE,
    SOURCE_ROW,
    START,
    TIMESTAMP,
    TIMESTAMP_TYPE,
    Reason,
)
from flowmine.ingest._cells import (
    MAX_EXACT_INT,
    _blank,
    _clip,
    _np,
    _rename,
    _text,
    infer_number,
    join_columns,
    parse_numbers,
)
from flowmine.ingest._duplicates import drop_duplicates
from flowmine.ingest._lifecycle import fold_lifecycle
from flowmine.ingest._mapping import ROLE_COLUMNS, Mapping, resolve_columns
from flowmine.ingest._raw import Positions, RawTable, quarantine_table
from flowmine.ingest._timestamps import ParsedTimestamps, cell_details, describe, parse_timestamps
from flowmine.ingest._xes import apply_classifier

_T = TypeVar("_T")

#: Longest text value loaded into the store; longer cells are quarantined (VALUE_TOO_LARGE).
MAX_VALUE_CHARS: Final = 1_000_000
_STRING_ROLES: Final = ("resource", "role", "currency", "quality", "lifecycle")
_DETAILS: Final = {
    Reason.MISSING_CASE: "case id is empty",
    Reason.MISSING_ACTIVITY: "activity is empty",
    Reason.MISSING_TIMESTAMP: "timestamp is empty",
    Reason.INVALID_TIMESTAMP: "not a valid timestamp in format {fmt}",
    Reason.AMBIGUOUS_TIMESTAMP: "reads only with day and month swapped against the column's format {fmt}",
    Reason.NAIVE_TIMESTAMP: "has no UTC offset while other cells do, and no time zone is declared",
    Reason.INVALID_NUMBER: "expected a number (decimal {dec!r})",
    Reason.INVALID_VALUE: "expected a value of type {typ}",
    Reason.VALUE_TOO_LARGE: f"longer than {MAX_VALUE_CHARS:,} characters",
    Reason.COMPLETE_BEFORE_START: "completion is before the start",
    Reason.DUPLICATE_EVENT: "exact duplicate of an earlier row (kept once)",
}


@dataclass
class Normalized:
    """Canonical events (file order, no event_id yet) and every quarantined record.

    ``order`` lists the rows of ``events`` sorted by (case, timestamp, row): the store's order,
    computed with the fingerprints, so a store can write a new log without sorting it again.
    """

    events: pa.Table
    quarantine: pa.Table
    rows_read: int
    rows_merged: int = 0
    format: str = ""
    notes: list[str] = field(default_factory=list)
    order: np.ndarray | None = None
    #: Lifecycle rows per ``lifecycle:transition`` value as written (what was done with them: ``notes``).
    lifecycle: dict[str, int] = field(default_factory=dict)
    duplicate_events: int = 0  # events repeating an earlier one exactly (kept unless the mapping drops them)
    flattening: dict[str, Any] = field(default_factory=dict)  # OCEL: the object type and its distortions


class _Failures:
    """Collects (mask, reason, column, values, detail) and turns them into quarantine records."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.items: list[tuple[np.ndarray, str, str | None, pa.Array | None, str | pa.Array]] = []

    def add(self, mask: np.ndarray, reason: str, column: str | None, values: pa.Array | None,
            detail: str | pa.Array) -> None:
        """``detail``: one text, or one per record (an Arrow string array as long as the table)."""
        if mask.any():
            self.items.append((mask, reason, column, values, detail))

    def any_mask(self) -> np.ndarray:
        out = np.zeros(self.n, dtype=bool)
        for m, *_ in self.items:
            out |= m
        return out

    def to_table(self, source: str, rows: pa.Array, positions: Positions | None) -> pa.Table:
        parts = []
        for mask, reason, column, values, detail in self.items:
            idx = pa.array(np.flatnonzero(mask))
            parts.append(quarantine_table(
                source, rows.take(idx), reason, detail if isinstance(detail, str) else detail.take(idx).to_pylist(),
                column=column,
                values=None if values is None else _clip(values.take(idx)),
                positions=positions.take(idx) if positions is not None else None))
        return pa.concat_tables(parts) if parts else QUARANTINE_SCHEMA.empty_table()


def _melt(raw: RawTable, mapping: Mapping, roles: dict[str, str]) -> tuple[pa.Table, pa.Array, pa.Array | None,
                                                                          dict[str, pa.Array], list[str]]:
    """Wide milestone table -> one record per filled milestone cell (row-major source order)."""
    t = raw.table
    missing = [c for c in mapping.milestones if c not in t.column_names]
    if missing:
        from flowmine.errors import MappingError

        raise MappingError(f"{raw.source}: mapping {mapping.origin} names milestone column(s) {missing}, "
                           f"but the file has {t.column_names}")
    filled = {c: ~_blank(contiguous(t.column(c))) & ~_zero_date(contiguous(t.column(c))) for c in mapping.milestones}
    none = ~np.logical_or.reduce(list(filled.values()))
    idx_parts, col_parts = [], []
    for j, c in enumerate(mapping.milestones):
        rows = np.flatnonzero(filled[c])
        idx_parts.append(rows)
        col_parts.append(np.full(rows.size, j, dtype=np.int32))
    idx_parts.append(np.flatnonzero(none))
    col_parts.append(np.full(int(none.sum()), -1, dtype=np.int32))
    idx = np.concatenate(idx_parts)
    col = np.concatenate(col_parts)
    order = np.lexsort((col, idx))
    idx, col = idx[order], col[order]
    names = list(mapping.milestones)
    parsed_ts = {c: contiguous(t.column(c)) for c in names}
    other = [c for c in t.column_names if c not in mapping.milestones and c not in mapping.drop
             and c not in mapping.milestone_resources.values()]
    take = pa.array(idx)
    long = {c: contiguous(t.column(c)).take(take) for c in other}
    acts = np.array([*mapping.milestones.values(), None], dtype=object)[col]
    long["__activity"] = pa.array(acts, pa.string())
    long["__milestone"] = pa.array(np.array([*names, ""], dtype=object)[col], pa.string())
    special: dict[str, pa.Array] = {"milestone_index": pa.array(col)}
    for j, c in enumerate(names):
        sel = col == j
        special[f"ts:{c}"] = parsed_ts[c].take(pa.array(idx[sel]))
        rescol = mapping.milestone_resources.get(c)
        if rescol:
            special[f"res:{c}"] = contiguous(t.column(rescol)).take(pa.array(idx[sel]))
    positions = pa.array(np.array([f"column {n}" for n in names] + ["(no milestone)"], dtype=object)[col],
                         pa.string())
    return pa.table(long), raw.row_numbers.take(take), positions, special, names


@dataclass
class _Build:
    """What normalising one source builds up: the canonical columns, the failures, the notes."""

    table: pa.Table
    mapping: Mapping
    roles: dict[str, str]
    src: str
    notes: list[str]
    fail: _Failures
    cols: dict[str, pa.Array] = field(default_factory=dict)

    def col(self, name: str) -> pa.Array:
        return self.table.column(name)  # chunks as read: copying them into one array costs time and memory

    def role(self, role: str) -> pa.Array:
        return self.col(self.roles[role])


def normalize(raw: RawTable, mapping: Mapping) -> Normalized:
    """Apply ``mapping`` to ``raw``; see the module docstring.

    ``raw`` is consumed: its table is emptied once the events are built, so that the source's
    text columns do not stay in memory while the events are fingerprinted and sorted.
    """
    notes = list(raw.notes)
    src = raw.source
    lifecycle_model = apply_classifier(raw, mapping, notes)
    if mapping.is_wide:
        table, rows, positions, special, names = _melt(raw, mapping, {})
        roles = resolve_columns(mapping, src, [c for c in table.column_names if not c.startswith("__")])
    else:
        if mapping.joined:
            raw.table = join_columns(raw.table, mapping, src)
        roles = resolve_columns(mapping, src, raw.table.column_names)
        table, rows, positions, special, names = raw.table, raw.row_numbers, raw.positions, {}, []
    n = table.num_rows
    b = _Build(table, mapping, roles, src, notes, _Failures(n))
    presort = _case_activity_times(b, special, names)
    _role_columns(b)
    _attribute_columns(b)
    cols, fail = b.cols, b.fail
    cols[SOURCE] = pa.DictionaryArray.from_arrays(pa.array(np.zeros(n, dtype=np.int32)), pa.array([src]))
    cols[SOURCE_ROW] = rows.cast(pa.int64())
    events = pa.table(cols)
    bad = fail.any_mask()
    quarantine = fail.to_table(src, rows, positions)
    if bad.any():
        events = events.filter(pa.array(~bad))
    rows_read = raw.rows_read + (n - raw.table.num_rows)
    # The source's own columns are done with: release them (the events keep what they share) before
    # the fingerprints and the sort, the moment of an ingest that needs the most memory.
    raw.table = raw.table.schema.empty_table()
    b.table = table = table.schema.empty_table()
    cols.clear()
    del fail, special, b
    release_memory()
    unpaired = events
    kept_positions = None if positions is None else positions.filter(pa.array(~bad)) if bad.any() else positions
    events, merged, life_q, life = fold_lifecycle(events, mapping, src, lifecycle_model, kept_positions)
    kept_order = None
    if presort is not None and events is unpaired:  # the hashing starts while the sort may still run
        kept_order = functools.partial(_kept_order, presort, ~bad)
    events, dup_q, order, duplicates = drop_duplicates(events, src, kept_order, mapping.duplicates)
    notes.extend(life.notes)
    quarantine = pa.concat_tables([raw.quarantine, quarantine, dup_q, life_q])
    return Normalized(events=events, quarantine=quarantine, rows_read=rows_read,
                      rows_merged=merged, format=raw.format, notes=notes, order=order, lifecycle=life.rows,
                      duplicate_events=duplicates, flattening=raw.flattening)


def _case_activity_times(b: _Build, special: dict[str, pa.Array], names: list[str]) -> Future[np.ndarray] | None:
    """Case, activity, completion and start columns with their checks; returns the store's order being
    sorted in the background where it is already known (not for wide tables)."""
    mapping, roles, fail, cols = b.mapping, b.roles, b.fail, b.cols
    presort: Future[np.ndarray] | None = None
    parsing = None
    if not mapping.is_wide:  # the slowest check, started first: it runs while case and activity are checked
        parsing = _in_background(_parse_time, b.role("timestamp"), mapping, roles["timestamp"], b.src)
    case = _text(b.role("case"))
    fail.add(_blank(case), Reason.MISSING_CASE, roles["case"], None, _DETAILS[Reason.MISSING_CASE])
    cols[CASE] = case
    if mapping.is_wide:
        _milestones(b, special, names)
    else:
        act = _text(b.role("activity"))
        fail.add(_blank(act), Reason.MISSING_ACTIVITY, roles["activity"], None, _DETAILS[Reason.MISSING_ACTIVITY])
        cols[ACTIVITY] = act
        cols[TIMESTAMP] = _timestamp(b.role("timestamp"), roles["timestamp"], mapping, b.src, fail, b.notes,
                                     missing=True, parsing=parsing)
        # the store's order needs only case and times: sort in the background meanwhile
        if "start_timestamp" not in roles:
            presort = _in_background(sort_order, cols[CASE], cols[TIMESTAMP])
    if "start_timestamp" in roles:
        cols[START] = _timestamp(b.role("start_timestamp"), roles["start_timestamp"], mapping, b.src, fail,
                                 b.notes, missing=False)
        if not mapping.is_wide:  # instances are ordered by start: sort once it is known
            presort = _in_background(sort_order, cols[CASE], cols[TIMESTAMP], cols[START])
    return presort


def _milestones(b: _Build, special: dict[str, pa.Array], names: list[str]) -> None:
    """A melted wide table: each record is one milestone cell; its timestamp parsed with that column's name."""
    mapping, fail, cols, n = b.mapping, b.fail, b.cols, b.table.num_rows
    act = b.col("__activity")
    none = _np(pc.is_null(act))
    fail.add(none, Reason.NO_MILESTONES, None, None,
             f"no milestone timestamp in any of {names}: the row yields no event")
    ts_type = pa.timestamp("us", tz="UTC")
    mi = special["milestone_index"].to_numpy()
    ts_np = np.zeros(n, dtype=np.int64)
    valid = np.zeros(n, dtype=bool)
    cells = np.full(n, None, dtype=object)
    res_np = np.full(n, None, dtype=object) if mapping.milestone_resources else None
    pending: list[tuple[np.ndarray, str, str, str]] = []
    for j, c in enumerate(names):
        sel = np.flatnonzero(mi == j)
        p = parse_timestamps(special[f"ts:{c}"], mapping.timestamps, c, b.src)
        b.notes.extend(x for x in p.notes if x not in b.notes)
        cells[sel] = _text(special[f"ts:{c}"]).to_pylist()
        for reason in _reasons_present(p.reasons):
            m = np.zeros(n, dtype=bool)
            m[sel[np.equal(p.reasons, reason)]] = True
            pending.append((m, str(reason), c, describe(str(reason), p.format, mapping.timestamps)))
        ok = np.asarray(p.values.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
        ts_np[sel] = pc.fill_null(p.values.cast(pa.int64()), 0).to_numpy()
        valid[sel] = ok
        if res_np is not None and f"res:{c}" in special:
            res_np[sel] = _text(special[f"res:{c}"]).to_pylist()
    cell_arr = pa.array(cells, pa.string())
    for m, reason, c, detail in pending:
        fail.add(m, reason, c, cell_arr, detail)
    ts = pa.array(ts_np, pa.int64()).cast(ts_type)
    ts = pc.if_else(pa.array(valid), ts, pa.nulls(n, ts_type))
    cols[ACTIVITY] = act
    cols[TIMESTAMP] = ts
    if res_np is not None:
        cols[RESOURCE] = pa.array(res_np, pa.string())
        b.roles.pop("resource", None)


def _role_columns(b: _Build) -> None:
    """Renamed activities, the text roles (resource, role, ...), cost and currency, completion before start."""
    mapping, roles, fail, cols = b.mapping, b.roles, b.fail, b.cols
    if mapping.activities:
        cols[ACTIVITY] = _rename(cols[ACTIVITY], mapping.activities)
    for role in _STRING_ROLES:
        if role in roles:
            cols[ROLE_COLUMNS[role]] = _text(b.role(role))
    if "cost" in roles:
        cost, bad = parse_numbers(b.role("cost"), mapping.csv.decimal, mapping.csv.thousands)
        fail.add(bad, Reason.INVALID_NUMBER, roles["cost"], b.role("cost"),
                 _DETAILS[Reason.INVALID_NUMBER].format(dec=mapping.csv.decimal))
        cols[COST] = cost
        if CURRENCY not in cols:
            if "currency" in mapping.values:
                cols[CURRENCY] = pa.array([mapping.values["currency"]] * b.table.num_rows, pa.string())
            else:
                b.notes.append("cost has no currency: declare [values] currency or map a currency column")
    if START in cols:
        before = _np(pc.less(cols[TIMESTAMP], cols[START]))
        if before.any():  # the starts' text only for a quarantine (strftime of every start costs ~1 s per 1M)
            fail.add(before, Reason.COMPLETE_BEFORE_START, roles["start_timestamp"], _text(cols[START]),
                     _DETAILS[Reason.COMPLETE_BEFORE_START])


def _attribute_columns(b: _Build) -> None:
    """Every other column as an attribute (case attributes prefixed), then the too-large check on all text."""
    mapping, fail, cols = b.mapping, b.fail, b.cols
    used = set(b.roles.values()) | set(mapping.drop) | {"__activity", "__milestone"}
    used.update(c for parts in mapping.joined.values() for c in parts)
    for name in b.table.column_names:
        if name in used:
            continue
        out_name = name if name.startswith(CASE_PREFIX) or name not in mapping.case_attributes \
            else CASE_PREFIX + name
        cols[out_name] = _attribute(b.col(name), name, mapping, fail)
    for name, arr in list(cols.items()):
        if pa.types.is_string(arr.type) and (pc.max(pc.binary_length(arr)).as_py() or 0) > MAX_VALUE_CHARS:
            long_ = _np(pc.greater(pc.utf8_length(arr), MAX_VALUE_CHARS))
            if long_.any():
                fail.add(long_, Reason.VALUE_TOO_LARGE, name, arr, _DETAILS[Reason.VALUE_TOO_LARGE])


def _zero_date(values: pa.Array) -> np.ndarray:
    """SAP's 00000000 in a milestone column: the milestone was not reached (no event, not a bad one)."""
    if not pa.types.is_string(values.type):
        return np.zeros(len(values), dtype=bool)
    from flowmine.ingest._timestamps import zero_dates

    return zero_dates(values)


def _in_background(fn: Callable[..., _T], *args: object) -> Future[_T]:
    """Run ``fn(*args)`` in a thread of its own (Arrow and DuckDB release the GIL); errors surface
    where the result is asked for. The read's limits (context variables) go along."""
    pool = ThreadPoolExecutor(max_workers=1)
    try:
        return pool.submit(contextvars.copy_context().run, fn, *args)
    finally:
        pool.shutdown(wait=False)


def _kept_order(presort: Future[np.ndarray], keep: np.ndarray) -> np.ndarray:
    return subset_order(presort.result(), keep)


def _parse_time(values: pa.Array, mapping: Mapping, name: str, src: str) -> tuple[ParsedTimestamps, np.ndarray]:
    """Parsed timestamps and the mask of empty cells."""
    p = parse_timestamps(values, mapping.timestamps, name, src)
    empty = _np(pc.is_null(values)) | _blank(values)
    return p, empty if p.zeros is None else empty | p.zeros


def _timestamp(values: pa.Array, name: str, mapping: Mapping, src: str, fail: _Failures, notes: list[str],
               missing: bool, parsing: Future[tuple[ParsedTimestamps, np.ndarray]] | None = None) -> pa.Array:
    p, empty = parsing.result() if parsing is not None else _parse_time(values, mapping, name, src)
    notes.extend(x for x in p.notes if x not in notes)
    for reason in _reasons_present(p.reasons):
        fail.add(np.equal(p.reasons, reason), reason, name, values,
                 cell_details(reason, values, p.format, mapping.timestamps))
    if missing:
        fail.add(empty, Reason.MISSING_TIMESTAMP, name, None, _DETAILS[Reason.MISSING_TIMESTAMP])
    # never a null timestamp without a reason: a filled cell that yielded none is invalid
    silent = _np(pc.is_null(p.values)) & ~empty & pd.isna(p.reasons)
    if silent.any():
        fail.add(silent, Reason.INVALID_TIMESTAMP, name, values, describe(Reason.INVALID_TIMESTAMP, p.format,
                                                                          mapping.timestamps))
    return p.values.cast(TIMESTAMP_TYPE)


def _reasons_present(reasons: np.ndarray) -> list[str]:
    return sorted(str(r) for r in pd.unique(pd.Series(reasons, dtype=object).dropna()))


def _attribute(values: pa.Array, name: str, mapping: Mapping, fail: _Failures) -> pa.Array:
    """Other columns keep their type; text columns get the declared type, or a number type when every
    value round-trips (:func:`._cells.infer_number`: ids such as 007, codes such as 1E5 and integers
    beyond 2**53 stay text exactly as written)."""
    typ = mapping.types.get(name)
    if not pa.types.is_string(values.type) and typ is None:
        if pa.types.is_floating(values.type):  # NaN means no value, as in a text column
            return pc.if_else(pc.is_nan(values), pa.nulls(len(values), values.type), values)
        return values
    if typ is None:
        typed = infer_number(values, mapping.csv.decimal, mapping.csv.thousands)
        return values if typed is None else typed
    if typ in ("float", "int"):
        nums, bad = parse_numbers(values, mapping.csv.decimal, mapping.csv.thousands)
        if typ == "int":
            x = nums.to_numpy(zero_copy_only=False)
            with np.errstate(invalid="ignore"):
                bad = bad | (~np.isnan(x) & ((x != np.round(x)) | (np.abs(x) > MAX_EXACT_INT)))
            nums = pc.if_else(pa.array(bad), pa.nulls(len(nums), pa.float64()), nums)
        fail.add(bad, Reason.INVALID_NUMBER, name, values, f"expected a number of type {typ}")
        return nums.cast(pa.int64()) if typ == "int" else nums
    if typ == "bool":
        low = pc.utf8_lower(pc.utf8_trim_whitespace(values))
        true = pc.is_in(low, pa.array(["true", "1", "yes", "y", "是"]))
        false = pc.is_in(low, pa.array(["false", "0", "no", "n", "否"]))
        fail.add(~_np(true) & ~_np(false) & ~_np(pc.is_null(values)), Reason.INVALID_VALUE, name, values,
                 "expected true or false")
        return pc.if_else(true, True, pc.if_else(false, False, pa.nulls(len(values), pa.bool_())))
    if typ == "timestamp":
        p = parse_timestamps(values, mapping.timestamps, name, "")
        for reason in _reasons_present(p.reasons):
            fail.add(np.equal(p.reasons, reason), reason, name, values, f"not a valid timestamp ({p.format})")
        return p.values
    return values
