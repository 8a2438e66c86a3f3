"""The bytes of an XES file as lxml reads them: the prolog checked before parsing (no DOCTYPE or entity
declaration, a declared encoding that reads ASCII as ASCII, ``<log>`` as the root), a damaged gzip stream
as one line, and lxml's syntax errors turned into one line naming the file, line and column."""

from __future__ import annotations

import codecs
import gzip
import re
import zlib
from typing import IO, Final

from lxml import etree

from flowmine.errors import UnsafeInputError, UnusableInputError

_MAX_PROLOG: Final = 1 << 20
_READ_SIZE: Final = 1 << 16
REFUSED: Final = "contains a DOCTYPE/entity declaration; refused (XML entities are never expanded)"
_ROOT = re.compile(rb"<([^\s/>]*)[\s/>]")
_ENCODING = re.compile(rb"""\bencoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_ASCII = b'<?xml version="1.0" encoding=\'x\'?><!DOCTYPE log [<!ENTITY a "b">]><log>-->'
_LINE_COL = re.compile(r",? line \d+, column \d+\s*$")
_BAD_BYTES = ("Invalid bytes in character encoding", "not proper UTF-8", "encoding error", "Char 0x")
_DAMAGED: Final = (EOFError, zlib.error, gzip.BadGzipFile)


class XesSource:
    """A byte stream read once: the XML prolog is scanned from ``buf``, then replayed to lxml."""

    def __init__(self, stream: IO[bytes], source: str, kind: str = "XES") -> None:
        self.stream, self.source, self.buf, self.encoding = stream, source, bytearray(), "UTF-8"
        self.kind = kind  # the format named in messages ("XES", "OCEL 2.0 XML"): both have <log> as the root

    def _read(self, size: int) -> bytes:
        try:
            return self.stream.read(size)
        except _DAMAGED as exc:
            what = f"is truncated or its compressed data is damaged ({exc})"
            raise UnusableInputError(self.source, what) from None

    def read(self, size: int = -1) -> bytes:  # called by lxml
        if self.buf:
            out, self.buf = bytes(self.buf), bytearray()
            return out
        return self._read(size if size > 0 else _READ_SIZE)

    def readinto(self, view: memoryview) -> int:
        """Read into ``view`` (the prolog's bytes first): what was read, 0 at the end of the stream."""
        if self.buf:
            k = min(len(self.buf), len(view))
            view[:k] = self.buf[:k]
            del self.buf[:k]
            return k
        try:
            return self.stream.readinto(view)  # type: ignore[attr-defined]
        except _DAMAGED as exc:
            what = f"is truncated or its compressed data is damaged ({exc})"
            raise UnusableInputError(self.source, what) from None

    def _more(self) -> bool:
        chunk = self._read(_READ_SIZE) if len(self.buf) <= _MAX_PROLOG else b""
        self.buf.extend(chunk)
        return bool(chunk)

    def _find(self, token: bytes, start: int) -> int:
        while (i := self.buf.find(token, start)) < 0:
            if not self._more():
                raise UnusableInputError(self.source, f"is not well-formed {self.kind}: unterminated XML prolog")
        return i

    def scan_prolog(self) -> None:
        """Check what precedes the root: refuse DOCTYPE/entities, note the encoding, require <log>."""
        source, buf = self.source, self.buf
        self._more()
        if buf[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in buf[:4]:
            raise UnusableInputError(source, "is UTF-16/UTF-32 encoded XML; save it as UTF-8")
        pos = 3 if buf.startswith(b"\xef\xbb\xbf") else 0
        while True:
            while True:
                while pos < len(buf) and buf[pos] in b" \t\r\n":
                    pos += 1
                if len(buf) - pos >= 9 or not self._more():
                    break
            rest = bytes(buf[pos : pos + 9])
            if rest.startswith(b"<?"):
                end = self._find(b"?>", pos)
                decl = rest.startswith(b"<?xml") and rest[5:6].isspace()
                m = _ENCODING.search(buf, pos, end) if decl else None
                if m:
                    self.encoding = _check_encoding(m.group(1).decode("ascii"), source)
                pos = end + 2
            elif rest.startswith(b"<!--"):
                pos = self._find(b"-->", pos + 4) + 3
            elif rest.startswith(b"<!"):
                raise UnsafeInputError(source, REFUSED)
            elif rest.startswith(b"<"):
                while (root := _ROOT.match(buf, pos)) is None:
                    if not self._more():
                        raise UnusableInputError(source, f"is not well-formed {self.kind}: unterminated root tag")
                name = root.group(1).decode("latin-1")
                if name.rsplit(":", 1)[-1] != "log":
                    raise UnusableInputError(source, f"is XML but not {self.kind}: root element is <{name[:80]}>")
                return
            else:
                what = "text before the root element (line 1)" if rest else "it holds no XML element"
                raise UnusableInputError(source, f"is not well-formed {self.kind}: {what}")


def _check_encoding(name: str, source: str) -> str:
    try:
        same = _ASCII.decode(codecs.lookup(name).name) == _ASCII.decode("ascii")
    except (LookupError, UnicodeDecodeError):
        raise UnusableInputError(source, f"declares the unknown encoding {name!r} in its header") from None
    if not same:  # the prolog scan reads bytes as ASCII: UTF-16, EBCDIC etc. would slip through it
        what = f"declares the encoding {name!r}, which flowmine does not read; save it as UTF-8"
        raise UnusableInputError(source, what)
    return name


def syntax_error(source: str, exc: etree.XMLSyntaxError, encoding: str, kind: str = "XES") -> UnusableInputError:
    msg, line, col = _LINE_COL.sub("", str(exc.msg or "")).strip(), exc.lineno, (exc.position or (0, 0))[1]
    errors = [e for e in exc.error_log if e.level >= etree.ErrorLevels.ERROR]
    if errors and (line == 0 or msg == "no element found"):  # lxml hides the cause behind a generic message
        msg, line, col = errors[0].message.strip(), errors[0].line, errors[0].column
    if any(s in msg for s in _BAD_BYTES):
        return UnusableInputError(
            source,
            f"is not valid {encoding} at line {line}, column {col}: {msg}; declare the encoding in the XML "
            'header, e.g. <?xml version="1.0" encoding="ISO-8859-1"?>',
        )
    if "Buffer size limit" in msg or "too long" in msg:
        limit = "holds a value beyond libxml2's 10 MB limit"
        return UnusableInputError(source, f"{limit} at line {line}; refused (XML limits stay on)")
    return UnusableInputError(source, f"is not well-formed {kind}: {msg} (line {line})")
