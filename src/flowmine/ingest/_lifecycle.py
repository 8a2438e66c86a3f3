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
row's attributes survive. ``pi_abort`` aborts the process instance: it ends the instance of its own
activity and every other started, not yet ended instance of the case at its time, with outcome
``pi_abort`` (those keep their start row); instances scheduled but not started stay never started.
Values outside the standard model (BPIC 2013's ``Accepted``, ``Queued``) and empty values leave
their rows as plain events, the value kept in ``lifecycle:transition``, unless the mapping maps them
onto transitions (``[lifecycle] values``, or the older ``start``/``complete`` lists).
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import pandas as pd
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
from flowmine.ingest._raw import Positions, quarantine_table

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


def fold_lifecycle(events: pa.Table, mapping: Mapping, src: str, model: str | None = None,
                   positions: Positions | None = None) -> tuple[pa.Table, int, pa.Table, Lifecycle]:
    """Return (events, rows merged, quarantine of never-started rows, what was done).

    ``model`` overrides the mapping's ``[lifecycle] model``; ``positions`` (one per event, e.g. XES's
    ``trace 3, event 5``) are copied into the quarantine records.

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
    counts = {d["values"]: d["counts"] for d in pc.value_counts(raw).to_pylist() if d["values"] is not None}
    report.rows = counts
    code = transition_codes(raw, mapping)
    distinct = list(counts)
    kinds = transition_codes(pa.array(distinct, pa.string()), mapping) if distinct else np.zeros(0, np.int64)
    plain = {v: counts[v] for v, c in zip(distinct, kinds.tolist(), strict=True) if c == _PLAIN and v.strip()}
    if plain:
        listed = ", ".join(f"{v!r} ({k:,})" for v, k in sorted(plain.items(), key=lambda x: -x[1])[:8])
        report.notes.append(
            f"lifecycle values outside the XES standard model, kept as plain events with their "
            f"{LIFECYCLE}: {listed}; map them onto transitions with [lifecycle] values to fold them")
    model = model or mapping.lifecycle_model
    complete = _CODE["complete"]
    if model == "none" or not ((code != _PLAIN) & (code != complete)).any():
        return events, 0, empty, report
    return _fold(events, mapping, src, code, raw, report, positions)


def _group_ids(events: pa.Table, rows: np.ndarray) -> np.ndarray:
    """One integer per (case, activity[, concept:instance]) of ``rows``: the pairing key."""
    cols = [CASE, ACTIVITY] + ([INSTANCE] if INSTANCE in events.column_names else [])
    idx = pa.array(rows)
    keys = pd.DataFrame({c: events.column(c).take(idx).cast(pa.string()).to_pandas() for c in cols})
    return keys.groupby(cols, sort=False, dropna=False).ngroup().to_numpy()


def _fold(events: pa.Table, mapping: Mapping, src: str, code: np.ndarray, raw: pa.Array, report: Lifecycle,
          positions: Positions | None) -> tuple[pa.Table, int, pa.Table, Lifecycle]:
    case_codes = pc.dictionary_encode(events.column(CASE).combine_chunks()).indices.to_numpy(zero_copy_only=False)
    ts = pc.fill_null(events.column(TIMESTAMP).cast(pa.int64()), 0).to_numpy()
    life = np.flatnonzero(code != _PLAIN)
    life = life[np.lexsort((life, ts[life], case_codes[life]))]  # by case, time, file order
    groups = _group_ids(events, life).tolist()
    rows_l, ts_l, codes_l = life.tolist(), ts[life].tolist(), code[life].tolist()
    cases_l = case_codes[life].tolist()
    # one record per instance made: (kept row, end or None, start, ready, paused, outcome)
    made: list[tuple[int, int | None, int | None, int | None, int | None, str]] = []
    never: list[_Instance] = []
    queues: dict[int, deque[_Instance]] = {}
    sched, assign, start, suspend, resume = (_CODE[t] for t in ("schedule", "assign", "start", "suspend", "resume"))
    reassign = _CODE["reassign"]
    not_started_ends = {_CODE[t] for t in _NOT_STARTED_ENDS}
    pi_abort = _CODE["pi_abort"]
    case_groups: list[int] = []  # the pairing groups of the case being read (rows come case by case)
    current_case = -1
    for i, g, at, c, k in zip(rows_l, groups, ts_l, codes_l, cases_l, strict=True):
        if k != current_case:
            current_case, case_groups = k, []
        q = queues.get(g)
        if q is None:
            q = queues[g] = deque()
            case_groups.append(g)
        if c == sched:
            q.append(_Instance([i], ready=at))
            continue
        if c == start:
            inst = _first(q, started=False)
            if inst is None:
                inst = _Instance([])
                q.append(inst)
            inst.start, inst.start_row = at, i
        elif c in (assign, reassign):  # the oldest instance of the activity
            inst = q[0] if q else None
            if inst is None:
                inst = _Instance([], ready=at)
                q.append(inst)
            if inst.ready is None and inst.start is None:
                inst.ready = at
        elif c == suspend:
            inst = next((x for x in q if x.start is not None and x.suspended_at is None), None) or \
                (q[0] if q else None)
            if inst is None:
                inst = _Instance([])
                q.append(inst)
            if inst.suspended_at is None:
                inst.suspended_at = at
        elif c == resume:
            inst = next((x for x in q if x.suspended_at is not None), None) or (q[0] if q else None)
            if inst is None:
                inst = _Instance([])
                q.append(inst)
            if inst.suspended_at is not None:
                inst.paused = (inst.paused or 0) + at - inst.suspended_at
                inst.suspended_at = None
        else:  # an end: complete, ate_abort, pi_abort, withdraw, autoskip, manualskip
            inst = _first(q, started=c not in not_started_ends) or (q[0] if q else None)
            if inst is None:
                made.append((i, at, None, None, None, TRANSITIONS[c]))
                if c == pi_abort:
                    _abort_case(queues, case_groups, at, made)
                continue
            q.remove(inst)
            if inst.suspended_at is not None:  # ended while suspended: paused until the end
                inst.paused = (inst.paused or 0) + at - inst.suspended_at
            made.append((i, at, inst.start, inst.ready, inst.paused, TRANSITIONS[c]))
            if c == pi_abort:
                _abort_case(queues, case_groups, at, made)
            continue
        inst.rows.append(i)
    keep_never = mapping.lifecycle_never_started == "keep"
    for q in queues.values():
        for inst in q:
            if inst.start is not None:
                made.append((inst.start_row, None, inst.start, inst.ready, inst.paused, Outcome.OPEN))
            elif keep_never:
                made.append((min(inst.rows), None, None, inst.ready, inst.paused, Outcome.NEVER_STARTED))
            else:
                never.append(inst)
    quarantine = _never_started(events, src, never, raw, positions)
    quarantined = sum(len(x.rows) for x in never)
    merged = len(rows_l) - len(made) - quarantined
    ended = Counter(m[5] for m in made)
    keep = code == _PLAIN
    kept = np.array([m[0] for m in made], dtype=np.int64)
    keep[kept] = True
    _notes(report, code, ended, never, merged, made)
    events = _with_instances(events, keep, kept, made)
    return events, merged, quarantine, report


def _abort_case(queues: dict[int, deque[_Instance]], groups: list[int], at: int,
                made: list[tuple[int, int | None, int | None, int | None, int | None, str]]) -> None:
    """``pi_abort`` at ``at``: end every started, not yet ended instance of the case's ``groups``."""
    for g in groups:
        q = queues[g]
        for inst in [x for x in q if x.start is not None]:
            q.remove(inst)
            paused = inst.paused
            if inst.suspended_at is not None:
                paused = (paused or 0) + at - inst.suspended_at
            made.append((inst.start_row, at, inst.start, inst.ready, paused, TRANSITIONS[_CODE["pi_abort"]]))


def _never_started(events: pa.Table, src: str, never: list[_Instance], raw: pa.Array,
                   positions: Positions | None) -> pa.Table:
    rows = sorted(r for inst in never for r in inst.rows)
    if not rows:
        return QUARANTINE_SCHEMA.empty_table()
    idx = pa.array(rows, pa.int64())
    acts = events.column(ACTIVITY).combine_chunks().take(idx).to_pylist()
    detail = [f"{v} of {a!r} never followed by a start or an end of that activity in the case"
              for v, a in zip(raw.take(idx).to_pylist(), acts, strict=True)]
    return quarantine_table(src, events.column(SOURCE_ROW).combine_chunks().take(idx), Reason.NOT_STARTED, detail,
                            column=LIFECYCLE, values=raw.take(idx),
                            positions=positions.take(idx) if positions is not None else None)


def _notes(report: Lifecycle, code: np.ndarray, ended: Counter[str], never: list[_Instance], merged: int,
           made: list[tuple[int, int | None, int | None, int | None, int | None, str]]) -> None:
    found = Counter(code[code != _PLAIN].tolist())
    listed = ", ".join(f"{TRANSITIONS[c]} {k:,}" for c, k in sorted(found.items()))
    outcomes = ", ".join(f"{o} {k:,}" for o, k in sorted(ended.items(), key=lambda x: -x[1]))
    report.notes.append(f"lifecycle rows: {listed}; folded into {len(made):,} activity instance(s) "
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
    no_start = sum(1 for m in made if m[5] == Outcome.COMPLETE and m[2] is None)
    if found.get(_CODE["start"]) and no_start:
        report.notes.append(f"{no_start:,} completion(s) without a start: their start time is unknown")


def _with_instances(events: pa.Table, keep: np.ndarray, kept: np.ndarray,
                    made: list[tuple[int, int | None, int | None, int | None, int | None, str]]) -> pa.Table:
    """The instances' values written into their kept rows; the other lifecycle rows dropped."""
    n = events.num_rows
    idx = pa.array(kept)
    rows = pa.array(np.arange(n, dtype=np.int64))
    at = pc.index_in(rows, value_set=idx)  # position of each row among the instances, null elsewhere

    def column(pos: int, typ: pa.DataType) -> pa.Array:
        return pa.array([m[pos] for m in made], pa.int64()).cast(typ).take(at)

    is_inst = pc.is_valid(at)
    end = pc.if_else(is_inst, column(1, TIMESTAMP_TYPE), events.column(TIMESTAMP).combine_chunks())
    new_start = column(2, TIMESTAMP_TYPE)
    if START in events.column_names:  # a source column of starts wins where it has a value
        new_start = pc.coalesce(events.column(START).combine_chunks().cast(TIMESTAMP_TYPE), new_start)
        events = events.drop_columns([START])
    events = events.drop_columns([c for c in (READY, OUTCOME, PAUSED) if c in events.column_names])
    events = events.set_column(events.column_names.index(TIMESTAMP), TIMESTAMP, end)
    pos = events.column_names.index(TIMESTAMP) + 1
    events = events.add_column(pos, START, new_start)
    events = events.add_column(pos + 1, READY, column(3, TIMESTAMP_TYPE))
    events = events.add_column(pos + 2, PAUSED, column(4, pa.int64()))
    events = events.add_column(pos + 3, OUTCOME, pa.array([m[5] for m in made], pa.string()).take(at))
    return events.filter(pa.array(keep))
