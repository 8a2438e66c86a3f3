"""The store: a directory with one dataset per process, written atomically.

Layout::

    STORE/
      flowmine-store.json          marks the directory as a store (format version)
      .lock                        held while a writer commits
      <process>/
        CURRENT                    name of the live version, replaced atomically
        v000007/
          events.parquet           sorted by (case, timestamp, event_id); schema version in metadata
          quarantine.parquet       every record not loaded, with source, row, column, value, reason
          manifest.json            every ingested source: sha256, rows read/loaded/quarantined, mapping, time

A writer builds a complete new version directory beside the live one and then swaps ``CURRENT``
with ``os.replace``: a crash or kill at any moment leaves the previous version readable and
unchanged. Readers only ever follow ``CURRENT``.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from flowmine._schema import (
    CASE,
    EVENT_ID,
    Q_REASON,
    Q_ROW,
    Q_SOURCE,
    QUARANTINE_SCHEMA,
    SCHEMA_VERSION,
    SORT_KEYS,
    TIMESTAMP,
)
from flowmine.errors import InputError, MappingError, ProcessNotFoundError, StoreError
from flowmine.ingest import Mapping, Normalized, read_log
from flowmine.ingest._mapping import load_mapping
from flowmine._fingerprint import ALGORITHM, FINGERPRINT, fingerprints

MARKER: Final = "flowmine-store.json"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
EVENTS: Final = "events.parquet"
QUARANTINE: Final = "quarantine.parquet"
MANIFEST: Final = "manifest.json"


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


@dataclass
class SourceReport:
    """What happened to one source in one ingest. ``rows_read`` always equals
    ``events_loaded + rows_merged + rows_already_stored + rows_quarantined``."""

    source: str
    sha256: str
    format: str = ""
    rows_read: int = 0
    events_loaded: int = 0
    rows_merged: int = 0  # start rows folded into their completion (one activity instance)
    rows_already_stored: int = 0  # events the store already held (a newer extract of a known source)
    rows_quarantined: int = 0
    cases: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    skipped: str | None = None  # why nothing was read (same file already ingested)
    mapping: dict[str, Any] | None = None
    ingested_at: str = ""

    @property
    def balanced(self) -> bool:
        return self.rows_read == (self.events_loaded + self.rows_merged + self.rows_already_stored
                                  + self.rows_quarantined)


@dataclass
class IngestReport:
    """Result of :meth:`Store.ingest`: one report per source plus totals and the store after it."""

    process: str
    sources: list[SourceReport]
    errors: list[str]
    store_events: int
    store_cases: int
    version: str | None

    def totals(self) -> dict[str, Any]:
        reasons: dict[str, int] = {}
        for s in self.sources:
            for k, v in s.reasons.items():
                reasons[k] = reasons.get(k, 0) + v
        keys = ("rows_read", "events_loaded", "rows_merged", "rows_already_stored", "rows_quarantined", "cases")
        out: dict[str, Any] = {"process": self.process}
        out.update({k: sum(getattr(s, k) for s in self.sources) for k in keys})
        out["reasons"] = dict(sorted(reasons.items()))
        out["store"] = {"events": self.store_events, "cases": self.store_cases, "version": self.version}
        out["sources"] = [asdict(s) for s in self.sources]
        out["errors"] = self.errors
        return out


class Store:
    """A flowmine store directory.

    Examples
    --------
    >>> from flowmine import Store
    >>> store = Store("build/store")  # doctest: +SKIP
    >>> report = store.ingest("finance", ["sample_logs/finance_claims.csv"],
    ...                       mapping="sample_logs/finance_claims.mapping.toml")  # doctest: +SKIP
    >>> log = store.load("finance")  # doctest: +SKIP
    """

    def __init__(self, path: str | os.PathLike[str], create: bool = True) -> None:
        self.path = Path(path)
        marker = self.path / MARKER
        if not marker.exists():
            if not create:
                raise StoreError(f"{self.path}: not a flowmine store (no {MARKER}); create it with flowmine ingest")
            if self.path.exists() and any(p for p in self.path.iterdir() if not p.name.startswith(".")):
                raise StoreError(f"{self.path}: directory exists, is not empty and is not a flowmine store")
            self.path.mkdir(parents=True, exist_ok=True)
            _atomic_write(marker, json.dumps({"format": "flowmine-store", "schema_version": SCHEMA_VERSION}))

    # --- reading -----------------------------------------------------------------------------
    def processes(self) -> list[str]:
        return sorted(p.name for p in self.path.iterdir() if p.is_dir() and (p / "CURRENT").exists())

    def _current(self, process: str) -> Path | None:
        pointer = self.path / _check_name(process) / "CURRENT"
        if not pointer.exists():
            return None
        version = self.path / process / pointer.read_text(encoding="utf-8").strip()
        if not (version / EVENTS).exists():
            raise StoreError(f"{version}: the live version of {process!r} is missing its {EVENTS}")
        return version

    def _live(self, process: str) -> Path:
        v = self._current(process)
        if v is None:
            raise ProcessNotFoundError(
                f"{self.path}: no process {process!r}; the store has {self.processes() or 'none'}")
        return v

    def events_path(self, process: str) -> Path:
        """Path of the live, sorted events Parquet file of ``process`` (for engines that read in place)."""
        return self._live(process) / EVENTS

    def load_table(self, process: str, columns: Sequence[str] | None = None) -> pa.Table:
        table = pq.read_table(self.events_path(process), columns=list(columns) if columns else None)
        return table.drop_columns([FINGERPRINT]) if FINGERPRINT in table.column_names else table

    def load(self, process: str, columns: Sequence[str] | None = None) -> Any:
        """The process's canonical event log as a pandas DataFrame (sorted by case, timestamp, event_id)."""
        return self.load_table(process, columns).to_pandas()

    def quarantine(self, process: str) -> Any:
        return pq.read_table(self._live(process) / QUARANTINE).to_pandas()

    def manifest(self, process: str) -> dict[str, Any]:
        return json.loads((self._live(process) / MANIFEST).read_text(encoding="utf-8"))

    def info(self) -> dict[str, Any]:
        out = []
        for p in self.processes():
            m = self.manifest(p)
            last = max((s["ingested_at"] for s in m["sources"]), default=None)
            out.append({"process": p, "events": m["events"], "cases": m["cases"], "start": m["start"],
                        "end": m["end"], "sources": len(m["sources"]), "rows_quarantined": m["rows_quarantined"],
                        "last_ingest": last, "version": m["version"]})
        return {"store": str(self.path), "processes": out}

    # --- writing -----------------------------------------------------------------------------
    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        with (self.path / ".lock").open("a") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise StoreError(f"{self.path}: another flowmine process is writing to this store") from None
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def ingest(self, process: str, sources: Sequence[str | os.PathLike[str]],
               mapping: Mapping | str | os.PathLike[str] | None = None,
               progress: Any = None) -> IngestReport:
        """Read, validate and add ``sources`` to ``process`` in one atomic commit.

        An unusable or unsafe source (``InputError``) is reported in ``errors`` and nothing from
        it is stored; the others are committed. A source whose sha256 the store already lists
        is skipped. Events the store already holds (same content) are not added again.
        """
        _check_name(process)
        m = load_mapping(mapping) if isinstance(mapping, str | os.PathLike) else mapping
        with self._lock():
            self._clean_partial(process)
            live = self._current(process)
            manifest = (json.loads((live / MANIFEST).read_text(encoding="utf-8")) if live
                        else {"process": process, "sources": []})
            known = {s["sha256"] for s in manifest["sources"]}
            reports: list[SourceReport] = []
            errors: list[str] = []
            parts: list[pa.Table] = []
            qparts: list[pa.Table] = []
            old = pq.read_table(live / EVENTS) if live else None
            if old is not None and manifest.get("fingerprint") != ALGORITHM:
                old = old.drop_columns([FINGERPRINT]).append_column(FINGERPRINT, fingerprints(
                    old.drop_columns([FINGERPRINT])))
            seen = old.column(FINGERPRINT).combine_chunks() if old is not None else pa.array([], pa.binary(16))
            next_id = (pc.max(old.column(EVENT_ID)).as_py() + 1) if old is not None and old.num_rows else 0
            for src in sources:
                try:
                    path = Path(os.fspath(src))
                    digest = sha256_file(path) if path.is_file() else ""
                except OSError:
                    digest = ""
                rep = SourceReport(source=os.fspath(src), sha256=digest,
                                   mapping=m.to_dict() if m else None,
                                   ingested_at=datetime.now(UTC).isoformat(timespec="seconds"))
                if digest and digest in known:
                    rep.skipped = "this exact file (same sha256) is already in the store"
                    reports.append(rep)
                    continue
                try:
                    norm = read_log(src, m)
                except (InputError, MappingError) as exc:
                    errors.append(str(exc))
                    continue
                events, q, already = _new_events(norm, seen, next_id)
                next_id += events.num_rows
                seen = pa.concat_arrays([seen, events.column(FINGERPRINT).combine_chunks()])
                _fill(rep, norm, events, q, already)
                known.add(digest)
                parts.append(events)
                qparts.append(q)
                reports.append(rep)
                if progress is not None:
                    progress(rep)
            if not parts:
                return IngestReport(process, reports, errors, manifest.get("events", 0),
                                    manifest.get("cases", 0), manifest.get("version"))
            new_events = _concat([old, *parts] if old is not None else parts)
            old_q = pq.read_table(live / QUARANTINE) if live else QUARANTINE_SCHEMA.empty_table()
            quarantine = pa.concat_tables([old_q, *qparts])
            version = self._commit(process, live, new_events, quarantine, manifest, reports)
            return IngestReport(process, reports, errors, manifest["events"], manifest["cases"], version)

    def _commit(self, process: str, live: Path | None, events: pa.Table, quarantine: pa.Table,
                manifest: dict[str, Any], reports: list[SourceReport]) -> str:
        pdir = self.path / process
        pdir.mkdir(exist_ok=True)
        n = int(live.name[1:]) + 1 if live else 1
        version = f"v{n:06d}"
        tmp = pdir / f".tmp-{version}-{os.getpid()}"
        tmp.mkdir()
        events = sort_events(events)
        meta = {b"flowmine.schema_version": str(SCHEMA_VERSION).encode(), b"flowmine.process": process.encode(),
                b"flowmine.sorted_by": json.dumps(list(SORT_KEYS)).encode()}
        events = events.replace_schema_metadata({**(events.schema.metadata or {}), **meta})
        # Fingerprints are random bytes: compressing them costs time and saves nothing.
        codecs = {c: ("none" if c == FINGERPRINT else "zstd") for c in events.column_names}
        levels = {c: 1 for c, codec in codecs.items() if codec == "zstd"}
        # store_schema=False: readers get plain strings, not the dictionaries used for sorting
        with pq.ParquetWriter(tmp / EVENTS, events.schema, compression=codecs, compression_level=levels,
                              store_schema=False) as writer:
            writer.write_table(events, row_group_size=1 << 20)
            writer.add_key_value_metadata(meta)
        pq.write_table(quarantine, tmp / QUARANTINE, compression="zstd")
        ts = events.column(TIMESTAMP)
        manifest.update({
            "process": process, "schema_version": SCHEMA_VERSION, "version": version, "fingerprint": ALGORITHM,
            "events": events.num_rows, "cases": _count_cases(events),
            "start": _iso(pc.min(ts).as_py()), "end": _iso(pc.max(ts).as_py()),
            "rows_quarantined": _distinct_rows(quarantine),
        })
        manifest["sources"] = manifest["sources"] + [asdict(r) for r in reports if r.skipped is None]
        _atomic_write(tmp / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1, default=str))
        _fsync_dir(tmp)
        os.rename(tmp, pdir / version)
        _atomic_write(pdir / "CURRENT", version)
        for old in pdir.glob("v*"):
            if old.name not in (version, live.name if live else ""):
                shutil.rmtree(old, ignore_errors=True)
        return version

    def _clean_partial(self, process: str) -> None:
        pdir = self.path / process
        if pdir.exists():
            for tmp in pdir.glob(".tmp-*"):
                shutil.rmtree(tmp, ignore_errors=True)


