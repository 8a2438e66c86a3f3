"""The ``sap-fi`` profile: SAP FI documents (BKPF) and their lines (BSEG) -> invoices, payments, clearing.

Each BKPF row is a document (id ``BUKRS/BELNR/GJAHR``) typed by BLART and posted on CPUDT at CPUTM (BUDAT
when the entry time is missing: a date only). BSEG's vendor (KOART ``K``) and customer (``D``) lines carry the
open item: its due date (baseline ZFBDT plus the days of ZBD1T), its amount, and, once paid, the clearing
document (AUGBL, AUGDT): the link ``open item's document -> clearing document``. A document some of whose
items are still open at extraction is marked ``open_items``.
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


def _doc_id(bukrs: str, belnr: str, gjahr: str) -> str:
    return f"{text(bukrs)} || '/' || {alpha(belnr, 10)} || '/' || {text(gjahr)}"


def extract_sap_fi(con: duckdb.DuckDBPyConnection, profile: Profile, tables: Tables, tz: str, lang: str,
         reports: dict[str, TableReport]) -> Extracted:
    present = register(con, "BKPF", tables["BKPF"], roles(profile, "BKPF"))
    date, clock = ("CPUDT", "CPUTM") if "CPUDT" in present else ("BUDAT", None)
    ts, no_time = local_time(present, date, clock, tz)
    known = ", ".join(f"'{c}'" for c in profile.categories)
    checked(con, "BKPF", present, ["BUKRS", "BELNR", "GJAHR", "BLART"], [
        ("unknown_category", f"{text('BLART')} NOT IN ({known})"),
        ("bad_date", f"{text(date)} IS NULL OR {text(date)} = '00000000' OR {ts} IS NULL")],
        select=f"""{_doc_id('BUKRS', 'BELNR', 'GJAHR')} AS doc, {text('BLART')} AS cat, {ts} AS created,
                   {no_time} AS _no_time, {col_or(present, 'USNAM', text('USNAM'))} AS user,
                   {col_or(present, 'XBLNR', text('XBLNR'))} AS reference, {text('BUKRS')} AS company_code""")
    first_of_each(con, "BKPF")
    account(con, "BKPF", reports["BKPF"], {"date_without_time": "_no_time"})
    run_sql(con, "CREATE TEMP TABLE heads AS SELECT * FROM chk_BKPF WHERE _reason IS NULL")
    lines = "BSEG" in tables
    if lines:
        _lines(con, profile, tables, reports)
    run_sql(con, f"""
        CREATE TEMP TABLE docs AS
        SELECT h.doc, h.cat, h.created, h.user, h.reference, h.company_code
               {', i.amount, i.due_date, i.partner, i.open_items' if lines else ''}
        FROM heads h {'LEFT JOIN items i ON i.doc = h.doc' if lines else ''}""")
    notes = []
    if lines:
        run_sql(con, """CREATE TEMP TABLE links AS SELECT DISTINCT clearing AS next, doc AS prev FROM open_items
                        WHERE clearing IS NOT NULL AND clearing IN (SELECT doc FROM docs) AND clearing <> doc""")
        missing = con.execute("""SELECT count(DISTINCT clearing) FROM open_items WHERE clearing IS NOT NULL
                                 AND clearing NOT IN (SELECT doc FROM docs)""").fetchall()[0][0]
        if missing:
            notes.append(f"{missing:,} clearing documents named in BSEG are not in BKPF; their links were left out "
                         "(export BKPF for the clearing period too)")
    else:
        run_sql(con, "CREATE TEMP TABLE links (next VARCHAR, prev VARCHAR)")
    register_names(con, profile, lang)
    extra = ", d.amount, d.due_date, d.partner, d.open_items" if lines else ""
    return documents_to_ocel(con, f"d.cat AS document_type, d.reference, d.company_code{extra}", user=True,
                             notes=notes)


def _lines(con: duckdb.DuckDBPyConnection, profile: Profile, tables: Tables,
           reports: dict[str, TableReport]) -> None:
    present = register(con, "BSEG", tables["BSEG"], roles(profile, "BSEG"))
    doc = _doc_id("BUKRS", "BELNR", "GJAHR")
    year = (f"coalesce({col_or(present, 'AUGGJ', text('AUGGJ'))}, substr({text('AUGDT')}, 1, 4))"
            if "AUGDT" in present else "NULL")
    cleared = (f"CASE WHEN {col_or(present, 'AUGBL', text('AUGBL'))} IS NOT NULL THEN {text('BUKRS')} || '/' || "
               f"{alpha('AUGBL', 10)} || '/' || {year} END" if "AUGBL" in present else "NULL")
    value = col_or(present, "WRBTR", amount("WRBTR"), col_or(present, "DMBTR", amount("DMBTR")))
    due = (f"CAST(try_strptime({text('ZFBDT')}, '%Y%m%d') AS DATE) + "
           f"coalesce(TRY_CAST({col_or(present, 'ZBD1T', text('ZBD1T'))} AS INTEGER), 0)"
           if "ZFBDT" in present else "NULL")
    partner = f"coalesce({col_or(present, 'LIFNR', text('LIFNR'))}, {col_or(present, 'KUNNR', text('KUNNR'))})"
    checked(con, "BSEG", present, ["BUKRS", "BELNR", "GJAHR", "BUZEI"], [
        ("line_without_header", f"{doc} NOT IN (SELECT doc FROM heads)")],
        select=f"""{doc} AS doc, {text('KOART')} AS koart, {cleared} AS clearing, {value} AS value,
                   CAST({due} AS VARCHAR) AS due_date, {partner} AS partner""")
    account(con, "BSEG", reports["BSEG"], {})
    run_sql(con, """CREATE TEMP TABLE open_items AS SELECT * FROM chk_BSEG
                    WHERE _reason IS NULL AND koart IN ('K', 'D')""")
    run_sql(con, """CREATE TEMP TABLE items AS
        SELECT doc, sum(value) AS amount, min(due_date) AS due_date, any_value(partner) AS partner,
               count(*) FILTER (WHERE clearing IS NULL) AS open_items
        FROM open_items GROUP BY doc""")
