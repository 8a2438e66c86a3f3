"""Cell-level helpers of normalisation: text of any column, blank cells, numbers, renames.

Each works on a whole column at once (Arrow kernels) and accepts chunked columns as read, so
that no column is copied just to be checked.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from flowmine._arrow import contiguous
from flowmine._schema import QUARANTINE_VALUE_CHARS


def _clip(values: pa.Array) -> pa.Array:
    s = values.cast(pa.string()) if not pa.types.is_string(values.type) else values
    return pc.utf8_slice_codeunits(s, 0, QUARANTINE_VALUE_CHARS)


def _np(mask: pa.Array | pa.ChunkedArray) -> np.ndarray:
    return np.asarray(pc.fill_null(mask, False).to_numpy(zero_copy_only=False), dtype=bool)


def _text(values: pa.Array) -> pa.Array:
    """Any column as text; integral floats (Excel ids like 1001.0) lose the '.0'."""
    t = values.type
    if pa.types.is_floating(t):
        x = values.to_numpy(zero_copy_only=False)
        if np.all(np.isnan(x) | (x == np.round(x))):
            return pc.cast(pc.cast(values, pa.int64()), pa.string())
    if pa.types.is_timestamp(t):
        return pc.strftime(values, format="%Y-%m-%d %H:%M:%S")
    return values.cast(pa.string()) if not pa.types.is_string(t) else values


def _blank(values: pa.Array) -> np.ndarray:
    """Null, empty or only (Unicode) whitespace: what trimming would leave empty, without copying text."""
    s = _text(values)
    if pa.types.is_dictionary(s.type):
        s = contiguous(s)
        return _blank(s.dictionary)[s.indices.fill_null(0).to_numpy(zero_copy_only=False)] | _np(pc.is_null(s))
    return _np(pc.is_null(s)) | _np(pc.equal(pc.binary_length(s), 0)) | _np(pc.utf8_is_space(s))


def parse_numbers(values: pa.Array, decimal: str = ".", thousands: str | None = None) -> tuple[pa.Array, np.ndarray]:
    """Text or numbers -> float64 and a mask of cells that are not numbers."""
    if pa.types.is_integer(values.type) or pa.types.is_floating(values.type):
        return values.cast(pa.float64()), np.zeros(len(values), dtype=bool)
    s = _text(values)
    if not thousands and decimal == ".":
        try:  # the usual clean column: a value with surrounding spaces fails here and is trimmed below
            return pc.cast(s, pa.float64()), np.zeros(len(values), dtype=bool)
        except pa.ArrowInvalid:
            pass
    s = pc.utf8_trim_whitespace(s)
    if thousands:
        s = pc.replace_substring(s, thousands, "")
    if decimal != ".":
        s = pc.replace_substring(s, decimal, ".")
    try:
        out = pc.cast(s, pa.float64())
        return out, np.zeros(len(values), dtype=bool)
    except pa.ArrowInvalid:
        num = pd.to_numeric(pd.Series(s.to_pandas(), dtype=object), errors="coerce")
        arr = pa.array(num.to_numpy(dtype=float), pa.float64(), from_pandas=True)
        bad = _np(pc.is_null(arr)) & ~_np(pc.is_null(s)) & ~_np(pc.equal(s, ""))
        return arr, bad


def _rename(values: pa.Array, renames: dict[str, str]) -> pa.Array:
    enc = contiguous(values).dictionary_encode()
    labels = [renames.get(v, v) for v in enc.dictionary.to_pylist()]
    return pa.array(labels, pa.string()).take(enc.indices)
