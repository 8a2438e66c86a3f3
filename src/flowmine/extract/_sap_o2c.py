"""The ``sap-o2c`` profile: SAP SD tables -> documents, links and creation events, in DuckDB.

VBFA holds one row per link from a preceding document item (VBELV/POSNV) to a subsequent one
(VBELN/POSNN), with both categories (VBTYP_V/VBTYP_N) and the creation date and time of the subsequent
document (ERDAT/ERZET). Items are collapsed to documents (their quantities and values summed into the
document's attributes). The headers, where given, date the documents VBFA cannot (the first of a flow
has no row as a subsequent document) and add their attributes: VBAK (sales documents: customer, sales
organisation, order type, creator), LIKP (deliveries: actual goods issue date, shipping point), VBRK
(billing: type, billing date); VBAP adds the item count of a sales document.

Numbers follow SAP's conventions: a document number of digits only is padded to its 10 characters
with leading zeros (the ALPHA conversion; exports through Excel drop the zeros, so ``1000`` and
``0000001000`` are one document); amounts may carry a trailing minus; ``PLMIN = '-'`` negates.
"""

from __future__ import annotations

import duckdb
import pandas as pd
import pyarrow as pa

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


def extract_sap_o2c(con: duckdb.DuckDBPyConnection, profile: Profile, tables: Tables,
         timezone: str, lang: str, reports: dict[str, TableReport]) -> Extracted:
    codes = pd.DataFrame({"code": list(profile.categories)})
    con.register("cats", codes)
    known = "(SELECT code FROM cats)"
    spec = profile.tables
    vbfa = register(con, "VBFA", tables["VBFA"], spec["VBFA"].required + spec["VBFA"].optional)
    ts, no_time = local_time(vbfa, "ERDAT", "ERZET", timezone)
    value = amount("RFWRT") if "RFWRT" in vbfa else "NULL"
    minus = f"CASE WHEN {text('PLMIN')} = '-' AND {value} > 0 THEN -1 ELSE 1 END" if "PLMIN" in vbfa else "1"
    checked(con, "VBFA", vbfa, ["VBELV", "VBELN", "VBTYP_N", "VBTYP_V"], [
        ("unknown_category", f"{text('VBTYP_N')} NOT IN {known} OR {text('VBTYP_V')} NOT IN {known}"),
        ("bad_date", f"{text('ERDAT')} IS NULL OR {text('ERDAT')} = '00000000' OR {ts} IS NULL"),
    ], select=f"""{alpha('VBELV', 10)} AS prev, {text('VBTYP_V')} AS prev_cat,
               {alpha('VBELN', 10)} AS doc, {text('VBTYP_N')} AS cat, {ts} AS created,
               {col_or(vbfa, 'RFMNG', amount('RFMNG'))} AS qty, {value} * {minus} AS value,
               {col_or(vbfa, 'WAERS', text('WAERS'))} AS currency, {no_time} AS _no_time""")
    account(con, "VBFA", reports["VBFA"], {"date_without_time": "_no_time"})
    run_sql(con, "CREATE TEMP VIEW flow AS SELECT * FROM chk_VBFA WHERE _reason IS NULL")
    headers = _headers(con, profile, tables, timezone, reports)
    return _assemble(con, profile, lang, headers, tables, timezone, reports)


_HEADER_COLUMNS: dict[str, dict[str, str]] = {
    # table -> attribute name -> source column
    "VBAK": {"user": "ERNAM", "order_type": "AUART", "sales_org": "VKORG", "customer": "KUNNR",
             "net_value": "NETWR", "currency": "WAERK"},
    "LIKP": {"user": "ERNAM", "goods_issue_date": "WADAT_IST", "shipping_point": "VSTEL", "delivery_type": "LFART"},
    "VBRK": {"user": "ERNAM", "billing_type": "FKART", "billing_date": "FKDAT", "net_value": "NETWR",
             "currency": "WAERK", "cancelled": "FKSTO"},
}
_DEFAULT_CAT = {"VBAK": "C", "LIKP": "J", "VBRK": "M"}
_DATE_ATTRS = ("goods_issue_date", "billing_date")


