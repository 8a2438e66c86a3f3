"""A minimal streaming XES 1.0 writer with start/complete lifecycle events.

flowmine's general XES export lives in :mod:`flowmine.export`; this writer exists so the
simulator has no dependency on it and writes exactly the shape the production sample log needs:
one trace per case (case attributes as typed trace attributes), and for each activity instance a
``start`` event (when the start is known) and a ``complete`` event, both with resource and role,
cost and quality on the complete event only. Text is escaped with
:func:`xml.sax.saxutils.quoteattr`; a ``.gz`` path is gzip-compressed.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any
from xml.sax.saxutils import quoteattr

import numpy as np
import pandas as pd

from flowmine._schema import (
    ACTIVITY,
    CASE,
    CASE_PREFIX,
    COST,
    CURRENCY,
    LIFECYCLE,
    QUALITY,
    RESOURCE,
    ROLE,
    START,
    TIMESTAMP,
)

HEADER = """<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="1.0" xes.features="nested-attributes" xmlns="http://www.xes-standard.org/">
 <extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>
 <extension name="Time" prefix="time" uri="http://www.xes-standard.org/time.xesext"/>
 <extension name="Lifecycle" prefix="lifecycle" uri="http://www.xes-standard.org/lifecycle.xesext"/>
 <extension name="Organizational" prefix="org" uri="http://www.xes-standard.org/org.xesext"/>
 <extension name="Cost" prefix="cost" uri="http://www.xes-standard.org/cost.xesext"/>
 <global scope="trace">
  <string key="concept:name" value="__INVALID__"/>
 </global>
 <global scope="event">
  <string key="concept:name" value="__INVALID__"/>
  <date key="time:timestamp" value="1970-01-01T00:00:00.000+00:00"/>
  <string key="lifecycle:transition" value="complete"/>
 </global>
 <classifier name="Activity" keys="concept:name"/>
"""


def _typed(key: str, value: Any) -> str:
    if isinstance(value, bool | np.bool_):
        return f'<boolean key={quoteattr(key)} value="{str(bool(value)).lower()}"/>'
    if isinstance(value, int | np.integer):
        return f'<int key={quoteattr(key)} value="{int(value)}"/>'
    if isinstance(value, float | np.floating):
        return f'<float key={quoteattr(key)} value="{float(value)!r}"/>'
    if isinstance(value, pd.Timestamp):
        return f'<date key={quoteattr(key)} value="{_iso(value)}"/>'
    return f"<string key={quoteattr(key)} value={quoteattr(str(value))}/>"


def _iso(ts: pd.Timestamp) -> str:
    return ts.tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}+00:00"


def _events(rows: pd.DataFrame, extra: list[str]) -> Iterator[tuple[pd.Timestamp, int, str]]:
    columns = [rows[f"x{i}"].to_numpy(dtype=object) for i in range(len(extra))]
    starts = rows["s"].to_numpy(dtype=object)
    for pos, (act, done_at, res, role) in enumerate(zip(rows["a"], rows["t"], rows["r"], rows["o"], strict=True)):
        common = [_typed("concept:name", act)]
        for key, value in (("org:resource", res), ("org:role", role)):
            if isinstance(value, str):
                common.append(_typed(key, value))
        body = "".join(common)
        # Cost, quality and other event attributes go on the complete event only, so that a
        # reader summing cost over events does not count an activity instance twice.
        details = []
        for key, column in zip(extra, columns, strict=True):
            value = column[pos]
            if value is not None and not (isinstance(value, float) and np.isnan(value)):
                details.append(_typed(key, value))
        started = starts[pos]
        if isinstance(started, pd.Timestamp):
            start = _typed(LIFECYCLE, "start") + _typed("time:timestamp", started)
            yield started, 2 * pos, f"  <event>{body}{start}</event>\n"
        done = "".join(details) + _typed(LIFECYCLE, "complete") + _typed("time:timestamp", done_at)
        yield done_at, 2 * pos + 1, f"  <event>{body}{done}</event>\n"


def write_xes(events: pd.DataFrame, path: Path | str) -> Path:
    """Write canonical ``events`` as XES (gzip-compressed when ``path`` ends with ``.gz``).

    Parameters
    ----------
    events : pandas.DataFrame
        Canonical columns; ``case:*`` columns become trace attributes, other non-core columns and
        cost, currency and quality become event attributes.
    path : path
        Target file (``.xes`` or ``.xes.gz``).
    """
    path = Path(path)
    core = {CASE, ACTIVITY, TIMESTAMP, START, RESOURCE, ROLE}
    trace_cols = [c for c in events.columns if c.startswith(CASE_PREFIX) and c != CASE]
    extra = [c for c in events.columns if c not in core and c not in trace_cols]
    extra = [c for c in (COST, CURRENCY, QUALITY) if c in extra] + [
        c for c in extra if c not in (COST, CURRENCY, QUALITY)
    ]
    rows = pd.DataFrame(
        {
            "c": events[CASE].to_numpy(),
            "a": events[ACTIVITY].to_numpy(),
            "t": events[TIMESTAMP],
            "s": events[START] if START in events.columns else pd.NaT,
            "r": events[RESOURCE].to_numpy(dtype=object) if RESOURCE in events.columns else None,
            "o": events[ROLE].to_numpy(dtype=object) if ROLE in events.columns else None,
            **{f"x{i}": events[c].to_numpy(dtype=object) for i, c in enumerate(extra)},
        }
    )
    rows["s"] = rows["s"].astype(object).where(rows["s"].notna(), None)
    with open(path, "wb") as raw:
        if path.name.endswith(".gz"):
            # mtime=0 and no file name in the header: the same events give the same bytes.
            with (
                gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as packed,
                io.TextIOWrapper(packed, encoding="utf-8", newline="\n") as handle,
            ):
                _write(handle, rows, events, trace_cols, extra)
        else:
            with io.TextIOWrapper(raw, encoding="utf-8", newline="\n") as handle:
                _write(handle, rows, events, trace_cols, extra)
    return path


def _write(handle: IO[str], rows: pd.DataFrame, events: pd.DataFrame, trace_cols: list[str], extra: list[str]) -> None:
    handle.write(HEADER)
    first = events.groupby(CASE, sort=False).head(1).set_index(CASE)
    for case_id, group in rows.groupby("c", sort=False):
        parts = [" <trace>", _typed("concept:name", case_id)]
        attrs = first.loc[case_id]
        for col in trace_cols:
            value = attrs[col]
            if not pd.isna(value):
                parts.append(_typed(col[len(CASE_PREFIX) :], value))
        handle.write("".join(parts) + "\n")
        for _, _, text in sorted(_events(group, extra), key=lambda e: (e[0], e[1])):
            handle.write(text)
        handle.write(" </trace>\n")
    handle.write("</log>\n")
