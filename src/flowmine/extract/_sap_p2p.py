"""The ``sap-p2p`` profile: SAP MM tables -> requisitions, purchase orders, goods and invoice receipts.

- EBAN: one row per requisition item (BANFN/BNFPO); the requisition is dated by its request date BADAT (a
  date only: read as midnight, counted as ``date_without_time``) and released on FRGDT (a step).
- EKKO/EKPO: the purchase order (EBELN) created on AEDAT (a date only) by ERNAM from vendor LIFNR; its items
  name the requisition item they were made from (EKPO.BANFN/BNFPO: the requisition -> order link).
- EKBE: the PO history, one row per document posted against a PO item: VGABE 1 goods receipt, 2 invoice
  receipt, 3 subsequent debit/credit, 9 service entry; the document is BELNR/GJAHR (its id is
  ``BELNR/GJAHR``: material and invoice documents are numbered per year), entered on CPUDT at CPUTM. A row
  whose SHKZG is the opposite of its kind's usual sign (``[reversal]`` in the profile) is a reversal.
- RBKP (optional): the invoice's header: vendor, gross amount, entry time, and the user who entered it; its
  status RBSTAT tells a parked or held invoice (A-E), which EKBE does not know yet: it becomes a document of
  its own (``IRP``, "Park invoice"), dated by RBKP.
- RSEG (optional): the invoice's items, each naming the order it bills (EBELN): the invoice -> order link,
  for parked invoices too; per invoice its item count and invoiced amount (WRBTR) become attributes.
"""

from __future__ import annotations

import duckdb

from flowmine.extract._core import (
    Extracted,
    Tables,
    account,
    alpha,
    amount,
    checked,
    col_or,
    documents_to_ocel,
    first_of_each,
    local_time,
    register,
    register_names,
    roles,
    run_sql,
    text,
)
from flowmine.extract._profile import Profile
from flowmine.extract._report import TableReport

#: The release of a requisition (EBAN.FRGDT), the one step that is not a document's creation.
RELEASE = {"en": "Release purchase requisition", "zh": "审批采购申请"}
_KIND = {"1": ("GR", "GRX"), "2": ("IR", "IRX"), "3": ("SUB", "SUB"), "9": ("SE", "SE")}
#: RBKP.RBSTAT of an invoice parked or held, not posted (5 is posted; 1-4 are posted stages of a workflow).
_PARKED = ("A", "B", "C", "D", "E")


def _bad_date(col: str, ts: str) -> str:
    return f"{text(col)} IS NULL OR {text(col)} = '00000000' OR {ts} IS NULL"


def extract_sap_p2p(con: duckdb.DuckDBPyConnection, profile: Profile, tables: Tables, tz: str, lang: str,
         reports: dict[str, TableReport]) -> Extracted:
    parts, notes = [], []
    if "EBAN" in tables:
        parts.append(_requisitions(con, profile, tables, tz, lang, reports))
    present = register(con, "EKKO", tables["EKKO"], roles(profile, "EKKO"))
    ts, no_time = local_time(present, "AEDAT", None, tz)
    checked(con, "EKKO", present, ["EBELN"], [("bad_date", _bad_date("AEDAT", ts))],
            select=f"""{alpha('EBELN', 10)} AS doc, 'PO' AS cat, {ts} AS created, {no_time} AS _no_time,
                       {col_or(present, 'ERNAM', text('ERNAM'))} AS user, {col_or(present, 'LIFNR', text('LIFNR'))}
                       AS vendor, {text('BSART')} AS order_type, {col_or(present, 'EKORG', text('EKORG'))}
                       AS purchasing_org""")
    first_of_each(con, "EKKO")
    account(con, "EKKO", reports["EKKO"], {"date_without_time": "_no_time"})
    parts.append("SELECT doc, cat, created, user, vendor, order_type, purchasing_org FROM chk_EKKO "
                 "WHERE _reason IS NULL")
    link_parts = []
    if "EKPO" in tables:
        link_parts.append(_po_items(con, profile, tables, reports))
    if "EKBE" in tables:
        parts.append(_history(con, profile, tables, tz, reports))
        link_parts.append("SELECT DISTINCT doc AS next, po AS prev FROM hist")
    if "RBKP" in tables:
        _invoices(con, profile, tables, tz, reports)
        known = "SELECT doc FROM hist" if "EKBE" in tables else "SELECT NULL::VARCHAR AS doc WHERE FALSE"
        parts.append(f"SELECT doc, cat, created, user FROM inv WHERE doc NOT IN ({known})")  # parked: not in EKBE
    if "RSEG" in tables:
        link_parts.append(_invoice_items(con, profile, tables, reports))
    union = " UNION ALL BY NAME ".join(parts)
    run_sql(con, f"CREATE TEMP TABLE docs0 AS {union}")
    rbkp, rseg = "RBKP" in tables, "RSEG" in tables
    run_sql(con, f"""
        CREATE TEMP TABLE docs AS
        SELECT d.doc, d.cat, {'coalesce(r.created, d.created)' if rbkp else 'd.created'} AS created,
               {'coalesce(r.user, d.user)' if rbkp else 'd.user'} AS user, d.* EXCLUDE (doc, cat, created, user)
               {', r.gross_amount, r.invoice_vendor' if rbkp else ''}
               {', i.invoice_items, i.invoiced_amount' if rseg else ''}
        FROM docs0 d {'LEFT JOIN inv r ON r.doc = d.doc' if rbkp else ''}
        {'LEFT JOIN inv_items i ON i.doc = d.doc' if rseg else ''}""")
    links = " UNION ".join(link_parts) or "SELECT NULL::VARCHAR AS next, NULL::VARCHAR AS prev WHERE FALSE"
    run_sql(con, f"""CREATE TEMP TABLE links AS SELECT DISTINCT next, prev FROM ({links}) l
                     WHERE next IN (SELECT doc FROM docs) AND prev IN (SELECT doc FROM docs)""")
    dangling = con.execute(f"SELECT count(*) FROM ({links}) l WHERE prev NOT IN (SELECT doc FROM docs)"
                           ).fetchall()[0][0]
    if dangling:
        notes.append(f"{dangling:,} links name a requisition or order the export does not hold; they were left out")
    register_names(con, profile, lang)
    cols = [r[0] for r in con.execute("SELECT column_name FROM duckdb_columns() WHERE table_name = 'docs'"
                                      ).fetchall()]
    attrs = [c for c in cols if c not in ("doc", "cat", "created", "user")]
    steps = "EBAN" in tables and bool(con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = "
                                                  "'steps'").fetchall()[0][0])
    return documents_to_ocel(con, ", ".join(["d.cat AS category", *(f"d.{a}" for a in attrs)]), user=True,
                             precedes=profile.precedes, sales=profile.sales, steps=steps, notes=notes)


