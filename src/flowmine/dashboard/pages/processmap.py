"""Process map: the directly-follows map with activity and path sliders, frequency or performance overlay.

The layout is computed once from the full log, so nodes stay where they are when sliders or filters
move. Slider and overlay values are checked against what the page offers.
"""

from __future__ import annotations

from typing import Any

from dash import Dash, Input, Output, State, dcc, html, no_update

from flowmine.dashboard import _state
from flowmine.dashboard._data import process_map_of
from flowmine.dashboard._i18n import t
from flowmine.dashboard._state import Filters
from flowmine.store import Store

PATH = "/map"
TITLE_KEY = "map"
STEPS = tuple(round(i / 20, 2) for i in range(21))  # 0, 0.05, ..., 1
OVERLAYS = ("frequency", "performance")


def figure(store: Store, f: Filters, activities: float, paths: float, overlay: str) -> Any:
    from flowmine.discovery import process_map_figure

    return process_map_figure(process_map_of(store, f, activities, paths), overlay=overlay)


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
                           options=[{"label": t(o, lang), "value": o} for o in OVERLAYS]),
        ], style={"display": "flex", "gap": "24px", "alignItems": "center"}),
        dcc.Graph(id="map-graph", figure=figure(store, f, 1.0, 0.8, "frequency"), style={"height": "720px"}),
    ])


def register(app: Dash, store: Store) -> None:
    @app.callback(Output("map-graph", "figure"), Input("map-activities", "value"), Input("map-paths", "value"),
                  Input("map-overlay", "value"), State("url", "search"), prevent_initial_call=True)
    def on_change(activities: Any, paths: Any, overlay: Any, search: str | None) -> Any:
        ok = all(isinstance(v, int | float) and round(float(v), 2) in STEPS for v in (activities, paths))
        if not ok or overlay not in OVERLAYS:
            return no_update  # not a value this page offered
        f = _state.parse(search, store.processes())
        return figure(store, f, round(float(activities), 2), round(float(paths), 2), overlay)
