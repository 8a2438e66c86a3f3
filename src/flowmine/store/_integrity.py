"""Integrity of stored files: a sha256 of every file of a version, recorded in its manifest.

A version's files are immutable once published, so a file whose digest no longer matches was
damaged on disk (a flipped bit, a truncated copy, a hand edit). Every reader that goes through
the store checks the digest of the file it opens before reading it, once per process and file
(keyed by inode, size and modification time, so a file replaced in place is checked again), and
reads Parquet with page checksum verification; a damaged file raises :class:`DamagedStoreError`
and nothing is read from it. ``flowmine verify`` checks every file of every kept version.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from flowmine._digest import sha256_of
from flowmine.errors import DamagedStoreError

_CHECKED: dict[tuple[str, int, int, int], str] = {}
_LOCK = threading.Lock()


def digests(directory: Path, names: list[str]) -> dict[str, dict[str, Any]]:
    """``{name: {"sha256": ..., "bytes": ...}}`` for the files ``names`` of ``directory``."""
    out = {}
    for name in names:
        p = directory / name
        out[name] = {"sha256": sha256_of(p), "bytes": p.stat().st_size}
    return out


def damage(path: Path, expected: dict[str, Any] | None) -> str | None:
    """Why ``path`` does not match its recorded digest, or None when it does (or none is recorded)."""
    if not expected:
        return None
    try:
        st = path.stat()
    except FileNotFoundError:
        return "missing"
    if st.st_size != expected.get("bytes", st.st_size):
        return f"{st.st_size:,} bytes, the manifest records {expected['bytes']:,}"
    key = (str(path), st.st_ino, st.st_size, st.st_mtime_ns)
    with _LOCK:
        known = _CHECKED.get(key)
    digest = known or sha256_of(path)
    if digest != expected["sha256"]:
        return "its sha256 differs from the one its manifest records"
    with _LOCK:
        _CHECKED[key] = digest
    return None


def check_file(version: Path, name: str, manifest: dict[str, Any] | None = None) -> Path:
    """``version/name`` after its digest is checked against the manifest (raises when damaged)."""
    if manifest is None:
        manifest = read_manifest(version)
    path = version / name
    why = damage(path, (manifest.get("files") or {}).get(name))
    if why:
        raise damaged(path, why)
    return path


def damaged(path: Path, why: str) -> DamagedStoreError:
    process = path.parent.parent
    return DamagedStoreError(
        f"{path}: damaged ({why}); nothing was read from it. Check the store with "
        f"`flowmine verify --store {process.parent}` and make an intact version live with "
        f"`flowmine rollback --store {process.parent} --process {process.name} --to VERSION`")


def read_manifest(version: Path) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads((version / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DamagedStoreError(f"{version / 'manifest.json'}: cannot be read ({exc})") from None
    return data


def verify_version(version: Path) -> list[dict[str, str]]:
    """Problems of one version directory: ``[{"file": path, "problem": why}]`` (empty when intact)."""
    try:
        manifest = read_manifest(version)
    except DamagedStoreError as exc:
        return [{"file": str(version / "manifest.json"), "problem": str(exc).split(": ", 1)[1]}]
    files = manifest.get("files")
    if not files:
        return [{"file": str(version), "problem": "no digests recorded (written by an older flowmine): unverified"}]
    out = []
    for name, expected in sorted(files.items()):
        path = version / name
        why = damage(path, expected)
        if why is None and name.endswith(".parquet"):
            why = _pages(path)
        if why:
            out.append({"file": str(path), "problem": why})
    return out


def _pages(path: Path) -> str | None:
    """Read every page with checksum verification (the digest already matched: this is belt and braces
    for files written with page checksums)."""
    import pyarrow.parquet as pq

    try:
        pq.read_table(path, page_checksum_verification=True)
    except OSError as exc:
        return f"a Parquet page does not verify ({exc})"
    return None
