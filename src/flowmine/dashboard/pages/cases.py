"""Variants and cases: pick a variant, see its slowest cases, open one case's timeline."""

from __future__ import annotations

from typing import Any

from dash import Dash, Input, Output, State, dcc, html, no_update

from flowmine.dashboard._components import plot_text, table
from flowmine.dashboard._data import case_events, filters_of, labeller, process_variants, variant_cases
from flowmine.dashboard._i18n import t
from flowmine.dashboard._state import Filters
from flowmine.store import Store
from flowmine.vocabulary import duration, label, number

PATH = "/cases"
TITLE_KEY = "cases_page"


def timeline(events: Any, lang: str, name: Any = str) -> dict[str, Any]:
    """One bar per activity instance from its start (or completion) to its completion (a plain figure dict);
    an open instance (``running``) is drawn dashed to the end of the log (``shown_end``)."""
    traces = []
    for rec in events.to_dict("records"):
        end = rec.get("shown_end", rec["time:timestamp"])
        start = rec.get("start_timestamp")
        start = end if start is None or start != start else start
        running = bool(rec.get("running", False))
        traces.append({"type": "scatter", "x": [start, end], "y": [plot_text(name(rec["concept:name"]))] * 2,
                       "mode": "lines+markers", "line": {"width": 8, "dash": "dot"} if running else {"width": 8},
                       "name": plot_text(rec.get("org:resource") or ""), "showlegend": False})
    return {"data": traces, "layout": {"height": 120 + 30 * len(events),
                                       "margin": {"l": 220, "r": 10, "t": 20, "b": 40},
                                       "yaxis": {"autorange": "reversed"}}}


def layout(store: Store, f: Filters) -> Any:
    lang = f.lang
    vs = process_variants(store, f)
    name = labeller(f.process, lang)
    options = [{"label": f"{number(r['cases'])} × {name(str(r['variant']))[:120]}", "value": str(r["variant"])}
               for r in vs.head(100).to_dict("records")]
    return html.Div([
        html.Label(t("variant", lang)),
        dcc.Dropdown(id="cases-variant", options=options, value=options[0]["value"] if options else None,
                     clearable=False),
        html.Div(id="cases-list"),
        html.Label(t("case", lang)), dcc.Dropdown(id="cases-case", options=[], clearable=True),
        html.Div(id="cases-timeline"),
    ])


def register(app: Dash, store: Store) -> None:
    @app.callback(Output("cases-list", "children"), Output("cases-case", "options"),
                  Input("cases-variant", "value"), State("url", "search"))
    def on_variant(variant: Any, search: str | None) -> tuple[Any, Any]:
        f = filters_of(store, search)
        offered = set(process_variants(store, f)["variant"].astype(str).head(100))
        if not isinstance(variant, str) or variant not in offered:
            return no_update, no_update  # not a value this page offered
        cases = variant_cases(store, f, variant).head(200)
        rows = [{"case": str(r["case"]), "throughput": duration(r["throughput_s"], f.lang),
                 "start": str(r["start"])[:19], "end": str(r["end"])[:19]} for r in cases.to_dict("records")]
        cols = [("case", t("case", f.lang)), ("throughput", label("throughput_time", f.lang)),
                ("start", t("start", f.lang)), ("end", t("end", f.lang))]
        return table("cases-table", cols, rows), [{"label": r["case"], "value": r["case"]} for r in rows]

    @app.callback(Output("cases-timeline", "children"), Input("cases-case", "value"),
                  State("cases-case", "options"), State("url", "search"))
    def on_case(case: Any, options: Any, search: str | None) -> Any:
        if not case:
            return ""
        if not isinstance(case, str) or case not in {o["value"] for o in options or []}:
            return no_update
        f = filters_of(store, search)
        assert f.process is not None
        return dcc.Graph(id="cases-gantt", figure=timeline(case_events(store, f.process, case), f.lang,
                                                          labeller(f.process, f.lang)))
