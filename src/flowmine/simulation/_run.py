"""Run a :class:`SimulationModel` on SimPy and return the simulated log.

The clock counts seconds from the Monday 00:00 (model time zone) before the calibration period's
start. Cases arrive as a Poisson process whose rate is the model's rate for each hour of the week. A
case walks the flow from ``(start)``; at each step it waits for a free member of the step's pool, for
the pool's working hours, then works for a duration drawn from the step's distribution, counted in
the pool's working hours (work stops outside them); a step without a pool only takes its time. Each
case draws one row of the model's case attributes (on the arrivals' stream); where an attribute predicts
the next step (``branches``) the case's group chooses it, and a step with a condition (``only_if``)
that the case does not meet is passed by as if it were not there. Cases
that arrive during the warm-up (the system filling up from empty) are simulated but left out of the
result. One seed gives the same log.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Generator
from typing import Any

import numpy as np
import pandas as pd
import simpy

from flowmine._schema import ACTIVITY, CASE, COST, RESOURCE, START, TIMESTAMP
from flowmine.simulation._model import END, HOURS_OF_WEEK, Pool, SimulationModel
from flowmine.simulation._model import START as FLOW_START

HOUR = 3600.0
WEEK = HOURS_OF_WEEK * HOUR
#: A case leaves the flow after this many steps (a loop whose probabilities never let it end).
MAX_STEPS = 500


class _Hours:
    """A pool's working hours of the week: the next open moment and working time added over them."""

    def __init__(self, pool: Pool | None) -> None:
        hours = set(pool.hours) if pool is not None and pool.hours else set(range(HOURS_OF_WEEK))
        self.open = np.array([h in hours for h in range(HOURS_OF_WEEK)])
        # seconds from the start of each hour of the week to the next open hour's start (0 when open)
        nxt = np.zeros(HOURS_OF_WEEK)
        for h in range(HOURS_OF_WEEK):
            k = 0
            while not self.open[(h + k) % HOURS_OF_WEEK] and k < HOURS_OF_WEEK:
                k += 1
            nxt[h] = k * HOUR
        self.to_open = nxt

    def open_at(self, t: float) -> float:
        h = int(t // HOUR) % HOURS_OF_WEEK
        return t if self.open[h] else (t // HOUR) * HOUR + self.to_open[h]

    def add_work(self, t: float, seconds: float) -> float:
        t = self.open_at(t)
        while True:
            left = (t // HOUR + 1) * HOUR - t
            if seconds <= left:
                return t + seconds
            seconds -= left
            t = self.open_at((t // HOUR + 1) * HOUR)


class _Run:
    def __init__(self, model: SimulationModel, seed: int, warmup: float) -> None:
        # arrivals draw from their own stream: a changed model sees the same cases arrive (common random
        # numbers), whatever else it draws differently
        arrivals, work = np.random.SeedSequence(seed).spawn(2)
        self.arrival_rng, self.rng = np.random.default_rng(arrivals), np.random.default_rng(work)
        self.draws = _Draws(self.rng)
        self.model, self.warmup = model, warmup
        self.env = simpy.Environment()
        self.stores: dict[str, simpy.Store] = {}
        self.hours: dict[str | None, _Hours] = {None: _Hours(None)}
        for name, pool in model.pools.items():
            self.hours[name] = _Hours(pool)
            if not pool.unlimited and pool.members:
                store = simpy.Store(self.env)  # FIFO; a FilterStore rescans its whole queue on every get
                store.items.extend(pool.members)
                self.stores[name] = store
        self.choices = {a: _cumulative(nxt) for a, nxt in model.flow.items()}  # (names, cumulative list)
        self.grouped = {a: {g: _cumulative(nxt) for g, nxt in b.flow.items()} for a, b in model.branches.items()}
        self.history = {(a, b): _cumulative(nxt) for a, after in model.history.items() for b, nxt in after.items()}
        self.rows: dict[str, list[Any]] = {k: [] for k in ("case", "activity", "start", "end", "resource", "cost")}
        self.attr_rows = len(next(iter(model.case_attributes.values()), []))
        self.rho = float(min(max(model.duration_correlation, 0.0), 0.99))
        self.tables: dict[int, np.ndarray] = {}  # quantile tables of the distributions drawn at a level
        self.case_row: dict[int, int] = {}

    def _next(self, current: str, attrs: dict[str, Any], before: str = FLOW_START) -> str:
        """The step after ``current`` (reached from ``before``): by the case's attribute group where an
        attribute decides it, else by where the case came from where that is known, else by ``current``."""
        names, cum = self.choices.get(current, ([END], [1.0]))
        branch = self.model.branches.get(current)
        if branch is not None:
            names, cum = self.grouped[current].get(branch.group(attrs) or "", (names, cum))
        else:
            names, cum = self.history.get((before, current), (names, cum))
        i = bisect.bisect_right(cum, self.draws.uniform() * cum[-1])
        return str(names[min(i, len(names) - 1)])

    def _advance(self, before: str, current: str, attrs: dict[str, Any]) -> tuple[str, str]:
        """The next step the case does after ``current`` (reached from ``before``), passing by the steps
        whose condition it does not meet: (the step before it in the flow, that step)."""
        for _ in range(MAX_STEPS):
            before, current = current, self._next(current, attrs, before)
            if current == END or current not in self.model.steps or self.model.steps[current].applies(attrs):
                return before, current
        return current, END

    def draw(self, d: Any, z: float) -> float:
        """One duration of ``d``: independent, or (with a duration correlation) at the level that mixes the
        case's own score ``z`` with a fresh one (a Gaussian copula: one case's durations correlate by rho)."""
        if self.rho <= 0.0:
            return self.draws.of(d)
        table = self.tables.get(id(d))
        if table is None:
            table = self.tables[id(d)] = d.quantiles_table()
        u = _phi(math.sqrt(self.rho) * z + math.sqrt(1.0 - self.rho) * self.draws.normal())
        x = u * (table.size - 1)
        k = min(int(x), table.size - 2)
        return float(table[k] + (x - k) * (table[k + 1] - table[k]))

    def attributes(self, row: int | None) -> dict[str, Any]:
        if row is None:
            return {}
        return {c: v[row] for c, v in self.model.case_attributes.items()}

    def arrivals(self, hours: int) -> Generator[simpy.Event, Any, None]:
        rates = np.asarray(self.model.arrivals, dtype=np.float64)
        n = 0
        for h in range(hours):
            k = int(self.arrival_rng.poisson(rates[h % HOURS_OF_WEEK]))
            for t in np.sort(h * HOUR + self.arrival_rng.random(k) * HOUR):
                yield self.env.timeout(float(t) - self.env.now)
                n += 1
                row = int(self.arrival_rng.integers(self.attr_rows)) if self.attr_rows else None
                self.env.process(self.case(n, float(t), row))

    def case(self, index: int, arrival: float, row: int | None = None) -> Generator[simpy.Event, Any, None]:
        model, env = self.model, self.env
        keep = arrival >= self.warmup
        attrs = self.attributes(row)
        if keep and row is not None:
            self.case_row[index] = row
        z = self.draws.normal() if self.rho > 0.0 else 0.0
        last = FLOW_START
        before, current = self._advance(FLOW_START, FLOW_START, attrs)
        for _ in range(MAX_STEPS):
            if current == END or current not in model.steps:
                return
            step = model.steps[current]
            ahead = self._advance(before, current, attrs)  # chosen now: whether this step is the last
            previous, last = last, current
            duration = self.draw(step.duration(previous, ahead[1] == END or ahead[1] not in model.steps), z)
            store = self.stores.get(step.pool) if step.pool is not None else None
            hours = self.hours.get(step.pool, self.hours[None])
            person = None
            if step.delay is not None and step.pool is not None:  # waiting nobody's work explains
                yield env.timeout(self.draws.of(step.delay))  # elapsed: a supplier's days
            if store is not None:
                person = yield store.get()
            start = hours.open_at(env.now) if step.pool is not None else env.now
            end = hours.add_work(start, duration) if step.pool is not None else start + duration
            yield env.timeout(end - env.now)
            if store is not None:
                store.put(person)
            if keep:
                r = self.rows
                r["case"].append(index)
                r["activity"].append(current)
                r["start"].append(start)
                r["end"].append(end)
                r["resource"].append(person)
                r["cost"].append(step.cost)
            before, current = ahead


def simulate(model: SimulationModel, *, weeks: float | None = None, warmup_weeks: int = 2, seed: int = 0,
             starts: bool | None = None) -> pd.DataFrame:
    """One replication: a canonical event log (one row per activity instance, UTC times) of the cases
    that arrive in ``weeks`` (default: the calibration period's length) after ``warmup_weeks``.

    Cases still running when arrivals stop are run to their end. ``starts`` (default: as the log the
    model came from) writes the start timestamps or leaves them out."""
    starts = model.starts if starts is None else starts
    span = float(model.weeks if weeks is None else weeks)
    warmup = int(warmup_weeks) * WEEK  # whole weeks: the hours of the week stay aligned
    r = _Run(model, seed, warmup)
    r.env.process(r.arrivals(int(np.ceil((span + int(warmup_weeks)) * HOURS_OF_WEEK))))
    r.env.run()
    origin = _origin(model)
    frame = pd.DataFrame(r.rows)
    out = pd.DataFrame({
        CASE: "SIM-" + frame["case"].astype(str).str.zfill(7),
        ACTIVITY: frame["activity"].astype(str),
        TIMESTAMP: origin + pd.to_timedelta(frame["end"] - warmup, unit="s"),
        RESOURCE: frame["resource"].astype(object),
        COST: frame["cost"].astype(np.float64),
    })
    began = origin + pd.to_timedelta(frame["start"] - warmup, unit="s")
    out.insert(2, START, began if starts else pd.Series(pd.NaT, index=out.index, dtype=began.dtype))
    if r.case_row:
        rows = frame["case"].map(r.case_row).to_numpy()
        for col, values in model.case_attributes.items():
            out[col] = pd.Series(pd.Series(values).to_numpy()[rows.astype(np.int64)], index=out.index)
    return out.sort_values([CASE, START if starts else TIMESTAMP, TIMESTAMP], kind="stable").reset_index(drop=True)


class _Draws:
    """The run's random numbers, drawn from its generator in blocks (one numpy call per block instead of
    one per number: the per-call cost was a fifth of a replication): uniforms, normals and each
    distribution's own samples. One seed gives the same numbers in the same order."""

    BLOCK = 4096

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.buffers: dict[int, tuple[list[float], Any]] = {}

    def _next(self, key: int, refill: Any) -> float:
        buf = self.buffers.get(key)
        if buf is None or not buf[0]:
            values = refill().tolist()
            values.reverse()  # pop from the end: the block's first number comes first
            self.buffers[key] = buf = (values, refill)
        return float(buf[0].pop())

    def uniform(self) -> float:
        return self._next(0, lambda: self.rng.random(self.BLOCK))

    def normal(self) -> float:
        return self._next(1, lambda: self.rng.standard_normal(self.BLOCK))

    def of(self, d: Any) -> float:
        """One sample of the distribution ``d``."""
        return self._next(id(d), lambda: d.sample(self.rng, self.BLOCK))


def _phi(x: float) -> float:
    """The standard normal distribution function."""
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def _cumulative(nxt: dict[str, float]) -> tuple[list[str], list[float]]:
    return list(nxt), np.cumsum(list(nxt.values())).tolist()


def _origin(model: SimulationModel) -> pd.Timestamp:
    """The Monday 00:00 (model time zone, as UTC) before the calibration period's start: the simulated
    period (after the warm-up) starts there."""
    local = pd.Timestamp(model.start).tz_convert(model.timezone)
    monday = (local - pd.Timedelta(days=local.day_of_week)).normalize()
    return monday.tz_convert("UTC")
