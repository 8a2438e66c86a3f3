"""Scenarios: changes to a simulation model, read from a TOML file of ``[[change]]`` tables.

Each table has a ``kind`` and the fields of that kind; the changes apply in their order:

============== ======================================================================================
kind           fields
============== ======================================================================================
service_time   ``step``; ``factor`` (times the duration) or ``seconds`` (a fixed duration)
capacity       ``pool`` (a role), or ``step`` (the pool that does it); ``add`` (members, may be negative;
               at least one stays)
calendar       ``pool`` or ``step``; ``weekdays`` (``["Mon", ...]``) and ``hours`` (``["09:00", "18:00"]``);
               ``add = true`` adds those hours to the pool's own (a second approval round) instead of
               replacing them
remove_step    ``step``: its cases go straight on to where it would have sent them
automate_step  ``step``; ``seconds`` (default 0): no pool, no delay, that duration
reroute        ``after`` (a step or ``(start)``); ``to`` (a table of next steps and their probabilities,
               rescaled to 1)
arrivals       ``factor``: times the case arrivals
cost           ``step``; ``cost`` (per execution) or ``factor``
rule           ``step``; ``attribute`` (a case attribute of the model, e.g. ``case:amount``) and one of
               ``above``, ``at_least``, ``below``, ``equals``: the step is done only for the cases that
               meet it (e.g. GM approval only above 5,000); the others go on as if it were not there
batch          ``step`` (a step the model batches); ``share`` (of its instances batched: 0 stops the
               batching and its batchers rejoin the pool) and/or ``weekdays`` with ``times``
               (``["10:00", "14:00"]``): the run times on those days; ``add = true`` adds them to the
               step's own (a second pick-up a day) instead of replacing them
============== ======================================================================================

A field or kind that is not in this table, or a step or pool the model does not have, is refused with
one line naming the file, the change and what was expected.
"""

from __future__ import annotations

import copy
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flowmine.errors import UnusableInputError
from flowmine.simulation._model import CONDITIONS, END, START, Distribution, SimulationModel, StepModel

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
FIELDS: dict[str, set[str]] = {
    "service_time": {"step", "factor", "seconds"}, "capacity": {"pool", "step", "add"},
    "calendar": {"pool", "step", "weekdays", "hours", "add"}, "remove_step": {"step"},
    "automate_step": {"step", "seconds"}, "reroute": {"after", "to"}, "arrivals": {"factor"},
    "cost": {"step", "cost", "factor"},
    "rule": {"step", "attribute", *CONDITIONS},
    "batch": {"step", "share", "weekdays", "times", "add"},
}


@dataclass
class Scenario:
    """A named list of changes (each a dict with ``kind`` and its fields); ``source`` names the file."""

    name: str
    changes: list[dict[str, Any]] = field(default_factory=list)
    source: str = "<scenario>"


