"""OCEL 2.0 in the standard's shapes: hand-written example logs (tests/data/ocel: JSON, XML as other tools
write it, SQLite as an SQL script) read by flowmine equal to pm4py's readers and to each other, flattened as
pm4py flattens; flowmine's XML writer read back by pm4py; flowmine's SQLite reader equal to pm4py's.

The example ``p2p`` holds what the standard allows and producers write: object attributes that change over
time (initial values at 1970-01-01T00:00:00Z, later changes), O2O relations with qualifiers, an event with
several objects of one type, objects without events (the suppliers), an event without attributes, times with
``Z``, ``+00:00``, other offsets and fractions, typed attributes (string, integer, float, boolean, time), and
names with ``&``, ``<``, quotes and non-ASCII letters.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pandas as pd
import pm4py
import pytest
from lxml import etree

import flowmine
from flowmine.errors import OptionError
from tests._ocel import canonical, write_json, write_sqlite

DATA = Path(__file__).parent / "data" / "ocel"
READERS = {"jsonocel": pm4py.read_ocel2_json, "xmlocel": pm4py.read_ocel2_xml, "sqlite": pm4py.read_ocel2_sqlite}
FRAMES = ("events", "objects", "relations", "o2o", "e2e", "object_changes")
SUPPLIERS = {"s1", "s2", "s3"}  # objects no event relates to


def _build_sqlite(script: Path, target: Path) -> Path:
    con = sqlite3.connect(target)
    con.executescript(script.read_text(encoding="utf-8"))
    con.commit()
    con.close()
    return target


@pytest.fixture()
def p2p(tmp_path: Path) -> dict[str, Path]:
    return {"jsonocel": DATA / "p2p.jsonocel", "xmlocel": DATA / "p2p.xmlocel",
            "sqlite": _build_sqlite(DATA / "p2p.sql", tmp_path / "p2p.sqlite")}


@pytest.fixture(scope="module")
def sap(tmp_path_factory: pytest.TempPathFactory) -> object:
    from flowmine.extract import extract

    root = Path(__file__).parent.parent
    return extract("sap-o2c", [root / "sample_logs" / "sap_o2c_export.zip"], timezone="Asia/Shanghai").ocel


def test_the_example_reads_the_same_in_its_three_forms(p2p: dict[str, Path]) -> None:
    facts = {ext: canonical(flowmine.read_ocel(p)) for ext, p in p2p.items()}
    assert facts["xmlocel"] == facts["jsonocel"]
    assert facts["sqlite"] == facts["jsonocel"]
    c = facts["jsonocel"]
    assert (len(c["events"]), len(c["objects"]), len(c["e2o"]), len(c["o2o"])) == (8, 10, 20, 7)
    # offsets arrive in UTC: 10:15 at +02:00, 07:00 at -05:00, 13:30 at +05:30, 09:00:00.500 at +08:00
    times = {e[0]: e[2] for e in c["events"]}
    assert times["e2"] == "2024-05-01T08:15:00+00:00" and times["e3"] == "2024-05-01T12:00:00+00:00"
    assert times["e7"] == "2024-05-06T08:00:00+00:00" and times["e4"] == "2024-05-03T01:00:00.500000+00:00"
    assert next(e for e in c["events"] if e[0] == "e2")[3] == ()  # an event without attributes
    # attributes changing over time: the initial value on the object, each change with its time
    assert c["changes"] == [("i2", "quantity", "2024-05-02T09:00:00+00:00", 4),
                            ("po1", "amount", "2024-05-01T10:30:00+00:00", 1350.75),
                            ("po1", "status", "2024-05-01T08:15:00+00:00", "approved"),
                            ("po1", "status", "2024-05-03T18:00:00.125000+00:00", "received")]
    po1 = dict(next(o for o in c["objects"] if o[0] == "po1")[2])
    assert po1 == {"supplier": "ACME GmbH", "amount": 1200.5, "priority": 2, "urgent": False,
                   "due": "2024-05-10T15:00:00+00:00", "status": "open"}
    assert ("e1", "i3", "adds") in c["e2o"] and ("e1", "i1", "adds") in c["e2o"]  # several items in one event
    assert ("po1", "s1", "supplied by") in c["o2o"] and ("e7", "inv1", 'checks "4 eyes"') in c["e2o"]
    assert {o[0] for o in c["objects"]} >= SUPPLIERS
    assert next(e for e in c["events"] if e[0] == "e7")[:2] == ("e7", 'Prüfen & <freigeben> "QA"')


@pytest.mark.parametrize("ext", ["jsonocel", "xmlocel"])
def test_flowmine_reads_json_and_xml_as_pm4py_does(p2p: dict[str, Path], ext: str) -> None:
    ours, theirs = flowmine.read_ocel(p2p[ext]), READERS[ext](str(p2p[ext]))
    for name in FRAMES:  # r4pm orders the attribute columns differently from one read to the next
        pd.testing.assert_frame_equal(getattr(ours, name), getattr(theirs, name), obj=name, check_like=True)


def _assert_frames_equal(ours: object, theirs: object) -> None:
    for name in FRAMES:
        pd.testing.assert_frame_equal(getattr(ours, name), getattr(theirs, name), obj=name)


def test_flowmine_reads_sqlite_as_pm4py_does_but_keeps_objects_without_events(p2p: dict[str, Path]) -> None:
    ours, theirs = flowmine.read_ocel(p2p["sqlite"]), pm4py.read_ocel2_sqlite(str(p2p["sqlite"]))
    # pm4py's SQLite reader drops the objects no event relates to, and their O2O relations (its JSON and XML
    # readers keep them); flowmine keeps them, so that the three forms agree
    assert set(ours.objects["ocel:oid"]) - set(theirs.objects["ocel:oid"]) == SUPPLIERS
    assert len(ours.o2o) - len(theirs.o2o) == 2
    kept = ours.objects[~ours.objects["ocel:oid"].isin(list(SUPPLIERS))]
    # pm4py leaves a time attribute (a TIMESTAMP column) as text; flowmine reads it as a UTC time
    assert str(kept["due"].dtype) == "datetime64[us, UTC]" and theirs.objects["due"].dtype != kept["due"].dtype
    assert pd.to_datetime(theirs.objects["due"], utc=True).equals(kept["due"])
    pd.testing.assert_frame_equal(kept.drop(columns=["due"]), theirs.objects.drop(columns=["due"]))
    pd.testing.assert_frame_equal(ours.o2o[~ours.o2o["ocel:oid_2"].isin(list(SUPPLIERS))], theirs.o2o)
    pd.testing.assert_frame_equal(ours.object_changes.drop(columns=["due"]),
                                  theirs.object_changes.drop(columns=["due"]))
    for name in ("events", "relations"):
        pd.testing.assert_frame_equal(getattr(ours, name), getattr(theirs, name), obj=name)


def _sqlite_files(tmp_path: Path, sap: object) -> list[Path]:
    """SQLite logs in which every object and event has a relation: the hand-written order-to-cash log, the
    same written by pm4py's writer and by flowmine's, and the SAP sample's extract written by flowmine."""
    hand = write_sqlite(tmp_path / "hand.sqlite")
    log = pm4py.read_ocel2_json(str(write_json(tmp_path / "hand.jsonocel")))
    pm4py.write_ocel2_sqlite(log, str(tmp_path / "pm4py.sqlite"))
    return [hand, tmp_path / "pm4py.sqlite", flowmine.write_ocel(log, tmp_path / "flowmine.sqlite"),
            flowmine.write_ocel(sap, tmp_path / "sap.sqlite")]  # type: ignore[arg-type]