def sort_events(events: pa.Table) -> pa.Table:
    """Sort by (case, timestamp, event_id): the one ordering every query relies on.

    Case ids are ranked through their (sorted) dictionary so the sort itself runs on integers
    (in DuckDB, multithreaded); text columns are moved as dictionary indices, not as strings.
    """
    if events.num_rows == 0:
        return events
    case = events.column(CASE).combine_chunks()
    enc = case if pa.types.is_dictionary(case.type) else case.dictionary_encode()
    rank = np.empty(len(enc.dictionary), dtype=np.int32)
    rank[pc.sort_indices(enc.dictionary).to_numpy()] = np.arange(len(enc.dictionary), dtype=np.int32)
    keys = pa.table({
        "c": rank[enc.indices.to_numpy(zero_copy_only=False)],
        "t": pc.fill_null(events.column(TIMESTAMP).combine_chunks().cast(pa.int64()), 0),
        "e": events.column(EVENT_ID).combine_chunks(),
        "i": np.arange(events.num_rows, dtype=np.int64),
    })
    con = duckdb.connect()
    try:
        con.register("keys", keys)
        order = con.sql("SELECT i FROM keys ORDER BY c, t, e").arrow().read_all().column(0).combine_chunks()
    finally:
        con.close()

    def move(name: str) -> pa.Array:
        col = enc if name == CASE else events.column(name).combine_chunks()
        if pa.types.is_string(col.type):
            col = col.dictionary_encode()
        return col.take(order)

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:  # Arrow kernels release the GIL
        moved = list(pool.map(move, events.column_names))
    return pa.table(moved, names=events.column_names)


