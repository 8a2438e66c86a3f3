"""The SQL every extraction profile shares: table registration, row checks and their accounting, and the
documents-and-links model turned into OCEL frames.

A profile builds, in one DuckDB connection, ``docs`` (one row per document: ``doc``, ``cat``, ``created``,
optional ``user`` and attributes), ``names`` (``code`` -> object ``type`` and creation ``activity``), ``links``
(``next`` -> ``prev``: a document and the one it was created from) and optionally ``steps`` (further events
of a document: ``eid``, ``doc``, ``activity``, ``time``, optional ``user``); :func:`documents_to_ocel` turns them
into pm4py's frames. Every table a profile reads is registered as ``raw_<name>`` and checked into
``chk_<name>`` with a ``_reason`` per row, so that :func:`quarantine` lists every row not used.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from flowmine.extract._profile import Profile
from flowmine.extract._report import TableReport

#: The files of each profile table: (source name, Arrow table, row numbers as the file numbers them).
Tables = dict[str, list[tuple[str, pa.Table, pa.Array]]]
#: DuckDB's working memory for one extraction (it spills sorts and joins to its temporary folder beyond it).
MEMORY_LIMIT = "1500MB"


@contextlib.contextmanager
def connection() -> Iterator[duckdb.DuckDBPyConnection]:
    """A DuckDB connection bounded to :data:`MEMORY_LIMIT`, spilling into a private folder (never the
    working directory's ``.tmp``), times in UTC."""
    with tempfile.TemporaryDirectory(prefix="flowmine-extract-") as spill:
        con = duckdb.connect(config={"memory_limit": MEMORY_LIMIT, "preserve_insertion_order": False,
                                     "temp_directory": spill})
        try:
            run_sql(con, "SET TimeZone = 'UTC'")
            yield con
        finally:
            con.close()


@dataclass
class Extracted:
    """Documents, links and events as frames, before they become an OCEL."""

    objects: pd.DataFrame  # ocel:oid, ocel:type, attributes
    events: pd.DataFrame  # ocel:eid, ocel:activity, ocel:timestamp (UTC, naive), attributes
    e2o: pd.DataFrame  # ocel:eid, ocel:oid, ocel:qualifier
    o2o: pd.DataFrame  # ocel:oid, ocel:oid_2, ocel:qualifier
    quarantine: pd.DataFrame  # table, source, row, reason, detail
    notes: list[str]


def run_sql(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    """Run a statement to its end (DuckDB keeps a result pending until it is fetched)."""
    con.execute(sql).fetchall()


def text(col: str) -> str:
    return f"nullif(trim(CAST(\"{col}\" AS VARCHAR)), '')"


def alpha(col: str, width: int) -> str:
    """SAP's ALPHA conversion: digits only -> left-padded with zeros to the field's width."""
    t = text(col)
    return f"CASE WHEN regexp_full_match({t}, '[0-9]+') THEN lpad({t}, {width}, '0') ELSE {t} END"


def amount(col: str) -> str:
    """An SAP amount as a number: ``1,234.50`` or ``1234.50-`` (trailing minus)."""
    t = f"replace({text(col)}, ',', '')"
    return (f"CASE WHEN {t} LIKE '%-' THEN -TRY_CAST(rtrim({t}, '-') AS DOUBLE) "
            f"ELSE TRY_CAST({t} AS DOUBLE) END")


def col_or(present: set[str], col: str, expr: str, default: str = "NULL") -> str:
    return expr if col in present else default


def local_time(present: set[str], date: str, time: str | None, tz: str) -> tuple[str, str]:
    """(UTC timestamp expression, date-without-time condition) for a date column and its time column."""
    d = text(date)
    t = text(time) if time and time in present else "NULL"
    naive = f"try_strptime({d} || coalesce({t}, '000000'), '%Y%m%d%H%M%S')"
    return (f"timezone('UTC', timezone('{tz}', {naive}))", f"({t} IS NULL)")


def register(con: duckdb.DuckDBPyConnection, name: str, parts: list[tuple[str, pa.Table, pa.Array]],
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


def checked(con: duckdb.DuckDBPyConnection, name: str, present: set[str], keys: list[str], checks: list[tuple[str,
             str]], select: str = "* EXCLUDE (_src, _row)") -> None:
    """``chk_<name>``: ``_src``, ``_row``, the ``select`` expressions over the raw row, and ``_reason`` (the
    first failed check, or ``duplicate_row`` for a row equal to an earlier one in every column: grouped by a
    hash of all columns together with the keys themselves, so that two different rows never meet)."""
    missing = " OR ".join(f"{text(k)} IS NULL" for k in keys)
    cases = [f"WHEN {missing} THEN 'missing_key'"] + [f"WHEN {cond} THEN '{reason}'" for reason, cond in checks]
    every = ", ".join(f'"{c}"' for c in sorted(present))
    key_cols = ", ".join(f'"{k}"' for k in keys)
    rank = f"row_number() OVER (PARTITION BY hash({every}), {key_cols} ORDER BY _src, _row) > 1"
    run_sql(con, f"""
        CREATE OR REPLACE TEMP TABLE chk_{name} AS
        SELECT _src, _row, {select}, CASE {' '.join(cases)} WHEN {rank} THEN 'duplicate_row' END AS _reason
        FROM raw_{name}""")


def account(con: duckdb.DuckDBPyConnection, name: str, rep: TableReport, flags: dict[str, str]) -> None:
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


def roles(profile: Profile, name: str) -> tuple[str, ...]:
    """The columns (roles) the profile reads from its table ``name``."""
    spec = profile.tables[name]
    return spec.required + spec.optional


def register_names(con: duckdb.DuckDBPyConnection, profile: Profile, lang: str) -> None:
    """``names``: each category code of the profile -> its object type and creation activity in ``lang``."""
    con.register("names", pa.table({
        "code": list(profile.categories), "type": [profile.type_name(c, lang) for c in profile.categories],
        "activity": [profile.activity(c, lang) for c in profile.categories]}))


def first_of_each(con: duckdb.DuckDBPyConnection, name: str, key: str = "doc") -> None:
    """A document listed twice in ``chk_<name>`` (same ``key``, other content) keeps its first row; the others
    are quarantined as ``duplicate_document``."""
    run_sql(con, f"""
        UPDATE chk_{name} SET _reason = 'duplicate_document' WHERE _reason IS NULL AND (_src, _row) IN (
            SELECT (_src, _row) FROM (SELECT _src, _row, row_number() OVER (PARTITION BY {key} ORDER BY _src, _row) k
                                      FROM chk_{name} WHERE _reason IS NULL) WHERE k > 1)""")


def _names(items: tuple[str, ...]) -> str:
    return ", ".join("'" + c.replace("'", "''") + "'" for c in items) or "NULL"


def documents_to_ocel(con: duckdb.DuckDBPyConnection, object_select: str, *, user: bool,
                      precedes: tuple[str, ...] = (), sales: tuple[str, ...] = (), steps: bool = False,
                      step_attributes: list[str] | tuple[str, ...] = (), notes: list[str] | None = None) -> Extracted:
    """The OCEL frames of ``docs``/``names``/``links`` (and ``steps``): one object per document (columns
    ``object_select`` over ``docs d``), one creation event per dated document plus the ``steps``, each
    event related to its document (``creates`` / ``concerns``) and every earlier document of its flow
    (``references``); a creation of a ``precedes`` category also concerns the ``sales`` documents after it.
    ``step_attributes``: columns of ``steps`` that become event attributes (null on the creation events)."""
    run_sql(con, """
        CREATE TEMP TABLE anc AS
        WITH RECURSIVE a(doc, ancestor, depth) AS (
            SELECT next, prev, 1 FROM links
            UNION SELECT a.doc, l.prev, a.depth + 1 FROM a JOIN links l ON l.next = a.ancestor WHERE a.depth < 12)
        SELECT DISTINCT doc, ancestor FROM a WHERE doc <> ancestor""")
    who = ", user" if user else ""
    extra = "".join(f', "{a}"' for a in step_attributes)
    more = (f"UNION ALL BY NAME SELECT eid, doc, activity, time{who}{extra}, 'concerns' AS own, FALSE AS creation "
            "FROM steps" if steps else "")
    run_sql(con, f"""
        CREATE TEMP TABLE ev AS
        SELECT 'create:' || d.doc AS eid, d.doc, n.activity, d.created AS time{', d.user' if user else ''},
               'creates' AS own, TRUE AS creation
        FROM docs d JOIN names n ON n.code = d.cat WHERE d.created IS NOT NULL {more}""")
    objects = frame(con, f"""
        SELECT d.doc AS "ocel:oid", n.type AS "ocel:type", {object_select}
        FROM docs d JOIN names n ON n.code = d.cat ORDER BY d.doc""")
    events = frame(con, f"""SELECT eid AS "ocel:eid", activity AS "ocel:activity", time AS "ocel:timestamp"{who}
                            {extra} FROM ev ORDER BY time, eid""")
    # pm4py's relations table: each relation with its event's activity and time and its object's type
    e2o = frame(con, f"""
        WITH typed AS (SELECT d.doc, d.cat, n.type FROM docs d JOIN names n ON n.code = d.cat),
        rel AS (
            SELECT eid, doc AS oid, own AS q FROM ev
            UNION ALL
            SELECT e.eid, a.ancestor, 'references' FROM ev e JOIN anc a ON a.doc = e.doc
            UNION ALL
            SELECT e.eid, a.doc, 'precedes' FROM ev e JOIN anc a ON a.ancestor = e.doc
            JOIN typed p ON p.doc = e.doc JOIN typed s ON s.doc = a.doc
            WHERE e.creation AND p.cat IN ({_names(precedes)}) AND s.cat IN ({_names(sales)}))
        SELECT r.eid AS "ocel:eid", e.activity AS "ocel:activity", e.time AS "ocel:timestamp",
               r.oid AS "ocel:oid", o.type AS "ocel:type", r.q AS "ocel:qualifier"
        FROM rel r JOIN ev e ON e.eid = r.eid JOIN typed o ON o.doc = r.oid
        ORDER BY e.time, r.eid, r.oid""")
    o2o = frame(con, """SELECT next AS "ocel:oid", prev AS "ocel:oid_2", 'follows' AS "ocel:qualifier"
                         FROM links ORDER BY 1, 2""")
    return Extracted(objects=objects, events=events, e2o=e2o, o2o=o2o, quarantine=quarantine(con),
                     notes=list(notes or []))


def frame(con: duckdb.DuckDBPyConnection, sql: str) -> pd.DataFrame:
    """A query's result as pandas through Arrow (text as pandas' Arrow-backed ``str``, no Python objects)."""
    return con.sql(sql).arrow().read_all().to_pandas()


def quarantine(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    names = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE table_name LIKE 'chk_%'"
                                       ).fetchall()]
    parts: list[Any] = []
    for t in names:
        parts.append(con.execute(f"""SELECT '{t[4:]}' AS "table", _src AS source, _row AS "row", _reason AS reason
                                     FROM chk_{t[4:]} WHERE _reason IS NOT NULL""").df())
    if not parts:
        return pd.DataFrame(columns=["table", "source", "row", "reason"])
    return pd.concat(parts, ignore_index=True).sort_values(["table", "source", "row"], ignore_index=True)