def test_sqlite_frames_equal_pm4py_readers_on_several_files(tmp_path: Path, sap: object) -> None:
    for path in _sqlite_files(tmp_path, sap):
        ours, theirs = flowmine.read_ocel(path), pm4py.read_ocel2_sqlite(str(path))
        assert len(ours.events) > 0, path.name
        _assert_frames_equal(ours, theirs)


def test_sqlite_with_integer_ids_and_an_event_type_without_rows(tmp_path: Path) -> None:
    script = (DATA / "p2p.sql").read_text(encoding="utf-8")
    script = script.replace("ocel_id TEXT PRIMARY KEY, ocel_type", "ocel_id INTEGER PRIMARY KEY, ocel_type", 1)
    for i in range(1, 9):
        script = script.replace(f"'e{i}'", str(100 + i))
    script += "\nINSERT INTO event_map_type VALUES ('Cancel PO', 'CancelPO');\n"
    script += 'CREATE TABLE "event_CancelPO" (ocel_id TEXT PRIMARY KEY, ocel_time TIMESTAMP);\n'
    path = _build_sqlite_text(script, tmp_path / "int.sqlite")
    ours, theirs = flowmine.read_ocel(path), pm4py.read_ocel2_sqlite(str(path))
    assert sorted(ours.events["ocel:eid"]) == [str(100 + i) for i in range(1, 9)]
    for name in ("events", "relations"):
        pd.testing.assert_frame_equal(getattr(ours, name), getattr(theirs, name), obj=name)


