"""One entry point for every format: check the path, sniff the content, read, normalise.

The mapping's ``[limits]`` hold for every format: decompressed bytes (gzip, ZIP, .xlsx, Parquet),
a wall clock on reading and normalising, the number of columns and of distinct activities, so
that an input too large for the machine stops with one line instead of a MemoryError later.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pyarrow.compute as pc

from flowmine._schema import ACTIVITY
from flowmine.errors import UnusableInputError
from flowmine.ingest._mapping import Mapping, load_mapping
from flowmine.ingest._normalize import Normalized, normalize
from flowmine.ingest._ocel import OCEL_FORMATS, read_ocel_raw
from flowmine.ingest._raw import RawTable
from flowmine.ingest._source import archive_member, archive_members, check_deadline, check_source, detect, reading


def read_raw(source: str | os.PathLike[str], mapping: Mapping | None = None) -> RawTable:
    """Read ``source`` with the reader its content calls for (the extension is only a hint)."""
    m = mapping or Mapping()
    with reading(m.limits.max_bytes, m.limits.max_seconds, quote_content=not os.path.islink(source)):
        return _read_raw(source, m)


def _read_raw(source: str | os.PathLike[str], m: Mapping) -> RawTable:
    path = check_source(source)
    fmt, gz, notes = detect(path)
    raw: RawTable
    if fmt == "zip":
        with archive_member(path, m.member) as (inner, name):
            raw = _read_format(inner, m)
        raw.notes.insert(0, f"{path.name}: read archive member {name!r}")
    else:
        if m.member is not None:
            raise UnusableInputError(os.fspath(source), f"is not a ZIP archive, but the mapping names the member "
                                     f"{m.member!r} ([source] member)")
        raw = _read_format(path, m, fmt, gz)
    raw.source = os.fspath(source)
    raw.notes[:0] = notes
    limit = m.limits.max_columns
    if raw.table.num_columns > limit:
        raise UnusableInputError(raw.source, f"has {raw.table.num_columns:,} columns, more than the limit of "
                                 f"{limit:,} ([limits] max_columns in the mapping)")
    check_deadline(raw.source)
    return raw


def _read_format(path: Path, m: Mapping, fmt: str | None = None, gz: bool = False) -> RawTable:
    if fmt is None:
        fmt, gz, _ = detect(path)
        if fmt == "zip":
            raise UnusableInputError(str(path), "is a ZIP archive inside a ZIP archive; extract it first")
    if fmt == "csv":
        from flowmine.ingest._csv import read_csv

        return read_csv(path, m.csv, gzipped=gz)
    if fmt == "xes":
        from flowmine.ingest._xes import read_xes

        return read_xes(path, gzipped=gz)
    if fmt == "xlsx":
        from flowmine.ingest._excel import read_excel

        return read_excel(path, sheet=m.sheet, header_row=m.header_row)
    if fmt in OCEL_FORMATS:
        return read_ocel_raw(path, fmt, str(path), m.object_type)
    from flowmine.ingest._parquet import read_parquet

    return read_parquet(path)


def read_tables(source: str | os.PathLike[str], mapping: Mapping | None = None) -> list[RawTable]:
    """Every table in ``source``: the file itself, or each file of a ZIP archive (read by its content,
    whatever its name: an SAP export's member named ``VBFA.zip`` may be a CSV). ``RawTable.source``
    names the archive and the member (``export.zip:VBFA.csv``)."""
    m = mapping or Mapping()
    path = check_source(source)
    fmt, _gz, _notes = detect(path)
    if fmt in OCEL_FORMATS:
        raise UnusableInputError(os.fspath(source), "is an object-centric log (OCEL 2.0), not a table export; "
                                 "ingest it with flowmine ingest --object-type TYPE")
    if fmt != "zip":
        return [read_raw(source, m)]
    tables = []
    for info in archive_members(path):
        raw = read_raw(source, dataclasses.replace(m, member=info.filename))
        raw.source = f"{os.fspath(source)}:{info.filename}"
        tables.append(raw)
    if not tables:
        raise UnusableInputError(os.fspath(source), "is a ZIP archive without any file")
    return tables


def read_log(source: str | os.PathLike[str], mapping: Mapping | str | os.PathLike[str] | None = None) -> Normalized:
    """Read and validate one source into canonical events plus quarantine.

    Parameters
    ----------
    source:
        A local CSV, Excel (.xlsx), XES (.xes, .xes.gz) or Parquet file, or a ZIP archive holding one.
    mapping:
        A :class:`Mapping`, the path of a mapping TOML file, or ``None`` to recognise common
        column names.

    Examples
    --------
    >>> from flowmine import read_log
    >>> result = read_log("sample_logs/dirty_orders.csv", "sample_logs/dirty_orders.mapping.toml")
    >>> result.rows_read == result.events.num_rows + result.rows_merged + result.quarantine.num_rows
    True
    """
    m = mapping if isinstance(mapping, Mapping) or mapping is None else load_mapping(mapping)
    m = m or Mapping()
    with reading(m.limits.max_bytes, m.limits.max_seconds, quote_content=not os.path.islink(source)):
        raw = _read_raw(source, m)
        result = normalize(raw, m)
        check_deadline(os.fspath(source))
    limit = m.limits.max_activities
    if result.events.num_rows > limit:
        distinct = pc.count_distinct(result.events.column(ACTIVITY)).as_py()
        if distinct > limit:
            raise UnusableInputError(os.fspath(source), f"has {distinct:,} distinct activities, more than the limit "
                                     f"of {limit:,} ([limits] max_activities in the mapping); is the activity "
                                     "column right?")
    return result
