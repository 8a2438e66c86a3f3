"""XES attribute typing: text values to Arrow types, vectorised, with the values that fail.

XES writes every value as text with a type tag; these functions type a whole column at once
(xs:dateTime to timestamp[us, UTC] with a strict check that no impossible date was rolled over,
int64 with overflow as failure, float, xs:boolean) and return which values failed so the reader
can quarantine their events instead of dropping them silently as pm4py does. A column written the
plain way producers write it (every date in one xs:dateTime shape Arrow's ISO 8601 cast reads exactly,
every float plain) is cast by Arrow at once; any other goes the per-part, trimmed and checked way,
which gives the same values where both apply (``tests/test_xes_dates.py``).
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from flowmine._schema import Reason

_INT = r"^[+-]?[0-9]+$"
_FLOAT = r"^[+-]?(([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?|INF|inf|Infinity|NaN|nan)$"
_DATE = r"^(?P<b>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?P<f>\.\d+)?(?P<z>Z|[+-]\d\d:\d\d)?$"
_BAD: Final = {
    "date": (Reason.INVALID_TIMESTAMP, "is not an xs:dateTime such as 2024-03-01T09:30:00.000+01:00"),
    "int": (Reason.INVALID_NUMBER, "is not an integer"),
    "float": (Reason.INVALID_NUMBER, "is not a number"),
    "boolean": (Reason.INVALID_VALUE, "is not a boolean (true or false)"),
}


def _cast(arr: pa.Array, typ: pa.DataType) -> pa.Array:
    """Cast, turning the values that fail (int64 overflow) into nulls by bisection."""
    try:
        return arr.cast(typ)
    except pa.ArrowInvalid:
        if len(arr) == 1:
            return pa.nulls(1, typ)
        half = len(arr) // 2
        return pa.concat_arrays([_cast(arr.slice(0, half), typ), _cast(arr.slice(half), typ)])


def _to_int(part: pa.Array) -> pa.Array:
    return pc.if_else(pc.equal(part, ""), "0", part).cast(pa.int64())


#: The xs:dateTime shapes Arrow's ISO 8601 cast reads exactly as :func:`_date_by_parts` does: seconds always,
#: at most six fractional digits, an offset of at most 14 hours or none. (Arrow's cast also takes a space for
#: the ``T``, ``+0800``, ``+08`` and ``+23:00``, which xs:dateTime does not: those go the strict way.)
_PLAIN_DATE = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,6})?"
_ZONED = _PLAIN_DATE + r"(?:Z|[+-](?:0\d|1[0-4]):[0-5]\d)$"
_NAIVE = _PLAIN_DATE + "$"


def _date(raw: pa.Array) -> tuple[pa.Array, int] | None:
    """xs:dateTime text to timestamp[us, UTC] by Arrow's ISO 8601 cast, for a column that is all zoned or
    all naive (naive values are UTC); None when some value needs :func:`_date_by_parts`.

    The cast is strict (2024-02-30, hour 24 and second 60 fail) but fails the whole column at once, so
    one bad value sends the column the per-part way, which finds it. Run on the text as read: a value
    with surrounding whitespace matches neither shape and goes the strict way, which trims it.
    """
    n = len(raw) - raw.null_count
    zoned = pc.sum(pc.match_substring_regex(raw, _ZONED)).as_py() or 0
    if zoned == n:
        tz: str | None = "UTC"
    elif zoned == 0 and (pc.sum(pc.match_substring_regex(raw, _NAIVE)).as_py() or 0) == n:
        tz = None
    else:  # another shape, or zoned and naive values mixed
        return None
    try:
        typed = pc.cast(raw, pa.timestamp("us", tz=tz))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    return (typed, 0) if tz else (pc.assume_timezone(typed, timezone="UTC"), n)


def _date_by_parts(s: pa.Array) -> tuple[pa.Array, int]:
    """xs:dateTime text to timestamp[us, UTC]; (values, count of naive values read as UTC)."""
    parts = pc.extract_regex(s, _DATE)
    base, frac, zone = (parts.field(n) for n in ("b", "f", "z"))
    naive = pc.sum(pc.and_(parts.is_valid(), pc.equal(zone, ""))).as_py() or 0
    local = pc.strptime(base, format="%Y-%m-%dT%H:%M:%S", unit="us", error_is_null=True)
    # strptime rolls 2024-02-30 over to 03-01 and second 60 over: compare the parts back
    same = pc.and_(
        pc.equal(pc.day(local), _to_int(pc.utf8_slice_codeunits(base, 8, 10))),
        pc.equal(pc.second(local), _to_int(pc.utf8_slice_codeunits(base, 17, 19))),
    )
    micros = _to_int(pc.utf8_rpad(pc.utf8_slice_codeunits(frac, 1, 7), width=6, padding="0"))
    zone = pc.if_else(pc.is_in(zone, pa.array(["", "Z"])), "+00:00", zone)
    hours, mins = _to_int(pc.utf8_slice_codeunits(zone, 1, 3)), _to_int(pc.utf8_slice_codeunits(zone, 4, 6))
    offset = pc.multiply(pc.add(pc.multiply(hours, 60), mins), 60_000_000)
    offset = pc.if_else(pc.equal(pc.utf8_slice_codeunits(zone, 0, 1), "-"), pc.negate(offset), offset)
    ok = pc.and_(same, pc.and_(pc.less_equal(hours, 14), pc.less(mins, 60)))
    value = pc.subtract(pc.add(local.cast(pa.int64()), micros), offset)
    return pc.if_else(ok, value, None).cast(pa.timestamp("us", tz="UTC")), naive


def _every(raw: pa.Array | pa.ChunkedArray, pattern: str) -> bool:
    """Whether every value matches ``pattern`` (anchored, no whitespace): then trimming would change none."""
    return (pc.sum(pc.match_substring_regex(raw, pattern)).as_py() or 0) == len(raw) - raw.null_count


def _typed(raw: pa.ChunkedArray, typ: str) -> tuple[pa.Array | pa.ChunkedArray, np.ndarray, int]:
    """(typed values, mask of values that failed, naive timestamp count) of one text column.

    Text stays as read (chunks and all); a date or float column whose values are all written plainly is
    cast as it is, without the trimmed and checked copies the general way makes of it.
    """
    if typ == "string":
        return raw, np.zeros(len(raw), bool), 0
    fast = _date(raw) if typ == "date" else (raw.cast(pa.float64()), 0) if typ == "float" and _every(raw, _FLOAT) \
        else None
    if fast is not None:
        typed, naive = fast
        return typed, pc.and_(raw.is_valid(), typed.is_null()).to_numpy(zero_copy_only=False), naive
    raw = raw.combine_chunks()
    s, naive = pc.utf8_trim_whitespace(raw), 0
    if typ == "int":
        ok = pc.match_substring_regex(s, _INT)
        typed = _cast(pc.if_else(ok, pc.replace_substring_regex(s, r"^\+", ""), None), pa.int64())
    elif typ == "float":
        typed = pc.if_else(pc.match_substring_regex(s, _FLOAT), s, None).cast(pa.float64())
    elif typ == "boolean":
        low = pc.utf8_lower(s)  # xs:boolean: true, false, 1, 0
        yes, no = pc.is_in(low, pa.array(["true", "1"])), pc.is_in(low, pa.array(["false", "0"]))
        typed = pc.if_else(yes, True, pc.if_else(no, False, None))
    else:
        typed, naive = _date_by_parts(s)
    bad = pc.and_(raw.is_valid(), typed.is_null()).to_numpy(zero_copy_only=False)
    return typed, bad, naive
