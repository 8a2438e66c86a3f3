"""Logs with a known change planted at a date, for the what-if mechanism tests (issue 18).

A small claims process, generated here on SimPy with its own code (not flowmine.simulation's, which is
what the tests check): cases arrive as a Poisson process on weekdays 08:00-18:00 (UTC); a clerk
registers each, a checker checks it (the bottleneck: two checkers, busy about 80 % of their hours), one
in ten goes back to a clerk to be fixed and is checked again, a claim above 2,000 waits for the
approver (who approves only on Tuesdays 09:00-12:00: a weekly approval round), and a clerk archives
it. Staff work Monday to Friday 09:00-17:00 (the approver only in the round); work stops outside the
hours and goes on at the next open hour. Service times are lognormal.

The change is planted at the start of week ``change_week`` (a Monday 00:00) and holds from then on:

- ``service``: a check takes half as long (the work that starts from the date on);
- ``capacity``: a third checker joins;
- ``calendar``: a second weekly approval round, Thursdays 14:00-17:00.

:func:`planted_log` returns the canonical event log and :data:`SCENARIOS` the ``[scenario]`` and goal of
the initiative that describes each change.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import simpy

ORIGIN = pd.Timestamp("2025-01-06", tz="UTC")  # a Monday
HOUR, DAY, WEEK = 3600.0, 86400.0, 7 * 86400.0
OFFICE = frozenset(d * 24 + h for d in range(5) for h in range(9, 17))
ROUND = frozenset(1 * 24 + h for h in range(9, 12))  # Tuesday 09-12
SECOND_ROUND = frozenset(3 * 24 + h for h in range(14, 17))  # Thursday 14-17
#: the share of cases that wait for the customer's documents before their first check, and the median wait
DOCUMENTS, DOCUMENTS_HOURS = 0.2, 3.0
ARRIVAL_HOURS = [d * 24 + h for d in range(5) for h in range(8, 18)]

#: (role, mean minutes, lognormal sigma) of each step
STEPS = {"Register": ("clerk", 12.0, 0.5), "Check": ("checker", 40.0, 0.6), "Fix": ("clerk", 20.0, 0.5),
         "Approve": ("approver", 1.5, 0.4), "Archive": ("clerk", 6.0, 0.5)}
STAFF = {"clerk": ["clerk 1", "clerk 2"], "checker": ["checker 1", "checker 2"], "approver": ["approver"]}

#: the initiative of each planted change: its [scenario] changes and its goal (metric, step)
SCENARIOS: dict[str, dict[str, Any]] = {
    "service": {"change": [{"kind": "service_time", "step": "Check", "factor": 0.5}],
                "metric": "waiting_time", "step": "Check"},
    "capacity": {"change": [{"kind": "capacity", "step": "Check", "add": 1}],
                 "metric": "waiting_time", "step": "Check"},
    "calendar": {"change": [{"kind": "calendar", "step": "Approve", "weekdays": ["Thu"],
                             "hours": ["14:00", "17:00"], "add": True}],
                 "metric": "waiting_time", "step": "Approve"},
}


class _Hours:
    def __init__(self, hours: frozenset[int]) -> None:
        self.hours = hours

    def open_at(self, t: float) -> float:
        while int(t // HOUR) % 168 not in self.hours:
            t = (t // HOUR + 1) * HOUR
        return t

    def add_work(self, t: float, seconds: float) -> float:
        t = self.open_at(t)
        while True:
            left = (t // HOUR + 1) * HOUR - t
            if seconds <= left:
                return t + seconds
            seconds -= left
            t = self.open_at((t // HOUR + 1) * HOUR)


@dataclass
class _Gen:
    change: str | None
    seed: int
    weeks: int
    change_week: int
    rate: float

    def run(self) -> pd.DataFrame:
        self.rng = np.random.default_rng(self.seed)
        self.env = simpy.Environment()
        self.at = self.change_week * WEEK
        self.pools = {}
        for role, people in STAFF.items():
            store = simpy.Store(self.env)
            store.items.extend(people)
            self.pools[role] = store
        self.hours = {"clerk": _Hours(OFFICE), "checker": _Hours(OFFICE), "approver": _Hours(ROUND)}
        self.rows: list[dict[str, Any]] = []
        self.env.process(self.arrivals())
        if self.change is not None:
            self.env.process(self.plant())
        self.env.run()
        out = pd.DataFrame(self.rows)
        for col in ("start_timestamp", "time:timestamp"):
            out[col] = ORIGIN + pd.to_timedelta(out[col].round(), unit="s")
        return out.sort_values(["case:concept:name", "time:timestamp"], kind="stable").reset_index(drop=True)

    def plant(self) -> Generator[simpy.Event, Any, None]:
        yield self.env.timeout(self.at)
        if self.change == "capacity":
            self.pools["checker"].put("checker 3")
        elif self.change == "calendar":
            self.hours["approver"] = _Hours(ROUND | SECOND_ROUND)

    def arrivals(self) -> Generator[simpy.Event, Any, None]:
        n = 0
        for week in range(self.weeks):
            for h in ARRIVAL_HOURS:
                k = int(self.rng.poisson(self.rate))
                for t in np.sort(week * WEEK + h * HOUR + self.rng.random(k) * HOUR):
                    yield self.env.timeout(float(t) - self.env.now)
                    n += 1
                    amount = float(np.round(np.exp(self.rng.normal(np.log(3500.0), 0.8)), 2))
                    self.env.process(self.case(f"C{n:06d}", amount))

    def service(self, step: str, start: float) -> float:
        _, minutes, sigma = STEPS[step]
        if step == "Check" and self.change == "service" and start >= self.at:
            minutes /= 2.0
        mu = np.log(minutes * 60.0) - sigma * sigma / 2.0
        return float(np.exp(mu + sigma * self.rng.standard_normal()))

    def case(self, cid: str, amount: float) -> Generator[simpy.Event, Any, None]:
        plan = ["Register", "Check"]
        while self.rng.random() < 0.1:
            plan += ["Fix", "Check"]
        plan += (["Approve"] if amount > 2000.0 else []) + ["Archive"]
        done: set[str] = set()
        for step in plan:
            role = STEPS[step][0]
            if step == "Check" and step not in done and self.rng.random() < DOCUMENTS:
                # the customer's documents: elapsed time no one's work explains, before the check is asked for
                yield self.env.timeout(float(np.exp(np.log(DOCUMENTS_HOURS * HOUR) + 0.8 * self.rng.standard_normal())))
            done.add(step)
            person = yield self.pools[role].get()
            hours = self.hours[role]
            start = hours.open_at(self.env.now)
            work = self.service(step, start)  # a change from the date on applies to the work started then
            end = hours.add_work(start, work)
            yield self.env.timeout(end - self.env.now)
            self.pools[role].put(person)
            self.rows.append({"case:concept:name": cid, "concept:name": step, "start_timestamp": start,
                              "time:timestamp": end, "org:resource": person, "org:role": role,
                              "case:amount": amount})


def planted_log(change: str | None, seed: int, *, weeks: int = 40, change_week: int = 20,
                rate: float = 1.6) -> pd.DataFrame:
    """The claims log of ``weeks`` weeks of arrivals with ``change`` (``service``, ``capacity``,
    ``calendar`` or None) planted at the Monday of ``change_week`` (see the module docstring)."""
    return _Gen(change, seed, weeks, change_week, rate).run()


def change_date(change_week: int = 20) -> str:
    """The planted change's date (ISO)."""
    return (ORIGIN + pd.Timedelta(weeks=change_week)).date().isoformat()
