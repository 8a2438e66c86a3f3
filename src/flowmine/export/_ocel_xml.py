"""OCEL 2.0 XML written in DuckDB: one ``<object>`` and one ``<event>`` element per row, built as text by the
engine and streamed to the file in batches.

pm4py's XML writer builds the whole tree in lxml from Python dicts (29 s of CPU for 187k events, 2.2 s
here: ``benchmarks/extract.py``); this one writes the same document (``<object-types>`` and
``<event-types>`` with each type's attributes declared as ``string``, ``integer``, ``float``, ``boolean`` or
``time``, then ``<objects>`` with their attribute values over time and their object-to-object
relationships, then ``<events>`` with their attributes and event-to-object relationships) from the frames
the JSON writer reads, with the same times (UTC with ``Z``, or local to a zone with their offset) and the
same declarations (:mod:`._ocel_json`).

Text is escaped for XML (``&``, ``<``, ``>``; in XML attributes also ``"`` and tab, newline and carriage
return as character references, so they survive attribute-value normalisation; a carriage return in element
text too, and every blank of a text that begins or ends with one, which pm4py's reader would trim).
Characters XML 1.0 cannot hold at all (control characters other than tab, newline and carriage
return, U+FFFE, U+FFFF) are refused: the write stops with one line naming the event or object and the field
that holds one, before anything is written, and the JSON and SQLite forms keep them. Replacing them would
change the log (two ids differing only there would become one object). An element is never written empty
(``<object .../>``): pm4py's Rust reader skips such objects.
"""

from __future__ import annotations

from typing import IO, TYPE_CHECKING

import duckdb
import pandas as pd

from flowmine.errors import OptionError
from flowmine.export._ocel_json import Layout, connect, iso, layout, lit, quote, stream

if TYPE_CHECKING:
    from pm4py.objects.ocel.obj import OCEL

_EPOCH = "1970-01-01T00:00:00Z"
#: Characters XML 1.0 cannot hold (RE2 syntax; tab, newline and carriage return are allowed).
_FORBIDDEN = r"[\x00-\x08\x0B\x0C\x0E-\x1F\x{FFFE}\x{FFFF}]"
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\t": "&#9;", "\n": "&#10;",
                          "\r": "&#13;"})  # fmt: skip
_WS = "(' ', chr(9), chr(10), chr(13))"
_MACROS = (
    "CREATE MACRO fm_esc(s) AS replace(replace(replace(replace(s::VARCHAR, '&', '&amp;'), '<', '&lt;'), "
    "'>', '&gt;'), chr(13), '&#13;')",
    "CREATE MACRO fm_attr(s) AS replace(replace(replace(fm_esc(s), '\"', '&quot;'), chr(9), '&#9;'), "
    "chr(10), '&#10;')",
    # element text with blanks at either end: every blank as a character reference (pm4py's reader trims text)
    f"CREATE MACRO fm_text(s) AS CASE WHEN left(s::VARCHAR, 1) IN {_WS} OR right(s::VARCHAR, 1) IN {_WS} "
    "THEN replace(replace(replace(fm_esc(s), ' ', '&#32;'), chr(9), '&#9;'), chr(10), '&#10;') ELSE fm_esc(s) END",
)


def _xml_attr(text: object) -> str:
    return str(text).translate(_ESCAPES)


def _forbidden(text: str) -> str | None:
    bad = [c for c in text if (ord(c) < 0x20 and c not in "\t\n\r") or c in "\ufffe\uffff"]
    return f"U+{ord(bad[0]):04X}" if bad else None


def _refuse(what: str, char: str) -> OptionError:
    return OptionError(f"{what} holds the character {char}, which XML 1.0 cannot hold: write the log as "
                       ".jsonocel or .sqlite, which keep it", parameter="ocel", function="write_ocel")


def _check_names(names: list[str], where: str) -> None:
    for name in names:
        char = _forbidden(str(name))
        if char:
            raise _refuse(f"the {where} attribute name {name!r}", char)


def _check_values(con: duckdb.DuckDBPyConnection, table: str, key: str, cols: list[str], what: str) -> None:
    """Refuse the first text value of ``cols`` holding a character XML 1.0 cannot hold."""
    for col in cols:
        rows = con.execute(f"SELECT {quote(key)}::VARCHAR, {quote(col)}::VARCHAR FROM {table} "
                           f"WHERE regexp_matches({quote(col)}::VARCHAR, '{_FORBIDDEN}') LIMIT 1").fetchall()
        if rows:
            raise _refuse(f"{what} {rows[0][0]!r}, field {col!r},", _forbidden(rows[0][1]) or "?")


def _value(col: str, kind: str, tz: str | None) -> str:
    """A column's value as XML element text (NULL when it has none)."""
    q = quote(col)
    if kind == "time":
        return iso(f"{q}::TIMESTAMPTZ", tz)
    if kind == "boolean":
        return f"CASE WHEN {q} THEN 'true' WHEN NOT {q} THEN 'false' END"
    if kind in ("integer", "float"):
        return f"{q}::VARCHAR"
    return f"fm_text({q})"


def _attribute(name: str, value: str, time: str | None = None) -> str:
    """SQL for one ``<attribute>`` element, NULL when ``value`` is (``concat`` then leaves it out)."""
    when = "" if time is None else f" time=\"' || {time} || '\""
    return f"'<attribute name=\"{lit(_xml_attr(name))[1:-1]}\"{when}>' || {value} || '</attribute>'"


