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
- **Cost**: the mean cost of one execution of the step, where the log has costs.
- **Case attributes**: the ``case:*`` attributes (numbers, and texts of at most 100 values) of up to
  5,000 calibration cases, whole rows: each simulated case draws one.
- **Attribute-dependent branching**: after a step with several next steps (at least 200 observed), each
  case attribute is tested for predicting the next step (a text attribute by its values; a number by the
  best single cut among its deciles, as a rule "amount above 5,000" cuts); the strongest dependency
  (Cramér's V at least 0.1, chi-square p below 0.001, at least 30 cases in each group) is kept.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from flowmine._schema import ACTIVITY, CASE, TIMESTAMP
from flowmine.analytics import LogLike, StoredLog, as_table, busy_seconds, instances
from flowmine.simulation._model import END, START, Branch, Distribution, Pool, SimulationModel, StepModel

#: Largest Kolmogorov-Smirnov distance at which a fitted family is kept over the empirical distribution.
KS_KEEP = 0.05
#: Share of a pool's work an hour of the week needs to count as working time.
WORKING_HOUR_SHARE = 0.005
#: A start-less step's sojourn gets its own distribution after a previous step with this many instances.
MIN_AFTER = 30
#: At most this many values are used to fit a family (a random subsample of larger steps).
FIT_SAMPLE = 20_000
#: Case attribute rows kept in the model (a random sample of the calibration cases).
ATTRIBUTE_ROWS = 5_000
#: A text case attribute with more distinct values than this is not kept (an id, a free text).
ATTRIBUTE_VALUES = 100
#: Attribute-dependent branching: transitions needed after a step, cases per group, strength, p-value.
BRANCH_MIN, BRANCH_GROUP_MIN, BRANCH_V, BRANCH_P = 200, 30, 0.1, 1e-3


def discover(log: LogLike, *, timezone: str | None = None, until: str | None = None) -> SimulationModel:
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
    # who worked, when and how long: from the work done before ``until`` (a case started before it may
    # reach a step after the change, done by the new staff in the new hours)
    done = inst if until is None else inst[pd.to_datetime(inst["start"].fillna(inst["complete"]), utc=True)
                                           < cutoff]
    if inst.empty:
        from flowmine.errors import OptionError

        raise OptionError("no case to calibrate on" + (f" before {until}" if until else ""),
                          parameter="until", function="discover")
    arrivals_at = begin[first]
    span_weeks = max((arrivals_at.max() - arrivals_at.min()).total_seconds() / (7 * 86400), 1.0)
    local = arrivals_at.dt.tz_convert(tz)
    how = (local.dt.day_of_week * 24 + local.dt.hour).to_numpy()
    rates = np.bincount(how, minlength=168) / span_weeks
    has_starts = bool(inst["start"].notna().any())
    pools = _pools(done, tz) if has_starts and done["resource"].notna().any() else {}
    steps = {}
    seen = set(done["activity"].unique().tolist())
    for name, part in pd.concat([done, inst[~inst["activity"].isin(seen)]]).groupby("activity", sort=True):
        pool = _pool_of(part, pools)
        delay = None
        if pool is not None:  # the work itself: the pool's working time between start and completion
            hours = pools[pool].hours
            values = _working_seconds(part["start"], part["complete"], hours, tz)
            delay = _extraneous(inst, part, hours, tz)
        else:
            values = (part["service_s"] if has_starts else part["sojourn_s"]).to_numpy(dtype=np.float64)
        values = values[np.isfinite(values) & (values >= 0)]
        cost = float(part["cost"].mean()) if part["cost"].notna().any() else 0.0
        steps[str(name)] = StepModel(str(name), pool, fit(values), cost, delay,
                                     {} if has_starts else _after(part))
    notes = [] if has_starts else ["the log has no start timestamps: each step takes its sojourn time "
                                   "(ready to completion) and no pool is modelled"]
    currency = next((str(c) for c in inst["currency"].dropna().unique().tolist() if c), None)
    attrs = _case_attributes(log, inst["case"].unique())
    moves = _transitions(inst)
    return SimulationModel(process=log.process if isinstance(log, StoredLog) else None, timezone=tz,
                           start=arrivals_at.min().isoformat(), weeks=float(span_weeks),
                           arrivals=[float(r) for r in rates], flow=_flow(moves), steps=steps, pools=pools,
                           currency=currency, notes=notes, starts=has_starts,
                           case_attributes=_sample(attrs), branches=_branches(moves, attrs))


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
    for a, part in moves.groupby("a", sort=True):
        if len(part) < BRANCH_MIN or part["b"].nunique() < 2:
            continue
        best: Branch | None = None
        for col in attrs.columns:
            values = part["case"].map(attrs[col])
            found = _dependency(str(a), str(col), values, part["b"])
            if found is not None and (best is None or found.cramers_v > best.cramers_v):
                best = found
        if best is not None:
            out[str(a)] = best
    return out


def _dependency(after: str, attribute: str, values: pd.Series, nxt: pd.Series) -> Branch | None:
    """How strongly ``values`` predict ``nxt`` (a Branch when the dependency is kept, else None)."""
    known = values.notna()
    values, nxt = values[known], nxt[known]
    if len(values) < BRANCH_MIN:
        return None
    if pd.api.types.is_numeric_dtype(values):
        x = values.to_numpy(dtype=np.float64)
        cuts = np.unique(np.quantile(x, np.linspace(0.1, 0.9, 9)))
        tried = []
        for c in cuts:
            got = _strength(pd.Series(np.where(x >= c, "1", "0"), index=nxt.index), nxt)
            if got is not None:
                tried.append((got, [float(c)]))
        if not tried:
            return None
        (v, p, table), edges = max(tried, key=lambda t: t[0][0])
    else:
        found = _strength(values.astype(str), nxt)
        if found is None:
            return None
        (v, p, table), edges = found, []
    if v < BRANCH_V or p >= BRANCH_P:
        return None
    flow = {str(g): {str(b): float(n) / float(row.sum()) for b, n in row.items() if n > 0}
            for g, row in table.iterrows()}
    return Branch(after, attribute, flow, edges, float(v), float(p))


def _strength(groups: pd.Series, nxt: pd.Series) -> tuple[float, float, pd.DataFrame] | None:
    """Cramér's V and the chi-square p-value of the groups x next steps table (None when a group has
    fewer than ``BRANCH_GROUP_MIN`` cases or there is one group)."""
    table = pd.crosstab(groups, nxt)
    if len(table) < 2 or table.sum(axis=1).min() < BRANCH_GROUP_MIN:
        return None
    chi2, p, _, _ = stats.chi2_contingency(table.to_numpy())
    k = min(table.shape) - 1
    return (float(np.sqrt(chi2 / (table.to_numpy().sum() * k))) if k else 0.0), float(p), table


def _after(part: pd.DataFrame) -> dict[str, Distribution]:
    """A start-less step's sojourn per previous step (``(start)`` for none) that has at least
    ``MIN_AFTER`` instances: how long it takes depends on where the case comes from."""
    prev = part["prev_activity"].astype(object).where(part["prev_activity"].notna(), START)
    out = {}
    for p, values in part["sojourn_s"].groupby(prev.to_numpy(), sort=True):
        v = values.dropna().to_numpy(dtype=np.float64)
        if v.size >= MIN_AFTER:
            out[str(p)] = fit(v[v >= 0])
    return out


def _extraneous(inst: pd.DataFrame, part: pd.DataFrame, hours: list[int], tz: str) -> Distribution | None:
    """The step's extraneous delays: per instance, the pool's working time from its enabling to its
    start during which its resource did no work of the log (``busy_seconds``); None when there is none."""
    known = part[part["enabling_complete"].notna() & part["start"].notna() & part["resource"].notna()]
    if known.empty:
        return None
    wait = _working_seconds(known["enabling_complete"], known["start"], hours, tz)
    busy = busy_seconds(inst, known["enabling_complete"], known["start"], known["resource"].to_numpy(dtype=object))
    delay = np.clip(wait - busy, 0.0, None)
    delay = np.r_[delay, np.zeros(len(part) - len(known))]  # a case's first step: no delay to draw
    return fit(delay) if (delay > 60.0).any() else None


def _working_seconds(start: pd.Series, end: pd.Series, hours: list[int], tz: str) -> np.ndarray:
    """Seconds of ``[start, end]`` inside the hours of the week ``hours`` (local to ``tz``)."""
    open_ = np.zeros(168)
    open_[hours or list(range(168))] = 3600.0
    cum = np.r_[0.0, np.cumsum(open_)]
    origin = pd.Timestamp("2000-01-03", tz=tz)  # a Monday 00:00

    def worked(t: pd.Series) -> np.ndarray:
        x = (pd.to_datetime(t, utc=True).dt.tz_convert(tz) - origin).dt.total_seconds().to_numpy()
        weeks, rest = np.divmod(x, 168 * 3600.0)
        h = np.nan_to_num(rest // 3600.0).astype(np.int64).clip(0, 167)
        return np.asarray(weeks * cum[-1] + cum[h] + (open_[h] > 0) * (rest - h * 3600.0))

    return worked(end) - worked(start)


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


def _transitions(inst: pd.DataFrame) -> pd.DataFrame:
    """Every move of every case: ``case``, from ``a`` (``(start)`` first) to ``b`` (``(end)`` last)."""
    act = inst["activity"].astype(object).to_numpy()
    case = inst["case"].astype(object).to_numpy()
    new_case = np.r_[True, case[1:] != case[:-1]]
    last = np.r_[case[1:] != case[:-1], True]
    prev = np.empty(act.size, dtype=object)
    prev[new_case] = START
    prev[~new_case] = act[:-1][~new_case[1:]]
    return pd.concat([pd.DataFrame({"case": case, "a": prev, "b": act}),
                      pd.DataFrame({"case": case[last], "a": act[last], "b": END})], ignore_index=True)


def _flow(pairs: pd.DataFrame) -> dict[str, dict[str, float]]:
    flow: dict[str, dict[str, float]] = {}
    counts = pairs.groupby(["a", "b"], sort=True).size()
    for (a, b), n in zip(counts.index.tolist(), counts.to_numpy().tolist(), strict=True):
        flow.setdefault(str(a), {})[str(b)] = float(n)
    return {a: {b: n / sum(nxt.values()) for b, n in nxt.items()} for a, nxt in flow.items()}


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
    best: tuple[float, Distribution] | None = None
    for family, dist in (("lognorm", stats.lognorm), ("gamma", stats.gamma), ("expon", stats.expon)):
        try:
            params = dist.fit(sample, floc=0)
        except (ValueError, RuntimeError, FloatingPointError):
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


def _pools(inst: pd.DataFrame, tz: str) -> dict[str, Pool]:
    by_role = inst["role"].notna().any()
    key = inst["role"] if by_role else inst["activity"]
    out: dict[str, Pool] = {}
    work = inst[inst["resource"].notna()]
    at = pd.to_datetime(work["start"].fillna(work["complete"]), utc=True).dt.tz_convert(tz)
    how = (at.dt.day_of_week * 24 + at.dt.hour).to_numpy()
    for name, where in work.groupby(key[work.index], sort=True).indices.items():
        idx = np.asarray(where)
        members = sorted(str(r) for r in pd.unique(work["resource"].to_numpy()[idx]))
        counts = np.bincount(how[idx], minlength=168)
        hours = [int(h) for h in np.flatnonzero(counts >= max(1.0, WORKING_HOUR_SHARE * idx.size))]
        out[str(name)] = Pool(str(name), members, hours)
    return out


def _pool_of(part: pd.DataFrame, pools: dict[str, Any]) -> str | None:
    if not pools:
        return None
    col = part["role"] if part["role"].notna().any() else None
    name = str(col.mode().iloc[0]) if col is not None else str(part["activity"].iloc[0])
    return name if name in pools else None
