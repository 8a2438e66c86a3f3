"""Cost and quality per step: counts, service and waiting time, cost and rework side by side."""

from __future__ import annotations

from typing import Any

from dash import html

from flowmine.dashboard._components import table
from flowmine.dashboard._data import labeller, process_profile
from flowmine.dashboard._i18n import duration, number, percent, t
from flowmine.dashboard._state import Filters
from flowmine.store import Store

PATH = "/steps"
TITLE_KEY = "steps"


def rows(p: dict[str, Any], lang: str) -> list[dict[str, Any]]:
    name = labeller(p.get("process"), lang)
    return [{
        "activity": name(a["activity"]), "count": number(a["count"]), "cases": number(a["cases"]),
        "service": duration(a.get("service_time_median_s"), lang),
        "waiting": duration(a.get("waiting_time_median_s"), lang),
        "sojourn": duration(a.get("sojourn_time_median_s"), lang),
        "cost": f"{number(a.get('cost_total'), 2)} {a.get('cost_currency') or ''}".strip(),
        "rework": percent(a.get("rework_rate")),
    } for a in p.get("activities", [])]


def layout(store: Store, f: Filters) -> Any:
    lang = f.lang
    cols = [("activity", t("activity", lang)), ("count", t("count", lang)), ("cases", t("cases", lang)),
            ("service", t("service_median", lang)), ("waiting", t("waiting_median", lang)),
            ("sojourn", t("sojourn_median", lang)), ("cost", t("cost_total", lang)),
            ("rework", t("rework_rate", lang))]
    return html.Div([table("steps-table", cols, rows(process_profile(store, f), lang), page_size=30)])
