"""The units an explanation compares and the factors that describe them.

A **unit** is what one value of the measure belongs to: an activity instance of the step (waiting,
service, sojourn time, cost), an occurrence of the edge (its duration), or a case (throughput time,
cost, rework, deviation; a step's rework and deviation are also per case). Each unit carries the
**candidate factors**: the case's attributes (categorical values; numbers binned by quantiles, the
edges kept), the instance's own event attributes, resource and role, the weekday, hour and month the
step became ready (in the process's time zone), the variant so far, the work in progress of the step
when it became ready, and the batch it finished in (instances of the step by one resource completed at
the same moment). A factor is a column of text labels, one per unit (None: unknown for that unit).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa

from flowmine._fingerprint import FINGERPRINT
from flowmine._remember import remembered
from flowmine._schema import ACTIVITY, CASE, CASE_PREFIX, CORE_TYPES, LIFECYCLE
from flowmine.analytics import LogLike, StoredLog, as_table, ready_times

if TYPE_CHECKING:
    from flowmine.explain._prepared import Prepared

#: Measures of an explanation, by target.
STEP_MEASURES = ("waiting", "service", "sojourn", "cost", "rework", "deviation")
EDGE_MEASURES = ("waiting", "sojourn")
CASE_MEASURES = ("throughput", "cost", "rework", "deviation")
#: Every measure :func:`flowmine.explain.explain` takes.
MEASURES = ("waiting", "service", "sojourn", "throughput", "cost", "rework", "deviation")
#: Measures whose value is yes/no per unit: compared by rates, not medians.
BINARY = ("rework", "deviation")
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
#: Batch sizes as categories (most instances finish alone; a quantile bin would be one value).
_BATCHES = ((1, 1, "1"), (2, 3, "2-3"), (4, 9, "4-9"), (10, None, "10+"))
#: A numeric attribute with at most this many distinct values is read as categories (a count, a level).
_FEW = 12


@dataclass
class Factor:
    """One candidate factor: a label per unit, the values in display order, bin edges if binned."""

    name: str
    kind: str  # case attribute | event attribute | resource | role | time | variant | workload | batch
    labels: npt.NDArray[np.object_]
    edges: list[float] | None = None
    #: Where the labels come from, when they are looked up: ``names[index]`` (-1: None).
    source: tuple[npt.NDArray[np.int64], npt.NDArray[np.object_]] | None = field(default=None, repr=False,
                                                                                compare=False)
    _codes: tuple[npt.NDArray[np.int64], npt.NDArray[np.object_]] | None = field(default=None, repr=False,
                                                                                 compare=False)

    def codes(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.object_]]:
        """The labels as integer codes (None: -1) and the values they stand for, in order of first
        appearance (``pd.factorize``), computed once (the labels never change); from the ``source``'s
        integers when its names are distinct (the same codes, without hashing every text)."""
        if self._codes is None:
            if self.source is not None and len(set(self.source[1].tolist())) == self.source[1].size:
                self._codes = first_codes(*self.source)
            else:
                codes, names = pd.factorize(self.labels)
                self._codes = (np.asarray(codes, dtype=np.int64), np.asarray(names, dtype=object))
        return self._codes


def first_codes(index: npt.NDArray[np.int64], names: npt.NDArray[np.object_]
                ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.object_]]:
    """``pd.factorize(names[index])`` (-1 standing for None) for distinct ``names``: the integers
    factorized instead of the texts."""
    codes, uniques = pd.factorize(np.asarray(index, dtype=np.int64))
    codes = np.asarray(codes, dtype=np.int64)
    unknown = np.flatnonzero(uniques == -1)
    if unknown.size:  # -1 is a value to factorize: its code becomes -1, the later ones move down
        j = int(unknown[0])
        codes = np.where(codes == j, -1, codes - (codes > j))
        uniques = np.delete(uniques, j)
    return codes, np.asarray(names[uniques], dtype=object)


def looked_up(index: npt.NDArray[np.int64], names: npt.NDArray[np.object_]) -> npt.NDArray[np.object_]:
    """``names[index]``, None where the index is -1."""
    labels = np.full(index.size, None, dtype=object)
    known = index >= 0
    labels[known] = names[index[known]]
    return labels


@dataclass
class Units:
    """The values of the measure per unit, their cases, and the candidate factors."""

    values: npt.NDArray[np.float64]
    cases: npt.NDArray[np.object_]
    factors: list[Factor]
    unit: str
    binary: bool
    notes: list[str] = field(default_factory=list)
    #: What is derived from ``cases`` once (``flowmine.explain._explain``'s distinct-case counter).
    memo: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    #: The cases as integers when known (equal integers: the same case), so that counting distinct cases
    #: hashes no text; None: counted from ``cases``.
    case_codes: npt.NDArray[np.int64] | None = field(default=None, repr=False, compare=False)


def fmt_edge(v: float) -> str:
    """A bin edge as its label writes it."""
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.4g}"


def bin_labels(edges: list[float] | npt.NDArray[np.float64]) -> list[str]:
    """The labels of the bins between ``edges``: ``[a, b)``, the last one closed ``[a, b]``."""
    n = len(edges) - 1
    return [f"[{fmt_edge(edges[i])}, {fmt_edge(edges[i + 1])}{']' if i == n - 1 else ')'}" for i in range(n)]


def binned(name: str, kind: str, values: npt.NDArray[np.float64], bins: int) -> Factor:
    """A numeric column as quantile bins ``[a, b)`` (the last closed), or as categories when it has few
    distinct values."""
    finite = np.isfinite(values)
    index = np.full(values.size, -1, dtype=np.int64)
    distinct, inverse = np.unique(values[finite], return_inverse=True)
    if distinct.size <= _FEW and np.any(np.signbit(values[finite]) & (values[finite] == 0)):
        labels = np.full(values.size, None, dtype=object)  # -0 and 0 are one value, spelt two ways
        labels[finite] = [fmt_edge(v) for v in values[finite]]
        return Factor(name, kind, labels)
    if distinct.size <= _FEW:
        index[finite] = inverse.reshape(-1)
        names = np.asarray([fmt_edge(v) for v in distinct], dtype=object)
        return Factor(name, kind, looked_up(index, names), source=(index, names))
    edges = np.unique(np.quantile(values[finite], np.linspace(0, 1, bins + 1)))
    index[finite] = np.clip(np.searchsorted(edges, values[finite], side="right") - 1, 0, edges.size - 2)
    names = np.asarray(bin_labels(edges), dtype=object)
    return Factor(name, kind, looked_up(index, names), [float(e) for e in edges], source=(index, names))


def column_data(col: pa.ChunkedArray | pd.Series) -> tuple[str, npt.NDArray[Any]] | None:
    """An attribute column as what its factor is made of: ``("number", floats)`` (NaN: unknown) or
    ``("labels", texts)`` (None: unknown); None for a date (its month is a factor already). Element by
    element, so the data of a whole table taken at some rows is the data of those rows."""
    series = col if isinstance(col, pd.Series) else col.to_pandas()
    if pd.api.types.is_bool_dtype(series):
        series = series.map({True: "true", False: "false"})
    if pd.api.types.is_numeric_dtype(series):
        return "number", series.to_numpy(dtype=np.float64, na_value=np.nan)
    if pd.api.types.is_datetime64_any_dtype(series):
        return None  # a date attribute is a time, not a category: its month is a factor already
    labels = np.array(series.to_numpy(dtype=object), dtype=object)  # a copy we may write
    missing = pd.isna(labels)
    labels[missing] = None  # pandas' NA first: it cannot be compared
    if not pd.api.types.is_string_dtype(series):  # numbers in an object column, bytes...: their text
        labels[~missing] = [str(v) for v in labels[~missing]]
    labels[labels == ""] = None
    return "labels", labels


def column_factor(name: str, kind: str, data: tuple[Any, ...] | None, bins: int,
                  rows: npt.NDArray[np.int64] | None = None) -> Factor | None:
    """The factor of :func:`column_data` (at ``rows`` of it when given): numbers binned, texts as they
    are; None when no unit's value is known."""
    if data is None:
        return None
    what, values, *coded = data  # labels may come with their codes over the whole table
    if rows is not None:
        values = values[rows]  # a copy: the factor's labels are its own
    if what == "number":
        return binned(name, kind, values, bins) if np.isfinite(values).any() else None
    source = None if not coded or rows is None else (coded[0][0][rows], coded[0][1])
    return Factor(name, kind, values, source=source) if pd.notna(values).any() else None


