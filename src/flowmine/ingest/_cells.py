"""Cell-level helpers of normalisation: text of any column, blank cells, numbers, renames.

Each works on a whole column at once (Arrow kernels) and accepts chunked columns as read, so
that no column is copied just to be checked.
"""

from __future__ import annotations

import re
from typing import Any, Final

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


#: Largest integer every consumer (float64, JavaScript, JSON readers) holds exactly: 2**53.
MAX_EXACT_INT: Final = 2**53


def _text(values: pa.Array) -> pa.Array:
    """Any column as text; integral floats (Excel ids like 1001.0) lose the '.0', NaN is null.

    Floats beyond 2**53 (say, case ids stored as doubles in a Parquet file) keep the shortest text
    that reads back as the same double (``1e+20``): converting them to int64 would overflow.
    """
    t = values.type
    if pa.types.is_floating(t):
        values = pc.if_else(pc.is_nan(values), pa.nulls(len(values), t), values)
        x = values.to_numpy(zero_copy_only=False)
        with np.errstate(invalid="ignore"):
            whole = np.isnan(x) | ((x == np.round(x)) & (np.abs(x) <= MAX_EXACT_INT))
        if np.all(whole):
            return pc.cast(pc.cast(values, pa.int64()), pa.string())
        if np.any(whole & ~np.isnan(x)):
            as_int = pc.cast(pc.cast(pc.if_else(pa.array(whole), values, pa.nulls(len(values), t)),
                                     pa.int64()), pa.string())
            return pc.if_else(pa.array(whole), as_int, pc.cast(values, pa.string()))
        return pc.cast(values, pa.string())
    if pa.types.is_timestamp(t):
        return pc.strftime(values, format="%Y-%m-%d %H:%M:%S")
    return values.cast(pa.string()) if not pa.types.is_string(t) else values


def _blank(values: pa.Array) -> np.ndarray:
    """Null, empty or only (Unicode) whitespace: what trimming would leave empty, without copying text.

    Typed columns are never turned into text for this: a number, date or timestamp writes as a
    non-empty text, so only its nulls (and a float's NaN, which :func:`_text` makes null) are blank.
    Formatting a typed column (an XES or Parquet timestamp) as text cost more than parsing it.
    """
    t = values.type
    if pa.types.is_floating(t):
        return _np(pc.is_null(values)) | _np(pc.is_nan(values))
    if (pa.types.is_timestamp(t) or pa.types.is_date(t) or pa.types.is_integer(t) or pa.types.is_boolean(t)
            or pa.types.is_decimal(t) or pa.types.is_duration(t)):
        return _np(pc.is_null(values))
    s = _text(values)
    if pa.types.is_dictionary(s.type):
        s = contiguous(s)
        return _blank(s.dictionary)[s.indices.fill_null(0).to_numpy(zero_copy_only=False)] | _np(pc.is_null(s))
    return _np(pc.is_null(s)) | _np(pc.equal(pc.binary_length(s), 0)) | _np(pc.utf8_is_space(s))


def parse_numbers(values: pa.Array, decimal: str = ".", thousands: str | None = None) -> tuple[pa.Array, np.ndarray]:
    """Text or numbers -> float64 and a mask of cells that are not numbers.

    ``NaN`` and blank cells are nulls; SAP's trailing minus (``100.00-``) is a negative number.
    """
    if pa.types.is_integer(values.type) or pa.types.is_floating(values.type):
        out = values.cast(pa.float64())
        return pc.if_else(pc.is_nan(out), pa.nulls(len(out), pa.float64()), out), np.zeros(len(values), dtype=bool)
    s = _text(values)
    if not thousands and decimal == ".":
        try:  # the usual clean column: a value with surrounding spaces fails here and is trimmed below
            out = pc.cast(s, pa.float64())
            return pc.if_else(pc.is_nan(out), pa.nulls(len(out), pa.float64()), out), np.zeros(len(values), dtype=bool)
        except pa.ArrowInvalid:
            pass
    s = pc.if_else(_null_like(s), pa.nulls(len(s), pa.string()), s)
    s = pc.utf8_trim_whitespace(s)
    s = pc.replace_substring_regex(s, r"^([0-9.,]+)-$", r"-\1")  # SAP: 100.00-
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


_NULL_TEXT: Final = ("NaN", "nan", "NAN")


def _null_like(s: pa.Array) -> pa.Array:
    """Cells that mean "no value" in a number column: null, blank, ``NaN``."""
    if not len(s):
        return pa.array([], pa.bool_())
    return pc.or_kleene(pc.or_kleene(pc.is_in(s, pa.array(_NULL_TEXT)), pc.utf8_is_space(s)), pc.equal(s, ""))


#: The first cells of a text column tried before the whole column (a text among them: not a number column).
_HEAD: Final = 4096


