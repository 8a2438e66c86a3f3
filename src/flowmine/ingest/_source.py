"""Safe access to source files: refuse URLs, sniff the real format, cap decompressed sizes.

Readers never open a user-given path directly; they call :func:`check_source` and
:func:`sniff_format`, and read compressed content through :func:`open_gzip_capped`, so that a
URL is never fetched, a file whose content is not what its extension says is read for what it
is (or refused with a clear message), and a decompression bomb stops at a fixed size.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import os
import re
import shutil
import tempfile
import time
import zipfile
import zlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Final

from flowmine.errors import UnsafeInputError, UnusableInputError
from flowmine.ingest._ocel_sniff import refuse_other, sniff_ocel

#: Largest decompressed size accepted from one .gz, .zip, .xlsx or Parquet source (bytes): 2 GiB.
#: Override with ``[limits] max_bytes`` in the mapping or the environment variable
#: ``FLOWMINE_MAX_DECOMPRESSED_BYTES``.
DEFAULT_MAX_DECOMPRESSED: Final = 2 * 1024**3
#: Largest compression ratio accepted for an .xlsx archive member (zip bombs compress ~1000:1).
MAX_ZIP_RATIO: Final = 200

_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")

FORMATS: Final = ("csv", "xlsx", "xes", "parquet", "ocel-json", "ocel-xml", "ocel-sqlite")

#: Archive entries that are never the log (macOS resource forks, Finder and Windows metadata).
_ARCHIVE_NOISE: Final = re.compile(r"(^|/)(__MACOSX/|\.DS_Store$|Thumbs\.db$|desktop\.ini$)")


@dataclass(frozen=True)
class ReadLimits:
    """The limits of the read in progress (set by :func:`reading`; readers ask, never take them as
    arguments, so that every reader honours them without a change of signature)."""

    max_bytes: int | None = None
    deadline: float | None = None  # time.monotonic() after which reading stops
    max_seconds: float | None = None
    quote_content: bool = True  # False for a symlinked source: messages never echo its content


_NO_LIMITS: Final = ReadLimits()
_LIMITS: ContextVar[ReadLimits] = ContextVar("flowmine_read_limits", default=_NO_LIMITS)


@contextlib.contextmanager
def reading(max_bytes: int | None = None, max_seconds: float | None = None,
            quote_content: bool = True) -> Iterator[ReadLimits]:
    """Limits for the reads inside the ``with`` block (the mapping's ``[limits]``)."""
    limits = ReadLimits(max_bytes, None if max_seconds is None else time.monotonic() + max_seconds, max_seconds,
                        quote_content)
    token = _LIMITS.set(limits)
    try:
        yield limits
    finally:
        _LIMITS.reset(token)


def max_decompressed_bytes() -> int:
    limit = _LIMITS.get().max_bytes
    if limit is not None:
        return limit
    raw = os.environ.get("FLOWMINE_MAX_DECOMPRESSED_BYTES")
    return int(raw) if raw else DEFAULT_MAX_DECOMPRESSED


def _raise_hint() -> str:
    if _LIMITS.get().max_bytes is not None:
        return "raise [limits] max_bytes in the mapping if the file is genuine"
    return "raise [limits] max_bytes in the mapping or FLOWMINE_MAX_DECOMPRESSED_BYTES if the file is genuine"


def check_deadline(source: str) -> None:
    """Raise UnusableInputError when the read has run longer than ``[limits] max_seconds``."""
    limits = _LIMITS.get()
    if limits.deadline is not None and time.monotonic() > limits.deadline:
        raise UnusableInputError(source, f"reading took longer than {limits.max_seconds:g} s "
                                 "([limits] max_seconds in the mapping); stopped")


def shown(text: str) -> str:
    """``text`` for a message, unless the source is a symbolic link: then its content is never quoted
    (a link may point at a file the user cannot read otherwise, such as a key or a password file)."""
    return text if _LIMITS.get().quote_content else "(content not shown: the source is a symbolic link)"


def quotes_content() -> bool:
    return _LIMITS.get().quote_content


def check_source(source: str | os.PathLike[str]) -> Path:
    """Return the path of a local, readable, regular file, or raise a one-line InputError."""
    text = os.fspath(source)
    if _URL.match(text) or text.lower().startswith(("file:", "http:", "https:", "ftp:")):
        raise UnsafeInputError(text, "is a URL; flowmine reads local files only and never fetches a URL")
    path = Path(text)
    if not path.exists():
        raise UnusableInputError(text, "no such file")
    if not path.is_file():
        raise UnusableInputError(text, "is not a regular file")
    if path.stat().st_size == 0:
        raise UnusableInputError(text, "file is empty (0 bytes)")
    return path


def extension_format(path: Path) -> str | None:
    name = path.name.lower()
    if name.endswith((".xes", ".xes.gz")):
        return "xes"
    if name.endswith((".csv", ".csv.gz", ".tsv", ".txt")):
        return "csv"
    if name.endswith((".xlsx", ".xlsm")):
        return "xlsx"
    if name.endswith(".parquet"):
        return "parquet"
    if name.endswith((".jsonocel", ".json")):
        return "ocel-json"
    if name.endswith(".xmlocel"):
        return "ocel-xml"
    if name.endswith((".sqlite", ".sqlite3", ".db")):
        return "ocel-sqlite"
    return None


def _head(path: Path, n: int = 4096) -> bytes:
    with path.open("rb") as fh:
        return fh.read(n)


def sniff_format(path: Path) -> tuple[str, bool]:
    """Format of the file by its content: (``"csv"|"xlsx"|"xes"|"parquet"``, gzip-compressed).

    The extension is only a hint: the content decides. Raises UnusableInputError for
    content no reader understands (say, an old binary .xls or a PDF).
    """
    head = _head(path)
    if head.startswith(b"\x1f\x8b"):
        inner = b""
        try:
            with gzip.open(path, "rb") as gz:
                inner = gz.read(4096)
        except (OSError, EOFError, zlib.error) as exc:
            raise UnusableInputError(str(path), f"is not a readable gzip file ({exc})") from None
        kind = _sniff_plain(inner, path)
        if kind not in ("xes", "csv"):
            raise UnusableInputError(str(path), f"gzip holds {kind} content; only .xes.gz and .csv.gz are read")
        return kind, True
    return _sniff_plain(head, path), False


def _sniff_plain(head: bytes, path: Path) -> str:
    if head.startswith(b"PAR1"):
        return "parquet"
    ocel = sniff_ocel(head)
    if ocel is not None:
        return ocel
    refuse_other(head, str(path))
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "xlsx" if _is_xlsx(path) else "zip"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise UnusableInputError(
            str(path), "is an old binary Excel (.xls) or OLE file; save it as .xlsx or CSV first"
        )
    if head.startswith(b"%PDF"):
        raise UnusableInputError(str(path), "is a PDF document, not an event log")
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if text.startswith((b"\xff\xfe", b"\xfe\xff")) or (len(head) > 1 and head[1:2] == b"\x00"):
        return "csv"  # UTF-16 text: the CSV reader decodes it
    if text.startswith(b"<"):
        return "xes"
    if b"\x00" in head:
        raise UnusableInputError(str(path), "is binary content of an unknown kind, not CSV, Excel, XES or Parquet")
    return "csv"


def detect(path: Path) -> tuple[str, bool, list[str]]:
    """Sniff ``path``; return (format, gzipped, notes) with a note when the extension disagrees."""
    fmt, gz = sniff_format(path)
    notes: list[str] = []
    ext = extension_format(path)
    if ext is not None and ext != fmt:
        notes.append(f"{path.name}: content is {fmt.upper()} although the name suggests {ext.upper()}; read as {fmt}")
    return fmt, gz, notes


class _CappedReader(io.RawIOBase):
    """A file-like wrapper that raises UnsafeInputError once more than ``cap`` bytes were read."""

    def __init__(self, inner: IO[bytes], cap: int, source: str) -> None:
        self._inner = inner
        self._cap = cap
        self._count = 0
        self._source = source

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        check_deadline(self._source)
        try:
            data = self._inner.read(len(b))
        except (zlib.error, gzip.BadGzipFile) as exc:  # gzip magic followed by garbage
            raise UnusableInputError(self._source, f"is a truncated or damaged gzip file ({exc})") from None
        self._count += len(data)
        if self._count > self._cap:
            raise UnsafeInputError(
                self._source,
                f"decompresses to more than {self._cap:,} bytes; refused as a possible decompression bomb "
                f"({_raise_hint()})",
            )
        n = len(data)
        b[:n] = data
        return n

    def close(self) -> None:
        self._inner.close()
        super().close()


def open_gzip_capped(path: Path, cap: int | None = None) -> IO[bytes]:
    """Open a .gz file for streaming reads; more than ``cap`` decompressed bytes raise UnsafeInputError.

    A truncated gzip stream raises ``EOFError`` from the read; readers turn that into
    UnusableInputError naming the file.
    """
    limit = max_decompressed_bytes() if cap is None else cap
    inner: IO[bytes] = gzip.open(path, "rb")  # type: ignore[assignment]  # noqa: SIM115 (closed by the reader)
    return io.BufferedReader(_CappedReader(inner, limit, str(path)))


def check_zip_archive(path: Path) -> None:
    """Refuse an .xlsx whose members would decompress beyond the cap or at a bomb-like ratio
    (checked from the archive directory first, before anything is decompressed), then verify CRCs."""
    import zlib

    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            total = sum(i.file_size for i in infos)
            cap = max_decompressed_bytes()
            if total > cap:
                raise UnsafeInputError(
                    str(path), f"would decompress to {total:,} bytes (> {cap:,}); refused as a possible zip bomb")
            for info in infos:
                if (info.compress_size and info.file_size > 10 * 1024**2
                        and info.file_size / info.compress_size > MAX_ZIP_RATIO):
                    raise UnsafeInputError(
                        str(path),
                        f"member {info.filename!r} compresses {info.file_size / info.compress_size:.0f}:1; "
                        "refused as a possible zip bomb",
                    )
            bad = zf.testzip()
    except zipfile.BadZipFile as exc:
        raise UnusableInputError(str(path), f"is not a readable .xlsx (zip) file: {exc}") from None
    except (EOFError, OSError, zlib.error) as exc:
        raise UnusableInputError(str(path), f"is truncated or damaged: {exc}") from None
    if bad is not None:
        raise UnusableInputError(str(path), f"is damaged: archive member {bad!r} fails its CRC check")


def _is_xlsx(path: Path) -> bool:
    """An Office Open XML workbook (``[Content_Types].xml`` and an ``xl/`` part), not a plain ZIP."""
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        return True  # damaged: the .xlsx reader says how
    return "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names)


def archive_members(path: Path) -> list[zipfile.ZipInfo]:
    """The files of a ZIP archive that could be a log (folders and OS metadata left out)."""
    try:
        with zipfile.ZipFile(path) as zf:
            return [i for i in zf.infolist() if not i.is_dir() and not _ARCHIVE_NOISE.search(i.filename)]
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise UnusableInputError(str(path), f"is not a readable ZIP archive: {exc}") from None


@contextlib.contextmanager
def archive_member(path: Path, member: str | None) -> Iterator[tuple[Path, str]]:
    """The one log file of a ZIP archive (SAP and portals deliver them so), extracted to a temporary
    file with the decompressed size capped like gzip; yields (temporary path, member name).

    An archive with several files needs ``[source] member`` in the mapping; without it the error
    lists the members. Encrypted members and archives inside the archive are refused.
    """
    source = str(path)
    infos = archive_members(path)
    names = [i.filename for i in infos]
    listing = ", ".join(repr(n) for n in names[:20]) + (f" and {len(names) - 20} more" if len(names) > 20 else "")
    if member is not None:
        chosen = [i for i in infos if i.filename == member or i.filename.rsplit("/", 1)[-1] == member]
        if len(chosen) != 1:
            what = "no file" if not chosen else "several files"
            raise UnusableInputError(source, f"the archive holds {what} named {member!r}; it holds: {listing}")
        info = chosen[0]
    elif not infos:
        raise UnusableInputError(source, "is a ZIP archive without any file")
    elif len(infos) > 1:
        raise UnusableInputError(
            source, f"is a ZIP archive of {len(infos)} files: {listing}; name the log in the mapping: "
            f'[source] member = "{names[0]}"')
    else:
        info = infos[0]
    if info.flag_bits & 0x1:
        raise UnusableInputError(source, f"archive member {info.filename!r} is encrypted; extract it first")
    cap = max_decompressed_bytes()
    if info.file_size > cap:
        raise UnsafeInputError(source, f"archive member {info.filename!r} would decompress to {info.file_size:,} "
                               f"bytes (> {cap:,}); refused as a possible zip bomb ({_raise_hint()})")
    suffix = "".join(Path(info.filename).suffixes[-2:])[-20:]
    with tempfile.TemporaryDirectory(prefix="flowmine-zip-") as tmp:
        target = Path(tmp) / f"member{suffix}"
        try:
            with zipfile.ZipFile(path) as zf, zf.open(info) as src, target.open("wb") as out:
                # the directory's sizes can lie: the stream is capped as it is read
                shutil.copyfileobj(io.BufferedReader(_CappedReader(src, cap, source)), out, 1 << 20)
        except (zipfile.BadZipFile, EOFError, zlib.error, OSError) as exc:
            raise UnusableInputError(source, f"archive member {info.filename!r} is damaged: {exc}") from None
        if target.stat().st_size == 0:
            raise UnusableInputError(source, f"archive member {info.filename!r} is empty (0 bytes)")
        head = _head(target, 4)
        if head.startswith((b"PK\x03\x04", b"PK\x05\x06")) and not _is_xlsx(target):
            raise UnusableInputError(source, f"archive member {info.filename!r} is itself a ZIP archive; "
                                     "extract it first")
        yield target, info.filename
