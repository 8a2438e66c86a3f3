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

import tempfile
from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from flowmine.extract._profile import Profile
from flowmine.extract._report import TableReport

#: DuckDB's working memory for one extraction (it spills sorts and joins to its temporary folder beyond it).
MEMORY_LIMIT = "1500MB"


@dataclass
class Extracted:
    """Documents, links and events as frames, before they become an OCEL."""

    objects: pd.DataFrame  # ocel:oid, ocel:type, attributes
    events: pd.DataFrame  # ocel:eid, ocel:activity, ocel:timestamp (UTC, naive), attributes
    e2o: pd.DataFrame  # ocel:eid, ocel:oid, ocel:qualifier
    o2o: pd.DataFrame  # ocel:oid, ocel:oid_2, ocel:qualifier
    quarantine: pd.DataFrame  # table, source, row, reason, detail
    notes: list[str]


def _do(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    """Run a statement to its end (DuckDB keeps a result pending until it is fetched)."""
    con.execute(sql).fetchall()


def _text(col: str) -> str:
    return f"nullif(trim(CAST(\"{col}\" AS VARCHAR)), '')"


def _alpha(col: str, width: int) -> str:
    """SAP's ALPHA conversion: digits only -> left-padded with zeros to the field's width."""
    t = _text(col)
    return f"CASE WHEN regexp_full_match({t}, '[0-9]+') THEN lpad({t}, {width}, '0') ELSE {t} END"


def _amount(col: str) -> str:
    """An SAP amount as a number: ``1,234.50`` or ``1234.50-`` (trailing minus)."""
    t = f"replace({_text(col)}, ',', '')"
    return (f"CASE WHEN {t} LIKE '%-' THEN -TRY_CAST(rtrim({t}, '-') AS DOUBLE) "
            f"ELSE TRY_CAST({t} AS DOUBLE) END")


def _col(present: set[str], col: str, expr: str, default: str = "NULL") -> str:
    return expr if col in present else default


def _local_time(present: set[str], date: str, time: str | None, tz: str) -> tuple[str, str]:
    """(UTC timestamp expression, date-without-time condition) for a date column and its time column."""
    d = _text(date)
    t = _text(time) if time and time in present else "NULL"
    naive = f"try_strptime({d} || coalesce({t}, '000000'), '%Y%m%d%H%M%S')"
    return (f"timezone('UTC', timezone('{tz}', {naive}))", f"({t} IS NULL)")


def _table(con: duckdb.DuckDBPyConnection, name: str, parts: list[tuple[str, pa.Table, pa.Array]],
           columns: tuple[str, ...]) -> set[str]:
    """Register the files of one table as ``raw_<name>`` with ``_src`` and ``_row``; return its columns."""
    present = sorted({c for _, t, _ in parts for c in t.column_names} & set(columns))
    tables = []
    for source, table, rows in parts:
        cols = {c: (table.column(c).cast(pa.string()) if c in table.column_names else pa.nulls(table.num_rows,
                                                                                              pa.string()))
                for c in present}
        cols["_src"] = pa.array([source] * table.num_rows, pa.string())
        cols["_row"] = rows.cast(pa.int64())
        tables.append(pa.table(cols))
    con.register(f"raw_{name}", pa.concat_tables(tables))
    return set(present)


def _checked(con: duckdb.DuckDBPyConnection, name: str, present: set[str], keys: list[str], checks: list[tuple[str,
             str]], select: str = "* EXCLUDE (_src, _row)") -> None:
    """``chk_<name>``: ``_src``, ``_row``, the ``select`` expressions over the raw row, and ``_reason`` (the
    first failed check, or ``duplicate_row`` for a row equal to an earlier one in every column: grouped by a
    hash of all columns together with the keys themselves, so that two different rows never meet)."""
    missing = " OR ".join(f"{_text(k)} IS NULL" for k in keys)
    cases = [f"WHEN {missing} THEN 'missing_key'"] + [f"WHEN {cond} THEN '{reason}'" for reason, cond in checks]
    every = ", ".join(f'"{c}"' for c in sorted(present))
    key_cols = ", ".join(f'"{k}"' for k in keys)
    rank = f"row_number() OVER (PARTITION BY hash({every}), {key_cols} ORDER BY _src, _row) > 1"
    _do(con, f"""
        CREATE OR REPLACE TEMP TABLE chk_{name} AS
        SELECT _src, _row, {select}, CASE {' '.join(cases)} WHEN {rank} THEN 'duplicate_row' END AS _reason
        FROM raw_{name}""")


def _account(con: duckdb.DuckDBPyConnection, name: str, rep: TableReport, flags: dict[str, str]) -> None:
    rows = con.execute(f"SELECT _reason, count(*) FROM chk_{name} GROUP BY ALL").fetchall()
    for reason, n in rows:
        rep.rows_read += n
        if reason is None:
            rep.rows_used += n
        else:
            rep.rows_quarantined += n
            rep.reasons[reason] = rep.reasons.get(reason, 0) + n
    for flag, cond in flags.items():
        n = con.execute(f"SELECT count(*) FROM chk_{name} WHERE _reason IS NULL AND ({cond})").fetchall()[0][0]
        if n:
            rep.flags[flag] = n


def extract_sap_o2c(profile: Profile, tables: dict[str, list[tuple[str, pa.Table, pa.Array]]], timezone: str,
                    lang: str, reports: dict[str, TableReport]) -> Extracted:
    with tempfile.TemporaryDirectory(prefix="flowmine-extract-") as spill:
        con = duckdb.connect(config={"memory_limit": MEMORY_LIMIT, "preserve_insertion_order": False,
                                     "temp_directory": spill})  # never the working directory's .tmp
        try:
            return _run(con, profile, tables, timezone, lang, reports)
        finally:
            con.close()


def _run(con: duckdb.DuckDBPyConnection, profile: Profile, tables: dict[str, list[tuple[str, pa.Table, pa.Array]]],
         timezone: str, lang: str, reports: dict[str, TableReport]) -> Extracted:
    _do(con, "SET TimeZone = 'UTC'")
    codes = pd.DataFrame({"code": list(profile.categories)})
    con.register("cats", codes)
    known = "(SELECT code FROM cats)"
    spec = profile.tables
    vbfa = _table(con, "VBFA", tables["VBFA"], spec["VBFA"].required + spec["VBFA"].optional)
    ts, no_time = _local_time(vbfa, "ERDAT", "ERZET", timezone)
    value = _amount("RFWRT") if "RFWRT" in vbfa else "NULL"
    minus = f"CASE WHEN {_text('PLMIN')} = '-' AND {value} > 0 THEN -1 ELSE 1 END" if "PLMIN" in vbfa else "1"
    _checked(con, "VBFA", vbfa, ["VBELV", "VBELN", "VBTYP_N", "VBTYP_V"], [
        ("unknown_category", f"{_text('VBTYP_N')} NOT IN {known} OR {_text('VBTYP_V')} NOT IN {known}"),
        ("bad_date", f"{_text('ERDAT')} IS NULL OR {_text('ERDAT')} = '00000000' OR {ts} IS NULL"),
    ], select=f"""{_alpha('VBELV', 10)} AS prev, {_text('VBTYP_V')} AS prev_cat,
               {_alpha('VBELN', 10)} AS doc, {_text('VBTYP_N')} AS cat, {ts} AS created,
               {_col(vbfa, 'RFMNG', _amount('RFMNG'))} AS qty, {value} * {minus} AS value,
               {_col(vbfa, 'WAERS', _text('WAERS'))} AS currency, {no_time} AS _no_time""")
    _account(con, "VBFA", reports["VBFA"], {"date_without_time": "_no_time"})
    _do(con, "CREATE TEMP VIEW flow AS SELECT * FROM chk_VBFA WHERE _reason IS NULL")
    headers = _headers(con, profile, tables, timezone, reports)
    return _assemble(con, profile, lang, headers)


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


def _headers(con: duckdb.DuckDBPyConnection, profile: Profile, tables: dict[str, list[tuple[str, pa.Table,
             pa.Array]]], tz: str, reports: dict[str, TableReport]) -> list[str]:
    """``hdr``: one row per document from the header tables given (doc, cat, created, user, attributes)."""
    selects = []
    for name, attrs in _HEADER_COLUMNS.items():
        if name not in tables:
            continue
        spec = profile.tables[name]
        present = _table(con, name, tables[name], spec.required + spec.optional)
        date_col = "ERDAT" if "ERDAT" in present else "FKDAT"
        ts, no_time = _local_time(present, date_col, "ERZET", tz)
        cat = _col(present, "VBTYP", _text("VBTYP"))
        _checked(con, name, present, ["VBELN"], [
            ("unknown_category", f"{cat} IS NOT NULL AND {cat} NOT IN (SELECT code FROM cats)"),
            ("bad_date", f"{_text(date_col)} IS NULL OR {_text(date_col)} = '00000000' OR {ts} IS NULL"),
        ])
        _do(con, f"""
            UPDATE chk_{name} SET _reason = 'duplicate_document' WHERE _reason IS NULL AND (_src, _row) IN (
                SELECT (_src, _row) FROM (
                    SELECT _src, _row, row_number() OVER (PARTITION BY {_alpha('VBELN', 10)} ORDER BY _src, _row) AS k
                    FROM chk_{name} WHERE _reason IS NULL) WHERE k > 1)""")
        _account(con, name, reports[name], {"date_without_time": no_time})
        cols = []
        for attr, col in attrs.items():
            expr = _text(col)
            if attr in _DATE_ATTRS:
                expr = f"CAST(try_strptime(nullif({expr}, '00000000'), '%Y%m%d') AS DATE)::VARCHAR"
            elif attr == "net_value":
                expr = _amount(col)
            cols.append(f"{_col(present, col, expr)} AS {attr}")
        selects.append((name, f"""
            SELECT {_alpha('VBELN', 10)} AS doc, coalesce({cat}, '{_DEFAULT_CAT[name]}') AS cat, {ts} AS created,
                   '{name}' AS header, {', '.join(cols)}
            FROM chk_{name} WHERE _reason IS NULL"""))
    if "VBAP" in tables:
        _items(con, profile, tables, reports)
    if not selects:
        _do(con, "CREATE TEMP TABLE hdr (doc VARCHAR, cat VARCHAR, created TIMESTAMP, header VARCHAR)")
        return []
    # one relation of all header attributes: columns a table lacks are NULL
    names = sorted({a for t, _ in selects for a in _HEADER_COLUMNS[t]})
    union = " UNION ALL BY NAME ".join(sql for _, sql in selects)
    _do(con, f"CREATE TEMP TABLE hdr AS SELECT doc, cat, created, header, {', '.join(names)} FROM ({union})")
    return names


def _items(con: duckdb.DuckDBPyConnection, profile: Profile, tables: dict[str, list[tuple[str, pa.Table, pa.Array]]],
           reports: dict[str, TableReport]) -> None:
    spec = profile.tables["VBAP"]
    present = _table(con, "VBAP", tables["VBAP"], spec.required + spec.optional)
    header = (f"{_alpha('VBELN', 10)} NOT IN (SELECT {_alpha('VBELN', 10)} FROM chk_VBAK WHERE _reason IS NULL)"
              if "VBAK" in tables else "FALSE")
    _checked(con, "VBAP", present, ["VBELN", "POSNR"], [("item_without_header", header)])
    _account(con, "VBAP", reports["VBAP"], {})
    _do(con, f"""CREATE TEMP TABLE items AS SELECT {_alpha('VBELN', 10)} AS doc, count(*) AS items
                    FROM chk_VBAP WHERE _reason IS NULL GROUP BY ALL""")


def _assemble(con: duckdb.DuckDBPyConnection, profile: Profile, lang: str, attrs: list[str]) -> Extracted:
    notes: list[str] = []
    con.register("names", pd.DataFrame([{"code": c, "type": profile.type_name(c, lang),
                                         "activity": profile.activity(c, lang)} for c in profile.categories]))
    # documents: every number seen, its category (VBFA first, then its header), its creation time
    _do(con, """
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
    _do(con, f"""
        CREATE TEMP TABLE docs AS
        SELECT coalesce(v.doc, h.doc) AS doc, coalesce(v.cat, h.cat) AS cat,
               coalesce(h.created, v.created) AS created, v.quantity, v.value, v.currency AS flow_currency,
               h.header{attr_sel}{', i.items' if has_items else ''}
        FROM vb_docs v FULL JOIN hdr h ON v.doc = h.doc
        {'LEFT JOIN items i ON i.doc = coalesce(v.doc, h.doc)' if has_items else ''}""")
    undated = con.execute("SELECT cat, count(*) FROM docs WHERE created IS NULL GROUP BY ALL ORDER BY 1").fetchall()
    if undated:
        what = ", ".join(f"{n:,} {profile.type_name(c, 'en')}" for c, n in undated)
        notes.append(f"{what}: no creation time (they precede every link in VBFA and their header table was not "
                     "given); they are objects without a creation event")
    _do(con, "CREATE TEMP TABLE links AS SELECT DISTINCT doc AS next, prev FROM flow")
    _do(con, """
        CREATE TEMP TABLE anc AS
        WITH RECURSIVE a(doc, ancestor, depth) AS (
            SELECT next, prev, 1 FROM links
            UNION SELECT a.doc, l.prev, a.depth + 1 FROM a JOIN links l ON l.next = a.ancestor WHERE a.depth < 12)
        SELECT DISTINCT doc, ancestor FROM a WHERE doc <> ancestor""")
    pre = ", ".join(f"'{c}'" for c in profile.precedes) or "NULL"
    sales = ", ".join(f"'{c}'" for c in profile.sales) or "NULL"
    objects = _frame(con, f"""
        SELECT d.doc AS "ocel:oid", n.type AS "ocel:type", d.cat AS category, d.quantity, d.value,
               coalesce(d.flow_currency{', d.currency' if 'currency' in attrs else ''}) AS document_currency
               {''.join(f', d.{a}' for a in attrs if a not in ('user', 'currency'))}
               {', d.items' if has_items else ''}
        FROM docs d JOIN names n ON n.code = d.cat ORDER BY d.doc""")
    events = _frame(con, f"""
        SELECT 'create:' || d.doc AS "ocel:eid", n.activity AS "ocel:activity",
               d.created AS "ocel:timestamp"{', d.user' if 'user' in attrs else ''}
        FROM docs d JOIN names n ON n.code = d.cat WHERE d.created IS NOT NULL
        ORDER BY d.created, d.doc""")
    # pm4py's relations table: each relation with its event's activity and time and its object's type
    e2o = _frame(con, f"""
        WITH typed AS (SELECT d.doc, d.cat, d.created, n.type, n.activity FROM docs d JOIN names n ON n.code = d.cat),
        rel AS (
            SELECT doc AS eid_doc, doc AS oid, 'creates' AS q FROM typed WHERE created IS NOT NULL
            UNION ALL
            SELECT a.doc, a.ancestor, 'references' FROM anc a JOIN typed d ON d.doc = a.doc WHERE d.created IS NOT NULL
            UNION ALL
            SELECT a.ancestor, a.doc, 'precedes' FROM anc a JOIN typed p ON p.doc = a.ancestor
            JOIN typed s ON s.doc = a.doc
            WHERE p.created IS NOT NULL AND p.cat IN ({pre}) AND s.cat IN ({sales}))
        SELECT 'create:' || r.eid_doc AS "ocel:eid", e.activity AS "ocel:activity", e.created AS "ocel:timestamp",
               r.oid AS "ocel:oid", o.type AS "ocel:type", r.q AS "ocel:qualifier"
        FROM rel r JOIN typed e ON e.doc = r.eid_doc JOIN typed o ON o.doc = r.oid
        ORDER BY e.created, r.eid_doc, r.oid""")
    o2o = _frame(con, """SELECT next AS "ocel:oid", prev AS "ocel:oid_2", 'follows' AS "ocel:qualifier"
                         FROM links ORDER BY 1, 2""")
    quarantine = _quarantine(con)
    return Extracted(objects=objects, events=events, e2o=e2o, o2o=o2o, quarantine=quarantine, notes=notes)


def _frame(con: duckdb.DuckDBPyConnection, sql: str) -> pd.DataFrame:
    """A query's result as pandas through Arrow (text as pandas' Arrow-backed ``str``, no Python objects)."""
    return con.sql(sql).arrow().read_all().to_pandas()


def _quarantine(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    names = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE table_name LIKE 'chk_%'"
                                       ).fetchall()]
    parts: list[Any] = []
    for t in names:
        parts.append(con.execute(f"""SELECT '{t[4:]}' AS "table", _src AS source, _row AS "row", _reason AS reason
                                     FROM chk_{t[4:]} WHERE _reason IS NOT NULL""").df())
    if not parts:
        return pd.DataFrame(columns=["table", "source", "row", "reason"])
    return pd.concat(parts, ignore_index=True).sort_values(["table", "source", "row"], ignore_index=True)
