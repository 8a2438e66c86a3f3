"""What explanations and step cards derive from a log's instances whatever the step, computed once.

A card asks its six sections and two explanations of one step; a dashboard asks the cards and factors
of many steps of one log. :class:`Prepared` holds the log's instances
(:func:`flowmine.analytics.instances`) and, each made on first use, what every step's units read
again: the rolling hashes of the variant so far, the cases' frame, each resource's busy intervals, the
rows of a step. :func:`prepared` remembers it for a stored log per version and filters (a version is
immutable, so nothing goes stale; the last :data:`KEPT` are kept, each about 340 MB at a million
events, 240 MB of it the instances); any other log is prepared anew on every call. What it holds is shared:
callers never change it.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import pandas as pd

from flowmine._remember import remembered, stamp
from flowmine.analytics import LogLike, StoredLog, busy_intervals, instances

T = TypeVar("T")
#: How many prepared stored logs (version and filters) are kept.
KEPT = 2
#: How many steps' rows a prepared log keeps as frames.
STEPS = 2
#: How many looked-up indexes' places a prepared log keeps (:meth:`Prepared.places`).
PLACES = 4


class Prepared:
    """A log's instances (``inst``) and what is derived from them once, on first use."""

    def __init__(self, inst: pd.DataFrame) -> None:
        self.inst = inst
        self._made: dict[Any, Any] = {}
        self._steps: OrderedDict[Any, pd.DataFrame] = OrderedDict()
        self._lock = threading.Lock()
        self._places: list[tuple[Any, Any, npt.NDArray[np.int64] | None]] = []

    def _once(self, key: Any, make: Callable[[], T]) -> T:
        with self._lock:
            if key in self._made:
                return self._made[key]
        value = make()
        with self._lock:
            return self._made.setdefault(key, value)

    def rows(self, step: str) -> npt.NDArray[np.bool_]:
        """The rows of ``step``'s instances."""
        return self._once(("rows", step), lambda: (self.inst["activity"] == step).to_numpy())

    def prefix(self) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """The rolling hashes of the variant so far (``flowmine.explain._units``) of the instances."""
        from flowmine.explain._units import _prefix_hashes

        return self._once("prefix", lambda: _prefix_hashes(self.inst))

    def case_frame(self, variant: bool) -> pd.DataFrame:
        """:func:`flowmine.explain._units.case_frame` of the instances."""
        from flowmine.explain._units import case_frame

        return self._once(("cases", variant), lambda: case_frame(self.inst, variant=variant, prep=self))

    def activity_codes(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.object_]]:
        """The activity of each row as a code, and the activities' names (not a text per row)."""
        def make() -> tuple[npt.NDArray[np.int64], npt.NDArray[np.object_]]:
            codes, names = pd.factorize(self.inst["activity"])
            return np.asarray(codes, dtype=np.int64), np.asarray(names, dtype=object)

        return self._once("activity codes", make)

    def step(self, step: str) -> pd.DataFrame:
        """The rows of ``step``'s instances (``inst[rows(step)]``, the index kept); the last few steps
        asked are kept."""
        key = ("step", step)
        with self._lock:
            if key in self._steps:
                self._steps.move_to_end(key)
                return self._steps[key]
        frame = self.inst[self.rows(step)]
        with self._lock:
            frame = self._steps.setdefault(key, frame)
            while len(self._steps) > STEPS:
                self._steps.popitem(last=False)
        return frame

    def attributes(self, log: LogLike) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The log's case and event attribute tables (``flowmine.explain._units.attribute_tables``)."""
        from flowmine.explain._units import attribute_tables

        return self._once("attributes", lambda: attribute_tables(log))

    def case_positions(self, log: LogLike) -> npt.NDArray[np.int64]:
        """Where each row's case is in the case attribute table (-1: not there): each distinct case looked
        up once, then spread over its rows by the case codes (10M rows are 1M cases)."""
        def make() -> npt.NDArray[np.int64]:
            codes, cases = self._cases()
            at = np.asarray(self.attributes(log)[0].index.get_indexer(pd.Index(cases)), dtype=np.int64)
            return at[codes] if codes.size else np.zeros(0, dtype=np.int64)

        return self._once("case positions", make)

    def event_positions(self, log: LogLike) -> npt.NDArray[np.int64]:
        """Where each row's event is in the event attribute table (-1: not there)."""
        return self._once("event positions", lambda: np.asarray(
            self.attributes(log)[1].index.get_indexer(pd.Index(self.inst["event_id"])), dtype=np.int64))

    def case_columns(self, log: LogLike) -> list[tuple[str, Any]]:
        """Each case attribute's :func:`~flowmine.explain._units.column_data` over the whole table."""
        from flowmine.explain._units import column_data

        def make() -> list[tuple[str, Any]]:
            table = self.attributes(log)[0]
            out: list[tuple[str, Any]] = []
            for col in table.columns:
                data: tuple[Any, ...] | None = column_data(table[col].reset_index(drop=True))
                if data is not None and data[0] == "labels":  # with its codes: a subset's need no hashing
                    codes, names = pd.factorize(data[1])
                    data = (*data, (np.asarray(codes, dtype=np.int64), np.asarray(names, dtype=object)))
                out.append((str(col), data))
            return out

        return self._once("case columns", lambda: _of_base(log, "explain-case-columns", make))

    def places(self, index: pd.Index, asked: pd.Index) -> npt.NDArray[np.int64] | None:
        """``index.get_indexer(asked)`` (None when some label of ``asked`` is not in ``index``), remembered
        for the last few ``asked`` objects (a report's cases are asked by every step's card)."""
        with self._lock:
            for ref_index, ref_asked, found in self._places:
                if ref_index() is index and ref_asked() is asked:
                    return found
        at = np.asarray(index.get_indexer(asked), dtype=np.int64)
        found = None if at.size and at.min() < 0 else at
        with self._lock:
            self._places.append((weakref.ref(index), weakref.ref(asked), found))
            del self._places[:-PLACES]
        return found

    def coded(self, column: str) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.object_], int] | None:
        """A text column of the instances (resource, role) as codes over the rows (-1: missing), its
        distinct texts, and the code of the empty text (-1: none); None when the column is not text."""
        def make() -> tuple[npt.NDArray[np.int64], npt.NDArray[np.object_], int] | None:
            col = self.inst[column]
            if not pd.api.types.is_string_dtype(col) or pd.api.types.is_bool_dtype(col):
                return None
            codes, uniques = pd.factorize(col)
            names = np.asarray(uniques, dtype=object)
            empty = np.flatnonzero(names == "")
            return np.asarray(codes, dtype=np.int64), names, int(empty[0]) if empty.size else -1

        return self._once(("coded", column), make)

    def case_table_codes(self, log: LogLike) -> dict[str, tuple[npt.NDArray[np.int64], npt.NDArray[np.object_]]]:
        """Each case attribute's values as codes over the case attribute table (-1: missing) and the
        values they stand for (``pd.factorize``: every value as it is, the empty text too)."""
        def make() -> dict[str, tuple[npt.NDArray[np.int64], npt.NDArray[np.object_]]]:
            out = {}
            for col, values in self.attributes(log)[0].items():
                codes, names = pd.factorize(values)
                out[str(col)] = (np.asarray(codes, dtype=np.int64), np.asarray(names, dtype=object))
            return out

        return self._once("case table codes", lambda: _of_base(log, "explain-case-table-codes", make))

    def busy(self) -> dict[Any, Any]:
        """Each resource's busy intervals (:func:`flowmine.analytics.busy_intervals`)."""
        return self._once("busy", lambda: busy_intervals(self.inst))


    def first_rows(self) -> npt.NDArray[np.int64]:
        """Each case's first row, in the order of the case codes (of first appearance)."""
        return self._once("first rows", lambda: np.asarray(np.unique(self.case_codes(), return_index=True)[1],
                                                              dtype=np.int64))

    def case_codes(self) -> npt.NDArray[np.int64]:
        """The case of each row as an integer code (rows of one case share it)."""
        return self._cases()[0]

    def _cases(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.object_]]:
        """The case codes and the case ids they stand for (``pd.factorize``: in order of first appearance)."""
        def make() -> tuple[npt.NDArray[np.int64], npt.NDArray[np.object_]]:
            codes, cases = pd.factorize(self.inst["case"])
            return np.asarray(codes, dtype=np.int64), np.asarray(cases, dtype=object)

        return self._once("case codes", make)


