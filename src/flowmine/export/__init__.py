"""Exports of a stored event log: XES (.xes, .xes.gz), CSV and Parquet.

:func:`flowmine.api.export_log` picks the writer by the output's extension; each writer takes a
canonical log and a path.
"""

from flowmine.export._table import write_csv, write_parquet
from flowmine.export._xes import write_xes

__all__ = ["write_csv", "write_parquet", "write_xes"]
