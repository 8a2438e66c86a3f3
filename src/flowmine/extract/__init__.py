"""Extraction: ERP table exports -> an object-centric event log (OCEL 2.0), every table row accounted for.

:func:`extract` reads the files of a profile (CSV, Excel, Parquet, or ZIP archives holding them; each
file told by its columns, not its name), builds documents, their links and their events in DuckDB,
and returns an :class:`Extraction`: pm4py's ``OCEL``, an :class:`ExtractReport` in which
``rows_read = rows_used + rows_quarantined`` for every table, and the quarantined rows with their
reasons. ``PROFILES`` lists the profiles. See docs/ERP.md.
"""

from flowmine.extract._api import Extraction, extract
from flowmine.extract._profile import PROFILES
from flowmine.extract._report import ExtractReport, TableReport

__all__ = ["PROFILES", "ExtractReport", "Extraction", "TableReport", "extract"]
