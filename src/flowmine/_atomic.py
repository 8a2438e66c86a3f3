"""All-or-nothing file writes: every file flowmine writes appears whole or not at all.

The content goes to a temporary file in the target's folder (same file system), is flushed and
fsynced, gets its permissions, then replaces the target with ``os.replace``; on any error the
temporary file is removed and the target is untouched. Readers never see half a file. An error
raised by the file system names the target (never the temporary file).
"""

from __future__ import annotations

import contextlib
import errno
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
    >>> import os
    >>> with atomic_file(os.path.join(TMP, "report.csv")) as fh:  # TMP: a folder
    ...     fh.write(b"a,b\\n")
    4
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:  # name the file asked for, not the temporary one
        if not folder.is_dir():
            raise FileNotFoundError(errno.ENOENT, f"cannot write it: the folder {folder} does not exist",
                                    str(path)) from None
        raise type(exc)(exc.errno, f"cannot write it: {exc.strerror}", str(path)) from None
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
