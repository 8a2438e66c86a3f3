"""A small order-to-cash OCEL 2.0 log written by hand in the standard's three forms, and a canonical
form of pm4py's ``OCEL`` that two logs can be compared in.

The writers here follow the OCEL 2.0 specification directly (not pm4py's writers), so the reader
tests read files in the shape another producer writes: JSON with offsets and fractions in its
times, XML with typed attribute declarations, SQLite with one table per event and object type and
the ``*_map_type`` tables.

The log: two orders; order o1 is delivered in two deliveries (d1, d2) and billed by one invoice (i1)
covering both; order o2 has one delivery (d3) and one invoice (i2); i1 is cleared. Flattened on
``order``: 7 of 8 events, no convergence, 2 divergent rows (o1's two "Create Delivery" for d1 and d2).
On ``delivery``: 5 events, "Create Invoice" of i1 copied into d1 and d2 (1 convergent event, 1 extra
row). On ``invoice``: 3 events.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape as xml_escape
from xml.sax.saxutils import quoteattr

import pandas as pd

OBJECT_TYPES = {"order": {"customer": "string", "status": "string"}, "delivery": {}, "invoice": {}}
EVENT_TYPES = {"Create Order": {"amount": "float"}, "Create Delivery": {}, "Create Invoice": {"amount": "float"},
               "Clear Invoice": {}}
OBJECTS: list[dict[str, Any]] = [
    {"id": "o1", "type": "order", "attributes": [
        {"name": "customer", "time": "1970-01-01T00:00:00Z", "value": "C1"},
        {"name": "status", "time": "1970-01-01T00:00:00Z", "value": "open"},
        {"name": "status", "time": "2024-03-06T08:00:00+08:00", "value": "delivered"}]},
    {"id": "o2", "type": "order", "attributes": [
        {"name": "customer", "time": "1970-01-01T00:00:00Z", "value": "C2"},
        {"name": "status", "time": "1970-01-01T00:00:00Z", "value": "open"}]},
    {"id": "d1", "type": "delivery", "relationships": [{"objectId": "o1", "qualifier": "fulfils"}]},
    {"id": "d2", "type": "delivery", "relationships": [{"objectId": "o1", "qualifier": "fulfils"}]},
    {"id": "d3", "type": "delivery", "relationships": [{"objectId": "o2", "qualifier": "fulfils"}]},
    {"id": "i1", "type": "invoice", "relationships": [{"objectId": "o1", "qualifier": "bills"}]},
    {"id": "i2", "type": "invoice", "relationships": [{"objectId": "o2", "qualifier": "bills"}]},
]


def _rel(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    return [{"objectId": o, "qualifier": q} for o, q in pairs]


EVENTS: list[dict[str, Any]] = [
    {"id": "e1", "type": "Create Order", "time": "2024-03-04T09:00:00+08:00",
     "attributes": [{"name": "amount", "value": 1200.0}], "relationships": _rel(("o1", "creates"))},
    {"id": "e2", "type": "Create Order", "time": "2024-03-04T10:30:00Z",
     "attributes": [{"name": "amount", "value": 300.0}], "relationships": _rel(("o2", "creates"))},
    {"id": "e3", "type": "Create Delivery", "time": "2024-03-05T08:00:00.250+08:00",
     "relationships": _rel(("d1", "creates"), ("o1", "for"))},
    {"id": "e4", "type": "Create Delivery", "time": "2024-03-06T08:00:00+08:00",
     "relationships": _rel(("d2", "creates"), ("o1", "for"))},
    {"id": "e5", "type": "Create Delivery", "time": "2024-03-06T09:00:00Z",
     "relationships": _rel(("d3", "creates"), ("o2", "for"))},
    {"id": "e6", "type": "Create Invoice", "time": "2024-03-07T10:00:00+08:00",
     "attributes": [{"name": "amount", "value": 1200.0}],
     "relationships": _rel(("i1", "creates"), ("d1", "bills"), ("d2", "bills"), ("o1", "for"))},
    {"id": "e7", "type": "Create Invoice", "time": "2024-03-08T10:00:00Z",
     "attributes": [{"name": "amount", "value": 300.0}],
     "relationships": _rel(("i2", "creates"), ("d3", "bills"), ("o2", "for"))},
    {"id": "e8", "type": "Clear Invoice", "time": "2024-03-20T00:00:00Z", "relationships": _rel(("i1", "clears"))},
]


def _types(decl: dict[str, dict[str, str]]) -> list[dict[str, Any]]:
    return [{"name": n, "attributes": [{"name": a, "type": t} for a, t in attrs.items()]} for n, attrs in decl.items()]


def write_json(path: Path) -> Path:
    doc = {"objectTypes": _types(OBJECT_TYPES), "eventTypes": _types(EVENT_TYPES), "objects": OBJECTS,
           "events": EVENTS}
    path.write_text(json.dumps(doc, indent=1), encoding="utf-8")
    return path


def _xml_types(tag: str, decl: dict[str, dict[str, str]]) -> str:
    out = []
    for name, attrs in decl.items():
        inner = "".join(f"<attribute name={quoteattr(a)} type={quoteattr(t)}/>" for a, t in attrs.items())
        out.append(f"<{tag} name={quoteattr(name)}><attributes>{inner}</attributes></{tag}>")
    return "".join(out)


def _xml_rels(rels: list[dict[str, str]]) -> str:
    inner = "".join(f"<relationship object-id={quoteattr(r['objectId'])} qualifier={quoteattr(r['qualifier'])}/>"
                    for r in rels)
    return f"<objects>{inner}</objects>" if rels else ""


def write_xml(path: Path) -> Path:
    objects = []
    for o in OBJECTS:
        attrs = "".join(f"<attribute name={quoteattr(a['name'])} time={quoteattr(a['time'])}>"
                        f"{xml_escape(str(a['value']))}</attribute>" for a in o.get("attributes", []))
        objects.append(f"<object id={quoteattr(o['id'])} type={quoteattr(o['type'])}><attributes>{attrs}"
                       f"</attributes>{_xml_rels(o.get('relationships', []))}</object>")
    events = []
    for e in EVENTS:
        attrs = "".join(f"<attribute name={quoteattr(a['name'])}>{a['value']}</attribute>"
                        for a in e.get("attributes", []))
        events.append(f"<event id={quoteattr(e['id'])} type={quoteattr(e['type'])} time={quoteattr(e['time'])}>"
                      f"<attributes>{attrs}</attributes>{_xml_rels(e['relationships'])}</event>")
    text = ('<?xml version="1.0" encoding="UTF-8"?>\n<log>'
            f"<object-types>{_xml_types('object-type', OBJECT_TYPES)}</object-types>"
            f"<event-types>{_xml_types('event-type', EVENT_TYPES)}</event-types>"
            f"<objects>{''.join(objects)}</objects><events>{''.join(events)}</events></log>\n")
    path.write_text(text, encoding="utf-8")
    return path


def _table_name(name: str) -> str:
    return "".join(part.capitalize() for part in name.split())


def write_sqlite(path: Path) -> Path:
    con = sqlite3.connect(path)
    with con:
        con.execute("CREATE TABLE event (ocel_id TEXT PRIMARY KEY, ocel_type TEXT)")
        con.execute("CREATE TABLE object (ocel_id TEXT PRIMARY KEY, ocel_type TEXT)")
        con.execute("CREATE TABLE event_object (ocel_event_id TEXT, ocel_object_id TEXT, ocel_qualifier TEXT)")
        con.execute("CREATE TABLE object_object (ocel_source_id TEXT, ocel_target_id TEXT, ocel_qualifier TEXT)")
        con.execute("CREATE TABLE event_map_type (ocel_type TEXT, ocel_type_map TEXT)")
        con.execute("CREATE TABLE object_map_type (ocel_type TEXT, ocel_type_map TEXT)")
        for name, attrs in EVENT_TYPES.items():
            t = _table_name(name)
            con.execute("INSERT INTO event_map_type VALUES (?, ?)", (name, t))
            cols = "".join(f', "{a}" REAL' for a in attrs)
            con.execute(f'CREATE TABLE "event_{t}" (ocel_id TEXT, ocel_time TEXT{cols})')
        for name, attrs in OBJECT_TYPES.items():
            t = _table_name(name)
            con.execute("INSERT INTO object_map_type VALUES (?, ?)", (name, t))
            cols = "".join(f', "{a}" TEXT' for a in attrs)
            con.execute(f'CREATE TABLE "object_{t}" (ocel_id TEXT, ocel_time TEXT, ocel_changed_field TEXT{cols})')
        for e in EVENTS:
            t = _table_name(e["type"])
            con.execute("INSERT INTO event VALUES (?, ?)", (e["id"], e["type"]))
            names = [a["name"] for a in e.get("attributes", [])]
            values = [a["value"] for a in e.get("attributes", [])]
            cols = "".join(f', "{n}"' for n in names)
            marks = ", ?" * len(values)
            time = pd.Timestamp(e["time"]).tz_convert("UTC").strftime("%Y-%m-%d %H:%M:%S.%f")
            con.execute(f'INSERT INTO "event_{t}" (ocel_id, ocel_time{cols}) VALUES (?, ?{marks})',
                        [e["id"], time, *values])
            for r in e["relationships"]:
                con.execute("INSERT INTO event_object VALUES (?, ?, ?)", (e["id"], r["objectId"], r["qualifier"]))
        for o in OBJECTS:
            t = _table_name(o["type"])
            con.execute("INSERT INTO object VALUES (?, ?)", (o["id"], o["type"]))
            initial = {a["name"]: a["value"] for a in o.get("attributes", []) if a["time"].startswith("1970")}
            cols = "".join(f', "{n}"' for n in initial)
            marks = ", ?" * len(initial)
            con.execute(f'INSERT INTO "object_{t}" (ocel_id, ocel_time, ocel_changed_field{cols}) '
                        f"VALUES (?, '1970-01-01 00:00:00', NULL{marks})", [o["id"], *initial.values()])
            for a in o.get("attributes", []):
                if not a["time"].startswith("1970"):
                    time = pd.Timestamp(a["time"]).tz_convert("UTC").strftime("%Y-%m-%d %H:%M:%S")
                    con.execute(f'INSERT INTO "object_{t}" (ocel_id, ocel_time, ocel_changed_field, "{a["name"]}") '
                                "VALUES (?, ?, ?, ?)", (o["id"], time, a["name"], a["value"]))
            for r in o.get("relationships", []):
                con.execute("INSERT INTO object_object VALUES (?, ?, ?)", (o["id"], r["objectId"], r["qualifier"]))
    con.close()
    return path


def _utc(s: pd.Series) -> pd.Series:
    out = pd.to_datetime(s, utc=True, format="mixed")
    return out.dt.tz_convert("UTC").dt.round("ms")


def _cell(v: Any) -> Any:
    """A value as the forms can agree on it: nulls as None, times as UTC ISO text (the JSON and XML readers
    give naive UTC times, the SQLite reader aware ones)."""
    if v is None or v is pd.NaT or (isinstance(v, float) and pd.isna(v)) or v is pd.NA:
        return None
    if isinstance(v, pd.Timestamp):
        return (v.tz_localize("UTC") if v.tzinfo is None else v.tz_convert("UTC")).isoformat()
    return v


def canonical(ocel: Any) -> dict[str, list[tuple[Any, ...]]]:
    """Every fact of pm4py's ``OCEL`` as sorted tuples: events with their attributes, objects with their
    initial attributes, attribute changes, E2O and O2O relations (times in UTC, to the millisecond)."""
    ev = ocel.events.copy()
    ev["ocel:timestamp"] = _utc(ev["ocel:timestamp"])
    attrs = [c for c in ev.columns if not c.startswith("ocel:")]
    events = sorted((r["ocel:eid"], r["ocel:activity"], r["ocel:timestamp"].isoformat(),
                     tuple(sorted((a, _cell(r[a])) for a in attrs if _cell(r[a]) is not None)))
                    for r in ev.to_dict("records"))
    ob = ocel.objects
    oattrs = [c for c in ob.columns if not c.startswith("ocel:")]
    objects = sorted((r["ocel:oid"], r["ocel:type"],
                      tuple(sorted((a, _cell(r[a])) for a in oattrs if _cell(r[a]) is not None)))
                     for r in ob.to_dict("records"))
    ch = ocel.object_changes
    changes: list[tuple[Any, ...]] = []
    if len(ch):
        times = _utc(ch["ocel:timestamp"])
        for (_, r), t in zip(ch.iterrows(), times, strict=True):
            changes.append((r["ocel:oid"], r["ocel:field"], t.isoformat(), _cell(r[r["ocel:field"]])))
    rel = sorted(map(tuple, ocel.relations[["ocel:eid", "ocel:oid", "ocel:qualifier"]].astype(str).values.tolist()))
    o2o = sorted(map(tuple, ocel.o2o[["ocel:oid", "ocel:oid_2", "ocel:qualifier"]].astype(str).values.tolist()))
    return {"events": events, "objects": objects, "changes": sorted(changes), "e2o": rel, "o2o": o2o}
