"""Read the per-process configuration files ``dashboards/<process>.toml``.

One file per process names its reference model (BPMN, path relative to the file), its working
calendar, activity and role labels in English and Simplified Chinese, its business rules
(``[[rule]]``) and its KPI targets (``[[kpi]]``). :func:`load_process` validates all of it at once
and reports every problem in one :class:`~flowmine.errors.InputError`, naming file and entry.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flowmine._params import DURATION_TEXT
from flowmine.errors import InputError, OptionError

#: Rule kinds and the keys each one needs.
RULE_KEYS: dict[str, tuple[str, ...]] = {
    "precedence": ("before", "after"),
    "response": ("trigger", "response"),
    "absence": ("activity",),
    "exactly_once": ("activity",),
    "four_eyes": ("steps",),
    "time_limit": ("from", "to", "max"),
    "amount_threshold": ("attribute", "above", "requires"),
}
KPI_DIRECTIONS = ("lower", "higher")
PERIODS = ("day", "week", "month", "quarter", "year")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def default_folder() -> Path:
    """The repository's ``dashboards/`` folder (next to ``src/``)."""
    return Path(__file__).resolve().parents[3] / "dashboards"


@dataclass(frozen=True)
class Duration:
    """A duration from a config: ``amount`` of ``unit`` (``"d"`` days, ``"wd"`` working days, ``"h"``)."""

    amount: float
    unit: str

    @classmethod
    def parse(cls, text: str) -> Duration:
        match = DURATION_TEXT.match(str(text).strip())
        if not match:
            raise OptionError(f"a duration like '30d', '3wd' or '48h' was expected, got {text!r}")
        return cls(float(match.group(1)), match.group(2))


@dataclass(frozen=True)
class Rule:
    """A declarative business rule; ``params`` holds the kind-specific keys as written."""

    id: str
    kind: str
    label_en: str
    label_zh: str
    params: dict[str, Any] = field(default_factory=dict)
    severity: str = "medium"


@dataclass(frozen=True)
class Kpi:
    """A KPI target: metric, target value, which direction is better, and the period."""

    id: str
    label_en: str
    label_zh: str
    metric: str
    target: Any
    direction: str
    period: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ProcessConfig:
    """Everything ``dashboards/<process>.toml`` declares, with paths resolved."""

    name: str
    label_en: str
    label_zh: str
    path: Path
    reference_model: Path
    currency: str
    calendar: dict[str, Any]
    activities: dict[str, dict[str, Any]]
    roles: dict[str, dict[str, Any]]
    rules: tuple[Rule, ...]
    kpis: tuple[Kpi, ...]
    sample_log: Path | None = None

    def label(self, activity: str, lang: str = "en") -> str:
        """The label of an activity in ``"en"`` or ``"zh"`` (the name itself when unknown)."""
        if lang == "zh":
            return str(self.activities.get(activity, {}).get("zh", activity))
        return activity

    @property
    def model_activities(self) -> list[str]:
        return [a for a, spec in self.activities.items() if spec.get("in_model", True)]


def list_processes(folder: Path | None = None) -> list[str]:
    """Names of the processes configured in ``folder`` (default: the repository's dashboards/)."""
    return sorted(p.stem for p in (folder or default_folder()).glob("*.toml"))


def _rule(raw: dict[str, Any], where: str, activities: dict[str, Any], problems: list[str]) -> Rule | None:
    kind = raw.get("kind")
    if kind not in RULE_KEYS:
        problems.append(f"{where}: 'kind' must be one of {sorted(RULE_KEYS)}, got {kind!r}")
        return None
    missing = [k for k in ("id", "label_en", "label_zh", *RULE_KEYS[kind]) if k not in raw]
    if missing:
        problems.append(f"{where}: a {kind} rule needs {missing}")
        return None
    named: list[str] = []
    for key in ("before", "steps"):
        named += list(raw.get(key, []))
    for key in ("after", "trigger", "response", "activity", "from", "to", "requires"):
        if key in raw:
            named.append(raw[key])
    unknown = [a for a in named if a not in activities]
    if unknown:
        problems.append(f"{where}: unknown activities {unknown}")
    if kind == "time_limit":
        try:
            Duration.parse(raw["max"])
        except ValueError as exc:
            problems.append(f"{where}: 'max': {exc}")
    params = {k: v for k, v in raw.items() if k not in ("id", "kind", "label_en", "label_zh", "severity")}
    return Rule(str(raw["id"]), kind, raw["label_en"], raw["label_zh"], params, raw.get("severity", "medium"))


