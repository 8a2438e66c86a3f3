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

Every version is the old events plus the new ones, sorted again (:mod:`._write`). A new process
fed one source is written in the order normalisation already computed beside the fingerprints,
without a second sort; ``tests/test_fast_path.py`` holds both ways to the same files.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from flowmine._arrow import contiguous
from flowmine._atomic import write_text_atomic
from flowmine._fingerprint import ALGORITHM, FINGERPRINT, fingerprints, subset_order
from flowmine._schema import (
    CASE,
    EVENT_ID,
    Q_REASON,
    Q_ROW,
    Q_SOURCE,
    QUARANTINE_SCHEMA,
    SCHEMA_VERSION,
    SORT_KEYS,
)
from flowmine.errors import ProcessNotFoundError, StoreError
from flowmine.ingest import Mapping, Normalized
from flowmine.ingest._mapping import load_mapping
from flowmine.store._sources import IngestReport, SourceReport, read_checked
from flowmine.store._write import fsync_dir, order_of, write_sorted

MARKER: Final = "flowmine-store.json"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
EVENTS: Final = "events.parquet"
QUARANTINE: Final = "quarantine.parquet"
MANIFEST: Final = "manifest.json"
#: Write a new process in the order normalisation computed (tests switch it off to compare with
#: the general way: concatenate, then sort by case, timestamp and event_id).
REUSE_ORDER = True


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

    def version(self, process: str) -> str:
        """The name of the live version of ``process`` (``v000003``): what ``CURRENT`` names, without
        reading the manifest (for faces that ask on every request whether a new ingest landed)."""
        return self._live(process).name

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
            manifest: dict[str, Any] = (json.loads((live / MANIFEST).read_text(encoding="utf-8")) if live
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
            seen = contiguous(old.column(FINGERPRINT)) if old is not None else pa.array([], pa.binary(16))
            next_id = (pc.max(old.column(EVENT_ID)).as_py() + 1) if old is not None and old.num_rows else 0
            orders: list[np.ndarray | None] = []
            for src in sources:
                rep = SourceReport(source=os.fspath(src), sha256="", mapping=m.to_dict() if m else None,
                                   ingested_at=datetime.now(UTC).isoformat(timespec="seconds"))
                norm, error = read_checked(src, m, rep, known)
                if rep.skipped:
                    reports.append(rep)
                    continue
                if norm is None:
                    errors.append(error)
                    continue
                events, q, already, order = _new_events(norm, seen, next_id)
                next_id += events.num_rows
                if len(sources) > 1:
                    seen = pa.concat_arrays([seen, contiguous(events.column(FINGERPRINT))])
                _fill(rep, norm, events, q, already)
                known.add(rep.sha256)
                parts.append(events)
                orders.append(order)
                qparts.append(q)
                reports.append(rep)
                del norm
                if progress is not None:
                    progress(rep)
            if not parts:
                return IngestReport(process, reports, errors, manifest.get("events", 0),
                                    manifest.get("cases", 0), manifest.get("version"))
            fresh = REUSE_ORDER and old is None and len(parts) == 1 and orders[0] is not None
            if fresh:  # a new process: normalisation's order is the store's, its cases are the source's
                new_events, order = parts[0], orders[0]
            else:
                for rep, part in zip([r for r in reports if r.cases < 0], parts, strict=True):
                    rep.cases = pc.count_distinct(part.column(CASE)).as_py() if part.num_rows else 0
                new_events = _concat([old, *parts] if old is not None else parts)
                order = None
            del old, parts
            old_q = pq.read_table(live / QUARANTINE) if live else QUARANTINE_SCHEMA.empty_table()
            quarantine = pa.concat_tables([old_q, *qparts])
            version = self._commit(process, live, new_events, order, quarantine, manifest, reports)
            return IngestReport(process, reports, errors, manifest["events"], manifest["cases"], version)

    def _commit(self, process: str, live: Path | None, events: pa.Table, order: np.ndarray | None,
                quarantine: pa.Table, manifest: dict[str, Any], reports: list[SourceReport]) -> str:
        pdir = self.path / process
        pdir.mkdir(exist_ok=True)
        n = int(live.name[1:]) + 1 if live else 1
        version = f"v{n:06d}"
        tmp = pdir / f".tmp-{version}-{os.getpid()}"
        tmp.mkdir()
        meta = {b"flowmine.schema_version": str(SCHEMA_VERSION).encode(), b"flowmine.process": process.encode(),
                b"flowmine.sorted_by": json.dumps(list(SORT_KEYS)).encode()}
        written = write_sorted(tmp / EVENTS, events, order_of(events) if order is None else order, meta)
        for rep in reports:
            if rep.cases < 0:  # the one source of a new process (see ingest)
                rep.cases = written.cases
        pq.write_table(quarantine, tmp / QUARANTINE, compression="zstd")
        manifest.update({
            "process": process, "schema_version": SCHEMA_VERSION, "version": version, "fingerprint": ALGORITHM,
            "events": events.num_rows, "cases": written.cases,
            "start": _iso(written.start), "end": _iso(written.end),
            "rows_quarantined": _distinct_rows(quarantine),
        })
        manifest["sources"] = manifest["sources"] + [asdict(r) for r in reports if r.skipped is None]
        _atomic_write(tmp / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1, default=str))
        fsync_dir(tmp)
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
    """Sort by (case, timestamp, event_id): the one ordering every query relies on."""
    return events.take(pa.array(order_of(events))) if events.num_rows else events


