"""OCEL 2.0 export: an object-centric log written in the standard's JSON, XML or SQLite form.

flowmine picks the form by the file's extension. JSON is written in DuckDB (:mod:`._ocel_json`, 27x
pm4py's writer on 237k events), SQLite with ``sqlite3`` in batches (:mod:`._ocel_sqlite`), XML by pm4py
(``write_ocel2_xml``). Every write is
all-or-nothing: the file is written into a private folder beside the target, and the finished file
replaces the target in one rename (an SQLite writer would otherwise add to an existing database, and a
failed write would leave half a file).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Final

import pandas as pd

from flowmine.errors import OptionError

if TYPE_CHECKING:
    from pm4py.objects.ocel.obj import OCEL

#: Extension → the standard form it writes.
OCEL_EXTENSIONS: Final = {".jsonocel": "json", ".json": "json", ".xmlocel": "xml", ".xml": "xml",
                          ".sqlite": "sqlite", ".sqlite3": "sqlite", ".db": "sqlite"}
_EXACT: Final = 2**53  # integers a float64 holds exactly


def ocel_form(path: str | os.PathLike[str]) -> str:
    """``"json"``, ``"xml"`` or ``"sqlite"`` for the output ``path``, or an :class:`OptionError` naming the choices."""
    suffix = Path(path).suffix.lower()
    try:
        return OCEL_EXTENSIONS[suffix]
    except KeyError:
        raise OptionError(f"{os.fspath(path)}: an OCEL 2.0 file ends in .jsonocel, .xmlocel or .sqlite, "
                          f"got {suffix or 'no extension'!r}") from None


def _numeric_plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Numeric attribute columns as numpy float64, which pm4py declares ``float``: it tells types by the
    dtype's name and declares a pandas nullable ``Float64`` or any integer column ``string``, so the
    value would come back as text. Integers beyond 2**53 stay as they are (a float would change them)."""
    out = {}
    for name in frame.columns:
        s = frame[name]
        if str(name).startswith("ocel:") or not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
            continue
        if pd.api.types.is_integer_dtype(s) and s.abs().max(skipna=True) > _EXACT:
            continue
        out[name] = s.astype("float64")
    return frame.assign(**out) if out else frame


def _times_as_objects(frame: pd.DataFrame) -> pd.DataFrame:
    """Datetime columns as UTC ``Timestamp`` objects: pm4py's JSON writer formats datetime columns with
    ``%Y-%m-%dT%H:%M:%SZ`` and drops the fraction of a second, but writes objects with ``isoformat()``."""
    out = {}
    for name in frame.columns:
        s = frame[name]
        if pd.api.types.is_datetime64_any_dtype(s):
            out[name] = pd.Series(list(pd.to_datetime(s, utc=True)), index=s.index, dtype=object)
    return frame.assign(**out) if out else frame


def _typed_for_pm4py(ocel: OCEL, form: str) -> OCEL:
    from pm4py.objects.ocel.obj import OCEL as _OCEL

    events, objects, changes = (_numeric_plain(f) for f in (ocel.events, ocel.objects, ocel.object_changes))
    if form == "json":
        events, changes = _times_as_objects(events), _times_as_objects(changes)
    return _OCEL(events=events, objects=objects, relations=ocel.relations, globals=ocel.globals,
                 parameters=ocel.parameters, o2o=ocel.o2o, e2e=ocel.e2e, object_changes=changes)


def write_ocel(ocel: OCEL, path: str | os.PathLike[str], *, timezone: str | None = None) -> Path:
    """Write ``ocel`` (pm4py's ``OCEL``) to ``path`` in the OCEL 2.0 form its extension names; returns the path.

    ``timezone`` (JSON): write times local to that zone with their offset (``2024-01-02T09:00:00+08:00``)
    instead of UTC (``Z``); the instants are the same.

    Examples
    --------
    >>> from flowmine import read_ocel, write_ocel
    >>> write_ocel(read_ocel("sample_logs/sales_o2c.jsonocel"), "o2c.sqlite")  # doctest: +SKIP
    """
    import pm4py

    target = Path(path)
    form = ocel_form(target)
    writer = {"json": pm4py.write_ocel2_json, "xml": pm4py.write_ocel2_xml, "sqlite": pm4py.write_ocel2_sqlite}[form]
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise FileNotFoundError(2, f"cannot write it: the folder {folder} does not exist", str(target))
    with tempfile.TemporaryDirectory(dir=folder, prefix=f".{target.name}.") as tmp:
        part = Path(tmp) / f"ocel{target.suffix}"
        if form == "json":
            from flowmine.export._ocel_json import write_ocel_json

            with part.open("wb") as fh:
                write_ocel_json(ocel, fh, timezone)
        elif form == "sqlite":
            from flowmine.export._ocel_sqlite import write_ocel_sqlite

            write_ocel_sqlite(ocel, part)
        else:
            writer(_typed_for_pm4py(ocel, form), str(part))
        with part.open("rb+") as fh:
            os.fsync(fh.fileno())
        os.chmod(part, 0o644)
        os.replace(part, target)
    return target
