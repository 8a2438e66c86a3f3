"""Discover a :class:`SimulationModel` from a log's activity instances.

- **Flow**: each case's steps in the canonical order, as next-step probabilities (a first-order
  chain from ``(start)`` to ``(end)``: rework loops and choices keep their observed frequencies;
  parallel branches are walked one after the other).
- **Arrivals**: the cases' first ready (or start, or completion) times per hour of the week, divided
  by the weeks the calibration period spans: a rate per hour of the week.
- **Durations**: per step, the service time (start to completion) where the log has starts, else the
  sojourn time (ready to completion, with no pool: the step only takes its time), then per previous
  step where at least 30 instances came from it (how long a step takes depends on where the case
  comes from: a reminder after a payment, a fine after an appeal). A lognormal, gamma
  and exponential fit (maximum likelihood, location 0) are compared by their Kolmogorov-Smirnov
  distance to the data; the best is kept when that distance is under 0.05, else the empirical
  distribution (101 quantiles).
- **Pools**: the role of the step when the log names roles (a role's members: the resources that did
  its steps), else the set of resources of the step; capacity = the members. **Working hours** of a
  pool: the hours of the week in which it started (or completed) at least 0.5 % of its work.
- **Extraneous delays**: per step, the pool's working time from an instance's enabling to its start
  during which its resource did no work of the log: waiting nobody's work explains (a supplier, a
  customer, a document in the post), drawn before the step asks for its pool.
- **States** (``_states``): the flow per state of the case (the steps it has done, as a set and counted,
  and the last of them) with at least 30 moves, and on a log without starts each step's sojourn per state
  it comes from (empirical quantiles); where the log's sojourns are of two kinds (the work of one sitting
  and waits, split on a log scale), also by whether the case has waited before, where the two differ.
- **Rounds** (logs without starts): a step whose completions keep to a few hours of the week is done in
  rounds, one instance at a time (a pool of one member), its time from the latest of its ready time, the
  step's previous completion and the round's opening.
- **Cost**: the mean cost of one execution of the step, where the log has costs.
- **Case attributes**: the ``case:*`` attributes (numbers, and texts of at most 100 values) of up to
  5,000 calibration cases, whole rows: each simulated case draws one.
- **Attribute-dependent branching**: after a step with several next steps (at least 200 observed), each
  case attribute is tested for predicting the next step (a text attribute by its values; a number by the
  best single cut among its deciles, as a rule "amount above 5,000" cuts); the strongest dependency
  (Cramér's V at least 0.1, chi-square p below 0.001, at least 30 cases in each group) is kept.
"""

from __future__ import annotations

import functools
import warnings
from typing import Any, cast

import numpy as np
import pandas as pd
from scipy import stats

from flowmine._schema import ACTIVITY, CASE, TIMESTAMP
from flowmine.analytics import (
    Calendar,
    LogLike,
    StoredLog,
    as_table,
    busy_spans,
    instances,
    ready_times,
    to_micros,
)
from flowmine.simulation._arrivals import arrival_trend
from flowmine.simulation._batching import find as find_batch
from flowmine.simulation._days import (
    arrival_rates,
    calendar_days,
    keeps_calendar,
    local_seconds,
    next_day_open,
    worked_correction,
)
from flowmine.simulation._model import END, START, Batch, Branch, Distribution, Pool, SimulationModel, StepModel
from flowmine.simulation._states import (
    Coded,
    coded_states,
    duration_states,
    flow_states,
    long_sojourn,
    waited_before,
)

#: Largest Kolmogorov-Smirnov distance at which a fitted family is kept over the empirical distribution.
KS_KEEP = 0.05
#: Share of a pool's work an hour of the week needs to count as working time.
WORKING_HOUR_SHARE = 0.005
#: A start-less step's sojourn gets its own distribution after a previous step with this many instances.
MIN_AFTER = 30
#: At most this many values are used to fit a family (a random subsample of larger steps).
FIT_SAMPLE = 20_000
#: The flow after a step gets its own probabilities per step before it that this many cases came from.
MIN_HISTORY = 30
#: Case attribute rows kept in the model (a random sample of the calibration cases).
ATTRIBUTE_ROWS = 5_000
#: A text case attribute with more distinct values than this is not kept (an id, a free text).
ATTRIBUTE_VALUES = 100
#: Attribute-dependent branching: transitions needed after a step, cases per group, strength, p-value.
BRANCH_MIN, BRANCH_GROUP_MIN, BRANCH_V, BRANCH_P = 200, 30, 0.1, 1e-3


