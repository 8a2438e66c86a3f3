"""Read a Parquet file into a :class:`RawTable`, keeping its types in the shapes normalisation expects.

Parquet already carries types, so the reader only evens out representations: timestamps of
any unit become microseconds (keeping the time zone, or its absence), dictionary columns are
decoded, narrow ints and floats are widened to ``int64``/``float64``, dates become midnight
timestamps, and nested values (struct, list, map) become JSON text. Every change that could
lose information is named in a note. Files flowmine wrote itself are read the same way.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from flowmine.errors import UnsafeInputError, UnusableInputError
from flowmine.ingest._cells import usable_names
from flowmine.ingest._raw import RawTable, empty_quarantine
from flowmine.ingest._source import _raise_hint, max_decompressed_bytes

_US: Final = "us"


def read_parquet(path: Path) -> RawTable:
    """Read every row of a Parquet file as raw records.

    Parameters
    ----------
    path:
        A local Parquet file (already checked by :func:`~flowmine.ingest._source.check_source`).

    Returns
    -------
    RawTable
        ``format="parquet"``, ``row_numbers`` 1..n. Timestamps are ``timestamp[us]`` with the
        file's time zone (naive stays naive; nanoseconds are truncated, with a note), dates
        ``timestamp[us]`` at midnight, integers ``int64``, floats and decimals ``float64``,
        text ``string``, dictionary columns decoded, nested columns JSON text (with a note).

    Raises
    ------
    UnusableInputError
        Not a readable Parquet file (truncated, corrupt), or no rows.
    UnsafeInputError
        Row groups that declare more uncompressed bytes than ``FLOWMINE_MAX_DECOMPRESSED_BYTES``.

    Examples
    --------
    >>> pq.write_table(pa.table({"case": ["c1", "c1"], "step": ["a", "b"]}), Path(TMP) / "events.parquet")
    >>> raw = read_parquet(Path(TMP) / "events.parquet")  # TMP: a folder
    >>> raw.row_numbers[0].as_py(), raw.table.column_names
    (1, ['case', 'step'])
    """
    source = str(path)
    try:
        pf = pq.ParquetFile(path)
        meta = pf.metadata
        declared = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
        cap = max_decompressed_bytes()
        if declared > cap:
            raise UnsafeInputError(
                source,
                f"declares {declared:,} uncompressed bytes (> {cap:,}); refused as a possible decompression "
                f"bomb ({_raise_hint()})",
            )
        if meta.num_rows == 0:
            raise UnusableInputError(source, "holds no rows")
        table = pf.read(use_threads=True)
    except (pa.ArrowException, OSError, ValueError) as exc:
        text = " ".join(str(exc).split())
        raise UnusableInputError(source, f"is not a readable Parquet file: {text}") from None
    if table.num_rows == 0:
        raise UnusableInputError(source, "holds no rows")
    if table.num_columns == 0:
        raise UnusableInputError(source, "has no columns")
    names, notes, _ = usable_names(source, table.column_names, where="schema")  # linear in the columns
    columns = [_even_out(source, name, table.column(i), notes) for i, name in enumerate(names)]
    out = pa.table(columns, names=names)  # schema metadata (pandas, flowmine) dropped
    return RawTable(
        source=source,
        format="parquet",
        table=out,
        row_numbers=pa.array(range(1, out.num_rows + 1), type=pa.int64()),
        quarantine=empty_quarantine(),
        notes=notes,
    )


def _even_out(source: str, name: str, col: pa.ChunkedArray, notes: list[str]) -> pa.ChunkedArray:
    """One column in the representation normalisation expects; lossy steps add a note."""
    t = col.type
    if pa.types.is_dictionary(t):
        return _even_out(source, name, col.cast(t.value_type), notes)
    if pa.types.is_timestamp(t):
        return _timestamps(source, name, col, notes)
    if pa.types.is_date(t):
        return col.cast(pa.timestamp(_US))
    if pa.types.is_null(t):
        return col.cast(pa.string())
    if pa.types.is_boolean(t):
        return col
    if pa.types.is_signed_integer(t) or pa.types.is_unsigned_integer(t):
        return _ints(source, name, col, notes)
    if pa.types.is_floating(t):
        return col.cast(pa.float64())
    if pa.types.is_decimal(t):
        notes.append(f"{source}: column {name!r}: {t} numbers read as float64 (about 15 significant digits)")
        return col.cast(pa.float64())
    if pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return col.cast(pa.string())
    if pa.types.is_duration(t) and t.unit == "ns":
        return _truncated(source, name, col, pa.duration(_US), notes)
    if pa.types.is_nested(t):
        notes.append(f"{source}: column {name!r}: nested type {t} kept as JSON text")
        return pa.chunked_array([_json_texts(col)], type=pa.string())
    return col


def _timestamps(source: str, name: str, col: pa.ChunkedArray, notes: list[str]) -> pa.ChunkedArray:
    target = pa.timestamp(_US, tz=col.type.tz)
    if col.type.unit == "ns":
        return _truncated(source, name, col, target, notes)
    return col.cast(target)  # s and ms fit exactly; us is unchanged


def _truncated(
    source: str, name: str, col: pa.ChunkedArray, target: pa.DataType, notes: list[str]
) -> pa.ChunkedArray:
    """Nanoseconds to microseconds, truncating sub-microsecond digits, with a note when any were set."""
    ticks = col.cast(pa.int64())
    # integer division truncates: a value survives the round trip only if its last 3 digits are 0
    lossy = pc.sum(pc.not_equal(pc.multiply(pc.divide(ticks, 1000), 1000), ticks)).as_py() or 0
    if lossy:
        notes.append(
            f"{source}: column {name!r}: {lossy:,} nanosecond value(s) truncated to microseconds "
            "(flowmine stores microseconds)"
        )
    return col.cast(target, safe=False)


def _ints(source: str, name: str, col: pa.ChunkedArray, notes: list[str]) -> pa.ChunkedArray:
    if col.type == pa.int64():
        return col
    try:
        return col.cast(pa.int64())
    except pa.ArrowInvalid:  # uint64 beyond int64: text keeps every digit
        notes.append(f"{source}: column {name!r}: {col.type} values beyond int64 kept as text")
        return col.cast(pa.string())


def _json_texts(col: pa.ChunkedArray) -> pa.Array:
    return pa.array(
        [
            None if v is None else json.dumps(_jsonable(v), ensure_ascii=False, default=str)
            for v in col.to_pylist()
        ],
        type=pa.string(),
    )


def _jsonable(value: Any) -> Any:
    """Python values of a nested Arrow cell as JSON-ready values (maps with text keys become objects)."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        if value and all(isinstance(p, tuple) and len(p) == 2 for p in value):  # a map's (key, value) pairs
            if all(isinstance(k, str) for k, _ in value):
                return {k: _jsonable(v) for k, v in value}
            return [[_jsonable(k), _jsonable(v)] for k, v in value]
        return [_jsonable(v) for v in value]
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return value