def _column(name: str, kind: str, col: pa.ChunkedArray | pd.Series, bins: int) -> Factor | None:
    return column_factor(name, kind, column_data(col), bins)


#: A text column as codes over the rows (-1: missing), its distinct texts and the empty text's code (-1:
#: none): ``flowmine.explain._prepared.Prepared.coded``.
Coded = tuple[npt.NDArray[np.int64], npt.NDArray[np.object_], int]


def coded_factor(name: str, kind: str, coded: Coded, at: npt.NDArray[np.int64]) -> Factor | None:
    """The factor of a text column given as codes over all rows (:meth:`Prepared.coded`) at rows ``at``
    (-1: none): what :func:`_column` makes of the rows' texts (an empty text is unknown), without them."""
    codes, names, empty = coded
    index = np.where(at >= 0, codes[np.maximum(at, 0)], -1) if at.size else np.zeros(0, dtype=np.int64)
    if empty >= 0:
        index[index == empty] = -1
    if not (index >= 0).any():
        return None
    return Factor(name, kind, looked_up(index, names), source=(index, names))


def _local(ts: pd.Series, tz: str) -> pd.Series:
    return pd.to_datetime(ts, utc=True).dt.tz_convert(tz)


def time_factors(when: pd.Series, tz: str, prefix: str) -> list[Factor]:
    """Weekday, hour and month of ``when`` in the time zone ``tz`` (labels looked up, not formatted per
    unit)."""
    local = _local(when, tz)
    known = local.notna().to_numpy()
    sub = local[known]
    codes = {"weekday": (sub.dt.day_of_week.to_numpy(), np.asarray(_WEEKDAYS, dtype=object)),
             "hour": (sub.dt.hour.to_numpy(), np.asarray([f"{h:02d}:00" for h in range(24)], dtype=object))}
    ym = (sub.dt.year * 12 + sub.dt.month - 1).to_numpy()
    lo = int(ym.min()) if ym.size else 0
    months = np.asarray([f"{m // 12}-{m % 12 + 1:02d}" for m in range(lo, int(ym.max()) + 1 if ym.size else 0)],
                        dtype=object)
    codes["month"] = (ym - lo, months)
    out = []
    for name in ("weekday", "hour", "month"):
        idx, names = codes[name]
        index = np.full(len(local), -1, dtype=np.int64)
        index[known] = idx.astype(np.int64)
        out.append(Factor(f"{prefix} {name}", "time", looked_up(index, names), source=(index, names)))
    return out


