"""Small Arrow helpers shared by ingestion and the store."""

from __future__ import annotations

import pyarrow as pa


def contiguous(col: pa.ChunkedArray | pa.Array) -> pa.Array:
    """One array for a column without copying it when it already is one chunk
    (``ChunkedArray.combine_chunks`` copies even then)."""
    if isinstance(col, pa.ChunkedArray):
        return col.chunk(0) if col.num_chunks == 1 else col.combine_chunks()
    return col


def release_memory() -> None:
    """Ask Arrow's allocator to hand freed memory back to the system (cheap; keeps peak memory
    down between the large steps of an ingest)."""
    pa.default_memory_pool().release_unused()
