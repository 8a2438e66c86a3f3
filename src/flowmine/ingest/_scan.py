"""Byte-level passes over a plain source file, beside the CSV parser: line breaks, whether the file ends
with one, whether it is valid UTF-8, its sha256 (remembered, so the store need not read the file again),
and which lines are not blank. Each reads the file in blocks, so memory stays flat at any size. A reader
that reads a whole file by other means (XES) has its sha256 taken in the background (:func:`hash_behind`)."""

from __future__ import annotations

import codecs
import contextlib
import hashlib
import os
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Final

import numpy as np

from flowmine._digest import sha256_of

_SCAN_BLOCK: Final = 8 << 20
#: sha256 of the files this process scanned, by resolved path: (device, inode, size, mtime) and digest.
_DIGESTS: dict[str, tuple[tuple[int, int, int, int], str]] = {}
#: digests being taken in the background (:func:`hash_behind`), by resolved path: the signature and the result
_BEHIND: dict[str, tuple[tuple[int, int, int, int], Future[str | None]]] = {}


def scan(path: Path, out: dict[str, int | bool]) -> None:
    """One pass over a plain file: line breaks, whether it ends with one, whether it is valid UTF-8,
    and its sha256 (remembered for :func:`scanned_sha256`, so the store need not read it again)."""
    stat = path.stat()
    decoder = codecs.getincrementaldecoder("utf-8")()
    digest = hashlib.sha256()
    lines = 0
    valid = True
    last = b""
    buf = bytearray(_SCAN_BLOCK)
    view = memoryview(buf)
    with path.open("rb", buffering=0) as fh:
        while True:
            k = fh.readinto(buf)
            if not k:
                break
            chunk = view[:k]
            digest.update(chunk)
            lines += buf.count(b"\n", 0, k)
            last = bytes(view[k - 1:k])
            if valid and not (decoder.getstate()[0] == b"" and (buf if k == len(buf) else buf[:k]).isascii()):
                try:  # small pieces: no large temporary strings
                    for i in range(0, k, 1 << 16):
                        decoder.decode(chunk[i:i + (1 << 16)])
                except UnicodeDecodeError:
                    valid = False
    if valid:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            valid = False
    _DIGESTS[_stat_key(path)] = (_stat_sig(stat), digest.hexdigest())
    out.update(lines=lines, ends_with_newline=last == b"\n", utf8=valid)

def hash_behind(path: Path) -> None:
    """Start taking the sha256 of ``path`` in a thread of its own, for :func:`scanned_sha256`.

    A reader that has just read the whole file (XES) calls it: the bytes are in the page cache, and the
    digest is taken while normalisation, which is mostly one thread, leaves a core free, instead of after
    it. A file changed while it was hashed yields no digest (the store then hashes it itself).
    """
    key, sig = _stat_key(path), _stat_sig(path.stat())
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="flowmine-sha256")
    try:
        _BEHIND[key] = (sig, pool.submit(_digest_if_unchanged, path, sig))
    finally:
        pool.shutdown(wait=False)


def _digest_if_unchanged(path: Path, sig: tuple[int, int, int, int]) -> str | None:
    try:
        digest = sha256_of(path)
        return digest if _stat_sig(path.stat()) == sig else None
    except OSError:
        return None


def _stat_key(path: Path) -> str:
    return str(path.resolve())

def _stat_sig(stat: os.stat_result) -> tuple[int, int, int, int]:
    return (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns)

def scanned_sha256(path: Path) -> str | None:
    """The sha256 of ``path`` if this process scanned (or :func:`hash_behind` hashed) the file while reading
    it and it has not changed since (same device, inode, size and modification time); else None."""
    key = _stat_key(path)
    try:
        if key in _BEHIND:  # being hashed (or hashed) by hash_behind: wait for it
            sig, future = _BEHIND.pop(key)
            if (digest := future.result()) is not None:
                _DIGESTS[key] = (sig, digest)
        sig, digest = _DIGESTS[key]
        return digest if sig == _stat_sig(path.stat()) else None
    except (KeyError, OSError):
        return None

def nonblank_lines(data: bytes | Path) -> np.ndarray:
    """1-based numbers of the lines that are not empty (``""`` or ``"\\r"`` before the line break),
    scanning in blocks with byte masks, so that memory and time stay small however many blank
    lines a file holds."""
    found: list[np.ndarray] = []
    base = 1  # number of the line the block's first byte belongs to
    prev = 10  # the byte before the block (a line break before the file's first byte)
    with contextlib.ExitStack() as stack:
        if isinstance(data, Path):
            fh = stack.enter_context(data.open("rb"))
            blocks: Iterator[bytes] = iter(lambda: fh.read(_SCAN_BLOCK), b"")
        else:
            blocks = (data[i:i + _SCAN_BLOCK] for i in range(0, len(data), _SCAN_BLOCK))
        for block in blocks:
            a = np.frombuffer(block, np.uint8)
            is_nl = a == 10
            starts_line = np.empty(a.size, dtype=bool)
            starts_line[0] = prev == 10
            starts_line[1:] = is_nl[:-1]
            cr_nl = np.zeros(a.size, dtype=bool)
            cr_nl[:-1] = (a[:-1] == 13) & is_nl[1:]
            idx = np.flatnonzero(starts_line & ~is_nl & ~cr_nl)
            if idx.size:
                before = np.cumsum(is_nl, dtype=np.int64)
                found.append(base + np.where(idx > 0, before[np.maximum(idx - 1, 0)], 0))
            base += int(np.count_nonzero(is_nl))
            prev = int(a[-1])
    return np.concatenate(found) if found else np.array([], dtype=np.int64)
