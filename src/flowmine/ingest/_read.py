"""One entry point for every format: check the path, sniff the content, read, normalise."""

from __future__ import annotations

import os

from flowmine.ingest._mapping import Mapping, load_mapping
from flowmine.ingest._normalize import Normalized, normalize
from flowmine.ingest._raw import RawTable
from flowmine.ingest._source import check_source, detect


def read_raw(source: str | os.PathLike[str], mapping: Mapping | None = None) -> RawTable:
    """Read ``source`` with the reader its content calls for (the extension is only a hint)."""
    m = mapping or Mapping()
    path = check_source(source)
    fmt, gz, notes = detect(path)
    raw: RawTable
    if fmt == "csv":
        from flowmine.ingest._csv import read_csv

        raw = read_csv(path, m.csv, gzipped=gz)
    elif fmt == "xes":
        from flowmine.ingest._xes import read_xes

        raw = read_xes(path, gzipped=gz)
    elif fmt == "xlsx":
        from flowmine.ingest._excel import read_excel

        raw = read_excel(path, sheet=m.sheet, header_row=m.header_row)
    else:
        from flowmine.ingest._parquet import read_parquet

        raw = read_parquet(path)
    raw.source = os.fspath(source)
    raw.notes[:0] = notes
    return raw


def read_log(source: str | os.PathLike[str], mapping: Mapping | str | os.PathLike[str] | None = None) -> Normalized:
    """Read and validate one source into canonical events plus quarantine.

    Parameters
    ----------
    source:
        A local CSV, Excel (.xlsx), XES (.xes, .xes.gz) or Parquet file.
    mapping:
        A :class:`Mapping`, the path of a mapping TOML file, or ``None`` to recognise common
        column names.

    Examples
    --------
    >>> from flowmine import read_log
    >>> result = read_log("sample_logs/finance_claims.csv", "sample_logs/finance_claims.mapping.toml")  # doctest: +SKIP
    >>> result.rows_read == result.events.num_rows + result.rows_merged + result.quarantine_rows  # doctest: +SKIP
    True
    """
    m = mapping if isinstance(mapping, Mapping) or mapping is None else load_mapping(mapping)
    m = m or Mapping()
    raw = read_raw(source, m)
    return normalize(raw, m)
