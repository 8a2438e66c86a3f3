"""Event filters: keep or drop **events**, not whole cases, named as pm4py names them.

An :class:`EventFilter` makes a new log: the events that pass all its conditions (AND), in their
order; a case none of whose events passes is gone. Metrics on the result describe the trimmed cases
(a case's throughput time runs from its first to its last kept event), as pm4py's functions do on
the frame its filters return. It is applied after the case filters of a stored log
(:func:`flowmine.analytics.filter_events` of ``stored(...).where(case_filter)``): case filters decide
on whole cases as stored, then the kept cases' events are trimmed.

Each field, when an event is kept, and the pm4py filter it equals (``tests/test_filters_pm4py.py``):

* ``activities``: its activity is listed (``filter_event_attribute_values(level="event")``);
* ``drop_activities``: its activity is not listed (the same with ``retain=False``);
* ``trim``: (from, to), its completion time is in ``[from, to)`` (``filter_time_range(mode="events")``,
  whose ``to`` is inclusive);
* ``lifecycle``: its ``lifecycle:transition`` is listed (``filter_event_attribute_values(level="event")``;
  a stored log has the column where ingestion kept plain events: XES values outside the standard
  lifecycle model, such as BPIC 2013's; standard start/complete pairs become activity instances);
* ``attributes``: column -> values, its value is listed, for each column (the same pm4py filter);
* ``between``: (A, B), it lies within its case from the first A to the last B after it, both kept
  (bupaR's ``filter_trim``; either side None: from the case's first event, or to its last); a case
  without A, or without B after its first A, is gone. pm4py's ``filter_between`` cuts a case into one
  sub-case per A...B stretch: on cases with one A and one B after it both keep the same events. The
  first and last are by the log's order of events (a stored log's: by case, then time).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from flowmine._schema import ACTIVITY, CASE, LIFECYCLE, TIMESTAMP
from flowmine.analytics._filters import Window, _column, _lit, _plain, _us, closest
from flowmine.analytics._sql import q
from flowmine.errors import AnalyticsError


@dataclass(frozen=True)
class EventFilter:
    """Conditions on single events (all must hold). See the module docstring for each field.

    Examples
    --------
    >>> from flowmine.analytics import EventFilter, filter_events, stored
    >>> fin = stored(STORE, "finance")  # STORE: a store's path
    >>> kept = filter_events(fin, EventFilter(drop_activities=["Revise claim"]))
    >>> "Revise claim" in set(kept.column("concept:name").to_pylist())
    False
    """

    activities: Sequence[str] | None = None
    drop_activities: Sequence[str] | None = None
    trim: Window | None = None
    lifecycle: Sequence[str] | None = None
    attributes: Mapping[str, Sequence[Any]] = field(default_factory=dict)
    between: tuple[str | None, str | None] | None = None

    def __post_init__(self) -> None:
        if self.between is not None and (not isinstance(self.between, tuple | list) or len(self.between) != 2
                                         or all(a is None for a in self.between)
                                         or not all(a is None or isinstance(a, str) for a in self.between)):
            raise AnalyticsError(f"filter between: expected (from activity, to activity), one may be None; got "
                                 f"{self.between!r}", parameter="between", function="EventFilter")
        if self.trim is not None:
            if not isinstance(self.trim, tuple | list) or len(self.trim) != 2:
                raise AnalyticsError(f"filter trim: expected (from, to), either may be None; got {self.trim!r}",
                                     parameter="trim", function="EventFilter")
            for v in self.trim:
                _us(v, "trim")

    def is_set(self, name: str) -> bool:
        value = getattr(self, name)
        return value is not None and not (isinstance(value, Mapping) and not value)

    def is_empty(self) -> bool:
        return not any(self.is_set(f.name) for f in fields(self))

    def conditions(self) -> dict[str, Any]:
        """The conditions that are set, as JSON values (dates as ISO text).

        >>> EventFilter(activities=["Pay"]).conditions()
        {'activities': ['Pay']}
        """
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self) if self.is_set(f.name)}


def event_condition(flt: EventFilter, columns: Sequence[str], activities: Sequence[str]) -> str:
    """The SQL condition on one row of the log that ``flt`` keeps, after checking that every activity and
    column it names exists (``columns``: the log's; ``activities``: its distinct activities)."""
    for name in ("activities", "drop_activities", "between"):
        for a in (x for x in getattr(flt, name) or () if x is not None):
            if a not in activities:
                raise AnalyticsError(f"filter {name}: the log has no activity {a!r}{closest(a, sorted(activities))}",
                                     parameter=name, function="EventFilter")
    conds: list[str] = []
    if flt.activities is not None:
        conds.append(f"{q(ACTIVITY)} IN ({_lit(flt.activities)})")
    if flt.drop_activities:  # none listed: none dropped
        conds.append(f"{q(ACTIVITY)} NOT IN ({_lit(flt.drop_activities)})")
    if flt.trim is not None:
        lo, hi = _us(flt.trim[0], "trim"), _us(flt.trim[1], "trim")
        conds += [f"epoch_us({q(TIMESTAMP)}) >= {lo}"] if lo is not None else []
        conds += [f"epoch_us({q(TIMESTAMP)}) < {hi}"] if hi is not None else []
    if flt.lifecycle is not None:
        if LIFECYCLE not in columns:
            raise AnalyticsError(f"filter lifecycle: the log has no column {LIFECYCLE!r} (ingestion gathers "
                                 "standard lifecycle transitions into activity instances)",
                                 parameter="lifecycle", function="EventFilter")
        conds.append(f"{q(LIFECYCLE)} IN ({_lit(flt.lifecycle)})")
    for name, values in flt.attributes.items():
        _column(name, columns, "attributes")
        conds.append(f"{q(name)} IN ({_lit(values)})")
    return " AND ".join(conds) or "TRUE"


def between_mask(flt: EventFilter, table: pa.Table) -> npt.NDArray[np.bool_] | None:
    """Rows of ``table`` within their case from its first ``between[0]`` to its last ``between[1]`` after
    it (see the module docstring); None when ``flt`` sets no ``between``. Vectorised over the rows."""
    if flt.between is None:
        return None
    first, last = flt.between
    n = table.num_rows
    case = pc.dictionary_encode(table.column(CASE)).combine_chunks()
    codes = np.asarray(case.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
    k = len(case.dictionary)
    act = table.column(ACTIVITY)
    pos = np.arange(n, dtype=np.int64)
    lo = np.zeros(k, dtype=np.int64) if first is None else np.full(k, n, dtype=np.int64)
    if first is not None:
        hit = np.asarray(pc.fill_null(pc.equal(act, first), False).to_numpy(zero_copy_only=False), dtype=bool)
        np.minimum.at(lo, codes[hit], pos[hit])
    hi = np.full(k, n, dtype=np.int64) if last is None else np.full(k, -1, dtype=np.int64)
    if last is not None:
        hit = np.asarray(pc.fill_null(pc.equal(act, last), False).to_numpy(zero_copy_only=False), dtype=bool)
        np.maximum.at(hi, codes[hit], pos[hit])
    return (pos >= lo[codes]) & (pos <= hi[codes])
