"""File digests: the sha256 that identifies a source by its content and checks every stored file.

A core module (below ingest, store and analytics alike), so that the store's version files and the
analytics cache are checked with one function instead of each layer reaching into another.
"""

from __future__ import annotations

import hashlib
from pathlib import Path


def sha256_of(path: Path) -> str:
    """Hex sha256 of the file at ``path``, read in 4 MiB blocks."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 22), b""):
            h.update(block)
    return h.hexdigest()
