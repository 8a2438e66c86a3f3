"""The analytics cache's stamp: a cache is read only while it is the one its stamp describes.

The analytics cache (``analytics-cache.arrow`` beside a version's events) is derived data: it is
trusted only while its stamp (``analytics-cache.json``: the cache's own sha256 and size, and the
sha256 of the events it was built from, as the version's manifest records it) matches. A cache
that was damaged on disk, copied beside other events, or written without a stamp (a writer that
died between the two files) is never read: it is rebuilt from the intact events. The held relations'
files (``flowmine.analytics._held``: ``held-*.arrow``) are stamped the same way, each by the ``.json``
of its own name.
(Kept apart so importing is cheap; ``_fast`` writes and checks stamps, ``_prepare`` builds caches.)
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

STAMP = "analytics-cache.json"
#: Caches whose digest this process computed (by path, inode, size, mtime): hashed once, not per open.
_DIGESTS: dict[tuple[str, int, int, int], str] = {}


def _key(cache: Path) -> tuple[str, int, int, int]:
    st = cache.stat()
    return (str(cache), st.st_ino, st.st_size, st.st_mtime_ns)


def _digest(cache: Path) -> str:
    from flowmine._digest import sha256_of

    key = _key(cache)
    if key not in _DIGESTS:
        _DIGESTS[key] = sha256_of(cache)
    return _DIGESTS[key]


def _events_digest(cache: Path) -> str | None:
    try:
        manifest = json.loads((cache.parent / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    digest: str | None = ((manifest.get("files") or {}).get("events.parquet") or {}).get("sha256")
    return digest


def stamp_path(cache: Path) -> Path:
    """The stamp of a derived file: its name with ``.json`` (``analytics-cache.arrow``: :data:`STAMP`)."""
    return cache.with_suffix(".json")


def stamp_cache(cache: Path) -> None:
    """Record the digest of a freshly written cache and of the events it was built from."""
    from flowmine._atomic import write_text_atomic

    data = {"sha256": _digest(cache), "bytes": cache.stat().st_size, "events_sha256": _events_digest(cache)}
    write_text_atomic(stamp_path(cache), json.dumps(data))


def write_stamped(path: Path, table: Any, max_chunksize: int | None = None) -> bool:
    """Write ``table`` (Arrow) to ``path`` as an Arrow IPC file, atomically (a temporary name, then
    ``os.replace``), and stamp it; False when the folder cannot be written (nothing left behind)."""
    import os
    import threading

    import pyarrow as pa
    import pyarrow.ipc as ipc

    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    try:
        with pa.OSFile(str(tmp), "wb") as sink, ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table, max_chunksize=max_chunksize)
        os.replace(tmp, path)
        stamp_cache(path)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink()
        return False
    return True


def cache_intact(cache: Path) -> bool:
    """Whether ``cache`` is the one its stamp describes, built from these very events."""
    try:
        data = json.loads(stamp_path(cache).read_text(encoding="utf-8"))
        if cache.stat().st_size != data["bytes"] or data["events_sha256"] != _events_digest(cache):
            return False
        return bool(_digest(cache) == data["sha256"])
    except (OSError, ValueError, KeyError, TypeError):
        return False


def drop_cache(cache: Path) -> None:
    for p in (cache, stamp_path(cache)):
        with contextlib.suppress(OSError):
            p.unlink()
