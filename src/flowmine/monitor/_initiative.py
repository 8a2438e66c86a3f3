"""Improvement initiatives written in TOML files (``initiatives/*.toml`` of a process definition).

An initiative names its process, owner, goal KPI (a metric, its step and statistic, the direction
that is better), a scope filter (the fields of :class:`flowmine.analytics.CaseFilter`), the change
date, a target, how to evaluate it, and its eight-step record (goal, baseline snapshot, key steps
found at baseline, design, plan, implementation date, monitoring notes, next step). The target is
either ``target_change`` (relative change of the statistic, e.g. -0.2 = cut by 20 %) or ``target``
(the value after the change: a duration such as "12h" or a number). :func:`load_initiative`
checks the whole file and reports every problem in one :class:`~flowmine.errors.InputError`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from flowmine._toml import read_toml
from flowmine.analytics import CaseFilter
from flowmine.errors import InputError
from flowmine.processes import definition_folders
from flowmine.simulation import Scenario, scenario_from_dict

GOAL_METRICS = ("waiting_time", "service_time", "throughput_time", "cost_per_case", "rework_rate")
TIME_METRICS = ("waiting_time", "service_time", "throughput_time")
STEP_NAMES = ("goal", "current_process", "key_steps", "design", "plan", "implementation", "monitoring", "next_step")
#: the eight steps of the improvement cycle, English and Chinese
STEP_LABELS: dict[str, tuple[str, str]] = {
    "goal": ("Set the goal", "确定目标"),
    "current_process": ("Describe the current process", "描述现状流程"),
    "key_steps": ("Find the key steps", "找出关键环节"),
    "design": ("Design the improvement", "设计改进方案"),
    "plan": ("Plan", "制定计划"),
    "implementation": ("Implement", "实施"),
    "monitoring": ("Monitor and evaluate", "监控与评估"),
    "next_step": ("Improve again", "持续改进"),
}


@dataclass(frozen=True)
class Initiative:
    """One improvement: goal KPI, scope, change date, target, evaluation settings and its eight steps."""

    id: str
    name_en: str
    name_zh: str
    owner: str
    process: str
    metric: str
    change_date: date
    direction: str = "lower"
    step: str | None = None
    statistic: str = "mean"
    target_change: float | None = None
    target: Any = None
    timezone: str = "UTC"
    scope: CaseFilter = field(default_factory=CaseFilter)
    baseline: tuple[str | None, str | None] = (None, None)
    after: tuple[str | None, str | None] = (None, None)
    stratify: str | None = None
    min_cases: int = 30
    alpha: float = 0.05
    n_boot: int = 1000
    seed: int = 0
    steps: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None
    steps_zh: dict[str, Any] = field(default_factory=dict)  # [steps_zh]: the record in Chinese, where written
    owner_zh: str = ""  # the owner in Chinese, where written
    #: ``[scenario]``: the change as a what-if scenario (``[[scenario.change]]`` tables, see
    #: ``flowmine.simulation``), simulated on the data before the change date to predict its effect
    scenario: Scenario | None = None

    def record(self, lang: str = "en") -> dict[str, Any]:
        """The eight-step record in ``lang``: in Chinese each step of ``[steps_zh]`` where written, else
        the ``[steps]`` text (the record is the author's words, never machine-translated)."""
        if lang != "zh":
            return dict(self.steps)
        return {k: self.steps_zh.get(k, v) for k, v in self.steps.items()} | {
            k: v for k, v in self.steps_zh.items() if k not in self.steps}


def default_files(process: str | None = None) -> list[Path]:
    """The initiative files of the process definitions (``<definition>/initiatives/*.toml``), of one
    process or of all."""
    return [f for name, folder in definition_folders().items() if process in (None, name)
            for f in sorted((folder / "initiatives").glob("*.toml"))]


def _window(raw: Any, where: str, problems: list[str]) -> tuple[str | None, str | None]:
    if raw is None:
        return (None, None)
    if not isinstance(raw, list) or len(raw) != 2:
        problems.append(f"{where}: expected [FROM, TO] (ISO dates, \"\" for open), got {raw!r}")
        return (None, None)
    return (str(raw[0]) or None, str(raw[1]) or None)


def load_initiative(path: str | Path) -> Initiative:
    """Read and validate one initiative file.

    Examples
    --------
    >>> from flowmine.monitor import load_initiative
    >>> from flowmine.processes import packaged_folder
    >>> load_initiative(packaged_folder() / "finance" / "initiatives" / "finance_deputy_gm.toml").change_date
    datetime.date(2025, 8, 4)
    """
    p = Path(path)
    data = read_toml(p, "no such initiative file")
    problems: list[str] = []
    head, goal = data.get("initiative", {}), data.get("goal", {})
    ev, scope = data.get("evaluation", {}), data.get("scope", {})
    for key in ("id", "name_en", "process", "owner", "change_date"):
        if key not in head:
            problems.append(f"[initiative]: '{key}' is missing")
    metric = goal.get("metric")
    if metric not in GOAL_METRICS:
        problems.append(f"[goal]: 'metric' must be one of {list(GOAL_METRICS)}, got {metric!r}")
    if goal.get("direction", "lower") not in ("lower", "higher"):
        problems.append(f"[goal]: 'direction' must be lower or higher, got {goal.get('direction')!r}")
    if goal.get("statistic", "mean") not in ("mean", "median"):
        problems.append(f"[goal]: 'statistic' must be mean or median, got {goal.get('statistic')!r}")
    if metric in ("waiting_time", "service_time") and "step" not in goal:
        problems.append(f"[goal]: a {metric} goal needs 'step'")
    if ("target" in goal) == ("target_change" in goal):
        problems.append("[goal]: give exactly one of 'target' (value after) or 'target_change' (relative)")
    try:
        change = date.fromisoformat(str(head.get("change_date", "")))
    except ValueError:
        problems.append(f"[initiative]: 'change_date' must be an ISO date, got {head.get('change_date')!r}")
        change = date.min
    unknown = set(scope) - set(CaseFilter.__dataclass_fields__)
    if unknown:
        problems.append(f"[scope]: unknown keys {sorted(unknown)}; known: {sorted(CaseFilter.__dataclass_fields__)}")
    unknown_steps = (set(data.get("steps", {})) | set(data.get("steps_zh", {}))) - set(STEP_NAMES)
    if unknown_steps:
        problems.append(f"[steps]: unknown keys {sorted(unknown_steps)}; the eight steps are {list(STEP_NAMES)}")
    scenario = None
    if "scenario" in data:
        try:
            scenario = scenario_from_dict(data["scenario"], f"{p} [scenario]", default_name=str(head.get("id", p.stem)))
        except InputError as exc:
            problems.append(f"[scenario]: {exc.reason}")
    baseline = _window(ev.get("baseline"), "[evaluation] baseline", problems)
    after = _window(ev.get("after"), "[evaluation] after", problems)
    if problems:
        raise InputError(str(p), "; ".join(problems))
    fields: dict[str, Any] = {k: (tuple(v) if k in ("started", "completed", "active", "follows", "duration_s")
                                  else v) for k, v in scope.items()}
    flt = CaseFilter(**fields)
    return Initiative(
        id=str(head["id"]), name_en=head["name_en"], name_zh=head.get("name_zh", head["name_en"]),
        owner=str(head["owner"]), owner_zh=str(head.get("owner_zh", "")),
        process=str(head["process"]), metric=str(metric), change_date=change,
        direction=goal.get("direction", "lower"), step=goal.get("step"), statistic=goal.get("statistic", "mean"),
        target_change=None if "target_change" not in goal else float(goal["target_change"]),
        target=goal.get("target"), timezone=str(head.get("timezone", "UTC")), scope=flt, baseline=baseline,
        after=after, stratify=ev.get("stratify"), min_cases=int(ev.get("min_cases", 30)),
        alpha=float(ev.get("alpha", 0.05)), n_boot=int(ev.get("n_boot", 1000)), seed=int(ev.get("seed", 0)),
        steps=dict(data.get("steps", {})), path=p, steps_zh=dict(data.get("steps_zh", {})), scenario=scenario)


def load_initiatives(folder: str | Path | None = None, process: str | None = None) -> list[Initiative]:
    """Every initiative file of a folder (default: the ``initiatives/`` of each process definition,
    ``flowmine.processes``), sorted by id."""
    if folder is None:
        files = default_files(process)
    else:
        files = sorted(Path(folder).glob("*.toml")) if Path(folder).is_dir() else []
    found = [load_initiative(f) for f in files]
    return sorted((i for i in found if process is None or i.process == process), key=lambda i: i.id)
