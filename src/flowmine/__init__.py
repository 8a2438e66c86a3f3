"""flowmine: process mining and performance analytics over one canonical event log.

Read any export into a store, load a process as a DataFrame, export it again::

    import flowmine
    store = flowmine.Store("build/store")
    store.ingest("finance", ["sample_logs/finance_claims.csv"], mapping="sample_logs/finance_claims.mapping.toml")
    log = flowmine.load_log(store, "finance")

Engines beyond DuckDB (Spark) plug into analytics through its ``register_engine`` hook; analytics finds
them through the ``flowmine.engines`` entry points of the installed distribution and never imports one.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flowmine.analytics import AnalyticsError, CaseFilter, EventFilter, profile, stored
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
    from flowmine.export import write_ocel
    from flowmine.ingest import (
        Flattening,
        Mapping,
        Normalized,
        flatten,
        load_mapping,
        read_log,
        read_ocel,
        read_raw,
        suggest_mapping,
    )
    from flowmine.store import IngestReport, SourceReport, Store

#: Where each public name lives. Importing ``flowmine`` loads none of them: a name is imported on
#: first use (PEP 562), so ``flowmine ingest`` does not pay for numba, pm4py and Dash.
_LAZY = {
    "AnalyticsError": ("flowmine.analytics", "AnalyticsError"),
    "CaseFilter": ("flowmine.analytics", "CaseFilter"),
    "ConformanceReport": ("flowmine.conformance", "ConformanceReport"),
    "EventFilter": ("flowmine.analytics", "EventFilter"),
    "Flattening": ("flowmine.ingest", "Flattening"),
    "FlowmineError": ("flowmine.errors", "FlowmineError"),
    "IngestReport": ("flowmine.store", "IngestReport"),
    "InputError": ("flowmine.errors", "InputError"),
    "Mapping": ("flowmine.ingest", "Mapping"),
    "MappingError": ("flowmine.errors", "MappingError"),
    "Normalized": ("flowmine.ingest", "Normalized"),
    "OptionError": ("flowmine.errors", "OptionError"),
    "ProcessMap": ("flowmine.discovery", "ProcessMap"),
    "ProcessNotFoundError": ("flowmine.errors", "ProcessNotFoundError"),
    "SourceReport": ("flowmine.store", "SourceReport"),
    "Store": ("flowmine.store", "Store"),
    "StoreError": ("flowmine.errors", "StoreError"),
    "StrictModeError": ("flowmine.errors", "StrictModeError"),
    "UnsafeInputError": ("flowmine.errors", "UnsafeInputError"),
    "UnusableInputError": ("flowmine.errors", "UnusableInputError"),
    "check_conformance": ("flowmine.conformance", "check"),
    "deviation_bar_figure": ("flowmine.conformance", "deviation_bar_figure"),
    "deviation_model_figure": ("flowmine.conformance", "deviation_model_figure"),
    "discover_model": ("flowmine.discovery", "discover_model"),
    "export_log": ("flowmine.api", "export_log"),
    "flatten": ("flowmine.ingest", "flatten"),
    "load_log": ("flowmine.api", "load_log"),
    "load_mapping": ("flowmine.ingest", "load_mapping"),
    "map_layout": ("flowmine.discovery", "map_layout"),
    "process_map": ("flowmine.discovery", "process_map"),
    "process_map_figure": ("flowmine.discovery", "process_map_figure"),
    "profile": ("flowmine.analytics", "profile"),
    "read_log": ("flowmine.ingest", "read_log"),
    "read_ocel": ("flowmine.ingest", "read_ocel"),
    "read_raw": ("flowmine.ingest", "read_raw"),
    "read_reference": ("flowmine.conformance", "read_reference"),
    "stored": ("flowmine.analytics", "stored"),
    "suggest_mapping": ("flowmine.ingest", "suggest_mapping"),
    "summary": ("flowmine.api", "summary"),
    "write_model": ("flowmine.discovery", "write_model"),
    "write_ocel": ("flowmine.export", "write_ocel"),
}


def __getattr__(name: str) -> Any:
    try:
        module, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'flowmine' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__version__ = "0.1.0"

__all__ = [
    "AnalyticsError",
    "CaseFilter",
    "ConformanceReport",
    "EventFilter",
    "Flattening",
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
    "flatten",
    "load_log",
    "load_mapping",
    "map_layout",
    "process_map",
    "process_map_figure",
    "profile",
    "read_log",
    "read_ocel",
    "read_raw",
    "read_reference",
    "stored",
    "suggest_mapping",
    "summary",
    "write_model",
    "write_ocel",
]