def _requisitions(con: duckdb.DuckDBPyConnection, profile: Profile, tables: Tables, tz: str, lang: str,
                  reports: dict[str, TableReport]) -> str:
    present = register(con, "EBAN", tables["EBAN"], roles(profile, "EBAN"))
    ts, no_time = local_time(present, "BADAT", None, tz)
    released, _ = local_time(present, "FRGDT", None, tz) if "FRGDT" in present else ("NULL", "")
    checked(con, "EBAN", present, ["BANFN", "BNFPO"], [("bad_date", _bad_date("BADAT", ts))],
            select=f"""{alpha('BANFN', 10)} AS doc, {ts} AS created, {no_time} AS _no_time,
                       CASE WHEN {col_or(present, 'FRGDT', text('FRGDT'))} IN ('', '00000000') THEN NULL
                            ELSE {released} END AS released,
                       {col_or(present, 'ERNAM', text('ERNAM'))} AS user""")
    account(con, "EBAN", reports["EBAN"], {"date_without_time": "_no_time"})
    release = RELEASE[lang]
    run_sql(con, f"""CREATE TEMP TABLE steps AS
        SELECT 'release:' || doc AS eid, doc, '{release}' AS activity, min(released) AS time, NULL AS user
        FROM chk_EBAN WHERE _reason IS NULL AND released IS NOT NULL GROUP BY doc""")
    return ("SELECT doc, 'PR' AS cat, min(created) AS created, arg_min(user, _row) AS user, count(*) AS items "
            "FROM chk_EBAN WHERE _reason IS NULL GROUP BY doc")


def _po_items(con: duckdb.DuckDBPyConnection, profile: Profile, tables: Tables,
              reports: dict[str, TableReport]) -> str:
    present = register(con, "EKPO", tables["EKPO"], roles(profile, "EKPO"))
    header = f"{alpha('EBELN', 10)} NOT IN (SELECT doc FROM chk_EKKO WHERE _reason IS NULL)"
    checked(con, "EKPO", present, ["EBELN", "EBELP"], [("item_without_header", header)],
            select=f"""{alpha('EBELN', 10)} AS po, {col_or(present, 'BANFN', alpha('BANFN', 10))} AS req""")
    account(con, "EKPO", reports["EKPO"], {})
    return "SELECT DISTINCT po AS next, req AS prev FROM chk_EKPO WHERE _reason IS NULL AND req IS NOT NULL"


