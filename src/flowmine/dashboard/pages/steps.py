"""Cost and quality per step: counts, service and waiting time, cost and rework side by side."""

from __future__ import annotations

from typing import Any

from dash import html

from flowmine.dashboard._components import Column, excel_button, register_excel, table
from flowmine.dashboard._data import filters_of, labeller, process_profile
from flowmine.dashboard._i18n import t
from flowmine.dashboard._state import Filters
from flowmine.store import Store
from flowmine.vocabulary import label

PATH = "/steps"
TITLE_KEY = "steps"


def currency_of(p: dict[str, Any]) -> str | None:
    """The one currency of the steps' costs (None when none is known or they differ)."""
    found = {a.get("cost_currency") for a in p.get("activities", []) if a.get("cost_currency")}
    return found.pop() if len(found) == 1 else None


def rows(p: dict[str, Any], lang: str) -> list[dict[str, Any]]:
    """One row per step, raw values (seconds, amounts, shares)."""
    name = labeller(p.get("process"), lang)
    return [{
        "activity": name(a["activity"]), "count": a["count"], "cases": a["cases"],
        "service": a.get("service_time_median_s"), "waiting": a.get("waiting_time_median_s"),
        "sojourn": a.get("sojourn_time_median_s"), "cost": a.get("cost_total"), "rework": a.get("rework_rate"),
    } for a in p.get("activities", [])]


def columns(p: dict[str, Any], lang: str) -> list[Column]:
    """The table's columns: the waiting time only on a log with start timestamps (without them it is
    unknown and only the sojourn time is shown). Every duration says its statistic (median)."""
    waiting = ([Column("waiting", label("waiting_time", lang, stat="median"), "duration")]
               if p.get("time_basis") == "waiting" else [])
    return [Column("activity", t("activity", lang)), Column("count", label("activity_instances", lang), "number"),
            Column("cases", label("cases", lang), "number"),
            Column("service", label("service_time", lang, stat="median"), "duration"), *waiting,
            Column("sojourn", label("sojourn_time", lang, stat="median"), "duration"),
            Column("cost", label("cost", lang, stat="total"), "money", unit=currency_of(p)),
            Column("rework", label("rework_rate", lang), "percent")]


def sheets(store: Store, f: Filters) -> list[tuple[str, list[Column], list[dict[str, Any]]]]:
    p = process_profile(store, f)
    return [(t("steps", f.lang), columns(p, f.lang), rows(p, f.lang))]


def layout(store: Store, f: Filters) -> Any:
    p = process_profile(store, f)
    return html.Div([excel_button("steps", f.lang),
                     table("steps-table", columns(p, f.lang), rows(p, f.lang), page_size=30, f=f, page="steps")])


def register(app: Any, store: Store) -> None:
    def build(search: str | None) -> tuple[Filters, Any]:
        f = filters_of(store, search)
        return f, (sheets(store, f) if f.process else [])

    register_excel(app, "steps", "steps", build)