def infer_number(values: pa.Array, decimal: str = ".", thousands: str | None = None) -> pa.Array | None:
    """A text column as int64 or float64 when every value round-trips, else None (it stays text).

    Round-trip: writing the number back, in plain notation with as many decimals as the cell has,
    gives the cell's text. So codes keep what they are: ``007`` (leading zero), ``1E5`` (exponent),
    ``+5``, `` 12`` (spaces), integers beyond 2**53 and values with more than 15 significant digits
    (which a float64 cannot hold exactly) keep the column as text. ``NaN`` and blank cells are
    nulls; a column of only nulls stays text.
    """
    s = _text(values)
    if isinstance(s, pa.ChunkedArray):
        s = s.combine_chunks()
    d = re.escape(decimal)
    t = re.escape(thousands) if thousands else None
    # One pass rejects the usual text column (names, codes, dates): a cell no number or null could be.
    number = rf"-?[0-9]{{1,3}}({t}[0-9]{{3}})*({d}[0-9]+)?" if t else rf"-?[0-9]+({d}[0-9]+)?"
    could_be = rf"^({number}|NaN|nan|NAN|\s*)$"
    head = s.slice(0, _HEAD)  # most text columns show it in their first cells: the rest is not read
    if not pc.all(pc.match_substring_regex(head, could_be)).as_py():
        return None
    if not t and s.null_count < len(s):  # the usual integer column: one pass decides
        ok = pc.match_substring_regex(s, r"^(0|-?[1-9][0-9]{0,15})$")
        if pc.all(ok).as_py():
            ints = pc.cast(s, pa.int64())
            return None if (pc.max(pc.abs(ints)).as_py() or 0) > MAX_EXACT_INT else ints
    if len(s) > _HEAD and not pc.all(pc.match_substring_regex(s, could_be)).as_py():  # nulls are skipped
        return None
    null = _np(_null_like(s)) | _np(pc.is_null(s))
    if null.all():
        return None
    s = pc.if_else(pa.array(null), pa.nulls(len(s), pa.string()), s)
    body = s
    if t:
        grouped = pc.match_substring_regex(s, rf"^-?[1-9][0-9]{{0,2}}({t}[0-9]{{3}})*({d}[0-9]+)?$")
        if not pc.all(grouped).as_py():
            return None
        body = pc.replace_substring(s, thousands, "")
    ok_int = pc.match_substring_regex(body, r"^(0|-?[1-9][0-9]{0,15})$")
    if pc.all(ok_int).as_py():
        ints = pc.cast(body, pa.int64())
        if (pc.max(pc.abs(ints)).as_py() or 0) > MAX_EXACT_INT:
            return None
        return ints
    ok_dec = pc.match_substring_regex(body, rf"^(-?(0|[1-9][0-9]*){d}[0-9]+|0|-?[1-9][0-9]*)$")
    if not pc.all(ok_dec).as_py():
        return None
    digits = pc.utf8_length(pc.replace_substring_regex(body, r"^-?0*|[^0-9]", ""))
    if (pc.max(digits).as_py() or 0) > 15:  # 15 significant digits always survive a float64
        return None
    if decimal != ".":
        body = pc.replace_substring(body, decimal, ".")
    return pc.cast(body, pa.float64())


def _rename(values: pa.Array, renames: dict[str, str]) -> pa.Array:
    enc = contiguous(values).dictionary_encode()
    labels = [renames.get(v, v) for v in enc.dictionary.to_pylist()]
    return pa.array(labels, pa.string()).take(enc.indices)


def usable_names(source: str, names: list[str], where: str = "header") -> tuple[list[str], list[str], set[str]]:
    """Column names every column can be mapped by: (names, notes, names given to empty headers).

    Names are case-sensitive (``Note`` and ``note`` are two columns). An empty name becomes
    ``column_<n>`` (its 1-based position); a repeated name gets ``_2``, ``_3``... so that no column
    is lost or merged; each change is named in a note.
    """
    out: list[str] = []
    notes: list[str] = []
    blank: set[str] = set()
    taken = set(names)
    seen: set[str] = set()
    for j, name in enumerate(names):
        if not name.strip():
            new = f"column_{j + 1}"
            while new in taken or new in seen:
                new += "_"
            blank.add(new)
            out.append(new)
            seen.add(new)
            continue
        if name in seen:
            k = 2
            while f"{name}_{k}" in taken or f"{name}_{k}" in seen:
                k += 1
            new = f"{name}_{k}"
            notes.append(f"{source}: {where} repeats column name {name!r}; column {j + 1} is read as {new!r}")
            out.append(new)
            seen.add(new)
            continue
        out.append(name)
        seen.add(name)
    return out, notes, blank


def join_columns(table: pa.Table, mapping: Any, source: str) -> pa.Table:
    """Add one column per joined role (``[columns] timestamp = ["ERDAT", "ERZET"]``): the parts' cells
    as text, joined with the role's separator (:data:`._mapping.JOIN_SEPARATORS`); empty parts are
    left out, and a row whose parts are all empty has an empty cell."""
    from flowmine.errors import MappingError
    from flowmine.ingest._mapping import JOIN_SEPARATORS

    for role, parts in mapping.joined.items():
        missing = [c for c in parts if c not in table.column_names]
        if missing:
            raise MappingError(f"{source}: mapping {mapping.origin} joins column(s) {missing} for {role}, "
                               f"but the file has {table.column_names}")
        texts = []
        for c in parts:
            t = _text(contiguous(table.column(c)))
            t = pc.utf8_trim_whitespace(t)
            texts.append(pc.if_else(pc.equal(t, ""), pa.nulls(len(t), pa.string()), t))
        joined = pc.binary_join_element_wise(*texts, JOIN_SEPARATORS[role], null_handling="skip")
        empty = _np(pc.equal(joined, ""))
        if role != "activity":  # a zero date (SAP's 00000000) empties the timestamp whatever its time says
            from flowmine.ingest._timestamps import zero_dates

            empty |= zero_dates(pc.fill_null(texts[0], ""))
        joined = pc.if_else(pa.array(empty), pa.nulls(len(joined), pa.string()), joined)
        table = table.append_column(mapping.columns[role], joined)
    return table
