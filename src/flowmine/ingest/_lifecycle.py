"""The XES lifecycle model: the transition rows of one activity instance become one event.

An activity instance gathers its transitions (XES lifecycle extension, standard model, any
letter case): ``schedule``/``assign``/``reassign`` give its ready time, ``start`` its start,
``suspend``/``resume`` pause it (the pauses are summed into ``paused_us``), and ``complete``,
``ate_abort``, ``pi_abort``, ``withdraw``, ``autoskip`` or ``manualskip`` end it with that outcome
(``instance:outcome``) at that transition's time (``time:timestamp``). Transitions are paired per
(case, activity[, ``concept:instance``]) first in, first out, in time order then file order, as
pm4py's ``interval_lifecycle.to_interval`` pairs starts and completions. A start that is not ended
when its case ends is an **open instance**: loaded with a null ``time:timestamp`` and outcome
``open``. Rows that belong to no started or ended instance (a schedule never followed by a start or
an end) are quarantined as ``never_started``, or kept as instances with that outcome when the
mapping says ``[lifecycle] never_started = "keep"``. The folded instance is the row of its ending
transition (of its start when open, of its first row when never started), so event ids, which follow
file order, order ties as pm4py's do; the other rows count as ``rows_merged`` and only the kept
row's attributes survive. ``pi_abort`` ends the instance of its own activity (not every instance of
the case). Values outside the standard model (BPIC 2013's ``Accepted``, ``Queued``) and empty
values leave their rows as plain events, the value kept in ``lifecycle:transition``, unless the
mapping maps them onto transitions (``[lifecycle] values``, or the older ``start``/``complete``
lists).
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from flowmine._schema import (
    ACTIVITY,
    CASE,
    LIFECYCLE,
    OUTCOME,
    PAUSED,
    QUARANTINE_SCHEMA,
    READY,
    SOURCE_ROW,
    START,
    TIMESTAMP,
    TIMESTAMP_TYPE,
    TRANSITIONS,
    Outcome,
    Reason,
)
from flowmine.ingest._mapping import Mapping
from flowmine.ingest._raw import quarantine_table

#: The XES concept extension's instance key: pairs transitions of one instance when present.
INSTANCE: Final = "concept:instance"
_READY_T: Final = ("schedule", "assign", "reassign")
_NOT_STARTED_ENDS: Final = ("withdraw", "autoskip", "manualskip")  # end a scheduled instance first
_CODE: Final = {t: i for i, t in enumerate(TRANSITIONS)}
_PLAIN: Final = -1


@dataclass
class Lifecycle:
    """What the lifecycle step did: rows per transition value as written, and the notes saying so."""

    rows: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


@dataclass(eq=False)  # instances are told apart by identity, never by their values
class _Instance:
    rows: list[int]
    ready: int | None = None
    start: int | None = None
    start_row: int = -1
    suspended_at: int | None = None
    paused: int | None = None


def transition_codes(values: pa.Array, mapping: Mapping) -> np.ndarray:
    """Index into TRANSITIONS of each row's lifecycle value, ``-1`` where it is none of them."""
    low = pc.utf8_lower(pc.utf8_trim_whitespace(values))
    table = {t: t for t in TRANSITIONS}
    table.update({v: "start" for v in mapping.lifecycle_start})
    table.update({v: "complete" for v in mapping.lifecycle_complete})
    table.update(mapping.lifecycle_values)
    keys = list(table)
    pos = pc.index_in(low, value_set=pa.array(keys, pa.string())).to_numpy(zero_copy_only=False)
    lookup = np.array([_CODE[table[k]] for k in keys] + [_PLAIN], dtype=np.int64)
    pos = np.where(np.isnan(pos.astype(float)), len(keys), pos).astype(np.int64)
    return lookup[pos]


def _first(q: deque[_Instance], started: bool | None = None) -> _Instance | None:
    for inst in q:
        if started is None or (inst.start is not None) == started:
            return inst
    return None


