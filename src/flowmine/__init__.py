"""flowmine: process mining and performance analytics over one canonical event log.

Read any export into a store, load a process as a DataFrame, export it again::

    import flowmine
    store = flowmine.Store("build/store")
    store.ingest("finance", ["sample_logs/finance_claims.csv"], mapping="sample_logs/finance_claims.mapping.toml")
    log = flowmine.load_log(store, "finance")
"""

from flowmine.analytics import AnalyticsError, CaseFilter, profile, stored
from flowmine.api import export_log, load_log, summary
from flowmine.errors import (
    FlowmineError,
    InputError,
    MappingError,
    ProcessNotFoundError,
    StoreError,
    StrictModeError,
    UnsafeInputError,
    UnusableInputError,
)
from flowmine.ingest import Mapping, Normalized, load_mapping, read_log, read_raw
from flowmine.ingest._suggest import suggest_mapping
from flowmine.store import IngestReport, SourceReport, Store

__version__ = "0.1.0"

__all__ = [
    "AnalyticsError",
    "CaseFilter",
    "FlowmineError",
    "IngestReport",
    "InputError",
    "Mapping",
    "MappingError",
    "Normalized",
    "ProcessNotFoundError",
    "SourceReport",
    "Store",
    "StoreError",
    "StrictModeError",
    "UnsafeInputError",
    "UnusableInputError",
    "export_log",
    "load_log",
    "load_mapping",
    "profile",
    "read_log",
    "read_raw",
    "stored",
    "suggest_mapping",
    "summary",
]
