"""OCEL 2.0: the three standard forms read equal, round trips, flattening and its distortions counted,
ingest of one object type per process, and bad input refused with one line."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pm4py
import pytest

import flowmine
from flowmine.errors import OptionError, UnsafeInputError, UnusableInputError
from tests._ocel import canonical, write_json, write_sqlite, write_xml
from tests.conftest import run_cli

WRITERS = {"jsonocel": write_json, "xmlocel": write_xml, "sqlite": write_sqlite}


@pytest.fixture()
def forms(tmp_path: Path) -> dict[str, Path]:
    return {ext: w(tmp_path / f"o2c.{ext}") for ext, w in WRITERS.items()}


def test_three_forms_read_the_same_facts(forms: dict[str, Path]) -> None:
    facts = {ext: canonical(flowmine.read_ocel(p)) for ext, p in forms.items()}
    assert facts["xmlocel"] == facts["jsonocel"]
    assert facts["sqlite"] == facts["jsonocel"]
    c = facts["jsonocel"]
    assert len(c["events"]) == 8 and len(c["objects"]) == 7 and len(c["e2o"]) == 16 and len(c["o2o"]) == 5
    # times with offsets and fractions arrive in UTC: 08:00:00.250 at +08:00 is 00:00:00.250 UTC
    assert ("e3", "Create Delivery", "2024-03-05T00:00:00.250000+00:00", ()) in c["events"]
    # an attribute that changes over time: the initial value on the object, the change with its time
    assert c["changes"] == [("o1", "status", "2024-03-06T00:00:00+00:00", "delivered")]
    assert ("o1", "order", (("customer", "C1"), ("status", "open"))) in c["objects"]


def test_round_trip_json_xml_sqlite_json(forms: dict[str, Path], tmp_path: Path) -> None:
    start = flowmine.read_ocel(forms["jsonocel"])
    log = start
    for name in ("rt.xmlocel", "rt.sqlite", "rt.jsonocel"):
        out = flowmine.write_ocel(log, tmp_path / name)
        log = flowmine.read_ocel(out)
        assert canonical(log) == canonical(start), name


@pytest.mark.parametrize("ext", ["jsonocel", "xmlocel", "sqlite"])
def test_pm4py_reads_what_flowmine_writes(forms: dict[str, Path], tmp_path: Path, ext: str) -> None:
    out = flowmine.write_ocel(flowmine.read_ocel(forms["jsonocel"]), tmp_path / f"w.{ext}")
    reader = {"jsonocel": pm4py.read_ocel2_json, "xmlocel": pm4py.read_ocel2_xml, "sqlite": pm4py.read_ocel2_sqlite}
    assert canonical(reader[ext](str(out))) == canonical(pm4py.read_ocel2_json(str(forms["jsonocel"])))


def test_json_written_has_the_standard_keys(forms: dict[str, Path], tmp_path: Path) -> None:
    out = flowmine.write_ocel(flowmine.read_ocel(forms["sqlite"]), tmp_path / "w.jsonocel")
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert set(doc) >= {"objectTypes", "eventTypes", "objects", "events"}
    event = next(e for e in doc["events"] if e["id"] == "e6")
    assert event["type"] == "Create Invoice"
    assert {(r["objectId"], r["qualifier"]) for r in event["relationships"]} == {
        ("i1", "creates"), ("d1", "bills"), ("d2", "bills"), ("o1", "for")}
    order = next(o for o in doc["objects"] if o["id"] == "o1")
    assert {(a["name"], a["value"]) for a in order["attributes"]} >= {("status", "open"), ("status", "delivered")}


def test_write_refuses_an_unknown_extension_and_leaves_no_file(forms: dict[str, Path], tmp_path: Path) -> None:
    log = flowmine.read_ocel(forms["jsonocel"])
    with pytest.raises(OptionError, match=r"\.jsonocel, \.xmlocel or \.sqlite"):
        flowmine.write_ocel(log, tmp_path / "out.csv")
    existing = tmp_path / "keep.sqlite"
    flowmine.write_ocel(log, existing)
    flowmine.write_ocel(log, existing)  # over an existing database: replaced, not appended to
    assert len(flowmine.read_ocel(existing).events) == 8
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


@pytest.mark.parametrize(("object_type", "expected"), [
    ("order", {"cases": 2, "events_used": 7, "convergent_events": 0, "extra_copies": 0, "divergent_events": 2,
               "rows": 7}),
    ("delivery", {"cases": 3, "events_used": 5, "convergent_events": 1, "extra_copies": 1, "divergent_events": 0,
                  "rows": 6}),
    ("invoice", {"cases": 2, "events_used": 3, "convergent_events": 0, "extra_copies": 0, "divergent_events": 0,
                 "rows": 3}),
])
def test_flattening_counts_its_distortions(forms: dict[str, Path], object_type: str, expected: dict[str, int]) -> None:
    ocel = flowmine.read_ocel(forms["jsonocel"])
    flat = flowmine.flatten(ocel, object_type)
    got = {k: getattr(flat, k) for k in expected if k != "rows"} | {"rows": len(flat.events)}
    assert got == expected
    assert flat.events_total == 8 and flat.unknown_objects == 0
    # the rows are pm4py's flattening, unchanged
    ref = pm4py.ocel_flattening(ocel, object_type)
    key = ["case:concept:name", "ocel:eid"]
    assert sorted(map(tuple, flat.events[key].values.tolist())) == sorted(map(tuple, ref[key].values.tolist()))


def test_flatten_on_a_missing_type_lists_the_types(forms: dict[str, Path]) -> None:
    with pytest.raises(OptionError, match=r"no object of type 'item'; it has: delivery \(3\), order \(2\), "
                                          r"invoice \(2\)"):
        flowmine.flatten(flowmine.read_ocel(forms["jsonocel"]), "item")


def test_ingest_two_object_types_into_two_processes(forms: dict[str, Path], tmp_path: Path) -> None:
    store = tmp_path / "store"
    r = run_cli("ingest", str(forms["xmlocel"]), "--store", str(store), "--process", "orders",
                "--object-type", "order", "--json")
    assert r.returncode == 0, r.stderr
    rep = json.loads(r.stdout)
    assert (rep["rows_read"], rep["events_loaded"], rep["cases"]) == (7, 7, 2)
    flat = rep["sources"][0]["flattening"]
    assert (flat["object_type"], flat["divergent_events"], flat["events_total"]) == ("order", 2, 8)
    r = run_cli("ingest", str(forms["sqlite"]), "--store", str(store), "--process", "deliveries",
                "--object-type", "delivery")
    assert r.returncode == 0, r.stderr
    assert "convergence: 1 events relate to several delivery objects" in r.stdout
    st = flowmine.Store(store)
    orders = flowmine.load_log(st, "orders")
    deliveries = flowmine.load_log(st, "deliveries")
    assert sorted(orders["case:concept:name"].unique()) == ["o1", "o2"]
    assert len(deliveries) == 6 and deliveries["case:concept:name"].nunique() == 3
    # the stored events are pm4py's flattening: same cases, activities and times
    ref = pm4py.ocel_flattening(pm4py.read_ocel2_json(str(forms["jsonocel"])), "order")
    key = ["case:concept:name", "concept:name"]
    assert sorted(map(tuple, orders[key].values.tolist())) == sorted(map(tuple, ref[key].values.tolist()))
    first = orders.sort_values("time:timestamp").iloc[0]
    assert str(first["time:timestamp"]) == "2024-03-04 01:00:00+00:00" and first["case:customer"] == "C1"


def test_ingest_without_object_type_names_the_types(forms: dict[str, Path], tmp_path: Path) -> None:
    r = run_cli("ingest", str(forms["jsonocel"]), "--store", str(tmp_path / "s"), "--process", "o2c")
    assert r.returncode == 2
    assert "name the object type" in r.stderr and "order (2)" in r.stderr and "Traceback" not in r.stderr


def test_mapping_names_the_object_type(forms: dict[str, Path], tmp_path: Path) -> None:
    mapping = tmp_path / "m.toml"
    mapping.write_text('[source]\nobject_type = "invoice"\n', encoding="utf-8")
    result = flowmine.read_log(forms["jsonocel"], mapping)
    assert result.events.num_rows == 3 and result.flattening["object_type"] == "invoice"


def test_sqlite_source_is_never_modified(forms: dict[str, Path], tmp_path: Path) -> None:
    src = forms["sqlite"]
    before = hashlib.sha256(src.read_bytes()).hexdigest()
    names_before = sorted(p.name for p in src.parent.iterdir())
    flowmine.read_ocel(src)
    assert hashlib.sha256(src.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in src.parent.iterdir()) == names_before  # no -journal or -wal beside it


def test_zip_of_one_ocel_file(forms: dict[str, Path], tmp_path: Path) -> None:
    import zipfile

    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(forms["jsonocel"], "export/o2c.data")  # the name says nothing: the content decides
    assert canonical(flowmine.read_ocel(archive)) == canonical(flowmine.read_ocel(forms["jsonocel"]))


def test_xml_with_a_doctype_is_refused_before_parsing(tmp_path: Path) -> None:
    evil = tmp_path / "evil.xmlocel"
    evil.write_text('<?xml version="1.0"?><!DOCTYPE log [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                    "<log><object-types/><event-types/><objects/><events><event id='&x;'/></events></log>")
    with pytest.raises(UnsafeInputError, match="DOCTYPE/entity"):
        flowmine.read_ocel(evil)


@pytest.mark.parametrize(("content", "message"), [
    ('{"objectTypes": [], "eventTypes": [], "objects": [], "events": [', r"not valid JSON: .* line 1, column"),
    ('{"objectTypes": [], "eventTypes": [], "events": []}', r"the key 'objects' is missing"),
    ('{"objectTypes": [], "eventTypes": [], "objects": [], "events": []}', "without any event"),
    ('{"ocel:global-log": {}, "ocel:events": {}}', "OCEL 1.0 JSON log"),
    ('{"name": "not a log"}', "JSON document but not an OCEL 2.0 log"),
    ("<log><object-types><object-type name='a'></log>", r"not well-formed OCEL 2.0 XML: .*line 1"),
])
def test_bad_files_get_one_line(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.jsonocel"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(UnusableInputError, match=message) as info:
        flowmine.read_ocel(path)
    assert str(info.value).startswith(str(path)) and "\n" not in str(info.value)


def test_sqlite_without_the_ocel_tables(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "other.sqlite"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE customers (id TEXT)")
    con.commit()
    con.close()
    with pytest.raises(UnusableInputError, match=r"not an OCEL 2.0 log: the table\(s\) event, object"):
        flowmine.read_ocel(path)


def test_event_naming_an_undeclared_object_is_counted(tmp_path: Path) -> None:
    path = write_json(tmp_path / "o2c.jsonocel")
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["events"][0]["relationships"].append({"objectId": "ghost", "qualifier": "for"})
    path.write_text(json.dumps(doc), encoding="utf-8")
    flat = flowmine.flatten(flowmine.read_ocel(path), "order")
    assert flat.unknown_objects == 1
    assert any("name an object the log does not declare" in n for n in flat.notes())


def test_json_writer_types_nulls_and_awkward_text(tmp_path: Path) -> None:
    import pandas as pd
    from pm4py.objects.ocel.obj import OCEL

    ev = pd.DataFrame({"ocel:eid": ["e1", "e2"], "ocel:activity": ['审批 "PO" <script>', "Pay"],
                       "ocel:timestamp": pd.to_datetime(["2024-01-01 08:00:00.123456", "2024-01-02 09:00:00.000000"]),
                       "n": pd.array([3, None], dtype="Int64"), "ok": [True, False], "x": [1.5, float("nan")]})
    ob = pd.DataFrame({"ocel:oid": ["o'1"], "ocel:type": ["订单"], "due": pd.to_datetime(["2024-02-01"])})
    rel = pd.DataFrame({"ocel:eid": ["e1", "e2"], "ocel:oid": ["o'1", "o'1"], "ocel:qualifier": ["a", "b"]})
    rel = rel.merge(ev[["ocel:eid", "ocel:activity", "ocel:timestamp"]]).merge(ob[["ocel:oid", "ocel:type"]])
    out = flowmine.write_ocel(OCEL(events=ev, objects=ob, relations=rel), tmp_path / "w.jsonocel")
    doc = json.loads(out.read_text(encoding="utf-8"))
    types = {t["name"]: {a["name"]: a["type"] for a in t["attributes"]} for t in doc["eventTypes"]}
    assert types == {'审批 "PO" <script>': {"n": "integer", "ok": "boolean", "x": "float"},
                     "Pay": {"ok": "boolean"}}  # an attribute no event of the type carries is not declared
    pay = next(e for e in doc["events"] if e["id"] == "e2")
    assert pay["attributes"] == [{"name": "ok", "value": False}]  # the missing n and NaN x are left out
    assert doc["events"][0]["time"] == "2024-01-01T08:00:00.123456Z"
    assert doc["objects"][0]["attributes"] == [{"name": "due", "time": "1970-01-01T00:00:00Z",
                                                "value": "2024-02-01T00:00:00.000000Z"}]
    back = pm4py.read_ocel2_json(str(out))
    assert sorted(back.events["ocel:activity"]) == ["Pay", '审批 "PO" <script>']


def test_cardinalities_between_object_types(forms: dict[str, Path]) -> None:
    flat = flowmine.flatten(flowmine.read_ocel(forms["jsonocel"]), "order")
    got = {(c["from"], c["to"]): (c["objects"], c["mean"], c["max"], c["more_than_one"]) for c in flat.cardinalities}
    # o1 has the deliveries d1 and d2, o2 has d3; the invoice i1 bills d1 and d2
    assert got[("order", "delivery")] == (2, 1.5, 2, 1)
    assert got[("delivery", "order")] == (3, 1.0, 1, 0)
    assert got[("invoice", "delivery")] == (2, 1.5, 2, 1)
    assert got[("order", "invoice")] == (2, 1.0, 1, 0)


def _find(component: object, cid: str) -> object:
    if getattr(component, "id", None) == cid:
        return component
    kids = getattr(component, "children", None)
    for kid in kids if isinstance(kids, list) else [kids] if kids is not None else []:
        found = _find(kid, cid)
        if found is not None:
            return found
    return None


def _strings(component: object) -> list[str]:
    if isinstance(component, str):
        return [component]
    kids = getattr(component, "children", None)
    return [s for kid in (kids if isinstance(kids, list) else [kids]) for s in _strings(kid)] if kids else []


def test_data_page_shows_the_object_centric_log_and_its_case_notions(forms: dict[str, Path], tmp_path: Path) -> None:
    from flowmine.dashboard._state import Filters
    from flowmine.dashboard.pages import data

    st = flowmine.Store(tmp_path / "store")
    st.ingest("o2c", [forms["jsonocel"]], mapping=flowmine.Mapping(object_type="order"))
    st.ingest("o2c_delivery", [forms["jsonocel"]], mapping=flowmine.Mapping(object_type="delivery"))
    other = write_json(tmp_path / "other.jsonocel")
    other.write_text(other.read_text(encoding="utf-8").replace('"C2"', '"C3"'), encoding="utf-8")
    st.ingest("plain", [other], mapping=flowmine.Mapping(object_type="invoice"))
    for lang in ("en", "zh"):
        page = data.layout(st, Filters(process="o2c", lang=lang))
        section = _find(page, "data-ocel")
        assert section is not None
        summary = " ".join(_strings(_find(section, "data-ocel-summary")))
        assert "2" in summary and "7" in summary and "8" in summary  # 2 cases, 7 of 8 events
        notions = _find(section, "data-ocel-notions")
        links = [c for c in notions.children if hasattr(c, "href")]  # type: ignore[attr-defined]
        # the same file flattened on the delivery, one click away; the other file (another sha256) is not
        assert [(c.children, c.href) for c in links] == [("delivery (o2c_delivery)",
                                                          f"/data?process=o2c_delivery&lang={lang}")]
        cards = _find(section, "data-ocel-cards")
        grid = cards.children[1]  # type: ignore[attr-defined]
        row = next(r for r in grid.rowData if (r["from"], r["to"]) == ("order", "delivery"))
        assert (row["objects"], row["mean"], row["max"], row["several"]) == (2, 1.5, 2, 1)
    assert _find(data.layout(st, Filters(process="plain")), "data-ocel") is not None
    assert _find(data.layout(st, Filters(process="plain")), "data-ocel-notions") is None  # no other notion
    from flowmine.dashboard.pages import processmap

    line = _find(processmap.layout(st, Filters(process="o2c_delivery")), "map-notions")
    assert [(c.children, c.href) for c in line.children if hasattr(c, "href")] == [  # type: ignore[attr-defined]
        ("order (o2c)", "/map?process=o2c&lang=en")]


def _conforms(doc: dict) -> list[str]:
    """What the OCEL 2.0 JSON ``doc`` breaks: the schema written from the specification
    (tests/data/ocel20-json.schema.json), then the rules a schema cannot say: types declared before use,
    attributes declared by their type and of the declared kind, relationships to objects that exist."""
    import jsonschema

    schema = json.loads((Path(__file__).parent / "data" / "ocel20-json.schema.json").read_text(encoding="utf-8"))
    problems = [e.message for e in jsonschema.Draft202012Validator(schema).iter_errors(doc)]
    kinds = {"string": str, "float": (int, float), "integer": int, "boolean": bool, "time": str}
    declared = {("event", t["name"]): {a["name"]: a["type"] for a in t["attributes"]} for t in doc["eventTypes"]}
    declared |= {("object", t["name"]): {a["name"]: a["type"] for a in t["attributes"]} for t in doc["objectTypes"]}
    ids = {o["id"] for o in doc["objects"]}
    for side, items in (("object", doc["objects"]), ("event", doc["events"])):
        for item in items:
            attrs = declared.get((side, item["type"]))
            if attrs is None:
                problems.append(f"{side} {item['id']}: type {item['type']!r} is not declared")
                continue
            for a in item.get("attributes", []):
                kind = attrs.get(a["name"])
                if kind is None or not isinstance(a["value"], kinds[kind]) or (
                        kind != "boolean" and isinstance(a["value"], bool)):
                    problems.append(f"{side} {item['id']}: attribute {a['name']!r} = {a['value']!r} is not a "
                                    f"declared {kind}")
            problems += [f"{side} {item['id']}: relationship to unknown object {r['objectId']!r}"
                         for r in item.get("relationships", []) if r["objectId"] not in ids]
    return problems


def test_written_json_conforms_to_the_standard_structure(forms: dict[str, Path], tmp_path: Path) -> None:
    from flowmine.extract import extract
    from flowmine.simulate._erp import sap_o2c, sap_pp

    out = flowmine.write_ocel(flowmine.read_ocel(forms["xmlocel"]), tmp_path / "a.jsonocel")
    assert _conforms(json.loads(out.read_text(encoding="utf-8"))) == []
    for name, export, profile in (("o2c", sap_o2c(40, seed=2), "sap-o2c"), ("pp", sap_pp(10, seed=2), "sap-pp")):
        paths = []
        for table, frame in export.tables.items():
            paths.append(tmp_path / f"{name}-{table}.csv")
            frame.to_csv(paths[-1], index=False)
        out = flowmine.write_ocel(extract(profile, paths, timezone="Asia/Shanghai").ocel, tmp_path / f"{name}.json")
        assert _conforms(json.loads(out.read_text(encoding="utf-8"))) == []
    broken = json.loads(out.read_text(encoding="utf-8"))
    broken["events"][0]["relationships"].append({"objectId": "nobody", "qualifier": "x"})
    broken["events"][1]["time"] = "2024-01-01 10:00"
    assert len(_conforms(broken)) == 2  # the check can fail


def test_json_times_local_to_the_exports_zone_with_their_offset(forms: dict[str, Path], tmp_path: Path) -> None:
    log = flowmine.read_ocel(forms["jsonocel"])
    out = flowmine.write_ocel(log, tmp_path / "local.jsonocel", timezone="Asia/Shanghai")
    doc = json.loads(out.read_text(encoding="utf-8"))
    e3 = next(e for e in doc["events"] if e["id"] == "e3")
    assert e3["time"] == "2024-03-05T08:00:00.250000+08:00"  # as the source wrote it
    ny = flowmine.write_ocel(log, tmp_path / "ny.jsonocel", timezone="America/New_York")
    assert next(e for e in json.loads(ny.read_text(encoding="utf-8"))["events"] if e["id"] == "e3")["time"] == \
        "2024-03-04T19:00:00.250000-05:00"
    assert canonical(flowmine.read_ocel(out)) == canonical(log) == canonical(flowmine.read_ocel(ny))
    assert _conforms(doc) == []
    # zones half an hour off the hour, either side of UTC (the offset once came out as +06:30 for +05:30)
    for zone, expected in (("Asia/Kolkata", "2024-03-05T05:30:00.250000+05:30"),
                           ("America/St_Johns", "2024-03-04T20:30:00.250000-03:30")):
        half = flowmine.write_ocel(log, tmp_path / "half.jsonocel", timezone=zone)
        doc = json.loads(half.read_text(encoding="utf-8"))
        assert next(e for e in doc["events"] if e["id"] == "e3")["time"] == expected, zone
        assert canonical(flowmine.read_ocel(half)) == canonical(log), zone
