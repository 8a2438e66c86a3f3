"""The store: one directory, one sorted Parquet event log per process, with manifest and quarantine."""

from flowmine.store._store import IngestReport, SourceReport, Store
from flowmine.store._versions import KEEP_VERSIONS

__all__ = ["KEEP_VERSIONS", "IngestReport", "SourceReport", "Store"]
