"""``explain``: the influencing factors of one step's (edge's, case's) measure, ranked by the excess they cause.

For every value of every candidate factor (:mod:`flowmine.explain._units`) with enough cases on both
sides, the units with that value are compared with the rest (:mod:`flowmine.explain._stats`): medians
(rates for yes/no measures), the effect ratio with its bootstrap interval, a p-value, and the
**excess**: the group's total minus what it would be if its units behaved like the rest on average
(``sum(with) - n_with * mean(rest)``; for rates, the cases above the rest's rate), with a normal
interval (the variance of a sum and of a mean, the two groups independent). All p-values are
corrected together (Benjamini-Hochberg); a **finding** has a q-value at most ``alpha`` and at least
``min_cases`` cases on both sides. Findings that cover (almost) the same units are one group (two
attributes that always go together cannot be told apart); within the top finding, the other factors
are tested again (a second-level split), kept only when their own support and test hold.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

from flowmine._params import Interval, Options, validate_params
from flowmine.analytics import LogLike, StoredLog
from flowmine.errors import OptionError
from flowmine.explain import _stats
from flowmine.explain._prepared import Prepared, deviation_index, prepared
from flowmine.explain._units import (
    BINARY,
    CASE_MEASURES,
    EDGE_MEASURES,
    MEASURES,
    STEP_MEASURES,
    Factor,
    Units,
    currency_of,
    per_case_units,
    step_units,
)
from flowmine.explain._waiting import waiting_parts

#: Columns of :attr:`Explanation.factors` (and of each item of the JSON's ``factors``).
FACTOR_COLUMNS = ("attribute", "kind", "value", "cases", "units", "median_with", "median_without",
                  "effect_ratio", "ci_low", "ci_high", "p_value", "q_value", "excess", "excess_low", "excess_high",
                  "unit", "finding", "same_cases_as")
#: Two findings whose units overlap at least this much (Jaccard) are reported as one group.
SAME_UNITS = 0.95
_COLUMN = {"waiting": "waiting_s", "service": "service_s", "sojourn": "sojourn_s", "cost": "cost"}


@dataclass
class Explanation:
    """What :func:`explain` returns.

    Attributes
    ----------
    target, name:
        ``"step"`` and the activity, ``"edge"`` and ``"A -> B"``, or ``"case"`` and ``None``.
    measure, statistic, unit:
        The measure; ``"median"`` (time, cost) or ``"rate"`` (rework, deviation: the share of units
        with it); ``"s"``, the currency, or ``"cases"``.
    cases, units:
        Cases and units (instances, occurrences or cases) compared.
    factors:
        Every factor value tested, ranked by excess (columns :data:`FACTOR_COLUMNS`); ``finding`` marks
        the ones that pass; ``same_cases_as`` lists the findings grouped under this one.
    interactions:
        The second-level split within the top finding: the same columns, each group compared with the
        rest *of the top finding's units* (empty when no split holds).
    bins:
        The bin edges of every numeric factor that was binned.
    waiting_parts:
        For the waiting time of a step or an edge: its totals off calendar, waiting for the batch,
        waiting for a busy resource and the rest (``flowmine.explain._waiting``), with their shares and
        the parts the log cannot tell (``unknown``); None for other measures.
    """

    target: str
    name: str | None
    measure: str
    statistic: str
    unit: str
    cases: int
    units: int
    alpha: float
    min_cases: int
    n_boot: int
    confidence: float
    seed: int
    factors: pd.DataFrame
    interactions: pd.DataFrame
    bins: dict[str, list[float]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    waiting_parts: dict[str, Any] | None = None

    @property
    def findings(self) -> pd.DataFrame:
        """The factor values that pass the test and the support, ranked by excess."""
        return self.factors[self.factors["finding"]].reset_index(drop=True)

    def to_dict(self, all_factors: bool = False) -> dict[str, Any]:
        """JSON-ready: ``step`` (or ``edge``), ``measure``, ``cases`` and ``factors`` (the findings, or
        every value tested with ``all_factors``), each with ``ci`` = [low, high] of the effect ratio."""
        rows = self.factors if all_factors else self.findings
        out: dict[str, Any] = {
            "target": self.target, "step": self.name if self.target == "step" else None,
            "edge": self.name if self.target == "edge" else None, "measure": self.measure,
            "statistic": self.statistic, "unit": self.unit, "cases": self.cases, "units": self.units,
            "alpha": self.alpha, "min_cases": self.min_cases, "n_boot": self.n_boot,
            "confidence": self.confidence, "seed": self.seed, "tested": len(self.factors),
            "findings": int(self.factors["finding"].sum()), "factors": _records(rows),
            "interactions": _records(self.interactions), "bins": self.bins, "notes": self.notes,
            "waiting_parts": self.waiting_parts}
        return out


def _clean(v: Any) -> Any:
    if isinstance(v, (float, np.floating)):
        return None if not np.isfinite(v) else float(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.bool_):
        return bool(v)
    return v


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for row in frame.to_dict("records"):
        rec = {str(k): _clean(v) for k, v in row.items()
               if k not in ("ci_low", "ci_high", "excess_low", "excess_high")}
        rec["ci"] = [_clean(row["ci_low"]), _clean(row["ci_high"])]
        rec["excess_ci"] = [_clean(row["excess_low"]), _clean(row["excess_high"])]
        out.append(rec)
    return out


def _config(log: LogLike, definition: str | None) -> Any:
    """The process configuration: the definition named, else the stored process's own (None without)."""
    name = definition if definition is not None else (log.process if isinstance(log, StoredLog) else None)
    if name is None:
        return None
    from flowmine.processes import configured

    return configured(name)


