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
          manifest.json            every ingested source: sha256, rows read/loaded/quarantined, mapping,
                                   columns, time; the sha256 of every file of the version
          analytics-cache.arrow    built after the commit (stamped with its own and the events' digest)
          held.duckdb, held-events.arrow  the held relations (``analytics.hold``): written on first hold, stamped

A writer builds a complete new version directory beside the live one and then swaps ``CURRENT``
with ``os.replace``: a crash or kill at any moment leaves the previous version readable and
unchanged. Readers only ever follow ``CURRENT``, and check the digest of every file they open
(:mod:`._integrity`). A source is known by its content (sha256): the same file with the same
mapping is skipped, with a changed mapping it replaces what it stored before. A source from
which nothing loads stores nothing. Any ``OSError`` while writing (read-only, permission
denied, disk full) is one :class:`StoreError` line; the live version is untouched.

Every version is the old events plus the new ones, sorted again (:mod:`._write`). A new process
fed one source is written in the order normalisation already computed beside the fingerprints,
without a second sort; ``tests/test_fast_path.py`` holds both ways to the same files.
"""

from __future__ import annotations

import contextlib
import errno
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

from flowmine._atomic import write_text_atomic
from flowmine._fingerprint import ALGORITHM, FINGERPRINT, content_columns
from flowmine._schema import (
    CASE,
    EVENT_ID,
    Q_COLUMN,
    Q_DETAIL,
    Q_REASON,
    Q_ROW,
    Q_SOURCE,
    Q_VALUE,
    QUARANTINE_SCHEMA,
    SCHEMA_VERSION,
    SORT_KEYS,
)
from flowmine.errors import NothingLoadedError, ProcessNotFoundError, StoreError
from flowmine.ingest import Mapping, Normalized, load_mapping
from flowmine.store._integrity import check_file, read_manifest, verify_version
from flowmine.store._integrity import digests as file_digests
from flowmine.store._match import (
    Pool,
    conflicts,
    drop_completed_open,
    note_new_columns,
    pools,
    refingerprint,
    remove_source,
    unstored_events,
    widen,
)
from flowmine.store._sources import IngestReport, SourceReport, read_checked
from flowmine.store._versions import KEEP_VERSIONS, VERSION, describe, link_or_copy, next_name, prune, remove_orphans
from flowmine.store._write import fsync_dir, order_of, write_sorted

MARKER: Final = "flowmine-store.json"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
EVENTS: Final = "events.parquet"
QUARANTINE: Final = "quarantine.parquet"
MANIFEST: Final = "manifest.json"
#: Write a new process in the order normalisation computed (tests switch it off to compare with
#: the general way: concatenate, then sort by case, timestamp and event_id).
REUSE_ORDER = True
#: The version each ``CURRENT`` named when last read, by the pointer file's (device, inode, mtime, size).
_POINTERS: dict[str, tuple[tuple[int, int, int, int], Path]] = {}


class Store:
    """A flowmine store directory.

    ``keep_versions`` old versions of each process are kept (the live one included; default 10),
    for :meth:`rollback`.

    Examples
    --------
    >>> from flowmine import Store
    >>> import os
    >>> store = Store(os.path.join(TMP, "store"))  # TMP: a folder; e.g. Store("build/store")
    >>> report = store.ingest("orders", ["sample_logs/dirty_orders.csv"],
    ...                       mapping="sample_logs/dirty_orders.mapping.toml")
    >>> log = store.load("orders")
    >>> report.store_events == len(log), report.store_cases
    (True, 5)
    """

    def __init__(self, path: str | os.PathLike[str], create: bool = True, keep_versions: int = KEEP_VERSIONS) -> None:
        self.path = Path(path)
        if keep_versions < 1:
            raise StoreError(f"keep_versions must be at least 1 (the live version), got {keep_versions}")
        self.keep_versions = keep_versions
        marker = self.path / MARKER
        if not marker.exists():
            if not create:
                raise StoreError(f"{self.path}: not a flowmine store (no {MARKER}); create it with flowmine ingest")
            if self.path.exists() and any(p for p in self.path.iterdir() if not p.name.startswith(".")):
                raise StoreError(f"{self.path}: directory exists, is not empty and is not a flowmine store")
            with _writing(self.path, None):
                self.path.mkdir(parents=True, exist_ok=True)
                _atomic_write(marker, json.dumps({"format": "flowmine-store", "schema_version": SCHEMA_VERSION}))

    # --- reading -----------------------------------------------------------------------------
    def processes(self) -> list[str]:
        return sorted(p.name for p in self.path.iterdir() if p.is_dir() and (p / "CURRENT").exists())

    def _current(self, process: str) -> Path | None:
        pointer = self.path / _check_name(process) / "CURRENT"
        try:
            st = os.stat(pointer)
        except FileNotFoundError:
            return None
        # a dashboard asks on every request: CURRENT is read again only when its file changed (it is
        # replaced with os.replace, so a switch is a new inode), else the version it named is answered
        seen = (st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size)
        known = _POINTERS.get(str(pointer))
        if known is not None and known[0] == seen:
            return known[1]
        version = self.path / process / pointer.read_text(encoding="utf-8").strip()
        if not (version / EVENTS).exists():
            raise StoreError(f"{version}: the live version of {process!r} is missing its {EVENTS}")
        _POINTERS[str(pointer)] = (seen, version)
        return version

    def _live(self, process: str) -> Path:
        v = self._current(process)
        if v is None:
            raise ProcessNotFoundError(
                f"{self.path}: no process {process!r}; the store has {self.processes() or 'none'}")
        return v

    def events_path(self, process: str) -> Path:
        """Path of the live, sorted events Parquet file of ``process`` (for engines that read in place),
        after its digest is checked against the manifest (:class:`DamagedStoreError` when damaged)."""
        return check_file(self._live(process), EVENTS)

    def load_table(self, process: str, columns: Sequence[str] | None = None) -> pa.Table:
        table = _read_parquet(self.events_path(process), columns)
        return table.drop_columns([FINGERPRINT]) if FINGERPRINT in table.column_names else table

    def load(self, process: str, columns: Sequence[str] | None = None) -> Any:
        """The process's canonical event log as a pandas DataFrame (sorted by case, timestamp, event_id)."""
        return self.load_table(process, columns).to_pandas()

    def quarantine(self, process: str) -> Any:
        return _read_parquet(check_file(self._live(process), QUARANTINE)).to_pandas()

    def version(self, process: str) -> str:
        """The name of the live version of ``process`` (``v000003``): what ``CURRENT`` names, without
        reading the manifest (for faces that ask on every request whether a new ingest landed)."""
        return self._live(process).name

    def manifest(self, process: str) -> dict[str, Any]:
        return read_manifest(self._live(process))

    def versions(self, process: str) -> list[dict[str, Any]]:
        """The kept versions of ``process``, oldest first: version, created, events, cases, sources,
        live, rollback_of (the version a rollback made live again)."""
        live = self._live(process)
        return describe(live.parent, live.name)

    def verify(self) -> dict[str, Any]:
        """Check every file of every kept version against its manifest's digests.

        Returns ``{"store": path, "damaged": [{"file", "problem"}], "unverified": [...],
        "checked": n}``; ``damaged`` is empty when the store is intact."""
        damaged: list[dict[str, str]] = []
        unverified: list[dict[str, str]] = []
        checked = 0
        for p in self.processes():
            live = self._live(p)
            for row in describe(live.parent, live.name):
                checked += 1
                for problem in verify_version(live.parent / row["version"]):
                    (unverified if problem["problem"].startswith("no digests") else damaged).append(problem)
        return {"store": str(self.path), "checked": checked, "damaged": damaged, "unverified": unverified}

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
        with _writing(self.path, None), (self.path / ".lock").open("a") as fh:
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

        An unusable or unsafe source (``InputError``), or one from which nothing loads (every row
        quarantined: ``NothingLoadedError``), is reported in ``errors`` and nothing from it is
        stored; the others are committed. A source whose content (sha256) the store already lists
        is skipped when its mapping is the same, and replaces what it stored before when the
        mapping changed. Events the store already holds (same content, counted as a multiset) are
        not added again. A store that cannot be written (read-only, permission denied, full) raises
        :class:`StoreError` and leaves the live version as it was.
        """
        _check_name(process)
        m = load_mapping(mapping) if isinstance(mapping, str | os.PathLike) else mapping
        with self._lock():
            with _writing(self.path, None):
                live = self._current(process)
                self._clean_partial(process, live)
            manifest: dict[str, Any] = (read_manifest(live) if live else {"process": process, "sources": []})
            known = {s["sha256"]: s for s in manifest["sources"]}
            reports: list[SourceReport] = []
            errors: list[str] = []
            parts: list[pa.Table] = []
            qparts: list[pa.Table] = []
            old = _read_parquet(check_file(live, EVENTS, manifest)) if live else None
            old_q = (_read_parquet(check_file(live, QUARANTINE, manifest)) if live
                     else QUARANTINE_SCHEMA.empty_table())
            if old is not None and manifest.get("fingerprint") != ALGORITHM:
                old = refingerprint(old, manifest)
            next_id = (pc.max(old.column(EVENT_ID)).as_py() + 1) if old is not None and old.num_rows else 0
            next_id = max(next_id, manifest.get("next_event_id", 0))
            orders: list[np.ndarray | None] = []
            added: list[Pool] = []  # this ingest's earlier sources, matched like stored events
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
                if norm.events.num_rows == 0:
                    errors.append(str(nothing_loaded(rep.source, norm)))
                    continue
                if rep.sha256 in known:  # the same content with another mapping: replace what it stored
                    old, old_q = remove_source(old, old_q, manifest, rep.sha256)
                    rep.replaced = known.pop(rep.sha256)["source"]
                events, q, already, order = unstored_events(norm, pools(old, manifest) + added, next_id)
                old, rep.instances_completed = drop_completed_open(old, events)
                for i, part in enumerate(parts):  # an earlier source of this ingest left it open
                    part, k = drop_completed_open(part, events)
                    if k:
                        parts[i], orders[i], added[i] = part, None, Pool(part, added[i].columns)
                        rep.instances_completed += k
                if rep.instances_completed:
                    rep.notes.append(f"{rep.instances_completed} instance(s) stored as open (started, not completed) "
                                     "are completed in this extract: replaced by their ended instance")
                rep.event_ids = [next_id, next_id + events.num_rows]
                next_id += events.num_rows
                _fill(rep, norm, events, q, already)
                note_new_columns(rep, old, parts, events, already)
                known[rep.sha256] = asdict(rep)
                parts.append(events)
                added.append(Pool(events, frozenset(rep.columns)))
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
                tables = [old, *parts] if old is not None else parts
                clash = conflicts(tables)
                if clash:
                    names = {n for n, _ in clash}
                    tables = [widen(t, names) for t in tables]
                    widened = [f"column {n!r} has types {' and '.join(ts)} across extracts: "
                                     "stored as text from this version on" for n, ts in clash]
                    for rep in reports:
                        if rep.columns:
                            rep.notes.extend(widened)
                new_events = _concat(tables)
                order = None
            del old, parts, added
            quarantine = pa.concat_tables([old_q, *qparts])
            manifest["next_event_id"] = next_id
            version = self._commit(process, live, new_events, order, quarantine, manifest, reports)
            return IngestReport(process, reports, errors, manifest["events"], manifest["cases"], version)

    def _commit(self, process: str, live: Path | None, events: pa.Table, order: np.ndarray | None,
                quarantine: pa.Table, manifest: dict[str, Any], reports: list[SourceReport]) -> str:
        pdir = self.path / process
        with _writing(self.path, live):
            pdir.mkdir(exist_ok=True)
            version = next_name(pdir)
            tmp = pdir / f".tmp-{version}-{os.getpid()}"
            tmp.mkdir()
            try:
                meta = {b"flowmine.schema_version": str(SCHEMA_VERSION).encode(),
                        b"flowmine.process": process.encode(),
                        b"flowmine.sorted_by": json.dumps(list(SORT_KEYS)).encode()}
                written = write_sorted(tmp / EVENTS, events, order_of(events) if order is None else order, meta)
                for rep in reports:
                    if rep.cases < 0:  # the one source of a new process (see ingest)
                        rep.cases = written.cases
                pq.write_table(quarantine, tmp / QUARANTINE, compression="zstd", write_page_checksum=True)
                manifest.update({
                    "process": process, "schema_version": SCHEMA_VERSION, "version": version,
                    "fingerprint": ALGORITHM, "created_at": _now(),
                    "events": events.num_rows, "cases": written.cases,
                    "start": _iso(written.start), "end": _iso(written.end),
                    "rows_quarantined": _distinct_rows(quarantine),
                    "files": file_digests(tmp, [EVENTS, QUARANTINE]),
                })
                manifest.pop("rollback", None)
                manifest["sources"] = ([s for s in manifest["sources"]] +
                                       [asdict(r) for r in reports if r.skipped is None])
                self._publish(pdir, tmp, version, manifest)
            except OSError:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
        self._prune(pdir, version, set())
        return version

    def _publish(self, pdir: Path, tmp: Path, version: str, manifest: dict[str, Any]) -> None:
        """The three last steps of every commit: manifest, rename into place, switch ``CURRENT``."""
        _atomic_write(tmp / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1, default=str))
        fsync_dir(tmp)
        os.rename(tmp, pdir / version)
        try:
            _atomic_write(pdir / "CURRENT", version)
        except OSError:  # never live: not left as an orphan (the next writer would remove it anyway)
            shutil.rmtree(pdir / version, ignore_errors=True)
            raise

    def _prune(self, pdir: Path, version: str, protect: set[str]) -> None:
        with contextlib.suppress(OSError):  # the commit is done: an old version left over is harmless
            prune(pdir, self.keep_versions, protect | {version})

    def rollback(self, process: str, to: str) -> str:
        """Make the earlier version ``to`` live again, as a new version (an atomic step of its own).

        The new version holds ``to``'s files (linked, or copied where links are refused) and its
        manifest, with ``rollback = {"of": to, "from": <the version live before>}``. ``to`` must be
        intact (its digests are checked first). Returns the new version's name."""
        _check_name(process)
        if not VERSION.match(to or ""):
            raise StoreError(f"--to {to!r} is not a version name such as v000003 (see flowmine versions)")
        with self._lock():
            live = self._live(process)
            pdir = live.parent
            with _writing(self.path, live):
                self._clean_partial(process, live)
            target = pdir / to
            if not (target / MANIFEST).exists():
                kept = [r["version"] for r in describe(pdir, live.name)]
                raise StoreError(f"{pdir}: no version {to!r}; kept versions are {kept}")
            if target == live:
                raise StoreError(f"{target}: {to} is already the live version of {process!r}")
            problems = [p for p in verify_version(target) if not p["problem"].startswith("no digests")]
            if problems:
                raise StoreError(f"{problems[0]['file']}: damaged ({problems[0]['problem']}); "
                                 f"cannot roll back to {to}")
            manifest = read_manifest(target)
            with _writing(self.path, live):
                version = next_name(pdir)
                tmp = pdir / f".tmp-{version}-{os.getpid()}"
                tmp.mkdir()
                try:
                    for f in target.iterdir():
                        if f.is_file() and f.name != MANIFEST:
                            link_or_copy(f, tmp / f.name)
                    manifest.update({"version": version, "created_at": _now(),
                                     "rollback": {"of": to, "from": live.name}})
                    self._publish(pdir, tmp, version, manifest)
                except OSError:
                    shutil.rmtree(tmp, ignore_errors=True)
                    raise
            self._prune(pdir, version, {to})
            return version

    def _clean_partial(self, process: str, live: Path | None) -> None:
        """Remove what a killed writer left: temporary directories and orphan versions (published
        but never made live), so that nothing a crash leaves can block the next ingest."""
        pdir = self.path / process
        if pdir.exists():
            for tmp in pdir.glob(".tmp-*"):
                shutil.rmtree(tmp, ignore_errors=True)
            remove_orphans(pdir, live)


def nothing_loaded(source: str, norm: Normalized) -> NothingLoadedError:
    """The error for a source whose every row was quarantined, built from its first record:
    file, row, column and detail (the detail shows the value and what was expected)."""
    q = norm.quarantine
    n = norm.rows_read
    if not q.num_rows:
        return NothingLoadedError(source, f"nothing loaded from {n:,} rows; nothing was stored")
    records = q.to_pylist()
    first = min(records, key=lambda r: (r[Q_ROW] is None, r[Q_ROW] or 0))
    where = ", ".join(w for w in (f"row {first[Q_ROW]}" if first[Q_ROW] is not None else "",
                                  f"column {first[Q_COLUMN]!r}" if first[Q_COLUMN] else "") if w)
    said = first[Q_DETAIL] or first[Q_REASON]
    value = first[Q_VALUE]
    if value is not None and str(value) not in said:
        said = f"{str(value)!r}: {said}"
    reasons = ", ".join(f"{k} {v:,}" for k, v in sorted(_reasons(q).items()))
    return NothingLoadedError(source, f"nothing loaded, all {n:,} rows quarantined ({reasons}); "
                                      f"first: {where}: {said}; nothing was stored")


def _reasons(q: pa.Table) -> dict[str, int]:
    return {d["values"]: d["counts"] for d in pc.value_counts(q.column(Q_REASON)).to_pylist()}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@contextlib.contextmanager
def _writing(store: Path, live: Path | None) -> Iterator[None]:
    """One line for a store that cannot be written (read-only, permission denied, disk full...)."""
    try:
        yield
    except OSError as exc:
        what = {errno.ENOSPC: "the disk is full", errno.EDQUOT: "the disk quota is exceeded",
                errno.EROFS: "the file system is read-only", errno.EACCES: "permission denied",
                errno.EPERM: "permission denied"}.get(exc.errno or 0, exc.strerror or str(exc))
        kept = f"; the live version {live.name} is unchanged" if live is not None else "; nothing was stored"
        where = exc.filename or store
        raise StoreError(f"{where}: cannot write to the store ({what}){kept}") from None


def _read_parquet(path: Path, columns: Sequence[str] | None = None) -> pa.Table:
    """Read a stored Parquet file verifying its page checksums (a damaged page is one error line)."""
    try:
        return pq.read_table(path, columns=list(columns) if columns else None, page_checksum_verification=True)
    except OSError as exc:
        from flowmine.store._integrity import damaged

        raise damaged(path, f"Parquet cannot read it: {exc}") from None


def sort_events(events: pa.Table) -> pa.Table:
    """Sort by (case, timestamp, event_id): the one ordering every query relies on."""
    return events.take(pa.array(order_of(events))) if events.num_rows else events


def _fill(rep: SourceReport, norm: Normalized, events: pa.Table, q: pa.Table, already: int) -> None:
    rep.format = norm.format
    rep.rows_read = norm.rows_read
    rep.events_loaded = events.num_rows
    rep.rows_merged = norm.rows_merged
    rep.rows_already_stored = already
    rep.rows_quarantined = _distinct_rows(q)
    rep.duplicate_events = norm.duplicate_events
    rep.columns = content_columns(events.column_names)
    rep.quarantine_records = q.num_rows
    rep.cases = -1  # counted while the sorted log is written, or before that for a merge
    if q.num_rows:
        vc = pc.value_counts(q.column(Q_REASON)).to_pylist()
        rep.reasons = {d["values"]: d["counts"] for d in vc}
    rep.notes = list(norm.notes)
    rep.lifecycle = dict(norm.lifecycle)
    rep.flattening = dict(norm.flattening)
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
