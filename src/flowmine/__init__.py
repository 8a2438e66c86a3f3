"""flowmine: process mining and performance analytics over one canonical event log.

Read any export into a store, load a process as a DataFrame, export it again::

    import flowmine
    store = flowmine.Store("build/store")
    store.ingest("finance", ["sample_logs/finance_claims.csv"], mapping="sample_logs/finance_claims.mapping.toml")
    log = flowmine.load_log(store, "finance")
"""

from flowmine.analytics import AnalyticsError, CaseFilter, profile, stored
from flowmine.api import export_log, load_log, summary
from flowmine.conformance import ConformanceReport, deviation_bar_figure, deviation_model_figure, read_reference
from flowmine.conformance import check as check_conformance
from flowmine.discovery import ProcessMap, discover_model, map_layout, process_map, process_map_figure, write_model
from flowmine.errors import (
    FlowmineError,
    InputError,
    MappingError,
    OptionError,
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
    "ConformanceReport",
    "FlowmineError",
    "IngestReport",
    "InputError",
    "Mapping",
    "MappingError",
    "Normalized",
    "OptionError",
    "ProcessMap",
    "ProcessNotFoundError",
    "SourceReport",
    "Store",
    "StoreError",
    "StrictModeError",
    "UnsafeInputError",
    "UnusableInputError",
    "check_conformance",
    "deviation_bar_figure",
    "deviation_model_figure",
    "discover_model",
    "export_log",
    "load_log",
    "load_mapping",
    "map_layout",
    "process_map",
    "process_map_figure",
    "profile",
    "read_log",
    "read_raw",
    "read_reference",
    "stored",
    "suggest_mapping",
    "summary",
    "write_model",
]