def load_scenario(path: str | Path) -> Scenario:
    """The scenario of a TOML file (``name`` and ``[[change]]`` tables)."""
    p = Path(path)
    try:
        doc = tomllib.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise UnusableInputError(str(p), f"cannot be read ({exc.__class__.__name__}: {exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise UnusableInputError(str(p), f"is not valid TOML: {exc}") from None
    return scenario_from_dict(doc, str(p), default_name=p.stem)


def scenario_from_dict(doc: dict[str, Any], source: str, default_name: str = "scenario") -> Scenario:
    """The scenario of a parsed TOML table (``name`` and a ``change`` list), e.g. an initiative's
    ``[scenario]``; ``source`` names where it came from in error messages."""
    changes = doc.get("change", [])
    if not isinstance(changes, list) or not changes or not all(isinstance(c, dict) for c in changes):
        raise UnusableInputError(source, "has no [[change]] table: expected at least one change")
    return Scenario(str(doc.get("name", default_name)), [dict(c) for c in changes], source)


def apply(model: SimulationModel, scenario: Scenario) -> SimulationModel:
    """A copy of ``model`` with the scenario's changes made (the model itself is left as it is)."""
    out = copy.deepcopy(model)
    for i, change in enumerate(scenario.changes, 1):
        _Change(scenario.source, i, change, out).apply()
    return out


class _Change:
    def __init__(self, source: str, index: int, change: dict[str, Any], model: SimulationModel) -> None:
        self.where, self.change, self.model = f"{source}: change {index}", change, model
        kind = change.get("kind")
        if kind not in FIELDS:
            self.fail("kind", f"one of {sorted(FIELDS)}", kind)
        extra = sorted(set(change) - FIELDS[str(kind)] - {"kind"})
        if extra:
            self.fail(extra[0], f"only {sorted(FIELDS[str(kind)])} for kind {kind!r}", change[extra[0]])
        self.kind = str(kind)

    def fail(self, key: str, expected: str, got: Any) -> None:
        raise UnusableInputError(self.where, f"field {key!r}: expected {expected}, got {got!r}")

    def number(self, key: str, positive: bool = True) -> float:
        v = self.change.get(key)
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or (positive and v < 0):
            self.fail(key, "a number" + (" >= 0" if positive else ""), v)
        return float(v)  # type: ignore[arg-type]

    def step(self, key: str = "step") -> str:
        name = self.change.get(key)
        if name not in self.model.steps:
            self.fail(key, f"a step of the model ({', '.join(sorted(self.model.steps))})", name)
        return str(name)

    def pool(self) -> str:
        if "step" in self.change:
            if "pool" in self.change:
                self.fail("step", "either pool or step, not both", self.change["step"])
            step = self.model.steps[self.step()]
            if step.pool is None:
                self.fail("step", "a step done by a pool of the model (this one only takes its time: the log names "
                          "no resource for it)", step.name)
            return str(step.pool)
        name = self.change.get("pool")
        if name not in self.model.pools:
            self.fail("pool", f"a pool of the model ({', '.join(sorted(self.model.pools)) or 'none'})", name)
        return str(name)

    def apply(self) -> None:
        getattr(self, f"_{self.kind}")()

    def _service_time(self) -> None:
        step = self.model.steps[self.step()]
        if "seconds" in self.change:
            step.service, step.after = Distribution("fixed", scale=self.number("seconds")), {}
            step.last, step.states = {}, []
            return
        factor = self.number("factor")
        for d in _durations(step):
            _scale(d, factor)

    def _capacity(self) -> None:
        pool = self.model.pools[self.pool()]
        add = self.change.get("add")
        if isinstance(add, bool) or not isinstance(add, int):
            self.fail("add", "a whole number of members", add)
        if len(pool.members) + int(add) < 1:  # type: ignore[arg-type]
            self.fail("add", f"at most {len(pool.members) - 1} fewer (the pool has {len(pool.members)})", add)
        if int(add) > 0:  # type: ignore[arg-type]
            pool.members += [f"{pool.name} +{k}" for k in range(1, int(add) + 1)]  # type: ignore[arg-type]
        else:
            pool.members = pool.members[:len(pool.members) + int(add)]  # type: ignore[arg-type]

    def _calendar(self) -> None:
        pool = self.model.pools[self.pool()]
        days, hours = self.change.get("weekdays"), self.change.get("hours")
        if not isinstance(days, list) or not days or any(d not in WEEKDAYS for d in days):
            self.fail("weekdays", f"a list of {list(WEEKDAYS)}", days)
        try:
            lo, hi = (int(h.split(":")[0]) for h in hours)  # type: ignore[union-attr]
        except (TypeError, ValueError, AttributeError):
            self.fail("hours", 'two times such as ["09:00", "18:00"]', hours)
        if not 0 <= lo < hi <= 24:
            self.fail("hours", "a start before the end, within the day", hours)
        new = {WEEKDAYS.index(d) * 24 + h for d in days for h in range(lo, hi)}  # type: ignore[union-attr]
        pool.hours = sorted(new | (set(pool.hours) if self.change.get("add") else set()))

    def _remove_step(self) -> None:
        name = self.step()
        after = self.model.flow.pop(name, {END: 1.0})
        stay = after.pop(name, 0.0)  # a self-loop goes with the step
        rest = {b: p / (1.0 - stay) for b, p in after.items()} if stay < 1.0 else {END: 1.0}
        m = self.model
        history = [nxt for x, after_x in m.history.items() if x != name
                   for a, nxt in after_x.items() if a != name]
        branched = [nxt for a, br in m.branches.items() if a != name for nxt in br.flow.values()]
        # a state that has done the step cannot be reached any more; the flow after it goes with it. A
        # state's cases that went to the step go on where they would have after it, from the state it led
        # to where the model has that one, else as the flow after it says
        led_to = {(x.counted, tuple(x.done)): x.flow for x in m.states if x.step == name}
        for x in m.states:
            if name in x.flow and name not in x.done:
                more = sorted([*x.done, name]) if x.counted else sorted({*x.done, name})
                then = {b: p for b, p in led_to.get((x.counted, tuple(more)), rest).items() if b != name}
                p, total = x.flow.pop(name), sum(then.values())
                for b, q in (then.items() if total > 0 else [(END, 1.0)]):
                    x.flow[b] = x.flow.get(b, 0.0) + p * q / (total if total > 0 else 1.0)
        m.states = [x for x in m.states if name not in x.done]
        for st in m.steps.values():
            st.states = [x for x in st.states if name not in x.done and x.previous != name]
        for nxt in [*m.flow.values(), *history, *branched]:
            p = nxt.pop(name, 0.0)
            for b, q in rest.items():
                nxt[b] = nxt.get(b, 0.0) + p * q
        # what followed the step, by where cases came from, goes with it: the overall flow after it stands in
        m.history = {x: {a: nxt for a, nxt in after_x.items() if a != name}
                     for x, after_x in m.history.items() if x != name}
        m.branches.pop(name, None)
        del m.steps[name]

    def _automate_step(self) -> None:
        step = self.model.steps[self.step()]
        seconds = self.number("seconds") if "seconds" in self.change else 0.0
        step.service, step.after, step.pool, step.delay = Distribution("fixed", scale=seconds), {}, None, None
        step.last, step.states = {}, []

    def _reroute(self) -> None:
        frm = self.change.get("after")
        if frm != START and frm not in self.model.steps:
            self.fail("after", f"(start) or a step of the model ({', '.join(sorted(self.model.steps))})", frm)
        to = self.change.get("to")
        if not isinstance(to, dict) or not to:
            self.fail("to", "a table of next steps and probabilities", to)
        for b, p in to.items():  # type: ignore[union-attr]
            if b != END and b not in self.model.steps:
                self.fail("to", f"steps of the model or (end), not {b!r}", to)
            if isinstance(p, bool) or not isinstance(p, (int, float)) or p < 0:
                self.fail("to", f"probabilities >= 0, not {p!r} for {b!r}", to)
        total = float(sum(to.values()))  # type: ignore[union-attr]
        if total <= 0:
            self.fail("to", "probabilities that are not all 0", to)
        self.model.flow[str(frm)] = {str(b): float(p) / total for b, p in to.items()}  # type: ignore[union-attr]
        # the new probabilities hold for every case: not by where it came from or by its attributes
        for after_x in self.model.history.values():
            after_x.pop(str(frm), None)
        self.model.states = [x for x in self.model.states if x.step != str(frm)]
        self.model.branches.pop(str(frm), None)

    def _arrivals(self) -> None:
        factor = self.number("factor")
        self.model.arrivals = [r * factor for r in self.model.arrivals]

    def _rule(self) -> None:
        step = self.model.steps[self.step()]
        attr = self.change.get("attribute")
        if attr not in self.model.case_attributes:
            known = ", ".join(sorted(self.model.case_attributes)) or "none: the log has no usable case attribute"
            self.fail("attribute", f"a case attribute of the model ({known})", attr)
        ops = [op for op in CONDITIONS if op in self.change]
        if len(ops) != 1:
            self.fail("above", f"exactly one of {list(CONDITIONS)}", {op: self.change[op] for op in ops} or None)
        op = ops[0]
        value = self.change[op]
        if op != "equals":
            value = self.number(op, positive=False)
        elif isinstance(value, (dict, list)):
            self.fail("equals", "one value", value)
        step.only_if = {"attribute": str(attr), "op": op, "value": value}

    def _batch(self) -> None:
        step = self.model.steps[self.step()]
        batch = step.batch
        if batch is None:
            batched = ", ".join(sorted(n for n, st in self.model.steps.items() if st.batch is not None))
            self.fail("step", f"a step the model batches ({batched or 'none: the log shows no batching'})", step.name)
            return
        if "share" not in self.change and "times" not in self.change:
            self.fail("share", "share, or weekdays and times", None)
        if "share" in self.change:
            share = self.number("share")
            if share > 1.0:
                self.fail("share", "a share from 0 to 1", share)
            batch.share = share
            pool = self.model.pools.get(str(step.pool))
            if share == 0.0 and pool is not None:  # the batchers do the step's other instances again
                pool.members += [r for r in batch.resources if r not in pool.members]
        if "times" in self.change:
            days, times = self.change.get("weekdays"), self.change.get("times")
            if not isinstance(days, list) or not days or any(d not in WEEKDAYS for d in days):
                self.fail("weekdays", f"a list of {list(WEEKDAYS)}", days)
            try:
                hours = [int(h) + int(m) / 60.0 for h, m in (str(t).split(":") for t in times)]  # type: ignore[union-attr]
            except (TypeError, ValueError, AttributeError):
                self.fail("times", 'a list of times such as ["10:00", "14:00"]', times)
            if not times or not all(0.0 <= h < 24.0 for h in hours):
                self.fail("times", "times within the day", times)
            new = {WEEKDAYS.index(d) * 24.0 + h for d in days for h in hours}  # type: ignore[union-attr]
            batch.at = sorted(new | (set(batch.at) if self.change.get("add") else set()))

    def _cost(self) -> None:
        step = self.model.steps[self.step()]
        step.cost = self.number("cost") if "cost" in self.change else step.cost * self.number("factor")


def _durations(step: StepModel) -> list[Distribution]:
    """Every duration distribution of a step: its own, after each previous step, as the case's last and
    from each state."""
    return [step.service, *step.after.values(), *step.last.values(),
            *(d for x in step.states for d in (x.duration, x.last) if d is not None)]


def _scale(d: Distribution, factor: float) -> None:
    """Durations ``factor`` times as long (every family scales by its scale)."""
    d.scale *= factor
    d.quantiles = [q * factor for q in d.quantiles]
