"""The held relations' files (``flowmine.analytics.hold``): built once per version with DuckDB's window
functions over the stored events, written beside them, and opened by every process that holds the version.

Derived data, each file stamped as the analytics cache is (``flowmine.analytics._stamp``: a damaged or
stale file is rebuilt, never read). A second process that asks for a version being built waits on a lock
beside it and opens what the first wrote; a folder that cannot be written gets the relations in memory.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.ipc as ipc
import pyarrow.parquet as pq

from flowmine._arrow import release_memory
from flowmine._schema import CASE
from flowmine.analytics._log import CORE_COLUMNS, canonical_table
from flowmine.analytics._sql import cases_sql, instances_sql
from flowmine.analytics._stamp import cache_intact, stamp_cache, write_stamped

#: The held relations' files beside a version's events: derived data, written once, then opened by every
#: process that holds the version (each stamped as the analytics cache is, ``flowmine.analytics._stamp``):
#: the events with each case's index as Arrow (memory-mapped: the Python side's table), and the events,
#: per-instance and per-case relations as a DuckDB database (opened read-only: DuckDB's compressed
#: columns, with the min/max of each row group that let a filter's cases skip the others).
HELD_FILES = {"events": "held-events.arrow", "db": "held.duckdb"}


def held_relations(path: str, threads: int | None = None) -> tuple[pa.Table, duckdb.DuckDBPyConnection]:
    """The events (with ``cidx_``) and a DuckDB connection holding ``log_all``, ``inst_all`` and
    ``cases_all`` of the version whose events are at ``path``: opened from their files, else built (and
    written when the folder allows)."""
    opened = _opened(path, threads)
    if opened is None:
        with _building(path):  # another process building them: wait, then open what it wrote
            opened = _opened(path, threads) or _build(path, threads)
    return opened


@contextlib.contextmanager
def _building(path: str) -> Iterator[None]:
    """Hold an exclusive lock on the version's ``.held.lock`` while building its relations, so a second
    process that holds the version at the same time (a dashboard's worker beside its server) waits and
    opens the files instead of building them again. Where no lock can be taken (a read-only folder, a
    system without ``fcntl``) it does not wait."""
    try:
        import fcntl

        fh = open(Path(path).with_name(".held.lock"), "a+b")  # noqa: SIM115  (closed below)
    except (ImportError, OSError):
        yield
        return
    try:
        with contextlib.suppress(OSError):
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        yield
    finally:
        fh.close()  # releases the lock


def _files(path: str) -> dict[str, Path]:
    return {k: Path(path).with_name(name) for k, name in HELD_FILES.items()}


def _connect(database: str, threads: int | None, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    # DuckDB's allocator keeps what a query freed up to its flush threshold (128 MB by default, per thread
    # arena): a held log answers many queries for as long as it is held, so freed memory is handed back
    # sooner (at 3M events its instances' query left 0.7 GB otherwise)
    con = duckdb.connect(database, read_only=read_only,
                         config={"allocator_flush_threshold": "32MB", "allocator_background_threads": True})
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    return con


def _opened(path: str, threads: int | None) -> tuple[pa.Table, duckdb.DuckDBPyConnection] | None:
    """The version's held relations opened from their files (None: missing, damaged or stale)."""
    files = _files(path)
    if not all(cache_intact(f) for f in files.values()):
        return None
    try:
        events = ipc.open_file(pa.memory_map(str(files["events"]))).read_all()
        return events, _connect(str(files["db"]), threads, read_only=True)
    except (OSError, pa.ArrowInvalid, duckdb.Error):
        return None


def _build(path: str, threads: int | None) -> tuple[pa.Table, duckdb.DuckDBPyConnection]:
    """Build the relations (DuckDB's window functions over the stored events) and write their files;
    opened from there when written, else held in memory (an in-memory database and the read table)."""
    table = pq.read_table(path)
    # every relation carries cidx_, the case's index (first appearance in the store): a filter's kept
    # cases restrict the views as a semi-join on integers, sorted, so scans skip row groups
    cases = table.column(CASE).combine_chunks()
    first = pc.unique(cases)
    events = table.append_column("cidx_", pc.index_in(cases, value_set=first).cast(pa.int32()))
    del table, cases
    files = _files(path)
    db = files["db"].with_name(f".{files['db'].name}.{os.getpid()}.{threading.get_ident()}")
    built = False
    try:
        con = _connect(str(db), threads)
    except (OSError, duckdb.Error):  # a folder that cannot be written
        pass
    else:
        try:
            _fill(con, events, first)
            con.execute("CHECKPOINT")
            built = True
        except (OSError, duckdb.Error):  # a full disk: in memory instead
            pass
        finally:
            con.close()
    release_memory()  # the Parquet read's and the relations' scratch buffers back to the system
    if built and _write(files, events, db):
        opened = _opened(path, threads)
        if opened is not None:
            return opened
    _drop(db)
    con = _connect(":memory:", threads)
    _fill(con, events, first)
    return events, con


def _fill(con: duckdb.DuckDBPyConnection, events: pa.Table, first: pa.Array) -> None:
    """The relations ``log_all``, ``inst_all`` and ``cases_all`` made in ``con``."""
    con.register("idx_", pa.table({"case": first, "i": pa.array(np.arange(len(first), dtype=np.int32))}))
    con.register("src_", events)
    con.execute("CREATE TABLE log_all AS SELECT * FROM src_")
    con.unregister("src_")
    con.register("core_", canonical_table(events.drop_columns(["cidx_"]), columns=CORE_COLUMNS))
    con.execute(f'CREATE TABLE inst_all AS SELECT i.*, x.i AS cidx_ FROM ({instances_sql("core_")}) i '
                'JOIN idx_ x ON i."case" = x."case" ORDER BY cidx_, pos')
    con.unregister("core_")
    con.execute(f'CREATE TABLE cases_all AS SELECT c.*, x.i AS cidx_ FROM ({cases_sql("inst_all")}) c '
                'JOIN idx_ x ON c."case" = x."case" ORDER BY cidx_')
    con.unregister("idx_")


def _drop(tmp: Path) -> None:
    for p in (tmp, tmp.with_name(tmp.name + ".wal")):
        with contextlib.suppress(OSError):
            p.unlink()


def _write(files: dict[str, Path], events: pa.Table, db: Path) -> bool:
    """Write the events' file and move the built database into place, each atomically with its stamp
    (False: the folder is not writable)."""
    if not write_stamped(files["events"], events, max_chunksize=1 << 20):
        _drop(db)
        return False
    try:
        os.replace(db, files["db"])
        stamp_cache(files["db"])
    except OSError:
        _drop(db)
        return False
    return True