def _zone(cfg: Any, timezone: str | None) -> str:
    if timezone is not None:
        return timezone
    return str(cfg.calendar.get("timezone", "UTC")) if cfg is not None else "UTC"


def _steps_of_rule(params: dict[str, Any]) -> set[str]:
    out: set[str] = set()
    for v in params.values():
        if isinstance(v, str):
            out.add(v)
        elif isinstance(v, (list, tuple)):
            out.update(x for x in v if isinstance(x, str))
    return out


def _deviating(log: LogLike, step: str | None, definition: str | None, report: Any = None) -> pd.Series:
    """Per case: 1 when it deviates (at ``step``: a skipped, inserted or out-of-order move of it, or a
    broken business rule that names it; for the case: fitness below 1 or any rule broken), else 0."""
    if not isinstance(log, StoredLog):
        raise OptionError("the deviation measure needs a stored log (stored(store, process)): it runs the "
                          "conformance check", parameter="measure", function="explain")
    from flowmine.conformance import check

    if len(log.filters) > 1:
        raise OptionError("the deviation measure takes at most one case filter", parameter="measure",
                          function="explain")
    if report is None:
        report = check(log.store, log.process, with_precision=False, with_impact=False,
                       filters=log.filters[0] if log.filters else None, definition=definition)
    names = {step} if step is None else {step, report.labels.mapping.get(step, step)}
    concerning: set[str] = set()
    if step is not None:
        from flowmine.processes import configured

        cfg = configured(definition or log.process)
        for r in (cfg.rules if cfg is not None else ()):
            if names & _steps_of_rule(r.params):
                concerning.add(r.id)
    return deviation_index(report).deviating(None if step is None else names, concerning)


def _units(log: LogLike, prep: Prepared, target: str, name: Any, measure: str, tz: str, bins: int,
           definition: str | None, report: Any) -> Units:
    inst = prep.inst
    if target == "edge":
        a, b = name
        occ = inst[(inst["activity"] == b) & (inst["prev_activity"] == a)]
        if occ.empty:
            raise OptionError(f"no case goes directly from {a!r} to {b!r}", parameter="edge", function="explain")
        if measure == "waiting" and inst["start"].notna().sum() == 0:
            raise OptionError("the log has no start timestamps: waiting time is unknown; use measure='sojourn'",
                              parameter="measure", function="explain")
        units = step_units(inst, log, (inst["activity"] == b) & (inst["prev_activity"] == a), "edge_s",
                           measure=measure, tz=tz, bins=bins, prep=prep)
        units.unit = "s"
        return units
    if target == "step":
        if measure in _COLUMN:
            col = _COLUMN[measure]
            at = prep.step(name)
            if at[col].notna().sum() == 0:
                if measure in ("waiting", "service") and at["start"].notna().sum() == 0:
                    why = f"the log has no start timestamps for {name!r}: its {measure} time is unknown; use " \
                          "measure='sojourn'"
                elif measure in ("waiting", "sojourn"):
                    why = f"{name!r} starts its cases (no step enables it): it has no {measure} time; use " \
                          "measure='service' or the case"
                else:
                    why = f"no {measure} value of {name!r} is known"
                raise OptionError(why, parameter="measure", function="explain")
            units = step_units(inst, log, prep.rows(name), col, measure=measure, tz=tz, bins=bins, prep=prep)
            units.unit = currency_of(prep.step(name)) if measure == "cost" else "s"
            return units
        at = prep.step(name)
        if measure == "rework":
            values = (at.groupby("case")["repetition"].max() >= 2).astype(np.float64)
        else:
            values = _deviating(log, name, definition, report)
        units = per_case_units(inst, log, values, tz=tz, bins=bins, binary=True, variant=False, step=name,
                               prep=prep)
        units.unit = "cases"
        return units
    frame = prep.case_frame(False)
    if measure == "throughput":
        values = (pd.to_datetime(frame["end"], utc=True) - pd.to_datetime(frame["start"], utc=True)
                  ).dt.total_seconds()
        unit = "s"
    elif measure == "cost":
        values, unit = frame["cost"], currency_of(inst)
    elif measure == "rework":
        values, unit = frame["rework"].astype(np.float64), "cases"
    else:
        values, unit = _deviating(log, None, definition, report), "cases"
    units = per_case_units(inst, log, values, tz=tz, bins=bins, binary=measure in BINARY,
                           variant=measure not in BINARY, prep=prep)
    units.unit = unit
    return units


