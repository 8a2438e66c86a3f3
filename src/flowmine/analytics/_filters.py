"""Case filters, applied before any metric, named as pm4py and edeaR name them.

A :class:`CaseFilter` keeps or drops **whole cases**, so the map of a filtered log is a map of real
cases; all its conditions must hold (AND). Windows are half-open ``[from, to)`` (pm4py's bounds are
inclusive: the two differ only for an event exactly on ``to``). A case's start is its first start (first
completion where no start is known), its end its last completion.

Each field, when a case is kept, and the pm4py (or edeaR) filter it equals (``tests/test_filters_pm4py.py``):

* ``started`` / ``completed``: its start / end is in the window (pm4py ``filter_time_range`` modes
  ``traces_starting_in`` / ``traces_completing_in``);
* ``active``: it started before ``to`` and ended at or after ``from`` (``traces_intersecting``);
* ``contained``: it started at or after ``from`` and ended before ``to`` (``traces_contained``);
* ``attributes``: column -> values; any event has one of them (a case attribute is on every event:
  ``filter_trace_attribute_values``; an event attribute: ``filter_event_attribute_values(level="case")``);
* ``ranges``: numeric column -> (min, max), inclusive, either may be None; any event's value is in it
  (``attributes_filter.apply_numeric``; edeaR ``filter_attributes``);
* ``variants`` / ``not_variants``: its variant (activities joined by ``" → "``) is / is not listed
  (``filter_variants``, ``retain=False``);
* ``top_variants``: its variant is one of the k most frequent, ties in pm4py's order (by count, then the
  greater activity sequence first: ``filter_variants_top_k``);
* ``variant_coverage``: its variant is among the most frequent that together cover this share of the
  cases, and variants as frequent as the last one kept are kept too (pm4py's
  ``variants_filter.filter_log_variants_percentage``; edeaR ``filter_trace_frequency(percentage=)``);
* ``variant_min_share``: its variant alone covers at least this share of the cases
  (``filter_variants_by_coverage_percentage``: not cumulative);
* ``contains``: it executes every listed activity (``filter_event_attribute_values(level="case")``
  once per activity); ``not_contains``: none of them (the same with ``retain=False``);
* ``rework``: it executes every listed activity at least twice (``filter_activities_rework``);
* ``start_steps`` / ``end_steps``: its first / last activity is listed (``filter_start_activities`` /
  ``filter_end_activities``);
* ``follows``: (A, B), some A is eventually followed by some B (``filter_eventually_follows_relation``);
* ``directly_follows``: (A, B), some A is immediately followed by B, the next instance in the canonical
  order, the process map's edge (``filter_directly_follows_relation``); with ``directly_follows_s``
  (min, max) such an edge must last that many seconds, the map's edge duration (``filter_paths_performance``);
* ``case_size``: (min, max) activity instances, inclusive (``filter_case_size``);
* ``duration_s``: (min, max) throughput time in seconds, inclusive (``filter_case_performance``);
* ``cases``: allowed case ids (a ``--cases`` file; the conforming or deviating cases of a check).

Relative conditions (``top_variants``, ``variant_coverage``, ``variant_min_share``) count the variants
of the cases the filter is applied to (after the filters before it in ``stored(...).where(a, b)``).

An :class:`EventFilter` keeps **events** (see :mod:`flowmine.analytics._events`); it makes a new log.

:func:`kept_cases` is the one SQL that decides which cases a filter keeps, on any engine; the verb
``filter_cases`` (in ``_table``) returns their rows; :func:`check_case_filter` names what a filter asks for
that a log does not have (an unknown activity, variant or column), with the closest matches.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from typing import Any

import pyarrow as pa

from flowmine._schema import ACTIVITY, CASE, CASE_PREFIX
from flowmine.analytics._sql import Engine, q
from flowmine.errors import AnalyticsError

Window = tuple[datetime | str | None, datetime | str | None]
Bounds = tuple[float | None, float | None]

#: How variants are spelt: activities joined by this (the CLI also takes ``->``).
ARROW = " → "


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return list(value) if all(type(v) is str for v in value) else [_plain(v) for v in value]
    return value


def _bounds(value: Bounds | None, what: str, integer: bool = False) -> None:
    if value is None:
        return
    if not isinstance(value, tuple | list) or len(value) != 2:
        raise AnalyticsError(f"filter {what}: expected (min, max), either may be None; got {value!r}",
                             parameter=what, function="CaseFilter")
    lo, hi = value
    for v in value:
        if v is not None and (isinstance(v, bool) or not isinstance(v, int | float) or (integer and v != int(v))):
            kind = "whole numbers" if integer else "numbers"
            raise AnalyticsError(f"filter {what}: bounds must be {kind} or None; got {v!r}", parameter=what,
                                 function="CaseFilter")
    if lo is not None and hi is not None and lo > hi:
        raise AnalyticsError(f"filter {what}: min {lo!r} is above max {hi!r}", parameter=what, function="CaseFilter")


def _share(value: float | None, what: str) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1):
        raise AnalyticsError(f"The '{what}' parameter of CaseFilter must be a float in the range (0, 1]. "
                             f"Got {value!r} instead.", parameter=what, function="CaseFilter")


def _pair(value: tuple[str, str] | None, what: str) -> None:
    if value is not None and (not isinstance(value, tuple | list) or len(value) != 2 or not all(value)):
        raise AnalyticsError(f"filter {what}: expected (A, B), two activities; got {value!r}", parameter=what,
                             function="CaseFilter")


@dataclass(frozen=True)
class CaseFilter:
    """Conditions on whole cases (all must hold). See the module docstring for each field.

    Examples
    --------
    >>> from flowmine.analytics import CaseFilter, filter_cases, stored
    >>> fin = stored(STORE, "finance")  # STORE: a store's path
    >>> top = filter_cases(fin, CaseFilter(top_variants=2, not_contains=["Revise claim"]))
    >>> top.num_rows > 0
    True
    """

    started: Window | None = None
    completed: Window | None = None
    active: Window | None = None
    attributes: Mapping[str, Sequence[Any]] = field(default_factory=dict)
    variants: Sequence[str] | None = None
    duration_s: Bounds | None = None
    start_steps: Sequence[str] | None = None
    end_steps: Sequence[str] | None = None
    follows: tuple[str, str] | None = None
    cases: Sequence[str] | None = None
    directly_follows: tuple[str, str] | None = None
    contains: Sequence[str] | None = None
    ranges: Mapping[str, Bounds] | None = None
    contained: Window | None = None
    not_variants: Sequence[str] | None = None
    top_variants: int | None = None
    variant_coverage: float | None = None
    variant_min_share: float | None = None
    not_contains: Sequence[str] | None = None
    rework: Sequence[str] | None = None
    case_size: Bounds | None = None
    directly_follows_s: Bounds | None = None

    def __post_init__(self) -> None:
        for name in ("started", "completed", "active", "contained"):
            win = getattr(self, name)
            if win is not None:
                if not isinstance(win, tuple | list) or len(win) != 2:
                    raise AnalyticsError(f"filter {name}: expected (from, to), either may be None; got {win!r}",
                                         parameter=name, function="CaseFilter")
                for v in win:
                    _us(v, name)
        _bounds(self.duration_s, "duration_s")
        _bounds(self.case_size, "case_size", integer=True)
        _bounds(self.directly_follows_s, "directly_follows_s")
        for name, b in (self.ranges or {}).items():
            _bounds(b, f"ranges[{name!r}]")
        _share(self.variant_coverage, "variant_coverage")
        _share(self.variant_min_share, "variant_min_share")
        k = self.top_variants
        if k is not None and (isinstance(k, bool) or not isinstance(k, int) or k < 1):
            raise AnalyticsError(f"The 'top_variants' parameter of CaseFilter must be an int in the range [1, inf). "
                                 f"Got {k!r} instead.", parameter="top_variants", function="CaseFilter")
        _pair(self.follows, "follows")
        _pair(self.directly_follows, "directly_follows")
        if self.directly_follows_s is not None and self.directly_follows is None:
            raise AnalyticsError("filter directly_follows_s: give the edge too (directly_follows=(A, B))",
                                 parameter="directly_follows_s", function="CaseFilter")

    def is_set(self, name: str) -> bool:
        """Whether the condition ``name`` is given (an empty list is given: it keeps no case)."""
        value = getattr(self, name)
        return value is not None and not (isinstance(value, Mapping) and not value)

    def conditions(self) -> dict[str, Any]:
        """The conditions that are set, as JSON values (dates as ISO text): what a report says it covers.

        >>> CaseFilter(started=("2025-03-01", None), attributes={"case:dept": ["Sales"]}).conditions()
        {'started': ['2025-03-01', None], 'attributes': {'case:dept': ['Sales']}}
        """
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self) if self.is_set(f.name)}

    def is_empty(self) -> bool:
        return not any(self.is_set(f.name) for f in fields(self))

    def needs_instances(self) -> bool:
        """Whether a condition reads the instances (their order), not only the cases' summary."""
        return any(self.is_set(n) for n in ("follows", "directly_follows", "contains", "not_contains", "rework"))

    def is_relative(self) -> bool:
        """Whether a condition depends on the other cases of the log (the variants' frequencies)."""
        return any(self.is_set(n) for n in RELATIVE)