def discover(log: LogLike, *, timezone: str | None = None, until: str | None = None,
             calendar: Calendar | None = None) -> SimulationModel:
    """The simulation model of ``log`` (see the module docstring).

    Parameters
    ----------
    log:
        ``stored(store, process)`` (optionally filtered) or any log the analytics take.
    timezone:
        The zone of the arrival pattern and working hours (default: the process configuration's
        calendar, else UTC).
    until:
        Calibrate on the cases that started before this date (ISO), e.g. before an improvement.
    calendar:
        The process calendar whose holidays and make-up workdays the model keeps (default: the process
        configuration's ``[calendar]``, with its official calendar; none for a log of no configured
        process). Its hours are not used: each pool's working hours come from when it worked.

    Examples
    --------
    >>> from flowmine.analytics import stored
    >>> from flowmine.simulation import discover
    >>> model = discover(stored(STORE, "finance"))  # STORE: a store's path
    >>> round(sum(model.flow["(start)"].values()), 6)
    1.0
    """
    tz = timezone or _zone(log)
    inst = instances(log)
    first = inst.groupby("case", sort=False)["pos"].transform("min") == inst["pos"]
    begin = _begin(inst)
    if until is not None:
        cutoff = pd.Timestamp(until, tz="UTC") if pd.Timestamp(until).tzinfo is None else pd.Timestamp(until)
        keep = inst["case"].isin(inst.loc[first & (begin < cutoff), "case"])
        inst, first, begin = inst[keep], first[keep], begin[keep]
    # who worked and when: from the work done before ``until`` (a case started before it may reach a
    # step after the change, done by the new staff in the new hours); how long it took and waited: from
    # the instances ready before it (those started before it would leave out the long waits that were
    # still running at the change date: a sample biased to short ones)
    done = inst if until is None else inst[pd.to_datetime(inst["start"].fillna(inst["complete"]), utc=True)
                                           < cutoff]
    timing = inst if until is None else inst[pd.to_datetime(ready_times(inst), utc=True) < cutoff]
    if inst.empty:
        from flowmine.errors import OptionError

        raise OptionError("no case to calibrate on" + (f" before {until}" if until else ""),
                          parameter="until", function="discover")
    arrivals_at = begin[first]
    span_weeks = max((arrivals_at.max() - arrivals_at.min()).total_seconds() / (7 * 86400), 1.0)
    local = arrivals_at.dt.tz_convert(tz)
    how = (local.dt.day_of_week * 24 + local.dt.hour).to_numpy()
    trend = arrival_trend(arrivals_at)
    half = trend * span_weeks / 2  # with a trend, the rates hold at the period's middle, where the
    mean_factor = float(np.sinh(half) / half) if half else 1.0  # average rate is this much above them
    days = calendar_days(_calendar(log, calendar), arrivals_at, tz)
    rates, closed_arrivals = arrival_rates(how, local_seconds(arrivals_at, tz), span_weeks, days.closed)
    rates = rates / mean_factor
    has_starts = bool(inst["start"].notna().any())
    unusual = days.closed + days.makeup  # days whose hours do not show the week's working hours
    pools = _pools(done, tz, unusual) if has_starts and done["resource"].notna().any() else {}
    if not has_starts:  # a step whose completions keep to a few hours of the week: it waits for them
        pools.update({a: Pool(a, [ROUND_MEMBER], hours) for a, hours in _rounds(done, tz, unusual).items()})
    keeps = keeps_calendar(done, pools, tz, days.closed) if days.closed else {}
    for pool_name, kept in pools.items():
        kept.calendar = keeps.get(pool_name, True)
    is_last = inst.groupby("case", sort=False)["pos"].transform("max") == inst["pos"]
    coded = coded_states(inst)  # the case's state at each instance: the steps done up to it, and before it
    # a log without starts whose sojourns are of two kinds: whether each instance's case has waited before it
    long = None if has_starts or coded is None else long_sojourn(inst)
    waited = None if long is None else waited_before(inst, long)
    row_of = pd.Series(np.arange(len(inst)), index=inst.index)
    through = {str(m) for p in pools.values() if not p.calendar for m in p.members}
    free = _Availability(inst, tz, days.closed, through, unusual) if pools and has_starts else None
    steps = {}
    notes: list[str] = []
    batched: list[pd.Index] = []  # the instances done in batch runs
    seen = set(timing["activity"].unique().tolist())
    for name, part in pd.concat([timing, inst[~inst["activity"].isin(seen)]]).groupby("activity", sort=True):
        pool = _pool_of(part, pools)
        delay = batch = None
        if pool is not None:  # the work itself: the pool's working time between start and completion
            hours = pools[pool].hours
            kept_days = (days.closed, days.makeup) if pools[pool].calendar else ((), ())
            found = find_batch(part, tz)
            if isinstance(found, str):
                notes.append(f"{name}: {found}")
            elif found is not None:  # the batched instances: their runs, neither service nor delay
                batch = Batch(found.resources, float(found.batched.mean()), found.at,
                              fit(_working_seconds(found.run_start, found.run_end, hours, tz, *kept_days)),
                              runs=len(found.run_start))
                batched.append(part.index[found.batched])
                part = part[~found.batched]
            # a round (no starts): one at a time, from the latest of when the instance was ready (the case's
            # previous completion), the step's previous completion and the round's opening, to its completion
            began = part["start"] if has_starts else _one_at_a_time(
                pd.to_datetime(part["complete"], utc=True) - pd.to_timedelta(part["sojourn_s"], unit="s"),
                part["complete"], hours, tz)
            values = _working_seconds(began, part["complete"], hours, tz, *kept_days)
            delay = _extraneous(part, free) if free is not None and not part.empty else None
        else:
            values = (part["service_s"] if has_starts else part["sojourn_s"]).to_numpy(dtype=np.float64)
        values = values[np.isfinite(values) & (values >= 0)]
        cost = float(part["cost"].mean()) if part["cost"].notna().any() else 0.0
        after, last = ({}, {}) if has_starts or pool is not None else _after(part, is_last)
        by_state = [] if has_starts or pool is not None or coded is None else duration_states(
            part, row_of[part.index].to_numpy(), is_last.reindex(part.index).fillna(False).to_numpy(dtype=bool),
            coded, empirical, waited)
        steps[str(name)] = StepModel(str(name), pool, fit(values), cost, delay, after, last=last, batch=batch,
                                     states=by_state)
    if not has_starts:
        notes.append("the log has no start timestamps: each step takes its sojourn time (ready to completion) "
                     "and no pool is modelled" + (f"; {', '.join(sorted(pools))} complete(s) only in a few hours of "
                                                  "the week and wait(s) for them" if pools else ""))
    _without_batchers(done, pools, steps, batched)
    currency = next((str(c) for c in inst["currency"].dropna().unique().tolist() if c), None)
    attrs = _case_attributes(log, inst["case"].unique())
    moves = _transitions(inst, coded)
    waits = any(x.waited is not None for st in steps.values() for x in st.states)  # the waits tell states apart
    return SimulationModel(process=log.process if isinstance(log, StoredLog) else None, timezone=tz,
                           start=arrivals_at.min().isoformat(), weeks=float(span_weeks),
                           arrivals=[float(r) for r in rates], arrival_trend=trend, flow=_flow(moves),
                           steps=steps, pools=pools,
                           currency=currency, notes=notes, starts=has_starts,
                           case_attributes=_sample(attrs), branches=_branches(moves, attrs),
                           history=_history(moves),
                           duration_correlation=_correlation(inst, has_starts, is_last, waited if waits else None),
                           closed_days=days.iso(days.closed), open_days=days.iso(days.makeup),
                           closed_arrivals=closed_arrivals,
                           states=[] if coded is None else flow_states(moves, coded),
                           long_sojourn=long if waits else None)


