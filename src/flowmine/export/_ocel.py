"""OCEL 2.0 export: an object-centric log written in the standard's JSON, XML or SQLite form.

flowmine picks the form by the file's extension. JSON and XML are written in DuckDB (:mod:`._ocel_json`,
:mod:`._ocel_xml`), SQLite with ``sqlite3`` in batches (:mod:`._ocel_sqlite`); none goes through pm4py's
writers, which walk the log row by row in Python. Every write is
all-or-nothing: the file is written into a private folder beside the target, and the finished file
replaces the target in one rename (an SQLite writer would otherwise add to an existing database, and a
failed write would leave half a file).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Final

from flowmine.errors import OptionError

if TYPE_CHECKING:
    from pm4py.objects.ocel.obj import OCEL

#: Extension → the standard form it writes.
OCEL_EXTENSIONS: Final = {".jsonocel": "json", ".json": "json", ".xmlocel": "xml", ".xml": "xml",
                          ".sqlite": "sqlite", ".sqlite3": "sqlite", ".db": "sqlite"}


def ocel_form(path: str | os.PathLike[str]) -> str:
    """``"json"``, ``"xml"`` or ``"sqlite"`` for the output ``path``, or an :class:`OptionError` naming the choices."""
    suffix = Path(path).suffix.lower()
    try:
        return OCEL_EXTENSIONS[suffix]
    except KeyError:
        raise OptionError(f"{os.fspath(path)}: an OCEL 2.0 file ends in .jsonocel, .xmlocel or .sqlite, "
                          f"got {suffix or 'no extension'!r}") from None


def write_ocel(ocel: OCEL, path: str | os.PathLike[str], *, timezone: str | None = None) -> Path:
    """Write ``ocel`` (pm4py's ``OCEL``) to ``path`` in the OCEL 2.0 form its extension names; returns the path.

    ``timezone`` (JSON and XML): write times local to that zone with their offset (``2024-01-02T09:00:00+08:00``)
    instead of UTC (``Z``); the instants are the same.

    Examples
    --------
    >>> from flowmine import read_ocel, write_ocel
    >>> write_ocel(read_ocel("sample_logs/sales_o2c.jsonocel"), "o2c.sqlite")  # doctest: +SKIP
    """
    target = Path(path)
    form = ocel_form(target)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise FileNotFoundError(2, f"cannot write it: the folder {folder} does not exist", str(target))
    with tempfile.TemporaryDirectory(dir=folder, prefix=f".{target.name}.") as tmp:
        part = Path(tmp) / f"ocel{target.suffix}"
        if form == "json":
            from flowmine.export._ocel_json import write_ocel_json

            with part.open("wb") as fh:
                write_ocel_json(ocel, fh, timezone)
        elif form == "xml":
            from flowmine.export._ocel_xml import write_ocel_xml

            try:
                with part.open("wb") as fh:
                    write_ocel_xml(ocel, fh, timezone)
            except OptionError as exc:  # a character XML 1.0 cannot hold: name the file the write was for
                raise OptionError(f"{os.fspath(target)}: {exc}", parameter="ocel", function="write_ocel") from None
        else:
            from flowmine.export._ocel_sqlite import write_ocel_sqlite

            write_ocel_sqlite(ocel, part)
        with part.open("rb+") as fh:
            os.fsync(fh.fileno())
        os.chmod(part, 0o644)
        os.replace(part, target)
    return target
