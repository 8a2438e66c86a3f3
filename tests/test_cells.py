"""Cell helpers of normalisation (``flowmine.ingest._cells``): blank cells of typed columns are found
without their text, and a text column is a number column only when every cell is, wherever the text
that says otherwise sits."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from flowmine.ingest import _cells


def _blank_from_text(values: pa.Array) -> np.ndarray:
    s = _cells._text(values)
    def mask(m: pa.Array) -> np.ndarray:
        return np.asarray(pc.fill_null(m, False))

    return mask(pc.is_null(s)) | mask(pc.equal(pc.binary_length(s), 0)) | mask(pc.utf8_is_space(s))


def test_blank_cells_of_typed_columns_equal_those_of_their_text() -> None:
    when = dt.datetime(2026, 3, 1, 8, 30, tzinfo=dt.UTC)
    columns = [pa.array([when, None, when], pa.timestamp("us", tz="UTC")),
               pa.array([dt.date(2026, 1, 2), None, None], pa.date32()),
               pa.array([1, None, -3], pa.int64()),
               pa.array([1.5, float("nan"), None, 2.0], pa.float64()),
               pa.array([True, None, False], pa.bool_()),
               pa.array(["a", "", "  ", None, "\u3000", "b"], pa.string())]
    for values in columns:
        got = _cells._blank(values)
        assert got.tolist() == _blank_from_text(values).tolist(), values.type
        assert got.any()


def test_a_text_column_is_a_number_column_only_when_every_cell_is() -> None:
    ints = [str(i) for i in range(10_000)]
    assert _cells.infer_number(pa.array(ints)).to_pylist() == list(range(10_000))
    late = [*ints[:9_000], "N/A", *ints[9_001:]]  # the text after the first cells tried
    assert _cells.infer_number(pa.array(late)) is None
    early = ["x", *ints[1:]]
    assert _cells.infer_number(pa.array(early)) is None
    decimals = [f"{i}.5" for i in range(6_000)]
    decimals[5_000] = "1E5"  # an exponent: a code, kept as text
    assert _cells.infer_number(pa.array(decimals)) is None
    decimals[5_000] = "7.25"
    assert _cells.infer_number(pa.array(decimals)).to_pylist()[5_000] == 7.25
