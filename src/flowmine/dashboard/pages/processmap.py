"""Process map: the directly-follows map laid out by Graphviz dot (boxes, edges routed around them),
activity and path sliders, a frequency, performance or cost overlay with a selectable statistic, the
profile's bottlenecks outlined in red, and the detail of a clicked step or path beside the map.

The layout is computed once from the full log, so nodes and routes stay where they are when sliders or
filters move. Slider, overlay, statistic and clicked values are checked against what the page offers.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

from dash import Dash, Input, Output, State, dcc, html, no_update

from flowmine.dashboard import _card_view
from flowmine.dashboard._components import card, table
from flowmine.dashboard._data import (
    conformance,
    filters_of,
    labeller,
    metric,
    process_map_of,
    process_profile,
    single_flight,
    step_factors,
    version,
)
from flowmine.dashboard._i18n import plotly_config, t, timed
from flowmine.dashboard._notions import notion_links
from flowmine.dashboard._state import Filters
from flowmine.store import Store
from flowmine.vocabulary import between_steps, duration, label, money, number, percent

PATH = "/map"
TITLE_KEY = "map"
STEPS = tuple(round(i / 20, 2) for i in range(21))  # 0, 0.05, ..., 1
OVERLAYS = ("frequency", "performance", "cost")
#: The statistics each overlay offers, the default first (medians, as every other page shows).
STATISTICS = {"frequency": ("absolute", "cases"), "performance": ("median", "mean", "total", "max"),
              "cost": ("absolute", "cases")}
START_NODE, END_NODE = "▶ start", "■ end"  # flowmine.discovery's virtual nodes


def overlay_label(overlay: str, lang: str) -> str:
    """The overlay's name: the cost overlay is the vocabulary's cost, the others are the page's words."""
    if overlay == "cost":
        return label("cost", lang)
    return t("map_performance" if overlay == "performance" else overlay, lang)


def statistic_options(overlay: str, lang: str) -> list[dict[str, str]]:
    return [{"label": t(f"map_stat_{s}", lang), "value": s} for s in STATISTICS.get(overlay, ())]


def figure(store: Store, f: Filters, activities: float, paths: float, overlay: str,
           statistic: str | None = None) -> Any:
    """The map figure for the filters, slider positions, overlay and statistic (cached like its data)."""
    assert f.process is not None
    stat = statistic or STATISTICS[overlay][0]
    return _figure(str(store.path), version(store, f.process), replace(f, refused=(), view=()), activities, paths,
                   overlay, stat)


@single_flight(maxsize=256)
def _figure(store_path: str, ver: str, f: Filters, activities: float, paths: float, overlay: str, stat: str) -> Any:
    from flowmine.discovery import process_map_spec

    store = Store(store_path, create=False)
    p = process_profile(store, f)
    acts = p.get("activities", [])
    name = labeller(f.process, f.lang)
    currency = next((a.get("cost_currency") for a in acts if a.get("cost_currency")), None)
    service = metric(store, f, "service_time", "activity")
    node_time = {str(r["activity"]): {"total": r["total_s"], "mean": r["mean_s"], "median": r["median_s"],
                                      "max": r["max_s"]} for r in service.to_dict("records")}
    return process_map_spec(process_map_of(store, f, activities, paths), overlay=overlay, statistic=stat,
                            node_cost={a["activity"]: a.get("cost_total") for a in acts}, currency=currency,
                            highlight=[b["name"] for b in p.get("bottlenecks", [])[:3]],
                            labels={a["activity"]: name(a["activity"]) for a in acts}, node_time=node_time,
                            time_basis=p.get("time_basis"), lang=f.lang,
                            title=timed(f"{t('map', f.lang)} · {overlay_label(overlay, f.lang)}",
                                        f.time if overlay == "performance" else None, f.lang))


def graph_height(spec: Any) -> int:
    """Pixels for the map at about one pixel per point (at most 1.15) in a ~760 px wide column: the labels
    fit their boxes and no empty band is left above or below."""
    xr, yr = spec["layout"]["xaxis"]["range"], spec["layout"]["yaxis"]["range"]
    width, height = max(1.0, xr[1] - xr[0]), max(1.0, yr[1] - yr[0])
    scale = min(1.15, 760.0 / width)
    return int(max(360, min(1600, height * scale + 70)))


def routed(store: Store, f: Filters) -> bool:
    """Whether the map's layout came from Graphviz dot (edges routed around the boxes)."""
    geometry = process_map_of(store, f, 1.0, 1.0).geometry
    return geometry is not None and geometry.engine == "dot"