def _of_base(log: LogLike, what: str, make: Callable[[], T]) -> T:
    """``make()`` of what depends on the attribute tables alone: a stored log's are its whole version's
    (``attribute_tables``), so the same for every filter of it: made once per version file, not once per
    filter (a step card of a new filter spent a fifth of its time on them)."""
    return remembered(what, log.base.path, make) if isinstance(log, StoredLog) else make()


class DeviationIndex:
    """A conformance report's per-case deviations as arrays over its cases (in the report's order): for
    each step label the cases with a deviating move of it, for each rule the cases that broke it."""

    def __init__(self, report: Any) -> None:
        deviations = report.case_deviations
        cases = list(deviations)
        self.index = pd.Index([str(c) for c in cases])
        n = len(cases)
        # a report's label lists are shared by the cases of a variant: the cases are grouped by list, and
        # each list's labels read once (a million cases are a few thousand lists)
        lists = list(deviations.values())
        ident = np.fromiter((id(v) for v in lists), dtype=np.int64, count=n)
        _, first, group = np.unique(ident, return_index=True, return_inverse=True)
        order = np.argsort(group, kind="stable")
        bounds = np.searchsorted(group[order], np.arange(len(first) + 1))
        at: dict[str, list[npt.NDArray[np.int64]]] = {}
        labelled = np.zeros(len(first), dtype=bool)
        for g, i in enumerate(first):
            labels = lists[i]
            if labels:
                labelled[g] = True
                members = order[bounds[g]:bounds[g + 1]]
                for name in dict.fromkeys(lab.split(": ", 1)[1] for lab in labels):  # each step once a case
                    at.setdefault(name, []).append(members)
        self.at = {k: np.sort(np.concatenate(v)).astype(np.int64) for k, v in at.items()}
        rules: dict[str, list[int]] = {}
        broken_cases = [c for c, broken in report.case_rules.items() if broken]
        where: Any = self.index.get_indexer(pd.Index([str(c) for c in broken_cases])) if broken_cases else []
        broke = np.zeros(n, dtype=bool)
        for case, i in zip(broken_cases, where, strict=True):
            if i < 0:
                continue
            broke[i] = True
            for rule in report.case_rules[case]:
                rules.setdefault(rule, []).append(int(i))
        self.rules = {k: np.asarray(sorted(v), dtype=np.int64) for k, v in rules.items()}
        fitness = pd.Series(report.case_fitness, dtype=np.float64)
        fitness.index = fitness.index.map(str)
        fit = fitness.reindex(self.index).fillna(1.0).to_numpy() if n else np.zeros(0)
        self.whole = labelled[group] | broke | (fit < 1.0) if n else np.zeros(0, dtype=bool)

    def deviating(self, names: set[Any] | None, concerning: set[str]) -> pd.Series:
        """Per case 1.0 or 0.0: any deviation (``names`` None), else a deviating move of a step named
        ``names`` or a broken rule of ``concerning``."""
        if names is None:
            bad = self.whole
        else:
            bad = np.zeros(len(self.index), dtype=bool)
            for hit in [self.at.get(n) for n in names] + [self.rules.get(r) for r in concerning]:
                if hit is not None:
                    bad[hit] = True
        return pd.Series(np.where(bad, 1.0, 0.0), index=self.index, dtype=np.float64)


