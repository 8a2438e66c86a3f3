"""Prepare a stored process for analytics right after ingest: build its analytics cache now.

(Kept apart so importing is cheap: the compiled passes and numba load when a cache is built. The
cache's stamp, which keeps it honest, is ``_stamp``.)
"""

from __future__ import annotations

import os
from typing import Any


def prepare(store: str | os.PathLike[str] | Any, process: str) -> bool:
    """Build the analytics cache of a process's live version now.

    ``flowmine ingest`` and ``flowmine demo`` call this after each commit, so the first profile in a
    fresh process does not pay for the cache and readers such as the dashboard never need to write.
    Returns False when numba is not installed (the SQL engine is used then and needs no cache).
    """
    from flowmine.analytics._fast import available, load_columns  # numba: loaded only when a cache is built
    from flowmine.analytics._log import stored

    if not available():
        return False
    load_columns(stored(store, process))
    return True
