"""Every file flowmine writes appears whole or not at all (``flowmine._atomic``)."""

from __future__ import annotations

import stat

import pytest

from flowmine._atomic import atomic_file, write_text_atomic


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "report.csv"
    target.write_bytes(b"old\n")
    with pytest.raises(RuntimeError), atomic_file(target) as fh:
        fh.write(b"half a ")
        raise RuntimeError("killed mid-write")
    assert target.read_bytes() == b"old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.csv"]


def test_a_write_replaces_the_file_with_its_mode(tmp_path):
    target = tmp_path / "users.txt"
    write_text_atomic(target, "ada:hash\n数据\n", mode=0o600)
    assert target.read_text(encoding="utf-8") == "ada:hash\n数据\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    write_text_atomic(target, "new\n")
    assert target.read_text(encoding="utf-8") == "new\n" and stat.S_IMODE(target.stat().st_mode) == 0o644
    assert sorted(p.name for p in tmp_path.iterdir()) == ["users.txt"]
