"""Telling an object-centric log (OCEL 2.0 JSON, XML, SQLite) by its first bytes, and naming JSON or
SQLite content that is not one (the sniffer in :mod:`flowmine.ingest._source` asks here first)."""

from __future__ import annotations

from typing import Final

from flowmine.errors import UnusableInputError

#: The content-told formats of an object-centric log (see :func:`flowmine.ingest._source.sniff_format`).
OCEL_FORMATS: Final = ("ocel-json", "ocel-xml", "ocel-sqlite")
_SQLITE_MAGIC: Final = b"SQLite format 3\x00"
_JSON_KEYS: Final = (b'"objectTypes"', b'"eventTypes"', b'"objects"', b'"events"')
_XML_TAGS: Final = (b"<object-types", b"<event-types", b"<objects", b"<events")


def sniff_ocel(head: bytes) -> str | None:
    """``"ocel-json"``, ``"ocel-xml"`` or ``"ocel-sqlite"`` when the first bytes are an OCEL 2.0 log, else ``None``."""
    if head.startswith(_SQLITE_MAGIC):
        return "ocel-sqlite"
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if text.startswith(b"{") and any(k in text for k in _JSON_KEYS):
        return "ocel-json"
    if text.startswith(b"<") and any(t in text for t in _XML_TAGS):
        return "ocel-xml"
    return None


def refuse_other(head: bytes, source: str) -> None:
    """Refuse JSON, SQLite and OCEL 1.0 content that is not an OCEL 2.0 log, with what it is instead."""
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if b'"ocel:global-log"' in text or b'"ocel:events"' in text:
        raise UnusableInputError(source, "is an OCEL 1.0 JSON log; flowmine reads OCEL 2.0 (pm4py converts it: "
                                 "pm4py.write_ocel2_json(pm4py.read_ocel(path), 'log.jsonocel'))")
    if head.startswith(_SQLITE_MAGIC):
        raise UnusableInputError(source, "is an SQLite database but not an OCEL 2.0 log")
    if text.startswith((b"{", b"[")):
        raise UnusableInputError(source, "is a JSON document but not an OCEL 2.0 log (it has no objectTypes, "
                                 "eventTypes, objects or events)")
