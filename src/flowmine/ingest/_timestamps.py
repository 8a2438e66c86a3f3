"""Strict, per-cell timestamp parsing with a declared or inferred format.

Never a generic converter guessing on every text column: the format is declared in the mapping
or inferred from a sample of the one timestamp column, then applied to every cell. A cell that
does not fit gets a reason (unparseable, impossible such as 2024-02-30, day/month order that
contradicts the column, naive in a column with offsets) instead of a silent NaT or a guess.
Results are int64 microseconds since the epoch, UTC.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from flowmine._schema import Reason
from flowmine.errors import MappingError
from flowmine.ingest._cells import _np
from flowmine.ingest._mapping import TimestampOptions
from flowmine.ingest._source import quotes_content, shown

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
#: Magnitude below which an epoch cell is read in each unit (1e11 s is the year 5138; 1e11 ms is 1973).
_UNIT_BELOW: Final = (("s", 1e11), ("ms", 1e14), ("us", 1e17), ("ns", float("inf")))
_EPOCH: Final = dt.datetime(1970, 1, 1)
#: SAP and others write an empty date as zeros (00000000, 0000-00-00, 00.00.0000 00:00:00).
_ZERO_DATE_RE: Final = r"^[0.:/\- T]*$"
SAMPLE: Final = 2000


@dataclass
class ParsedTimestamps:
    """µs since epoch UTC (``None`` where a cell failed) and per-cell reason codes."""

    values: pa.Array  # timestamp[us, UTC]
    reasons: np.ndarray  # object array: None or a Reason code, per cell (None also for empty cells)
    format: str  # the format used ("iso", a strptime format, "excel", "epoch", "typed")
    notes: list[str] = field(default_factory=list)
    zeros: np.ndarray | None = None  # cells holding an all-zero date (SAP's 00000000): empty, not dates


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


def _bounds_us(opts: TimestampOptions) -> tuple[int, int]:
    """[first, after last] plausible instant in µs since the epoch (min_year-01-01 .. max_year-12-31)."""
    first = (dt.datetime(opts.min_year, 1, 1) - _EPOCH).days * _DAY_US
    after = (dt.datetime(opts.max_year, 12, 31) - _EPOCH).days * _DAY_US + _DAY_US
    return first, after


def _bound(ts: pa.Array, opts: TimestampOptions, reasons: np.ndarray) -> pa.Array:
    """Cells outside the plausible years become null with IMPLAUSIBLE_TIMESTAMP (sentinels such as
    0001-01-01 and 9999-12-31 are "no date", not dates)."""
    if len(ts) == 0 or ts.null_count == len(ts):
        return ts
    first, after = _bounds_us(opts)
    ticks = ts.cast(pa.int64())
    lo, hi = pc.min_max(ticks).values()
    if first <= lo.as_py() and hi.as_py() < after:
        return ts
    out = _np(pc.or_(pc.less(ticks, first), pc.greater_equal(ticks, after)))
    reasons[out] = Reason.IMPLAUSIBLE_TIMESTAMP
    return pc.if_else(pa.array(out), pa.nulls(len(ts), ts.type), ts)


def _to_utc_us(naive: pa.Array, opts: TimestampOptions, reasons: np.ndarray) -> pa.Array:
    """Naive wall-clock times in the declared zone -> UTC, within the plausible years.

    Local times the clock skips (daylight-saving gap) or shows twice (overlap) get their own reason
    (NONEXISTENT_TIME, AMBIGUOUS_TIME) unless the mapping declares a policy (``dst_gap``,
    ``dst_overlap``): never a null timestamp without a reason, never a silent shift.
    """
    naive = _bound(naive, opts, reasons)
    tz = opts.timezone
    if tz is None or tz == "UTC":
        return pc.assume_timezone(naive, timezone="UTC")
    early = pc.assume_timezone(naive, timezone=tz, ambiguous="earliest", nonexistent="earliest")
    late = pc.assume_timezone(naive, timezone=tz, ambiguous="latest", nonexistent="latest")
    differ = _np(pc.not_equal(early, late))
    if not differ.any():
        return early.cast(pa.timestamp("us", tz="UTC"))
    overlap = differ & _np(pc.equal(pc.local_timestamp(early), naive))
    gap = differ & ~overlap
    out = early
    if gap.any():
        if opts.dst_gap == "shift_forward":  # to the first instant after the gap, as pandas does
            out = pc.if_else(pa.array(gap), late, out)
        else:
            reasons[gap] = Reason.NONEXISTENT_TIME
            out = pc.if_else(pa.array(gap), pa.nulls(len(out), out.type), out)
    if overlap.any():
        if opts.dst_overlap == "latest":
            out = pc.if_else(pa.array(overlap), late, out)
        elif opts.dst_overlap == "quarantine":
            reasons[overlap] = Reason.AMBIGUOUS_TIME
            out = pc.if_else(pa.array(overlap), pa.nulls(len(out), out.type), out)
    return out.cast(pa.timestamp("us", tz="UTC"))


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
            f"{shown(str(sample[:3]))}; set [timestamps] format = \"...\" (strptime codes, "
            "e.g. '%d.%m.%Y %H:%M') in the mapping"
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
                f"{source}: column {column!r}: values such as {shown(repr(ex))} read both day-first and month-first; "
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
            ts = _to_utc_us(ts, opts, reasons)
        ts = _bound(ts.cast(pa.timestamp("us", tz="UTC")), opts, reasons)
        return ParsedTimestamps(ts, reasons, "typed", notes)
    if pa.types.is_date(t):
        naive = values.cast(pa.timestamp("us"))
        return ParsedTimestamps(_to_utc_us(naive, opts, reasons), reasons, "typed", notes)
    if pa.types.is_integer(t) or pa.types.is_floating(t):
        return _parse_numbers(values, opts, column, reasons, notes)
    values = values.cast(pa.string())
    zeros = zero_dates(values)
    if zeros.any():  # SAP's 00000000: an empty date, not a date
        values = pc.if_else(pa.array(zeros), pa.nulls(n, pa.string()), values)
    fmt = opts.format
    if fmt is None:
        valid = values.drop_null()
        step = max(1, len(valid) // SAMPLE)
        sample = [v.strip() for v in valid[::step][:SAMPLE].to_pylist() if v and v.strip()] if len(valid) else []
        fmt = infer_format(sample, opts, column, source)
    fast = _fast_path(values, fmt, column, notes)
    if fast is not None:  # every cell parsed: no per-cell work needed
        if opts.timezone is None:
            notes.append(f"{column}: naive timestamps taken as UTC (declare [timestamps] timezone to change)")
        return ParsedTimestamps(_to_utc_us(fast, opts, reasons), reasons, fmt, notes, zeros)
    s = pc.utf8_trim_whitespace(values)
    s = pc.if_else(pc.equal(s, ""), pa.nulls(n, pa.string()), s)
    if fmt in ("excel", "epoch"):
        nums = pd.to_numeric(pd.Series(s.to_pandas()), errors="coerce")
        bad = nums.isna().to_numpy() & s.is_valid().to_numpy(zero_copy_only=False)
        reasons[bad] = Reason.INVALID_TIMESTAMP
        out = _parse_numbers(pa.array(nums, pa.float64()), opts, column, reasons, notes, fmt=fmt)
        out.zeros = zeros
        return out
    # A leading year outside the plausible bounds (0001-01-01T00:00:00+01:00, 9999-12-31) is told
    # before any parser sees it: such values overflow pandas' and Arrow's conversions.
    lead = pc.extract_regex(s, r"^(?P<y>[0-9]{4})[-/.年]")
    if lead.null_count < len(lead):
        year = pc.cast(pc.struct_field(lead, [0]), pa.int64())
        far = _np(pc.or_(pc.less(year, opts.min_year), pc.greater(year, opts.max_year)))
        if far.any():
            reasons[far] = Reason.IMPLAUSIBLE_TIMESTAMP
            s = pc.if_else(pa.array(far), pa.nulls(n, pa.string()), s)
    has_off = pc.fill_null(pc.match_substring_regex(s, _OFFSET_RE), False)
    n_off = pc.sum(has_off).as_py() or 0
    n_valid = len(s) - s.null_count
    if fmt == "iso":
        parsed = _parse_iso(s, has_off, n_off, n_valid, opts, reasons, column, notes)
    else:
        naive = _strict_strptime(s, fmt)
        if n_off:
            reasons[has_off.to_numpy(zero_copy_only=False)] = Reason.INVALID_TIMESTAMP
        parsed = _to_utc_us(naive, opts, reasons)
        if opts.timezone is None:
            notes.append(f"{column}: naive timestamps taken as UTC (declare [timestamps] timezone to change)")
    parsed = _bound(parsed, opts, reasons)
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
    return ParsedTimestamps(parsed, reasons, fmt, notes, zeros)


def zero_dates(values: pa.Array) -> np.ndarray:
    """Cells that are an all-zero date (``00000000``, ``0000-00-00``, ``00.00.0000 00:00:00``): at
    least six zeros and nothing but zeros and separators. SAP writes them for "no date"."""
    if not len(values) or not pc.any(pc.starts_with(values, "00")).as_py():  # the usual column: one cheap pass
        return np.zeros(len(values), dtype=bool)
    return _np(pc.and_(pc.match_substring_regex(values, _ZERO_DATE_RE),
                       pc.greater_equal(pc.count_substring(values, "0"), 6)))


def describe(reason: str, fmt: str, opts: TimestampOptions) -> str:
    """The quarantine detail of a timestamp cell that failed for ``reason`` (self-contained: the
    value is in the record's ``value`` field; :func:`cell_details` quotes it for invalid cells)."""
    tz = opts.timezone
    return {
        Reason.INVALID_TIMESTAMP: f"does not match format {fmt!r}",
        Reason.AMBIGUOUS_TIMESTAMP: f"reads only with day and month swapped against the column's format {fmt!r}",
        Reason.NAIVE_TIMESTAMP: "has no UTC offset while other cells do, and no time zone is declared",
        Reason.IMPLAUSIBLE_TIMESTAMP: f"outside the plausible years {opts.min_year}-{opts.max_year} "
                                      "(set [timestamps] min_year / max_year)",
        Reason.NONEXISTENT_TIME: f"local time skipped by the daylight-saving change in {tz} "
                                 "(set [timestamps] dst_gap = \"shift_forward\" to load it)",
        Reason.AMBIGUOUS_TIME: f"local time occurs twice at the daylight-saving change in {tz} "
                               "(set [timestamps] dst_overlap = \"earliest\" or \"latest\" to load it)",
        Reason.MIXED_EPOCH_UNITS: "its magnitude is that of another epoch unit than "
                                  + (f"the declared {opts.epoch_unit!r}" if opts.epoch_unit else
                                     "most of the column's values (declare [timestamps] epoch_unit)"),
    }.get(reason, f"not a valid timestamp in format {fmt!r}")


def cell_details(reason: str, values: pa.Array, fmt: str, opts: TimestampOptions) -> str | pa.Array:
    """Per-cell detail for ``reason``: an invalid cell names value and format, e.g.
    ``'05.03.2024 14:30' does not match format '%Y-%m-%d %H:%M'``."""
    text = describe(reason, fmt, opts)
    if reason != Reason.INVALID_TIMESTAMP or not quotes_content():
        return text
    v = pc.utf8_slice_codeunits(pc.cast(values, pa.string()), 0, 80)
    v = pc.fill_null(v, "")
    if fmt in ("epoch", "excel"):
        text = f"is not a number (format {fmt!r})"
    return pc.binary_join_element_wise("'", v, "' " + text, "")


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
                return _to_utc_us(naive_fast, opts, reasons)
            return _cast_iso(s, "UTC", column, notes)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass  # some cell is bad: the per-cell path below finds which
    ser = pd.Series(s.to_pandas(), dtype=object) if len(s) else pd.Series([], dtype=object)
    if n_off == n_valid:  # all with offsets: pandas converts each offset exactly
        out = pd.to_datetime(ser, format="ISO8601", errors="coerce", utc=True)
        return pa.array(out.astype("datetime64[us, UTC]"), type=pa.timestamp("us", tz="UTC"))
    naive = pd.to_datetime(ser.where(~has_off.to_numpy(zero_copy_only=False)), format="ISO8601", errors="coerce")
    naive_arr = pa.array(naive.astype("datetime64[us]"), type=pa.timestamp("us"))
    result = _to_utc_us(naive_arr, opts, reasons)
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
                   notes: list[str], fmt: str | None = None) -> ParsedTimestamps:
    """Excel serial days or epoch numbers -> UTC. Epoch units are checked per cell: a cell whose
    magnitude belongs to another unit than the column's (ms among s) is MIXED_EPOCH_UNITS, and
    nothing outside the plausible years reaches an integer cast (no overflow, no 1970 dates)."""
    x = values.cast(pa.float64()).to_numpy(zero_copy_only=False).astype(float)
    fmt = fmt or opts.format
    finite = np.isfinite(x)
    if fmt is None:
        fmt = "excel" if finite.any() and np.abs(x[finite]).max() < 1_000_000 else "epoch"
        if fmt == "excel":
            notes.append(f"{column}: numbers read as Excel serial dates")
    first, after = _bounds_us(opts)
    with np.errstate(invalid="ignore", over="ignore"):
        if fmt == "excel":
            us = np.round(x * _DAY_US) + _EXCEL_EPOCH_US
            naive = True
        else:
            mag = np.abs(x)
            cell_unit = np.select([mag < b for _, b in _UNIT_BELOW], [u for u, _ in _UNIT_BELOW], "ns")
            unit = opts.epoch_unit
            own = x * np.vectorize(_UNIT_US.get, otypes=[float])(cell_unit) if x.size else x
            votes = finite & (own >= first) & (own < after)  # plausible when read in their magnitude's unit
            if unit is None:  # the unit most cells read as a plausible date in
                units, counts = np.unique(cell_unit[votes if votes.any() else finite], return_counts=True)
                unit = str(units[np.argmax(counts)]) if units.size else "s"
                notes.append(f"{column}: numbers read as epoch {unit} (from their magnitude; "
                             "declare [timestamps] epoch_unit to be sure)")
            mixed = votes & (cell_unit != unit)
            if mixed.any():
                reasons[mixed] = Reason.MIXED_EPOCH_UNITS
                notes.append(f"{column}: {int(mixed.sum())} epoch value(s) have the magnitude of another unit "
                             f"than {unit}; quarantined")
                x = np.where(mixed, np.nan, x)
            us = np.round(x * _UNIT_US[unit])
            naive = False
        ok = np.isfinite(us)
        far = ok & ((us < first) | (us >= after))
        if far.any():
            reasons[far & pd.isna(reasons)] = Reason.IMPLAUSIBLE_TIMESTAMP
        us = np.where(ok & ~far, us, np.nan)
    ticks = pc.cast(pa.array(us, pa.float64(), from_pandas=True), pa.int64())
    if naive:
        return ParsedTimestamps(_to_utc_us(pc.cast(ticks, pa.timestamp("us")), opts, reasons), reasons, "excel",
                                notes)
    return ParsedTimestamps(pc.cast(ticks, pa.timestamp("us", tz="UTC")), reasons, "epoch", notes)
