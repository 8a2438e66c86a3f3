"""The words every face shows, defined once: glossary term → English and Chinese label, unit, formatter.

The dashboard, the report, the CLI tables and the notebooks label a metric with :func:`label` and
format its value with the formatter of its unit (:func:`fmt`, or :func:`duration`, :func:`percent`,
:func:`money`, :func:`number` directly), so the same metric has the same name and the same format on
every face. Meanings are the glossary's (``GLOSSARY.md``, ``docs/ANALYTICS.md``); a metric that has two
names there (throughput time, *case duration*) has one here.

Labels follow the **time basis** of a log (``profile()["time_basis"]``): with start timestamps the
time between steps is the waiting time; without them only the sojourn time is known, and it is
labelled so (:func:`between_steps`), never "waiting".

A core module: it imports nothing from flowmine.

Examples
--------
>>> from flowmine.vocabulary import between_steps, duration, label
>>> label("throughput_time", "zh", stat="median")
'通过时间中位数'
>>> label(between_steps("sojourn"), "en", stat="total")
'Total sojourn time'
>>> duration(19800, "en"), duration(19800, "zh")
('5.5 h', '5.5小时')
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

from flowmine.errors import OptionError

LANGS: Final = ("en", "zh")
#: units of the terms: a duration in seconds, a share in [0, 1], an amount of money (its currency
#: carried beside it), a count, and a ratio such as fitness in [0, 1] shown with three decimals
UNITS: Final = ("s", "share", "money", "count", "ratio")
MISSING: Final = "–"


@dataclass(frozen=True)
class Term:
    """One glossary term as a face shows it."""

    key: str
    en: str
    zh: str
    unit: str

    def label(self, lang: str = "en") -> str:
        return self.zh if lang == "zh" else self.en


_TERMS: Final = (
    # durations (seconds)
    Term("throughput_time", "Throughput time", "通过时间", "s"),
    Term("waiting_time", "Waiting time", "等待时间", "s"),
    Term("sojourn_time", "Sojourn time", "逗留时间", "s"),
    Term("service_time", "Service time", "作业时间", "s"),
    Term("queue_time", "Queue time (ready to start)", "排队时间（就绪至开始）", "s"),
    Term("bottleneck", "Bottleneck", "瓶颈", "s"),
    # shares
    Term("rework_rate", "Rework rate", "返工率", "share"),
    Term("first_pass_yield", "First-pass yield", "一次通过率", "share"),
    Term("throughput_share", "Share of throughput time", "占通过时间比例", "share"),
    Term("case_share", "Share of cases", "案例占比", "share"),
    Term("fitting_cases_share", "Cases that fit the model", "符合模型的案例", "share"),
    Term("rule_violation_rate", "Cases breaking a rule", "违反规则的案例占比", "share"),
    Term("deviation_rate", "Cases deviating here", "在此偏离的案例", "share"),
    # money
    Term("cost", "Cost", "成本", "money"),
    Term("cost_per_case", "Cost per case", "单案例成本", "money"),
    # ratios
    Term("fitness", "Fitness", "拟合度", "ratio"),
    Term("precision", "Precision", "精确度", "ratio"),
    # counts
    Term("cases", "Cases", "案例数", "count"),
    Term("events", "Events", "事件数", "count"),
    Term("activity_instances", "Activity instances", "活动实例数", "count"),
    Term("variants", "Variants", "变体数", "count"),
    Term("arrivals", "Cases started", "新开案例", "count"),
    Term("completions", "Cases completed", "完成案例", "count"),
)
TERMS: Final[dict[str, Term]] = {term.key: term for term in _TERMS}

#: a statistic of a metric: (English prefix, Chinese pattern)
_STATS: Final = {"median": ("Median {en}", "{zh}中位数"), "mean": ("Mean {en}", "平均{zh}"),
                 "p90": ("P90 {en}", "{zh} P90"), "total": ("Total {en}", "累计{zh}")}
STATISTICS: Final = tuple(_STATS)


def term(key: str) -> Term:
    """The term ``key`` (a :class:`Term`); a key that is not a term raises ``KeyError`` naming the known ones."""
    try:
        return TERMS[key]
    except KeyError:
        raise OptionError(f"{key!r} is not a term of flowmine.vocabulary; known: {sorted(TERMS)}") from None


def label(key: str, lang: str = "en", stat: str | None = None) -> str:
    """The label of a term in ``lang`` (``en`` or ``zh``), optionally of one statistic of it
    (``median``, ``mean``, ``p90``, ``total``)."""
    t = term(key)
    if stat is None:
        return t.label(lang)
    en, zh = _STATS[stat]
    if lang == "zh":
        return zh.format(zh=t.zh)
    return en.format(en=t.en[0].lower() + t.en[1:] if not t.en[:2].isupper() else t.en)


def between_steps(basis: str | None) -> str:
    """The term for the time between steps on a log of this time basis: ``waiting_time`` with start
    timestamps (``basis == "waiting"``), else ``sojourn_time`` (completion minus previous completion)."""
    return "waiting_time" if basis == "waiting" else "sojourn_time"


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


_DURATION_UNITS: Final = {"en": ("s", "min", "h", "d"), "zh": ("秒", "分钟", "小时", "天")}


def duration(seconds: float | None, lang: str = "en", missing: str = MISSING) -> str:
    """A duration for humans, in the unit that fits it: 45 s, 12 min, 5.5 h, 3.2 d (Chinese: 3.2天)."""
    if _missing(seconds):
        return missing
    assert seconds is not None
    s_, m_, h_, d_ = _DURATION_UNITS.get(lang, _DURATION_UNITS["en"])
    sep = "" if lang == "zh" else " "
    a = abs(seconds)
    if a < 60:
        return f"{seconds:.0f}{sep}{s_}"
    if a < 3600:
        return f"{seconds / 60:.0f}{sep}{m_}"
    if a < 86400:
        return f"{seconds / 3600:.1f}{sep}{h_}"
    return f"{seconds / 86400:.1f}{sep}{d_}"


#: the units a duration can be shown in: ``auto`` picks the one that fits each value (:func:`fitting_unit`)
DURATION_UNITS: Final = ("auto", "s", "min", "h", "d")
_SECONDS: Final = {"s": 1, "min": 60, "h": 3600, "d": 86400}
#: decimals of a value shown in a chosen unit (``"h"`` and ``"d"`` as the tables always showed them)
_DIGITS: Final = {"s": 0, "min": 1, "h": 1, "d": 2}


def fitting_unit(seconds: float) -> str:
    """The unit that fits a duration: ``s`` below 120 s, ``min`` below 120 min, ``h`` below 48 h, else
    ``d`` (so a value never shows as ``0.0 h`` and the number stays between 2 and ~120 of its unit)."""
    a = abs(seconds)
    if a < 120:
        return "s"
    if a < 7200:
        return "min"
    if a < 172800:
        return "h"
    return "d"


def duration_in(seconds: float | None, unit: str = "d", missing: str = MISSING, lang: str = "en") -> str:
    """A duration in a unit: ``"auto"`` (the unit that fits each value, :func:`fitting_unit`, one decimal
    but whole seconds), or a chosen one for tables whose rows are compared: ``"s"`` (``"1,234 s"``),
    ``"min"`` (``"11.7 min"``), ``"h"`` (``"83,803.4 h"``), ``"d"`` (``"1.11 d"``). Thousands separators
    always; Chinese unit names with ``lang="zh"`` (``"11.7分钟"``).

    >>> duration_in(700, "auto"), duration_in(5_933_805_840, "auto"), duration_in(700, "min", lang="zh")
    ('11.7 min', '68,678.3 d', '11.7分钟')
    """
    if unit not in _SECONDS and unit != "auto":
        raise OptionError(f"The 'unit' parameter of duration_in must be one of {set(DURATION_UNITS)}. "
                          f"Got {unit!r} instead.", parameter="unit", function="duration_in")
    if _missing(seconds):
        return missing
    assert seconds is not None
    chosen = fitting_unit(seconds) if unit == "auto" else unit
    digits = 0 if chosen == "s" else 1 if unit == "auto" else _DIGITS[chosen]
    names = _DURATION_UNITS.get(lang, _DURATION_UNITS["en"])
    name = names[tuple(_SECONDS).index(chosen)]
    value = seconds / _SECONDS[chosen]
    if value == 0:
        value = 0.0  # never "-0.0"
    return f"{value:,.{digits}f}{'' if lang == 'zh' else ' '}{name}"


def percent(value: float | None, missing: str = MISSING) -> str:
    """A share as a percentage with one decimal (``0.123`` → ``"12.3%"``)."""
    return missing if _missing(value) else f"{value:.1%}"


def number(value: float | None, digits: int = 0, missing: str = MISSING) -> str:
    """A count or amount with thousands separators (``12,345``)."""
    return missing if _missing(value) else f"{value:,.{digits}f}"


def money(value: float | None, currency: str | None = None, digits: int = 2, missing: str = MISSING) -> str:
    """An amount with its currency, which is carried, never assumed (``"1,234.50 CNY"``)."""
    if _missing(value):
        return missing
    return f"{number(value, digits)} {currency or ''}".strip()


def ratio(value: float | None, digits: int = 3, missing: str = MISSING) -> str:
    """A ratio such as fitness or precision (``"0.953"``)."""
    return missing if _missing(value) else f"{value:.{digits}f}"


def kpi_value(value: float | None, unit: str | None, missing: str = "n/a", duration_unit: str = "d") -> str:
    """A KPI's value (or target) in its unit as the monitor reports it: ``"s"`` in ``duration_unit``
    (days unless told, see :func:`duration_in`), ``"share"`` as a percentage, anything else (a currency,
    nothing) as a number with that unit.

    >>> kpi_value(172_800, "s"), kpi_value(172_800, "s", duration_unit="h"), kpi_value(0.08, "share")
    ('2.00 d', '48.0 h', '8.0%')
    """
    if _missing(value):
        return missing
    if unit == "s":
        return duration_in(value, duration_unit)
    if unit == "share":
        return percent(value)
    assert value is not None
    return f"{value:,.4g} {unit or ''}".strip()


def fmt(key: str, value: float | None, lang: str = "en", currency: str | None = None) -> str:
    """The value of term ``key`` formatted by the formatter of its unit."""
    unit = term(key).unit
    if unit == "s":
        return duration(value, lang)
    if unit == "share":
        return percent(value)
    if unit == "money":
        return money(value, currency)
    if unit == "ratio":
        return ratio(value)
    return number(value)
