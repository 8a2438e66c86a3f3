"""Read and validate one process definition's ``process.toml``.

One file per process (``<name>/process.toml``, found as :mod:`flowmine.processes._where` says)
names its reference model (BPMN, path relative to the file), its working calendar, activity and
role labels in English and Simplified Chinese, its business rules (``[[rule]]``) and its KPI
targets (``[[kpi]]``). :func:`read_definition` checks all of it at once and returns every problem
as a :class:`Problem` (file, entry, what was expected, what came); :func:`load_process` raises them
in one :class:`~flowmine.errors.InputError`.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flowmine._params import DURATION_TEXT
from flowmine.errors import InputError, OptionError
from flowmine.processes._where import DEFINITION, definition_folders

if TYPE_CHECKING:
    from flowmine.analytics import Calendar

#: Weekday names of a ``[calendar]``'s ``weekdays``, Monday first.
WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

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
#: How a check records a problem: (entry, expected, got).
Report = Callable[[str, str, str], None]


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a process definition: the file, the entry in it, what was expected, what came."""

    file: str
    entry: str
    expected: str
    got: str

    def __str__(self) -> str:
        return f"{self.entry}: {self.expected}, got {self.got}"

    @property
    def line(self) -> str:
        """The problem in one line, naming the file first."""
        return f"{self.file}: {self}"


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
    """Everything a ``process.toml`` declares, with the model path resolved; ``sample_log`` is the
    name of the process's log among the bundled samples (``flowmine.samples``, shipped in the package)."""

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
    sample_log: str | None = None

    def label(self, activity: str, lang: str = "en") -> str:
        """The label of an activity in ``"en"`` or ``"zh"`` (the name itself when unknown)."""
        if lang == "zh":
            return str(self.activities.get(activity, {}).get("zh", activity))
        return activity

    @property
    def model_activities(self) -> list[str]:
        return [a for a, spec in self.activities.items() if spec.get("in_model", True)]

    def working_calendar(self) -> Calendar:
        """The analytics :class:`~flowmine.analytics.Calendar` of ``[calendar]``: its weekdays, hours,
        holidays, make-up ``workdays`` and its time zone (local time follows the zone's offset at each
        instant, daylight-saving switches included); with ``official`` ("CN", or a country code such as
        "DE") also that calendar's public
        holidays (and China's make-up workdays) in ``years`` (default :func:`official_years`)."""
        return calendar_from(self.calendar)


def calendar_from(spec: dict[str, Any]) -> Calendar:
    """The analytics :class:`~flowmine.analytics.Calendar` of a ``[calendar]`` table (see
    :meth:`ProcessConfig.working_calendar`)."""
    from flowmine.analytics import Calendar as _Calendar

    days = tuple(WEEKDAY_NAMES.index(d) for d in spec.get("weekdays", WEEKDAY_NAMES[:5]))
    hours = spec.get("hours", ["09:00", "17:00"])
    own = {"weekdays": days, "start": hours[0], "end": hours[1], "timezone": spec.get("timezone") or None,
           "holidays": tuple(spec.get("holidays", [])), "workdays": tuple(spec.get("workdays", []))}
    if spec.get("official"):
        code = str(spec["official"])
        return _Calendar.official(code, years=official_years(code, spec.get("years")), **own)
    return _Calendar(**own)


#: Keys of a ``[calendar]`` table.
CALENDAR_KEYS = ("weekdays", "hours", "timezone", "holidays", "workdays", "official", "years")
#: Years an official calendar covers when ``[calendar]`` gives no ``years`` (China: those chinesecalendar knows).
OFFICIAL_YEARS = (2004, 2030)


def official_years(code: str, years: list[int] | None = None) -> range:
    """The years of an official calendar: ``years = [first, last]`` as given, else China's that
    chinesecalendar knows, else :data:`OFFICIAL_YEARS`."""
    if years:
        return range(int(years[0]), int(years[-1]) + 1)
    if code.upper() == "CN":
        from chinese_calendar import constants

        known = [d.year for d in constants.holidays]
        return range(min(known), max(known) + 1)
    return range(OFFICIAL_YEARS[0], OFFICIAL_YEARS[1] + 1)


def _check_calendar(spec: Any, problem: Report) -> None:
    """Check a ``[calendar]`` table: known keys, weekday names, two HH:MM hours, an IANA time zone,
    ISO dates in ``holidays`` and ``workdays``, an official calendar that exists, ``years`` as [first, last];
    then, when all of that holds, the end of the hours after their start (as the analytics Calendar checks)."""
    if not isinstance(spec, dict):
        problem("[calendar]", "a table", repr(spec))
        return
    found: list[str] = []

    def problem_here(entry: str, expected: str, got: str) -> None:
        found.append(entry)
        problem(entry, expected, got)

    _check_calendar_keys(spec, problem_here)
    if not found:
        from flowmine.analytics import AnalyticsError

        try:
            calendar_from(spec)
        except (AnalyticsError, ValueError) as exc:
            problem("[calendar]", "a working calendar", str(exc).removeprefix("calendar: "))