def _history(con: duckdb.DuckDBPyConnection, profile: Profile, tables: Tables, tz: str,
             reports: dict[str, TableReport]) -> str:
    present = register(con, "EKBE", tables["EKBE"], roles(profile, "EKBE"))
    date = "CPUDT" if "CPUDT" in present else "BUDAT"
    ts, no_time = local_time(present, date, "CPUTM" if date == "CPUDT" else None, tz)
    usual = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in profile.reversal.items())
    kinds = ", ".join(f"'{k}'" for k in _KIND)
    cat = " ".join(f"WHEN '{k}' THEN CASE WHEN coalesce(sign, usual) = usual THEN '{n}' ELSE '{r}' END"
                   for k, (n, r) in _KIND.items())
    checked(con, "EKBE", present, ["EBELN", "BELNR", "GJAHR", "VGABE"], [
        ("unknown_category", f"{text('VGABE')} NOT IN ({kinds})"),
        ("bad_date", _bad_date(date, ts)),
        ("order_not_in_export", f"{alpha('EBELN', 10)} NOT IN (SELECT doc FROM chk_EKKO WHERE _reason IS NULL)")],
        select=f"""{text('BELNR')} || '/' || {text('GJAHR')} AS doc, {text('VGABE')} AS kind,
                   {col_or(present, 'SHKZG', text('SHKZG'))} AS sign, {alpha('EBELN', 10)} AS po, {ts} AS created,
                   {no_time} AS _no_time, {col_or(present, 'DMBTR', amount('DMBTR'))} AS value,
                   {col_or(present, 'MENGE', amount('MENGE'))} AS qty, {col_or(present, 'ERNAM', text('ERNAM'))}
                   AS user""")
    account(con, "EKBE", reports["EKBE"], {"date_without_time": "_no_time"})
    run_sql(con, f"""CREATE TEMP TABLE hist AS
        SELECT *, CASE kind {cat} END AS cat FROM (
            SELECT *, CASE kind {usual} END AS usual FROM chk_EKBE WHERE _reason IS NULL)""")
    return ("SELECT doc, arg_min(cat, _row) AS cat, min(created) AS created, arg_min(user, _row) AS user, "
            "sum(qty) AS quantity, sum(value) AS value FROM hist GROUP BY doc")


def _invoices(con: duckdb.DuckDBPyConnection, profile: Profile, tables: Tables, tz: str,
              reports: dict[str, TableReport]) -> None:
    present = register(con, "RBKP", tables["RBKP"], roles(profile, "RBKP"))
    parked = ", ".join(f"'{p}'" for p in _PARKED)
    ts, no_time = local_time(present, "CPUDT", "CPUTM", tz) if "CPUDT" in present else local_time(
        present, "BLDAT", None, tz)
    checked(con, "RBKP", present, ["BELNR", "GJAHR"], [("bad_date", f"{ts} IS NULL")],
            select=f"""{text('BELNR')} || '/' || {text('GJAHR')} AS doc, {ts} AS created, {no_time} AS _no_time,
                       {col_or(present, 'USNAM', text('USNAM'))} AS user, {text('LIFNR')} AS invoice_vendor,
                       {col_or(present, 'RMWWR', amount('RMWWR'))} AS gross_amount,
                       CASE WHEN {col_or(present, 'RBSTAT', text('RBSTAT'))} IN ({parked}) THEN 'IRP' ELSE 'IR' END
                       AS cat""")
    first_of_each(con, "RBKP")
    account(con, "RBKP", reports["RBKP"], {"date_without_time": "_no_time"})
    run_sql(con, "CREATE TEMP TABLE inv AS SELECT * FROM chk_RBKP WHERE _reason IS NULL")


def _invoice_items(con: duckdb.DuckDBPyConnection, profile: Profile, tables: Tables,
                   reports: dict[str, TableReport]) -> str:
    """RSEG: each item names the order it bills; an item is used when its invoice has a header (RBKP) or,
    without RBKP, is a receipt EKBE knows, and its order is in the export."""
    present = register(con, "RSEG", tables["RSEG"], roles(profile, "RSEG"))
    header = "inv" if "RBKP" in tables else ("hist" if "EKBE" in tables else None)
    doc = f"{text('BELNR')} || '/' || {text('GJAHR')}"
    no_header = f"{doc} NOT IN (SELECT doc FROM {header})" if header else "TRUE"
    sign = f"CASE WHEN {col_or(present, 'SHKZG', text('SHKZG'))} = 'H' THEN -1 ELSE 1 END"
    checked(con, "RSEG", present, ["BELNR", "GJAHR", "BUZEI", "EBELN"], [
        ("item_without_header", no_header),
        ("order_not_in_export", f"{alpha('EBELN', 10)} NOT IN (SELECT doc FROM chk_EKKO WHERE _reason IS NULL)")],
        select=f"""{doc} AS doc, {alpha('EBELN', 10)} AS po,
                   {sign} * {col_or(present, 'WRBTR', amount('WRBTR'))} AS value""")
    account(con, "RSEG", reports["RSEG"], {})
    run_sql(con, """CREATE TEMP TABLE inv_items AS SELECT doc, count(*) AS invoice_items, sum(value) AS
                    invoiced_amount FROM chk_RSEG WHERE _reason IS NULL GROUP BY doc""")
    return "SELECT DISTINCT doc AS next, po AS prev FROM chk_RSEG WHERE _reason IS NULL"