def file_name(process: str | None) -> str:
    """The export's file name: ``flowmine-map-<process>`` (letters, digits, ``-`` and ``_`` only)."""
    return "flowmine-map-" + re.sub(r"[^A-Za-z0-9_-]+", "_", process or "process")


def settings(f: Filters) -> tuple[float, float, str, str]:
    """The map's settings from the URL (``acts``, ``paths``, ``overlay``, ``stat``), each one the page
    offers, else its default: a shared link shows the map as it was."""
    shares = [str(v) for v in STEPS]
    overlay = f.setting("overlay", OVERLAYS, "frequency")
    return (float(f.setting("acts", shares, "1.0")), float(f.setting("paths", shares, "0.8")), overlay,
            f.setting("stat", STATISTICS[overlay], STATISTICS[overlay][0]))


def with_settings(f: Filters, activities: float, paths: float, overlay: str, statistic: str) -> Filters:
    """The filters with the map's settings in ``view`` (the defaults left out of the URL)."""
    default = (1.0, 0.8, "frequency", STATISTICS[overlay][0])
    chosen = (activities, paths, overlay, statistic)
    view = tuple((k, str(v)) for k, v, d in zip(("acts", "paths", "overlay", "stat"), chosen, default, strict=True)
                 if v != d)
    return replace(f, view=view, refused=())


def layout(store: Store, f: Filters) -> Any:
    lang = f.lang
    marks = {v: f"{int(v * 100)}%" for v in (0.0, 0.25, 0.5, 0.75, 1.0)}
    acts, paths, overlay, stat = settings(f)
    spec = figure(store, f, acts, paths, overlay, stat)
    config: Any = {"displaylogo": False, "scrollZoom": True,
              "toImageButtonOptions": {"format": "svg", "filename": file_name(f.process)}}
    return html.Div([
        html.Div([
            html.Div([html.Label(t("activities_slider", lang)),
                      dcc.Slider(id="map-activities", min=0, max=1, step=0.05, value=acts, marks=marks)],
                     style={"flex": 1}),
            html.Div([html.Label(t("paths_slider", lang)),
                      dcc.Slider(id="map-paths", min=0, max=1, step=0.05, value=paths, marks=marks)],
                     style={"flex": 1}),
            dcc.RadioItems(id="map-overlay", inline=True, value=overlay,
                           options=[{"label": overlay_label(o, lang), "value": o} for o in OVERLAYS]),
            html.Div([html.Label(t("map_statistic", lang)),
                      dcc.RadioItems(id="map-statistic", inline=True, value=stat,
                                     options=statistic_options(overlay, lang))]),
            html.Button(t("map_export_svg", lang), id="map-svg", n_clicks=0),
            html.Button(t("map_export_png", lang), id="map-png", n_clicks=0),
        ], style={"display": "flex", "gap": "18px", "alignItems": "center", "flexWrap": "wrap"}),
        html.P(t("map_hint", lang)),
        notion_links(store, f, PATH, "map-notions"),
        *([html.P(t("map_no_dot", lang), id="map-notice", className="fm-notice")] if not routed(store, f) else []),
        dcc.Store(id="map-file", data=file_name(f.process)),
        html.Span(id="map-scrolled", style={"display": "none"}),
        html.Span(id="map-exported", style={"display": "none"}),
        html.Div([
            dcc.Graph(id="map-graph", figure=spec, config=plotly_config(lang, config),
                      style={"height": f"{graph_height(spec)}px", "flex": "3 1 0", "minWidth": "0"}),
            html.Div(html.P(t("map_click_hint", lang)), id="map-detail",
                     style={"flex": "2 1 0", "minWidth": "280px", "position": "sticky", "top": "8px",
                            "alignSelf": "flex-start", "maxHeight": "95vh", "overflowY": "auto"}),
        ], style={"display": "flex", "gap": "16px", "alignItems": "flex-start"}),
    ])


def filter_link(f: Filters, key: str, value: str) -> str:
    """The map with the current filters and one more (``has=<step>``, ``df=<A> → <B>``, ``start``/``end``)."""
    return f"{PATH}{f.query()}&{urlencode([(key, value)])}"