def fold_lifecycle(events: pa.Table, mapping: Mapping, src: str,
                   model: str | None = None) -> tuple[pa.Table, int, pa.Table, Lifecycle]:
    """Return (events, rows merged, quarantine of never-started rows, what was done).

    ``events`` keeps file order: each instance sits at the row it keeps. Without any standard
    transition other than ``complete`` the events are returned as they came (the same object).
    """
    empty = QUARANTINE_SCHEMA.empty_table()
    report = Lifecycle()
    if LIFECYCLE not in events.column_names or events.num_rows == 0:
        return events, 0, empty, report
    raw = events.column(LIFECYCLE).combine_chunks()
    if not pa.types.is_string(raw.type):
        raw = raw.cast(pa.string())
    counts = Counter(v for v in raw.to_pylist() if v is not None)
    report.rows = dict(counts)
    code = transition_codes(raw, mapping)
    plain = {v: k for v, k in counts.items() if code_of(v, mapping) == _PLAIN}
    if plain:
        listed = ", ".join(f"{v!r} ({k:,})" for v, k in sorted(plain.items(), key=lambda x: -x[1])[:8])
        report.notes.append(
            f"lifecycle values outside the XES standard model, kept as plain events with their "
            f"{LIFECYCLE}: {listed}; map them onto transitions with [lifecycle] values to fold them")
    model = model or mapping.lifecycle_model
    complete = _CODE["complete"]
    if model == "none" or not ((code != _PLAIN) & (code != complete)).any():
        return events, 0, empty, report
    return _fold(events, mapping, src, code, raw, report)


def code_of(value: str, mapping: Mapping) -> int:
    return int(transition_codes(pa.array([value], pa.string()), mapping)[0])