def _headers(con: duckdb.DuckDBPyConnection, profile: Profile, tables: Tables, tz: str,
             reports: dict[str, TableReport]) -> list[str]:
    """``hdr``: one row per document from the header tables given (doc, cat, created, user, attributes)."""
    selects = []
    for name, attrs in _HEADER_COLUMNS.items():
        if name not in tables:
            continue
        spec = profile.tables[name]
        present = register(con, name, tables[name], spec.required + spec.optional)
        date_col = "ERDAT" if "ERDAT" in present else "FKDAT"
        ts, no_time = local_time(present, date_col, "ERZET", tz)
        cat = col_or(present, "VBTYP", text("VBTYP"))
        checked(con, name, present, ["VBELN"], [
            ("unknown_category", f"{cat} IS NOT NULL AND {cat} NOT IN (SELECT code FROM cats)"),
            ("bad_date", f"{text(date_col)} IS NULL OR {text(date_col)} = '00000000' OR {ts} IS NULL"),
        ])
        first_of_each(con, name, alpha("VBELN", 10))
        account(con, name, reports[name], {"date_without_time": no_time})
        cols = []
        for attr, col in attrs.items():
            expr = text(col)
            if attr in _DATE_ATTRS:
                expr = f"CAST(try_strptime(nullif({expr}, '00000000'), '%Y%m%d') AS DATE)::VARCHAR"
            elif attr == "net_value":
                expr = amount(col)
            cols.append(f"{col_or(present, col, expr)} AS {attr}")
        selects.append((name, f"""
            SELECT {alpha('VBELN', 10)} AS doc, coalesce({cat}, '{_DEFAULT_CAT[name]}') AS cat, {ts} AS created,
                   '{name}' AS header, {', '.join(cols)}
            FROM chk_{name} WHERE _reason IS NULL"""))
    if "VBAP" in tables:
        _items(con, profile, tables, reports)
    if not selects:
        run_sql(con, "CREATE TEMP TABLE hdr (doc VARCHAR, cat VARCHAR, created TIMESTAMP, header VARCHAR)")
        return []
    # one relation of all header attributes: columns a table lacks are NULL
    names = sorted({a for t, _ in selects for a in _HEADER_COLUMNS[t]})
    union = " UNION ALL BY NAME ".join(sql for _, sql in selects)
    run_sql(con, f"CREATE TEMP TABLE hdr AS SELECT doc, cat, created, header, {', '.join(names)} FROM ({union})")
    return names


def _items(con: duckdb.DuckDBPyConnection, profile: Profile, tables: Tables,
           reports: dict[str, TableReport]) -> None:
    spec = profile.tables["VBAP"]
    present = register(con, "VBAP", tables["VBAP"], spec.required + spec.optional)
    header = (f"{alpha('VBELN', 10)} NOT IN (SELECT {alpha('VBELN', 10)} FROM chk_VBAK WHERE _reason IS NULL)"
              if "VBAK" in tables else "FALSE")
    checked(con, "VBAP", present, ["VBELN", "POSNR"], [("item_without_header", header)])
    account(con, "VBAP", reports["VBAP"], {})
    run_sql(con, f"""CREATE TEMP TABLE items AS SELECT {alpha('VBELN', 10)} AS doc, count(*) AS items
                    FROM chk_VBAP WHERE _reason IS NULL GROUP BY ALL""")


