"""One source of an ingest: its report, its sha256, and reading it (or skipping a file already stored)."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from flowmine._digest import sha256_of
from flowmine.errors import InputError, MappingError
from flowmine.ingest import Mapping, Normalized, read_log, scanned_sha256


@dataclass
class SourceReport:
    """What happened to one source in one ingest. ``rows_read`` always equals
    ``events_loaded + rows_merged + rows_already_stored + rows_quarantined``."""

    source: str
    sha256: str
    format: str = ""
    rows_read: int = 0
    events_loaded: int = 0
    rows_merged: int = 0  # lifecycle rows folded into their activity instance (start, schedule, ...)
    rows_already_stored: int = 0  # events the store already held (a newer extract of a known source)
    rows_quarantined: int = 0
    duplicate_events: int = 0  # events repeating an earlier one of the source exactly (kept unless dropped)
    cases: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    lifecycle: dict[str, int] = field(default_factory=dict)  # rows per lifecycle:transition value as written
    skipped: str | None = None  # why nothing was read (same file already ingested)
    mapping: dict[str, Any] | None = None
    ingested_at: str = ""
    replaced: str | None = None  # the source of the same content read before with another mapping
    columns: list[str] = field(default_factory=list)  # content columns its fingerprints cover
    new_columns: list[str] = field(default_factory=list)  # columns the store did not have before
    event_ids: list[int] = field(default_factory=list)  # [first, end) of the event ids it added
    quarantine_records: int = 0
    instances_completed: int = 0  # stored open instances this newer extract completes (replaced, not doubled)
    flattening: dict[str, Any] = field(default_factory=dict)  # OCEL: object type, convergence, divergence

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
        keys = ("rows_read", "events_loaded", "rows_merged", "rows_already_stored", "rows_quarantined",
                "duplicate_events", "cases")
        out: dict[str, Any] = {"process": self.process}
        out.update({k: sum(getattr(s, k) for s in self.sources) for k in keys})
        out["reasons"] = dict(sorted(reasons.items()))
        out["store"] = {"events": self.store_events, "cases": self.store_cases, "version": self.version}
        out["sources"] = [asdict(s) for s in self.sources]
        out["errors"] = self.errors
        return out


def same_mapping(a: dict[str, Any] | None, b: dict[str, Any] | None) -> bool:
    """Whether two mappings (as kept in the manifest) read a file the same way (where each was
    written does not matter)."""
    def norm(m: dict[str, Any] | None) -> dict[str, Any] | None:
        return None if m is None else {k: v for k, v in m.items() if k != "origin"}

    return json.dumps(norm(a), sort_keys=True, default=str) == json.dumps(norm(b), sort_keys=True, default=str)


def read_checked(src: str | os.PathLike[str], mapping: Mapping | None, rep: SourceReport,
                  known: dict[str, dict[str, Any]]) -> tuple[Normalized | None, str]:
    """Read one source; fill ``rep.sha256`` and ``rep.skipped`` (a file the store already lists
    with the same mapping).

    A process that lists no source yet cannot skip anything, so the file is read first and its
    sha256 taken from the reader's own pass over it where there was one; otherwise the file is
    hashed first and a known file with the same mapping is not read at all. Either way such a
    file is skipped, whatever reading it would have said. A known file with another mapping is
    read (the store replaces what it stored from it).
    """
    path = Path(os.fspath(src))
    norm: Normalized | None = None
    error = ""
    if not known:
        norm, error = _read(src, mapping)
    rep.sha256 = (scanned_sha256(path) if norm is not None else None) or _sha256_or_empty(path)
    if rep.sha256 and rep.sha256 in known and same_mapping(known[rep.sha256].get("mapping"), rep.mapping):
        rep.skipped = "this exact file (same sha256) is already in the store"
        return None, ""
    if norm is None and not error:
        norm, error = _read(src, mapping)
    return norm, error


def _read(src: str | os.PathLike[str], mapping: Mapping | None) -> tuple[Normalized | None, str]:
    try:
        return read_log(src, mapping), ""
    except (InputError, MappingError) as exc:
        return None, str(exc)


def _sha256_or_empty(path: Path) -> str:
    try:
        return sha256_of(path) if path.is_file() else ""
    except OSError:
        return ""