#: Conditions decided by the frequencies of the variants among the cases the filter sees.
RELATIVE = ("top_variants", "variant_coverage", "variant_min_share")


def _us(value: datetime | str | None, what: str) -> int | None:
    if value is None:
        return None
    try:
        ts = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    except ValueError:
        raise AnalyticsError(f"filter {what}: {value!r} is not an ISO date or date-time (YYYY-MM-DD)",
                             parameter=what, function="CaseFilter") from None
    if ts.tzinfo is None:
        from datetime import UTC

        ts = ts.replace(tzinfo=UTC)  # dates without a zone are UTC, like every stored timestamp
    return int(ts.timestamp() * 1_000_000)


def _window(col_lo: str, col_hi: str, win: Window, what: str) -> list[str]:
    lo, hi = _us(win[0], what), _us(win[1], what)
    out = []
    if lo is not None:
        out.append(f"{col_hi} >= {lo}")
    if hi is not None:
        out.append(f"{col_lo} < {hi}")
    return out


def _lit(values: Sequence[Any]) -> str:
    def one(v: Any) -> str:
        if isinstance(v, bool):
            return "TRUE" if v else "FALSE"
        if isinstance(v, int | float):
            return repr(v)
        return "'" + str(v).replace("'", "''") + "'"
    return ", ".join(one(v) for v in values) or "NULL"


