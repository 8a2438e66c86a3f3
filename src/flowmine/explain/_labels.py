"""How a reader says a factor and its values, in English and Chinese: one table for every face (the
dashboard, the report, the CLI), so the card reads the same everywhere."""

from __future__ import annotations

from collections.abc import Callable

#: Factor name -> (English, Chinese); a case attribute is shown by its own name without ``case:``.
FACTOR_LABELS: dict[str, tuple[str, str]] = {
    "org:resource": ("Resource", "执行人"),
    "org:role": ("Role", "角色"),
    "ready weekday": ("Weekday it became ready", "就绪时的星期"),
    "ready hour": ("Hour it became ready", "就绪时的小时"),
    "ready month": ("Month it became ready", "就绪时的月份"),
    "start weekday": ("Weekday the case started", "案例开始的星期"),
    "start month": ("Month the case started", "案例开始的月份"),
    "variant so far": ("Path so far", "此前路径"),
    "variant": ("Variant", "变体"),
    "work in progress": ("Work in progress when ready", "就绪时的在办数量"),
    "batch size": ("Batch size", "批量大小"),
}
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_WEEKDAYS_ZH = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
_MARKS = {"(start)": ("(case start)", "（案例开始）"), "(end)": ("(case end)", "（案例结束）"),
          "(other)": ("(other)", "（其他）"),
          # why a part of the waiting is unknown (``waiting_parts["unknown"]``)
          "no_calendar": ("no working calendar: the process has no configuration", "无工作日历：该流程没有配置"),
          "no_resources": ("the log names no resources", "日志中没有执行人")}


def factor_label(attribute: str, lang: str = "en") -> str:
    """The factor's name for a reader (``case:department`` -> ``department``)."""
    if attribute in FACTOR_LABELS:
        return FACTOR_LABELS[attribute][1 if lang == "zh" else 0]
    return attribute.removeprefix("case:")


def value_label(attribute: str, value: str, lang: str = "en", name: Callable[[str], str] = str) -> str:
    """A factor value for a reader: weekdays in the language, the card's marks ``(start)``/``(end)``/
    ``(other)`` and the codes of unknown waiting parts spelt out, the steps of a path through ``name``
    (the process's own labels in Chinese); anything else as the data has it."""
    if value in _MARKS:
        return _MARKS[value][1 if lang == "zh" else 0]
    if attribute in ("variant so far", "variant"):
        return " → ".join(name(a) for a in value.split(" → "))
    if attribute.endswith("weekday") and value in _WEEKDAYS and lang == "zh":
        return _WEEKDAYS_ZH[_WEEKDAYS.index(value)]
    return value