class _Cases:
    """Distinct cases under a mask, fast: case ids as integer codes; when every unit is its own case
    (one instance per case, or per-case units) a count of the mask is the count of its cases."""

    def __init__(self, cases: npt.NDArray[Any], codes: npt.NDArray[np.int64] | None = None) -> None:
        if codes is None:  # ``codes``: the cases as non-negative integers, when the caller has them
            codes = np.asarray(pd.factorize(cases)[0], dtype=np.int64)
        per_case = np.bincount(codes)
        self.unique = codes.size == 0 or int(per_case.max()) <= 1
        # the units of cases with several (rework): only they can make a count of the mask too high
        self.multi = np.flatnonzero(per_case[codes] > 1)
        self.codes = codes[self.multi]
        by_case = np.argsort(self.codes, kind="stable")  # the several units of a case side by side
        self.grouped = self.multi[by_case]
        self.runs = np.flatnonzero(np.r_[True, np.diff(self.codes[by_case]) != 0]) if self.multi.size else by_case

    def count(self, mask: npt.NDArray[np.bool_]) -> int:
        n = int(np.count_nonzero(mask))
        if self.unique or self.multi.size == 0:
            return n
        shared = mask[self.multi]
        return n - int(np.count_nonzero(shared)) + int(np.unique(self.codes[shared]).size)

    def counts(self, masks: npt.NDArray[np.bool_], sizes: npt.NDArray[np.int64] | None = None
               ) -> npt.NDArray[np.int64]:
        """:meth:`count` of every row of ``masks`` at once (the cases with several units as runs, any of a
        run's units under the mask counting its case once); ``sizes``: the rows' counts when known."""
        n = np.asarray(np.count_nonzero(masks, axis=1) if sizes is None else sizes, dtype=np.int64)
        if self.unique or self.multi.size == 0 or masks.shape[0] == 0:
            return n
        sub = np.take(masks, self.grouped, axis=1)
        hit = np.logical_or.reduceat(sub, self.runs, axis=1)
        return n - np.count_nonzero(sub, axis=1) + np.count_nonzero(hit, axis=1)


def _cases_of(units: Units) -> _Cases:
    """The distinct-case counter of all of ``units``' units, made once."""
    if "cases" not in units.memo:
        units.memo["cases"] = _Cases(units.cases, units.case_codes)
    return units.memo["cases"]


#: The rows of factor values' masks built at once (their memory: this many times the units, in bytes).
_BLOCK = 64


