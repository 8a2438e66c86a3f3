"""Tests of the XES writer: round trip through flowmine's reader and pm4py, escaping, atomicity."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from flowmine._schema import (
    ACTIVITY,
    CASE,
    EVENT_ID,
    LIFECYCLE,
    RESOURCE,
    SOURCE,
    SOURCE_ROW,
    START,
    TIMESTAMP,
)
from flowmine.export import write_xes
from flowmine.ingest._xes import read_xes


def _frame() -> pd.DataFrame:
    ts = ["2024-03-01T09:30:00.123Z", "2024-03-01T10:00:00.123456Z", "2024-03-02T08:00:00Z"]
    return pd.DataFrame({
        CASE: ["c1", "c1", "c2"],
        ACTIVITY: ["登记", "<script>alert(1)</script>", "a\x01b\tc\nd & \"q\""],
        TIMESTAMP: pd.to_datetime(ts, utc=True, format="ISO8601"),
        START: pd.to_datetime([None, "2024-03-01T09:45:00Z", None], utc=True),
        RESOURCE: ["Ann", None, "Bob"],
        "cost:total": [1.5, np.nan, 2.0],
        "n": pd.array([1, None, 3], dtype="Int64"),
        "flag": [True, False, True],
        EVENT_ID: [0, 1, 2], SOURCE: ["x.csv"] * 3, SOURCE_ROW: [2, 3, 4],
        "case:region": ["N", "N", "S"], "case:prio": [1, 1, 2],
    })  # fmt: skip


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


EXPECTED = {
    CASE: ["c1", "c1", "c1", "c2"],
    ACTIVITY: ["登记", "<script>alert(1)</script>", "<script>alert(1)</script>", "a\ufffdb\tc\nd & \"q\""],
    TIMESTAMP: [_utc(2024, 3, 1, 9, 30, 0, 123000), _utc(2024, 3, 1, 9, 45),
                _utc(2024, 3, 1, 10, 0, 0, 123456), _utc(2024, 3, 2, 8)],
    RESOURCE: ["Ann", None, None, "Bob"],
    "cost:total": [1.5, None, None, 2.0],
    "n": [1, None, None, 3],
    "flag": [True, False, False, True],
    LIFECYCLE: ["complete", "start", "complete", "complete"],
    "case:region": ["N", "N", "N", "S"],
    "case:prio": [1, 1, 1, 2],
}  # fmt: skip


@pytest.mark.parametrize("name", ["log.xes", "log.xes.gz"])
def test_round_trip_through_flowmine_reader(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    write_xes(_frame(), path)
    raw = read_xes(path, gzipped=name.endswith(".gz"))
    assert raw.quarantine.num_rows == 0 and raw.notes == []
    assert raw.table.to_pydict() == EXPECTED
    types = dict(zip(raw.table.schema.names, raw.table.schema.types, strict=True))
    assert types == {CASE: pa.string(), ACTIVITY: pa.string(), TIMESTAMP: pa.timestamp("us", tz="UTC"),
                     RESOURCE: pa.string(), "cost:total": pa.float64(), "n": pa.int64(), "flag": pa.bool_(),
                     LIFECYCLE: pa.string(), "case:region": pa.string(), "case:prio": pa.int64()}  # fmt: skip
    assert [p.name for p in tmp_path.iterdir()] == [name]  # no temporary file left


def test_round_trip_through_pm4py(tmp_path: Path) -> None:
    pm4py = pytest.importorskip("pm4py")
    path = tmp_path / "log.xes"
    write_xes(_frame(), path)
    df = pm4py.read_xes(str(path), variant="iterparse", show_progress_bar=False)
    assert sorted(df.columns) == sorted(EXPECTED)
    for col, values in EXPECTED.items():
        got = [None if pd.isna(v) else v for v in df[col].tolist()]
        if col == "n":  # pm4py turns an int column with gaps into float
            got = [None if v is None else int(v) for v in got]
        assert got == values, col
    assert str(df[TIMESTAMP].dtype) == "datetime64[us, UTC]"
    assert df["flag"].dtype == bool and df["case:prio"].dtype == np.int64
    assert df["cost:total"].dtype == np.float64


def test_no_starts_no_lifecycle_and_unsorted_cases(tmp_path: Path) -> None:
    frame = pd.DataFrame({CASE: ["b", "a", "b"], ACTIVITY: ["x", "y", "z"],
                          TIMESTAMP: pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"], utc=True),
                          START: pd.Series([pd.NaT] * 3, dtype="datetime64[us, UTC]")})  # fmt: skip
    path = tmp_path / "log.xes"
    write_xes(frame, path)
    text = path.read_text(encoding="utf-8")
    assert "lifecycle:transition" not in text.split("<classifier")[1]
    assert text.count("<trace>") == 2
    raw = read_xes(path, gzipped=False)
    assert raw.table.column(CASE).to_pylist() == ["b", "b", "a"]
    assert raw.table.column(ACTIVITY).to_pylist() == ["x", "z", "y"]


def test_bad_path_and_missing_columns(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"must end in \.xes or \.xes\.gz\. Got 'log\.csv' instead"):
        write_xes(_frame(), tmp_path / "log.csv")
    with pytest.raises(ValueError, match="lacks the column"):
        write_xes(_frame().drop(columns=[TIMESTAMP]), tmp_path / "log.xes")
    assert list(tmp_path.iterdir()) == []


def test_failed_write_keeps_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "log.xes"
    path.write_text("old")

    def boom(*_: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("flowmine._atomic.os.replace", boom)
    with pytest.raises(OSError, match="disk full"):
        write_xes(_frame(), path)
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["log.xes"]