def _between(expr: str, bounds: Bounds, scale: float = 1.0) -> list[str]:
    lo, hi = bounds
    out = []
    if lo is not None:
        out.append(f"{expr} >= {float(lo) * scale!r}")
    if hi is not None:
        out.append(f"{expr} <= {float(hi) * scale!r}")
    return out


def _variant(expr: str = "trace") -> str:
    return f"array_to_string({expr}, '{ARROW}')"


def _summary_conditions(flt: CaseFilter) -> list[str]:
    """Conditions on the ``cases`` relation alone (times, sizes, variants, endpoints)."""
    conds: list[str] = []
    for name, lo_col, hi_col in (("started", "start_us", "start_us"), ("completed", "end_us", "end_us"),
                                 ("active", "start_us", "end_us")):
        win = getattr(flt, name)
        if win:
            conds += _window(lo_col, hi_col, win, name)
    if flt.contained:
        lo, hi = _us(flt.contained[0], "contained"), _us(flt.contained[1], "contained")
        conds += [f"start_us >= {lo}"] if lo is not None else []
        conds += [f"end_us < {hi}"] if hi is not None else []
    if flt.duration_s:
        conds += _between("throughput_us", flt.duration_s, 1e6)
    if flt.case_size:
        conds += _between("instances", flt.case_size)
    if flt.variants is not None:
        conds.append(f"{_variant()} IN ({_lit(flt.variants)})")
    if flt.not_variants:  # none listed: none dropped
        conds.append(f"{_variant()} NOT IN ({_lit(flt.not_variants)})")
    if flt.start_steps is not None:
        conds.append(f"trace[1] IN ({_lit(flt.start_steps)})")
    if flt.end_steps is not None:
        conds.append(f"trace[-1] IN ({_lit(flt.end_steps)})")
    return conds


