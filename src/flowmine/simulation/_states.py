"""The case's state in the simulation model: the steps it has done so far (a set: each counted once, in
any order) and the last of them, a transition system's set abstraction of the case's prefix.

A flow by the last step (or the two last, ``history``) forgets what a case has done before: which of a set
of parallel steps it still has to do (the permit receipts: two branches interleaved in every order, a
first-order flow ends cases halfway through one), and whether it went through a step that changes what
follows (the Sepsis log: a patient who was admitted has blood tests a day apart and leaves by a release,
one who was not has them within minutes and leaves). Discovery keeps, per state with at least
``MIN_STATE`` moves, the next-step probabilities (``State``), and on a log without starts, per step and
state it comes from with at least ``MIN_STATE`` instances, the sojourn (``StateDuration``, the last
instances apart where both kinds number ``MIN_STATE``, as ``StepModel.last``). Where a log's sojourns
are of two kinds, the work of one sitting and waits, and a class of its cases is done in one sitting
(``long_sojourn``), a step's sojourn from a state is also kept by whether the case has waited before (the
permit receipts: half the cases are done within the hour, the others wait days, often more than once),
where the two kinds differ. The run tracks each case's state as a bit mask of its steps, and whether it
has waited.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import numpy as np
import pandas as pd

from flowmine.simulation._model import END, START, Distribution, State, StateDuration

#: A state gets its own flow (and a step its own duration from it) with this many moves (instances).
MIN_STATE = 30
#: The states are bit masks of the steps: a log with more steps than this has none.
MAX_STEPS = 62
#: A counted state's key in the run: this many bits per step's count (a case leaves after 500 steps).
COUNT_BITS = 16


class Coded:
    """A log's instances (sorted by case and position) coded for the states: per instance the bit mask of
    the steps its case has done up to and including it (``masks``) and a key of the same steps counted
    (``counts``: the sum of a random 64-bit weight per execution, wrapping; equal multisets give equal
    keys, others collide with a chance of about 2**-64), and both before it (``masks_before``,
    ``counts_before``: 0 at a case's first)."""

    def __init__(self, inst: pd.DataFrame) -> None:
        codes, names = pd.factorize(inst["activity"], sort=True)
        self.codes, self.names = codes.astype(np.int64), [str(n) for n in names]
        case = inst["case"].to_numpy()
        n = case.size
        new = np.r_[True, case[1:] != case[:-1]] if n else np.zeros(0, dtype=bool)
        self.first_row = np.maximum.accumulate(np.where(new, np.arange(n), 0)) if n else np.zeros(0, np.int64)
        # each step's bit is added at its first instance in the case: a running sum is the union of the bits
        key = (np.cumsum(new) - 1) * max(len(names), 1) + self.codes  # (case, step) as one integer
        first = ~pd.Series(key).duplicated().to_numpy()
        bits = np.where(first, np.left_shift(np.int64(1), self.codes), np.int64(0))
        self.masks = _running(bits.astype(np.uint64), self.first_row).astype(np.int64)
        weight = np.random.default_rng(0).integers(1, 2 ** 63, len(names), dtype=np.uint64)
        self.counts = _running(weight[self.codes], self.first_row)
        self.masks_before = np.where(new, 0, np.r_[np.int64(0), self.masks[:-1]]) if n else self.masks
        self.counts_before = np.where(new, np.uint64(0), np.r_[np.uint64(0), self.counts[:-1]]) if n else self.counts

    def steps(self, mask: int) -> list[str]:
        """The steps of a bit mask, in the order of ``names`` (sorted)."""
        return [x for i, x in enumerate(self.names) if mask >> i & 1]

    def counted(self, row: int) -> list[str]:
        """The steps the case of instance ``row`` has done up to it, each as often as it did it (sorted)."""
        k = np.bincount(self.codes[self.first_row[row]:row + 1], minlength=len(self.names))
        return [x for i, x in enumerate(self.names) for _ in range(int(k[i]))]


def coded_states(inst: pd.DataFrame) -> Coded | None:
    """The instances coded for the states (None with more than ``MAX_STEPS`` steps)."""
    return None if inst["activity"].nunique() > MAX_STEPS else Coded(inst)


def _running(x: np.ndarray, first_row: np.ndarray) -> np.ndarray:
    """The running sum of ``x`` (uint64, wrapping) within each case (``first_row``: its first row)."""
    with np.errstate(over="ignore"):
        total = np.cumsum(x, dtype=np.uint64)
        before = np.r_[np.uint64(0), total[:-1]] if x.size else total
        return total - before[first_row]


def flow_states(moves: pd.DataFrame, codes: Coded) -> list[State]:
    """The next-step probabilities per state with ``MIN_STATE`` moves: by the steps done (``done``: the
    mask after ``a``), and by the steps done counted (``counts``) where that state is not the whole of
    its uncounted one (``at``: the instance row of ``a``, for the counted state's steps)."""
    a_codes, a_names = pd.factorize(moves["a"])
    b_codes, b_names = pd.factorize(moves["b"])
    names = list(a_names)
    known = a_codes != (names.index(START) if START in names else -1)  # the moves after a step
    frame = pd.DataFrame({"done": moves["done"].to_numpy()[known], "counts": moves["counts"].to_numpy()[known],
                          "a": a_codes[known], "b": b_codes[known], "at": moves["at"].to_numpy()[known]})
    out = []
    plain = frame.groupby(["done", "a"], sort=True).size()
    for key, counted in ((["done", "a"], False), (["counts", "a", "done"], True)):
        counts = frame.groupby([*key, "b"], sort=True).size()
        totals = counts.groupby(level=list(range(len(key)))).sum()
        kept = totals[totals >= MIN_STATE]
        if counted:
            kept = kept[kept.to_numpy() < plain.reindex(pd.MultiIndex.from_arrays(
                [kept.index.get_level_values(2), kept.index.get_level_values(1)])).to_numpy()]
            at = frame.groupby(key, sort=True)["at"].first()
        for group, total in kept.items():
            k = cast(tuple[Any, ...], group)
            nxt = counts.loc[k]
            done = codes.counted(int(at[k])) if counted else codes.steps(int(k[0]))
            flow = {str(b_names[b]): float(n) / float(total) for b, n in nxt.items()}
            out.append(State(str(a_names[k[1]]), done, dict(sorted(flow.items())),  # by name, as the flow's
                             moves=int(total), counted=counted))
    return out


def duration_states(part: pd.DataFrame, rows: np.ndarray, ends: np.ndarray, codes: Coded,
                    fit: Callable[[np.ndarray], Distribution],
                    waited: np.ndarray | None = None) -> list[StateDuration]:
    """A start-less step's sojourns per state it comes from with ``MIN_STATE`` instances (``rows``: each
    instance's row in the coded log; ``ends``: whether it is its case's last), by the steps done and by
    the steps done counted (where that state is not the whole of its uncounted one); and with ``waited``
    (per row of the coded log: whether the case had a long sojourn before it, ``waited_before``), by the
    steps done and whether the case has waited, where both kinds number ``MIN_STATE`` instances and
    their sojourns differ (``differ``)."""
    prev = part["prev_activity"].astype(object).where(part["prev_activity"].notna(), START).to_numpy()
    v = part["sojourn_s"].to_numpy(dtype=np.float64)
    ok = np.isfinite(v) & (v >= 0) & (prev != START)
    rows, vals, last = rows[ok], v[ok], ends[ok]
    keys = pd.DataFrame({"m": codes.masks_before[rows], "c": codes.counts_before[rows], "p": prev[ok]})
    out = []
    plain = keys.groupby(["m", "p"], sort=True).size()

    def state(k: tuple[Any, ...], idx: np.ndarray, counted: bool, w: bool | None = None) -> StateDuration:
        done = codes.counted(int(rows[idx[0]]) - 1) if counted else codes.steps(int(k[0]))
        e = last[idx]  # the last instances apart where they number MIN_STATE; the others where they do
        return StateDuration(str(k[1]), done, fit(vals[idx[~e]] if (~e).sum() >= MIN_STATE else vals[idx]),
                             fit(vals[idx[e]]) if e.sum() >= MIN_STATE else None, instances=int(idx.size),
                             counted=counted, waited=w)

    for by, counted in ((["m", "p"], False), (["c", "p", "m"], True)):
        for group, where in keys.groupby(by, sort=True).indices.items():
            k, idx = cast(tuple[Any, ...], group), np.asarray(where)
            if idx.size < MIN_STATE or (counted and idx.size >= plain[(k[2], k[1])]):
                continue
            out.append(state(k, idx, counted))
    if waited is not None:
        w = waited[rows]
        for group, where in keys.groupby(["m", "p"], sort=True).indices.items():
            k, idx = cast(tuple[Any, ...], group), np.asarray(where)
            yes, no = idx[w[idx]], idx[~w[idx]]
            if min(yes.size, no.size) >= MIN_STATE and differ(vals[yes], vals[no]):
                out += [state(k, no, False, False), state(k, yes, False, True)]
    return out


#: A log's sojourns split into short ones and waits (``long_sojourn``) where the split on a log scale
#: explains at least this share of their variance (one lognormal's best split explains 2/pi, 0.64).
LONG_SPLIT = 0.8
#: The two kinds of a state's sojourns (the case has waited, or not) are kept apart where a two-sample
#: Kolmogorov-Smirnov test tells them apart at this p-value.
WAITED_P = 1e-3


#: ... and where at least this share of the cases with two sojourns or more (and ``MIN_STATE`` cases) had
#: only short ones: the cases done in one sitting are a class of their own, not the odd exception.
ONE_SITTING_SHARE = 0.1


def long_sojourn(inst: pd.DataFrame) -> float | None:
    """The sojourn (seconds) that splits a log's sojourns into the work of one sitting and waits: the cut
    among their percentiles that best splits their logarithms in two groups (Otsu's between-group
    variance; halfway between the groups' nearest sojourns on the log scale), where it explains
    ``LONG_SPLIT`` of their variance, each group holds ``MIN_STATE`` and the cases done in one sitting
    are ``ONE_SITTING_SHARE`` of those with two sojourns or more (None: the sojourns are not of two
    kinds, or nearly every case waits)."""
    cut = _split(inst["sojourn_s"].to_numpy(dtype=np.float64))
    if cut is None:
        return None
    per = inst.groupby("case", sort=False)["sojourn_s"]
    several = (per.count() >= 2).to_numpy()
    sitting = several & (per.max() <= cut).to_numpy()
    if sitting.sum() < MIN_STATE or sitting.sum() < ONE_SITTING_SHARE * several.sum():
        return None
    return cut


def _split(sojourns: np.ndarray) -> float | None:
    """The cut of ``long_sojourn`` on the sojourns alone."""
    x = np.log(sojourns[np.isfinite(sojourns) & (sojourns > 0)])
    if x.size < 2 * MIN_STATE or np.ptp(x) == 0:
        return None
    x.sort()
    cuts = np.unique(np.quantile(x, np.linspace(0.01, 0.99, 99)))
    k = np.searchsorted(x, cuts, side="right")  # values at or below each cut
    total = np.r_[0.0, np.cumsum(x)]
    n = x.size
    fine = (k >= MIN_STATE) & (n - k >= MIN_STATE)
    if not fine.any():
        return None
    k, cuts = k[fine], cuts[fine]
    between = k * (n - k) / n ** 2 * (total[k] / k - (total[n] - total[k]) / (n - k)) ** 2
    best = int(np.argmax(between))
    if between[best] < LONG_SPLIT * float(x.var()):
        return None
    # halfway (on the log scale) between the longest short sojourn and the shortest wait
    return float(np.exp((x[k[best] - 1] + x[k[best]]) / 2))


def waited_before(inst: pd.DataFrame, threshold: float) -> np.ndarray:
    """Per instance (sorted by case and position): whether an instance before it in its case had a
    sojourn longer than ``threshold`` seconds (the case has waited: left off, for a document, a reply)."""
    case = inst["case"].to_numpy()
    n = case.size
    if not n:
        return np.zeros(0, dtype=bool)
    new = np.r_[True, case[1:] != case[:-1]]
    long = np.nan_to_num(inst["sojourn_s"].to_numpy(dtype=np.float64), nan=0.0) > threshold
    seen = np.cumsum(long)
    before = np.r_[0, seen[:-1]]
    start = np.maximum.accumulate(np.where(new, np.arange(n), 0))
    return np.asarray(before - before[start] > 0)


def differ(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two samples of sojourns differ (two-sample Kolmogorov-Smirnov, ``WAITED_P``)."""
    from scipy import stats

    return bool(stats.ks_2samp(a, b).pvalue < WAITED_P)


class Tracker:
    """The run's view of the states: each step's bit (``bit``) and count unit (``unit``: the counted key
    holds a step's count in ``COUNT_BITS`` bits), the flow per (mask, step) and per (counted key, step),
    and each step's durations per (step, mask, previous step) and (step, counted key, previous step), for
    the model's current steps (a state naming a step the model no longer has, after a ``remove_step``,
    cannot be reached and is left out)."""

    def __init__(self, steps: list[str], states: list[State], durations: dict[str, list[StateDuration]],
                 cumulative: Callable[[dict[str, float]], tuple[list[str], list[float]]]) -> None:
        # every step of the model has a bit: a case that did a step no state names is in none of them
        order = [n for n in sorted(steps) if n not in (START, END)]
        self.bit = {n: 1 << i for i, n in enumerate(order)}
        self.unit = {n: 1 << (COUNT_BITS * i) for i, n in enumerate(order)}
        self.flow: dict[tuple[int, str], tuple[list[str], list[float]]] = {}
        self.counted_flow: dict[tuple[int, str], tuple[list[str], list[float]]] = {}
        for s in states:
            key = self.key(s.done, s.counted)
            if key is not None:
                (self.counted_flow if s.counted else self.flow)[key, s.step] = cumulative(s.flow)
        self.durations: dict[tuple[str, int, str], StateDuration] = {}
        self.counted_durations: dict[tuple[str, int, str], StateDuration] = {}
        #: by (step, mask, previous step, whether the case has waited)
        self.waited_durations: dict[tuple[str, int, str, bool], StateDuration] = {}
        for step, ds in durations.items():
            for x in ds:
                key = self.key(x.done, x.counted)
                if key is None:
                    continue
                if x.waited is not None:
                    self.waited_durations[step, key, x.previous, x.waited] = x
                else:
                    (self.counted_durations if x.counted else self.durations)[step, key, x.previous] = x

    def key(self, done: list[str], counted: bool) -> int | None:
        """The run's key of a state's steps: their mask, or with ``counted`` their counts (None: a step the
        model does not have)."""
        m = 0
        for n in done:
            b = (self.unit if counted else self.bit).get(n)
            if b is None:
                return None
            m = m + b if counted else m | b
        return m