def _check_calendar_keys(spec: dict[str, Any], problem: Report) -> None:
    """The key-by-key checks of :func:`_check_calendar`."""
    from datetime import date, time
    from zoneinfo import ZoneInfo

    for key in spec:
        if key not in CALENDAR_KEYS:
            problem(f"[calendar] {key}", f"a key of {list(CALENDAR_KEYS)}", "an unknown key")
    days = spec.get("weekdays", [])
    if not isinstance(days, list) or not all(d in WEEKDAY_NAMES for d in days):
        problem("[calendar] weekdays", f"a list of {list(WEEKDAY_NAMES)}", repr(days))
    hours = spec.get("hours", ["09:00", "17:00"])
    try:
        ok = isinstance(hours, list) and len(hours) == 2 and all(
            h == "24:00" or time.fromisoformat(str(h)) is not None for h in hours)
    except ValueError:
        ok = False
    if not ok:
        problem("[calendar] hours", 'two times of day, e.g. ["09:00", "18:00"]', repr(hours))
    if "timezone" in spec:
        try:
            ZoneInfo(str(spec["timezone"]))
        except (ValueError, KeyError, OSError):
            problem("[calendar] timezone", "an IANA time zone, e.g. 'Asia/Shanghai'", repr(spec["timezone"]))
    for key in ("holidays", "workdays"):
        values = spec.get(key, [])
        try:
            ok = isinstance(values, list) and all(isinstance(v, date) or date.fromisoformat(str(v)) for v in values)
        except ValueError:
            ok = False
        if not ok:
            problem(f"[calendar] {key}", 'a list of ISO dates, e.g. ["2025-10-08"]', repr(values))
    years = spec.get("years")
    if years is not None and not (isinstance(years, list) and len(years) == 2
                                  and all(isinstance(y, int) for y in years) and years[0] <= years[1]):
        problem("[calendar] years", "[first, last] years, e.g. [2024, 2026]", repr(years))
        years = None
    if "official" in spec:
        _check_official(spec["official"], years, problem)


def _check_official(code: Any, years: list[int] | None, problem: Report) -> None:
    """Check ``[calendar] official``: "CN" or a country code of the holidays package, knowing ``years``."""
    from flowmine.analytics import AnalyticsError, Calendar

    if not isinstance(code, str) or not code:
        problem("[calendar] official", "'CN' or a country code, e.g. 'DE'", repr(code))
        return
    try:
        Calendar.official(code, years=official_years(code, years))
    except AnalyticsError as exc:
        problem("[calendar] official", "'CN' or a country code of the holidays package, in years it knows",
                f"{code!r} ({str(exc).removeprefix('calendar: ')})")


def list_processes(folder: Path | None = None) -> list[str]:
    """Names of the processes defined in ``folder`` (``<name>/process.toml``; default: every directory
    of the search path, configured ones and the packaged one)."""
    if folder is None:
        return list(definition_folders())
    return sorted(p.parent.name for p in Path(folder).glob(f"*/{DEFINITION}"))


def _rule(raw: dict[str, Any], where: str, activities: dict[str, Any], problems: list[str]) -> Rule | None:
    """One ``[[rule]]`` table checked, its problems appended to ``problems`` as text (``entry: expected,
    got ...``): the form ``conformance.read_rules`` uses for a separate rules file."""
    return _check_rule(raw, where, activities, lambda *p: problems.append(str(Problem("", *p))))


def _check_rule(raw: dict[str, Any], where: str, activities: dict[str, Any], problem: Report) -> Rule | None:
    kind = raw.get("kind")
    if kind not in RULE_KEYS:
        problem(where, f"'kind' must be one of {sorted(RULE_KEYS)}", repr(kind))
        return None
    missing = [k for k in ("id", "label_en", "label_zh", *RULE_KEYS[kind]) if k not in raw]
    if missing:
        problem(where, f"a {kind} rule needs {['id', 'label_en', 'label_zh', *RULE_KEYS[kind]]}", f"no {missing}")
        return None
    named: list[str] = []
    for key in ("before", "steps"):
        named += list(raw.get(key, []))
    for key in ("after", "trigger", "response", "activity", "from", "to", "requires"):
        if key in raw:
            named.append(raw[key])
    unknown = [a for a in named if a not in activities]
    if unknown:
        problem(where, "every activity it names must be one of [activities]", f"unknown activities {unknown}")
    if kind == "time_limit" and not DURATION_TEXT.match(str(raw["max"]).strip()):
        problem(where, "'max' must be a duration like '30d', '3wd' or '48h'", repr(raw["max"]))
    params = {k: v for k, v in raw.items() if k not in ("id", "kind", "label_en", "label_zh", "severity")}
    return Rule(str(raw["id"]), kind, raw["label_en"], raw["label_zh"], params, raw.get("severity", "medium"))


