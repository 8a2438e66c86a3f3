"""Case filters, applied before any metric. Every filter keeps or drops **whole cases**, so the map of a
filtered log is a map of real cases.

A :class:`CaseFilter` is a small value object; all its conditions must hold (AND):

* ``started`` / ``completed`` / ``active``: (from, to) time window, half-open ``[from, to)``; a case
  started in it (first start, or first completion where no start is known), completed in it (last
  completion), or active in it (started before ``to`` and completed at or after ``from``);
* ``attributes``: column → allowed values; a case is kept when any of its events has an allowed value
  (case attributes are on every event, so this works for case and event attributes alike);
* ``ranges``: numeric column → (min, max), inclusive, either may be None; a case is kept when any of its
  events has a value in the range (for a case attribute: the case's value);
* ``variants``: allowed variants (activities joined by ``" → "``, as :func:`variants` shows them);
* ``duration_s``: (min, max) throughput time in seconds, inclusive; either may be None;
* ``start_steps`` / ``end_steps``: allowed first / last activity of the case;
* ``follows``: (A, B): some execution of A is eventually followed by an execution of B;
* ``directly_follows``: (A, B): some execution of A is immediately followed by one of B (the next
  instance of the case in the canonical order, as on the process map's edge ``A → B``);
* ``contains``: activities every kept case executes at least once;
* ``cases``: allowed case ids (for example the conforming cases of a conformance check).

:func:`kept_cases` is the one SQL that decides which cases a filter keeps, on any engine; the verb
``filter_cases`` (in ``_table``) returns their rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from typing import Any

import pyarrow as pa

from flowmine._schema import CASE
from flowmine.analytics._sql import Engine, q
from flowmine.errors import AnalyticsError

Window = tuple[datetime | str | None, datetime | str | None]


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return list(value) if all(type(v) is str for v in value) else [_plain(v) for v in value]
    return value


@dataclass(frozen=True)
class CaseFilter:
    """Conditions on whole cases (all must hold). See the module docstring for each field."""

    started: Window | None = None
    completed: Window | None = None
    active: Window | None = None
    attributes: Mapping[str, Sequence[Any]] = field(default_factory=dict)
    variants: Sequence[str] | None = None
    duration_s: tuple[float | None, float | None] | None = None
    start_steps: Sequence[str] | None = None
    end_steps: Sequence[str] | None = None
    follows: tuple[str, str] | None = None
    cases: Sequence[str] | None = None
    directly_follows: tuple[str, str] | None = None
    contains: Sequence[str] | None = None
    ranges: Mapping[str, tuple[float | None, float | None]] | None = None

    def conditions(self) -> dict[str, Any]:
        """The conditions that are set, as JSON values (dates as ISO text): what a report says it covers.

        >>> CaseFilter(started=("2025-03-01", None), attributes={"case:dept": ["Sales"]}).conditions()
        {'started': ['2025-03-01', None], 'attributes': {'case:dept': ['Sales']}}
        """
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is not None and not (f.name == "attributes" and not value):
                out[f.name] = _plain(value)
        return out

    def is_empty(self) -> bool:
        return not any((self.started, self.completed, self.active, self.attributes, self.variants is not None,
                        self.duration_s, self.start_steps is not None, self.end_steps is not None, self.follows,
                        self.cases is not None, self.directly_follows, self.contains is not None,
                        self.ranges))

    def needs_instances(self) -> bool:
        """Whether a condition reads the instances (their order), not only the cases' summary."""
        return bool(self.follows or self.directly_follows or self.contains)


def _us(value: datetime | str | None, what: str) -> int | None:
    if value is None:
        return None
    try:
        ts = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    except ValueError:
        raise AnalyticsError(f"filter {what}: {value!r} is not an ISO date or date-time") from None
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


def kept_cases(eng: Engine, flt: CaseFilter) -> pa.Array:
    """Case ids that satisfy ``flt`` (the engine's ``log`` must hold the attribute columns)."""
    conds: list[str] = []
    if flt.started:
        conds += _window("start_us", "start_us", flt.started, "started")
    if flt.completed:
        conds += _window("end_us", "end_us", flt.completed, "completed")
    if flt.active:
        conds += _window("start_us", "end_us", flt.active, "active")
    if flt.duration_s:
        lo, hi = flt.duration_s
        if lo is not None:
            conds.append(f"throughput_us >= {float(lo) * 1e6!r}")
        if hi is not None:
            conds.append(f"throughput_us <= {float(hi) * 1e6!r}")
    if flt.variants is not None:
        conds.append(f"array_to_string(trace, ' → ') IN ({_lit(flt.variants)})")
    if flt.start_steps is not None:
        conds.append(f"trace[1] IN ({_lit(flt.start_steps)})")
    if flt.end_steps is not None:
        conds.append(f"trace[-1] IN ({_lit(flt.end_steps)})")
    columns = eng.arrow("SELECT * FROM log LIMIT 0").column_names
    for name, values in flt.attributes.items():
        if name not in columns:
            raise AnalyticsError(f"filter attributes: the log has no column {name!r}")
        conds.append(f'"case" IN (SELECT {q(CASE)} FROM log WHERE {q(name)} IN ({_lit(values)}))')
    for name, (lo, hi) in (flt.ranges or {}).items():
        if name not in columns:
            raise AnalyticsError(f"filter ranges: the log has no column {name!r}")
        bounds = [f"{q(name)} {op} {float(v)!r}" for op, v in ((">=", lo), ("<=", hi)) if v is not None]
        conds.append(f'"case" IN (SELECT {q(CASE)} FROM log WHERE {" AND ".join(bounds) or "TRUE"})')
    if flt.follows:
        a, b = _lit([flt.follows[0]]), _lit([flt.follows[1]])
        conds.append(f'"case" IN (SELECT x."case" FROM (SELECT "case", MIN(pos) AS p FROM inst WHERE activity = {a} '
                     f'GROUP BY 1) x JOIN (SELECT "case", MAX(pos) AS p FROM inst WHERE activity = {b} GROUP BY 1) y '
                     f'ON x."case" = y."case" AND x.p < y.p)')
    if flt.directly_follows:
        a, b = _lit([flt.directly_follows[0]]), _lit([flt.directly_follows[1]])
        conds.append(f'"case" IN (SELECT x."case" FROM inst x JOIN inst y ON x."case" = y."case" '
                     f'AND y.pos = x.pos + 1 WHERE x.activity = {a} AND y.activity = {b})')
    for step in flt.contains or ():
        conds.append(f'"case" IN (SELECT "case" FROM inst WHERE activity = {_lit([step])})')
    if flt.cases is not None:
        eng.con.register("flt_cases_", pa.table({"case": pa.array([str(c) for c in flt.cases], pa.string())}))
        conds.append('"case" IN (SELECT "case" FROM flt_cases_)')
    where = " AND ".join(conds) or "TRUE"
    return eng.arrow(f'SELECT "case" FROM cases WHERE {where}').column(0).combine_chunks()

