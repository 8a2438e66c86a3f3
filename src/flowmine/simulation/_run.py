"""Run a :class:`SimulationModel` and return the simulated log.

The clock counts seconds from the Monday 00:00 (model time zone) before the calibration period's
start. Cases arrive as a Poisson process whose rate is the model's rate for each hour of the week. A
case walks the flow from ``(start)``; at each step it waits for a free member of the step's pool, for
the pool's working hours, then works for a duration drawn from the step's distribution, counted in
the pool's working hours (work stops outside them; a pool that keeps the process calendar does not work
on its closed days and works its usual weekday hours on make-up workdays, see ``_days``); a step
without a pool only takes its time. Each
case draws one row of the model's case attributes (on the arrivals' stream); where an attribute predicts
the next step (``branches``) the case's group chooses it, and a step with a condition (``only_if``)
that the case does not meet is passed by as if it were not there. Cases
that arrive during the warm-up (the system filling up from empty) are simulated but left out of the
result. One seed gives the same log.

The cases are SimPy-style processes (generators that yield a timeout or a request for a pool's member),
run on one of two engines that give the same log for a seed (``ENGINES``; tested on models with every
part): SimPy itself (``engine="simpy"``: a ``simpy.Store`` per pool), or by default an event loop of its
own on a heap, which processes the events in SimPy's order (time, then urgent before normal, then the
order they were scheduled in; a released member goes to the first case waiting when SimPy's put event
would be processed) without SimPy's event objects and callbacks, which were most of a replication's
cost: about a third of the time (a 100k-case replication of the procurement sample: 5.3 CPU seconds
instead of 17).
"""

from __future__ import annotations

import bisect
import gc
import heapq
import itertools
import math
from collections import deque
from collections.abc import Callable, Generator
from typing import Any

import numpy as np
import pandas as pd
import simpy

from flowmine._schema import ACTIVITY, CASE, COST, RESOURCE, START, TIMESTAMP
from flowmine.simulation._days import EPOCH, day_numbers, open_hours
from flowmine.simulation._model import END, HOURS_OF_WEEK, Pool, SimulationModel, condition_holds
from flowmine.simulation._model import START as FLOW_START
from flowmine.simulation._states import Tracker

HOUR = 3600.0
WEEK = HOURS_OF_WEEK * HOUR
#: A case leaves the flow after this many steps (a loop whose probabilities never let it end).
MAX_STEPS = 500


