"""Value objects that describe a simulated process: activities, roles, deviations, change point.

A :class:`ProcessDef` is data plus two small functions: ``plan`` draws the sequence of activity
instances a conforming case goes through (choices and rework loops included, exactly the
behaviour the BPMN reference model allows), and ``attributes`` draws the case attributes. The
engine in :mod:`flowmine.simulate._engine` executes a plan with SimPy; deviations are applied to
the plan before execution, so a case without a planted deviation always follows the model.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from flowmine.simulate._calendar import Calendar

#: One planned activity instance: (activity name, quality outcome or None).
Step = tuple[str, str | None]

#: Deviation kinds that change the control flow (they make a case non-fitting).
CONTROL_FLOW_KINDS = ("skip", "swap", "insert")
#: Deviation kinds that break a business rule but keep the control flow.
RULE_KINDS = ("four_eyes", "late")
KINDS = CONTROL_FLOW_KINDS + RULE_KINDS


@dataclass(frozen=True)
class Activity:
    """One activity (step) of a process.

    Parameters
    ----------
    name, zh : str
        Canonical English name (used in logs) and Simplified Chinese label.
    role : str
        Role whose staff does the work.
    minutes : float
        Mean working minutes of one instance (lognormal service time).
    sigma : float
        Lognormal shape of the service time.
    fixed_cost : float
        Fixed cost per instance in CNY (fees, materials), added to rate x time.
    lead_days : float
        Median external delay (days) before the step can start: a supplier delivering, a customer
        paying. Zero for none. Counted as waiting, like queueing.
    affinity : str or None
        Earlier activity of the same case whose performer must also do this one.
    """

    name: str
    zh: str
    role: str
    minutes: float
    sigma: float = 0.5
    fixed_cost: float = 0.0
    lead_days: float = 0.0
    affinity: str | None = None


@dataclass(frozen=True)
class Role:
    """A role with its staff (a resource pool), hourly rate (CNY) and working hours.

    A role with ``pooled=False`` is the case owner (requester, claimant): the owner does the
    work personally, with no queue.
    """

    name: str
    zh: str
    hourly_rate: float
    staff: tuple[str, ...]
    calendar: Calendar = field(default_factory=Calendar)
    pooled: bool = True


@dataclass(frozen=True)
class Late:
    """A late planted step: ``to`` is held until more than ``limit`` after ``frm``.

    ``unit`` is ``"d"`` (calendar days) or ``"wd"`` (working days, Monday to Friday).
    """

    frm: str
    to: str
    limit: int
    unit: str = "d"
    extra: tuple[int, int] = (2, 15)


@dataclass(frozen=True)
class Deviations:
    """Where each deviation kind is planted and at which rate (share of cases).

    At most one deviation is planted per case, so the kinds are exclusive and their rates add.
    """

    skip: tuple[str, ...]
    swap: tuple[str, str]
    insert: tuple[str, str]  # (inserted activity, planted right after this step)
    four_eyes: tuple[str, str] | None = None
    late: Late | None = None
    rates: dict[str, float] = field(default_factory=dict)

    def step_of(self, kind: str) -> str:
        """The step a kind is planted at (the one its rate is reported by)."""
        if kind == "skip":
            return self.skip[0]
        if kind == "swap":
            return f"{self.swap[0]} <-> {self.swap[1]}"
        if kind == "insert":
            return self.insert[0]
        if kind == "four_eyes" and self.four_eyes is not None:
            return f"{self.four_eyes[0]} / {self.four_eyes[1]}"
        if kind == "late" and self.late is not None:
            return f"{self.late.frm} -> {self.late.to}"
        raise KeyError(kind)  # a programming error: every planted deviation kind has a label above


@dataclass(frozen=True)
class ChangePoint:
    """From ``at_share`` of the arrivals on, ``added`` joins the staff of the bottleneck role.

    With ``weekdays`` the role also works on those weekdays from then on (a deputy covers the
    days the scarce person is away), which is what cuts most of the waiting.
    """

    step: str
    added: str
    description_en: str
    description_zh: str
    weekdays: tuple[int, ...] | None = None  # working weekdays of the role from the change on
    at_share: float = 0.6


@dataclass(frozen=True)
class PlantedFactor:
    """An influencing factor planted at one step: the instances of the cases whose attribute ``attribute``
    is ``value`` (``op`` "==") or at least ``value`` (``op`` ">=") wait an extra delay before the step asks
    for its resource: ``days`` office working days (lognormal median, shape 0.5, at most ``cap_days``:
    below the time limits of the process's rules, so that a factor never breaks one), counted from when
    the office opens, on top of everything else. The simulator records each
    instance's delay in clock time, so the ground truth knows the excess it adds."""

    step: str
    attribute: str
    value: Any
    op: str
    days: float
    description_en: str
    description_zh: str
    cap_days: float = 3.0

    def applies(self, attrs: dict[str, Any]) -> bool:
        v = attrs.get(self.attribute)
        return bool(v == self.value) if self.op == "==" else bool(v is not None and v >= self.value)


@dataclass(frozen=True)
class PlantedBatch:
    """A batching resource planted at one step: a ``share`` of the step's instances go to the role's
    last staff member, who does them together once a working day at ``hour`` (a carrier's pick-up, a lab
    run): every instance waiting for that moment starts then and completes with the batch. That person
    does no other work of the role, so the rest of the staff carry the remaining instances. The
    simulator records each instance's wait for the batch in clock time."""

    step: str
    share: float
    hour: float
    description_en: str
    description_zh: str


@dataclass(frozen=True)
class ProcessDef:
    """Everything the simulator needs to run one reference process."""

    name: str
    label_en: str
    label_zh: str
    case_prefix: str
    activities: dict[str, Activity]
    model_activities: tuple[str, ...]
    roles: dict[str, Role]
    arrivals_per_day: float
    plan: Callable[[np.random.Generator, dict[str, Any]], list[Step]]
    attributes: Callable[[np.random.Generator], dict[str, Any]]
    deviations: Deviations
    bottleneck: str
    change: ChangePoint
    rework_steps: tuple[str, ...]
    quality_steps: tuple[str, ...]
    owner_role: str | None = None
    owner_overlap: float = 0.0  # share of cases raised by someone on the approver's staff
    factors: tuple[PlantedFactor, ...] = ()  # influencing factors planted at their steps
    batches: tuple[PlantedBatch, ...] = ()  # batching resources planted at their steps
    start_date: str = "2025-01-06"

    def role_of(self, activity: str) -> Role:
        return self.roles[self.activities[activity].role]

    def batcher(self, step: str) -> str | None:
        """The staff member who batches ``step`` (the role's last), or None when nobody does."""
        return str(self.role_of(step).staff[-1]) if any(b.step == step for b in self.batches) else None


def names(rng_seed: int, count: int) -> tuple[str, ...]:
    """``count`` distinct, deterministic Chinese personal names (for resources)."""
    surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
    given = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰建国志红晨宇浩然欣怡子涵雨轩"
    rng = np.random.default_rng(rng_seed)
    out: list[str] = []
    seen: set[str] = set()
    while len(out) < count:
        name = surnames[rng.integers(len(surnames))] + "".join(
            given[i] for i in rng.integers(len(given), size=int(rng.integers(1, 3)))
        )
        if name not in seen:
            seen.add(name)
            out.append(name)
    return tuple(out)
