"""Faults while writing the store: orphan versions, read-only/permission-denied/full stores, and a
writer killed at every step of a commit. The previous version stays intact; the next ingest works."""

from __future__ import annotations

import errno
import json
import shutil
import subprocess
import sys

import pytest

import flowmine.store._store as mod
from flowmine import Store, StoreError

HEADER = "case,activity,timestamp\n"
# Every step of a commit, in order: the events file, the quarantine file, the manifest, the
# flush, the rename of the version directory into place, the CURRENT swap.
STEPS = ("write_sorted", "write_table", "manifest", "fsync_dir", "rename", "CURRENT")


class Killed(BaseException):
    """Stands for SIGKILL: no ``except``/``finally`` of the writer's own may tidy up after it."""


def _base(tmp_path, write) -> Store:
    st = Store(tmp_path / "s")
    st.ingest("p", [write("a.csv", HEADER + "A,X,2024-01-01 10:00\nA,Y,2024-01-01 11:00\nB,X,bad\n")])
    return st


def _intact(st: Store, before) -> None:
    assert st.version("p") == "v000001"
    assert st.load("p").equals(before)
    assert st.verify()["damaged"] == []


def _patch(monkeypatch, at: int, error: BaseException) -> list[str]:
    """Make the ``at``-th step of the next commit raise ``error`` (the steps run before it are real)."""
    seen: list[str] = []

    def wrap(name, real):
        def step(*args, **kwargs):
            label = name
            if name == "atomic":
                label = "CURRENT" if str(args[0]).endswith("CURRENT") else "manifest"
            seen.append(label)
            if len(seen) - 1 == at:
                raise error
            return real(*args, **kwargs)
        return step

    monkeypatch.setattr(mod, "write_sorted", wrap("write_sorted", mod.write_sorted))
    monkeypatch.setattr(mod.pq, "write_table", wrap("write_table", mod.pq.write_table))
    monkeypatch.setattr(mod, "_atomic_write", wrap("atomic", mod._atomic_write))
    monkeypatch.setattr(mod, "fsync_dir", wrap("fsync_dir", mod.fsync_dir))
    monkeypatch.setattr(mod.os, "rename", wrap("rename", mod.os.rename))
    return seen


@pytest.mark.parametrize("at", range(len(STEPS)))
def test_a_writer_killed_at_any_step_leaves_the_previous_version_and_the_next_ingest_works(
        tmp_path, write, monkeypatch, at):
    st = _base(tmp_path, write)
    before = st.load("p")
    seen = _patch(monkeypatch, at, Killed())
    with pytest.raises(Killed):
        st.ingest("p", [write("b.csv", HEADER + "C,X,2024-01-02 10:00\n")])
    monkeypatch.undo()
    assert tuple(seen) == STEPS[:at + 1]
    _intact(Store(tmp_path / "s"), before)
    r = Store(tmp_path / "s").ingest("p", [write("c.csv", HEADER + "D,X,2024-01-03 10:00\n")])
    assert r.errors == [] and r.version == "v000002"
    st = Store(tmp_path / "s")
    assert sorted(st.load("p")["case:concept:name"]) == ["A", "A", "D"]
    assert st.verify()["damaged"] == [] and not list((tmp_path / "s" / "p").glob(".tmp-*"))


@pytest.mark.parametrize("at", range(len(STEPS)))
def test_a_full_disk_at_any_step_is_one_error_and_leaves_nothing_behind(tmp_path, write, monkeypatch, at):
    st = _base(tmp_path, write)
    before = st.load("p")
    _patch(monkeypatch, at, OSError(errno.ENOSPC, "No space left on device"))
    with pytest.raises(StoreError, match=r"cannot write to the store \(the disk is full\); "
                                         r"the live version v000001 is unchanged$"):
        st.ingest("p", [write("b.csv", HEADER + "C,X,2024-01-02 10:00\n")])
    monkeypatch.undo()
    _intact(Store(tmp_path / "s"), before)
    assert sorted(p.name for p in (tmp_path / "s" / "p").iterdir()) == ["CURRENT", "v000001"]
    assert Store(tmp_path / "s").ingest("p", [write("c.csv", HEADER + "D,X,2024-01-03 10:00\n")]).version == "v000002"