def _correlation(inst: pd.DataFrame, has_starts: bool, is_last: pd.Series, waited: np.ndarray | None = None) -> float:
    """How alike one case's durations are: the intra-class correlation of the durations' normal scores
    (ranked within each step and, without starts, each previous step, whether it is the case's last and,
    with ``waited``, whether the case has waited before: what one distribution of the model draws), by
    the one-way analysis-of-variance estimator over the cases with two or more; 0 when negative or
    unknown. The simulator draws one case's durations through a Gaussian copula with it."""
    col = "service_s" if has_starts else "sojourn_s"
    v = inst.loc[inst[col].notna(), ["case", "activity", "prev_activity", col]]
    group = v["activity"].astype(str) + ("" if has_starts else "|" + v["prev_activity"].astype(str)
                                         + "|" + is_last[v.index].astype(str))
    if waited is not None:  # what the case did before is the flag's, not the copula's, to draw
        group = group + "|" + pd.Series(waited, index=inst.index)[v.index].astype(str)
    n = group.map(group.value_counts())
    v, group, n = v[n >= MIN_AFTER], group[n >= MIN_AFTER], n[n >= MIN_AFTER]
    if v.empty:
        return 0.0
    rank = v[col].groupby(group.to_numpy()).rank(method="average")
    score = pd.Series(stats.norm.ppf((rank - 0.5) / n), index=v.index)
    per = score.groupby(v["case"].to_numpy())
    k, mean, var = per.size(), per.mean(), per.var(ddof=1)
    many = k >= 2
    if many.sum() < 30:
        return 0.0
    within = float(var[many].mean())
    between = float(mean[many].var(ddof=1)) - within / float(k[many].mean())
    icc = between / (between + within) if between + within > 0 else 0.0
    return float(min(max(icc, 0.0), 0.95))


def _case_attributes(log: LogLike, cases: np.ndarray) -> pd.DataFrame:
    """The usable ``case:*`` attributes of the calibration cases, one row per case (indexed by case id)."""
    if isinstance(log, StoredLog):
        import pyarrow.parquet as pq

        names = pq.read_schema(log.path).names
    else:
        names = list(log.column_names) if hasattr(log, "column_names") else list(log.columns)
    cols = [c for c in names if c.startswith("case:") and c != CASE]
    if not cols:
        return pd.DataFrame(index=pd.Index(cases, name="case"))
    table = as_table(log, [CASE, ACTIVITY, TIMESTAMP, *cols]).to_pandas()
    table = table.drop_duplicates(CASE).set_index(CASE)
    table = table[table.index.isin(cases)]
    keep = []
    for c in cols:
        col = table[c]
        if pd.api.types.is_bool_dtype(col) or pd.api.types.is_datetime64_any_dtype(col):
            continue
        if pd.api.types.is_numeric_dtype(col) or col.nunique() <= ATTRIBUTE_VALUES:
            keep.append(c)
    return table[keep]


def _sample(attrs: pd.DataFrame) -> dict[str, list[Any]]:
    """Up to ``ATTRIBUTE_ROWS`` whole rows of the case attributes, column by column (NaN as None)."""
    if attrs.empty or not len(attrs.columns):
        return {}
    rows = attrs if len(attrs) <= ATTRIBUTE_ROWS else attrs.sample(ATTRIBUTE_ROWS, random_state=0)
    out = {}
    for c in rows.columns:
        col = rows[c]
        numeric = pd.api.types.is_numeric_dtype(col)
        out[str(c)] = [None if pd.isna(v) else (float(v) if numeric else str(v)) for v in col.tolist()]
    return out