def _build_sqlite_text(script: str, target: Path) -> Path:
    con = sqlite3.connect(target)
    con.executescript(script)
    con.commit()
    con.close()
    return target


def _flat_rows(frame: pd.DataFrame) -> list[tuple[str, str, str, str]]:
    times = pd.to_datetime(frame["time:timestamp"], utc=True)
    return sorted(zip(frame["case:concept:name"].astype(str), frame["concept:name"].astype(str),
                      times.map(lambda t: t.isoformat()), frame["ocel:eid"].astype(str), strict=True))


@pytest.mark.parametrize("object_type", ["purchase order", "item", "invoice"])
def test_flattening_equals_pm4py_in_every_form(p2p: dict[str, Path], object_type: str) -> None:
    expected = _flat_rows(pm4py.ocel_flattening(pm4py.read_ocel2_json(str(p2p["jsonocel"])), object_type))
    assert expected
    for ext, path in p2p.items():
        flat = flowmine.flatten(flowmine.read_ocel(path), object_type)
        assert _flat_rows(flat.events) == expected, ext
        if object_type == "item":  # e1 adds three items, e6 bills three: each copied into every item's case
            assert (flat.convergent_events, flat.extra_copies) == (3, 5), ext


def test_flattening_on_objects_without_events(p2p: dict[str, Path]) -> None:
    for ext, path in p2p.items():
        flat = flowmine.flatten(flowmine.read_ocel(path), "supplier")
        assert (flat.cases, flat.objects_without_events, len(flat.events)) == (0, 3, 0), ext


@pytest.mark.parametrize("timezone", [None, "Asia/Kolkata"])
def test_pm4py_reads_the_xml_flowmine_writes(p2p: dict[str, Path], tmp_path: Path, timezone: str | None) -> None:
    source = flowmine.read_ocel(p2p["jsonocel"])
    out = flowmine.write_ocel(source, tmp_path / "w.xmlocel", timezone=timezone)
    assert canonical(pm4py.read_ocel2_xml(str(out))) == canonical(source)
    root = etree.parse(str(out)).getroot()
    assert [c.tag for c in root] == ["object-types", "event-types", "objects", "events"]
    declared = {t.get("name"): {a.get("name"): a.get("type") for a in t.iter("attribute")}
                for t in root.find("object-types")}
    assert declared["purchase order"] == {"supplier": "string", "amount": "float", "priority": "integer",
                                          "urgent": "boolean", "due": "time", "status": "string"}
    e3 = next(e for e in root.find("events") if e.get("id") == "e3")
    assert e3.get("time") == ("2024-05-01T12:00:00.000000Z" if timezone is None else "2024-05-01T17:30:00.000000+05:30")


def test_round_trip_of_the_example_json_xml_sqlite_json(p2p: dict[str, Path], tmp_path: Path) -> None:
    start = flowmine.read_ocel(p2p["jsonocel"])
    log = start
    for name in ("rt.xmlocel", "rt.sqlite", "rt.jsonocel"):
        log = flowmine.read_ocel(flowmine.write_ocel(log, tmp_path / name))
        assert canonical(log) == canonical(start), name


def test_pm4py_reads_the_sap_sample_extract_written_as_xml(sap: object, tmp_path: Path) -> None:
    out = flowmine.write_ocel(sap, tmp_path / "sap.xmlocel", timezone="Asia/Shanghai")  # type: ignore[arg-type]
    back = canonical(pm4py.read_ocel2_xml(str(out)))
    assert back == canonical(sap) and len(back["events"]) > 5000 and len(back["o2o"]) > 1000