_INDEXES: dict[int, tuple[Any, DeviationIndex]] = {}


def deviation_index(report: Any) -> DeviationIndex:
    """The report's :class:`DeviationIndex`, made once per report object (kept while it lives)."""
    key = id(report)
    with _GUARD:
        entry = _INDEXES.get(key)
        if entry is not None and entry[0]() is report:
            return entry[1]
    made = DeviationIndex(report)
    entries = _INDEXES  # bound here: at interpreter exit the module's globals may be None

    def forget(ref: Any, k: int = key) -> None:
        old = entries.get(k)
        if old is not None and old[0] is ref:  # not a newer report's entry under a reused id
            entries.pop(k, None)

    with _GUARD:
        _INDEXES[key] = (weakref.ref(report, forget), made)
    return made


_KEPT: OrderedDict[Any, Prepared] = OrderedDict()
_GUARD = threading.Lock()


def prepared(log: LogLike) -> Prepared:
    """The log's :class:`Prepared`: remembered for a stored log (per version file and filters), anew for
    any other log."""
    if not isinstance(log, StoredLog):
        return Prepared(instances(log))
    key = (stamp(log.base.path), repr(log.filters))
    with _GUARD:
        if key in _KEPT:
            _KEPT.move_to_end(key)
            return _KEPT[key]
    prep = Prepared(instances(log))
    with _GUARD:
        prep = _KEPT.setdefault(key, prep)
        while len(_KEPT) > KEPT:
            _KEPT.popitem(last=False)
    return prep


def forget() -> None:
    """Forget every prepared stored log."""
    with _GUARD:
        _KEPT.clear()