class _Hours:
    """A pool's working hours of the week: the next open moment and working time added over them."""

    def __init__(self, pool: Pool | None) -> None:
        hours = set(pool.hours) if pool is not None and pool.hours else set(range(HOURS_OF_WEEK))
        self.open = [h in hours for h in range(HOURS_OF_WEEK)]  # Python lists: floats stay Python floats
        # seconds from the start of each hour of the week to the next open hour's start (0 when open)
        nxt = [0.0] * HOURS_OF_WEEK
        for h in range(HOURS_OF_WEEK):
            k = 0
            while not self.open[(h + k) % HOURS_OF_WEEK] and k < HOURS_OF_WEEK:
                k += 1
            nxt[h] = k * HOUR
        self.to_open = nxt

    def open_at(self, t: float) -> float:
        h = int(t // HOUR) % HOURS_OF_WEEK
        return t if self.open[h] else (t // HOUR) * HOUR + self.to_open[h]

    def work(self, t: float, seconds: float) -> tuple[float, float]:
        """Work of ``seconds`` asked for at ``t``: when it starts (the next open moment) and ends."""
        h = int(t // HOUR) % HOURS_OF_WEEK
        start = t if self.open[h] else (t // HOUR) * HOUR + self.to_open[h]
        left = (start // HOUR + 1) * HOUR - start
        return start, (start + seconds if seconds <= left else self.add_work(start, seconds))

    def add_work(self, t: float, seconds: float) -> float:
        t = self.open_at(t)
        while True:
            left = (t // HOUR + 1) * HOUR - t
            if seconds <= left:
                return t + seconds
            seconds -= left
            t = self.open_at((t // HOUR + 1) * HOUR)


class _DayHours(_Hours):
    """A pool's working hours of the week with the process calendar's days: closed days shut, make-up
    workdays open (``_days``), as a table of the run's hours up to a week after the last such day;
    after it, the hours of the week."""

    def __init__(self, pool: Pool, closed: list[int], makeup: list[int]) -> None:
        super().__init__(pool)
        n_days = max(closed + makeup) + 8
        self.abs_open = open_hours(pool.hours, closed, makeup, 0, n_days).tolist()
        n = len(self.abs_open)
        to = [0.0] * n
        nxt = self.to_open[n % HOURS_OF_WEEK]  # the run's days start on a Monday: hour n of the week
        for h in range(n - 1, -1, -1):
            nxt = 0.0 if self.abs_open[h] else HOUR + nxt
            to[h] = nxt
        self.abs_to_open, self.n = to, n

    def open_at(self, t: float) -> float:
        h = int(t // HOUR)
        if h >= self.n:
            return super().open_at(t)
        return t if self.abs_open[h] else h * HOUR + self.abs_to_open[h]

    def work(self, t: float, seconds: float) -> tuple[float, float]:
        start = self.open_at(t)
        left = (start // HOUR + 1) * HOUR - start
        return start, (start + seconds if seconds <= left else self.add_work(start, seconds))


class _Queue:
    """A pool's free members (first in, first out) and the cases waiting for one, in the order they asked:
    what a ``simpy.Store`` holds, without its events."""

    __slots__ = ("items", "waiting")

    def __init__(self, members: list[str]) -> None:
        self.items: list[str] = list(members)
        self.waiting: deque[Generator[Any, Any, None]] = deque()


class _Run:
    def __init__(self, model: SimulationModel, seed: int, warmup: float, engine: str = "heap") -> None:
        # arrivals draw from their own stream: a changed model sees the same cases arrive (common random
        # numbers), whatever else it draws differently
        arrivals, work = np.random.SeedSequence(seed).spawn(2)
        self.arrival_rng, self.rng = np.random.default_rng(arrivals), np.random.default_rng(work)
        self.draws = _Draws(self.rng)
        self.model, self.warmup, self.engine = model, warmup, engine
        self.now = 0.0
        self.env = simpy.Environment() if engine == "simpy" else None
        self.heap: list[tuple[float, int, int, Any, Any]] = []
        self.seq = itertools.count(1)
        self.queues: dict[str, Any] = {}  # a simpy.Store (engine "simpy") or a _Queue per limited pool
        self.hours: dict[str | None, _Hours] = {None: _Hours(None)}
        self.closed, makeup = _run_days(model, warmup)
        for name, pool in model.pools.items():
            keeps = pool.calendar and 0 < len(pool.hours) < HOURS_OF_WEEK and bool(self.closed or makeup)
            self.hours[name] = _DayHours(pool, self.closed, makeup) if keeps else _Hours(pool)
            if not pool.unlimited and pool.members:
                if self.env is not None:
                    store = simpy.Store(self.env)  # FIFO; a FilterStore rescans its whole queue on every get
                    store.items.extend(pool.members)
                    self.queues[name] = store
                else:
                    self.queues[name] = _Queue(pool.members)
        self.choices = {a: _cumulative(nxt) for a, nxt in model.flow.items()}  # (names, cumulative list)
        self.grouped = {a: {g: _cumulative(nxt) for g, nxt in b.flow.items()} for a, b in model.branches.items()}
        # the flow after a step by the step before it (``history``), by step then step before
        self.after_from: dict[str, dict[str, tuple[list[str], list[float]]]] = {}
        for a, after in model.history.items():
            for b, nxt in after.items():
                self.after_from.setdefault(b, {})[a] = _cumulative(nxt)
        # the flow and durations by the case's state (the steps it has done), as bit masks
        by_state = {n: st.states for n, st in model.steps.items() if st.states}
        self.tracker = Tracker(list(model.steps), model.states, by_state, _cumulative) if (
            model.states or by_state) else None
        self.state_flow = self.tracker.flow if self.tracker is not None else {}
        self.counted_flow = self.tracker.counted_flow if self.tracker is not None else {}
        #: the kept activity instances, flat: case, step, start, end, resource, cost, case, step, ...
        self.rows: list[Any] = []
        self.attr_rows = len(next(iter(model.case_attributes.values()), []))
        # a case's attributes are read only where a branch or a step condition asks for them
        self.needs_attrs = bool(model.branches) or any(st.only_if is not None for st in model.steps.values())
        self.rho = float(min(max(model.duration_correlation, 0.0), 0.99))
        self.tables: dict[int, np.ndarray] = {}  # quantile tables of the distributions drawn at a level
        self.case_row: dict[int, int] = {}
        self.uniform = self.draws.stream(0, lambda: self.rng.random(_Draws.BLOCK))
        self.release = self._put if self.env is not None else self._release
        self.plan = self._plan()
        #: batching: the runs by (step, start) -> (end, resource), and the runs each step has had
        self.batch_runs: dict[tuple[str, float], tuple[float, str]] = {}
        self.batch_count: dict[str, int] = {}
        self.closed_set = set(self.closed)

    # --- the engine: SimPy's, or a heap of events in SimPy's order ---------------------------------
    def start(self, gen: Generator[Any, Any, None]) -> None:
        """Start a process now (before any other event of this instant, as SimPy's initialisation)."""
        if self.env is not None:
            self.env.process(_on_simpy(self, gen))
        else:
            heapq.heappush(self.heap, (self.now, 0, next(self.seq), gen, None))

    def _release(self, queue: _Queue, person: Any) -> None:
        """A member of a pool is free again: the first case waiting for one gets them (SimPy: a put whose
        event, processed in its turn, serves the first get waiting; nobody waiting, nothing to process)."""
        queue.items.append(person)
        if queue.waiting:
            heapq.heappush(self.heap, (self.now, 1, next(self.seq), None, queue))

    @staticmethod
    def _put(store: simpy.Store, person: Any) -> None:
        store.put(person)

    def run(self) -> None:
        if self.env is not None:
            self.env.run()
            return
        self._loop()

    def _loop(self) -> None:
        """Process the events in SimPy's order (time, then urgent before normal, then the order they were
        scheduled in): a process yields a float (a timeout of that many seconds) or a _Queue (a get). An
        event SimPy would schedule for this very instant and process next (nothing else is due now) is
        not put on the heap: the process goes on at once, which is the same order."""
        heap, seq = self.heap, self.seq
        push, pop = heapq.heappush, heapq.heappop
        while heap:
            now, _, _, gen, value = pop(heap)
            self.now = now
            if gen is None:  # a release processed: serve the first waiting case if a member is free
                queue = value
                if not (queue.waiting and queue.items):
                    continue
                gen, value = queue.waiting.popleft(), queue.items.pop(0)
                if heap and heap[0][0] <= now:  # another event of this instant comes first
                    push(heap, (now, 1, next(seq), gen, value))
                    continue
            while True:
                try:
                    cmd = gen.send(value)
                except StopIteration:
                    break
                if cmd.__class__ is float:
                    push(heap, (now + cmd, 1, next(seq), gen, None))
                    break
                cmd.waiting.append(gen)
                if not cmd.items:
                    break
                served, value = cmd.waiting.popleft(), cmd.items.pop(0)
                if served is gen and not (heap and heap[0][0] <= now):
                    continue
                push(heap, (now, 1, next(seq), served, value))
                break

    # --- the process -------------------------------------------------------------------------------
    def _advance(self, before: str, current: str, attrs: dict[str, Any], done: int = 0,
                 counts: int = 0) -> tuple[str, str]:
        """The next step the case does after ``current`` (reached from ``before``; ``done`` and ``counts``:
        the mask and the counted key of the steps it has done, ``current`` among them), passing by the steps
        whose condition it does not meet: (the step before it in the flow, that step). Each step after
        another is chosen by the case's attribute group where an attribute decides it, else by its state
        (the steps it has done, counted, else not) where that is known, else by where the case came from
        where that is known, else by the step alone."""
        steps, branches, choices, after_from = self.model.steps, self.model.branches, self.choices, self.after_from
        by_state, by_count = self.state_flow, self.counted_flow
        for _ in range(MAX_STEPS):
            branch = branches.get(current) if branches else None
            if branch is not None:
                names, cum = self.grouped[current].get(branch.group(attrs) or "", choices.get(current, _TO_END))
            else:  # the state counted, the state, the step before, the step
                hit = (by_count.get((counts, current)) if by_count else None) or (
                    by_state.get((done, current)) if by_state else None)
                names, cum = hit or after_from.get(current, _NO_HISTORY).get(before) or choices.get(current, _TO_END)
            u = self.uniform()  # drawn for a single way on too: one seed, one log, whatever the flow
            before = current
            if len(cum) == 1:
                current = names[0]
            else:
                i = bisect.bisect_right(cum, u * cum[-1])
                current = names[min(i, len(names) - 1)]
            step = steps.get(current)
            if step is None or step.only_if is None or condition_holds(step.only_if, attrs):
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
        if row is None or not self.needs_attrs:
            return {}
        return {c: v[row] for c, v in self.model.case_attributes.items()}

    def arrivals(self, hours: int) -> Generator[Any, Any, None]:
        rates = np.asarray(self.model.arrivals, dtype=np.float64)
        # the trend's factor per hour: week 0 of the calibration period begins after the warm-up
        factor = (self.model.arrival_factor((np.arange(hours) - self.warmup / HOUR) / HOURS_OF_WEEK)
                  if self.model.arrival_trend else np.ones(hours))
        if self.closed and self.model.closed_arrivals != 1.0:  # fewer cases (or none) on closed days
            shut = np.asarray([d for d in self.closed if d * 24 < hours], dtype=np.int64)
            at = (shut[:, None] * 24 + np.arange(24)[None, :]).reshape(-1)
            factor = factor.copy()
            factor[at[at < hours]] *= max(float(self.model.closed_arrivals), 0.0)
        n = 0
        for h in range(hours):
            k = int(self.arrival_rng.poisson(rates[h % HOURS_OF_WEEK] * factor[h]))
            for t in np.sort(h * HOUR + self.arrival_rng.random(k) * HOUR).tolist():
                yield t - self.now
                n += 1
                row = int(self.arrival_rng.integers(self.attr_rows)) if self.attr_rows else None
                self.start(self.case(n, t, row))

    def _plan(self) -> dict[str, tuple[Any, ...]]:
        """Per step what its instances need, looked up once: the step, its pool's queue and hours (None
        without a pool), the draw of its extraneous delay, and the draw of its duration where one
        distribution is all it has and durations are independent (else None: ``draw``)."""
        out = {}
        for name, step in self.model.steps.items():
            single = self.rho <= 0.0 and not step.after and not step.last and not step.states
            out[name] = (step, self.queues.get(step.pool) if step.pool is not None else None,
                         None if step.pool is None else self.hours.get(step.pool, self.hours[None]),
                         None if step.delay is None or step.pool is None else self._sampler(step.delay),
                         self._sampler(step.service) if single else None)
        return out

    def _sampler(self, d: Any) -> Callable[[], float]:
        rng = self.rng
        return self.draws.stream(id(d), lambda: d.sample(rng, _Draws.BLOCK))

    def case(self, index: int, arrival: float, row: int | None = None) -> Generator[Any, Any, None]:
        plan, rows, release = self.plan, self.rows, self.release
        keep = arrival >= self.warmup
        attrs = self.attributes(row)
        if keep and row is not None:
            self.case_row[index] = row
        z = self.draws.normal() if self.rho > 0.0 else 0.0
        last = FLOW_START
        before, current = self._advance(FLOW_START, FLOW_START, attrs)
        tracker = self.tracker
        done = counts = 0  # the steps the case has done: the tracker's mask and counted key (0 without states)
        by_wait = tracker.waited_durations if tracker is not None else None
        long = self.model.long_sojourn if by_wait else None
        waited, finished = False, arrival  # whether the case has had a sojourn over ``long``; its last completion
        for _ in range(MAX_STEPS):
            here = plan.get(current)
            if here is None:  # (end), or a step the model does not have
                return
            step, queue, hours, delay, sample = here
            came, came_counted = done, counts  # the state the case comes to this step from
            if tracker is not None:
                done |= tracker.bit.get(current, 0)
                counts += tracker.unit.get(current, 0)
            # chosen now: whether this step is the last
            ahead = self._advance(before, current, attrs, done, counts)
            previous, last = last, current
            batch = step.batch
            if batch is not None and batch.share > 0.0 and batch.at and self.uniform() < batch.share:
                start = self._next_run(batch.at, hours)
                yield start - self.now  # waits for the run
                run = self.batch_runs.get((current, start))
                if run is None:  # the run's first instance draws its length and its resource
                    k = self.batch_count.get(current, 0)
                    self.batch_count[current] = k + 1
                    took = self.draws.of(batch.duration)
                    end = hours.add_work(start, took) if hours is not None else start + took
                    run = self.batch_runs[current, start] = (end, batch.resources[k % len(batch.resources)])
                yield run[0] - self.now
                if keep:
                    rows += (index, current, start, run[0], run[1], step.cost)
                if long is not None:
                    waited, finished = waited or (previous != FLOW_START and run[0] - finished > long), run[0]
                before, current = ahead
                continue
            if sample is not None:
                duration = sample()
            else:
                nxt = ahead[1]
                state = None
                if step.states and tracker is not None:  # the sojourn by the state the case comes from
                    state = tracker.counted_durations.get((current, came_counted, previous)) or \
                        (by_wait.get((current, came, previous, waited)) if by_wait else None) or \
                        tracker.durations.get((current, came, previous))
                duration = self.draw(step.duration(previous, nxt not in plan, state), z)
            person = None
            if hours is None:  # no pool: the step only takes its time
                start = self.now
                end = start + duration
            else:
                if delay is not None:  # waiting nobody's work explains
                    yield delay()  # elapsed: a supplier's days
                if queue is not None:
                    person = yield queue
                start, end = hours.work(self.now, duration)
            yield end - self.now
            if queue is not None:
                release(queue, person)
            if keep:
                rows += (index, current, start, end, person, step.cost)
            if long is not None:
                waited, finished = waited or (previous != FLOW_START and end - finished > long), end
            before, current = ahead


    def _next_run(self, at: list[float], hours: _Hours | None) -> float:
        """The next run time at or after now: the hours of the week ``at``, on a day the pool works when
        it keeps the process calendar (a run on a closed day does not happen)."""
        shut = self.closed_set if isinstance(hours, _DayHours) else ()
        week = math.floor(self.now / WEEK)
        for w in range(week, week + 520):
            for h in at:
                t = w * WEEK + h * HOUR
                if t >= self.now and int(t // 86400.0) not in shut:
                    return t
        return self.now  # no run time in ten years: at once


#: The flow after a step the flow does not know: the case ends.
_TO_END: tuple[list[str], list[float]] = ([END], [1.0])
_NO_HISTORY: dict[str, tuple[list[str], list[float]]] = {}


def _on_simpy(run: _Run, gen: Generator[Any, Any, None]) -> Generator[simpy.Event, Any, None]:
    """A process of the run on SimPy: a float it yields is a timeout, anything else a pool's Store to get
    a member from."""
    env = run.env
    assert env is not None
    value = None
    while True:
        run.now = env.now
        try:
            cmd = gen.send(value)
        except StopIteration:
            return
        value = yield env.timeout(cmd) if cmd.__class__ is float else cmd.get()


#: How a replication is run: ``heap``, an event loop of its own that processes the events in SimPy's order
#: (the same log for a seed, a third of the time), or ``simpy`` itself.
ENGINES = ("heap", "simpy")


def simulate(model: SimulationModel, *, weeks: float | None = None, warmup_weeks: int = 2, seed: int = 0,
             starts: bool | None = None, engine: str = "heap") -> pd.DataFrame:
    """One replication: a canonical event log (one row per activity instance, UTC times) of the cases
    that arrive in ``weeks`` (default: the calibration period's length) after ``warmup_weeks``.

    Cases still running when arrivals stop are run to their end. ``starts`` (default: as the log the
    model came from) writes the start timestamps or leaves them out. ``engine``: ``"heap"`` (default) or
    ``"simpy"``, which give the same log for a seed (see ``ENGINES``)."""
    if engine not in ENGINES:
        from flowmine.errors import OptionError

        raise OptionError(f"The 'engine' parameter of simulate must be one of {list(ENGINES)}. Got {engine!r} "
                          "instead.", parameter="engine", function="simulate")
    starts = model.starts if starts is None else starts
    span = float(model.weeks if weeks is None else weeks)
    warmup = int(warmup_weeks) * WEEK  # whole weeks: the hours of the week stay aligned
    collecting = gc.isenabled()
    gc.disable()  # millions of short-lived objects and no cycle among them: the collector's passes are waste
    try:
        r = _Run(model, seed, warmup, engine)
        r.start(r.arrivals(int(np.ceil((span + int(warmup_weeks)) * HOURS_OF_WEEK))))
        r.run()
        return _frame(r, _origin(model), warmup, starts)
    finally:
        if collecting:
            gc.enable()


def _frame(r: _Run, origin: pd.Timestamp, warmup: float, starts: bool) -> pd.DataFrame:
    """The run's rows as a canonical log sorted by case, start (or completion) and completion: the sort on
    integer codes (the case number, nanoseconds), which orders as the case ids and timestamps do."""
    cols = [r.rows[k::6] for k in range(6)]
    case = np.asarray(cols[0], dtype=np.int64)
    end = origin + pd.to_timedelta(np.asarray(cols[3], dtype=np.float64) - warmup, unit="s")
    began = origin + pd.to_timedelta(np.asarray(cols[2], dtype=np.float64) - warmup, unit="s")
    if case.size and case.max() >= 10 ** 7:  # the ids' zero padding stops: sort them as text
        ids = np.asarray([f"SIM-{i:07d}" for i in case.tolist()], dtype=object)
        order = np.lexsort((end.asi8, (began if starts else end).asi8, ids.astype(str)))
    else:
        order = np.lexsort((end.asi8, (began if starts else end).asi8, case))
    case = case[order]
    uniq, inv = np.unique(case, return_inverse=True)
    # text columns as pandas' string arrays of their distinct values, taken per row (building one string
    # object per row of 920k is a fifth of a replication)
    act_codes, act_names = pd.factorize(np.asarray(cols[1], dtype=object)[order])
    resource = np.asarray(cols[4], dtype=object)[order]
    unknown = pd.isna(resource)
    if not unknown.all():  # unknown as NaN beside names, as a text column's missing value; all None else
        resource[unknown] = np.nan
    out = pd.DataFrame({
        CASE: pd.array([f"SIM-{i:07d}" for i in uniq.tolist()], dtype="str").take(inv),
        ACTIVITY: pd.array(np.asarray(act_names, dtype=object), dtype="str").take(act_codes),
        START: began[order] if starts else pd.Series(pd.NaT, index=range(case.size), dtype=began.dtype),
        TIMESTAMP: end[order],
        RESOURCE: pd.Series(resource, dtype=object),
        COST: np.asarray(cols[5], dtype=np.float64)[order],
    })
    if r.case_row:
        rows = np.asarray([r.case_row[i] for i in uniq.tolist()], dtype=np.int64)[inv]
        for col, values in r.model.case_attributes.items():
            out[col] = pd.Series(values).to_numpy()[rows]
    return out


class _Stream:
    """One kind of the run's random numbers, drawn in blocks and handed out one by one."""

    __slots__ = ("buf", "refill")

    def __init__(self, refill: Callable[[], Any]) -> None:
        self.buf: list[float] = []
        self.refill = refill

    def next(self) -> float:
        buf = self.buf
        if not buf:
            buf = self.buf = self.refill().tolist()
            buf.reverse()  # pop from the end: the block's first number comes first
        return buf.pop()


class _Draws:
    """The run's random numbers, drawn from its generator in blocks (one numpy call per block instead of
    one per number: the per-call cost was a fifth of a replication): uniforms, normals and each
    distribution's own samples, each a stream whose block is drawn when it runs out. One seed gives the
    same numbers in the same order."""

    BLOCK = 4096

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.streams: dict[int, _Stream] = {}
        self.normal = self.stream(1, lambda: rng.standard_normal(self.BLOCK))

    def stream(self, key: int, refill: Callable[[], Any]) -> Callable[[], float]:
        s = self.streams.get(key)
        if s is None:
            s = self.streams[key] = _Stream(refill)
        return s.next

    def of(self, d: Any) -> float:
        """One sample of the distribution ``d``."""
        s = self.streams.get(id(d))
        if s is None:
            rng = self.rng
            s = self.streams[id(d)] = _Stream(lambda: d.sample(rng, self.BLOCK))
        return s.next()


def _phi(x: float) -> float:
    """The standard normal distribution function."""
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def _cumulative(nxt: dict[str, float]) -> tuple[list[str], list[float]]:
    return list(nxt), np.cumsum(list(nxt.values())).tolist()


def _run_days(model: SimulationModel, warmup: float) -> tuple[list[int], list[int]]:
    """The model's closed days and make-up workdays as days of the run (day 0: the warm-up's first
    Monday), those from day 0 on."""
    if not model.closed_days and not model.open_days:
        return [], []
    first = (_origin(model).tz_convert(model.timezone).date() - EPOCH).days - round(warmup / 86400.0)
    closed = [d - first for d in day_numbers(model.closed_days) if d >= first]
    makeup = [d - first for d in day_numbers(model.open_days) if d >= first and d - first not in closed]
    return closed, makeup


def _origin(model: SimulationModel) -> pd.Timestamp:
    """The Monday 00:00 (model time zone, as UTC) before the calibration period's start: the simulated
    period (after the warm-up) starts there."""
    local = pd.Timestamp(model.start).tz_convert(model.timezone)
    monday = (local - pd.Timedelta(days=local.day_of_week)).normalize()
    return monday.tz_convert("UTC")
