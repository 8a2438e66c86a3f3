"""Files read again and again are parsed once per change (``flowmine._remember``)."""

from __future__ import annotations

import os

from flowmine._remember import remembered
from flowmine.processes import configured, load_process


def test_read_once_per_change_and_missing_files_read_every_time(tmp_path):
    path = tmp_path / "model.txt"
    path.write_text("one")
    reads = []

    def read():
        reads.append(1)
        return path.read_text() if path.exists() else None

    assert remembered("t", path, read) == "one" and remembered("t", path, read) == "one"
    assert len(reads) == 1
    path.write_text("two!")  # another size, and a later modification time
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000))
    assert remembered("t", path, read) == "two!" and len(reads) == 2
    path.unlink()
    assert remembered("t", path, read) is None and remembered("t", path, read) is None and len(reads) == 4


def test_configured_is_the_configuration_or_none():
    assert configured("finance") == load_process("finance")
    assert configured("finance") is configured("finance")  # parsed once while the file is unchanged
    assert configured("no-such-process") is None
