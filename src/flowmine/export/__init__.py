"""Exports of a stored event log: XES (.xes, .xes.gz), CSV and Parquet; of an object-centric log: OCEL 2.0.

:func:`flowmine.api.export_log` picks the writer by the output's extension; each writer takes a
canonical log and a path.
"""

from flowmine.export._ocel import ocel_form, write_ocel
from flowmine.export._table import write_csv, write_parquet
from flowmine.export._xes import write_xes

__all__ = ["ocel_form", "write_csv", "write_ocel", "write_parquet", "write_xes"]