def _assemble(con: duckdb.DuckDBPyConnection, profile: Profile, lang: str, attrs: list[str], tables: Tables,
              tz: str, reports: dict[str, TableReport]) -> Extracted:
    notes: list[str] = []
    register_names(con, profile, lang)
    # documents: every number seen, its category (VBFA first, then its header), its creation time
    run_sql(con, """
        CREATE TEMP TABLE vb_docs AS
        SELECT doc, arg_min(cat, _row) AS cat, min(created) AS created, sum(qty) AS quantity, sum(value) AS value,
               any_value(currency) AS currency, count(DISTINCT cat) AS cats
        FROM (SELECT doc, cat, created, qty, value, currency, _row FROM flow
              UNION ALL SELECT prev, prev_cat, NULL, NULL, NULL, NULL, _row FROM flow) GROUP BY doc""")
    conflicts = con.execute("SELECT count(*) FROM vb_docs WHERE cats > 1").fetchall()[0][0]
    if conflicts:
        notes.append(f"{conflicts:,} document numbers appear with more than one category in VBFA; the category "
                     "of their first row was kept")
    has_items = bool(con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'items'").fetchall()[0][0])
    attr_sel = "".join(f", h.{a}" for a in attrs)
    no_user = "" if "user" in attrs else ", NULL::VARCHAR AS user"
    run_sql(con, f"""
        CREATE TEMP TABLE docs AS
        SELECT coalesce(v.doc, h.doc) AS doc, coalesce(v.cat, h.cat) AS cat,
               coalesce(h.created, v.created) AS created, v.quantity, v.value, v.currency AS flow_currency,
               h.header{attr_sel}{', i.items' if has_items else ''}{no_user}
        FROM vb_docs v FULL JOIN hdr h ON v.doc = h.doc
        {'LEFT JOIN items i ON i.doc = coalesce(v.doc, h.doc)' if has_items else ''}""")
    undated = con.execute("SELECT cat, count(*) FROM docs WHERE created IS NULL GROUP BY ALL ORDER BY 1").fetchall()
    if undated:
        what = ", ".join(f"{n:,} {profile.type_name(c, 'en')}" for c, n in undated)
        notes.append(f"{what}: no creation time (they precede every link in VBFA and their header table was not "
                     "given); they are objects without a creation event")
    run_sql(con, "CREATE TEMP TABLE links AS SELECT DISTINCT doc AS next, prev FROM flow")
    object_select = (f"""d.cat AS category, d.quantity, d.value,
        coalesce(d.flow_currency{', d.currency' if 'currency' in attrs else ''}) AS document_currency
        {''.join(f', d.{a}' for a in attrs if a not in ('user', 'currency'))}{', d.items' if has_items else ''}""")
    changes = _changes(con, profile, tables, tz, lang, reports)
    return documents_to_ocel(con, object_select, user=True, precedes=profile.precedes, sales=profile.sales,
                             steps=changes, step_attributes=("field", "value_old", "value_new") if changes else (),
                             notes=notes)


def _changes(con: duckdb.DuckDBPyConnection, profile: Profile, tables: Tables, tz: str, lang: str,
             reports: dict[str, TableReport]) -> bool:
    """``steps`` from the change documents (CDHDR/CDPOS) of the documents in ``docs``: one event per changed
    field at the change's date and time, by its user, with the field and its old and new values."""
    if "CDHDR" not in tables and "CDPOS" not in tables:
        return False
    head = "CDHDR" in tables
    if head:
        present = register(con, "CDHDR", tables["CDHDR"], roles(profile, "CDHDR"))
        ts, no_time = local_time(present, "UDATE", "UTIME", tz)
        checked(con, "CDHDR", present, ["OBJECTCLAS", "OBJECTID", "CHANGENR"], [
            # headers without their items say when, not what: no event
            ("change_without_items", "FALSE" if "CDPOS" in tables else "TRUE"),
            ("bad_date", f"{text('UDATE')} IS NULL OR {text('UDATE')} = '00000000' OR {ts} IS NULL"),
            ("document_not_in_export", f"{alpha('OBJECTID', 10)} NOT IN (SELECT doc FROM docs)")], select=f"""
            {text('OBJECTCLAS')} AS objectclas, {alpha('OBJECTID', 10)} AS doc, {text('CHANGENR')} AS changenr,
            {ts} AS time, {no_time} AS _no_time, {col_or(present, 'USERNAME', text('USERNAME'))} AS user""")
        account(con, "CDHDR", reports["CDHDR"], {"date_without_time": "_no_time"})
    if "CDPOS" not in tables:
        return False
    present = register(con, "CDPOS", tables["CDPOS"], roles(profile, "CDPOS"))
    header = ("(" + ", ".join([text("OBJECTCLAS"), alpha("OBJECTID", 10), text("CHANGENR")]) +
              ") NOT IN (SELECT (objectclas, doc, changenr) FROM chk_CDHDR WHERE _reason IS NULL)" if head else "TRUE")
    checked(con, "CDPOS", present, ["OBJECTCLAS", "OBJECTID", "CHANGENR", "TABNAME", "FNAME"], [
        ("change_without_header", header)], select=f"""
        {text('OBJECTCLAS')} AS objectclas, {alpha('OBJECTID', 10)} AS doc, {text('CHANGENR')} AS changenr,
        {text('TABNAME')} || '-' || {text('FNAME')} AS field, {col_or(present, 'VALUE_OLD', text('VALUE_OLD'))}
        AS value_old, {col_or(present, 'VALUE_NEW', text('VALUE_NEW'))} AS value_new""")
    account(con, "CDPOS", reports["CDPOS"], {})
    if not head:
        return False
    named = pa.table({"field": list(profile.changes), "activity": [v[lang] for v in profile.changes.values()]})
    con.register("change_names", named)
    other = "修改 " if lang == "zh" else "Change "
    run_sql(con, f"""CREATE TEMP TABLE steps AS
        SELECT 'change:' || p.doc || ':' || p.changenr || ':' || p._row AS eid, p.doc,
               coalesce(n.activity, '{other}' || p.field) AS activity, h.time, h.user, p.field, p.value_old,
               p.value_new
        FROM chk_CDPOS p JOIN chk_CDHDR h USING (objectclas, doc, changenr)
        LEFT JOIN change_names n ON n.field = p.field
        WHERE p._reason IS NULL AND h._reason IS NULL""")
    return True
