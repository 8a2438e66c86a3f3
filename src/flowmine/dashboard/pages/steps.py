"""Cost and quality per step: counts, service and waiting time, cost and rework side by side."""

from __future__ import annotations

from typing import Any

from dash import html

from flowmine.dashboard._components import table
from flowmine.dashboard._data import labeller, process_profile
from flowmine.dashboard._i18n import t
from flowmine.dashboard._state import Filters
from flowmine.store import Store
from flowmine.vocabulary import duration, label, money, number, percent

PATH = "/steps"
TITLE_KEY = "steps"


def rows(p: dict[str, Any], lang: str) -> list[dict[str, Any]]:
    name = labeller(p.get("process"), lang)
    return [{
        "activity": name(a["activity"]), "count": number(a["count"]), "cases": number(a["cases"]),
        "service": duration(a.get("service_time_median_s"), lang),
        "waiting": duration(a.get("waiting_time_median_s"), lang),
        "sojourn": duration(a.get("sojourn_time_median_s"), lang),
        "cost": money(a.get("cost_total"), a.get("cost_currency")),
        "rework": percent(a.get("rework_rate")),
    } for a in p.get("activities", [])]


def columns(p: dict[str, Any], lang: str) -> list[tuple[str, str]]:
    """The table's columns: the waiting time only on a log with start timestamps (without them it is
    unknown and only the sojourn time is shown)."""
    waiting = [("waiting", label("waiting_time", lang, stat="median"))] if p.get("time_basis") == "waiting" else []
    return [("activity", t("activity", lang)), ("count", label("activity_instances", lang)),
            ("cases", label("cases", lang)), ("service", label("service_time", lang, stat="median")), *waiting,
            ("sojourn", label("sojourn_time", lang, stat="median")), ("cost", label("cost", lang)),
            ("rework", label("rework_rate", lang))]


def layout(store: Store, f: Filters) -> Any:
    p = process_profile(store, f)
    return html.Div([table("steps-table", columns(p, f.lang), rows(p, f.lang), page_size=30)])