def _kpi(raw: dict[str, Any], where: str, problems: list[str]) -> Kpi | None:
    missing = [k for k in ("id", "label_en", "label_zh", "metric", "target", "direction", "period") if k not in raw]
    if missing:
        problems.append(f"{where}: a KPI needs {missing}")
        return None
    if raw["direction"] not in KPI_DIRECTIONS:
        problems.append(f"{where}: 'direction' must be one of {list(KPI_DIRECTIONS)}, got {raw['direction']!r}")
    if raw["period"] not in PERIODS:
        problems.append(f"{where}: 'period' must be one of {list(PERIODS)}, got {raw['period']!r}")
    fixed = ("id", "label_en", "label_zh", "metric", "target", "direction", "period")
    params = {k: v for k, v in raw.items() if k not in fixed}
    return Kpi(
        str(raw["id"]),
        raw["label_en"],
        raw["label_zh"],
        raw["metric"],
        raw["target"],
        raw["direction"],
        raw["period"],
        params,
    )


def configured(process: str) -> ProcessConfig | None:
    """The configuration of ``process`` from the default folder, or None when it has none or it is
    invalid; read again only when the file changes (``flowmine._remember``). For long-running faces
    (the dashboard, repeated checks) that must not fail a page over a configuration; ``load_process``
    says what is wrong with one."""
    from flowmine._remember import remembered
    from flowmine.errors import FlowmineError

    def read() -> ProcessConfig | None:
        try:
            return load_process(process)
        except (FlowmineError, OSError, KeyError, ValueError):
            return None

    return remembered("process config", default_folder() / f"{process}.toml", read)


def load_process(process: str | Path, folder: Path | None = None) -> ProcessConfig:
    """Read and validate the configuration of a process.

    Parameters
    ----------
    process : str or Path
        A process name (``"finance"``: read ``<folder>/finance.toml``) or the path of a TOML file.
    folder : Path, optional
        Where the per-process files are (default: the repository's ``dashboards/``).

    Returns
    -------
    ProcessConfig

    Raises
    ------
    flowmine.errors.InputError
        The file is missing or not valid TOML, or any entry is invalid (all problems listed).

    Examples
    --------
    >>> from flowmine.processes import load_process
    >>> cfg = load_process("finance")
    >>> [r.id for r in cfg.rules][:2]
    ['pay_after_review_and_approval', 'four_eyes_claim']
    """
    path = Path(process) if str(process).endswith(".toml") else (folder or default_folder()) / f"{process}.toml"
    if not path.is_file():
        raise InputError(str(path), f"no process configuration; known: {list_processes(path.parent)}")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(str(path), f"not valid TOML: {exc}") from None
    problems: list[str] = []
    head = data.get("process", {})
    for key in ("name", "label_en", "label_zh", "reference_model"):
        if key not in head:
            problems.append(f"[process]: '{key}' is missing")
    activities = dict(data.get("activities", {}))
    for name, spec in activities.items():
        if not isinstance(spec, dict) or "zh" not in spec:
            problems.append(f"[activities] {name!r}: needs a 'zh' label")
    rules = [_rule(r, f"[[rule]] #{i + 1}", activities, problems) for i, r in enumerate(data.get("rule", []))]
    kpis = [_kpi(k, f"[[kpi]] #{i + 1}", problems) for i, k in enumerate(data.get("kpi", []))]
    ids = [r.id for r in rules if r is not None]
    if len(ids) != len(set(ids)):
        problems.append(f"[[rule]]: ids must be unique, got {ids}")
    model = (path.parent / head.get("reference_model", "")).resolve()
    if "reference_model" in head and not model.is_file():
        problems.append(f"[process]: reference_model {head['reference_model']!r} does not exist")
    if problems:
        raise InputError(str(path), "; ".join(problems))
    sample = head.get("sample_log")
    return ProcessConfig(
        name=head["name"],
        label_en=head["label_en"],
        label_zh=head["label_zh"],
        path=path,
        reference_model=model,
        currency=head.get("currency", "CNY"),
        calendar=dict(data.get("calendar", {})),
        activities=activities,
        roles=dict(data.get("roles", {})),
        rules=tuple(r for r in rules if r is not None),
        kpis=tuple(k for k in kpis if k is not None),
        sample_log=(path.parent / sample).resolve() if sample else None,
    )
