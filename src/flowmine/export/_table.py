"""CSV and Parquet export of a canonical event log; CSV cells are safe to open in a spreadsheet."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from flowmine._atomic import atomic_file

#: A text cell starting with one of these is a formula to Excel/LibreOffice (CSV injection).
_FORMULA = r"^[=+\-@\t\r]"


def neutralise_formulas(table: pa.Table) -> pa.Table:
    """Prefix text cells that a spreadsheet would run as a formula with a single quote (OWASP advice)."""
    cols = []
    for col in table.columns:
        arr = col.combine_chunks()
        if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
            risky = pc.fill_null(pc.match_substring_regex(arr, _FORMULA), False)
            arr = pc.if_else(risky, pc.binary_join_element_wise("'", arr, ""), arr)
        cols.append(arr)
    return pa.table(cols, names=table.column_names)


def write_csv(table: pa.Table, path: Path) -> None:
    """UTF-8 CSV with a BOM (so Excel shows Chinese labels right), timestamps in ISO 8601 UTC."""
    table = neutralise_formulas(table)
    with atomic_file(path) as fh:
        fh.write(b"\xef\xbb\xbf")
        pacsv.write_csv(table, fh)


def write_parquet(table: pa.Table, path: Path) -> None:
    """Write ``table`` to ``path`` as zstd-compressed Parquet, atomically."""
    with atomic_file(path) as fh:
        pq.write_table(table, fh, compression="zstd")
