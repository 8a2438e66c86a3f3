"""Bottlenecks: steps and transitions ranked by the waiting they add, with intervals and support.

On a log without start timestamps the time between steps is the sojourn time, and the page says so
(:func:`flowmine.vocabulary.between_steps` of the profile's ``time_basis``)."""

from __future__ import annotations

from typing import Any

from dash import Dash, Input, Output, State, dcc, html, no_update

from flowmine.dashboard._components import plot_text, table
from flowmine.dashboard._data import filters_of, labeller, process_profile, slowest
from flowmine.dashboard._i18n import t
from flowmine.dashboard._state import Filters
from flowmine.store import Store
from flowmine.vocabulary import between_steps, duration, label, number, percent

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


def figure(p: dict[str, Any], lang: str) -> dict[str, Any]:
    """The bottlenecks' total waiting (sojourn) time with confidence intervals (a plain figure dict)."""
    bs = list(reversed(p.get("bottlenecks", [])))
    name = labeller(p.get("process"), lang)
    hours = [b["waiting_total_s"] / 3600 for b in bs]
    err_lo = [max(0.0, (b["waiting_total_s"] - (b.get("ci_low_s") or b["waiting_total_s"])) / 3600) for b in bs]
    err_hi = [max(0.0, ((b.get("ci_high_s") or b["waiting_total_s"]) - b["waiting_total_s"]) / 3600) for b in bs]
    unit = " (h)" if lang == "en" else "（小时）"
    return {"data": [{"type": "bar", "x": hours, "y": [plot_text(name(b["name"])) for b in bs], "orientation": "h",
                      "error_x": {"type": "data", "array": err_hi, "arrayminus": err_lo}}],
            "layout": {"xaxis": {"title": {"text": total_label(p, lang) + unit}},
                       "height": 120 + 28 * len(bs), "margin": {"l": 260, "r": 10, "t": 20, "b": 40}}}


def total_label(p: dict[str, Any], lang: str) -> str:
    """"Total waiting time", or "Total sojourn time" on a log without start timestamps."""
    return label(between_steps(p.get("time_basis")), lang, stat="total")


def layout(store: Store, f: Filters) -> Any:
    p = process_profile(store, f)
    lang = f.lang
    name = labeller(f.process, lang)
    cols = [("rank", "#"), ("kind", t("kind", lang)), ("name", t("name", lang)),
            ("waiting", total_label(p, lang)), ("share", label("throughput_share", lang)),
            ("cases", label("cases", lang)),
            ("ci", t("ci", lang)), ("median", t("median", lang)), ("p90", t("p90", lang))]
    options = [{"label": name(b["name"]), "value": f"{b['kind']}|{b['name']}"} for b in p.get("bottlenecks", [])]
    between = label(between_steps(p.get("time_basis")), lang)
    intro = t("bn_intro", lang).format(what=between.lower() if lang == "en" else between)
    return html.Div([html.P(intro, id="bn-intro"), dcc.Graph(id="bn-chart", figure=figure(p, lang)),
                     table("bn-table", cols, rows(p, lang)),
                     html.H3(t("slowest", lang)),
                     dcc.Dropdown(id="bn-step", options=options, value=options[0]["value"] if options else None,
                                  clearable=False),
                     html.Div(id="bn-cases")])


def register(app: Dash, store: Store) -> None:
    @app.callback(Output("bn-cases", "children"), Input("bn-step", "value"), State("url", "search"))
    def on_step(value: Any, search: str | None) -> Any:
        f = filters_of(store, search)
        offered = {f"{b['kind']}|{b['name']}" for b in process_profile(store, f).get("bottlenecks", [])}
        if not isinstance(value, str) or value not in offered:
            return no_update  # not a value this page offered
        kind, step = value.split("|", 1)
        cases = slowest(store, f, step, kind)
        lang = f.lang
        p = process_profile(store, f)
        rows = [{"case": str(r["case"]), "waiting": duration(r["waiting_s"], lang),
                 "instances": number(r["instances"]), "throughput": duration(r["throughput_s"], lang)}
                for r in cases.to_dict("records")]
        cols = [("case", t("case", lang)), ("waiting", total_label(p, lang)),
                ("instances", label("activity_instances", lang)), ("throughput", label("throughput_time", lang))]
        return table("bn-slowest", cols, rows)