def test_an_orphan_version_directory_never_blocks_the_next_ingest(tmp_path, write):
    st = _base(tmp_path, write)
    pdir = tmp_path / "s" / "p"
    shutil.copytree(pdir / "v000001", pdir / "v000002")  # published, CURRENT never switched
    (pdir / "v000003").mkdir()  # and one half-published
    assert st.version("p") == "v000001"
    r = st.ingest("p", [write("b.csv", HEADER + "C,X,2024-01-02 10:00\n")])
    assert r.errors == [] and r.version == "v000002" and r.store_events == 3
    assert sorted(p.name for p in pdir.glob("v*")) == ["v000001", "v000002"]
    assert st.verify()["damaged"] == []


def _cli_with_fault(tmp_path, fault: str, *args: str) -> subprocess.CompletedProcess[str]:
    """The CLI in a fresh process whose store writer raises ``fault`` (tests may run as root,
    where chmod does not deny anything, so the denial is simulated where the writer writes)."""
    code = ("import errno, sys\n"
            "import flowmine.store._store as mod\n"
            "def boom(*a, **k):\n"
            f"    raise {fault}\n"
            "mod.write_sorted = boom\n"
            "from flowmine.cli import main\n"
            "sys.argv = ['flowmine', *sys.argv[1:]]\n"
            "main()\n")
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(("fault", "said"), [
    ("OSError(errno.ENOSPC, 'No space left on device')", "the disk is full"),
    ("PermissionError(errno.EACCES, 'Permission denied')", "permission denied"),
    ("OSError(errno.EROFS, 'Read-only file system')", "the file system is read-only"),
])
def test_full_read_only_and_denied_stores_exit_2_with_one_line(tmp_path, write, fault, said):
    st = _base(tmp_path, write)
    before = st.load("p")
    r = _cli_with_fault(tmp_path, fault, "ingest", str(write("b.csv", HEADER + "C,X,2024-01-02 10:00\n")),
                        "--store", str(tmp_path / "s"), "--process", "p", "--json")
    assert r.returncode == 2, r.stderr
    assert r.stderr == f"error: {tmp_path / 's'}: cannot write to the store ({said}); " \
                       "the live version v000001 is unchanged\n"
    assert r.stdout == ""
    _intact(Store(tmp_path / "s"), before)


def test_a_store_whose_lock_cannot_be_opened_is_one_line(tmp_path, write, monkeypatch):
    st = _base(tmp_path, write)
    real_open = type(tmp_path).open

    def denied(self, *args, **kwargs):
        if self.name == ".lock":
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(type(tmp_path), "open", denied)
    with pytest.raises(StoreError,
                       match=r"\.lock: cannot write to the store \(permission denied\); nothing was stored"):
        st.ingest("p", [write("b.csv", HEADER + "C,X,2024-01-02 10:00\n")])


def test_a_killed_cli_ingest_leaves_an_intact_store(tmp_path, write):
    """One real SIGKILL (see also tests/test_store.py): verify finds the store intact and the next ingest works."""
    import os
    import signal
    import time

    st = _base(tmp_path, write)
    rows = "".join(f"C{i},X,2024-01-01 10:{i % 60:02d}\n" for i in range(100_000))
    proc = subprocess.Popen([sys.executable, "-m", "flowmine", "ingest", str(write("big.csv", HEADER + rows)),
                             "--store", str(tmp_path / "s"), "--process", "p", "--no-analytics-cache"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    st = Store(tmp_path / "s")
    assert st.verify()["damaged"] == [] and len(st.load("p")) in (2, 100_002)
    r = st.ingest("p", [write("c.csv", HEADER + "D,X,2024-01-03 10:00\n")])
    assert r.errors == [] and json.dumps(r.totals())
