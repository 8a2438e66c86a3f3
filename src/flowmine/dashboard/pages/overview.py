"""Overview: KPI cards of the selected process and its throughput time trend."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
from dash import dcc, html

from flowmine.dashboard._components import card
from flowmine.dashboard._data import kpis, process_profile
from flowmine.dashboard._i18n import duration, number, t
from flowmine.dashboard._state import Filters
from flowmine.store import Store

PATH = "/"
TITLE_KEY = "overview"


def trend_figure(p: dict[str, Any], lang: str) -> go.Figure:
    periods = p.get("periods") or []
    x = [row.get("period") for row in periods]
    y = [(row.get("throughput_median_s") or 0) / 86400 for row in periods]
    fig = go.Figure(go.Scatter(x=x, y=y, mode="lines+markers"))
    fig.update_layout(title=t("trend", lang), yaxis_title="d" if lang == "en" else "天", height=320,
                      margin={"l": 40, "r": 10, "t": 40, "b": 40})
    return fig


def layout(store: Store, f: Filters) -> Any:
    p = process_profile(store, f)
    k = kpis(p)
    lang = f.lang
    if not k["cases"]:
        return html.P(t("no_data", lang), id="ov-empty")
    cost = f"{number(k['cost_case'], 2)} {k['currency'] or ''}".strip() if k["cost_case"] is not None else "–"
    cards = html.Div([
        card(t("cases", lang), number(k["cases"]), "ov-cases"),
        card(t("events", lang), number(k["events"]), "ov-events"),
        card(t("variants_n", lang), number(k["variants"]), "ov-variants"),
        card(t("tt_median", lang), duration(k["tt_median"], lang), "ov-tt-median"),
        card(t("tt_p90", lang), duration(k["tt_p90"], lang), "ov-tt-p90"),
        card(t("cost_case", lang), cost, "ov-cost"),
        card(t("rework_share", lang), f"{k['rework_steps']} / {k['steps']}", "ov-rework"),
        card(t("top_bottleneck", lang), k["top_bottleneck"] or "–", "ov-bottleneck"),
    ], className="fm-cards")
    return html.Div([cards, dcc.Graph(id="ov-trend", figure=trend_figure(p, lang))])