def _new_events(norm: Normalized, seen: pa.Array, next_id: int) -> tuple[pa.Table, pa.Table, int, np.ndarray | None]:
    """Events the store does not hold yet, with event ids in source order, and their store order."""
    events = norm.events
    order = norm.order
    fp = contiguous(events.column(FINGERPRINT))
    already = np.asarray(pc.is_in(fp, value_set=seen)) if len(seen) else np.zeros(len(fp), dtype=bool)
    if already.any():
        events = events.filter(pa.array(~already))
        order = subset_order(order, ~already) if order is not None else None
    ids = pa.array(np.arange(next_id, next_id + events.num_rows, dtype=np.int64))
    events = events.add_column(0, EVENT_ID, ids)
    return events, norm.quarantine, int(already.sum()), order


def _fill(rep: SourceReport, norm: Normalized, events: pa.Table, q: pa.Table, already: int) -> None:
    rep.format = norm.format
    rep.rows_read = norm.rows_read
    rep.events_loaded = events.num_rows
    rep.rows_merged = norm.rows_merged
    rep.rows_already_stored = already
    rep.rows_quarantined = _distinct_rows(q)
    rep.cases = -1  # counted while the sorted log is written, or before that for a merge
    if q.num_rows:
        vc = pc.value_counts(q.column(Q_REASON)).to_pylist()
        rep.reasons = {d["values"]: d["counts"] for d in vc}
    rep.notes = list(norm.notes)
    rep.lifecycle = dict(norm.lifecycle)
    if not rep.balanced:  # a bug, never a user error: say so loudly rather than store wrong counts
        raise StoreError(f"{rep.source}: rows do not reconcile: read {rep.rows_read} != loaded {rep.events_loaded}"
                         f" + merged {rep.rows_merged} + already stored {rep.rows_already_stored}"
                         f" + quarantined {rep.rows_quarantined}")


def _distinct_rows(q: pa.Table) -> int:
    """Quarantined rows (a row with several failures has several records but counts once)."""
    if q.num_rows == 0:
        return 0
    keys = q.select([Q_SOURCE, Q_ROW]).to_pandas()
    rowless = int(keys[Q_ROW].isna().sum())
    return len(keys.dropna().drop_duplicates()) + rowless


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
    write_text_atomic(path, text)
