"""One case (``/case?process=<p>&case=<id>``): its timeline (one bar per activity instance, the waits
between them shaded and labelled), its attributes, its deviations from the reference model and the
business rules it breaks.

The case id comes from the address and is only ever a query parameter of the public API
(``flowmine.analytics.case_table(log, case=id)``, ``case_timeline``); an id the process does not hold
gives a notice. The page's content depends on the ``case`` key, which the global filters do not carry,
so the layout is a placeholder that a callback on the address fills.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

import pandas as pd
from dash import Dash, Input, Output, dcc, html, no_update

from flowmine.dashboard._case_data import CaseView, case_view
from flowmine.dashboard._components import card, in_zone, local_time, plot_text, table, zone_label
from flowmine.dashboard._data import filters_of, labeller, zone_of
from flowmine.dashboard._i18n import plotly_config, t, timed
from flowmine.dashboard._state import Filters
from flowmine.store import Store
from flowmine.vocabulary import duration, label, number, ratio

PATH = "/case"
TITLE_KEY = "case_page"
CACHE = False  # the content follows the ``case`` key: the callback below renders it
NAV = False  # reached from a case id, not from the navigation bar
#: Longest case id looked up (a longer one cannot be a case: the notice says so).
MAX_ID = 500
#: Colours of the resources' bars (cycled), and of an instance without a resource.
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22")
NO_RESOURCE = "#7b8794"
GAP_COLOUR = "rgba(180, 83, 9, 0.18)"


def _axis(ts: pd.Timestamp) -> str:
    """A time as the date axis reads it (wall-clock time without a zone: the axis names the zone)."""
    return ts.strftime("%Y-%m-%d %H:%M:%S.%f")


def _shown(ts: pd.Timestamp | None, zone: str) -> str:
    return "" if ts is None else ts.strftime("%Y-%m-%d %H:%M:%S") + f" {zone}"


def timeline_figure(events: Any, lang: str, name: Any = str, waits: Any = None, zone: str = "UTC",
                    time: str | None = None) -> dict[str, Any]:
    """The case's timeline as a plain figure dict: one row per activity instance (in the canonical
    order), a horizontal bar from its start to its completion in its resource's colour (an open
    instance hatched to the end of the log, an instance without a start a thin marker at its
    completion), and each wait (``flowmine.analytics.case_waits``) a shaded band labelled with its
    duration. Every label is text."""
    recs = events.to_dict("records")
    resources = list(dict.fromkeys(str(r.get("org:resource") or "") for r in recs))
    colour = {res: (PALETTE[i % len(PALETTE)] if res else NO_RESOURCE) for i, res in enumerate(resources)}
    bars: dict[str, dict[str, Any]] = {}
    marks: dict[str, list[Any]] = {"x": [], "y": [], "text": [], "color": []}
    ticks = []
    for i, rec in enumerate(recs):
        act, res = name(str(rec["concept:name"])), str(rec.get("org:resource") or "")
        ticks.append(plot_text(f"{i + 1}. {act}"))
        start, done = in_zone(rec.get("start_timestamp"), zone), in_zone(rec.get("time:timestamp"), zone)
        end = in_zone(rec.get("shown_end"), zone) or done
        running = bool(rec.get("running", False))
        hover = "<br>".join(plot_text(x) for x in (
            act, f"{t('resource', lang)}: {res or '—'}",
            f"{t('start', lang)}: {_shown(start, zone) if start is not None else t('case_no_start', lang)}",
            f"{t('case_complete', lang)}: {_shown(done, zone) if done is not None else t('case_running', lang)}"))
        if start is None or end is None:
            at = done or start
            if at is not None:
                marks["x"].append(_axis(at))
                marks["y"].append(i)
                marks["text"].append(hover)
                marks["color"].append(colour[res])
            continue
        bar = bars.setdefault(res, {"type": "bar", "orientation": "h", "base": [], "x": [], "y": [],
                                    "hovertext": [], "hoverinfo": "text", "name": plot_text(res or "—"),
                                    "marker": {"color": colour[res], "pattern": {"shape": []}},
                                    "width": 0.6})
        bar["base"].append(_axis(start))
        bar["x"].append(max((end - start).total_seconds() * 1000.0, 0.0))
        bar["y"].append(i)
        bar["hovertext"].append(hover)
        bar["marker"]["pattern"]["shape"].append("/" if running else "")
    data: list[dict[str, Any]] = list(bars.values())
    if marks["x"]:
        data.append({"type": "scatter", "mode": "markers", "x": marks["x"], "y": marks["y"], "hovertext": marks["text"],
                     "hoverinfo": "text", "showlegend": False, "name": "instant",
                     "marker": {"symbol": "line-ns-open", "size": 22, "line": {"width": 4, "color": marks["color"]},
                                "color": marks["color"]}})
    shapes, notes = _gaps(waits, lang, zone, time)
    return {"data": data, "layout": {
        "height": 140 + 34 * len(recs), "margin": {"l": 240, "r": 20, "t": 20, "b": 50}, "barmode": "overlay",
        "xaxis": {"type": "date", "title": {"text": zone_label(zone, lang)}},
        "yaxis": {"tickvals": list(range(len(recs))), "ticktext": ticks, "range": [len(recs) - 0.5, -0.5]},
        "shapes": shapes, "annotations": notes, "legend": {"title": {"text": t("resource", lang)}}}}


def _gaps(waits: Any, lang: str, zone: str = "UTC", time: str | None = None
          ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    shapes, notes = [], []
    for w in ([] if waits is None else waits.to_dict("records")):
        lo, hi, row = in_zone(w["from"], zone), in_zone(w["to"], zone), int(w["position"])
        assert lo is not None and hi is not None
        shapes.append({"type": "rect", "xref": "x", "yref": "y", "x0": _axis(lo), "x1": _axis(hi),
                       "y0": row - 0.45, "y1": row + 0.45, "fillcolor": GAP_COLOUR, "line": {"width": 0},
                       "layer": "below"})
        word = t("case_sojourn" if w["sojourn"] else "case_wait", lang)
        notes.append({"x": _axis(lo + (hi - lo) / 2), "y": row, "xref": "x", "yref": "y", "showarrow": False,
                      "text": plot_text(timed(f"{word} {duration(w['wait_s'], lang)}", time, lang)),
                      "font": {"size": 10},
                      "yshift": 14})
    return shapes, notes


def layout(store: Store, f: Filters) -> Any:
    from flowmine.dashboard.pages.cases import PATH as CASES

    return html.Div([dcc.Link(t("case_back", f.lang), href=CASES + f.query(), id="case-back"),
                     html.Div(id="case-body")])


def case_of(search: str | None) -> str | None:
    """The ``case`` key of the address (None when absent)."""
    values = parse_qs((search or "").lstrip("?")).get("case")
    return values[0] if values else None


def _summary(view: CaseView, f: Filters, zone: str = "UTC") -> Any:
    row, lang = view.row, f.lang
    name = labeller(f.process, lang)
    cards = [card(f"{t('start', lang)} ({zone_label(zone, lang)})", local_time(row["start"], zone), "case-start"),
             card(f"{t('end', lang)} ({zone_label(zone, lang)})", local_time(row["end"], zone), "case-end"),
             card(timed(label("throughput_time", lang), f.time, lang), duration(row["throughput_s"], lang),
                  "case-throughput"),
             card(label("events", lang), number(row["events"]), "case-events"),
             card(label("cost", lang), number(row["cost"], 2) if row["cost"] == row["cost"] else "—", "case-cost")]
    if view.fitness is not None:
        cards.append(card(label("fitness", lang), ratio(view.fitness), "case-fitness"))
    return html.Div([html.Div(cards, className="fm-cards"),
                     html.P([html.Strong(t("variant", lang) + ": "), name(str(row["variant"]))], id="case-variant")])


def _conformance(view: CaseView, f: Filters) -> Any:
    lang = f.lang
    if view.deviations is None:
        return html.P(t("no_reference", lang), id="case-no-model")
    name = labeller(f.process, lang)
    devs = [d.split(": ", 1) for d in view.deviations]
    dev_rows = [{"deviation": t(kind, lang) if kind in ("skipped", "inserted", "out_of_order") else kind,
                 "activity": name(act)} for kind, act in (d if len(d) == 2 else ("", d[0]) for d in devs)]
    rules = view.rules or []
    return html.Div([
        html.H4(t("case_deviations", lang)),
        table("case-devs", [("deviation", t("deviation", lang)), ("activity", t("activity", lang))], dev_rows,
              f=f, page="case-deviations")
        if dev_rows else html.P(t("case_no_deviation", lang), id="case-devs-none"),
        html.H4(t("case_rules_broken", lang)),
        html.Ul([html.Li(zh if lang == "zh" else en) for _, en, zh in rules], id="case-rules")
        if rules else html.P(t("case_no_rule_broken", lang), id="case-rules-none"),
    ])


def render(store: Store, search: str | None) -> Any:
    """The case page's content for the address ``search`` (a notice for a missing or unknown case)."""
    f = filters_of(store, search)
    case = case_of(search)
    if f.process is None:
        return html.P(t("no_store", f.lang))
    if not case:
        return html.P(t("case_missing", f.lang), id="case-unknown", className="fm-notice")
    view = case_view(store, f.process, case, f.time) if len(case) <= MAX_ID else None
    if view is None:
        return html.P(t("case_unknown", f.lang).format(process=f.process, case=case[:MAX_ID]), id="case-unknown",
                      className="fm-notice")
    attrs = [{"field": k.removeprefix("case:"), "value": "" if v is None or v != v else str(v)}
             for k, v in view.attributes.items()]
    zone = zone_of(store, f)
    return html.Div([
        html.H3(f"{t('case', f.lang)} {case}", id="case-title"),
        _summary(view, f, zone),
        html.H4(t("case_timeline", f.lang)),
        dcc.Graph(id="case-gantt", figure=timeline_figure(view.timeline, f.lang, labeller(f.process, f.lang),
                                                         view.waits, zone, f.time),
                  config=plotly_config(f.lang)),
        html.H4(t("case_attributes", f.lang)),
        table("case-attrs", [("field", t("case_field", f.lang)), ("value", t("case_value", f.lang))], attrs,
              f=f, page="case-attributes"),
        _conformance(view, f),
    ])


def register(app: Dash, store: Store) -> None:
    @app.callback(Output("case-body", "children"), Input("url", "search"), Input("url", "pathname"))
    def on_address(search: str | None, pathname: str | None) -> Any:
        if pathname != PATH:
            return no_update
        return render(store, search)
