"""Tests of the Parquet reader: kept types, timestamp units and zones, damaged and empty files."""

from __future__ import annotations

import datetime as dt
import decimal
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from flowmine._schema import ACTIVITY, CASE, SCHEMA_VERSION, TIMESTAMP, TIMESTAMP_TYPE
from flowmine.errors import UnsafeInputError, UnusableInputError
from flowmine.ingest._parquet import read_parquet


def _write(path: Path, table: pa.Table) -> Path:
    pq.write_table(table, path)
    return path


def test_types_are_kept(tmp_path: Path) -> None:
    table = pa.table(
        {
            "case": pa.array(["001", "01", "1"]),
            "n": pa.array([1, 2, 3], type=pa.int64()),
            "cost": pa.array([1.5, None, 2.0], type=pa.float64()),
            "ok": pa.array([True, False, None]),
            "when": pa.array(
                [dt.datetime(2024, 1, 1, 8), None, dt.datetime(2024, 1, 2)], type=pa.timestamp("us")
            ),
        }
    )
    raw = read_parquet(_write(tmp_path / "t.parquet", table))
    assert raw.format == "parquet"
    assert raw.table.schema.equals(table.schema)
    assert raw.table.equals(table)
    assert raw.row_numbers.to_pylist() == [1, 2, 3]
    assert raw.row_numbers.type == pa.int64()
    assert raw.notes == []
    assert raw.rows_read == raw.table.num_rows + raw.quarantine.num_rows == 3


def test_narrow_numbers_widen_and_large_strings_become_strings(tmp_path: Path) -> None:
    table = pa.table(
        {
            "i8": pa.array([1, -2], type=pa.int8()),
            "u32": pa.array([7, 8], type=pa.uint32()),
            "f32": pa.array([0.5, 1.25], type=pa.float32()),
            "big": pa.array(["a", "b"], type=pa.large_string()),
            "day": pa.array([dt.date(2024, 2, 29), None], type=pa.date32()),
        }
    )
    out = read_parquet(_write(tmp_path / "w.parquet", table)).table
    assert out.schema.types == [pa.int64(), pa.int64(), pa.float64(), pa.string(), pa.timestamp("us")]
    assert out.to_pydict() == {
        "i8": [1, -2],
        "u32": [7, 8],
        "f32": [0.5, 1.25],
        "big": ["a", "b"],
        "day": [dt.datetime(2024, 2, 29), None],
    }


@pytest.mark.parametrize("unit", ["s", "ms", "us"])
@pytest.mark.parametrize("tz", [None, "UTC", "Europe/Berlin"])
def test_timestamps_become_microseconds_keeping_the_zone(tmp_path: Path, unit: str, tz: str | None) -> None:
    when = pa.array([1_700_000_000, None], type=pa.int64()).cast(pa.timestamp("s"))
    col = when.cast(pa.timestamp(unit)).cast(pa.timestamp(unit, tz=tz))
    raw = read_parquet(_write(tmp_path / "ts.parquet", pa.table({"t": col})))
    assert raw.table.column("t").type == pa.timestamp("us", tz=tz)
    assert raw.table.column("t").cast(pa.int64()).to_pylist() == [1_700_000_000_000_000, None]
    assert raw.notes == []


def test_nanoseconds_truncate_to_microseconds_with_a_note(tmp_path: Path) -> None:
    ns = pa.array(
        [1_700_000_000_123_456_789, 1_700_000_000_000_001_000, None], type=pa.timestamp("ns", tz="UTC")
    )
    path = tmp_path / "ns.parquet"
    pq.write_table(pa.table({"t": ns}), path, coerce_timestamps=None, version="2.6")
    assert pq.read_schema(path).field("t").type == pa.timestamp("ns", tz="UTC")
    raw = read_parquet(path)
    col = raw.table.column("t")
    assert col.type == pa.timestamp("us", tz="UTC")
    assert col.cast(pa.int64()).to_pylist() == [1_700_000_000_123_456, 1_700_000_000_000_001, None]
    assert len(raw.notes) == 1
    assert "column 't': 1 nanosecond value(s) truncated to microseconds" in raw.notes[0]


def test_whole_microsecond_nanoseconds_convert_without_a_note(tmp_path: Path) -> None:
    ns = pa.array([1_700_000_000_000_001_000], type=pa.timestamp("ns"))
    path = tmp_path / "ns.parquet"
    pq.write_table(pa.table({"t": ns}), path, version="2.6")
    raw = read_parquet(path)
    assert raw.table.column("t").type == pa.timestamp("us")
    assert raw.table.column("t").cast(pa.int64()).to_pylist() == [1_700_000_000_000_001]
    assert raw.notes == []


