"""The simulation model: what :func:`flowmine.simulation.discover` finds in a log and the simulator runs.

Every part is plain data that reads and writes as JSON (``SimulationModel.save`` / ``load``), so an
analyst can open the file, read it and edit it: the flow as next-step probabilities, the case arrivals
per hour of the week and their trend over the weeks, each step's duration distribution, pool and cost,
and each pool's members and the hours of the week it works; a sample of the cases' attributes (drawn
whole, one case's row per simulated case) and, where an attribute predicts which step comes next, that
dependency (``branches``); the flow and the durations by the case's state (the steps it has done,
``states``, and whether it has waited, ``long_sojourn``); batching at fixed run times; the process
calendar's closed days and make-up workdays; and conditions on steps (a business rule such as "GM
approval only above 5,000", ``only_if``).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from flowmine.errors import OptionError

#: Where a case begins and ends in the flow.
START, END = "(start)", "(end)"
FAMILIES = ("lognorm", "gamma", "expon", "fixed", "empirical")
HOURS_OF_WEEK = 168


@dataclass
class Distribution:
    """A duration distribution in seconds: a fitted family (scipy's parameters ``shape``, ``scale``)
    or ``empirical`` (its ``quantiles``, 101 values from the minimum to the maximum, sampled by linear
    interpolation) or ``fixed`` (``scale`` seconds)."""

    family: str
    shape: float | None = None
    scale: float = 0.0
    quantiles: list[float] = field(default_factory=list)
    #: how the fit was chosen: the Kolmogorov-Smirnov distance of the kept family to the data
    ks: float | None = None

    def sample(self, rng: np.random.Generator, n: int) -> npt.NDArray[np.float64]:
        if self.family == "fixed" or (self.scale == 0.0 and self.family != "empirical"):
            return np.full(n, float(self.scale))
        if self.family == "lognorm":
            return np.asarray(self.scale * np.exp(float(self.shape or 0.0) * rng.standard_normal(n)))
        if self.family == "gamma":
            return np.asarray(rng.gamma(float(self.shape or 1.0), self.scale, n))
        if self.family == "expon":
            return np.asarray(rng.exponential(self.scale, n))
        if self.family == "empirical":
            q = np.asarray(self.quantiles, dtype=np.float64)
            return np.asarray(np.interp(rng.random(n) * (q.size - 1), np.arange(q.size), q))
        raise OptionError(f"unknown distribution family {self.family!r}; expected one of {list(FAMILIES)}",
                          parameter="family", function="Distribution")

    def quantiles_table(self, n: int = 2001) -> npt.NDArray[np.float64]:
        """The distribution's quantiles at ``n`` evenly spaced levels from 0.0005 to 0.9995 (the first and
        last at 0 and 1 for an empirical one): sampled at a level by interpolation."""
        from scipy import stats

        u = np.linspace(0.0005, 0.9995, n)
        if self.family == "fixed" or (self.scale == 0.0 and self.family != "empirical"):
            return np.full(n, float(self.scale))
        if self.family == "lognorm":
            return np.asarray(self.scale * np.exp(float(self.shape or 0.0) * stats.norm.ppf(u)))
        if self.family == "gamma":
            return np.asarray(stats.gamma.ppf(u, float(self.shape or 1.0), scale=self.scale))
        if self.family == "expon":
            return np.asarray(stats.expon.ppf(u, scale=self.scale))
        q = np.asarray(self.quantiles, dtype=np.float64)
        return np.asarray(np.interp(np.linspace(0, 1, n) * (q.size - 1), np.arange(q.size), q))

    def mean(self) -> float:
        if self.family == "lognorm":
            return float(self.scale * np.exp(float(self.shape or 0.0) ** 2 / 2))
        if self.family == "gamma":
            return float((self.shape or 1.0) * self.scale)
        if self.family == "empirical":
            q = np.asarray(self.quantiles, dtype=np.float64)
            return float(np.trapezoid(q, dx=1.0 / (q.size - 1))) if q.size > 1 else float(q.sum())
        return float(self.scale)


@dataclass
class Pool:
    """Who can do a step: its members (their number is the pool's capacity) and the hours of the week
    (Monday 00:00 = 0, in the model's time zone) it works."""

    name: str
    members: list[str]
    hours: list[int]
    #: a pool of unlimited capacity: the log names no resources, so steps only take their time
    unlimited: bool = False
    #: whether the pool keeps the process calendar's closed days and make-up workdays
    #: (``SimulationModel.closed_days``, ``open_days``); False: it was seen working through them
    calendar: bool = True


@dataclass
class Batch:
    """A step's instances done together in runs at fixed times of the week (``_batching``): a ``share`` of
    them go to the batching ``resources``, wait for the next run at one of the hours of the week ``at``
    (fractional, model time zone: 14.5 is Monday 14:30, 38.0 Tuesday 14:00), start with it and complete
    when it ends; a run lasts ``duration`` (working time of the step's pool), drawn once per run."""

    resources: list[str]
    share: float
    at: list[float]
    duration: Distribution
    #: the runs it was read from
    runs: int = 0


@dataclass
class StateDuration:
    """A step's sojourn when the case comes to it from one state: it has done the steps ``done`` (each
    counted once, in any order) and last ``previous`` (a log without starts: a blood test in the
    emergency room takes minutes, the same test after the admission a day). ``last``: the sojourn when the
    step is the case's last, where both kinds number enough instances (``duration`` is then the others')."""

    previous: str
    done: list[str]
    duration: Distribution
    last: Distribution | None = None
    #: the instances it was read from
    instances: int = 0
    #: ``done`` counts each step as often as the case did it (a step named twice was done twice), where
    #: that state has enough instances and they are not all of the state counted once (see ``State``)
    counted: bool = False
    #: the sojourn of the cases that have waited (True) or not (False) before, in the state's steps: a
    #: case that had a sojourn longer than ``SimulationModel.long_sojourn`` (None: all the state's cases);
    #: kept where both kinds number enough instances and differ, and chosen before the state's others
    waited: bool | None = None


@dataclass
class State:
    """The flow after a state of the case: it has done the steps ``done`` (each counted once, in any
    order; ``step`` among them) and last ``step``. What a flow by the last step (or the two last) forgets:
    which of a set of parallel steps are still to do, whether the case went through an admission."""

    step: str
    done: list[str]
    flow: dict[str, float]
    #: the moves it was read from
    moves: int = 0
    #: ``done`` counts each step as often as the case did it (a step named three times: three times; a
    #: rework loop taken once or twice), kept where the state has enough moves and they are not all of the
    #: state counted once; chosen before the uncounted state
    counted: bool = False


@dataclass
class StepModel:
    """One step: the pool that does it, how long it takes once started (``service``; with no start
    timestamps in the log, its whole sojourn, with no pool), and what one execution costs."""

    name: str
    pool: str | None
    service: Distribution
    cost: float = 0.0
    #: the extraneous delay before the step asks for its pool, in elapsed seconds (None: none)
    delay: Distribution | None = None
    #: the duration after a given previous step, where it differs by where the case comes from (a log
    #: without starts: the sojourn after each previous step with enough instances; else ``service``)
    after: dict[str, Distribution] = field(default_factory=dict)
    #: a log without starts: the sojourn when the step is the case's last, per previous step, where it
    #: differs (closing a case: the last step's time is often of another kind); ``after`` then holds the
    #: sojourns of the instances that are not the last
    last: dict[str, Distribution] = field(default_factory=dict)

    #: the step is done only for cases whose attribute meets this condition (``attribute``, ``op`` one of
    #: ``above``, ``at_least``, ``below``, ``equals``, ``value``); other cases go on as if it were not there
    only_if: dict[str, Any] | None = None
    #: the step's batching, where some of its resources do its instances together at fixed times
    batch: Batch | None = None
    #: a log without starts: the sojourn by the state the case comes from (the steps it has done and the
    #: last of them), where that state has enough instances of the step (``StateDuration``); before ``after``
    states: list[StateDuration] = field(default_factory=list)

    def duration(self, previous: str, is_last: bool = False, state: StateDuration | None = None) -> Distribution:
        """The duration to draw after ``previous`` (``is_last``: the case's last step), from the case's
        ``state`` where the step has one for it: its own time, that of the step's last instances when it
        has none of its own for them, else ``after`` and ``service``."""
        if state is not None:
            if is_last and state.last is not None:
                return state.last
            if not is_last or previous not in self.last:
                return state.duration
        if is_last and previous in self.last:
            return self.last[previous]
        return self.after.get(previous, self.service)

    def applies(self, attrs: dict[str, Any]) -> bool:
        """Whether a case with attributes ``attrs`` goes through this step (see ``only_if``)."""
        return condition_holds(self.only_if, attrs)


#: The comparisons a step condition may use.
CONDITIONS = ("above", "at_least", "below", "equals")


def condition_holds(cond: dict[str, Any] | None, attrs: dict[str, Any]) -> bool:
    """Whether ``attrs`` meets ``cond`` (no condition: always; an unknown value: never)."""
    if cond is None:
        return True
    v = attrs.get(str(cond["attribute"]))
    if v is None or (isinstance(v, float) and v != v):
        return False
    op, ref = cond["op"], cond["value"]
    if op == "equals":
        return str(v) == str(ref)
    try:
        x, r = float(v), float(ref)
    except (TypeError, ValueError):
        return False
    return x > r if op == "above" else x >= r if op == "at_least" else x < r


@dataclass
class Branch:
    """Which step follows ``after`` depends on the case attribute ``attribute``: ``flow`` holds the next-step
    probabilities per group of cases. A numeric attribute is cut at ``edges`` (group ``"0"``: below the
    first edge, ``"1"``: from it on, ...); a text attribute's group is its value. A case whose group has no
    entry takes the step's overall probabilities."""

    after: str
    attribute: str
    flow: dict[str, dict[str, float]]
    edges: list[float] = field(default_factory=list)
    #: how strong the dependency is: Cramér's V of the groups x next steps table, and its chi-square p-value
    cramers_v: float = 0.0
    p_value: float = 1.0

    def group(self, attrs: dict[str, Any]) -> str | None:
        v = attrs.get(self.attribute)
        if v is None or (isinstance(v, float) and v != v):
            return None
        if not self.edges:
            return str(v)
        try:
            return str(int(np.searchsorted(np.asarray(self.edges), float(v), side="right")))
        except (TypeError, ValueError):
            return None


@dataclass
class SimulationModel:
    """A simulation model of one process (see the module docstring)."""

    process: str | None
    timezone: str
    #: first instant of the calibration period (UTC ISO) and its length in weeks
    start: str
    weeks: float
    #: expected case arrivals per hour of the week (168 values, Monday 00:00 first, model time zone)
    arrivals: list[float]
    #: next-step probabilities: ``flow[a][b]`` (``(start)`` first, ``(end)`` last)
    flow: dict[str, dict[str, float]]
    steps: dict[str, StepModel]
    pools: dict[str, Pool]
    currency: str | None = None
    notes: list[str] = field(default_factory=list)
    #: whether the log had start timestamps (a simulated log then has them too)
    starts: bool = True
    #: case attributes to draw from, column by column (a sample of the calibration cases; each simulated
    #: case takes one case's whole row, so the attributes keep their joint distribution)
    case_attributes: dict[str, list[Any]] = field(default_factory=dict)
    #: where an attribute predicts the next step: the dependency, by the step it follows
    branches: dict[str, Branch] = field(default_factory=dict)
    #: how alike one case's durations are (the intra-case correlation of their normal scores, 0 to 1):
    #: a case slow at one step tends to be slow at the others; 0 draws every duration independently
    duration_correlation: float = 0.0
    #: next-step probabilities that depend on the step before too: ``history[a][b]`` is the flow after
    #: ``b`` for cases that came to ``b`` from ``a`` (kept where at least ``MIN_HISTORY`` cases did)
    history: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)
    #: the arrivals' trend: their rate changes by the factor ``exp(arrival_trend)`` per week, around the
    #: calibration period's middle (where ``arrivals`` hold); 0: no trend the weekly counts could show
    arrival_trend: float = 0.0
    #: the process calendar's closed days (public holidays, the company's own) and make-up workdays, as
    #: local ISO dates, over the calibration period and the two years after it (see ``_days``)
    closed_days: list[str] = field(default_factory=list)
    open_days: list[str] = field(default_factory=list)
    #: cases arrive on a closed day at this share of the hour of the week's rate (read off the closed days
    #: of the calibration period; 1 when it had none)
    closed_arrivals: float = 1.0
    #: the flow by the case's state (``State``: the steps done so far and the last), where a state has
    #: at least ``MIN_HISTORY`` moves; chosen before ``history`` and ``flow`` (a branch comes first)
    states: list[State] = field(default_factory=list)
    #: a log without starts whose sojourns are of two kinds, the work of one sitting and waits (a case
    #: left off for a document, a reply): the sojourn in seconds that parts them, read off the log
    #: (``_states.long_sojourn``; None: one kind). A step's state durations may then depend on whether the
    #: case has had a longer sojourn before (``StateDuration.waited``): cases done in one sitting go on
    #: in one, those left waiting wait again (a case-level dependence the duration correlation misses)
    long_sojourn: float | None = None

    def arrival_factor(self, week: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """The arrival rate's factor in week ``week`` of the calibration period (0 at its start); before
        and after the period, its level at the nearer end (the trend is not extrapolated)."""
        w = np.clip(np.asarray(week, dtype=np.float64), 0.0, self.weeks)
        return np.exp(self.arrival_trend * (w - self.weeks / 2))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SimulationModel:
        steps = {k: StepModel(**{**v, "service": Distribution(**v["service"]),
                                 "delay": Distribution(**v["delay"]) if v.get("delay") else None,
                                 "after": {a: Distribution(**x) for a, x in v.get("after", {}).items()},
                                 "last": {a: Distribution(**x) for a, x in v.get("last", {}).items()},
                                 "batch": _batch(v.get("batch")),
                                 "states": [_state_duration(x) for x in v.get("states", [])]})
                 for k, v in d["steps"].items()}
        pools = {k: Pool(**v) for k, v in d["pools"].items()}
        branches = {k: Branch(**v) for k, v in d.get("branches", {}).items()}
        states = [State(**x) for x in d.get("states", [])]
        return cls(**{**d, "steps": steps, "pools": pools, "branches": branches, "states": states})

    def save(self, path: str | Path) -> Path:
        """Write the model as JSON (atomically)."""
        from flowmine._atomic import write_text_atomic

        out = Path(path)
        write_text_atomic(out, json.dumps(self.to_dict(), ensure_ascii=False, indent=1) + "\n")
        return out

    @classmethod
    def load(cls, path: str | Path) -> SimulationModel:
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))


def _state_duration(d: dict[str, Any]) -> StateDuration:
    return StateDuration(**{**d, "duration": Distribution(**d["duration"]),
                            "last": Distribution(**d["last"]) if d.get("last") else None})


def _batch(d: dict[str, Any] | None) -> Batch | None:
    return None if d is None else Batch(**{**d, "duration": Distribution(**d["duration"])})
