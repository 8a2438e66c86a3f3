"""The SimPy engine: runs cases of one :class:`ProcessDef` through its roles and records events.

Cases arrive as a Poisson process in working time (business days, office hours). Each case
draws its attributes, its plan (the model path, with choices and rework) and at most one planted
deviation, then walks the plan: wait for an external lead time if the step has one (a supplier, a
customer), wait for a free person of the role (a :class:`simpy.FilterStore` of staff names, so
four-eyes and same-person constraints are filters and waiting comes from contention), wait for
that person's working hours, and work for a lognormal number of working minutes. Everything
random comes from one :class:`numpy.random.Generator` consumed in simulation order, which SimPy
makes deterministic, so one seed gives identical output.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import simpy

from flowmine.simulate._calendar import DAY, Calendar
from flowmine.simulate._definitions import KINDS, ProcessDef, Step

OFFICE = Calendar()
MIN_SERVICE = 2.0  #: minutes; keeps completion strictly after start at minute precision


@dataclass
class Planted:
    """What one replication planted: per case, its deviation kind (or None) and attributes."""

    case_ids: list[str] = field(default_factory=list)
    kinds: list[str | None] = field(default_factory=list)
    attributes: list[dict[str, Any]] = field(default_factory=list)
    owners: list[str | None] = field(default_factory=list)
    arrivals: list[float] = field(default_factory=list)
    delays: list[tuple[str, int, float]] = field(default_factory=list)  # (case id, factor index, minutes)
    batch_waits: list[tuple[str, int, float]] = field(default_factory=list)  # (case id, batch index, minutes)


@dataclass
class Recorded:
    """Raw event columns of one replication (clock minutes, codes), turned into a frame later."""

    case: list[int] = field(default_factory=list)
    activity: list[str] = field(default_factory=list)
    start: list[float] = field(default_factory=list)
    end: list[float] = field(default_factory=list)
    resource: list[str] = field(default_factory=list)
    role: list[str] = field(default_factory=list)
    cost: list[float] = field(default_factory=list)
    quality: list[str | None] = field(default_factory=list)


@dataclass
class Compact:
    """Recorded columns as numpy arrays; text columns as int codes into a vocabulary (-1 = None).

    Replications hand this to the parent process: a fraction of the memory of Python lists.
    """

    case: np.ndarray
    start: np.ndarray
    end: np.ndarray
    cost: np.ndarray
    text: dict[str, tuple[np.ndarray, list[str]]]

    @classmethod
    def of(cls, rec: Recorded) -> Compact:
        text: dict[str, tuple[np.ndarray, list[str]]] = {}
        for name in ("activity", "resource", "role", "quality"):
            values: list[str | None] = getattr(rec, name)
            vocab: dict[str, int] = {}
            codes = np.fromiter(
                (-1 if v is None else vocab.setdefault(v, len(vocab)) for v in values), np.int32, len(values)
            )
            text[name] = (codes, list(vocab))
        return cls(
            np.asarray(rec.case, dtype=np.int64),
            np.asarray(rec.start, dtype=np.float64),
            np.asarray(rec.end, dtype=np.float64),
            np.asarray(rec.cost, dtype=np.float64),
            text,
        )


def change_day(proc: ProcessDef, cases: int, at_share: float) -> int:
    """Clock day (from the origin Monday) of the change point: a fixed working day, seed-free."""
    work_days = round(at_share * cases / proc.arrivals_per_day)
    weeks, rest = divmod(work_days, 5)
    return weeks * 7 + rest


def next_run(calendar: Calendar, t: float, hour: float) -> float:
    """The first clock time >= ``t`` at ``hour`` o'clock on a working day of ``calendar`` (a batch run)."""
    day = int(t // DAY)
    if day % 7 not in calendar.weekdays or day * DAY + hour * 60.0 < t:
        day += 1
        while day % 7 not in calendar.weekdays:
            day += 1
    return day * DAY + hour * 60.0


def add_business_days(t: float, n: int) -> float:
    """09:00 on the ``n``-th working day (Mon-Fri) after the day of clock time ``t``."""
    day = int(t // DAY)
    while n > 0:
        day += 1
        if day % 7 < 5:
            n -= 1
    return day * DAY + 9 * 60.0


class Replication:
    """One SimPy run of ``cases`` cases; ``first`` numbers the case ids of this replication."""

    def __init__(
        self,
        proc: ProcessDef,
        cases: int,
        rng: np.random.Generator,
        *,
        first: int = 1,
        id_width: int = 6,
        rates: dict[str, float] | None = None,
        change_at: int | None = None,
    ) -> None:
        self.proc = proc
        self.cases = cases
        self.rng = rng
        self.first = first
        self.id_width = id_width
        dev = proc.deviations
        rates = dict(dev.rates if rates is None else rates)
        self.kinds = [k for k in KINDS if rates.get(k, 0.0) > 0.0]
        self.cum = np.cumsum([rates[k] for k in self.kinds]) if self.kinds else np.zeros(0)
        self.change_at = change_at
        self.env = simpy.Environment()
        self.calendars = {name: role.calendar for name, role in proc.roles.items()}
        self.stores: dict[str, simpy.FilterStore] = {}
        batchers = {proc.batcher(b.step) for b in proc.batches}
        for role in proc.roles.values():
            if role.pooled:
                store = simpy.FilterStore(self.env)
                store.items.extend(p for p in role.staff if p not in batchers)  # a batcher only batches
                self.stores[role.name] = store
        self.batch_of = {b.step: k for k, b in enumerate(proc.batches)}
        self.runs: dict[tuple[int, float], float] = {}  # (batch index, run start) -> the run's end
        self.planted = Planted()
        self.rec = Recorded()

    # --- drawing ----------------------------------------------------------------------------
    def _deviation(self) -> str | None:
        if not self.kinds:
            return None
        u = self.rng.random()
        i = int(np.searchsorted(self.cum, u, side="right"))
        return self.kinds[i] if i < len(self.kinds) else None

    def _apply(self, plan: list[Step], kind: str | None) -> list[Step]:
        dev = self.proc.deviations
        names = [s[0] for s in plan]
        if kind == "skip":
            return [s for s in plan if s[0] not in dev.skip]
        if kind == "swap":
            i, j = names.index(dev.swap[0]), names.index(dev.swap[1])
            plan = list(plan)
            plan[i], plan[j] = plan[j], plan[i]
            return plan
        if kind == "insert":
            i = names.index(dev.insert[1])
            return [*plan[: i + 1], (dev.insert[0], None), *plan[i + 1 :]]
        return plan

    def _owner(self, kind: str | None) -> str | None:
        proc = self.proc
        if proc.owner_role is None:
            return None
        four = proc.deviations.four_eyes
        approvers = proc.role_of(four[1]).staff if four else ()
        if approvers and (kind == "four_eyes" or self.rng.random() < proc.owner_overlap):
            return str(approvers[int(self.rng.integers(len(approvers)))])
        staff = proc.roles[proc.owner_role].staff
        return str(staff[int(self.rng.integers(len(staff)))])

    def _service(self, mean: float, sigma: float) -> float:
        mu = np.log(mean) - sigma * sigma / 2.0
        return max(MIN_SERVICE, float(np.exp(mu + sigma * self.rng.standard_normal())))

    # --- processes ----------------------------------------------------------------------------
    def arrivals(self) -> Generator[simpy.Event, Any, None]:
        mean_gap = OFFICE.minutes_per_day / self.proc.arrivals_per_day
        work = np.cumsum(self.rng.exponential(mean_gap, size=self.cases))
        clock = OFFICE.work_to_clock(work)
        for i, t in enumerate(clock):
            yield self.env.timeout(float(t) - self.env.now)
            self.env.process(self.case(i, float(t)))

    def improvement(self, day: int) -> Generator[simpy.Event, Any, None]:
        yield self.env.timeout(day * DAY)
        change = self.proc.change
        role = self.proc.role_of(change.step)
        if change.weekdays is not None:
            self.calendars[role.name] = Calendar(role.calendar.start_hour, role.calendar.end_hour, change.weekdays)
        self.stores[role.name].put(change.added)

    def case(self, index: int, arrival: float) -> Generator[simpy.Event, Any, None]:
        proc, rng, env, rec = self.proc, self.rng, self.env, self.rec
        attrs = proc.attributes(rng)
        kind = self._deviation()
        plan = self._apply(proc.plan(rng, attrs), kind)
        owner = self._owner(kind)
        cid = f"{proc.case_prefix}-{self.first + index:0{self.id_width}d}"
        p = self.planted
        p.case_ids.append(cid)
        p.kinds.append(kind)
        p.attributes.append(attrs)
        p.owners.append(owner)
        p.arrivals.append(arrival)
        dev = proc.deviations
        done: dict[str, tuple[float, str]] = {}  # first completion and performer per activity
        for name, quality in plan:
            act = proc.activities[name]
            role = proc.roles[act.role]
            if act.lead_days > 0:
                lead = min(act.lead_days * np.exp(0.6 * rng.standard_normal()), 6 * act.lead_days)
                yield env.timeout(lead * DAY)
            for k, factor in enumerate(proc.factors):  # a planted influencing factor: an extra delay
                if factor.step == name and factor.applies(attrs):
                    # in office working time: the claim lies in the inbox for that many working days, so the
                    # delay starts when the office opens (a night's wait happens anyway) and is what it adds
                    days = min(factor.days * np.exp(0.5 * rng.standard_normal()), factor.cap_days)
                    opened = OFFICE.open_at(env.now)
                    until = OFFICE.add_work(opened, days * OFFICE.minutes_per_day)
                    p.delays.append((cid, k, float(until - opened)))
                    yield env.timeout(until - env.now)
            late = dev.late
            if kind == "late" and late is not None and name == late.to and late.frm in done and name not in done:
                extra = int(rng.integers(late.extra[0], late.extra[1] + 1))
                base = done[late.frm][0]
                until = (
                    add_business_days(base, late.limit + extra)
                    if late.unit == "wd"
                    else base + (late.limit + extra) * DAY
                )
                yield env.timeout(max(0.0, until - env.now))
            b = self.batch_of.get(name)
            calendar = self.calendars[role.name]
            if b is not None and rng.random() < proc.batches[b].share:  # waits for the batcher's next run
                person = proc.batcher(name)
                work = self._service(act.minutes, act.sigma)
                start = next_run(calendar, env.now, proc.batches[b].hour)
                if (b, start) not in self.runs:  # the run's length: drawn by its first instance
                    self.runs[b, start] = calendar.add_work(start, 2.0 * self._service(act.minutes, act.sigma))
                end = self.runs[b, start]
                p.batch_waits.append((cid, b, float(start - env.now)))
                yield env.timeout(end - env.now)
            else:
                if role.pooled:
                    want = self._filter(name, kind, owner, done)
                    store = self.stores[role.name]
                    person = yield store.get(want) if want is not None else store.get()
                else:
                    person = owner if owner is not None else role.staff[0]
                work = self._service(act.minutes, act.sigma)
                start = calendar.open_at(env.now)
                end = calendar.add_work(start, work)
                yield env.timeout(end - env.now)
                if role.pooled:
                    self.stores[role.name].put(person)
            done.setdefault(name, (end, str(person)))
            rec.case.append(index)
            rec.activity.append(name)
            rec.start.append(start)
            rec.end.append(end)
            rec.resource.append(str(person))
            rec.role.append(role.name)
            rec.cost.append(round(role.hourly_rate * work / 60.0 + act.fixed_cost, 2))
            rec.quality.append(quality)

    def _filter(
        self, name: str, kind: str | None, owner: str | None, done: dict[str, tuple[float, str]]
    ) -> Callable[[Any], bool] | None:
        act = self.proc.activities[name]
        if act.affinity is not None and act.affinity in done:
            same = done[act.affinity][1]
            return lambda person: bool(person == same)
        four = self.proc.deviations.four_eyes
        if four is not None and name == four[1] and owner is not None:
            if kind == "four_eyes":
                return lambda person: bool(person == owner)
            return lambda person: bool(person != owner)
        return None

    def run(self) -> None:
        self.env.process(self.arrivals())
        if self.change_at is not None:
            self.env.process(self.improvement(self.change_at))
        self.env.run()