def _candidates(units: Units, min_cases: int, within: npt.NDArray[np.bool_] | None = None,
                skip: str | None = None) -> tuple[list[tuple[str, str, str]], npt.NDArray[np.bool_]]:
    """(attribute, kind, value) and the mask of every factor value with ``min_cases`` cases on both sides
    (inside ``within`` when given)."""
    scope = np.ones(units.values.size, dtype=bool) if within is None else within
    cases = _cases_of(units)
    keys: list[tuple[str, str, str]] = []
    masks: list[npt.NDArray[np.bool_]] = []
    for f in units.factors:
        if f.name == skip:
            continue
        codes, names = f.codes()  # None -> -1
        counts = np.bincount(codes[scope & (codes >= 0)], minlength=len(names))
        wanted = np.flatnonzero(counts >= min_cases)
        for b in range(0, wanted.size, _BLOCK):  # the values' masks a block at a time, their cases counted at once
            ks = wanted[b:b + _BLOCK]
            block = (codes[None, :] == ks[:, None]) & scope[None, :]
            ok = (cases.counts(block) >= min_cases) & (cases.counts(block ^ scope[None, :]) >= min_cases)
            keys += [(f.name, f.kind, str(names[k])) for k in ks[ok].tolist()]
            masks.append(block[ok])
    return keys, (np.concatenate(masks) if keys else np.zeros((0, units.values.size), dtype=bool))


def _n_cases(units: Units) -> int:
    if units.case_codes is not None:
        return int(np.count_nonzero(np.bincount(units.case_codes))) if units.case_codes.size else 0
    return int(pd.unique(units.cases).size)


def _within(units: Units, within: npt.NDArray[np.bool_]) -> Units:
    """The units under ``within`` alone, their factors' codes those of all units (so that values keep
    their order): the candidates and comparisons inside a group read only its units."""
    factors = []
    for f in units.factors:
        codes, names = f.codes()
        inner = Factor(f.name, f.kind, f.labels[within], f.edges)
        inner._codes = (codes[within], names)
        factors.append(inner)
    return Units(units.values[within], units.cases[within], factors, units.unit, units.binary, units.notes,
                 case_codes=None if units.case_codes is None else units.case_codes[within])