def step_detail(store: Store, f: Filters, step: str) -> Any:
    """What a manager sees for one step: time, cost, quality, resources and deviations (all from the
    public API for the same filters), and a link to these cases."""
    lang = f.lang
    p = process_profile(store, f)
    a = next((x for x in p.get("activities", []) if x["activity"] == step), None)
    if a is None:
        return html.P(t("no_data", lang))
    between = between_steps(p.get("time_basis"))  # sojourn time on a log without start timestamps
    cards = [card(label("activity_instances", lang), number(a["count"]), "map-d-count"),
             card(label("cases", lang), number(a["cases"]), "map-d-cases"),
             card(timed(label("service_time", lang, stat="median"), f.time, lang),
                  duration(a.get("service_time_median_s"), lang), "map-d-service"),
             card(timed(label(between, lang, stat="median"), f.time, lang),
                  duration(a.get(f"{between}_median_s"), lang), "map-d-waiting"),
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
    name = labeller(f.process, lang)
    card_link = f"/steps{f.query()}&{urlencode([('card', step)])}"
    return html.Div([html.H3(name(step), id="map-d-title"),
                     html.A(t("map_filter_cases", lang), href=filter_link(f, "has", step), id="map-d-filter"),
                     " · ", html.A(t("card_open", lang), href=card_link, id="map-d-card"),
                     html.Div(cards, className="fm-cards"), table("map-d-resources", cols, rows, page_size=10),
                     html.H4(t("card_factors", lang).format(measure=label(between, lang))),
                     dcc.Store(id="map-d-step", data=step),  # the factors load in their own callback
                     dcc.Loading(html.Div(id="map-d-factors-box"), delay_show=300)])


def step_factors_view(store: Store, f: Filters, step: str) -> Any:
    """The top three influencing factors of a step's time, as the card's grid."""
    return _card_view.factor_table("map-d-factors", step_factors(store, f, step)[:3], "median", f.lang, f,
                                   labeller(f.process, f.lang))


def edge_detail(store: Store, f: Filters, edge: dict[str, Any], time_basis: str | None) -> Any:
    """What a manager sees for one path of the map: how often, in how many cases, and the time between
    the two steps (median, mean, P90, maximum) as the map computed it, and a link to these cases."""
    lang = f.lang
    name = labeller(f.process, lang)
    s, e = str(edge["source"]), str(edge["target"])
    between = between_steps(time_basis)
    shown = {START_NODE: f"▶ {t('map_start', lang)}", END_NODE: f"■ {t('map_end', lang)}"}
    title = f"{shown.get(s) or name(s)} → {shown.get(e) or name(e)}"
    cards = [card(t("map_times", lang), number(edge["count"]), "map-e-count"),
             card(label("cases", lang), number(edge["cases"]), "map-e-cases")]
    if s != START_NODE and e != END_NODE:
        cards += [card(timed(label(between, lang, stat=stat), f.time, lang),
                       duration(edge.get(f"duration_{stat}_s"), lang), f"map-e-{stat}")
                  for stat in ("median", "mean", "p90")]
        cards.append(card(timed(f"{t('map_stat_max', lang)} · {label(between, lang)}", f.time, lang),
                          duration(edge.get("duration_max_s"), lang), "map-e-max"))
    if s == START_NODE:
        link = filter_link(f, "start", e)
    elif e == END_NODE:
        link = filter_link(f, "end", s)
    else:
        link = filter_link(f, "df", f"{s} → {e}")
    return html.Div([html.H3(title, id="map-d-title"),
                     html.A(t("map_filter_cases", lang), href=link, id="map-d-filter"),
                     html.Div(cards, className="fm-cards")])


def _sliders_ok(activities: Any, paths: Any) -> bool:
    return all(isinstance(v, int | float) and not isinstance(v, bool) and round(float(v), 2) in STEPS
               for v in (activities, paths))


def register(app: Dash, store: Store) -> None:
    @app.callback(Output("map-statistic", "options"), Output("map-statistic", "value"),
                  Input("map-overlay", "value"), State("url", "search"), prevent_initial_call=True)
    def on_overlay(overlay: Any, search: str | None) -> Any:
        """The statistics of the chosen overlay; the address's statistic when the overlay offers it (the
        address changed first: browser back), else the overlay's default."""
        if overlay not in OVERLAYS:
            return no_update, no_update
        f = filters_of(store, search)
        return statistic_options(overlay, f.lang), f.setting("stat", STATISTICS[overlay], STATISTICS[overlay][0])

    @app.callback(Output("map-activities", "value", allow_duplicate=True),
                  Output("map-paths", "value", allow_duplicate=True),
                  Output("map-overlay", "value", allow_duplicate=True),
                  Output("map-statistic", "value", allow_duplicate=True),
                  Input("url", "search"), State("map-activities", "value"), State("map-paths", "value"),
                  State("map-overlay", "value"), State("map-statistic", "value"), prevent_initial_call=True)
    def from_address(search: Any, *shown: Any) -> Any:
        """The controls follow the address when only the map's settings in it changed (browser back or
        forward after a slider move: the shell keeps the page, so the controls must move back themselves);
        a control already showing the address's value is left alone (no second drawing of the map)."""
        if not (search is None or isinstance(search, str)):
            return (no_update,) * 4
        wanted = settings(filters_of(store, search))
        return tuple(no_update if w == s else w for w, s in zip(wanted, shown, strict=True))

    @app.callback(Output("map-graph", "figure"), Output("url", "search", allow_duplicate=True),
                  Input("map-activities", "value"), Input("map-paths", "value"),
                  Input("map-overlay", "value"), Input("map-statistic", "value"), State("url", "search"),
                  prevent_initial_call=True)
    def on_change(activities: Any, paths: Any, overlay: Any, statistic: Any, search: str | None) -> Any:
        if not _sliders_ok(activities, paths) or overlay not in OVERLAYS or not isinstance(statistic, str) \
                or statistic not in STATISTICS[overlay]:
            return no_update, no_update  # not a value this page offered (or a statistic of the overlay before)
        f = filters_of(store, search)
        acts, paths = round(float(activities), 2), round(float(paths), 2)
        query = with_settings(f, acts, paths, overlay, statistic).query()  # shared links keep the map's settings
        return (figure(store, f, acts, paths, overlay, statistic),
                query if query != with_settings(f, *settings(f)).query() else no_update)

    @app.callback(Output("map-detail", "children"), Input("map-graph", "clickData"), State("url", "search"),
                  State("map-activities", "value"), State("map-paths", "value"), prevent_initial_call=True)
    def on_click(click: Any, search: str | None, activities: Any, paths: Any) -> Any:
        f = filters_of(store, search)
        step = clicked_step(click)
        if step is not None:
            steps = {a["activity"] for a in process_profile(store, f).get("activities", [])}
            return step_detail(store, f, step) if step in steps else no_update  # a forged click: not a step
        pair = clicked_edge(click)
        if pair is None or not _sliders_ok(activities, paths) or f.process is None:
            return no_update
        edges = process_map_of(store, f, round(float(activities), 2), round(float(paths), 2)).edges
        row = edges[(edges["source"] == pair[0]) & (edges["target"] == pair[1])]
        if row.empty:
            return no_update  # not a path of the map the page shows
        return edge_detail(store, f, row.iloc[0].to_dict(), process_profile(store, f).get("time_basis"))

    @app.callback(Output("map-d-factors-box", "children"), Input("map-d-step", "data"), State("url", "search"))
    def on_step_factors(step: Any, search: str | None) -> Any:
        f = filters_of(store, search)
        if f.process is None or not isinstance(step, str):
            return no_update
        if step not in {a["activity"] for a in process_profile(store, f).get("activities", [])}:
            return no_update  # a forged step
        return step_factors_view(store, f, step)

    app.clientside_callback(  # the detail in view (beside the map on wide screens, below it on narrow ones)
        "function(c){var e=document.getElementById('map-detail');"
        "if(e&&e.scrollIntoView){e.scrollIntoView({block:'nearest'});}return '';}",
        Output("map-scrolled", "children"), Input("map-detail", "children"), prevent_initial_call=True)
    app.clientside_callback(
        "function(a,b,name){var t=window.dash_clientside.callback_context.triggered;"
        "var gd=document.querySelector('#map-graph .js-plotly-plot');if(!gd||!t||!t.length||!window.Plotly)"
        "{return '';}var fmt=t[0].prop_id.indexOf('map-png')===0?'png':'svg';"
        "window.Plotly.downloadImage(gd,{format:fmt,filename:name,width:gd.offsetWidth,height:gd.offsetHeight});"
        "return fmt;}",
        Output("map-exported", "children"), Input("map-svg", "n_clicks"), Input("map-png", "n_clicks"),
        State("map-file", "data"), prevent_initial_call=True)


def clicked_step(click: Any) -> str | None:
    """The activity name of a click on a node (its ``customdata`` is [name, count]), else None."""
    try:
        data = click["points"][0]["customdata"]
    except (KeyError, IndexError, TypeError):
        return None
    return data[0] if isinstance(data, list) and len(data) == 2 and isinstance(data[0], str) else None


def clicked_edge(click: Any) -> tuple[str, str] | None:
    """(source, target) of a click on an edge's label point (``customdata`` [source, target, count,
    value]), else None."""
    try:
        data = click["points"][0]["customdata"]
    except (KeyError, IndexError, TypeError):
        return None
    if isinstance(data, list) and len(data) == 4 and all(isinstance(x, str) for x in data[:2]):
        return data[0], data[1]
    return None