def _frequent(counts: list[tuple[tuple[str, ...], int]], flt: CaseFilter) -> set[tuple[str, ...]]:
    """The variants the relative conditions keep, from every variant's case count (each condition
    decided on all the counts, as pm4py decides it; the kept ones are those all of them keep)."""
    n = sum(c for _, c in counts)
    keep = {v for v, _ in counts}
    if flt.top_variants is not None:  # pm4py: sorted by (count, variant), greatest first
        ranked = sorted(counts, key=lambda vc: (vc[1], vc[0]), reverse=True)
        keep &= {v for v, _ in ranked[: flt.top_variants]}
    if flt.variant_min_share is not None:
        keep &= {v for v, c in counts if c >= flt.variant_min_share * n}
    if flt.variant_coverage is not None:  # cumulative, most frequent first; ties with the last one kept
        covered, floor, kept = 0, -1, set()
        for v, c in sorted(counts, key=lambda vc: vc[1], reverse=True):
            if c < floor:
                break
            kept.add(v)
            covered += c
            if covered >= flt.variant_coverage * n:
                floor = c
        keep &= kept
    return keep


def _relative_condition(eng: Engine, flt: CaseFilter) -> str:
    rows = eng.arrow("SELECT trace, COUNT(*) AS n FROM cases GROUP BY trace").to_pylist()
    keep = _frequent([(tuple(r["trace"]), int(r["n"])) for r in rows], flt)
    return f"{_variant()} IN ({_lit([ARROW.join(v) for v in sorted(keep)])})"


def _instance_conditions(flt: CaseFilter) -> list[str]:
    """Conditions on the instances: which activities a case executes, and in which order."""
    conds: list[str] = []
    if flt.follows:
        a, b = _lit([flt.follows[0]]), _lit([flt.follows[1]])
        conds.append(f'"case" IN (SELECT x."case" FROM (SELECT "case", MIN(pos) AS p FROM inst WHERE activity = {a} '
                     f'GROUP BY 1) x JOIN (SELECT "case", MAX(pos) AS p FROM inst WHERE activity = {b} GROUP BY 1) y '
                     f'ON x."case" = y."case" AND x.p < y.p)')
    if flt.directly_follows:
        a, b = _lit([flt.directly_follows[0]]), _lit([flt.directly_follows[1]])
        gap = " AND ".join(["", *_between("edge_us", flt.directly_follows_s, 1e6)]) if flt.directly_follows_s else ""
        conds.append(f'"case" IN (SELECT "case" FROM inst WHERE prev_activity = {a} AND activity = {b}{gap})')
    for step in flt.contains or ():
        conds.append(f'"case" IN (SELECT "case" FROM inst WHERE activity = {_lit([step])})')
    if flt.not_contains is not None:
        conds.append(f'"case" NOT IN (SELECT "case" FROM inst WHERE activity IN ({_lit(flt.not_contains)}))')
    for step in flt.rework or ():
        conds.append(f'"case" IN (SELECT "case" FROM inst WHERE activity = {_lit([step])} AND repetition = 2)')
    return conds


def _attribute_conditions(eng: Engine, flt: CaseFilter) -> list[str]:
    conds: list[str] = []
    columns: list[str] = []
    if flt.attributes or flt.ranges:
        columns = eng.arrow("SELECT * FROM log LIMIT 0").column_names
    for name, values in flt.attributes.items():
        _column(name, columns, "attributes")
        conds.append(f'"case" IN (SELECT {q(CASE)} FROM log WHERE {q(name)} IN ({_lit(values)}))')
    for name, bounds in (flt.ranges or {}).items():
        _column(name, columns, "ranges")
        inside = " AND ".join(_between(q(name), bounds)) or "TRUE"
        conds.append(f'"case" IN (SELECT {q(CASE)} FROM log WHERE {inside})')
    return conds