def _compare(units: Units, keys: list[tuple[str, str, str]], masks: npt.NDArray[np.bool_],
             scope: npt.NDArray[np.bool_], *, alpha: float, min_cases: int, n_boot: int, confidence: float,
             rng: np.random.Generator, intervals: str = "all") -> pd.DataFrame:
    """Each mask's group against the rest of ``scope``: the table of :data:`FACTOR_COLUMNS`. The
    bootstrap intervals of the effect ratio are drawn for every value (``intervals="all"``) or only for
    the findings (``"findings"``: the others' ``ci_low``/``ci_high`` stay NaN), in the order of ``keys``."""
    x = units.values[scope]
    # the rows C-ordered: a row is read whole, a column selection would leave it strided over all rows
    everything = bool(scope.all())
    m = masks if everything else np.compress(scope, masks, axis=1)
    cases = _cases_of(units) if everything else _Cases(
        units.cases[scope], None if units.case_codes is None else units.case_codes[scope])
    if not keys:
        return pd.DataFrame(columns=list(FACTOR_COLUMNS))
    order = np.argsort(x, kind="stable")
    xs = x[order]
    # sums of squares as pairwise sums: the same on every machine (BLAS' dot splits the sum over threads,
    # and on a busy machine waking them costs more than the sum)
    total, total_sq = float(x.sum()), float((x * x).sum())
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    rows, draws = [], []
    sizes = np.count_nonzero(m, axis=1)
    n_cases = cases.counts(m, sizes)
    if units.binary:
        hits = np.count_nonzero(m[:, x.astype(bool)], axis=1)  # the units with the outcome: the few columns
        p = _stats.fisher_test(hits, sizes, int(x.sum()), x.size)
    else:
        in_order = np.take(m, order, axis=1)  # each group's places in the sorted values, already sorted
        ranks, ties = _stats.sorted_ranks(xs)
        rank_sums = np.empty(len(keys), dtype=np.float64)  # of each group: the rank test's statistic
    for i, (attr, kind, value) in enumerate(keys):
        n_with = int(sizes[i])
        n_rest = x.size - n_with
        if units.binary:
            k_with, k_rest = int(hits[i]), int(x.sum()) - int(hits[i])
            a, b = k_with / n_with, k_rest / n_rest
            draws.append(functools.partial(_rate_draws, k_with, n_with, k_rest, n_rest))
            excess = k_with - n_with * b
            spread = np.sqrt(n_with * a * (1 - a) + n_with ** 2 * b * (1 - b) / n_rest)
        else:
            pos = np.flatnonzero(in_order[i])  # the group's places in the sorted values
            gs = xs[pos]
            rank_sums[i] = ranks[pos].sum()  # half-integers: exact in any order
            shifted = pos - np.arange(pos.size)  # the rest's r-th value (0-based) sits at r + #(shifted <= r)
            rest_at = functools.partial(_rest_at, xs, shifted)
            middle = rest_at(np.array([(n_rest + 1) // 2, n_rest // 2 + 1]))
            a, b = _stats.sorted_median(gs), float(middle.mean() if n_rest % 2 == 0 else middle[0])
            draws.append(functools.partial(_median_draws, gs, n_rest, rest_at))
            g_sum, g_sq = float(gs.sum()), float((gs * gs).sum())
            r_sum, r_sq = total - g_sum, total_sq - g_sq
            r_mean = r_sum / n_rest
            r_var = max(r_sq - n_rest * r_mean ** 2, 0.0) / (n_rest - 1)
            excess = g_sum - n_with * r_mean
            spread = float(np.sqrt(n_with * gs.var(ddof=1) + n_with ** 2 * r_var / n_rest))
        ratio = a / b if b > 0 else float("nan")
        rows.append({"attribute": attr, "kind": kind, "value": value, "cases": int(n_cases[i]), "units": n_with,
                     "median_with": a, "median_without": b, "effect_ratio": ratio, "ci_low": np.nan,
                     "ci_high": np.nan, "p_value": np.nan, "excess": excess, "excess_low": excess - z * spread,
                     "excess_high": excess + z * spread, "unit": units.unit})
    if not units.binary:
        p = _stats.rank_p(rank_sums, sizes, x.size, ties)
    out = pd.DataFrame(rows)
    out["p_value"] = np.asarray(p, dtype=np.float64)
    out["q_value"] = _stats.bh(out["p_value"].to_numpy(dtype=np.float64))
    out["finding"] = (out["q_value"] <= alpha) & (out["cases"] >= min_cases)
    wanted = out["finding"].to_numpy() if intervals == "findings" else np.ones(len(out), dtype=bool)
    ci = np.full((len(out), 2), np.nan)
    for i in np.flatnonzero(wanted).tolist():
        ci[i] = _stats.ratio_interval(*draws[i](n_boot, rng), confidence)
    out["ci_low"], out["ci_high"] = ci[:, 0], ci[:, 1]
    out["same_cases_as"] = [[] for _ in range(len(out))]
    out = out.sort_values(["excess", "attribute", "value"], ascending=[False, True, True], kind="stable")
    return out.reindex(columns=list(FACTOR_COLUMNS))


def _rest_at(xs: npt.NDArray[np.float64], shifted: npt.NDArray[np.int64], ranks: npt.NDArray[np.int64]
             ) -> npt.NDArray[np.float64]:
    """The values of the rest (the sorted values ``xs`` without a group) at 1-based ``ranks``."""
    r = np.asarray(ranks) - 1
    return np.asarray(xs[r + np.searchsorted(shifted, r, side="right")], dtype=np.float64)


def _median_draws(gs: npt.NDArray[np.float64], n_rest: int, rest_at: Callable[[Any], npt.NDArray[np.float64]],
                  n_boot: int, rng: np.random.Generator) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    return _stats.median_draws(gs, n_boot, rng), _stats.median_draws_at(n_rest, rest_at, n_boot, rng)


def _rate_draws(k_with: int, n_with: int, k_rest: int, n_rest: int, n_boot: int, rng: np.random.Generator
                ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    return _stats.rate_draws(k_with, n_with, n_boot, rng), _stats.rate_draws(k_rest, n_rest, n_boot, rng)


def _same_units(sub: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
    """For every pair of rows (above the diagonal), whether their units overlap at least
    :data:`SAME_UNITS` (Jaccard, in single precision). Only pairs of about the same size can (the
    Jaccard index is at most the smaller size over the larger), so only theirs are intersected, as
    bit-packed rows."""
    size = np.count_nonzero(sub, axis=1)
    same = np.zeros((size.size, size.size), dtype=bool)
    near = np.triu(np.minimum.outer(size, size) >= 0.9 * np.maximum.outer(size, size), 1)
    if not near.any():
        return same
    packed = np.packbits(sub, axis=1)
    for n in np.flatnonzero(near.any(axis=1)).tolist():
        js = np.flatnonzero(near[n])
        inter = np.bitwise_count(packed[n][None, :] & packed[js]).sum(axis=1, dtype=np.int64).astype(np.float32)
        union = np.maximum(size[n].astype(np.float32) + size[js].astype(np.float32) - inter, np.float32(1.0))
        same[n, js] = inter / union >= SAME_UNITS
    return same


def _group_same(table: pd.DataFrame, keys: list[tuple[str, str, str]], masks: npt.NDArray[np.bool_]
                ) -> pd.DataFrame:
    """Fold findings that cover (almost) the same units into the one with the larger excess."""
    index = {k: i for i, k in enumerate(keys)}
    found = [(pos, index[(str(r.attribute), str(r.kind), str(r.value))])
             for pos, r in zip(table.index, table.itertuples(), strict=True) if r.finding]
    if len(found) < 2:
        return table
    same = _same_units(masks[[i for _, i in found]])
    absorbed: set[Any] = set()
    for n, (pos, _) in enumerate(found):  # in the table's order: the larger excess first
        if pos in absorbed:
            continue
        for m2 in np.flatnonzero(same[n]).tolist():
            pos2 = found[m2][0]
            if m2 <= n or pos2 in absorbed:
                continue
            grouped: list[Any] = list(table.at[pos, "same_cases_as"])  # type: ignore[arg-type]
            grouped.append({"attribute": table.at[pos2, "attribute"], "value": table.at[pos2, "value"]})
            table.at[pos, "same_cases_as"] = grouped  # type: ignore[assignment]
            absorbed.add(pos2)
    return table.drop(index=list(absorbed))


@validate_params({"measure": [Options(MEASURES), None], "min_cases": [Interval(int, 2, None)],
                  "alpha": [Interval(float, 0, 1, closed="neither")], "n_boot": [Interval(int, 100, None)],
                  "confidence": [Interval(float, 0, 1, closed="neither")], "bins": [Interval(int, 2, 20)]})
def explain(log: LogLike, *, step: str | None = None, edge: tuple[str, str] | str | None = None,
            measure: str | None = None, min_cases: int = 30, alpha: float = 0.05, n_boot: int = 1000,
            confidence: float = 0.95, bins: int = 4, seed: int = 0, timezone: str | None = None,
            interactions: bool = True, definition: str | None = None, report: Any = None,
            decompose: bool = True) -> Explanation:
    """The influencing factors of a step's, an edge's or the whole case's measure.

    Parameters
    ----------
    log:
        Any log the analytics take: ``stored(store, process)`` (optionally ``.where(filter)``), a
        DataFrame or an Arrow table in the canonical schema.
    step, edge:
        The activity, or the directly-follows edge ``("A", "B")`` (or ``"A -> B"``); neither: the case.
    measure:
        For a step: ``waiting`` (default when the log has start timestamps), ``service``, ``sojourn``
        (the default without starts), ``cost``, ``rework`` or ``deviation``; for an edge ``waiting``
        or ``sojourn`` (its duration); for the case ``throughput`` (default), ``cost``, ``rework`` or
        ``deviation`` (conformance check of the stored log).
    min_cases:
        The support below which a group is never a finding (on both sides).
    alpha:
        The false discovery rate: a finding has a Benjamini-Hochberg q-value at most ``alpha``.
    n_boot, confidence, seed:
        The bootstrap of the effect ratio's interval.
    bins:
        Quantile bins of a numeric attribute (one with at most 12 distinct values is read as categories).
    timezone:
        Where weekdays and hours are counted (default: the process configuration's calendar, else UTC).
    interactions:
        Test the other factors again within the top finding.
    definition:
        The process definition whose model and rules the deviation measure checks (default: the
        process's own).
    report:
        The deviation measure: a :class:`~flowmine.conformance.ConformanceReport` of the same log to
        reuse instead of running the check.
    decompose:
        For the waiting time of a step or an edge, also split it into its parts (``waiting_parts``).

    Examples
    --------
    >>> from flowmine.analytics import stored
    >>> from flowmine.explain import explain
    >>> result = explain(stored(STORE, "finance"), step="Finance review")  # STORE: a store's path
    >>> list(result.findings.columns[:3])
    ['attribute', 'kind', 'value']
    """
    return explain_with(log, prepared(log), step=step, edge=edge, measure=measure, min_cases=min_cases,
                        alpha=alpha, n_boot=n_boot, confidence=confidence, bins=bins, seed=seed, timezone=timezone,
                        interactions=interactions, definition=definition, report=report, decompose=decompose)


def explain_with(log: LogLike, prep: Prepared, *, step: str | None, edge: tuple[str, str] | str | None,
                 measure: str | None, min_cases: int, alpha: float, n_boot: int, confidence: float, bins: int,
                 seed: int, timezone: str | None, interactions: bool, definition: str | None, report: Any,
                 decompose: bool, intervals: str = "all") -> Explanation:
    """:func:`explain` on the log's instances already prepared (``flowmine.explain._prepared``: the step
    card prepares them once); ``intervals="findings"`` draws the bootstrap intervals of the findings only
    (the card shows no other)."""
    inst = prep.inst
    if step is not None and edge is not None:
        raise OptionError("give a step or an edge, not both", parameter="edge", function="explain")
    target, name = ("step", step) if step is not None else (("edge", _edge(edge)) if edge is not None
                                                            else ("case", None))
    allowed = {"step": STEP_MEASURES, "edge": EDGE_MEASURES, "case": CASE_MEASURES}[target]
    if measure is None:
        measure = "throughput" if target == "case" else ("waiting" if inst["start"].notna().any() else "sojourn")
    if measure not in allowed:
        raise OptionError(f"The 'measure' parameter of explain must be one of {list(allowed)} for a {target}. "
                          f"Got {measure!r} instead.", parameter="measure", function="explain")
    if step is not None and not prep.rows(step).any():
        known = ", ".join(repr(a) for a in inst["activity"].value_counts().index[:8].tolist())
        raise OptionError(f"no instance of step {name!r} in the log; its steps include {known}",
                          parameter="step", function="explain")
    cfg = _config(log, definition)
    units = _units(log, prep, target, name, measure, _zone(cfg, timezone), bins, definition, report)
    if units.values.size == 0:
        raise OptionError(f"no {measure} value to explain", parameter="measure", function="explain")
    rng = np.random.default_rng(seed)
    everything = np.ones(units.values.size, dtype=bool)
    keys, masks = _candidates(units, min_cases)
    opts: dict[str, Any] = {"alpha": alpha, "min_cases": min_cases, "n_boot": n_boot, "confidence": confidence,
                            "rng": rng}
    table = _group_same(_compare(units, keys, masks, everything, intervals=intervals, **opts), keys,
                        masks).reset_index(drop=True)
    inner = pd.DataFrame(columns=list(FACTOR_COLUMNS))
    top = table[table["finding"] & (table["excess"] > 0)]
    if interactions and not top.empty:
        first = top.iloc[0]
        inside = _within(units, masks[keys.index((first["attribute"], first["kind"], first["value"]))])
        ikeys, imasks = _candidates(inside, min_cases, skip=str(first["attribute"]))
        inner = _compare(inside, ikeys, imasks, np.ones(inside.values.size, dtype=bool), intervals="findings",
                         **opts)  # only findings are kept
        inner = inner[inner["finding"]].reset_index(drop=True)
    label = f"{name[0]} -> {name[1]}" if isinstance(name, tuple) else name
    parts = None
    if decompose and measure == "waiting" and target != "case":
        which = (((inst["activity"] == name[1]) & (inst["prev_activity"] == name[0])).to_numpy()
                 if isinstance(name, tuple) else prep.rows(str(name)))
        _, parts = waiting_parts(inst, which, cfg.working_calendar() if cfg is not None else None, prep.busy(),
                                 prep.coded("resource"))
    return Explanation(
        target=target, name=label, measure=measure, statistic="rate" if units.binary else "median",
        unit=units.unit, cases=_n_cases(units), units=int(units.values.size), alpha=alpha,
        min_cases=min_cases, n_boot=n_boot, confidence=confidence, seed=seed, factors=table,
        interactions=inner, bins={f.name: f.edges for f in units.factors if f.edges is not None},
        notes=units.notes, waiting_parts=parts)


def _edge(edge: tuple[str, str] | str | None) -> tuple[str, str]:
    if isinstance(edge, str):
        import re

        parts = re.split(r"\s*(?:->|→)\s*", edge.strip())
        if len(parts) == 2 and all(parts):
            return parts[0], parts[1]
        raise OptionError(f"edge {edge!r}: expected 'A -> B'", parameter="edge", function="explain")
    if isinstance(edge, tuple) and len(edge) == 2 and all(isinstance(x, str) and x for x in edge):
        return edge
    raise OptionError(f"edge {edge!r}: expected ('A', 'B') or 'A -> B'", parameter="edge", function="explain")
