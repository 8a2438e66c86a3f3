"""The ``links`` profile: a documents table and a source -> target link table, from any ERP.

Kingdee K/3 Cloud keeps the links of a document in its ``*_LK`` tables (``FSBILLID``: the source bill's
internal id; the row's ``FID``: the bill made from it); Yonyou keeps source-document fields on the
document (``csourceid``, ``cfirstid``). Both reduce to documents plus ``from -> to`` pairs, which this
profile reads with the column aliases of ``profiles/links.toml`` (and the names given in ``columns``).

Dates are read as Chinese exports write them: ``2024年3月5日``, ``2024/3/5 14:05:06``, ``2024-03-05``;
a two-digit year (``22/1/1``) is never guessed (quarantined as ``ambiguous_date``).
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from flowmine.errors import UnusableInputError
from flowmine.extract._core import (
    Extracted,
    Tables,
    account,
    checked,
    documents_to_ocel,
    first_of_each,
    run_sql,
    text,
)
from flowmine.extract._profile import Profile, TableSpec
from flowmine.extract._report import TableReport

_FORMATS = "['%Y-%m-%d %H:%M:%S', '%Y-%m-%d %H:%M', '%Y-%m-%dT%H:%M:%S', '%Y-%m-%d']"


def _iso(col: str) -> str:
    """``2024年3月5日 10:11`` / ``2024/3/5`` -> ``2024-3-5 10:11`` / ``2024-3-5`` (text)."""
    t = text(col)
    return (f"regexp_replace(regexp_replace({t}, '(\\d{{4}})\\s*年\\s*(\\d{{1,2}})\\s*月\\s*(\\d{{1,2}})\\s*日', "
            f"'\\1-\\2-\\3'), '/', '-', 'g')")


def _time(col: str, tz: str) -> tuple[str, str, str]:
    """(UTC timestamp, two-digit-year condition, date-without-time condition) of a date column."""
    iso = _iso(col)
    naive = f"CASE WHEN regexp_matches({iso}, '^\\d{{4}}-') THEN try_strptime({iso}, {_FORMATS}) END"
    return (f"timezone('UTC', timezone('{tz}', {naive}))", f"regexp_matches({iso}, '^\\d{{1,2}}-\\d')",
            f"NOT regexp_matches({iso}, ':')")


def _roles(spec: TableSpec, parts: list[tuple[str, pa.Table, pa.Array]]) -> pa.Table:
    """The table's files with their columns renamed to the profile's roles, plus ``_src`` and ``_row``."""
    out = []
    for source, table, rows in parts:
        have = set(table.column_names)
        found = spec.resolve(have)
        missing = [r for r in spec.required if found.get(r) not in have]
        if missing:
            raise UnusableInputError(source, f"the {spec.name} table has no column for {', '.join(missing)} "
                                     f"(expected one of {', '.join(spec.names(missing[0])[:6])})")
        cols = {r: table.column(c).cast(pa.string()) for r, c in found.items() if c in have}
        cols["_src"] = pa.array([source] * table.num_rows, pa.string())
        cols["_row"] = rows.cast(pa.int64())
        out.append(pa.table(cols))
    return pa.concat_tables(out, promote_options="default")


def extract_links(con: duckdb.DuckDBPyConnection, profile: Profile, tables: Tables, timezone: str, lang: str,
                  reports: dict[str, TableReport]) -> Extracted:
    """``profile`` carries the user's column names already (:func:`flowmine.extract._profile.with_columns`)."""
    docs = _roles(profile.tables["documents"], tables["documents"])
    con.register("raw_documents", docs)
    present = set(docs.column_names) - {"_src", "_row"}
    created, two_digit, no_time = _time("created", timezone)
    approved = ""
    if "approved" in present:
        when, _two, date_only = _time("approved", timezone)
        given = f"{text('approved')} IS NOT NULL"
        approved = (f", {when} AS approved, ({given} AND {date_only}) AS _approved_no_time, "
                    f"({given} AND {when} IS NULL) AS _approved_unread")
    checked(con, "documents", present, ["id", "type"], [
        ("ambiguous_date", two_digit), ("bad_date", f"{text('created')} IS NULL OR {created} IS NULL")],
        select=f"""{text('id')} AS doc, {text('type')} AS cat, {created} AS created, {no_time} AS _no_time
                   {', ' + text('user') + ' AS user' if 'user' in present else ''}
                   {', ' + text('number') + ' AS number' if 'number' in present else ''}
                   {', TRY_CAST(replace(' + text('amount') + ", ',', '') AS DOUBLE) AS amount"
                    if 'amount' in present else ''}
                   {approved}""")
    first_of_each(con, "documents")
    flags = {"date_without_time": "_no_time"}
    if "approved" in present:  # a date-only approval reads as midnight: before a creation of the same day
        flags["approval_date_without_time"] = "_approved_no_time"
        flags["approval_date_unreadable"] = "_approved_unread"  # the document is used, without its approval
    account(con, "documents", reports["documents"], flags)
    run_sql(con, "CREATE TEMP TABLE docs AS SELECT * FROM chk_documents WHERE _reason IS NULL")
    names = [c for c, in con.execute("SELECT DISTINCT cat FROM docs ORDER BY 1").fetchall()]
    create, approve = ("创建{}", "审核{}") if lang == "zh" else ("Create {}", "Approve {}")
    con.register("names", pa.table({"code": names, "type": names,
                                    "activity": [create.format(n) for n in names]}))
    steps = "approved" in present
    if steps:
        before, after = approve.split("{}")
        run_sql(con, f"""CREATE TEMP TABLE steps AS
            SELECT 'approve:' || doc AS eid, doc, '{before}' || cat || '{after}' AS activity,
                   approved AS time{', NULL AS user' if 'user' in present else ''}
            FROM docs WHERE approved IS NOT NULL""")  # the approver is not the creator: no user
    _links(con, profile, tables, reports)
    attrs = [a for a in ("number", "amount") if a in present]
    object_select = ", ".join(["d.cat AS document_type", *(f"d.{a}" for a in attrs)])
    return documents_to_ocel(con, object_select, user="user" in present, steps=steps,
                             precedes=profile.precedes, sales=profile.sales)


def _links(con: duckdb.DuckDBPyConnection, profile: Profile, tables: Tables, reports: dict[str, TableReport]) -> None:
    if "links" not in tables:
        run_sql(con, "CREATE TEMP TABLE links (next VARCHAR, prev VARCHAR)")
        return
    links = _roles(profile.tables["links"], tables["links"])
    con.register("raw_links", links)
    known = "(SELECT doc FROM docs)"
    checked(con, "links", {"from", "to"}, ["from", "to"], [
        ("unknown_document", f"{text('from')} NOT IN {known} OR {text('to')} NOT IN {known}"),
        ("self_link", f"{text('from')} = {text('to')}")],
        select=f"{text('to')} AS next, {text('from')} AS prev")
    account(con, "links", reports["links"], {})
    run_sql(con, "CREATE TEMP TABLE links AS SELECT DISTINCT next, prev FROM chk_links WHERE _reason IS NULL")
