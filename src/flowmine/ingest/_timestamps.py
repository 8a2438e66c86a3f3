"""Strict, per-cell timestamp parsing with a declared or inferred format.

Never a generic converter guessing on every text column: the format is declared in the mapping
or inferred from a sample of the one timestamp column, then applied to every cell. A cell that
does not fit gets a reason (unparseable, impossible such as 2024-02-30, day/month order that
contradicts the column, naive in a column with offsets) instead of a silent NaT or a guess.
Results are int64 microseconds since the epoch, UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from flowmine._schema import Reason
from flowmine.errors import MappingError
from flowmine.ingest._mapping import TimestampOptions

_DATES: Final = (
    "%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%d.%m.%Y", "%d/%m/%Y", "%m/%d/%Y", "%d-%m-%Y", "%m-%d-%Y",
    "%d.%m.%y", "%d/%m/%y", "%m/%d/%y", "%Y%m%d", "%Y年%m月%d日",
)
_TIMES: Final = (" %H:%M:%S", " %H:%M", "T%H:%M:%S", "T%H:%M", "")
#: Candidate strptime formats tried, in order, when none is declared.
CANDIDATES: Final = tuple(d + t for d in _DATES for t in _TIMES)
_OFFSET_RE: Final = r"(?:Z|z|[+-]\d\d:?\d\d)$"
_ISO_RE: Final = r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)?(?:Z|z|[+-]\d\d:?\d\d)?$"
_EXCEL_EPOCH_US: Final = -2_209_161_600_000_000  # 1899-12-30T00:00:00 as µs since 1970
_DAY_US: Final = 86_400_000_000
_UNIT_US: Final = {"s": 1_000_000, "ms": 1_000, "us": 1, "ns": 0.001}
SAMPLE: Final = 2000


@dataclass
class ParsedTimestamps:
    """µs since epoch UTC (``None`` where a cell failed) and per-cell reason codes."""

    values: pa.Array  # timestamp[us, UTC]
    reasons: np.ndarray  # object array: None or a Reason code, per cell (None also for empty cells)
    format: str  # the format used ("iso", a strptime format, "excel", "epoch", "typed")
    notes: list[str] = field(default_factory=list)


def _swap_dm(fmt: str) -> str | None:
    if "%d" in fmt and "%m" in fmt:
        return fmt.replace("%d", "\0").replace("%m", "%d").replace("\0", "%m")
    return None


def _strict_strptime(s: pa.Array, fmt: str) -> pa.Array:
    """Arrow strptime (fast) plus a strict re-check of cells where Arrow may have rolled over
    an impossible day (2024-02-30 -> 2024-03-01): those re-parse with pandas, which refuses them."""
    parsed = pc.strptime(s, format=fmt, unit="us", error_is_null=True)
    if "%d" not in fmt or len(parsed) == 0:
        return parsed
    day = pc.day(parsed).to_numpy(zero_copy_only=False)
    suspect = np.flatnonzero(np.nan_to_num(day, nan=9) <= 3)
    if suspect.size == 0:
        return parsed
    sub = pd.Series(s.take(pa.array(suspect)).to_pylist(), dtype=object)
    strict = pd.to_datetime(sub, format=fmt, errors="coerce")
    bad = suspect[strict.isna().to_numpy()]
    if bad.size == 0:
        return parsed
    mask = np.zeros(len(parsed), dtype=bool)
    mask[bad] = True
    return pc.if_else(pa.array(mask), pa.nulls(len(parsed), parsed.type), parsed)


def _to_utc_us(naive: pa.Array, tz: str | None) -> pa.Array:
    """Naive wall-clock times in ``tz`` -> UTC; local times that do not exist or are ambiguous
    (daylight-saving changes) become null, and so are reported, never shifted silently."""
    if tz is None or tz == "UTC":
        return pc.assume_timezone(naive, timezone="UTC")
    local = pd.Series(naive.to_pandas()).dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
    return pa.array(local.dt.tz_convert("UTC").astype("datetime64[us, UTC]"), type=pa.timestamp("us", tz="UTC"))


def infer_format(sample: list[str], opts: TimestampOptions, column: str, source: str) -> str:
    """Pick the strptime format (or ``"iso"``) that reads the sample; raise when it cannot be told."""
    if not sample:
        return "iso"
    arr = pa.array(sample, pa.string())
    iso = pc.sum(pc.match_substring_regex(arr, _ISO_RE)).as_py() or 0
    if iso == len(sample):
        # Plain "YYYY-MM-DD HH:MM[:SS]" reads faster with strptime; fractions or offsets need "iso".
        for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
            if _strict_strptime(arr, fmt).null_count == 0:
                return fmt
        return "iso"
    scores: dict[str, int] = {}
    for fmt in CANDIDATES:
        ok = len(sample) - _strict_strptime(arr, fmt).null_count
        if ok:
            scores[fmt] = ok
    if not scores:
        raise MappingError(
            f"{source}: column {column!r}: cannot recognise the timestamp format of values such as "
            f"{sample[:3]}; set [timestamps] format = \"...\" (strptime codes, e.g. '%d.%m.%Y %H:%M') in the mapping"
        )
    best = max(scores.values())
    top = [f for f, n in scores.items() if n == best]
    fmt = top[0]
    swapped = _swap_dm(fmt)
    if swapped in top:
        if opts.dayfirst is None and best < len(sample):
            raise MappingError(
                f"{source}: column {column!r} mixes day-first and month-first dates; "
                "set [timestamps] dayfirst = true or false in the mapping (cells that contradict it are quarantined)"
            )
        if opts.dayfirst is None:
            ex = next((v for v in sample if v), "")
            raise MappingError(
                f"{source}: column {column!r}: values such as {ex!r} read both day-first and month-first; "
                "set [timestamps] dayfirst = true or false (or format = \"...\") in the mapping"
            )
        dayfirst_fmt = fmt if fmt.index("%d") < fmt.index("%m") else swapped
        monthfirst_fmt = swapped if dayfirst_fmt == fmt else fmt
        fmt = dayfirst_fmt if opts.dayfirst else monthfirst_fmt
    return fmt


def parse_timestamps(values: pa.Array, opts: TimestampOptions, column: str, source: str) -> ParsedTimestamps:
    """Parse one column to UTC microseconds, with a reason for every cell that failed."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    n = len(values)
    reasons = np.full(n, None, dtype=object)
    notes: list[str] = []
    t = values.type
    if pa.types.is_timestamp(t):
        ts = values.cast(pa.timestamp("us", tz=t.tz)) if t.unit != "us" else values
        if t.tz is None:
            if opts.timezone is None:
                notes.append(f"{column}: naive timestamps taken as UTC (declare [timestamps] timezone to change)")
            ts = _to_utc_us(ts, opts.timezone)
            reasons[_newly_null(values, ts)] = Reason.INVALID_TIMESTAMP
        return ParsedTimestamps(ts.cast(pa.timestamp("us", tz="UTC")), reasons, "typed", notes)
    if pa.types.is_date(t):
        naive = values.cast(pa.timestamp("us"))
        return ParsedTimestamps(_to_utc_us(naive, opts.timezone), reasons, "typed", notes)
    if pa.types.is_integer(t) or pa.types.is_floating(t):
        return _parse_numbers(values, opts, column, reasons, notes)
    fmt = opts.format
    if fmt is None:
        valid = values.drop_null()
        step = max(1, len(valid) // SAMPLE)
        sample = [v.strip() for v in valid[::step][:SAMPLE].to_pylist() if v and v.strip()] if len(valid) else []
        fmt = infer_format(sample, opts, column, source)
    fast = _fast_path(values.cast(pa.string()), fmt, column, notes)
    if fast is not None:  # every cell parsed: no per-cell work needed
        if opts.timezone is None:
            notes.append(f"{column}: naive timestamps taken as UTC (declare [timestamps] timezone to change)")
        return ParsedTimestamps(_to_utc_us(fast, opts.timezone), reasons, fmt, notes)
    s = pc.utf8_trim_whitespace(values.cast(pa.string()))
    s = pc.if_else(pc.equal(s, ""), pa.nulls(n, pa.string()), s)
    if fmt in ("excel", "epoch"):
        nums = pd.to_numeric(pd.Series(s.to_pandas()), errors="coerce")
        bad = nums.isna().to_numpy() & s.is_valid().to_numpy(zero_copy_only=False)
        reasons[bad] = Reason.INVALID_TIMESTAMP
        return _parse_numbers(pa.array(nums, pa.float64()), opts, column, reasons, notes)
    has_off = pc.fill_null(pc.match_substring_regex(s, _OFFSET_RE), False)
    n_off = pc.sum(has_off).as_py() or 0
    n_valid = len(s) - s.null_count
    if fmt == "iso":
        parsed = _parse_iso(s, has_off, n_off, n_valid, opts, reasons, column, notes)
    else:
        naive = _strict_strptime(s, fmt)
        if n_off:
            reasons[has_off.to_numpy(zero_copy_only=False)] = Reason.INVALID_TIMESTAMP
        parsed = _to_utc_us(naive, opts.timezone)
        if opts.timezone is None:
            notes.append(f"{column}: naive timestamps taken as UTC (declare [timestamps] timezone to change)")
    failed = np.asarray(parsed.is_null().to_numpy(zero_copy_only=False)) & np.asarray(
        s.is_valid().to_numpy(zero_copy_only=False))
    unset = failed & pd.isna(reasons)
    if unset.any():
        reasons[unset] = Reason.INVALID_TIMESTAMP
        swapped = _swap_dm(fmt) if fmt != "iso" else None
        if swapped:
            idx = np.flatnonzero(unset)
            alt = _strict_strptime(s.take(pa.array(idx)), swapped)
            amb = idx[np.asarray(alt.is_valid().to_numpy(zero_copy_only=False))]
            reasons[amb] = Reason.AMBIGUOUS_TIMESTAMP
    return ParsedTimestamps(parsed, reasons, fmt, notes)


def _newly_null(before: pa.Array, after: pa.Array) -> np.ndarray:
    return np.asarray(after.is_null().to_numpy(zero_copy_only=False)) & np.asarray(
        before.is_valid().to_numpy(zero_copy_only=False))


def _parse_iso(s: pa.Array, has_off: pa.Array, n_off: int, n_valid: int, opts: TimestampOptions,
               reasons: np.ndarray, column: str, notes: list[str]) -> pa.Array:
    if n_off in (0, n_valid):  # fast path: Arrow's ISO 8601 cast is strict (2024-02-30 fails) but all-or-nothing
        try:
            if n_off == 0:
                naive_fast = _cast_iso(s, None, column, notes)
                if opts.timezone is None:
                    notes.append(f"{column}: naive timestamps taken as UTC (declare [timestamps] timezone to change)")
                return _to_utc_us(naive_fast, opts.timezone)
            return _cast_iso(s, "UTC", column, notes)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass  # some cell is bad: the per-cell path below finds which
    ser = pd.Series(s.to_pandas(), dtype=object) if len(s) else pd.Series([], dtype=object)
    if n_off == n_valid:  # all with offsets: pandas converts each offset exactly
        out = pd.to_datetime(ser, format="ISO8601", errors="coerce", utc=True)
        return pa.array(out.astype("datetime64[us, UTC]"), type=pa.timestamp("us", tz="UTC"))
    naive = pd.to_datetime(ser.where(~has_off.to_numpy(zero_copy_only=False)), format="ISO8601", errors="coerce")
    naive_arr = pa.array(naive.astype("datetime64[us]"), type=pa.timestamp("us"))
    result = _to_utc_us(naive_arr, opts.timezone)
    if n_off:
        off_mask = has_off.to_numpy(zero_copy_only=False)
        if opts.timezone is None:
            no_off = np.asarray(s.is_valid().to_numpy(zero_copy_only=False)) & ~off_mask
            reasons[no_off] = Reason.NAIVE_TIMESTAMP
            result = pa.nulls(len(s), pa.timestamp("us", tz="UTC"))
            notes.append(f"{column}: {int(no_off.sum())} timestamps without a UTC offset in a column with offsets; "
                         "quarantined (declare [timestamps] timezone to load them)")
        withoff = pd.to_datetime(ser.where(off_mask), format="ISO8601", errors="coerce", utc=True)
        wo = pa.array(withoff.astype("datetime64[us, UTC]"), type=pa.timestamp("us", tz="UTC"))
        result = pc.if_else(pa.array(off_mask), wo, result)
    elif opts.timezone is None:
        notes.append(f"{column}: naive timestamps taken as UTC (declare [timestamps] timezone to change)")
    return result


def _fast_path(s: pa.Array, fmt: str, column: str, notes: list[str]) -> pa.Array | None:
    """Naive timestamps when every non-empty cell parses as is (the usual clean export), else None."""
    if fmt in ("excel", "epoch") or "%z" in fmt:
        return None
    if fmt == "iso":
        try:
            return _cast_iso(s, None, column, notes)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return None
    parsed = _strict_strptime(s, fmt)
    return parsed if parsed.null_count == s.null_count else None


def _cast_iso(s: pa.Array, tz: str | None, column: str, notes: list[str]) -> pa.Array:
    """Arrow's strict ISO 8601 cast to µs; 7-9 fractional digits go through ns (truncation noted)."""
    try:
        return pc.cast(s, pa.timestamp("us", tz=tz))
    except pa.ArrowInvalid:
        ns = pc.cast(s, pa.timestamp("ns", tz=tz))
        try:
            return pc.cast(ns, pa.timestamp("us", tz=tz))
        except pa.ArrowInvalid:
            notes.append(f"{column}: timestamps below a microsecond were truncated to microseconds")
            return pc.cast(ns, pa.timestamp("us", tz=tz), safe=False)


def _parse_numbers(values: pa.Array, opts: TimestampOptions, column: str, reasons: np.ndarray,
                   notes: list[str]) -> ParsedTimestamps:
    x = values.cast(pa.float64()).to_numpy(zero_copy_only=False)
    fmt = opts.format
    finite = x[np.isfinite(x)]
    if fmt is None:
        fmt = "excel" if finite.size and finite.max() < 1_000_000 else "epoch"
        kind = "Excel serial dates" if fmt == "excel" else "epoch " + opts.epoch_unit
        notes.append(f"{column}: numbers read as {kind}")
    with np.errstate(invalid="ignore"):
        if fmt == "excel":
            us = np.round(x * _DAY_US) + _EXCEL_EPOCH_US
            out = pa.array(us, pa.float64(), from_pandas=True)
            naive = pc.cast(pc.cast(out, pa.int64()), pa.timestamp("us"))
            return ParsedTimestamps(_to_utc_us(naive, opts.timezone), reasons, "excel", notes)
        us = np.round(x * _UNIT_US[opts.epoch_unit])
    out = pc.cast(pa.array(us, pa.float64(), from_pandas=True), pa.int64())
    return ParsedTimestamps(pc.cast(out, pa.timestamp("us", tz="UTC")), reasons, "epoch", notes)
