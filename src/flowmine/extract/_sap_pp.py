"""The ``sap-pp`` profile: SAP PP/QM tables -> production orders, operations, inspection lots, decisions.

- AFKO: one object per production order (AUFNR) with its planned and actual basic dates and material; its
  release (FTRMI, a date) is the order's first event where given.
- AFRU: each confirmation of an operation (VORNR, its text LTXA1 or ``Operation <VORNR>``) gives a start event
  (ISDD + ISDZ) and a complete event (IEDD + IEDZ) carrying ``lifecycle:transition``, yield LMNGA, scrap XMNGA,
  the worker PERNR and the work centre ARBPL: flattened on the order and ingested, they fold into one activity
  instance with its service time. A reversal (STOKZ = 'X') and the confirmation it cancels (counter STZHL) are
  not operations: quarantined as ``reversal`` and ``reversed_confirmation``.
- QALS/QAVE: one object per inspection lot (PRUEFLOS) of an order, created on ENSTEHDAT; the usage decision
  (VDATUM + VEZEITERF, code VCODE: accepted or rejected by the code's meaning in your system) is its event.
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
    local_time,
    register,
    register_names,
    roles,
    run_sql,
    text,
)
from flowmine.extract._profile import Profile
from flowmine.extract._report import TableReport

_WORDS = {"en": ("Operation", "Usage decision"), "zh": ("工序", "使用决策")}


def _date(col: str) -> str:
    return f"CAST(try_strptime(nullif({text(col)}, '00000000'), '%Y%m%d') AS DATE)::VARCHAR"


def extract_sap_pp(con: duckdb.DuckDBPyConnection, profile: Profile, tables: Tables, tz: str, lang: str,
         reports: dict[str, TableReport]) -> Extracted:
    present = register(con, "AFKO", tables["AFKO"], roles(profile, "AFKO"))
    released, _ = local_time(present, "FTRMI", None, tz) if "FTRMI" in present else ("NULL", "")
    checked(con, "AFKO", present, ["AUFNR"], [], select=f"""
        {alpha('AUFNR', 12)} AS doc, 'PP' AS cat,
        CASE WHEN {col_or(present, 'FTRMI', text('FTRMI'))} IN ('', '00000000') THEN NULL ELSE {released} END
        AS created, NULL AS user, {_date('GSTRP')} AS planned_start, {_date('GLTRP')} AS planned_finish,
        {col_or(present, 'GSTRI', _date('GSTRI'))} AS actual_start,
        {col_or(present, 'GLTRI', _date('GLTRI'))} AS actual_finish,
        {col_or(present, 'PLNBEZ', text('PLNBEZ'))} AS material, {col_or(present, 'GAMNG', amount('GAMNG'))}
        AS planned_quantity""")
    account(con, "AFKO", reports["AFKO"], {})
    order = "SELECT * EXCLUDE (_src, _row, _reason) FROM chk_AFKO WHERE _reason IS NULL"
    if "AFPO" in tables:
        _items(con, profile, tables, reports)
        order = f"""SELECT o.*, i.order_items, i.quantity, i.delivered FROM ({order}) o
                    LEFT JOIN order_items i ON i.doc = o.doc"""
    parts = [order]
    steps = []
    op, decision = _WORDS[lang]
    if "AFRU" in tables:
        steps.append(_confirmations(con, profile, tables, tz, op, reports))
    links = []
    if "QALS" in tables:
        parts.append(_lots(con, profile, tables, tz, reports))
        links.append("SELECT doc AS next, aufnr AS prev FROM lots WHERE aufnr IN (SELECT doc FROM chk_AFKO)")
        if "QAVE" in tables:
            steps.append(_decisions(con, profile, tables, tz, decision, reports))
    run_sql(con, f"CREATE TEMP TABLE docs AS {' UNION ALL BY NAME '.join(parts)}")
    run_sql(con, "CREATE TEMP TABLE links AS " + (" UNION ".join(links) if links else
                                                  "SELECT NULL::VARCHAR AS next, NULL::VARCHAR AS prev WHERE FALSE"))
    if steps:
        run_sql(con, f"CREATE TEMP TABLE steps AS {' UNION ALL BY NAME '.join(steps)}")
    register_names(con, profile, lang)
    cols = [r[0] for r in con.execute("SELECT column_name FROM duckdb_columns() WHERE table_name = 'docs'"
                                      ).fetchall()]
    attrs = [c for c in cols if c not in ("doc", "cat", "created", "user")]
    step_cols = [r[0] for r in con.execute("SELECT column_name FROM duckdb_columns() WHERE table_name = 'steps'"
                                           ).fetchall()]
    extra = [c for c in step_cols if c not in ("eid", "doc", "activity", "time", "user")]
    return documents_to_ocel(con, ", ".join(["d.cat AS category", *(f"d.{a}" for a in attrs)]), user=True,
                             steps=bool(steps), step_attributes=extra)


def _items(con: duckdb.DuckDBPyConnection, profile: Profile, tables: Tables,
           reports: dict[str, TableReport]) -> None:
    present = register(con, "AFPO", tables["AFPO"], roles(profile, "AFPO"))
    checked(con, "AFPO", present, ["AUFNR", "POSNR"], [
        ("item_without_header", f"{alpha('AUFNR', 12)} NOT IN (SELECT doc FROM chk_AFKO WHERE _reason IS NULL)")],
        select=f"""{alpha('AUFNR', 12)} AS doc, {amount('PSMNG')} AS quantity,
                   {col_or(present, 'WEMNG', amount('WEMNG'))} AS delivered""")
    account(con, "AFPO", reports["AFPO"], {})
    run_sql(con, """CREATE TEMP TABLE order_items AS SELECT doc, count(*) AS order_items, sum(quantity) AS quantity,
                    sum(delivered) AS delivered FROM chk_AFPO WHERE _reason IS NULL GROUP BY doc""")


def _confirmations(con: duckdb.DuckDBPyConnection, profile: Profile, tables: Tables, tz: str, op: str,
                   reports: dict[str, TableReport]) -> str:
    present = register(con, "AFRU", tables["AFRU"], roles(profile, "AFRU"))
    start, _ = local_time(present, "ISDD", "ISDZ", tz)
    finish, _ = local_time(present, "IEDD", "IEDZ", tz)
    stokz = col_or(present, "STOKZ", text("STOKZ"))
    stzhl = col_or(present, "STZHL", text("STZHL"))
    cancelled = (f"({text('RUECK')}, {text('RMZHL')}) IN (SELECT ({text('RUECK')}, {stzhl}) FROM raw_AFRU "
                 f"WHERE {stokz} = 'X')") if "STZHL" in present else "FALSE"
    checked(con, "AFRU", present, ["RUECK", "RMZHL", "AUFNR", "VORNR"], [
        ("reversal", f"coalesce({stokz}, '') = 'X'"),
        ("reversed_confirmation", cancelled),
        ("order_not_in_export", f"{alpha('AUFNR', 12)} NOT IN (SELECT doc FROM chk_AFKO WHERE _reason IS NULL)"),
        ("bad_date", f"{start} IS NULL OR {finish} IS NULL"),
        ("finish_before_start", f"{finish} < {start}")], select=f"""
        {alpha('AUFNR', 12)} AS doc, {text('RUECK')} || '/' || {text('RMZHL')} AS confirmation,
        coalesce({col_or(present, 'LTXA1', text('LTXA1'))}, '{op} ' || {text('VORNR')}) AS activity,
        {start} AS start, {finish} AS finish, {col_or(present, 'LMNGA', amount('LMNGA'))} AS yield,
        {col_or(present, 'XMNGA', amount('XMNGA'))} AS scrap,
        coalesce({col_or(present, 'PERNR', text('PERNR'))}, {col_or(present, 'ERNAM', text('ERNAM'))}) AS user,
        {col_or(present, 'ARBPL', text('ARBPL'))} AS work_centre""")
    account(con, "AFRU", reports["AFRU"], {})
    return """
        SELECT 'start:' || confirmation AS eid, doc, activity, start AS time, user, 'start' AS "lifecycle:transition",
               NULL::DOUBLE AS yield, NULL::DOUBLE AS scrap, work_centre FROM chk_AFRU WHERE _reason IS NULL
        UNION ALL
        SELECT 'complete:' || confirmation, doc, activity, finish, user, 'complete', yield, scrap, work_centre
        FROM chk_AFRU WHERE _reason IS NULL"""


def _lots(con: duckdb.DuckDBPyConnection, profile: Profile, tables: Tables, tz: str,
          reports: dict[str, TableReport]) -> str:
    present = register(con, "QALS", tables["QALS"], roles(profile, "QALS"))
    ts, no_time = local_time(present, "ENSTEHDAT", "ENTSTEZEIT", tz)
    checked(con, "QALS", present, ["PRUEFLOS", "AUFNR"], [("bad_date", f"{ts} IS NULL")], select=f"""
        {alpha('PRUEFLOS', 12)} AS doc, {alpha('AUFNR', 12)} AS aufnr, {ts} AS created, {no_time} AS _no_time,
        {col_or(present, 'ERSTELLER', text('ERSTELLER'))} AS user,
        {col_or(present, 'LOSMENGE', amount('LOSMENGE'))} AS lot_quantity""")
    account(con, "QALS", reports["QALS"], {"date_without_time": "_no_time"})
    run_sql(con, "CREATE TEMP TABLE lots AS SELECT * FROM chk_QALS WHERE _reason IS NULL")
    return "SELECT doc, 'QL' AS cat, created, user, lot_quantity FROM lots"


def _decisions(con: duckdb.DuckDBPyConnection, profile: Profile, tables: Tables, tz: str, word: str,
               reports: dict[str, TableReport]) -> str:
    present = register(con, "QAVE", tables["QAVE"], roles(profile, "QAVE"))
    ts, no_time = local_time(present, "VDATUM", "VEZEITERF", tz)
    checked(con, "QAVE", present, ["PRUEFLOS", "VCODE"], [
        ("lot_not_in_export", f"{alpha('PRUEFLOS', 12)} NOT IN (SELECT doc FROM lots)"),
        ("bad_date", f"{ts} IS NULL")], select=f"""
        {alpha('PRUEFLOS', 12)} AS doc, {ts} AS time, {no_time} AS _no_time, {text('VCODE')} AS decision,
        {col_or(present, 'VNAME', text('VNAME'))} AS user""")
    account(con, "QAVE", reports["QAVE"], {"date_without_time": "_no_time"})
    return f"""SELECT 'decision:' || doc || ':' || _row AS eid, doc, '{word}' AS activity, time, user, decision
               FROM chk_QAVE WHERE _reason IS NULL"""