def _types_xml(tag: str, types: dict[str, list[dict[str, str]]]) -> str:
    parts = [f"<{tag}s>\n"]
    for name, attrs in types.items():
        inner = "".join(f'<attribute name="{_xml_attr(a["name"])}" type="{a["type"]}"/>' for a in attrs)
        parts.append(f'<{tag} name="{_xml_attr(name)}"><attributes>{inner}</attributes></{tag}>\n')
    parts.append(f"</{tag}s>\n")
    return "".join(parts)


def write_ocel_xml(ocel: OCEL, fh: IO[bytes], timezone: str | None = None) -> None:
    """Write ``ocel`` to the binary file ``fh`` as OCEL 2.0 XML; times in UTC (``Z``), or local to
    ``timezone`` with their offset. Raises :class:`~flowmine.errors.OptionError` before writing anything
    when a name or value holds a character XML 1.0 cannot hold."""
    con = connect()
    try:
        for macro in _MACROS:
            con.execute(macro)
        lay = layout(con, ocel)
        _check(con, lay, ocel.objects.columns, ocel.object_changes.columns)
        fh.write(('<?xml version="1.0" encoding="UTF-8"?>\n<log>\n' + _types_xml("object-type", lay.ob_types) +
                  _types_xml("event-type", lay.ev_types) + "<objects>\n").encode("utf-8"))
        stream(con, _objects_sql(ocel.objects, lay.ob_attrs, ocel.object_changes, lay.fields, timezone), fh, "\n")
        fh.write(b"\n</objects>\n<events>\n")
        stream(con, _events_sql(lay.ev_attrs, timezone), fh, "\n")
        fh.write(b"\n</events>\n</log>\n")
    finally:
        con.close()


def _check(con: duckdb.DuckDBPyConnection, lay: Layout, ob_cols: pd.Index, ch_cols: pd.Index) -> None:
    """Refuse, before anything is written, a name or text value holding a character XML 1.0 cannot hold."""
    _check_names(list(lay.ev_attrs), "event")
    _check_names(list(lay.ob_attrs), "object")
    texts = [c for c, k in lay.ev_attrs.items() if k == "string"]
    _check_values(con, "ev", "ocel:eid", ["ocel:eid", "ocel:activity", *texts], "the event")
    texts = [c for c, k in lay.ob_attrs.items() if k == "string" and c in ob_cols]
    _check_values(con, "ob", "ocel:oid", ["ocel:oid", "ocel:type", *texts], "the object")
    _check_values(con, "rel", "ocel:eid", ["ocel:oid", "ocel:qualifier"], "the relationship of the event")
    _check_values(con, "o2o", "ocel:oid", ["ocel:oid_2", "ocel:qualifier"], "the relationship of the object")
    if lay.fields:
        texts = [f for f in lay.fields if f in ch_cols and lay.ob_attrs.get(f) == "string"]
        _check_values(con, "ch", "ocel:oid", ["ocel:field", *texts], "the change of the object")


def _concat(items: list[str]) -> str:
    return f"concat({', '.join(items)})" if items else "''"


def _relationships(table: str, key: str, target: str) -> str:
    return (f"SELECT {quote(key)} AS k, string_agg('<relationship object-id=\"' || fm_attr({quote(target)}) || "
            f"'\" qualifier=\"' || fm_attr(coalesce(\"ocel:qualifier\", '')) || '\"/>', '') AS rels "
            f"FROM {table} GROUP BY 1")


def _events_sql(attrs: dict[str, str], tz: str | None) -> str:
    items = [_attribute(a, _value(a, k, tz)) for a, k in attrs.items()]
    return f"""
        WITH r AS ({_relationships("rel", "ocel:eid", "ocel:oid")})
        SELECT '<event id="' || fm_attr(e."ocel:eid") || '" type="' || fm_attr(e."ocel:activity") ||
               '" time="' || {iso('e."ocel:timestamp"::TIMESTAMPTZ', tz)} || '"><attributes>' ||
               {_concat(items)} || '</attributes><objects>' || coalesce(r.rels, '') || '</objects></event>'
        FROM ev e LEFT JOIN r ON r.k = e."ocel:eid"
        ORDER BY e."ocel:timestamp", e."ocel:eid" """


def _objects_sql(objects: pd.DataFrame, attrs: dict[str, str], changes: pd.DataFrame, fields: list[str],
                 tz: str | None) -> str:
    initial = [_attribute(a, _value(a, k, tz), f"'{_EPOCH}'") for a, k in attrs.items() if a in objects.columns]
    later = ""
    if fields:
        cases = " ".join(f"WHEN {lit(f)} THEN {_attribute(f, _value(f, attrs[f], tz), 'fm_t')}"
                         for f in fields if f in changes.columns)
        later = f"""
            , c AS (SELECT "ocel:oid" AS k, string_agg(CASE "ocel:field" {cases} END, '' ORDER BY "ocel:timestamp")
                    AS attrs FROM (SELECT *, {iso('"ocel:timestamp"::TIMESTAMPTZ', tz)} AS fm_t FROM ch) GROUP BY 1)"""
    join = "LEFT JOIN c ON c.k = o.\"ocel:oid\"" if fields else ""
    changed = "coalesce(c.attrs, '')" if fields else "''"
    return f"""
        WITH r AS ({_relationships("o2o", "ocel:oid", "ocel:oid_2")}){later}
        SELECT '<object id="' || fm_attr(o."ocel:oid") || '" type="' || fm_attr(o."ocel:type") || '"><attributes>' ||
               {_concat(initial)} || {changed} || '</attributes>' ||
               coalesce('<objects>' || r.rels || '</objects>', '') || '</object>'
        FROM ob o LEFT JOIN r ON r.k = o."ocel:oid" {join}
        ORDER BY o."ocel:oid" """
