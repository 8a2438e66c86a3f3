"""KPI history in an embedded DuckDB database inside the store (``STORE/monitor.duckdb``).

One row per (process, KPI, period) in ``kpi_history``; one row per evaluation in ``kpi_runs``
(process, store version, configuration hash). Updating is **idempotent** (the same store version
and configuration change nothing and are not recomputed: :func:`is_current`) and **incremental** (a
new extract upserts only the periods whose figures changed or are new; a row keeps the store version
that first wrote it and the one that last changed it, and periods are never deleted).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from flowmine.monitor._kpi import PERIOD_COLUMNS

FILE = "monitor.duckdb"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS kpi_history (
    process VARCHAR NOT NULL, kpi VARCHAR NOT NULL, period TIMESTAMPTZ NOT NULL, period_end TIMESTAMPTZ,
    complete BOOLEAN, value DOUBLE, numerator DOUBLE, cases BIGINT, target DOUBLE, direction VARCHAR,
    kind VARCHAR, unit VARCHAR, first_version INTEGER, version INTEGER, updated_at TIMESTAMPTZ,
    PRIMARY KEY (process, kpi, period));
CREATE TABLE IF NOT EXISTS kpi_runs (
    process VARCHAR NOT NULL, version INTEGER NOT NULL, config VARCHAR NOT NULL, run_at TIMESTAMPTZ,
    inserted INTEGER, updated INTEGER, PRIMARY KEY (process, version, config));
"""
_COMPARED = ("period_end", "complete", "value", "numerator", "cases", "target", "direction", "kind", "unit")


def history_path(store_path: str | Path) -> Path:
    """Where the history database of a store lives."""
    return Path(store_path) / FILE


def _connect(store_path: str | Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    path = history_path(store_path)
    if read_only and not path.exists():
        con = duckdb.connect(":memory:")  # nothing stored yet: an empty history
        read_only = False
    else:
        con = duckdb.connect(str(path), read_only=read_only)
    con.execute("SET TimeZone = 'UTC'")
    if not read_only:
        con.execute(_SCHEMA)
    return con


def is_current(store_path: str | Path, process: str, version: int, config: str) -> bool:
    """Whether the history already holds this store version evaluated with this configuration."""
    if not history_path(store_path).exists():
        return False
    with _connect(store_path, read_only=True) as con:
        row = con.execute("SELECT count(*) FROM kpi_runs WHERE process = ? AND version = ? AND config = ?",
                          [process, version, config]).fetchone()
    return bool(row and row[0])


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return (a != a and b != b) or abs(a - b) <= 1e-12 * max(1.0, abs(a), abs(b))
    if pd.isna(a) and pd.isna(b):
        return True
    return bool(a == b)


def update(store_path: str | Path, process: str, version: int, config: str, periods: pd.DataFrame
           ) -> dict[str, int]:
    """Upsert the KPI values of one evaluation; returns how many rows were inserted and updated."""
    now = datetime.now(UTC)
    inserted = updated = 0
    with _connect(store_path) as con:
        old = con.execute("SELECT * FROM kpi_history WHERE process = ?", [process]).df()
        known = {(r["kpi"], pd.Timestamp(r["period"]).tz_convert("UTC")): r for r in old.to_dict("records")}
        con.execute("BEGIN TRANSACTION")
        for r in periods.to_dict("records"):
            key = (r["kpi"], pd.Timestamp(r["period"]))
            vals = [r[c] for c in _COMPARED]
            prev = known.get(key)
            if prev is None:
                con.execute("INSERT INTO kpi_history VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            [process, r["kpi"], r["period"], *vals, version, version, now])
                inserted += 1
            elif not all(_same(_py(prev[c]), _py(v)) for c, v in zip(_COMPARED, vals, strict=True)):
                con.execute("UPDATE kpi_history SET period_end = ?, complete = ?, value = ?, numerator = ?, "
                            "cases = ?, target = ?, direction = ?, kind = ?, unit = ?, version = ?, updated_at = ? "
                            "WHERE process = ? AND kpi = ? AND period = ?",
                            [*vals, version, now, process, r["kpi"], r["period"]])
                updated += 1
        con.execute("INSERT OR REPLACE INTO kpi_runs VALUES (?, ?, ?, ?, ?, ?)",
                    [process, version, config, now, inserted, updated])
        con.execute("COMMIT")
    return {"inserted": inserted, "updated": updated}


def _py(v: Any) -> Any:
    if isinstance(v, pd.Timestamp):
        return v.tz_convert("UTC") if v.tzinfo else v.tz_localize("UTC")
    if hasattr(v, "item"):
        return v.item()
    return v


def read(store_path: str | Path, process: str, kpi: str | None = None) -> pd.DataFrame:
    """The stored history of a process (optionally one KPI), ordered by KPI and period."""
    with _connect(store_path, read_only=True) as con:
        sql = "SELECT * FROM kpi_history WHERE process = ?" + (" AND kpi = ?" if kpi else "")
        frame = con.execute(sql + " ORDER BY kpi, period", [process, kpi] if kpi else [process]).df()
    for col in ("period", "period_end"):
        if len(frame):
            frame[col] = pd.to_datetime(frame[col], utc=True)
    return frame


def runs(store_path: str | Path, process: str | None = None) -> pd.DataFrame:
    """The evaluations recorded in the history (one per store version and configuration)."""
    with _connect(store_path, read_only=True) as con:
        sql = "SELECT * FROM kpi_runs" + (" WHERE process = ?" if process else "") + " ORDER BY run_at"
        return con.execute(sql, [process] if process else []).df()


__all__ = ["FILE", "PERIOD_COLUMNS", "history_path", "is_current", "read", "runs", "update"]