def attribute_tables(log: LogLike) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(case attributes, one row per case; event attributes, one row per event_id) of the log.

    Units look their attributes up by case id and event id, so a stored log's tables are those of the
    whole stored version (a filter only keeps fewer units), read once while its file is unchanged."""
    if isinstance(log, StoredLog):
        base = log.base
        return remembered("explain-attributes", base.path, lambda: _attribute_tables(base))
    return _attribute_tables(log)


def _attribute_tables(log: LogLike) -> tuple[pd.DataFrame, pd.DataFrame]:
    table = as_table(log, None)
    core = set(CORE_TYPES) | {LIFECYCLE}
    case_cols = [c for c in table.column_names if c.startswith(CASE_PREFIX) and c != CASE]
    # not the events' content fingerprints: one per event, never a factor value with support
    event_cols = [c for c in table.column_names if c not in core and not c.startswith(CASE_PREFIX)
                  and not c.startswith("source:") and c not in (ACTIVITY, FINGERPRINT)]
    cases = table.select([CASE, *case_cols]).to_pandas().drop_duplicates(CASE).set_index(CASE)
    events = table.select(["event_id", *event_cols]).to_pandas().set_index("event_id") if event_cols else (
        pd.DataFrame(index=pd.Index(table.column("event_id").to_numpy(), name="event_id")))
    return cases, events


def _us(ts: pd.Series) -> npt.NDArray[np.int64]:
    return np.asarray(pd.to_datetime(ts, utc=True).to_numpy(dtype="datetime64[us]").astype(np.int64))


def work_in_progress(at: npt.NDArray[np.int64], ready: npt.NDArray[np.int64], done: npt.NDArray[np.int64]
                     ) -> npt.NDArray[np.float64]:
    """For each time of ``at`` (a unit's ready time): the instances of the step (``ready``, ``done``)
    ready and not yet completed then, the unit itself not counted."""
    r, d = np.sort(ready), np.sort(done)
    wip = np.searchsorted(r, at, side="right") - np.searchsorted(d, at, side="right") - 1
    return np.maximum(wip, 0).astype(np.float64)


def same_key_sizes(resource: npt.NDArray[Any], at: npt.NDArray[np.int64], coded: bool = False
                   ) -> npt.NDArray[np.int64]:
    """For each row, how many rows share its resource and its time (an unknown resource is one key, as
    ``groupby(dropna=False)`` counts it): runs of the rows sorted by both. ``coded``: the resources are
    given as integer codes already (-1: unknown)."""
    codes = np.asarray(resource if coded else pd.factorize(resource)[0], dtype=np.int64)
    order = np.lexsort((at, codes))
    k, t = codes[order], at[order]
    run = np.cumsum(np.r_[True, (k[1:] != k[:-1]) | (t[1:] != t[:-1])]) - 1
    size = np.empty(codes.size, dtype=np.int64)
    size[order] = np.bincount(run)[run]
    return size


def batch_sizes(resource: npt.NDArray[np.object_], complete: npt.NDArray[np.int64]) -> npt.NDArray[np.object_]:
    """The batch category of each instance: how many instances of the step its resource completed at the
    same moment (unknown without a resource)."""
    return batch_factor(resource, complete).labels


def batch_factor(resource: npt.NDArray[Any], complete: npt.NDArray[np.int64], coded: bool = False) -> Factor:
    """The factor of :func:`batch_sizes` (``coded``: the resources as integer codes, -1 unknown)."""
    size = same_key_sizes(resource, complete, coded)
    index = np.full(size.size, -1, dtype=np.int64)
    known = resource >= 0 if coded else pd.notna(resource)
    for k, (lo, hi, _) in enumerate(_BATCHES):
        index[known & (size >= lo) & ((size <= hi) if hi is not None else True)] = k
    names = np.asarray([name for _, _, name in _BATCHES], dtype=object)
    return Factor("batch size", "batch", looked_up(index, names), source=(index, names))


def _prefix_hashes(inst: pd.DataFrame) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.int64],
                                                npt.NDArray[np.int64]]:
    """Per row: a rolling hash of the activities before it in its case (vectorised over the cases, one
    step per position), the activity codes, and the row's depth in its case (0 for the first)."""
    codes, _ = pd.factorize(inst["activity"])
    pos = inst["pos"].to_numpy(dtype=np.int64)
    first = inst.groupby("case", sort=False)["pos"].transform("min").to_numpy(dtype=np.int64)
    depth = pos - first
    prefix = np.zeros(codes.size, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for d in range(1, int(depth.max()) + 1 if depth.size else 1):
            at = np.flatnonzero(depth == d)
            prefix[at] = _roll(prefix[at - 1], codes[at - 1])
    return prefix, codes.astype(np.int64), depth


def _roll(h: npt.NDArray[np.uint64], code: npt.NDArray[np.int64]) -> npt.NDArray[np.uint64]:
    with np.errstate(over="ignore"):
        return np.asarray(h * np.uint64(1_000_003) + np.uint64(1) + code.astype(np.uint64))


def _spelt(acts: npt.NDArray[np.object_], hashes: npt.NDArray[np.uint64], begins: npt.NDArray[np.int64],
           ends: npt.NDArray[np.int64]) -> npt.NDArray[np.object_]:
    """The text of each sequence ``acts[begin:end]`` (" → "-joined, "(start)" when empty), spelt out once
    per distinct hash (as its first sequence)."""
    index, names = _spelt_index(acts, hashes, begins, ends)
    return np.asarray(names[index], dtype=object)


class _Spelling:
    """The activities of rows as codes and names, sliced like the activities themselves (the names of
    a slice's codes): no text per row is made."""

    def __init__(self, codes: npt.NDArray[np.int64], names: npt.NDArray[np.object_]) -> None:
        self.codes, self.names = codes, names

    def __getitem__(self, rows: slice) -> npt.NDArray[np.object_]:
        return np.asarray(self.names[self.codes[rows]], dtype=object)


def _spelt_index(acts: Any, hashes: npt.NDArray[np.uint64], begins: npt.NDArray[np.int64],
                 ends: npt.NDArray[np.int64]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.object_]]:
    """:func:`_spelt` as the index of each sequence's text in the texts of the distinct hashes."""
    distinct, first, inverse = np.unique(hashes, return_index=True, return_inverse=True)
    names = np.empty(distinct.size, dtype=object)
    for k, (begin, end) in enumerate(zip(begins[first].tolist(), ends[first].tolist(), strict=True)):
        names[k] = " → ".join(acts[begin:end]) if end > begin else "(start)"
    return np.asarray(inverse, dtype=np.int64).reshape(-1), names


def variants_so_far(inst: pd.DataFrame, rows: npt.NDArray[np.int64], prep: Prepared | None = None
                    ) -> npt.NDArray[np.object_]:
    """The activities before each of ``rows`` in its case, joined with " → " ("(start)" for the first)."""
    return variant_factor(inst, rows, prep).labels


def variant_factor(inst: pd.DataFrame, rows: npt.NDArray[np.int64], prep: Prepared | None = None) -> Factor:
    """The factor of :func:`variants_so_far`."""
    prefix, _, depth = _prefix_hashes(inst) if prep is None else prep.prefix()
    acts: Any = inst["activity"].to_numpy(dtype=object) if prep is None else _Spelling(*prep.activity_codes())
    index, names = _spelt_index(acts, prefix[rows], rows - depth[rows], rows)
    return Factor("variant so far", "variant", np.asarray(names[index], dtype=object), source=(index, names))


def case_variants(inst: pd.DataFrame, prep: Prepared | None = None) -> pd.Series:
    """Each case's variant (its activities joined with " → "), indexed by case id."""
    prefix, codes, depth = _prefix_hashes(inst) if prep is None else prep.prefix()
    case = inst["case"].to_numpy(dtype=object)
    last = np.flatnonzero(np.append(case[1:] != case[:-1], True))  # each case's last row
    full = _roll(prefix[last], codes[last])
    acts = inst["activity"].to_numpy(dtype=object)
    text = _spelt(acts, full, last - depth[last], last + 1)
    return pd.Series(text, index=pd.Index(case[last], name="case"))


def case_frame(inst: pd.DataFrame, variant: bool = True, prep: Prepared | None = None) -> pd.DataFrame:
    """Per case: start (first start, else completion), end (last completion), cost, whether any step was
    repeated, and (``variant``) its variant."""
    begin = inst["start"].fillna(inst["complete"])
    g = inst.assign(begin=begin).groupby("case", sort=False)
    out = pd.DataFrame({"start": g["begin"].min(), "end": g["complete"].max(), "cost": g["cost"].sum(min_count=1),
                        "rework": g["repetition"].max() >= 2})
    if variant:
        out["variant"] = case_variants(inst, prep).reindex(out.index)
    return out


def add_attributes(factors: list[Factor], cases: npt.NDArray[np.object_], case_attrs: pd.DataFrame,
                   bins: int, columns: list[tuple[str, Any]] | None = None,
                   positions: npt.NDArray[np.int64] | None = None) -> None:
    """The case attributes' factors of units in ``cases``; with ``columns`` (the :func:`column_data` of
    every column of ``case_attrs``, made once), from them at the cases' ``positions`` in the table
    (looked up when not given)."""
    if columns is not None:
        if positions is None:
            positions = np.asarray(case_attrs.index.get_indexer(pd.Index(cases)), dtype=np.int64)
        if positions.size == 0 or positions.min() >= 0:  # every case in the table (else looked up below)
            for col, data in columns:
                f = column_factor(col, "case attribute", data, bins, positions)
                if f is not None:
                    factors.append(f)
            return
    for col in case_attrs.columns:
        f = _column(col, "case attribute", case_attrs[col].reindex(cases).reset_index(drop=True), bins)
        if f is not None:
            factors.append(f)


#: What a step's units read of their instances: their case and event, who did them, when they became ready.
_READY_COLUMNS = ("ready", "enabling_complete", "start", "complete")
_UNIT_COLUMNS = ("case", "event_id", "resource", "role", *_READY_COLUMNS)
_CODED_UNIT_COLUMNS = ("case", "event_id", *_READY_COLUMNS)  # resources and roles as the prepared codes


def _take(inst: pd.DataFrame, rows: npt.NDArray[np.int64], columns: tuple[str, ...]) -> pd.DataFrame:
    """The ``columns`` of ``inst`` at ``rows`` (positions), indexed from 0: one take, not a copy of every
    column."""
    where = [int(inst.columns.get_loc(c)) for c in columns]  # type: ignore[arg-type]
    return pd.DataFrame(inst.iloc[rows, where]).reset_index(drop=True)


def step_units(inst: pd.DataFrame, log: LogLike, which: pd.Series | npt.NDArray[np.bool_], column: str, *,
               measure: str, tz: str, bins: int, prep: Prepared | None = None) -> Units:
    """The instances ``which`` selects (a step's, or an edge's targets) with a known ``column`` value, and
    their factors; the work in progress counts the instances ``which`` selects. ``prep``: what is derived
    from ``inst`` once (``flowmine.explain._prepared``)."""
    which = which.to_numpy() if isinstance(which, pd.Series) else which
    rows = np.flatnonzero(which)
    values = inst[column].to_numpy(dtype=np.float64, na_value=np.nan)[rows]
    keep = np.isfinite(values)
    notes = []
    if (~keep).any():
        notes.append(f"{int((~keep).sum()):,} instances without a known {measure} value are not compared")
    rows, values = rows[keep], values[keep]
    # resources and roles from the prepared log's codes when both columns are text (no text column taken)
    res_code, role_code = (None, None) if prep is None else (prep.coded("resource"), prep.coded("role"))
    both = res_code is not None and role_code is not None
    coded: tuple[Coded, Coded] | None = (res_code, role_code) if both else None  # type: ignore[assignment]
    sel = _take(inst, rows, _UNIT_COLUMNS if coded is None else _CODED_UNIT_COLUMNS)
    case_attrs, event_attrs = attribute_tables(log) if prep is None else prep.attributes(log)
    cases = sel["case"].to_numpy(dtype=object)
    factors: list[Factor] = []
    if prep is None:
        add_attributes(factors, cases, case_attrs, bins)
    else:
        add_attributes(factors, cases, case_attrs, bins, prep.case_columns(log), prep.case_positions(log)[rows])
    at = None if prep is None else prep.event_positions(log)[rows]
    for col in event_attrs.columns:
        attr = (event_attrs[col].reindex(sel["event_id"]) if at is None or (at.size and at.min() < 0)
                else event_attrs[col].take(at))
        f = _column(col, "event attribute", attr.reset_index(drop=True), bins)
        if f is not None:
            factors.append(f)
    for k, (col, name, kind) in enumerate((("resource", "org:resource", "resource"), ("role", "org:role", "role"))):
        f = _column(name, kind, sel[col], bins) if coded is None else coded_factor(name, kind, coded[k], rows)
        if f is not None:
            factors.append(f)
    ready = ready_times(sel)
    factors += time_factors(ready, tz, "ready")
    factors.append(variant_factor(inst, rows, prep))
    every = _take(inst, np.flatnonzero(which), _READY_COLUMNS)
    wip = work_in_progress(_us(ready), _us(ready_times(every)), _us(every["complete"]))
    factors.append(binned("work in progress", "workload", wip, bins))
    if coded is None:
        factors.append(batch_factor(sel["resource"].to_numpy(dtype=object), _us(sel["complete"])))
    else:  # the resources' codes (an empty text is a resource here, as in ``groupby``)
        factors.append(batch_factor(coded[0][0][rows], _us(sel["complete"]), coded=True))
    codes = None if prep is None else prep.case_codes()[rows]
    return Units(values, cases, factors, "", False, notes, case_codes=codes)


def per_case_units(inst: pd.DataFrame, log: LogLike, values: pd.Series, *, tz: str, bins: int, binary: bool,
                   variant: bool, step: str | None = None, prep: Prepared | None = None) -> Units:
    """One unit per case of ``values`` (indexed by case id), with the case's factors (and, for a step,
    the resource of its first execution)."""
    whole = case_frame(inst, variant=variant) if prep is None else prep.case_frame(variant)
    # with ``prep``, the cases are looked up once: their places in its case frame (whose order is the
    # case codes' order) give their rows, attribute rows and first executions; the places of an index
    # asked again (a report's cases, the case frame's own) are remembered by the prepared log
    at_case = None if prep is None else prep.places(whole.index, values.index)
    known = values.notna().to_numpy()
    if not known.all():
        values = values[known]
        at_case = None if at_case is None else at_case[known]
    cases = values.index.to_numpy(dtype=object)
    case_attrs, _ = attribute_tables(log) if prep is None else prep.attributes(log)
    factors: list[Factor] = []
    if at_case is not None and at_case.size and at_case.min() < 0:
        at_case = None  # a case the log does not hold: looked up by id below
    if prep is None or at_case is None:
        add_attributes(factors, cases, case_attrs, bins)
        frame = whole.reindex(cases)
    else:
        add_attributes(factors, cases, case_attrs, bins, prep.case_columns(log),
                       prep.case_positions(log)[prep.first_rows()][at_case])
        frame = whole.iloc[at_case]
    factors += [f for f in time_factors(frame["start"].reset_index(drop=True), tz, "start")
                if not f.name.endswith("hour")]
    if variant:
        factors.append(Factor("variant", "variant", frame["variant"].to_numpy(dtype=object)))
    if step is not None:
        at = inst[inst["activity"] == step] if prep is None else prep.step(step)
        code: Coded | None = None
        res: pd.Series | None
        if prep is None or at_case is None:
            first = at[at["repetition"] == 1].drop_duplicates("case")
            res = first.set_index("case")["resource"].reindex(cases).reset_index(drop=True)
        else:  # each case's first execution: the first row of its code among the step's first repetitions
            ones = at.index.to_numpy(dtype=np.int64)[at["repetition"].to_numpy() == 1]
            first_rows = ones[np.unique(prep.case_codes()[ones], return_index=True)[1]]
            row_of = np.full(len(whole), -1, dtype=np.int64)  # each case's first execution's row (-1: none)
            row_of[prep.case_codes()[first_rows]] = first_rows
            at_first = row_of[at_case]
            code = prep.coded("resource")
            res = None if code is not None else pd.Series(inst["resource"].array.take(at_first, allow_fill=True))
        # the resource's codes at the first executions' rows when the prepared log has them (no text taken)
        f = (_column("org:resource", "resource", res, bins) if res is not None or code is None
             else coded_factor("org:resource", "resource", code, at_first))
        if f is not None:
            factors.append(f)
    return Units(values.to_numpy(dtype=np.float64), cases, factors, "", binary, case_codes=_own_codes(values))


def _own_codes(values: pd.Series) -> npt.NDArray[np.int64] | None:
    """One unit per case: its place in the values is its code when their index holds each case once."""
    return np.arange(len(values), dtype=np.int64) if values.index.is_unique else None


def currency_of(inst: pd.DataFrame) -> str:
    found = [c for c in inst["currency"].dropna().unique().tolist() if c]
    return str(found[0]) if len(found) == 1 else ("mixed" if found else "")
