"""The store: one directory, one sorted Parquet event log per process, with manifest and quarantine."""

from flowmine.store._store import IngestReport, SourceReport, Store

__all__ = ["IngestReport", "SourceReport", "Store"]