def _fold(events: pa.Table, mapping: Mapping, src: str, code: np.ndarray, raw: pa.Array,
          report: Lifecycle) -> tuple[pa.Table, int, pa.Table, Lifecycle]:
    n = events.num_rows
    case = events.column(CASE).to_numpy(zero_copy_only=False)
    act = events.column(ACTIVITY).to_numpy(zero_copy_only=False)
    inst_key = (events.column(INSTANCE).cast(pa.string()).to_numpy(zero_copy_only=False)
                if INSTANCE in events.column_names else None)
    ts = pc.fill_null(events.column(TIMESTAMP).cast(pa.int64()), 0).to_numpy()
    life = np.flatnonzero(code != _PLAIN)
    life = life[np.lexsort((life, ts[life], case[life]))]  # by case, time, file order
    keep = np.ones(n, dtype=bool)
    new_ts = ts.copy()
    ts_known = np.asarray(events.column(TIMESTAMP).is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    start = np.zeros(n, dtype=np.int64)
    start_known = np.zeros(n, dtype=bool)
    ready = np.zeros(n, dtype=np.int64)
    ready_known = np.zeros(n, dtype=bool)
    paused = np.zeros(n, dtype=np.int64)
    paused_known = np.zeros(n, dtype=bool)
    outcome = np.full(n, None, dtype=object)
    never: list[_Instance] = []
    ended: Counter[str] = Counter()
    queues: dict[tuple[object, ...], deque[_Instance]] = {}

    def emit(inst: _Instance, row: int, end: int | None, how: str) -> None:
        for r in inst.rows:
            keep[r] = r == row
        ts_known[row] = end is not None
        new_ts[row] = end if end is not None else 0
        if inst.start is not None:
            start[row], start_known[row] = inst.start, True
        if inst.ready is not None:
            ready[row], ready_known[row] = inst.ready, True
        if inst.paused is not None:
            paused[row], paused_known[row] = inst.paused, True
        outcome[row] = how
        ended[how] += 1

    for i in life.tolist():
        key = (case[i], act[i]) if inst_key is None else (case[i], act[i], inst_key[i])
        q = queues.setdefault(key, deque())
        t, at = TRANSITIONS[code[i]], int(ts[i])
        if t == "schedule":
            inst = _Instance([], ready=at)
            q.append(inst)
        elif t in _READY_T:  # assign, reassign: the oldest instance of the activity
            inst = _first(q) or _Instance([], ready=at)
            if not q:
                q.append(inst)
            if inst.ready is None and inst.start is None:
                inst.ready = at
        elif t == "start":
            inst = _first(q, started=False) or _Instance([])
            if inst not in q:
                q.append(inst)
            inst.start, inst.start_row = at, i
        elif t == "suspend":
            inst = next((x for x in q if x.start is not None and x.suspended_at is None), None) or _first(q) \
                or _Instance([])
            if not q:
                q.append(inst)
            if inst.suspended_at is None:
                inst.suspended_at = at
        elif t == "resume":
            inst = next((x for x in q if x.suspended_at is not None), None) or _first(q) or _Instance([])
            if not q:
                q.append(inst)
            if inst.suspended_at is not None:
                inst.paused = (inst.paused or 0) + at - inst.suspended_at
                inst.suspended_at = None
        else:  # an end: complete, ate_abort, pi_abort, withdraw, autoskip, manualskip
            first_started = t not in _NOT_STARTED_ENDS
            inst = _first(q, started=first_started) or _first(q) or _Instance([])
            if inst in q:
                q.remove(inst)
            inst.rows.append(i)
            if inst.suspended_at is not None:  # ended while suspended: paused until the end
                inst.paused = (inst.paused or 0) + at - inst.suspended_at
            emit(inst, i, at, t)
            continue
        inst.rows.append(i)
    for q in queues.values():
        for inst in q:
            if inst.start is not None:
                emit(inst, inst.start_row, None, Outcome.OPEN)
            elif mapping.lifecycle_never_started == "keep":
                emit(inst, min(inst.rows), None, Outcome.NEVER_STARTED)
            else:
                never.append(inst)
                for r in inst.rows:
                    keep[r] = False
    quarantine = _never_started(events, src, never, raw)
    merged = int(n - keep.sum()) - sum(len(x.rows) for x in never)
    _notes(report, code, raw, ended, never, merged, mapping, start_known)
    events = _with_instances(events, keep, new_ts, ts_known, start, start_known, ready, ready_known, paused,
                             paused_known, outcome)
    return events, merged, quarantine, report


def _never_started(events: pa.Table, src: str, never: list[_Instance], raw: pa.Array) -> pa.Table:
    rows = sorted(r for inst in never for r in inst.rows)
    if not rows:
        return QUARANTINE_SCHEMA.empty_table()
    idx = pa.array(rows, pa.int64())
    acts = events.column(ACTIVITY).combine_chunks().take(idx).to_pylist()
    detail = [f"{v} of {a!r} never followed by a start or an end of that activity in the case"
              for v, a in zip(raw.take(idx).to_pylist(), acts, strict=True)]
    return quarantine_table(src, events.column(SOURCE_ROW).combine_chunks().take(idx), Reason.NOT_STARTED, detail,
                            column=LIFECYCLE, values=raw.take(idx))


def _notes(report: Lifecycle, code: np.ndarray, raw: pa.Array, ended: Counter[str], never: list[_Instance],
           merged: int, mapping: Mapping, start_known: np.ndarray) -> None:
    found = Counter(int(c) for c in code[code != _PLAIN].tolist())
    listed = ", ".join(f"{TRANSITIONS[c]} {k:,}" for c, k in sorted(found.items()))
    instances = sum(ended.values())
    outcomes = ", ".join(f"{o} {k:,}" for o, k in sorted(ended.items(), key=lambda x: -x[1]))
    report.notes.append(f"lifecycle transitions: {listed} row(s) folded into {instances:,} activity instance(s) "
                        f"({merged:,} row(s) merged); outcomes: {outcomes}")
    if ended.get(Outcome.OPEN):
        report.notes.append(f"{ended[Outcome.OPEN]:,} open instance(s): started but not ended when the log was "
                            "extracted; loaded with an unknown completion time")
    if never:
        k = sum(len(x.rows) for x in never)
        report.notes.append(f"{k:,} schedule/assign row(s) of {len(never):,} instance(s) never followed by a start "
                            f"or an end: quarantined as {Reason.NOT_STARTED} (keep them with [lifecycle] "
                            'never_started = "keep")')
    if ended.get(Outcome.NEVER_STARTED):
        report.notes.append(f"{ended[Outcome.NEVER_STARTED]:,} never-started instance(s) kept (no start, no "
                            "completion; ready time only)")
    no_start = ended.get(Outcome.COMPLETE, 0) - int((start_known & (code == _CODE["complete"])).sum())
    if found.get(_CODE["start"]) and no_start > 0:
        report.notes.append(f"{no_start:,} completion(s) without a start: their start time is unknown")


def _with_instances(events: pa.Table, keep: np.ndarray, ts: np.ndarray, ts_known: np.ndarray, start: np.ndarray,
                    start_known: np.ndarray, ready: np.ndarray, ready_known: np.ndarray, paused: np.ndarray,
                    paused_known: np.ndarray, outcome: np.ndarray) -> pa.Table:
    def stamp(values: np.ndarray, known: np.ndarray) -> pa.Array:
        return pa.array(values, pa.int64(), mask=~known).cast(TIMESTAMP_TYPE)

    new_start = stamp(start, start_known)
    if START in events.column_names:  # a source column of starts wins where it has a value
        new_start = pc.coalesce(events.column(START).combine_chunks().cast(TIMESTAMP_TYPE), new_start)
        events = events.drop_columns([START])
    events = events.drop_columns([c for c in (READY, OUTCOME, PAUSED) if c in events.column_names])
    events = events.set_column(events.column_names.index(TIMESTAMP), TIMESTAMP, stamp(ts, ts_known))
    at = events.column_names.index(TIMESTAMP) + 1
    events = events.add_column(at, START, new_start)
    events = events.add_column(at + 1, READY, stamp(ready, ready_known))
    events = events.add_column(at + 2, PAUSED, pa.array(paused, pa.int64(), mask=~paused_known))
    events = events.add_column(at + 3, OUTCOME, pa.array(outcome, pa.string()))
    return events.filter(pa.array(keep))
