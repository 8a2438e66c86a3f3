"""Resources: workload per resource and role, and the handover-of-work network."""

from __future__ import annotations

from typing import Any

from dash import dcc, html

from flowmine.dashboard._components import Column, excel_button, plot_text, register_excel, table
from flowmine.dashboard._data import filters_of, metric
from flowmine.dashboard._i18n import plotly_config, t
from flowmine.dashboard._state import Filters
from flowmine.store import Store
from flowmine.vocabulary import label

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


def columns(lang: str) -> list[Column]:
    return [Column("resource", t("resource", lang)), Column("instances", label("activity_instances", lang), "number"),
            Column("cases", label("cases", lang), "number"),
            Column("service", label("service_time", lang, stat="total"), "duration"),
            Column("share", t("workload_share", lang), "percent")]


def rows(work: Any) -> list[dict[str, Any]]:
    return [{"resource": str(r["resource"]), "instances": r["instances"], "cases": r["cases"],
             "service": r["service_total_s"], "share": r["share"]}
            for r in work.sort_values("instances", ascending=False).to_dict("records")]


def sheets(store: Store, f: Filters) -> list[tuple[str, list[Column], list[dict[str, Any]]]]:
    return [(t("resources", f.lang), columns(f.lang), rows(metric(store, f, "workload", "resource")))]


def layout(store: Store, f: Filters) -> Any:
    lang = f.lang
    work = metric(store, f, "workload", "resource")
    hand = metric(store, f, "handovers", "resource")
    parts: list[Any] = [excel_button("res", lang),
                        table("res-table", columns(lang), rows(work), f=f, page="resources")]
    if len(hand):
        parts.append(dcc.Graph(id="res-handovers", figure=handover_figure(hand, lang), config=plotly_config(lang)))
    return html.Div(parts)


def register(app: Any, store: Store) -> None:
    def build(search: str | None) -> tuple[Filters, Any]:
        f = filters_of(store, search)
        return f, (sheets(store, f) if f.process else [])

    register_excel(app, "res", "resources", build)