def _awkward() -> object:
    from pm4py.objects.ocel.obj import OCEL

    name = 'a<b>&"c\'\td'
    ev = pd.DataFrame({"ocel:eid": ["e&1", "e<2>"], "ocel:activity": ['审批 "PO" <script>', "Pay &amp; close"],
                       "ocel:timestamp": pd.to_datetime(["2024-01-01 08:00:00.123456", "2024-01-02 09:00:00.000000"]),
                       name: ["x < y & z", "line\nbreak\r\nand\ttab"], "blank": ["  two spaces ", "\tx"],
                       "n": pd.array([3, None], dtype="Int64"), "ok": [True, False], "f": [1e20, -0.5]})
    ob = pd.DataFrame({"ocel:oid": ['o"1', "o 2 "], "ocel:type": ["订单 & <co>", "t'"], name: ["]]>", "&#38;"]})
    rel = pd.DataFrame({"ocel:eid": ["e&1", "e<2>", "e<2>"], "ocel:oid": ['o"1', 'o"1', "o 2 "],
                        "ocel:qualifier": [" lead", "a\nb", "<&>"]})
    rel = rel.merge(ev[["ocel:eid", "ocel:activity", "ocel:timestamp"]]).merge(ob[["ocel:oid", "ocel:type"]])
    o2o = pd.DataFrame({"ocel:oid": ['o"1'], "ocel:oid_2": ["o 2 "], "ocel:qualifier": ['"q"\t&']})
    return OCEL(events=ev, objects=ob, relations=rel, o2o=o2o)


def test_xml_writer_escapes_awkward_names_and_values(tmp_path: Path) -> None:
    log = _awkward()
    out = flowmine.write_ocel(log, tmp_path / "w.xmlocel")  # type: ignore[arg-type]
    back = pm4py.read_ocel2_xml(str(out))
    assert canonical(back) == canonical(log)
    assert sorted(back.events["blank"]) == ["\tx", "  two spaces "]  # blanks at the ends kept
    assert canonical(flowmine.read_ocel(out)) == canonical(log)


@pytest.mark.parametrize(("where", "expected"), [
    ("value", "the event 'e1', field 'note', holds the character U+0001"),
    ("id", "the object 'o\\x0b1', field 'ocel:oid', holds the character U+000B"),
    ("qualifier", "the relationship of the event 'e1', field 'ocel:qualifier', holds the character U+001F"),
    ("name", "the event attribute name 'no\\x08te' holds the character U+0008"),
])
def test_xml_writer_refuses_characters_xml_cannot_hold(tmp_path: Path, where: str, expected: str) -> None:
    from pm4py.objects.ocel.obj import OCEL

    ev = pd.DataFrame({"ocel:eid": ["e1"], "ocel:activity": ["A"], "ocel:timestamp": pd.to_datetime(["2024-01-01"]),
                       "note": ["bell\x01" if where == "value" else "fine"]})
    if where == "name":
        ev = ev.rename(columns={"note": "no\x08te"})
    oid = "o\x0b1" if where == "id" else "o1"
    ob = pd.DataFrame({"ocel:oid": [oid], "ocel:type": ["T"]})
    rel = pd.DataFrame({"ocel:eid": ["e1"], "ocel:oid": [oid], "ocel:activity": ["A"],
                        "ocel:timestamp": ev["ocel:timestamp"], "ocel:type": ["T"],
                        "ocel:qualifier": ["q\x1f" if where == "qualifier" else "q"]})
    target = tmp_path / "w.xmlocel"
    target.write_text("the earlier file", encoding="utf-8")
    with pytest.raises(OptionError) as err:
        flowmine.write_ocel(OCEL(events=ev, objects=ob, relations=rel), target)
    message = str(err.value)
    assert message.startswith(f"{target}: ") and expected in message and "write the log as .jsonocel" in message
    assert "\n" not in message
    assert target.read_text(encoding="utf-8") == "the earlier file"  # all or nothing
    assert [p.name for p in tmp_path.iterdir()] == ["w.xmlocel"]