def test_dictionary_columns_are_decoded(tmp_path: Path) -> None:
    acts = pa.array(["A", "B", "A", None]).dictionary_encode()
    raw = read_parquet(_write(tmp_path / "d.parquet", pa.table({"activity": acts})))
    col = raw.table.column("activity")
    assert col.type == pa.string()
    assert col.to_pylist() == ["A", "B", "A", None]


def test_nested_columns_become_json_text_with_a_note(tmp_path: Path) -> None:
    table = pa.table(
        {
            "s": pa.array([{"a": 1, "b": "x"}, None]),
            "l": pa.array([[1, 2], []]),
            "m": pa.array([[("k", 1)], None], type=pa.map_(pa.string(), pa.int64())),
        }
    )
    raw = read_parquet(_write(tmp_path / "n.parquet", table))
    out = raw.table
    assert out.schema.types == [pa.string(), pa.string(), pa.string()]
    assert out.column("s").to_pylist()[1] is None
    assert json.loads(out.column("s")[0].as_py()) == {"a": 1, "b": "x"}
    assert [json.loads(v) for v in out.column("l").to_pylist()] == [[1, 2], []]
    assert json.loads(out.column("m")[0].as_py()) == {"k": 1}
    assert out.column("m")[1].as_py() is None
    assert len(raw.notes) == 3
    assert all("kept as JSON text" in n for n in raw.notes)


def test_decimals_become_floats_with_a_note(tmp_path: Path) -> None:
    col = pa.array([decimal.Decimal("12.50"), None], type=pa.decimal128(10, 2))
    raw = read_parquet(_write(tmp_path / "dec.parquet", pa.table({"cost": col})))
    assert raw.table.column("cost").type == pa.float64()
    assert raw.table.column("cost").to_pylist() == [12.5, None]
    assert "read as float64" in raw.notes[0]


def test_all_null_column_is_a_string_column(tmp_path: Path) -> None:
    table = pa.table({"case": ["c1"], "empty": pa.nulls(1)})
    raw = read_parquet(_write(tmp_path / "null.parquet", table))
    assert raw.table.column("empty").type == pa.string()
    assert raw.table.column("empty").to_pylist() == [None]


def test_flowmine_written_file_is_read_plainly(tmp_path: Path) -> None:
    table = pa.table(
        {
            CASE: ["c1"],
            ACTIVITY: ["A"],
            TIMESTAMP: pa.array([dt.datetime(2024, 1, 1, tzinfo=dt.UTC)], type=TIMESTAMP_TYPE),
        }
    ).replace_schema_metadata({b"flowmine.schema_version": str(SCHEMA_VERSION).encode()})
    raw = read_parquet(_write(tmp_path / "own.parquet", table))
    assert raw.table.column_names == [CASE, ACTIVITY, TIMESTAMP]
    assert raw.table.column(TIMESTAMP).type == TIMESTAMP_TYPE
    assert raw.table.to_pydict() == table.to_pydict()
    assert raw.notes == []


def test_truncated_file_is_unusable(tmp_path: Path) -> None:
    table = pa.table({"case": [f"c{i}" for i in range(1000)], "n": list(range(1000))})
    data = _write(tmp_path / "full.parquet", table).read_bytes()
    cut = tmp_path / "cut.parquet"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(UnusableInputError, match=r"cut\.parquet: is not a readable Parquet file: "):
        read_parquet(cut)


def test_corrupt_footer_is_unusable(tmp_path: Path) -> None:
    data = bytearray(_write(tmp_path / "full.parquet", pa.table({"n": list(range(100))})).read_bytes())
    data[-40:-8] = b"\xff" * 32  # inside the footer, before its length and the magic
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(bytes(data))
    with pytest.raises(UnusableInputError, match=r"bad\.parquet: is not a readable Parquet file"):
        read_parquet(bad)


def test_zero_rows_is_unusable(tmp_path: Path) -> None:
    empty = pa.table({"case": pa.array([], type=pa.string())})
    with pytest.raises(UnusableInputError, match=r"empty\.parquet: holds no rows"):
        read_parquet(_write(tmp_path / "empty.parquet", empty))


def test_duplicate_column_names_get_usable_names_and_a_note(tmp_path: Path) -> None:
    # issue #13: a repeated name is never a crash (and is checked in linear time)
    table = pa.Table.from_arrays([pa.array([1]), pa.array([2])], names=["x", "x"])
    path = _write(tmp_path / "dup.parquet", table)
    raw = read_parquet(path)
    assert raw.table.to_pydict() == {"x": [1], "x_2": [2]}
    assert raw.notes == [f"{path}: schema repeats column name 'x'; column 2 is read as 'x_2'"]


def test_declared_size_above_the_cap_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path / "big.parquet", pa.table({"n": list(range(10_000))}))
    monkeypatch.setenv("FLOWMINE_MAX_DECOMPRESSED_BYTES", "1000")
    with pytest.raises(UnsafeInputError, match=r"decompression bomb"):
        read_parquet(path)
