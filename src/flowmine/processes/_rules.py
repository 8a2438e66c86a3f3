"""The checker of the declarative business rules: which cases break which rule.

The meaning of each rule kind (events of a case ordered by completion time, ties by file order):

``precedence`` (``before`` list, ``after``)
    Every instance of ``after`` has an earlier completed instance of each ``before`` activity.
``response`` (``trigger``, ``response``)
    Every instance of ``trigger`` is followed later by an instance of ``response``.
``absence`` (``activity``)
    The activity does not occur.
``exactly_once`` (``activity``)
    The activity occurs exactly once.
``four_eyes`` (``steps`` = [a, b])
    Nobody performs both an ``a`` and a ``b`` instance in one case.
``time_limit`` (``from``, ``to``, ``max``)
    From the first ``from`` to the first ``to`` completed after it takes at most ``max``
    (``30d``, ``48h``: elapsed time; ``3wd``: working days between the local dates of the two
    completions, by the ``[calendar]``). A case with no such ``to`` is not judged.
``amount_threshold`` (``attribute``, ``above``, ``requires``)
    A case whose attribute (its first non-null value in the case) is above the limit contains
    ``requires``.

Every rule is evaluated on whole columns at once (numpy over the events sorted by case, completion
time and file order), never case by case, so a million events take well under a second. Each kind
reduces to a per-case figure: ``precedence`` breaks when the first ``after`` comes no later than the
first of some ``before`` activity (or that one is missing); ``response`` when the last ``trigger``
comes no earlier than the last ``response``; ``four_eyes`` when a (case, resource) pair holds both
steps; ``time_limit`` compares the first ``from`` with the first ``to`` after it. The tests compare
it with a plain per-case reading of the definitions above on the sample logs and on random logs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from flowmine._schema import ACTIVITY, CASE, CASE_PREFIX, RESOURCE, TIMESTAMP
from flowmine.errors import MissingColumnError, OptionError
from flowmine.processes._config import WEEKDAYS, Duration, Rule, calendar_from

KINDS = ("precedence", "response", "absence", "exactly_once", "four_eyes", "time_limit", "amount_threshold")
_NONE = np.iinfo(np.int64).max  # "no such event" for first positions
_EXACT = 2**53  # int64 magnitudes below this convert to float64 exactly

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


def _weekmask(calendar: dict[str, Any] | None) -> str:
    days = (calendar or {}).get("weekdays", WEEKDAYS[:5])
    return " ".join(d for d in WEEKDAYS if d in days)


def _column(events: pd.DataFrame | pa.Table, name: str) -> pa.ChunkedArray | pa.Array | None:
    if isinstance(events, pa.Table):
        return events.column(name) if name in events.column_names else None
    if name not in events.columns:
        return None
    return pa.Array.from_pandas(events[name])


def _codes(col: pa.ChunkedArray | pa.Array) -> tuple[IntArray, pa.Array]:
    """Dictionary codes (-1 for null) and the dictionary of a column."""
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks()
    enc = pc.dictionary_encode(col)
    codes = enc.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    return codes, enc.dictionary


@dataclass
class _Log:
    """The events sorted by (case, completion time, file order), as integer columns."""

    n_cases: int
    case: IntArray  # per event: case number, cases numbered in the order of their sorted ids
    pos: IntArray  # per event: position within its case
    act: IntArray  # per event: activity code (-1: null)
    activities: dict[Any, int]
    time: IntArray  # per event: completion time in ``unit`` since the epoch
    time_ok: BoolArray
    unit: str
    ids: pa.Array  # case ids in case-number order
    events: pd.DataFrame | pa.Table
    order: IntArray  # input row of each sorted event

    def code(self, activity: Any) -> int:
        return self.activities.get(activity, -2)

    def count(self, activity: Any) -> IntArray:
        return np.bincount(self.case[self.act == self.code(activity)], minlength=self.n_cases)

    def first(self, activity: Any) -> tuple[IntArray, IntArray]:
        """Per case: position and event index of the first instance (``_NONE``/-1 when none)."""
        idx = np.flatnonzero(self.act == self.code(activity))
        return self._first_of(idx)

    def _first_of(self, idx: IntArray) -> tuple[IntArray, IntArray]:
        pos = np.full(self.n_cases, _NONE, np.int64)
        at = np.full(self.n_cases, -1, np.int64)
        if len(idx):
            c = self.case[idx]
            head = np.ones(len(idx), bool)
            head[1:] = c[1:] != c[:-1]
            pos[c[head]] = self.pos[idx[head]]
            at[c[head]] = idx[head]
        return pos, at

    def last(self, activity: Any) -> IntArray:
        """Per case: position of the last instance (-1 when none)."""
        idx = np.flatnonzero(self.act == self.code(activity))
        pos = np.full(self.n_cases, -1, np.int64)
        if len(idx):
            c = self.case[idx]
            tail = np.ones(len(idx), bool)
            tail[:-1] = c[1:] != c[:-1]
            pos[c[tail]] = self.pos[idx[tail]]
        return pos

    def sorted_column(self, name: str) -> pa.Array | None:
        col = _column(self.events, name)
        if col is None:
            return None
        if isinstance(col, pa.ChunkedArray):
            col = col.combine_chunks()
        return col.take(pa.array(self.order))


def _read(events: pd.DataFrame | pa.Table, ties: str | None) -> _Log:
    case_col, act_col, time_col = (_column(events, c) for c in (CASE, ACTIVITY, TIMESTAMP))
    if case_col is None or act_col is None or time_col is None:
        raise MissingColumnError(f"the events need the columns {CASE!r}, {ACTIVITY!r} and {TIMESTAMP!r}")
    n = len(case_col)
    raw_case, case_dict = _codes(case_col)
    rank = np.empty(len(case_dict), np.int64)
    by_id = pc.array_sort_indices(case_dict).to_numpy().astype(np.int64)
    rank[by_id] = np.arange(len(case_dict))
    case = np.where(raw_case >= 0, rank[np.maximum(raw_case, 0)], -1)
    if isinstance(time_col, pa.ChunkedArray):
        time_col = time_col.combine_chunks()
    if not pa.types.is_timestamp(time_col.type):
        time_col = time_col.cast(pa.timestamp("ns", tz="UTC"))
    unit = time_col.type.unit
    time_ok = time_col.is_valid().to_numpy(zero_copy_only=False)
    time = time_col.cast(pa.int64()).fill_null(_NONE).to_numpy(zero_copy_only=False).astype(np.int64)
    tie_col = _column(events, ties) if ties else None
    tie = (np.arange(n, dtype=np.int64) if tie_col is None
           else np.asarray(tie_col.to_numpy(zero_copy_only=False), dtype=np.int64))
    # null case ids drop out (as in a groupby); null times sort last within their case
    sorted_already = n < 2 or bool(np.all(
        (case[1:] > case[:-1]) | ((case[1:] == case[:-1]) & ((time[1:] > time[:-1])
                                                             | ((time[1:] == time[:-1]) & (tie[1:] >= tie[:-1]))))))
    order = np.arange(n, dtype=np.int64) if sorted_already else np.lexsort((tie, time, case)).astype(np.int64)
    order = order[case[order] >= 0]
    case, time, time_ok = case[order], time[order], time_ok[order]
    act_codes, act_dict = _codes(act_col)
    act = act_codes[order]
    heads = np.flatnonzero(np.r_[True, case[1:] != case[:-1]]) if len(case) else np.empty(0, np.int64)
    pos = np.arange(len(case), dtype=np.int64) - np.repeat(heads, np.diff(np.r_[heads, len(case)]))
    ids = case_dict.take(pa.array(by_id))
    activities = {a: i for i, a in enumerate(act_dict.to_pylist())}
    return _Log(len(case_dict), case, pos, act, activities, time, time_ok, unit, ids, events, order)


def _per_second(unit: str) -> int:
    return {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}[unit]


def _seconds(delta: IntArray, unit: str) -> npt.NDArray[np.float64]:
    """``delta`` in seconds, correctly rounded (as ``pandas.Timedelta.total_seconds``)."""
    per = _per_second(unit)
    out = delta.astype(np.float64) / per
    big = np.flatnonzero(np.abs(delta) >= _EXACT)
    if len(big):  # int64 -> float64 would round first: divide exactly as Python integers
        out[big] = [int(d) / per for d in delta[big].tolist()]
    return out


def _local_dates(values: IntArray, unit: str, tz: str) -> npt.NDArray[np.datetime64]:
    stamps = pd.DatetimeIndex(values.astype(f"datetime64[{unit}]")).tz_localize("UTC").tz_convert(tz)
    stamps = stamps.tz_localize(None)
    return stamps.to_numpy().astype("datetime64[D]")


def _closed_and_extra_days(cal: dict[str, Any]) -> tuple[list[np.datetime64], npt.NDArray[np.datetime64]]:
    """A ``[calendar]``'s closed days (own and, with ``official``, the official holidays) and its sorted
    make-up workdays (on weekdays not worked, not closed), for counting working days."""
    if not (cal.get("official") or cal.get("workdays")):
        return [np.datetime64(d) for d in cal.get("holidays", [])], np.array([], dtype="datetime64[D]")
    calendar = calendar_from(cal)
    extra = np.array(calendar.workday_days(), dtype="datetime64[D]")
    return [np.datetime64(d) for d in calendar.holidays], extra


def _time_limit(log: _Log, p: dict[str, Any], workdays: Callable[..., IntArray]) -> BoolArray:
    bad = np.zeros(log.n_cases, bool)
    from_pos, from_at = log.first(p["from"])
    idx = np.flatnonzero(log.act == log.code(p["to"]))
    idx = idx[log.pos[idx] > from_pos[log.case[idx]]]  # a "to" completed after the first "from"
    _, to_at = log._first_of(idx)
    cases = np.flatnonzero(to_at >= 0)
    i, j = from_at[cases], to_at[cases]
    ok = log.time_ok[i] & log.time_ok[j]
    cases, i, j = cases[ok], i[ok], j[ok]
    limit = Duration.parse(p["max"])
    if limit.unit == "wd":
        bad[cases] = workdays(log.time[i], log.time[j], log.unit) > limit.amount
    else:
        hours = _seconds(log.time[j] - log.time[i], log.unit) / 3600.0
        bad[cases] = hours > limit.amount * (24.0 if limit.unit == "d" else 1.0)
    return bad


def _four_eyes(log: _Log, steps: list[Any]) -> BoolArray:
    bad = np.zeros(log.n_cases, bool)
    col = log.sorted_column(RESOURCE)
    if col is None or len(log.case) == 0:
        return bad
    res, values = _codes(col)
    is_text = np.array([isinstance(v, str) for v in values.to_pylist()] + [False], bool)
    res = np.where(is_text[res], res, -1)  # only named resources (text) count
    a, b = steps
    width = max(len(values), 1)
    sel_a = np.flatnonzero((log.act == log.code(a)) & (res >= 0))
    sel_b = np.flatnonzero((log.act == log.code(b)) & (res >= 0))
    keys_a = log.case[sel_a] * width + res[sel_a]
    keys_b = log.case[sel_b] * width + res[sel_b]
    bad[log.case[sel_b[np.isin(keys_b, keys_a)]]] = True
    return bad


def _amount(log: _Log, p: dict[str, Any]) -> BoolArray:
    name = str(p["attribute"])
    bad = np.zeros(log.n_cases, bool)
    col = log.sorted_column(name) if name.startswith(CASE_PREFIX) and name != CASE else None
    if col is None or len(log.case) == 0:
        return bad
    idx = np.flatnonzero(col.is_valid().to_numpy(zero_copy_only=False))
    if pa.types.is_floating(col.type):
        idx = idx[~np.isnan(col.take(pa.array(idx)).to_numpy(zero_copy_only=False))]
    _, first_at = log._first_of(idx)
    cases = np.flatnonzero(first_at >= 0)
    firsts = col.take(pa.array(first_at[cases]))
    if pa.types.is_integer(firsts.type) or pa.types.is_floating(firsts.type) or pa.types.is_boolean(firsts.type):
        value = firsts.cast(pa.float64()).to_numpy(zero_copy_only=False)
    else:  # text and other values: as float() reads them
        value = np.array([float(v) for v in firsts.to_pylist()], np.float64)
    bad[cases] = value > float(p["above"])
    return bad & (log.count(p["requires"]) == 0)


def _violations(rule: Rule, log: _Log, workdays: Callable[..., IntArray]) -> BoolArray:
    p = rule.params
    if rule.kind == "precedence":
        after, _ = log.first(p["after"])
        bad = np.zeros(log.n_cases, bool)
        for b in p["before"]:
            bad |= log.first(b)[0] >= after
        return bad & (after != _NONE)
    if rule.kind == "response":
        trigger = log.last(p["trigger"])
        return (trigger >= 0) & (trigger >= log.last(p["response"]))
    if rule.kind == "absence":
        return log.count(p["activity"]) > 0
    if rule.kind == "exactly_once":
        return log.count(p["activity"]) != 1
    if rule.kind == "four_eyes":
        return _four_eyes(log, list(p["steps"]))
    if rule.kind == "time_limit":
        return _time_limit(log, p, workdays)
    if rule.kind == "amount_threshold":
        return _amount(log, p)
    raise ValueError(f"unknown rule kind {rule.kind!r}")  # a programming error: check_rules refused it before


def check_rules(
    events: pd.DataFrame | pa.Table,
    rules: Iterable[Rule],
    calendar: dict[str, Any] | None = None,
    ties: str | None = None,
) -> dict[str, list[str]]:
    """Case ids that break each rule.

    Parameters
    ----------
    events : pandas.DataFrame or pyarrow.Table
        Canonical event log (case, activity, completion timestamp; resource and case attributes
        where rules need them).
    rules : iterable of Rule
        Usually ``load_process(name).rules``.
    calendar : dict, optional
        The ``[calendar]`` table (``weekdays``, ``timezone``, ``holidays``) for ``wd`` limits.
    ties : str, optional
        A column ordering events of a case with equal completion times (the store's ``event_id``);
        by default the row order.

    Returns
    -------
    dict
        Rule id -> list of violating case ids (empty list when none), sorted as the case ids sort.
    """
    rules = list(rules)
    unknown = [r.kind for r in rules if r.kind not in KINDS]
    if unknown:
        raise OptionError(f"unknown rule kind {unknown[0]!r}; the kinds are {list(KINDS)}", parameter="rules",
                          function="check_rules")
    if not rules:
        return {}
    cal = calendar or {}
    tz = cal.get("timezone", "UTC")
    mask = _weekmask(cal)
    holidays, extra = _closed_and_extra_days(cal)

    def workdays(t0: IntArray, t1: IntArray, unit: str) -> IntArray:
        d0, d1 = _local_dates(t0, unit, tz), _local_dates(t1, unit, tz)
        n = np.busday_count(d0, d1, weekmask=mask, holidays=holidays).astype(np.int64)
        if len(extra):  # make-up workdays in [d0, d1)
            n += np.searchsorted(extra, d1) - np.searchsorted(extra, d0)
        return n

    log = _read(events, ties)
    out: dict[str, list[str]] = {}
    for rule in rules:
        bad = np.flatnonzero(_violations(rule, log, workdays))
        out[rule.id] = [str(c) for c in log.ids.take(pa.array(bad)).to_pylist()]
    return out
