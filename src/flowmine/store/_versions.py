"""Versions of a process: listing them, pruning old ones, and what a rollback copies.

Every commit (an ingest or a rollback) is a new version directory ``vNNNNNN`` named one above the
highest number present; ``CURRENT`` names the live one. A directory above the live one was
published by a writer that died before it switched ``CURRENT`` (an orphan): it was never live
and is removed by the next writer. Old versions are kept up to ``keep_versions`` (default 10);
the live version and the target of a rollback are never pruned.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any, Final

#: Versions kept per process (the live one included) unless the store is told otherwise.
KEEP_VERSIONS: Final = 10
VERSION = re.compile(r"^v(\d{6})$")


def numbered(pdir: Path) -> list[tuple[int, Path]]:
    """Version directories of a process, oldest first."""
    if not pdir.is_dir():
        return []
    out = []
    for p in pdir.iterdir():
        m = VERSION.match(p.name)
        if m and p.is_dir():
            out.append((int(m.group(1)), p))
    return sorted(out)


def remove_orphans(pdir: Path, live: Path | None) -> list[str]:
    """Remove version directories that were never live (above the live one, or all without CURRENT)."""
    top = int(live.name[1:]) if live is not None else 0
    gone = []
    for n, p in numbered(pdir):
        if n > top:
            shutil.rmtree(p, ignore_errors=True)
            gone.append(p.name)
    return gone


def next_name(pdir: Path) -> str:
    have = numbered(pdir)
    return f"v{(have[-1][0] + 1 if have else 1):06d}"


def prune(pdir: Path, keep: int, protect: set[str]) -> list[str]:
    """Remove the oldest versions beyond ``keep`` (never one named in ``protect``)."""
    have = numbered(pdir)
    excess = len(have) - max(keep, 1)
    gone = []
    for _, p in have:
        if excess <= 0:
            break
        if p.name in protect:
            continue
        shutil.rmtree(p, ignore_errors=True)
        gone.append(p.name)
        excess -= 1
    return gone


def describe(pdir: Path, live: str | None) -> list[dict[str, Any]]:
    """One row per kept version: name, created, events, cases, sources, live, rollback."""
    rows: list[dict[str, Any]] = []
    for _, p in numbered(pdir):
        try:
            m = json.loads((p / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            rows.append({"version": p.name, "created": None, "events": None, "cases": None, "sources": None,
                         "live": p.name == live, "rollback_of": None, "problem": "manifest unreadable"})
            continue
        created = m.get("created_at") or max((s.get("ingested_at", "") for s in m.get("sources", [])),
                                             default=None)
        rows.append({"version": p.name, "created": created, "events": m.get("events"), "cases": m.get("cases"),
                     "sources": len(m.get("sources", [])), "live": p.name == live,
                     "rollback_of": (m.get("rollback") or {}).get("of")})
    return rows


def link_or_copy(src: Path, dst: Path) -> None:
    """A version's files never change: a rollback links them (copies where links are refused)."""
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)
