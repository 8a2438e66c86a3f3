"""Resources: workload per resource and role, and the handover-of-work network."""

from __future__ import annotations

from typing import Any

from dash import dcc, html

from flowmine.dashboard._components import plot_text, table
from flowmine.dashboard._data import metric
from flowmine.dashboard._i18n import t
from flowmine.dashboard._state import Filters
from flowmine.store import Store
from flowmine.vocabulary import duration, label, number, percent

PATH = "/resources"
TITLE_KEY = "resources"


def handover_figure(frame: Any, lang: str) -> dict[str, Any]:
    """The 40 most frequent handovers as a Sankey diagram (a plain figure dict)."""
    top = frame.sort_values("count", ascending=False).head(40)
    labels = sorted(set(top["source"]).union(top["target"]), key=str)
    index = {name: i for i, name in enumerate(labels)}
    return {"data": [{"type": "sankey", "node": {"label": [plot_text(x) for x in labels], "pad": 12},
                      "link": {"source": [index[s] for s in top["source"]],
                               "target": [index[x] for x in top["target"]], "value": top["count"].tolist()}}],
            "layout": {"title": {"text": t("handovers", lang)}, "height": 460,
                       "margin": {"l": 10, "r": 10, "t": 40, "b": 10}}}


def layout(store: Store, f: Filters) -> Any:
    lang = f.lang
    work = metric(store, f, "workload", "resource")
    rows = [{"resource": str(r["resource"]), "instances": number(r["instances"]), "cases": number(r["cases"]),
             "service": duration(r["service_total_s"], lang), "share": percent(r["share"])}
            for r in work.sort_values("instances", ascending=False).to_dict("records")]
    cols = [("resource", t("resource", lang)), ("instances", label("activity_instances", lang)),
            ("cases", label("cases", lang)), ("service", label("service_time", lang, stat="total")),
            ("share", t("workload_share", lang))]
    hand = metric(store, f, "handovers", "resource")
    parts: list[Any] = [table("res-table", cols, rows)]
    if len(hand):
        parts.append(dcc.Graph(id="res-handovers", figure=handover_figure(hand, lang)))
    return html.Div(parts)
