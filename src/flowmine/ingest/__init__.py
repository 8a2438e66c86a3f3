"""Ingestion: source formats in, canonical events and quarantine out (see docs/ARCHITECTURE.md)."""

from flowmine.ingest._mapping import Mapping, load_mapping
from flowmine.ingest._normalize import Normalized
from flowmine.ingest._ocel import Flattening, flatten, object_types, read_ocel
from flowmine.ingest._raw import RawTable
from flowmine.ingest._read import read_log, read_raw, read_tables
from flowmine.ingest._scan import scanned_sha256
from flowmine.ingest._suggest import suggest_mapping

__all__ = [
    "Flattening",
    "Mapping",
    "Normalized",
    "RawTable",
    "flatten",
    "load_mapping",
    "object_types",
    "read_log",
    "read_ocel",
    "read_raw",
    "read_tables",
    "scanned_sha256",
    "suggest_mapping",
]