def test_sqlite_keeps_an_event_without_objects_as_the_json_reader_does(tmp_path: Path) -> None:
    script = (DATA / "p2p.sql").read_text(encoding="utf-8")
    script += "\nINSERT INTO event VALUES ('e9', 'Approve PO');\n"
    script += "INSERT INTO \"event_ApprovePO\" VALUES ('e9', '2024-05-07T00:00:00Z');\n"
    path = _build_sqlite_text(script, tmp_path / "lonely.sqlite")
    assert "e9" in set(flowmine.read_ocel(path).events["ocel:eid"])
    assert "e9" not in set(pm4py.read_ocel2_sqlite(str(path)).events["ocel:eid"])  # pm4py's SQLite reader drops it
    doc = (DATA / "p2p.jsonocel").read_text(encoding="utf-8").replace(
        '"events": [', '"events": [{"id": "e9", "type": "Approve PO", "time": "2024-05-07T00:00:00Z", '
        '"attributes": [], "relationships": []},', 1)
    (tmp_path / "lonely.jsonocel").write_text(doc, encoding="utf-8")
    assert canonical(flowmine.read_ocel(tmp_path / "lonely.jsonocel")) == canonical(flowmine.read_ocel(path))


def _conforms_xml(path: Path) -> list[str]:
    """What the OCEL 2.0 XML file breaks: the schema written from the specification (tests/data/ocel20-xml.xsd:
    structure, attribute types, xs:dateTime times, relationships to declared objects, types declared), then
    what XSD 1.0 cannot say: every attribute declared for its event or object type, its value of that kind."""
    schema = etree.XMLSchema(etree.parse(str(DATA.parent / "ocel20-xml.xsd")))
    doc = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True))
    problems = [f"line {e.line}: {e.message}" for e in schema.error_log] if not schema.validate(doc) else []
    root = doc.getroot()
    declared = {(side, t.get("name")): {a.get("name"): a.get("type") for a in t.iter("attribute")}
                for side in ("object", "event") for t in root.find(f"{side}-types")}
    kinds = {"integer": int, "float": float, "time": lambda v: pd.Timestamp(v).tz_convert("UTC"),
             "boolean": lambda v: {"true": True, "false": False}[v], "string": str}
    for side in ("object", "event"):
        for el in root.find(f"{side}s"):
            types = declared.get((side, el.get("type")), {})
            for a in el.find("attributes") if el.find("attributes") is not None else []:
                kind = types.get(a.get("name"))
                if kind is None:
                    problems.append(f"{side} {el.get('id')}: attribute {a.get('name')!r} not declared for its type")
                    continue
                try:
                    kinds[kind](a.text or "")
                except (ValueError, KeyError, TypeError):
                    problems.append(f"{side} {el.get('id')}: {a.get('name')}={a.text!r} is not a {kind}")
    return problems


def test_the_xml_flowmine_writes_conforms_to_the_standard_structure(p2p: dict[str, Path], tmp_path: Path,
                                                                    sap: object) -> None:
    assert _conforms_xml(p2p["xmlocel"]) == []  # the hand-written example
    log = flowmine.read_ocel(p2p["jsonocel"])
    for zone in (None, "America/St_Johns"):
        assert _conforms_xml(flowmine.write_ocel(log, tmp_path / "p2p.xmlocel", timezone=zone)) == [], zone
    assert _conforms_xml(flowmine.write_ocel(_awkward(), tmp_path / "awkward.xmlocel")) == []  # type: ignore[arg-type]
    assert _conforms_xml(flowmine.write_ocel(sap, tmp_path / "sap.xmlocel")) == []  # type: ignore[arg-type]
    text = (tmp_path / "p2p.xmlocel").read_text(encoding="utf-8")  # the check can fail
    broken = text.replace('object-id="s1"', 'object-id="ghost"').replace(">1200.5<", ">much<", 1)
    (tmp_path / "broken.xmlocel").write_text(broken.replace('time="1970-01-01T00:00:00Z"', 'time="yesterday"', 1),
                                             encoding="utf-8")
    problems = _conforms_xml(tmp_path / "broken.xmlocel")
    assert len(problems) == 3, problems
    assert [any(w in p for p in problems) for w in ("ghost", "'much' is not a float", "yesterday")] == [True] * 3
