"""Process map: the directly-follows map with activity and path sliders, frequency, performance or cost
overlay, the profile's bottlenecks marked in red, and a step's detail on click.

The layout is computed once from the full log, so nodes stay where they are when sliders or filters
move. Slider, overlay and clicked values are checked against what the page offers.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from dash import Dash, Input, Output, State, dcc, html, no_update

from flowmine.dashboard._components import card, table
from flowmine.dashboard._data import (
    conformance,
    filters_of,
    labeller,
    metric,
    process_map_of,
    process_profile,
    single_flight,
    version,
)
from flowmine.dashboard._i18n import t
from flowmine.dashboard._state import Filters
from flowmine.store import Store
from flowmine.vocabulary import between_steps, duration, label, money, number, percent

PATH = "/map"
TITLE_KEY = "map"
STEPS = tuple(round(i / 20, 2) for i in range(21))  # 0, 0.05, ..., 1
OVERLAYS = ("frequency", "performance", "cost")


def overlay_label(overlay: str, lang: str) -> str:
    """The overlay's name: the cost overlay is the vocabulary's cost, the others are the page's words."""
    return label("cost", lang) if overlay == "cost" else t(overlay, lang)


def figure(store: Store, f: Filters, activities: float, paths: float, overlay: str) -> Any:
    """The map figure for the filters and slider positions (cached like the data it draws)."""
    assert f.process is not None
    return _figure(str(store.path), version(store, f.process), replace(f, refused=()), activities, paths, overlay)


@single_flight(maxsize=256)
def _figure(store_path: str, ver: str, f: Filters, activities: float, paths: float, overlay: str) -> Any:
    from flowmine.discovery import process_map_spec

    store = Store(store_path, create=False)
    p = process_profile(store, f)
    acts = p.get("activities", [])
    name = labeller(f.process, f.lang)
    currency = next((a.get("cost_currency") for a in acts if a.get("cost_currency")), None)
    return process_map_spec(process_map_of(store, f, activities, paths), overlay=overlay,
                            node_cost={a["activity"]: a.get("cost_total") for a in acts}, currency=currency,
                            highlight=[b["name"] for b in p.get("bottlenecks", [])[:3]],
                            labels={a["activity"]: name(a["activity"]) for a in acts},
                            title=f"{t('map', f.lang)} · {overlay_label(overlay, f.lang)}")


def layout(store: Store, f: Filters) -> Any:
    lang = f.lang
    marks = {v: f"{int(v * 100)}%" for v in (0.0, 0.25, 0.5, 0.75, 1.0)}
    return html.Div([
        html.Div([
            html.Div([html.Label(t("activities_slider", lang)),
                      dcc.Slider(id="map-activities", min=0, max=1, step=0.05, value=1.0, marks=marks)],
                     style={"flex": 1}),
            html.Div([html.Label(t("paths_slider", lang)),
                      dcc.Slider(id="map-paths", min=0, max=1, step=0.05, value=0.8, marks=marks)],
                     style={"flex": 1}),
            dcc.RadioItems(id="map-overlay", inline=True, value="frequency",
                           options=[{"label": overlay_label(o, lang), "value": o} for o in OVERLAYS]),
        ], style={"display": "flex", "gap": "24px", "alignItems": "center"}),
        html.P(t("map_hint", lang)),
        dcc.Graph(id="map-graph", figure=figure(store, f, 1.0, 0.8, "frequency"), style={"height": "720px"}),
        html.Div(id="map-detail"),
    ])


def step_detail(store: Store, f: Filters, step: str) -> Any:
    """What a manager sees for one step: time, cost, quality, resources and deviations (all from the
    public API for the same filters)."""
    lang = f.lang
    p = process_profile(store, f)
    a = next((x for x in p.get("activities", []) if x["activity"] == step), None)
    if a is None:
        return html.P(t("no_data", lang))
    between = between_steps(p.get("time_basis"))  # sojourn time on a log without start timestamps
    cards = [card(label("activity_instances", lang), number(a["count"]), "map-d-count"),
             card(label("cases", lang), number(a["cases"]), "map-d-cases"),
             card(label("service_time", lang, stat="median"), duration(a.get("service_time_median_s"), lang),
                  "map-d-service"),
             card(label(between, lang, stat="median"), duration(a.get(f"{between}_median_s"), lang), "map-d-waiting"),
             card(label("cost", lang), money(a.get("cost_total"), a.get("cost_currency")), "map-d-cost"),
             card(label("rework_rate", lang), percent(a.get("rework_rate")), "map-d-rework")]
    c = conformance(store, f.process, f) if f.process else None
    dev = next((s for s in (c or {}).get("steps", []) if s["activity"] == step), None)
    if dev is not None:
        cards += [card(t("skipped", lang), number(dev["skipped"]), "map-d-skipped"),
                  card(t("inserted", lang), number(dev["inserted"]), "map-d-inserted")]
    work = metric(store, f, "workload", "activity")
    work = work[work["activity"] == step].head(10)
    rows = [{"resource": str(r["resource"]), "instances": number(r["instances"]), "share": percent(r["share"])}
            for r in work.to_dict("records")]
    cols = [("resource", t("resource", lang)), ("instances", label("activity_instances", lang)),
            ("share", t("workload_share", lang))]
    return html.Div([html.H3(labeller(f.process, lang)(step), id="map-d-title"), html.Div(cards, className="fm-cards"),
                     table("map-d-resources", cols, rows, page_size=10)])


def register(app: Dash, store: Store) -> None:
    @app.callback(Output("map-graph", "figure"), Input("map-activities", "value"), Input("map-paths", "value"),
                  Input("map-overlay", "value"), State("url", "search"), prevent_initial_call=True)
    def on_change(activities: Any, paths: Any, overlay: Any, search: str | None) -> Any:
        ok = all(isinstance(v, int | float) and round(float(v), 2) in STEPS for v in (activities, paths))
        if not ok or overlay not in OVERLAYS:
            return no_update  # not a value this page offered
        f = filters_of(store, search)
        return figure(store, f, round(float(activities), 2), round(float(paths), 2), overlay)

    @app.callback(Output("map-detail", "children"), Input("map-graph", "clickData"), State("url", "search"),
                  prevent_initial_call=True)
    def on_click(click: Any, search: str | None) -> Any:
        f = filters_of(store, search)
        step = clicked_step(click)
        steps = {a["activity"] for a in process_profile(store, f).get("activities", [])}
        if step is None or step not in steps:
            return no_update  # not a step of this map (a forged click)
        return step_detail(store, f, step)


def clicked_step(click: Any) -> str | None:
    """The activity name of a click on a node (its ``customdata`` is [name, count]), else None."""
    try:
        data = click["points"][0]["customdata"]
    except (KeyError, IndexError, TypeError):
        return None
    return data[0] if isinstance(data, list) and len(data) == 2 and isinstance(data[0], str) else None
