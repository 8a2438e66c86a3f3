"""All-or-nothing file writes: every file flowmine writes appears whole or not at all.

The content goes to a temporary file in the target's folder (same file system), is flushed and
fsynced, gets its permissions, then replaces the target with ``os.replace``; on any error the
temporary file is removed and the target is untouched. Readers never see half a file.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO


@contextlib.contextmanager
def atomic_file(path: str | Path, mode: int = 0o644) -> Iterator[BinaryIO]:
    """A binary file object whose content becomes ``path`` when the block ends without error.

    Examples
    --------
    >>> from flowmine._atomic import atomic_file
    >>> with atomic_file("/tmp/report.csv") as fh:  # doctest: +SKIP
    ...     fh.write(b"a,b\\n")
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent if str(path.parent) else ".", prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text_atomic(path: str | Path, text: str, mode: int = 0o644) -> None:
    """Write ``text`` as UTF-8 to ``path`` all-or-nothing (``\\n`` line ends on every platform)."""
    with atomic_file(path, mode) as fh:
        fh.write(text.encode("utf-8"))