def kept_cases(eng: Engine, flt: CaseFilter) -> pa.Array:
    """Case ids that satisfy ``flt`` (the engine's ``log`` must hold the attribute columns)."""
    conds = _summary_conditions(flt) + _attribute_conditions(eng, flt) + _instance_conditions(flt)
    if flt.is_relative():
        conds.append(_relative_condition(eng, flt))
    if flt.cases is not None:
        eng.con.register("flt_cases_", pa.table({"case": pa.array([str(c) for c in flt.cases], pa.string())}))
        conds.append('"case" IN (SELECT "case" FROM flt_cases_)')
    where = " AND ".join(conds) or "TRUE"
    return eng.arrow(f'SELECT "case" FROM cases WHERE {where}').column(0).combine_chunks()


def closest(value: str, known: Sequence[str], n: int = 3) -> str:
    """``"; closest: 'a', 'b'"`` for the known names most like ``value`` (empty when none is close)."""
    near = difflib.get_close_matches(value, list(known), n=n, cutoff=0.5)
    lowered = {k.lower(): k for k in known}
    if value.lower() in lowered and lowered[value.lower()] not in near:
        near.insert(0, lowered[value.lower()])
    return "; closest: " + ", ".join(repr(x) for x in near[:n]) if near else ""


def _column(name: str, columns: Sequence[str], what: str) -> None:
    if name in columns:
        return
    hint = closest(name, columns)
    if CASE_PREFIX + name in columns and repr(CASE_PREFIX + name) not in hint:
        hint = f"; closest: {CASE_PREFIX + name!r}"
    raise AnalyticsError(f"filter {what}: the log has no column {name!r}{hint}", parameter=what,
                         function="CaseFilter")


def check_case_filter(eng: Engine, flt: CaseFilter, schema: pa.Schema | None = None) -> None:
    """Raise an :class:`AnalyticsError` naming the first activity, variant or column ``flt`` asks for
    that the engine's log does not have, with the closest matches (a typo would keep no case), or a
    range on a column that is not numeric. ``schema``: the log's, when the engine's ``log`` holds only
    some of its columns."""
    activities: list[str] | None = None
    asked: list[tuple[str, str]] = []
    for name in ("start_steps", "end_steps", "contains", "not_contains", "rework"):
        asked += [(name, a) for a in getattr(flt, name) or ()]
    for name in ("follows", "directly_follows"):
        asked += [(name, a) for a in getattr(flt, name) or ()]
    if asked:
        activities = [str(a) for a in eng.arrow(f"SELECT DISTINCT {q(ACTIVITY)} FROM log").column(0).to_pylist()
                      if a is not None]
        for name, a in asked:
            if a not in activities:
                raise AnalyticsError(f"filter {name}: the log has no activity {a!r}{closest(a, sorted(activities))}",
                                     parameter=name, function="CaseFilter")
    wanted = [(n, v) for n in ("variants", "not_variants") for v in getattr(flt, n) or ()]
    if wanted:
        known = [str(v) for v in eng.arrow(f"SELECT DISTINCT {_variant()} FROM cases").column(0).to_pylist()]
        for name, v in wanted:
            if v not in known:
                raise AnalyticsError(f"filter {name}: the log has no variant {v!r}{closest(v, sorted(known))}",
                                     parameter=name, function="CaseFilter")
    if flt.attributes or flt.ranges:
        schema = schema if schema is not None else eng.arrow("SELECT * FROM log LIMIT 0").schema
        for name in [*flt.attributes, *(flt.ranges or {})]:
            _column(name, schema.names, "attributes" if name in flt.attributes else "ranges")
        for name in flt.ranges or {}:
            kind = schema.field(name).type
            if not (pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind)):
                raise AnalyticsError(f"filter ranges: the column {name!r} holds {kind}, not numbers; give its "
                                     f"values instead ({name}=V1,V2)", parameter="ranges", function="CaseFilter")
