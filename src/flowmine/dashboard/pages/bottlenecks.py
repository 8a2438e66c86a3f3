"""Bottlenecks: steps and transitions ranked by the waiting they add, with intervals and support."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
from dash import dcc, html

from flowmine.dashboard._components import plot_text, table
from flowmine.dashboard._data import labeller, process_profile
from flowmine.dashboard._i18n import duration, number, percent, t
from flowmine.dashboard._state import Filters
from flowmine.store import Store

PATH = "/bottlenecks"
TITLE_KEY = "bottlenecks"


def rows(p: dict[str, Any], lang: str) -> list[dict[str, Any]]:
    name = labeller(p.get("process"), lang)
    out = []
    for i, b in enumerate(p.get("bottlenecks", []), start=1):
        out.append({
            "rank": i, "kind": t("activity_kind" if b["kind"] == "activity" else "edge_kind", lang),
            "name": name(b["name"]), "waiting": duration(b["waiting_total_s"], lang), "share": percent(b.get("share")),
            "cases": number(b.get("cases")),
            "ci": f"{duration(b.get('ci_low_s'), lang)} – {duration(b.get('ci_high_s'), lang)}",
            "median": duration(b.get("waiting_median_s"), lang), "p90": duration(b.get("waiting_p90_s"), lang),
        })
    return out


def figure(p: dict[str, Any], lang: str) -> go.Figure:
    bs = list(reversed(p.get("bottlenecks", [])))
    name = labeller(p.get("process"), lang)
    hours = [b["waiting_total_s"] / 3600 for b in bs]
    err_lo = [max(0.0, (b["waiting_total_s"] - (b.get("ci_low_s") or b["waiting_total_s"])) / 3600) for b in bs]
    err_hi = [max(0.0, ((b.get("ci_high_s") or b["waiting_total_s"]) - b["waiting_total_s"]) / 3600) for b in bs]
    fig = go.Figure(go.Bar(x=hours, y=[plot_text(name(b["name"])) for b in bs], orientation="h",
                           error_x={"type": "data", "array": err_hi, "arrayminus": err_lo}))
    fig.update_layout(xaxis_title=t("waiting_total", lang) + (" (h)" if lang == "en" else "（小时）"),
                      height=120 + 28 * len(bs), margin={"l": 260, "r": 10, "t": 20, "b": 40})
    return fig


def layout(store: Store, f: Filters) -> Any:
    p = process_profile(store, f)
    lang = f.lang
    cols = [("rank", "#"), ("kind", t("kind", lang)), ("name", t("name", lang)),
            ("waiting", t("waiting_total", lang)), ("share", t("share", lang)), ("cases", t("cases", lang)),
            ("ci", t("ci", lang)), ("median", t("median", lang)), ("p90", t("p90", lang))]
    return html.Div([html.P(t("bn_intro", lang)), dcc.Graph(id="bn-chart", figure=figure(p, lang)),
                     table("bn-table", cols, rows(p, lang))])
