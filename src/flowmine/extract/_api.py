"""``extract(profile, tables)``: the files read and told apart, the profile run, the OCEL assembled."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd

from flowmine.errors import OptionError, UnusableInputError
from flowmine.extract._core import Tables, connection
from flowmine.extract._links import extract_links
from flowmine.extract._profile import clean_names, identify, load_profile, with_columns
from flowmine.extract._report import ExtractReport, TableReport
from flowmine.extract._sap_fi import extract_sap_fi
from flowmine.extract._sap_o2c import Extracted, extract_sap_o2c
from flowmine.extract._sap_p2p import extract_sap_p2p
from flowmine.extract._sap_pp import extract_sap_pp
from flowmine.ingest import read_tables

if TYPE_CHECKING:
    from pm4py.objects.ocel.obj import OCEL

_RUNNERS = {"sap-o2c": extract_sap_o2c, "sap-p2p": extract_sap_p2p, "sap-fi": extract_sap_fi,
            "sap-pp": extract_sap_pp, "links": extract_links}
#: The tables without which a profile cannot run.
_NEEDED = {"sap-o2c": ("VBFA",), "sap-p2p": ("EKKO",), "sap-fi": ("BKPF",), "sap-pp": ("AFKO",),
           "links": ("documents",)}


@dataclass
class Extraction:
    """What :func:`extract` returns.

    Attributes
    ----------
    ocel:
        pm4py's ``OCEL``: one object per document (its number as the id), one creation event per
        dated document, event-to-object relations ``creates`` / ``references`` (every earlier document
        of its flow) / ``precedes`` (a pre-sales document's creation concerns the orders after it), and
        object-to-object relations ``follows`` (document -> preceding document).
    report:
        :class:`ExtractReport`: per table ``rows_read = rows_used + rows_quarantined`` with reasons.
    quarantine:
        pandas DataFrame of the quarantined rows: table, source, row (as the file numbers it), reason.
    """

    ocel: OCEL
    report: ExtractReport
    quarantine: pd.DataFrame


def _zone(timezone: str) -> str:
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise OptionError(f"unknown time zone {timezone!r}; use an IANA name such as Asia/Shanghai or UTC",
                          parameter="timezone", function="extract") from None
    return timezone


def extract(profile: str, tables: list[str | os.PathLike[str]], *, timezone: str = "UTC",
            lang: str = "en", columns: dict[str, dict[str, str]] | None = None) -> Extraction:
    """Extract an object-centric log from ERP table exports.

    Parameters
    ----------
    profile:
        ``"sap-o2c"`` (see ``flowmine.extract.PROFILES``).
    tables:
        Files: CSV (any encoding flowmine reads), Excel, Parquet, or ZIP archives holding them. Each is
        told apart by its columns; a file that is no table of the profile is refused with one line.
    timezone:
        The time zone the export's local dates and times are in (IANA name); UTC when not given.
    lang:
        ``"en"`` or ``"zh"``: the language of object types and activities.
    columns:
        ``links`` profile: column names that differ from the profile's aliases, per table and role, e.g.
        ``{"documents": {"created": "制单时间"}, "links": {"from": "上游单据"}}``.

    Examples
    --------
    >>> from flowmine.extract import extract
    >>> result = extract("sap-o2c", ["sample_logs/sap_o2c.zip"], timezone="Asia/Shanghai")  # doctest: +SKIP
    >>> result.report.totals()["rows_read"] == result.report.totals()["rows_used"] + \\
    ...     result.report.totals()["rows_quarantined"]  # doctest: +SKIP
    True
    """
    spec = with_columns(load_profile(profile), columns)
    if lang not in ("en", "zh"):
        raise OptionError(f"lang must be 'en' or 'zh', got {lang!r}", parameter="lang", function="extract")
    tz = _zone(timezone)
    if not tables:
        raise OptionError("give at least one table file", parameter="tables", function="extract")
    by_table: Tables = {}
    reports: dict[str, TableReport] = {}
    for source in tables:
        for raw in read_tables(source):
            table = clean_names(raw.table)
            name = identify(spec, table, raw.source)
            by_table.setdefault(name, []).append((raw.source, table, raw.row_numbers))
            rep = reports.setdefault(name, TableReport(name))
            rep.sources.append(raw.source)
            if raw.quarantine.num_rows:  # rows the reader itself could not read (a broken CSV line)
                rep.rows_read += raw.quarantine.num_rows
                rep.rows_quarantined += raw.quarantine.num_rows
                rep.reasons["unreadable_row"] = rep.reasons.get("unreadable_row", 0) + raw.quarantine.num_rows
    for needed in _NEEDED[profile]:
        if needed not in by_table:
            got = ", ".join(sorted(by_table)) or "none"
            raise UnusableInputError(os.fspath(tables[0]), f"the {profile} profile needs the table {needed}; the "
                                     f"files given hold: {got}")
    with connection() as con:
        done = _RUNNERS[spec.runner](con, spec, by_table, tz, lang, reports)
    for name, parts in by_table.items():  # every row of every file is used or quarantined: never lost
        given = sum(t.num_rows for _s, t, _r in parts) + reports[name].reasons.get("unreadable_row", 0)
        if reports[name].rows_read != given or not reports[name].balanced:
            raise RuntimeError(f"extract {profile}: the {name} table's {given:,} rows are not all accounted for "
                               f"({reports[name].rows_read:,} counted); this is a bug in flowmine")
    report = ExtractReport(profile=profile, timezone=tz, tables=dict(sorted(reports.items())), notes=done.notes)
    ocel = to_ocel(done)
    report.objects = {str(k): int(v) for k, v in ocel.objects["ocel:type"].value_counts().items()}
    report.events = {str(k): int(v) for k, v in ocel.events["ocel:activity"].value_counts().items()}
    report.relations = {"e2o": len(ocel.relations), "o2o": len(ocel.o2o)}
    return Extraction(ocel=ocel, report=report, quarantine=done.quarantine)


def to_ocel(done: Extracted) -> OCEL:
    """pm4py's ``OCEL`` from the extracted frames (the relations already carry the event's activity and
    time and the object's type, as pm4py's own readers give them)."""
    from pm4py.objects.ocel.obj import OCEL as _OCEL

    objects = done.objects.dropna(axis=1, how="all")
    kwargs: dict[str, Any] = {"events": done.events, "objects": objects, "relations": done.e2o, "o2o": done.o2o}
    return _OCEL(**kwargs)