def _new_events(norm: Normalized, seen: pa.Array, next_id: int) -> tuple[pa.Table, pa.Table, int]:
    events = norm.events
    fp = events.column(FINGERPRINT).combine_chunks()
    already = np.asarray(pc.is_in(fp, value_set=seen)) if len(seen) else np.zeros(len(fp), dtype=bool)
    if already.any():
        events = events.filter(pa.array(~already))
    ids = pa.array(np.arange(next_id, next_id + events.num_rows, dtype=np.int64))
    events = events.add_column(0, EVENT_ID, ids)
    return events, norm.quarantine, int(already.sum())


def _fill(rep: SourceReport, norm: Normalized, events: pa.Table, q: pa.Table, already: int) -> None:
    rep.format = norm.format
    rep.rows_read = norm.rows_read
    rep.events_loaded = events.num_rows
    rep.rows_merged = norm.rows_merged
    rep.rows_already_stored = already
    rep.rows_quarantined = _distinct_rows(q)
    rep.cases = pc.count_distinct(events.column(CASE)).as_py() if events.num_rows else 0
    if q.num_rows:
        vc = pc.value_counts(q.column(Q_REASON)).to_pylist()
        rep.reasons = {d["values"]: d["counts"] for d in vc}
    rep.notes = list(norm.notes)
    if not rep.balanced:  # a bug, never a user error: say so loudly rather than store wrong counts
        raise StoreError(f"{rep.source}: rows do not reconcile: read {rep.rows_read} != loaded {rep.events_loaded}"
                         f" + merged {rep.rows_merged} + already stored {rep.rows_already_stored}"
                         f" + quarantined {rep.rows_quarantined}")