def _kpi(raw: dict[str, Any], where: str, problem: Report) -> Kpi | None:
    fixed = ("id", "label_en", "label_zh", "metric", "target", "direction", "period")
    missing = [k for k in fixed if k not in raw]
    if missing:
        problem(where, f"a KPI needs {list(fixed)}", f"no {missing}")
        return None
    if raw["direction"] not in KPI_DIRECTIONS:
        problem(where, f"'direction' must be one of {list(KPI_DIRECTIONS)}", repr(raw["direction"]))
    if raw["period"] not in PERIODS:
        problem(where, f"'period' must be one of {list(PERIODS)}", repr(raw["period"]))
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


def _is_folder(process: str | Path) -> bool:
    """A definition folder given as a path (a Path, or text with a separator), never a bare name: a
    folder ``finance/`` in the working directory does not shadow the process ``finance``."""
    path = Path(process)
    looks_like_path = isinstance(process, Path) or "/" in str(process) or "\\" in str(process)
    return looks_like_path and (path / DEFINITION).is_file()


def definition_path(process: str | Path, folder: Path | None = None) -> Path | None:
    """The ``process.toml`` a process name, a definition folder or a ``.toml`` path stands for (None
    when a name is defined nowhere)."""
    text = str(process)
    if text.endswith(".toml"):
        return Path(process)
    if _is_folder(process):
        return Path(process) / DEFINITION
    if folder is not None:
        return Path(folder) / text / DEFINITION
    found = definition_folders().get(text)
    return found / DEFINITION if found is not None else None


def read_definition(path: Path, name: str | None = None, *,
                    model_required: bool = True) -> tuple[ProcessConfig | None, list[Problem]]:
    """Read and check one ``process.toml``: the configuration (None when it has problems) and every
    problem found. With ``name`` (the folder's name), ``[process] name`` must equal it; without
    ``model_required`` the reference model may be missing (it is about to be drawn)."""
    problems: list[Problem] = []

    def problem(entry: str, expected: str, got: str) -> None:
        problems.append(Problem(str(path), entry, expected, got))

    if not path.is_file():
        problem("(file)", "a process.toml", "no such file")
        return None, problems
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        problem("(file)", "valid TOML in UTF-8", str(exc))
        return None, problems
    head = data.get("process", {})
    for key in ("name", "label_en", "label_zh", "reference_model"):
        if key not in head:
            problem("[process]", f"'{key}' must be given", "nothing")
    if name is not None and "name" in head and head["name"] != name:
        problem("[process]", f"'name' must be the folder's name {name!r}", repr(head["name"]))
    activities = dict(data.get("activities", {}))
    for act, spec in activities.items():
        if not isinstance(spec, dict) or "zh" not in spec:
            problem(f"[activities] {act!r}", "a table with a 'zh' label", repr(spec))
        elif not isinstance(spec.get("aliases", []), list) or not all(
                isinstance(a, str) and a for a in spec.get("aliases", [])):
            problem(f"[activities] {act!r}", "'aliases' as a list of names", repr(spec.get("aliases")))
    _check_calendar(data.get("calendar", {}), problem)
    rules = [_check_rule(r, f"[[rule]] #{i + 1}", activities, problem) for i, r in enumerate(data.get("rule", []))]
    kpis = [_kpi(k, f"[[kpi]] #{i + 1}", problem) for i, k in enumerate(data.get("kpi", []))]
    ids = [r.id for r in rules if r is not None]
    if len(ids) != len(set(ids)):
        problem("[[rule]]", "ids must be unique", repr(ids))
    model = (path.parent / head.get("reference_model", "")).resolve()
    if "reference_model" in head and model_required and not model.is_file():
        problem("[process]", "'reference_model' must name a file beside it",
                f"{head['reference_model']!r}, which does not exist")
    if problems:
        return None, problems
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
        sample_log=str(sample) if sample else None,
    ), problems


def load_process(process: str | Path, folder: Path | None = None) -> ProcessConfig:
    """Read and validate the definition of a process.

    Parameters
    ----------
    process : str or Path
        A process name (``"finance"``: its folder's ``process.toml`` on the search path, the
        directories of ``FLOWMINE_PROCESSES`` first, then the packaged definitions), a definition
        folder, or the path of a TOML file.
    folder : Path, optional
        A directory of process folders to read the name from instead of the search path.

    Returns
    -------
    ProcessConfig

    Raises
    ------
    flowmine.errors.InputError
        The process is defined nowhere, its file is not valid TOML, or any entry is invalid (all
        problems listed).

    Examples
    --------
    >>> from flowmine.processes import load_process
    >>> cfg = load_process("finance")
    >>> [r.id for r in cfg.rules][:2]
    ['pay_after_review_and_approval', 'four_eyes_claim']
    """
    path = definition_path(process, folder)
    if path is None or not path.is_file():
        known = list_processes(folder)
        raise InputError(str(path or process), f"no process configuration; known: {known}")
    by_name = None if str(process).endswith(".toml") or _is_folder(process) else str(process)
    cfg, problems = read_definition(path, by_name)
    if cfg is None:
        raise InputError(str(path), "; ".join(str(p) for p in problems))
    return cfg
