"""Write a canonical event log as an IEEE 1849-2016 XES file (``.xes`` or ``.xes.gz``).

The writer streams the log out in chunks of rendered XML text to a temporary file in the
target directory and moves it into place with ``os.replace``, so a reader never sees half a
file. Every event is written with the XES keys of the canonical schema; a known
``start_timestamp`` becomes a separate event with ``lifecycle:transition="start"`` before its
``complete`` event, so ProM and pm4py see lifecycle pairs; a known ready time becomes a ``schedule``
event, an open instance writes only its start, an aborted, withdrawn or skipped one ends with that
transition instead of ``complete``, and a kept never-started instance writes only its schedule (the
total pause, ``paused_us``, is not written: XES has no field for it, and the suspend/resume times it
sums are gone). ``event_id``, ``source:file`` and
``source:row`` are not written: they are flowmine's own bookkeeping (re-reading the file gives
new ones) and would collide with the canonical columns on re-ingest. Characters XML 1.0 cannot
hold (control characters other than tab, newline and carriage return, lone surrogates,
U+FFFE/U+FFFF) are replaced by U+FFFD; tab, newline and carriage return are written as
character references so that they survive attribute-value normalisation.
"""

from __future__ import annotations

import gzip
import math
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, Final

import numpy as np
import pandas as pd

from flowmine._atomic import atomic_file
from flowmine._schema import (
    ACTIVITY,
    CASE,
    CASE_PREFIX,
    EVENT_ID,
    LIFECYCLE,
    OUTCOME,
    PAUSED,
    READY,
    SOURCE,
    SOURCE_ROW,
    START,
    TIMESTAMP,
    Outcome,
)
from flowmine.errors import MissingColumnError, OptionError

_CHUNK_ROWS: Final = 20_000
_NOT_WRITTEN: Final = (START, READY, OUTCOME, PAUSED, EVENT_ID, SOURCE, SOURCE_ROW)
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\t": "&#9;", "\n": "&#10;",
                          "\r": "&#13;"})  # fmt: skip
_EXTENSIONS: Final = (
    ("Concept", "concept"), ("Time", "time"), ("Lifecycle", "lifecycle"), ("Organizational", "org"),
    ("Cost", "cost"),
)  # fmt: skip


def _text(value: object) -> str:
    """An XML attribute value: escaped, with characters XML 1.0 cannot hold replaced by U+FFFD."""
    return _INVALID_XML.sub("\ufffd", str(value)).translate(_ESCAPES)


def _dates(values: pd.Series) -> list[str | None]:
    """ISO 8601 with ``+00:00``: milliseconds, or microseconds where a value has them."""
    ts = pd.to_datetime(values, utc=True).dt.tz_localize(None).astype("datetime64[us]")
    text = np.datetime_as_string(ts.to_numpy(), unit="us").tolist()
    out: list[str | None] = []
    for s, missing in zip(text, ts.isna().tolist(), strict=True):
        out.append(None if missing else (s[:-3] if s.endswith("000") else s) + "+00:00")
    return out


def _renderer(series: pd.Series) -> tuple[str, Callable[[pd.Series], list[str | None]]]:
    """The XES type of a column and a function rendering a slice of it as attribute values."""
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean", lambda s: [None if pd.isna(v) else "true" if v else "false" for v in s.tolist()]
    if pd.api.types.is_integer_dtype(dtype):
        return "int", lambda s: [None if pd.isna(v) else str(int(v)) for v in s.tolist()]
    if pd.api.types.is_float_dtype(dtype):
        return "float", lambda s: [_float(v) for v in s.tolist()]
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "date", _dates
    return "string", lambda s: [None if _missing(v) else _text(v) for v in s.tolist()]


def _missing(v: Any) -> bool:
    return v is None or (not isinstance(v, str) and bool(pd.api.types.is_scalar(v) and pd.isna(v)))


def _float(v: Any) -> str | None:
    if v is None or pd.isna(v):
        return None
    return repr(float(v)) if math.isfinite(v) else ("INF" if v > 0 else "-INF")


def _attribute(tag: str, key: str, value: str | None) -> str:
    return f'<{tag} key="{_text(key)}" value="{value}"/>'


def _expand(df: pd.DataFrame) -> pd.DataFrame:
    """One row per XES event: a ``schedule`` row at each known ready time and a ``start`` row at each
    known start before the instance's end (``complete``, or its outcome: ``ate_abort``, ``withdraw``...);
    open and never-started instances have no end row."""
    frame = df.reset_index(drop=True)
    has_start = START in frame.columns and bool(frame[START].notna().any())
    has_ready = READY in frame.columns and bool(frame[READY].notna().any())
    has_outcome = OUTCOME in frame.columns and bool(frame[OUTCOME].notna().any())
    if not (has_start or has_ready or has_outcome):
        return frame.assign(_case=pd.factorize(frame[CASE])[0]).sort_values("_case", kind="stable")
    parts = []
    for column, transition, kind, present in ((READY, "schedule", 0, has_ready), (START, "start", 1, has_start)):
        if present:
            rows = frame[frame[column].notna()].copy()
            rows[TIMESTAMP] = rows[column]
            rows[LIFECYCLE] = transition
            parts.append(rows.assign(_kind=kind, _order=rows.index))
    ends = frame[frame[TIMESTAMP].notna()].copy()  # an open or never-started instance has no end
    has_life = LIFECYCLE in ends.columns
    lifecycle = ends[LIFECYCLE] if has_life else pd.Series(pd.NA, index=ends.index, dtype=object)
    no_start = ends[START].isna() if has_start else pd.Series(True, index=ends.index)
    lifecycle = lifecycle.where(no_start & lifecycle.notna(), "complete")
    if has_outcome:
        outcome = ends[OUTCOME]
        lifecycle = outcome.where(outcome.notna() & (outcome != Outcome.NEVER_STARTED), lifecycle)
        if has_life:  # a plain event among instances keeps its own value, or none (it is no transition)
            lifecycle = lifecycle.where(outcome.notna(), ends[LIFECYCLE])
    ends[LIFECYCLE] = lifecycle.astype(object)
    parts.append(ends.assign(_kind=2, _order=ends.index))
    both = pd.concat(parts)
    both["_case"] = pd.Categorical(both[CASE], categories=pd.unique(frame[CASE])).codes
    both["_ts"] = pd.to_datetime(both[TIMESTAMP], utc=True)
    return both.sort_values(["_case", "_ts", "_order", "_kind"], kind="stable").drop(columns=["_ts", "_kind"])