def _branches(moves: pd.DataFrame, attrs: pd.DataFrame) -> dict[str, Branch]:
    """The attribute-dependent choices of next step (see the module docstring)."""
    out: dict[str, Branch] = {}
    if attrs.empty or not len(attrs.columns):
        return out
    at = attrs.index.get_indexer(pd.Index(moves["case"]))  # each move's case row (-1: none)
    columns = {str(c): _codes(attrs[c], at) for c in attrs.columns}
    nxt_codes, nxt_names = pd.factorize(moves["b"], sort=True)
    for a, where in moves.groupby("a", sort=True).indices.items():
        rows = np.asarray(where, dtype=np.int64)
        nxt = nxt_codes[rows]
        if rows.size < BRANCH_MIN or np.unique(nxt).size < 2:
            continue
        best: Branch | None = None
        for col, coded in columns.items():
            found = _dependency(str(a), col, coded, rows, nxt, np.asarray(nxt_names, dtype=object))
            if found is not None and (best is None or found.cramers_v > best.cramers_v):
                best = found
        if best is not None:
            out[str(a)] = best
    return out


def _codes(col: pd.Series, at: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """A case attribute per move: its numbers (NaN unknown) with None, or its value codes (-1 unknown)
    with the values."""
    if pd.api.types.is_numeric_dtype(col):
        x = col.to_numpy(dtype=np.float64)
        return np.where(at >= 0, x[np.clip(at, 0, None)], np.nan), None
    codes, values = pd.factorize(col.astype(object), sort=True)
    return np.where(at >= 0, codes[np.clip(at, 0, None)], -1), np.asarray(values, dtype=object)


def _dependency(after: str, attribute: str, coded: tuple[np.ndarray, np.ndarray | None], rows: np.ndarray,
                nxt: np.ndarray, names: np.ndarray) -> Branch | None:
    """How strongly the attribute predicts the next step of the moves ``rows`` (a Branch when the
    dependency is kept, else None)."""
    values, labels = coded
    v = values[rows]
    known = ~np.isnan(v) if labels is None else v >= 0
    v, b = v[known], nxt[known]
    if v.size < BRANCH_MIN:
        return None
    if labels is None:  # a number: the best single cut among its deciles
        best = None
        for c in np.unique(np.quantile(v, np.linspace(0.1, 0.9, 9))):
            got = _strength((v >= c).astype(np.int64), b, names.size)
            if got is not None and (best is None or got[0] > best[0][0]):
                best = (got, [float(c)])
        if best is None:
            return None
        (strength, p, table), edges = best
        groups = [str(g) for g in range(table.shape[0])]
    else:
        got = _strength(v.astype(np.int64), b, names.size)
        if got is None:
            return None
        strength, p, table = got
        groups, edges = [str(x) for x in labels], []
    if strength < BRANCH_V or p >= BRANCH_P:
        return None
    flow = {groups[g]: {str(names[j]): float(n) / float(row.sum()) for j, n in enumerate(row) if n > 0}
            for g, row in enumerate(table) if row.sum() > 0}
    return Branch(after, attribute, flow, edges, float(strength), float(p))


def _strength(groups: np.ndarray, nxt: np.ndarray, n_next: int) -> tuple[float, float, np.ndarray] | None:
    """Cramér's V and the chi-square p-value of the groups x next steps table, and the table (None when
    fewer than two groups are seen or a seen group has fewer than ``BRANCH_GROUP_MIN`` cases)."""
    n_groups = int(groups.max()) + 1 if groups.size else 0
    table = np.bincount(groups * n_next + nxt, minlength=n_groups * n_next).reshape(n_groups, n_next)
    seen = table.sum(axis=1) > 0
    used = table[seen][:, table.sum(axis=0) > 0]
    if used.shape[0] < 2 or used.shape[1] < 2 or used.sum(axis=1).min() < BRANCH_GROUP_MIN:
        return None
    chi2, p, _, _ = stats.chi2_contingency(used)
    k = min(used.shape) - 1
    return float(np.sqrt(chi2 / (used.sum() * k))), float(p), table


def _after(part: pd.DataFrame, is_last: pd.Series) -> tuple[dict[str, Distribution], dict[str, Distribution]]:
    """A start-less step's sojourn per previous step (``(start)`` for none) that has at least
    ``MIN_AFTER`` instances: how long it takes depends on where the case comes from; and, where both
    the case's last instances and the others after that step number ``MIN_AFTER``, the two apart (the
    ``last`` sojourns, and ``after`` of the others)."""
    prev = part["prev_activity"].astype(object).where(part["prev_activity"].notna(), START).to_numpy()
    after, last = {}, {}
    ends = is_last.reindex(part.index).fillna(False).to_numpy(dtype=bool)
    for p in sorted(set(prev.tolist())):
        here = prev == p
        v = part["sojourn_s"].to_numpy(dtype=np.float64)
        ok = here & np.isfinite(v) & (v >= 0)
        if ok.sum() < MIN_AFTER:
            continue
        if (ok & ends).sum() >= MIN_AFTER and (ok & ~ends).sum() >= MIN_AFTER:
            last[str(p)], after[str(p)] = fit(v[ok & ends]), fit(v[ok & ~ends])
        else:
            after[str(p)] = fit(v[ok])
    return after, last


def _known_waits(part: pd.DataFrame) -> pd.DataFrame:
    """The instances whose wait is known: enabled, started, by a named resource."""
    return part[part["enabling_complete"].notna() & part["start"].notna() & part["resource"].notna()]


def _extraneous(part: pd.DataFrame, free: _Availability) -> Distribution | None:
    """The step's extraneous delays, in elapsed seconds: per instance, from the first moment after its
    enabling at which its resource was at work (in its own working hours) and free (doing no other
    work of the log) to its start: waiting that neither the calendar nor the resource's other work
    explains (a supplier, a customer, a document in the post; Chapela-Campa and Dumas' definition).
    None when there is none."""
    known = _known_waits(part)
    if known.empty:
        return None
    delay = np.clip((to_micros(known["start"]) - free.from_(known)) / 1e6, 0.0, None)
    delay = np.r_[delay, np.zeros(len(part) - len(known))]  # a case's first step: no delay to draw
    return fit(delay) if (delay > 60.0).any() else None


class _Availability:
    """When each resource of the log was at work and free: its own working hours (the hours of the week
    in which it started at least ``WORKING_HOUR_SHARE`` of its work, per block of ``HOURS_BLOCK_WEEKS``
    weeks: a calendar can change, a deputy's new approval day, a lab open on Fridays from a date on) and
    the union of its activity instances (when it was busy). Read once for every step."""

    def __init__(self, inst: pd.DataFrame, tz: str, closed: list[int] | tuple[int, ...] = (),
                 through: set[str] | None = None, unusual: list[int] | tuple[int, ...] = ()) -> None:
        self.tz, self.closed, self.through = tz, list(closed), through or set()
        work = inst[inst["start"].notna() & inst["resource"].notna()]
        work = work[_usual_days(work["start"], tz, unusual)]
        start = to_micros(work["start"])
        local = pd.to_datetime(work["start"], utc=True).dt.tz_convert(tz)
        how = (local.dt.day_of_week * 24 + local.dt.hour).to_numpy()
        who = work["resource"].to_numpy(dtype=object)
        self.own: dict[tuple[Any, int], list[int]] = {}
        for key, where in pd.DataFrame({"r": who, "b": _block(start)}).groupby(["r", "b"], sort=False).indices.items():
            person, blk = cast(tuple[Any, int], key)
            counts = np.bincount(how[where], minlength=168)
            self.own[(person, int(blk))] = np.flatnonzero(
                counts >= max(1.0, WORKING_HOUR_SHARE * len(where))).tolist()
        self.busy = busy_spans(inst)

    def from_(self, known: pd.DataFrame) -> np.ndarray:
        """Per instance of ``known``: the first moment (UTC microseconds) at or after its enabling at
        which its resource was in its own working hours and not inside any of its activity instances."""
        t = to_micros(known["enabling_complete"])
        res = known["resource"].to_numpy(dtype=object)
        rows = {r: np.asarray(i, dtype=np.int64) for r, i in pd.Series(np.arange(len(known))).groupby(
            pd.Series(res, dtype=object), sort=False).indices.items()}
        # working hours and busy spans move it on, round after round, until it settles (a deep queue,
        # such as the backlog after a holiday, takes a round per busy span it waits through)
        active = {p: i for p, i in rows.items() if p in self.busy}
        for _ in range(SETTLE_ROUNDS):
            if not active:
                break
            moved = {}
            for person, idx in active.items():
                before = t[idx]
                blocks = _block(before)
                for bl in np.unique(blocks):
                    hours = self.own.get((person, int(bl)))
                    if hours is not None:  # no work of its own in that block: its hours are not known there
                        sel = idx[blocks == bl]
                        shut = () if str(person) in self.through else self.closed
                        t[sel] = _next_open(t[sel], hours, self.tz, shut)
                ms, me = self.busy[person]
                k = np.maximum(np.searchsorted(ms, t[idx], side="right") - 1, 0)
                inside = (t[idx] >= ms[k]) & (t[idx] < me[k])
                t[idx] = np.where(inside, me[k], t[idx])
                changed = idx[t[idx] != before]
                if changed.size:
                    moved[person] = changed
            active = moved
        return t


#: At most this many rounds settle the moment a resource was free (see ``_Availability.from_``).
SETTLE_ROUNDS = 200
#: Weeks per block over which a resource's own working hours are read (they may change over the log).
HOURS_BLOCK_WEEKS = 4


def _block(t: np.ndarray) -> np.ndarray:
    """The block of ``HOURS_BLOCK_WEEKS`` weeks (counted from the epoch's first Monday) of each moment."""
    return np.asarray((t - 345_600_000_000) // (HOURS_BLOCK_WEEKS * 7 * 86_400_000_000), dtype=np.int64)


@functools.lru_cache(maxsize=4096)
def _week_table(hours: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Whether each hour of the week is open, and how many hours on the next open one starts."""
    open_ = np.zeros(168, dtype=bool)
    open_[list(hours)] = True
    at = np.flatnonzero(open_)
    ext = np.r_[at, at + 168]
    k = np.searchsorted(ext, np.arange(168), side="left")
    return open_, (ext[k] - np.arange(168)).astype(np.int64)


@functools.lru_cache(maxsize=64)
def _monday_us(tz: str) -> int:
    """A local Monday 00:00 of ``tz`` in UTC microseconds."""
    return int(pd.Timestamp("2000-01-03", tz=tz).tz_convert("UTC").value // 1000)


def _next_open(t: np.ndarray, hours: list[int], tz: str, closed: list[int] | tuple[int, ...] = ()) -> np.ndarray:
    """Each moment (UTC microseconds) moved on to the next start of an open hour of ``hours`` (local to
    ``tz``) when it falls in a closed one, and past the ``closed`` days (day numbers, ``_days``)."""
    if closed:
        day_us = 86_400_000_000
        origin = _monday_us(tz)
        t = _next_open(t, hours, tz)
        day = (t - origin) // day_us
        later = next_day_open(day, closed)
        return _next_open(np.where(later != day, origin + later * day_us, t), hours, tz)
    if not hours or len(hours) == 168:
        return t
    open_, ahead = _week_table(tuple(hours))
    origin = _monday_us(tz)
    hour_us = 3_600_000_000
    x = t - origin
    h = (x // hour_us) % 168
    nxt = (x // hour_us + ahead[h]) * hour_us
    return np.where(open_[h], t, origin + nxt)


def _working_seconds(start: pd.Series, end: pd.Series, hours: list[int], tz: str,
                     closed: list[int] | tuple[int, ...] = (), makeup: list[int] | tuple[int, ...] = ()) -> np.ndarray:
    """Seconds of ``[start, end]`` inside the hours of the week ``hours`` (local to ``tz``), with the
    ``closed`` days shut and the ``makeup`` days open (day numbers, ``_days``)."""
    open_ = np.zeros(168)
    open_[hours or list(range(168))] = 3600.0
    cum = np.r_[0.0, np.cumsum(open_)]

    def worked(t: pd.Series) -> np.ndarray:
        x = local_seconds(t, tz)
        weeks, rest = np.divmod(x, 168 * 3600.0)
        h = np.nan_to_num(rest // 3600.0).astype(np.int64).clip(0, 167)
        base = np.asarray(weeks * cum[-1] + cum[h] + (open_[h] > 0) * (rest - h * 3600.0))
        return base + worked_correction(x, hours, closed, makeup) if (closed or makeup) else base

    return worked(end) - worked(start)


#: A batcher whose work is at least this share batched instances leaves its pool's capacity.
BATCHER_ONLY = 0.9


def _without_batchers(work: pd.DataFrame, pools: dict[str, Pool], steps: dict[str, StepModel],
                      batched: list[pd.Index]) -> None:
    """Take out of each pool the batchers who do (almost) nothing but their batch runs: a packer who only
    packs for the carrier's pick-up adds nothing to the pool's capacity for the other instances."""
    if not batched:
        return
    runs = work.index.isin(np.concatenate([np.asarray(b) for b in batched]))
    who = work["resource"].astype(str).to_numpy()
    for step in steps.values():
        if step.batch is None or step.pool not in pools:
            continue
        pool = pools[step.pool]
        for r in step.batch.resources:
            mine = who == r
            if mine.any() and runs[mine].mean() >= BATCHER_ONLY and r in pool.members and len(pool.members) > 1:
                pool.members.remove(r)


def _calendar(log: LogLike, calendar: Calendar | None) -> Calendar | None:
    """The calendar whose days the model keeps: the one given, else the process configuration's."""
    if calendar is not None or not isinstance(log, StoredLog):
        return calendar
    from flowmine.processes import configured

    cfg = configured(log.process)
    return cfg.working_calendar() if cfg is not None and cfg.calendar else None


def _zone(log: LogLike) -> str:
    if isinstance(log, StoredLog):
        from flowmine.processes import configured

        cfg = configured(log.process)
        if cfg is not None:
            return str(cfg.calendar.get("timezone", "UTC"))
    return "UTC"


def _begin(inst: pd.DataFrame) -> pd.Series:
    """When each instance's case could begin, per row: its ready, else start, else completion time."""
    out = inst["ready"] if "ready" in inst.columns else pd.Series(pd.NaT, index=inst.index)
    out = out.fillna(inst["start"]).fillna(inst["complete"])
    return pd.to_datetime(out, utc=True)


def _transitions(inst: pd.DataFrame, codes: Coded | None = None) -> pd.DataFrame:
    """Every move of every case: ``case``, from ``a`` (``(start)`` first) to ``b`` (``(end)`` last), the
    step ``before`` ``a`` (``(start)`` before the first step; None for the move from ``(start)``), and
    the case's state after ``a`` (``_states``, 0 without ``codes``): ``done`` (the mask of its steps),
    ``counts`` (their counted key) and ``at`` (the row of ``a``, -1 for ``(start)``)."""
    act = inst["activity"].astype(object).to_numpy()
    case = inst["case"].astype(object).to_numpy()
    new_case = np.r_[True, case[1:] != case[:-1]]
    last = np.r_[case[1:] != case[:-1], True]
    prev = np.empty(act.size, dtype=object)
    prev[new_case] = START
    prev[~new_case] = act[:-1][~new_case[1:]]
    prev2 = np.empty(act.size, dtype=object)  # two steps back: None at a case's first step
    prev2[new_case] = None
    prev2[~new_case] = prev[:-1][~new_case[1:]]
    zeros = np.zeros(act.size, dtype=np.int64)
    m, m0 = (zeros, zeros) if codes is None else (codes.masks, codes.masks_before)
    c, c0 = (zeros.astype(np.uint64),) * 2 if codes is None else (codes.counts, codes.counts_before)
    row = np.arange(act.size)
    at = np.where(new_case, -1, row - 1)
    return pd.concat([pd.DataFrame({"case": case, "before": prev2, "a": prev, "b": act, "done": m0, "counts": c0,
                                    "at": at}),
                      pd.DataFrame({"case": case[last], "before": prev[last], "a": act[last], "b": END,
                                    "done": m[last], "counts": c[last], "at": row[last]})],
                     ignore_index=True)


def _history(moves: pd.DataFrame) -> dict[str, dict[str, dict[str, float]]]:
    """The flow after each step per step before it, where at least ``MIN_HISTORY`` cases came that way
    (what a first-order flow forgets: a rework loop taken once, the order of parallel branches)."""
    known = moves[moves["before"].notna()]
    counts = known.groupby(["before", "a", "b"], sort=True).size()
    totals = counts.groupby(level=[0, 1]).transform("sum")
    kept = counts[totals >= MIN_HISTORY]
    out: dict[str, dict[str, dict[str, float]]] = {}
    for (x, a, b), n in zip(kept.index.tolist(), (kept / totals[kept.index]).tolist(), strict=True):
        out.setdefault(str(x), {}).setdefault(str(a), {})[str(b)] = float(n)
    return out


def _flow(pairs: pd.DataFrame) -> dict[str, dict[str, float]]:
    flow: dict[str, dict[str, float]] = {}
    counts = pairs.groupby(["a", "b"], sort=True).size()
    for (a, b), n in zip(counts.index.tolist(), counts.to_numpy().tolist(), strict=True):
        flow.setdefault(str(a), {})[str(b)] = float(n)
    return {a: {b: n / sum(nxt.values()) for b, n in nxt.items()} for a, nxt in flow.items()}


def empirical(values: np.ndarray) -> Distribution:
    """The empirical distribution of ``values`` (101 quantiles; fixed where they are all one value): what a
    state's durations are drawn from. A state holds few instances (30 and more); a family fitted to them
    passes the Kolmogorov-Smirnov test with a tail far beyond them (a lognormal of 30 sojourns drew a
    300-year one on BPI 2013), and the quantiles stay within what was seen."""
    if values.size == 0:
        return Distribution("fixed", scale=0.0)
    if np.all(values == values[0]):
        return Distribution("fixed", scale=float(values[0]))
    return Distribution("empirical", quantiles=[float(q) for q in np.quantile(values, np.linspace(0, 1, 101))])


def fit(values: np.ndarray, rng_seed: int = 0) -> Distribution:
    """The duration distribution of ``values`` (seconds): a fitted family or the empirical one."""
    if values.size == 0:
        return Distribution("fixed", scale=0.0)
    if np.all(values == values[0]):
        return Distribution("fixed", scale=float(values[0]))
    quantiles = [float(q) for q in np.quantile(values, np.linspace(0, 1, 101))]
    positive = values[values > 0]
    if positive.size < 30 or positive.size < 0.95 * values.size:
        return Distribution("empirical", quantiles=quantiles)
    sample = positive if positive.size <= FIT_SAMPLE else np.random.default_rng(rng_seed).choice(
        positive, FIT_SAMPLE, replace=False)
    if np.ptp(sample) <= 1e-9 * float(sample.max()):  # (nearly) one value: no family to fit
        return Distribution("empirical", quantiles=quantiles)
    best: tuple[float, Distribution] | None = None
    for family, dist in (("lognorm", stats.lognorm), ("gamma", stats.gamma), ("expon", stats.expon)):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")  # a fit scipy warns about is a fit that failed
                params = dist.fit(sample, floc=0)
        except (ValueError, RuntimeError, FloatingPointError, RuntimeWarning):
            continue
        ks = float(stats.kstest(sample, dist.name, args=params).statistic)
        shape = None if family == "expon" else float(params[0])
        scale = float(params[-1])
        cand = Distribution(family, shape=shape, scale=scale, ks=ks)
        if best is None or ks < best[0]:
            best = (ks, cand)
    if best is not None and best[0] <= KS_KEEP:
        return best[1]
    return Distribution("empirical", quantiles=quantiles, ks=best[0] if best is not None else None)


def _usual_days(t: pd.Series, tz: str, unusual: list[int] | tuple[int, ...]) -> np.ndarray:
    """Whether each moment falls on a usual day: not one of the ``unusual`` day numbers (``_days``)."""
    if not unusual:
        return np.ones(len(t), dtype=bool)
    return ~np.isin(np.floor(local_seconds(t, tz) / 86400.0), unusual)


def _pools(inst: pd.DataFrame, tz: str, unusual: list[int] | tuple[int, ...] = ()) -> dict[str, Pool]:
    """The pools and their working hours of the week, read off the work of the days that are neither
    closed nor make-up workdays (``unusual``): a make-up Saturday's work would open every Saturday."""
    by_role = inst["role"].notna().any()
    key = inst["role"] if by_role else inst["activity"]
    out: dict[str, Pool] = {}
    work = inst[inst["resource"].notna()]

    def hour_of_week(t: pd.Series) -> tuple[np.ndarray, np.ndarray]:
        local = pd.to_datetime(t, utc=True).dt.tz_convert(tz)
        return (local.dt.day_of_week * 24 + local.dt.hour).to_numpy(), _usual_days(t, tz, unusual)

    # when the pool was at work: the hours in which it started its work, and those in which it completed
    # work it started before (a job begun on Friday and finished on Saturday morning: the shop floor works
    # Saturdays although it seldom starts anything then)
    began = hour_of_week(work["start"].fillna(work["complete"]))
    # (the moment before each completion: work that ends at 12:00 sharp was done before noon)
    ended = hour_of_week(pd.to_datetime(work["complete"], utc=True) - pd.Timedelta(microseconds=1)
                         ) if work["start"].notna().any() else None
    for name, where in work.groupby(key[work.index], sort=True).indices.items():
        idx = np.asarray(where)
        members = sorted(str(r) for r in pd.unique(work["resource"].to_numpy()[idx]))
        hours: set[int] = set()
        for how, usual in [began] + ([ended] if ended is not None else []):
            at = idx[usual[idx]] if usual[idx].any() else idx
            counts = np.bincount(how[at], minlength=168)
            hours |= {int(h) for h in np.flatnonzero(counts >= max(1.0, WORKING_HOUR_SHARE * at.size))}
        out[str(name)] = Pool(str(name), members, sorted(hours))
    return out


#: A step of a log without starts whose completions fall in at most this share of the hours the whole
#: process completes work in (and that has ``ROUND_MIN`` instances) is done in rounds at those hours.
ROUND_SHARE, ROUND_MIN = 0.4, 50


def _rounds(done: pd.DataFrame, tz: str, unusual: list[int] | tuple[int, ...]) -> dict[str, list[int]]:
    """Steps of a log without starts that are done in rounds (a director who signs on Monday and Thursday
    mornings): those whose completions fall in few of the hours of the week in which the process completes
    work (``ROUND_SHARE``), with those hours. Each then waits for its hours as a pool of unlimited capacity
    does, and its time is counted in them, so a scenario's ``calendar`` change (a second round) applies."""
    local = pd.to_datetime(done["complete"], utc=True).dt.tz_convert(tz)
    how = (local.dt.day_of_week * 24 + local.dt.hour).to_numpy()
    usual = _usual_days(done["complete"], tz, unusual)
    act = done["activity"].to_numpy()

    def hours(mask: np.ndarray) -> set[int]:
        counts = np.bincount(how[mask & usual], minlength=168)
        return {int(h) for h in np.flatnonzero(counts >= max(1.0, WORKING_HOUR_SHARE * counts.sum()))}

    process = hours(np.ones(len(done), dtype=bool))
    out = {}
    for a in pd.unique(act):
        mine = act == a
        if mine.sum() >= ROUND_MIN:
            h = hours(mine)
            if h and len(h) <= ROUND_SHARE * len(process):
                out[str(a)] = sorted(h)
    return out


#: The one member of a round's pool (a log without starts names nobody who does the step).
ROUND_MEMBER = "(round)"


def _one_at_a_time(ready: pd.Series, complete: pd.Series, hours: list[int], tz: str) -> pd.Series:
    """When each instance of a step done in rounds began, were they done one at a time: the latest of its
    ready time, the step's previous completion and the opening of the round it completed in (the director
    signs one contract after another from the round's start; the time a contract waited behind the others
    is the queue's, which the run makes; a previous round's idle end is no part of it)."""
    done, r = to_micros(complete), to_micros(ready)
    order = np.argsort(done, kind="stable")
    prev = np.empty_like(done)
    prev[order] = np.r_[np.int64(np.iinfo(np.int64).min), done[order][:-1]] if done.size else done
    # the round's opening: back from the completion's hour of the week over the open hours before it
    open_ = np.zeros(168, dtype=bool)
    open_[hours] = True
    hour_us = 3_600_000_000
    x = done - _monday_us(tz)
    h = (x // hour_us) % 168
    back = np.zeros(done.size, dtype=np.int64)
    for k in range(1, 168):
        more = open_[(h - k) % 168] & (back == k - 1)
        if not more.any():
            break
        back[more] = k
    opening = (x // hour_us - back) * hour_us + _monday_us(tz)
    began = np.maximum.reduce([r, prev, np.minimum(opening, done)])
    return pd.Series(pd.to_datetime(np.minimum(began, done), unit="us", utc=True), index=ready.index)


def _pool_of(part: pd.DataFrame, pools: dict[str, Any]) -> str | None:
    if not pools:
        return None
    col = part["role"] if part["role"].notna().any() else None
    name = str(col.mode().iloc[0]) if col is not None else str(part["activity"].iloc[0])
    return name if name in pools else None