def _count_cases(events: pa.Table) -> int:
    case = events.column(CASE).combine_chunks()
    return int(pc.count_distinct(case.indices if pa.types.is_dictionary(case.type) else case).as_py())


def _distinct_rows(q: pa.Table) -> int:
    """Quarantined rows (a row with several failures has several records but counts once)."""
    if q.num_rows == 0:
        return 0
    keys = q.select([Q_SOURCE, Q_ROW]).to_pandas()
    rowless = int(keys[Q_ROW].isna().sum())
    return int(len(keys.dropna().drop_duplicates())) + rowless


def _concat(tables: list[pa.Table]) -> pa.Table:
    """Concatenate old and new events; dictionary-encoded text is decoded first so types agree."""
    plain = []
    for t in tables:
        for i, f in enumerate(t.schema):
            if pa.types.is_dictionary(f.type):
                t = t.set_column(i, f.name, t.column(i).cast(f.type.value_type))
        plain.append(t)
    return pa.concat_tables(plain, promote_options="permissive")


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _check_name(process: str) -> str:
    if not _NAME.match(process or ""):
        raise StoreError(f"process name {process!r} is not allowed: use letters, digits, '_', '-' or '.' "
                         "(at most 64, not starting with '.')")
    return process


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{time.monotonic_ns()}.tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _fsync_dir(path: Path) -> None:
    for f in path.iterdir():
        with f.open("rb") as fh:
            os.fsync(fh.fileno())
