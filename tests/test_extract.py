"""flowmine extract sap-o2c: the simulator's ground truth recovered exactly from SAP-shaped tables, every
row accounted for, the shapes exports arrive in (ZIP members named anything, zeros stripped by Excel,
Parquet), dirty rows counted by reason, and the flattened order log."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import pandas as pd
import pm4py
import pytest

import flowmine
from flowmine.errors import UnusableInputError
from flowmine.extract import extract
from flowmine.simulate._erp import sap_o2c
from tests.conftest import run_cli

TZ = "Asia/Shanghai"


@pytest.fixture(scope="module")
def export() -> object:
    return sap_o2c(300, seed=11, timezone=TZ)


@pytest.fixture()
def files(export: object, tmp_path: Path) -> dict[str, Path]:
    out = {}
    for name, frame in export.tables.items():  # type: ignore[attr-defined]
        out[name] = tmp_path / f"{name}.csv"
        frame.to_csv(out[name], index=False)
    return out


def _created(result: object) -> dict[str, pd.Timestamp]:
    ev = result.ocel.events  # type: ignore[attr-defined]
    ev = ev[ev["ocel:eid"].str.startswith("create:")]
    return dict(zip(ev["ocel:eid"].str.removeprefix("create:"), ev["ocel:timestamp"], strict=True))


def _truth_times(export: object) -> dict[str, pd.Timestamp]:
    docs = export.truth["documents"]  # type: ignore[attr-defined]
    return {k: pd.Timestamp(v["created"]).tz_convert("UTC").tz_localize(None) for k, v in docs.items()}


def test_all_tables_recover_the_ground_truth(export: object, files: dict[str, Path]) -> None:
    truth = export.truth  # type: ignore[attr-defined]
    result = extract("sap-o2c", list(files.values()), timezone=TZ)
    objects = result.ocel.objects
    assert dict(zip(objects["ocel:oid"], objects["ocel:type"], strict=True)) == {
        k: v["type"] for k, v in truth["documents"].items()}
    assert result.report.objects == truth["documents_per_type"]
    assert _created(result) == _truth_times(export)  # every document dated, to the second, in UTC
    links = {tuple(p) for p in result.ocel.o2o[["ocel:oid_2", "ocel:oid"]].values.tolist()}
    assert links == {tuple(p) for p in truth["links"]}
    totals = result.report.totals()
    sizes = {k: len(v) for k, v in export.tables.items()}  # type: ignore[attr-defined]
    assert totals == {"rows_read": sum(sizes.values()), "rows_used": sum(sizes.values()), "rows_quarantined": 0}
    assert {k: t.rows_read for k, t in result.report.tables.items()} == sizes
    users = dict(zip(result.ocel.events["ocel:eid"], result.ocel.events["user"], strict=True))
    assert all(users[f"create:{k}"] == v["user"] for k, v in truth["documents"].items() if v["category"] != "R")


def test_vbfa_alone_dates_what_it_can_and_says_what_it_cannot(export: object, files: dict[str, Path]) -> None:
    truth = export.truth  # type: ignore[attr-defined]
    result = extract("sap-o2c", [files["VBFA"]], timezone=TZ)
    assert result.report.objects == truth["documents_per_type"]
    created, want = _created(result), _truth_times(export)
    assert all(created[k] == want[k] for k in created)
    # the first document of each flow has no row as a subsequent document: orders without a quotation
    # and quotations are undated, and the report says so
    roots = {k for k, v in truth["documents"].items()} - {b for _a, b in truth["links"]}
    assert set(want) - set(created) == roots
    assert any("no creation time" in n for n in result.report.notes)


def test_zip_members_told_by_content_and_zeros_stripped_by_excel(export: object, files: dict[str, Path],
                                                                 tmp_path: Path) -> None:
    vbfa = export.tables["VBFA"].copy()  # type: ignore[attr-defined]
    for col in ("VBELV", "VBELN"):  # a round trip through Excel drops the leading zeros of numbers
        vbfa[col] = vbfa[col].str.lstrip("0")
    stripped = tmp_path / "flow.csv"
    vbfa.to_csv(stripped, index=False, sep=";")
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(stripped, "VBFA.zip")  # a CSV named .zip, as a real SAP export arrived
        zf.write(files["VBAK"], "tables/table_2.txt")
    export.tables["LIKP"].to_parquet(tmp_path / "likp.parquet")  # type: ignore[attr-defined]
    result = extract("sap-o2c", [archive, tmp_path / "likp.parquet"], timezone=TZ)
    assert sorted(result.report.tables) == ["LIKP", "VBAK", "VBFA"]
    assert result.report.tables["VBFA"].sources == [f"{archive}:VBFA.zip"]
    whole = extract("sap-o2c", [files["VBFA"], files["VBAK"], files["LIKP"]], timezone=TZ)
    assert set(result.ocel.objects["ocel:oid"]) == set(whole.ocel.objects["ocel:oid"])
    assert _created(result) == _created(whole)


def test_dirty_rows_are_counted_by_reason(export: object, files: dict[str, Path], tmp_path: Path) -> None:
    vbfa = export.tables["VBFA"].copy()  # type: ignore[attr-defined]
    clean = len(vbfa)
    bad = [
        {**vbfa.iloc[0].to_dict()},  # an exact duplicate
        {**vbfa.iloc[1].to_dict(), "VBTYP_N": "Z"},  # an unknown category code
        {**vbfa.iloc[2].to_dict(), "VBELN": ""},  # a missing key
        {**vbfa.iloc[3].to_dict(), "ERDAT": "20241399"},  # no such date
        {**vbfa.iloc[4].to_dict(), "ERDAT": "00000000"},  # SAP's empty date
    ]
    vbfa.loc[5, "ERZET"] = ""  # a date without a time: used, read as midnight, counted
    dirty = pd.concat([vbfa, pd.DataFrame(bad)], ignore_index=True)
    dirty.to_csv(tmp_path / "VBFA.csv", index=False)
    vbak = export.tables["VBAK"]  # type: ignore[attr-defined]
    pd.concat([vbak, vbak.iloc[[0]].assign(NETWR="1.00")], ignore_index=True).to_csv(tmp_path / "VBAK.csv",
                                                                                  index=False)
    vbap = export.tables["VBAP"]  # type: ignore[attr-defined]
    pd.concat([vbap, vbap.iloc[[0]].assign(VBELN="0999999999")], ignore_index=True).to_csv(tmp_path / "VBAP.csv",
                                                                                      index=False)
    result = extract("sap-o2c", [tmp_path / "VBFA.csv", tmp_path / "VBAK.csv", tmp_path / "VBAP.csv"], timezone=TZ)
    rep = result.report.tables
    assert rep["VBFA"].reasons == {"duplicate_row": 1, "unknown_category": 1, "missing_key": 1, "bad_date": 2}
    assert (rep["VBFA"].rows_read, rep["VBFA"].rows_used) == (clean + 5, clean)
    assert rep["VBFA"].flags == {"date_without_time": 1}
    assert rep["VBAK"].reasons == {"duplicate_document": 1}
    assert rep["VBAP"].reasons == {"item_without_header": 1}
    assert all(t.balanced for t in rep.values())
    q = result.quarantine
    assert len(q) == 7 and set(q["reason"]) == {"duplicate_row", "unknown_category", "missing_key", "bad_date",
                                                 "duplicate_document", "item_without_header"}
    # row numbers as a spreadsheet shows them: header row 1, so the first appended bad row is clean + 2
    assert sorted(q[q["table"] == "VBFA"]["row"]) == [clean + 2 + k for k in range(5)]


def test_a_table_of_another_kind_is_refused_with_what_was_expected(tmp_path: Path) -> None:
    other = tmp_path / "customers.csv"
    other.write_text("KUNNR,NAME1\n0000000001,ACME\n", encoding="utf-8")
    with pytest.raises(UnusableInputError, match=r"is not a table of the sap-o2c profile: expected the columns of "
                                                 r"VBFA \(VBELV, POSNV, VBELN.*it has KUNNR, NAME1"):
        extract("sap-o2c", [other])


def test_flattened_on_the_order_it_is_the_sales_log(export: object, files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "o2c.jsonocel"
    report = tmp_path / "report.json"
    r = run_cli("extract", "sap-o2c", *map(str, files.values()), "--out", str(out), "--timezone", TZ,
                "--json", str(report), "--quarantine", str(tmp_path / "q.csv"))
    assert r.returncode == 0, r.stderr
    doc = json.loads(report.read_text(encoding="utf-8"))
    assert set(doc) >= {"profile", "rows_read", "rows_used", "rows_quarantined", "tables", "objects", "events"}
    assert doc["rows_read"] == doc["rows_used"] + doc["rows_quarantined"]
    assert doc["objects"]["order"] == 300
    assert len(pm4py.read_ocel2_json(str(out)).events) == doc["events"]  # pm4py reads what flowmine wrote
    store = tmp_path / "store"
    r = run_cli("ingest", str(out), "--store", str(store), "--process", "sales", "--object-type", "order", "--json")
    assert r.returncode == 0, r.stderr
    log = flowmine.load_log(flowmine.Store(store), "sales")
    assert log["case:concept:name"].nunique() == 300
    first = log.sort_values(["case:concept:name", "time:timestamp"]).groupby("case:concept:name")["concept:name"]
    assert set(first.first()) <= {"Create quotation", "Create order"}
    with_quote = {b for a, b in export.truth["links"] if a.startswith("002")}  # type: ignore[attr-defined]
    assert (first.first() == "Create quotation").sum() == len(with_quote)


def test_extract_to_xml_ingested_on_the_order(files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "o2c.xmlocel"
    r = run_cli("extract", "sap-o2c", *map(str, files.values()), "--out", str(out), "--timezone", TZ)
    assert r.returncode == 0, r.stderr
    events = re.findall(rb'<event id="[^"]*" type="[^"]*" time="([^"]*)"', out.read_bytes())
    assert events and all(t.endswith(b"+08:00") for t in events)  # local times with the export's offset
    expected = extract("sap-o2c", list(files.values()), timezone=TZ).ocel
    assert len(pm4py.read_ocel2_xml(str(out)).events) == len(expected.events)
    r = run_cli("ingest", str(out), "--store", str(tmp_path / "store"), "--process", "sales", "--object-type", "order")
    assert r.returncode == 0, r.stderr
    assert flowmine.load_log(flowmine.Store(tmp_path / "store"), "sales")["case:concept:name"].nunique() == 300


def test_chinese_names(files: dict[str, Path]) -> None:
    result = extract("sap-o2c", [files["VBFA"], files["VBAK"]], timezone=TZ, lang="zh")
    assert {"销售订单", "交货单", "发票"} <= set(result.report.objects)
    assert "创建销售订单" in result.report.events


def test_checked_as_the_sales_process_through_aliases(export: object, files: dict[str, Path],
                                                      tmp_path: Path) -> None:
    from flowmine.conformance import check

    out = tmp_path / "o2c.sqlite"
    flowmine.write_ocel(extract("sap-o2c", list(files.values()), timezone=TZ).ocel, out)
    st = flowmine.Store(tmp_path / "store")
    st.ingest("sales_sap", [out], mapping=flowmine.Mapping(object_type="order"))
    report = check(st, "sales_sap", definition="sales", with_precision=False)
    assert {k: report.labels.mapping[k] for k in ("Create quotation", "Create order", "Post goods movement",
                                                   "Create invoice")} == {
        "Create quotation": "Quotation", "Create order": "Order entry and review", "Post goods movement": "Delivery",
        "Create invoice": "Invoicing"}
    # the rule "exactly one invoice" reads the aliased step: orders with no, two or more invoices (split
    # deliveries invoiced apart, cancellations followed by a new invoice), counted from the ground truth
    truth = export.truth  # type: ignore[attr-defined]
    kind = {k: v["category"] for k, v in truth["documents"].items()}
    after: dict[str, set[str]] = {}
    for a, b in truth["links"]:
        after.setdefault(a, set()).add(b)
    invoices = {o: {i for d in after.get(o, ()) if kind[d] == "J" for i in after.get(d, ()) if kind[i] == "M"}
                for o, c in kind.items() if c == "C"}
    want = sum(1 for v in invoices.values() if len(v) != 1)
    rule = report.rules.set_index("rule").loc["invoice_exactly_once"]
    assert want > 0 and int(rule["violating_cases"]) == want
    assert 0 < report.fitness < 1


def test_links_profile_reads_a_kingdee_style_gbk_export(tmp_path: Path) -> None:
    from flowmine.simulate._erp import kingdee_purchase

    export = kingdee_purchase(150, seed=4, timezone=TZ)
    docs, links = tmp_path / "单据.csv", tmp_path / "单据关联.csv"
    frame = export.tables["documents"].copy()
    frame.loc[3, "创建日期"] = "24/3/5 10:00:00"  # a two-digit year is never guessed
    frame.loc[4, "审核日期"] = "下周"  # an approval date nobody can read: the document stays, without it
    frame.to_csv(docs, index=False, encoding="gbk")
    bad_links = pd.concat([export.tables["links"], pd.DataFrame({"源单内码": ["999"], "目标单内码": ["100002"]})])
    bad_links.to_csv(links, index=False, encoding="gbk")  # GBK with Chinese only in its header
    result = extract("links", [links, docs], timezone=TZ, lang="zh")
    rep = result.report.tables
    assert rep["documents"].reasons == {"ambiguous_date": 1}
    assert rep["documents"].flags["approval_date_unreadable"] == 1
    assert rep["links"].reasons["unknown_document"] >= 1  # the link from 999, and those of the quarantined doc
    assert all(t.balanced for t in rep.values())
    truth = export.truth
    kept = {k: v for k, v in truth["documents"].items() if k != frame.loc[3, "单据内码"]}
    objects = dict(zip(result.ocel.objects["ocel:oid"], result.ocel.objects["ocel:type"], strict=True))
    assert objects == {k: v["type"] for k, v in kept.items()}
    created = {e.removeprefix("create:"): t for e, t in zip(result.ocel.events["ocel:eid"],
                                                             result.ocel.events["ocel:timestamp"], strict=True)
               if e.startswith("create:")}
    assert created == {k: pd.Timestamp(v["created"]).tz_convert("UTC").tz_localize(None) for k, v in kept.items()}
    assert {"创建采购订单", "审核采购订单", "创建应付单"} <= set(result.report.events)
    unread = str(frame.loc[4, "单据内码"])
    approvals = sum(1 for k, v in kept.items() if v["approved"] and k != unread)  # the unreadable one has none
    assert sum(n for a, n in result.report.events.items() if a.startswith("审核")) == approvals
    links_kept = {tuple(p) for p in truth["links"] if frame.loc[3, "单据内码"] not in p}
    assert {tuple(p) for p in result.ocel.o2o[["ocel:oid_2", "ocel:oid"]].values.tolist()} == links_kept
    # flattened on the purchase order, a case runs requisition -> order -> receipts -> payables
    flat = flowmine.flatten(result.ocel, "采购订单").events
    first = flat.sort_values(["case:concept:name", "time:timestamp"]).groupby("case:concept:name").first()
    assert set(first["concept:name"]) <= {"创建采购申请单", "审核采购申请单"}


def test_columns_file_names_what_the_aliases_miss(tmp_path: Path) -> None:
    from flowmine.simulate._erp import kingdee_purchase

    export = kingdee_purchase(40, seed=5, timezone=TZ)
    docs = tmp_path / "docs.csv"
    export.tables["documents"].rename(columns={"创建日期": "制单时间"}).to_csv(docs, index=False, encoding="gbk")
    export.tables["links"].to_csv(tmp_path / "links.csv", index=False)
    r = run_cli("extract", "links", str(docs), str(tmp_path / "links.csv"), "--out", str(tmp_path / "o.jsonocel"))
    assert r.returncode == 2 and "is not a table of the links profile" in r.stderr and "Traceback" not in r.stderr
    cols = tmp_path / "cols.toml"
    cols.write_text('[documents]\ncreated = "制单时间"\n', encoding="utf-8")
    r = run_cli("extract", "links", str(docs), str(tmp_path / "links.csv"), "--out", str(tmp_path / "o.jsonocel"),
                "--columns", str(cols), "--timezone", TZ, "--json", "-")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["objects"] == export.truth["documents_per_type"]
    cols.write_text('[documents]\nwhen = "制单时间"\n', encoding="utf-8")
    r = run_cli("extract", "links", str(docs), "--out", str(tmp_path / "o.jsonocel"), "--columns", str(cols))
    assert r.returncode == 2 and "has no role 'when'" in r.stderr


def test_sap_p2p_recovers_the_ground_truth_and_counts_dirty_rows(tmp_path: Path) -> None:
    from flowmine.conformance import check
    from flowmine.simulate._erp import sap_p2p

    export = sap_p2p(250, seed=21, timezone=TZ)
    truth = export.truth
    paths = []
    for name, frame in export.tables.items():
        if name == "EKBE":  # a history row of a kind the profile does not know, one for an order not exported
            frame = pd.concat([frame, frame.iloc[[0]].assign(VGABE="7"), frame.iloc[[1]].assign(EBELN="4599999999")])
        if name == "EKPO":
            frame = pd.concat([frame, frame.iloc[[0]].assign(EBELN="4588888888")])
        if name == "RSEG":  # an item of an invoice without header, one billing an order not exported
            frame = pd.concat([frame, frame.iloc[[0]].assign(BELNR="5199999999"), frame.iloc[[1]].assign(
                EBELN="4577777777")])
        paths.append(tmp_path / f"{name}.csv")
        frame.to_csv(paths[-1], index=False)
    result = extract("sap-p2p", paths, timezone=TZ)
    rep = result.report.tables
    assert rep["EKBE"].reasons == {"unknown_category": 1, "order_not_in_export": 1}
    assert rep["EKPO"].reasons == {"item_without_header": 1}
    assert rep["RSEG"].reasons == {"item_without_header": 1, "order_not_in_export": 1}
    assert rep["EBAN"].flags == {"date_without_time": len(export.tables["EBAN"])}  # SAP keeps dates only here
    assert all(t.balanced for t in rep.values())
    objects = result.ocel.objects
    assert dict(zip(objects["ocel:oid"], objects["category"], strict=True)) == {
        k: v["category"] for k, v in truth["documents"].items()}
    created = _created(result)
    assert {k: created[k] for k in truth["documents"]} == {
        k: pd.Timestamp(v["created"]).tz_convert("UTC").tz_localize(None) for k, v in truth["documents"].items()}
    links = {tuple(p) for p in result.ocel.o2o[["ocel:oid_2", "ocel:oid"]].values.tolist()}
    assert links == {tuple(p) for p in truth["links"]}
    releases = sum(1 for v in truth["documents"].values() if v.get("released"))
    assert result.report.events["Release purchase requisition"] == releases
    # parked invoices (RBSTAT A) are in RBKP/RSEG only: dated by RBKP, linked to their order by RSEG
    parked = {k for k, v in truth["documents"].items() if v["category"] == "IRP"}
    assert parked and result.report.events["Park invoice"] == len(parked)
    assert result.report.objects["parked invoice"] == len(parked)
    rseg = export.tables["RSEG"].assign(doc=lambda f: f.BELNR + "/" + f.GJAHR,
                                        v=lambda f: f.WRBTR.astype(float) * f.SHKZG.map({"S": 1, "H": -1}))
    invoiced = objects.set_index("ocel:oid")["invoiced_amount"].dropna()
    assert invoiced.round(2).to_dict() == rseg.groupby("doc")["v"].sum().round(2).to_dict()
    # flattened on the purchase order and checked as the procurement process through its aliases
    out = tmp_path / "p2p.jsonocel"
    flowmine.write_ocel(result.ocel, out)
    st = flowmine.Store(tmp_path / "store")
    st.ingest("p2p", [out], mapping=flowmine.Mapping(object_type="purchase order"))
    report = check(st, "p2p", definition="procurement", with_precision=False)
    assert {report.labels.mapping[a] for a in ("Create purchase requisition", "Create purchase order",
                                                "Post goods receipt", "Post invoice receipt")} == {
        "Purchase requisition", "Contract and purchase order", "Goods receipt", "Invoice received"}
    assert 0 < report.fitness < 1


def test_sap_fi_links_open_items_to_their_clearing(tmp_path: Path) -> None:
    from flowmine.simulate._erp import sap_fi

    export = sap_fi(300, seed=8, timezone=TZ)
    truth = export.truth
    bseg = export.tables["BSEG"]
    bseg = pd.concat([bseg, bseg.iloc[[0]].assign(BELNR="1999999999")])  # a line whose document is missing
    bkpf = pd.concat([export.tables["BKPF"], export.tables["BKPF"].iloc[[0]].assign(BELNR="1888888888",
                                                                                   BLART="Z9")])
    bkpf.to_csv(tmp_path / "BKPF.csv", index=False)
    bseg.to_csv(tmp_path / "BSEG.csv", index=False)
    result = extract("sap-fi", [tmp_path / "BKPF.csv", tmp_path / "BSEG.csv"], timezone=TZ)
    rep = result.report.tables
    assert rep["BKPF"].reasons == {"unknown_category": 1} and rep["BSEG"].reasons == {"line_without_header": 1}
    objects = result.ocel.objects
    assert dict(zip(objects["ocel:oid"], objects["document_type"], strict=True)) == {
        k: v["type"] for k, v in truth["documents"].items()}
    assert {tuple(p) for p in result.ocel.o2o[["ocel:oid_2", "ocel:oid"]].values.tolist()} == {
        tuple(p) for p in truth["links"]}
    assert int(objects["open_items"].sum()) == truth["open_items"]
    assert _created(result) == _truth_times(export)
    # flattened on the invoice: posted, then paid by the run that cleared it
    flat = flowmine.flatten(result.ocel, "vendor invoice").events
    paid = flat[flat["concept:name"] == "Pay by payment run"]["case:concept:name"].nunique()
    assert paid == sum(1 for a, _b in truth["links"] if truth["documents"][a]["type"] == "KR")
    # ... and checked as the finance process through its aliases
    from flowmine.conformance import check

    out = tmp_path / "fi.jsonocel"
    flowmine.write_ocel(result.ocel, out)
    st = flowmine.Store(tmp_path / "store")
    st.ingest("fi", [out], mapping=flowmine.Mapping(object_type="vendor invoice"))
    report = check(st, "fi", definition="finance", with_precision=False)
    assert {report.labels.mapping[a] for a in ("Post vendor invoice", "Pay by payment run")} == {
        "Submit expense claim", "Cashier payment"}
    assert 0 < report.fitness < 1


def test_sap_pp_operations_become_activity_instances_with_their_service_times(tmp_path: Path) -> None:
    from flowmine.conformance import check
    from flowmine.simulate._erp import sap_pp

    export = sap_pp(80, seed=23, timezone=TZ)
    truth = export.truth
    paths = []
    for name, frame in export.tables.items():
        paths.append(tmp_path / f"{name}.csv")
        frame.to_csv(paths[-1], index=False)
    result = extract("sap-pp", paths, timezone=TZ)
    rep = result.report.tables
    assert rep["AFRU"].reasons == {"reversal": truth["reversals"], "reversed_confirmation": truth["reversals"]}
    assert all(t.balanced for t in rep.values()) and rep["AFPO"].rows_used == 80
    out = tmp_path / "pp.sqlite"
    flowmine.write_ocel(result.ocel, out)
    st = flowmine.Store(tmp_path / "store")
    st.ingest("pp", [out], mapping=flowmine.Mapping(object_type="production order"))
    log = flowmine.load_log(st, "pp")
    ops = log[log["start_timestamp"].notna()]
    got = sorted((r["case:concept:name"], r["concept:name"], r["start_timestamp"].isoformat(),
                  r["time:timestamp"].isoformat(), r["org:resource"]) for r in ops.to_dict("records"))
    want = sorted((o["order"], o["activity"], pd.Timestamp(o["start"]).isoformat(),
                   pd.Timestamp(o["finish"]).isoformat(), o["user"]) for o in truth["operations"])
    assert got == want  # every operation, as one instance with its actual start and finish
    decisions = log[log["concept:name"] == "Usage decision"]
    assert sorted(decisions["decision"]) == sorted(truth["decisions"].values())
    report = check(st, "pp", definition="production", with_precision=False)
    assert report.labels.mapping["Usage decision"] == "Quality inspection"
    assert report.labels.mapping["Processing/assembly"] == "Processing/assembly"


def test_change_documents_become_events_of_the_order(export: object, files: dict[str, Path]) -> None:
    truth = export.truth  # type: ignore[attr-defined]
    assert truth["changes"]
    result = extract("sap-o2c", list(files.values()), timezone=TZ)
    ev = result.ocel.events
    changes = ev[ev["ocel:eid"].str.startswith("change:")]
    got = sorted((e.split(":")[1], a, t.isoformat(), u, f, n) for e, a, t, u, f, n in zip(
        changes["ocel:eid"], changes["ocel:activity"], changes["ocel:timestamp"], changes["user"],
        changes["field"], changes["value_new"], strict=True))
    want = sorted((c["document"], c["activity"], pd.Timestamp(c["time"]).tz_localize(None).isoformat(), c["user"],
                   c["field"], c["new"] or None) for c in truth["changes"])
    assert [g[:5] for g in got] == [w[:5] for w in want]
    flat = flowmine.flatten(result.ocel, "order").events
    assert set(flat[flat["concept:name"] == "Change price"]["case:concept:name"]) == {
        c["document"] for c in truth["changes"] if c["activity"] == "Change price"}
