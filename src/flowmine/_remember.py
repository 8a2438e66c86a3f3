"""What was read from a file, remembered while the file is unchanged (modification time and size).

For files read again and again by a long-running process (the dashboard checks conformance for every
new filter set): the process configuration and the reference model are parsed once per change, not
once per call. Values must not be changed by callers (they are shared).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

_READ: dict[tuple[str, tuple[str, int, int]], Any] = {}
_LOCK = threading.Lock()
MAX_REMEMBERED = 64


def stamp(path: str | Path) -> tuple[str, int, int] | None:
    """(resolved path, modification time in ns, size) of a file; None when it cannot be read."""
    p = Path(path)
    try:
        st = p.stat()
    except OSError:
        return None
    return (str(p.resolve()), st.st_mtime_ns, st.st_size)


def remembered(what: str, path: str | Path, read: Callable[[], T]) -> T:
    """``read()`` of ``path``, remembered per (``what``, file stamp); a missing file is read every time
    (so that the reader's own error is raised)."""
    key_stamp = stamp(path)
    if key_stamp is None:
        return read()
    key = (what, key_stamp)
    with _LOCK:
        if key in _READ:
            return _READ[key]
    value = read()
    with _LOCK:
        _READ[key] = value
        while len(_READ) > MAX_REMEMBERED:
            _READ.pop(next(iter(_READ)))
    return value