def _header(lifecycle: bool) -> str:
    ext = "".join(
        f'<extension name="{n}" prefix="{p}" uri="http://www.xes-standard.org/{p}.xesext"/>\n'
        for n, p in _EXTENSIONS
    )
    life = '<string key="lifecycle:transition" value="complete"/>' if lifecycle else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<log xes.version="1849-2016" xes.features="" xmlns="http://www.xes-standard.org/">\n'
        f"{ext}"
        '<global scope="trace"><string key="concept:name" value="__INVALID__"/></global>\n'
        '<global scope="event"><string key="concept:name" value="__INVALID__"/>'
        f'<date key="time:timestamp" value="1970-01-01T00:00:00.000+00:00"/>{life}</global>\n'
        '<classifier name="Activity" keys="concept:name"/>\n'
    )


def _chunks(frame: pd.DataFrame) -> Iterator[str]:
    """XML text of the traces, a few thousand events at a time."""
    case_cols = [c for c in frame.columns if c.startswith(CASE_PREFIX) and c != CASE]
    event_cols = [c for c in frame.columns if c not in _NOT_WRITTEN and not c.startswith(("_", CASE_PREFIX))]
    renderers = {c: _renderer(frame[c]) for c in case_cols + event_cols}
    cases = frame["_case"].to_numpy()
    first_rows = np.flatnonzero(np.r_[True, cases[1:] != cases[:-1]])
    ends = np.r_[first_rows[1:], len(frame)]
    trace_bounds = list(zip(first_rows.tolist(), ends.tolist(), strict=True))
    case_text = [_text(v) for v in frame[CASE].tolist()]
    at = 0
    while at < len(trace_bounds):
        stop = at
        while stop < len(trace_bounds) and trace_bounds[stop][1] - trace_bounds[at][0] <= _CHUNK_ROWS:
            stop += 1
        stop = max(stop, at + 1)
        lo, hi = trace_bounds[at][0], trace_bounds[stop - 1][1]
        part = frame.iloc[lo:hi]
        values = {c: (typ, render(part[c])) for c, (typ, render) in renderers.items()}
        cols = {c: values[c] for c in event_cols}
        out: list[str] = []
        for first, end in trace_bounds[at:stop]:
            out.append(f'<trace>\n<string key="concept:name" value="{case_text[first]}"/>\n')
            for c in case_cols:  # constant within a case: taken from its first row
                typ, vals = values[c]
                if vals[first - lo] is not None:
                    out.append(_attribute(typ, c[len(CASE_PREFIX) :], vals[first - lo]) + "\n")
            for row in range(first - lo, end - lo):
                attrs = [_attribute(typ, c, v[row]) for c, (typ, v) in cols.items() if v[row] is not None]
                out.append("<event>" + "".join(attrs) + "</event>\n")
            out.append("</trace>\n")
        yield "".join(out)
        at = stop


def write_xes(df: pd.DataFrame, path: Path) -> None:
    """Write a canonical event log to ``path`` as XES (gzip-compressed when it ends in ``.gz``).

    Parameters
    ----------
    df:
        Canonical events (columns per :mod:`flowmine._schema`); case attributes are the columns
        prefixed ``case:`` and go on the trace. Typed by dtype: integer → ``int``, float →
        ``float``, bool → ``boolean``, datetime → ``date``, anything else → ``string``. Null
        values are left out.
    path:
        Target file, ``.xes`` or ``.xes.gz``; written atomically (temporary file, then rename).

    Raises
    ------
    OptionError
        ``path`` has another extension (a ``ValueError``).
    MissingColumnError
        ``df`` lacks a case, activity or timestamp column (a ``ValueError`` and a ``KeyError``).

    Examples
    --------
    >>> import tempfile
    >>> frame = pd.DataFrame({CASE: ["c1"], ACTIVITY: ["register"],
    ...                       TIMESTAMP: pd.to_datetime(["2024-03-01T09:30:00Z"])})
    >>> write_xes(frame, Path(tempfile.mkdtemp()) / "out.xes")
    """
    path = Path(path)
    if not path.name.lower().endswith((".xes", ".xes.gz")):
        raise OptionError(f"The path of write_xes must end in .xes or .xes.gz. Got {path.name!r} instead.",
                          parameter="path", function="write_xes")
    missing = [c for c in (CASE, ACTIVITY, TIMESTAMP) if c not in df.columns]
    if missing:
        raise MissingColumnError(f"The frame given to write_xes lacks the column(s) {missing}.")
    frame = _expand(df)
    with atomic_file(path) as raw:
        gz = path.name.lower().endswith(".gz")
        out: IO[bytes] = gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) if gz else raw  # type: ignore[assignment]
        out.write(_header(LIFECYCLE in frame.columns).encode())
        for text in _chunks(frame):
            out.write(text.encode("utf-8"))
        out.write(b"</log>\n")
        if out is not raw:
            out.close()


__all__ = ["write_xes"]
