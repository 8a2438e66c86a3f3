"""Bottlenecks: steps and transitions as two separate ranked lists, with intervals and support.

A step's waiting and the duration of the transition into it are much the same time, so the two are
never ranked or shared together (``flowmine.analytics.bottlenecks``): each list's share is of its own
total (all waiting at steps, or all time on transitions), and each list's shares sum to at most 100 %.
On a log without start timestamps the time between steps is the sojourn time, and the page says so
(:func:`flowmine.vocabulary.between_steps` of the profile's ``time_basis``)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from dash import Dash, Input, Output, State, ctx, dcc, html, no_update

from flowmine.dashboard._components import Column, clicked_name, excel_button, plot_text, register_excel, table
from flowmine.dashboard._data import filters_of, labeller, process_profile, slowest
from flowmine.dashboard._i18n import plotly_config, t, timed
from flowmine.dashboard._numbers import bottleneck_lists
from flowmine.dashboard._state import Filters
from flowmine.store import Store
from flowmine.vocabulary import between_steps, label

PATH = "/bottlenecks"
TITLE_KEY = "bottlenecks"
KINDS = ("activity", "edge")


def rows(items: list[dict[str, Any]], process: str | None, lang: str) -> list[dict[str, Any]]:
    """Table rows of one list (raw values: seconds, shares, counts)."""
    name = labeller(process, lang)
    return [{"rank": b["rank"], "name": name(b["name"]), "waiting": b["waiting_total_s"], "share": b.get("share"),
             "cases": b.get("cases"), "instances": b.get("instances"), "ci_low": b.get("ci_low_s"),
             "ci_high": b.get("ci_high_s"), "median": b.get("waiting_median_s"), "mean": b.get("waiting_mean_s"),
             "p90": b.get("waiting_p90_s")} for b in items]


def time_term(basis: str | None, kind: str) -> str:
    """What a list measures: the waiting (or sojourn) time at a step; a transition's duration."""
    return between_steps(basis) if kind == "activity" else "waiting_time"


def columns(basis: str | None, kind: str, lang: str, time: str | None = None) -> list[Column]:
    """The columns of one list; every statistic says which one it is (total, median, mean, P90) and, in
    business time, that it is business hours (the export's column names too)."""
    what = time_term(basis, kind)
    if kind == "edge":
        stat = {s: t(f"bn_edge_{s}", lang) for s in ("total", "median", "mean", "p90")}
    else:
        stat = {s: label(what, lang, stat=s) for s in ("total", "median", "mean", "p90")}
    stat = {s: timed(v, time, lang) for s, v in stat.items()}
    return [Column("rank", "#", "number"), Column("name", t("activity" if kind == "activity" else "bn_edge", lang)),
            Column("waiting", stat["total"], "duration"), Column("share", t("bn_share", lang), "percent"),
            Column("cases", label("cases", lang), "number"),
            Column("instances", label("activity_instances", lang) if kind == "activity" else t("bn_passes", lang),
                   "number"),
            Column("ci_low", timed(t("bn_ci_low", lang), time, lang), "duration"),
            Column("ci_high", timed(t("bn_ci_high", lang), time, lang), "duration"),
            Column("median", stat["median"], "duration"), Column("mean", stat["mean"], "duration"),
            Column("p90", stat["p90"], "duration")]


def figure(items: list[dict[str, Any]], process: str | None, title: str, lang: str) -> dict[str, Any]:
    """One list's totals (hours) with their confidence intervals (a plain figure dict)."""
    bs = list(reversed(items))
    name = labeller(process, lang)
    hours = [b["waiting_total_s"] / 3600 for b in bs]
    err_lo = [max(0.0, (b["waiting_total_s"] - (b.get("ci_low_s") or b["waiting_total_s"])) / 3600) for b in bs]
    err_hi = [max(0.0, ((b.get("ci_high_s") or b["waiting_total_s"]) - b["waiting_total_s"]) / 3600) for b in bs]
    unit = " (h)" if lang == "en" else "（小时）"
    return {"data": [{"type": "bar", "x": hours, "y": [plot_text(name(b["name"])) for b in bs], "orientation": "h",
                      "customdata": [b["name"] for b in bs],  # what a click filters on (the data's own name)
                      "error_x": {"type": "data", "array": err_hi, "arrayminus": err_lo}}],
            "layout": {"xaxis": {"title": {"text": plot_text(title + unit)}},
                       "height": 120 + 28 * len(bs), "margin": {"l": 260, "r": 10, "t": 20, "b": 40}}}


def total_label(p: dict[str, Any], lang: str) -> str:
    """"Total waiting time", or "Total sojourn time" on a log without start timestamps."""
    return label(between_steps(p.get("time_basis")), lang, stat="total")


def sheets(store: Store, f: Filters) -> list[tuple[str, list[Column], list[dict[str, Any]]]]:
    """The page's tables (the Excel export): the steps' list and the transitions' list."""
    basis = process_profile(store, f).get("time_basis")
    lists = bottleneck_lists(store, f)
    return [(t("bn_steps", f.lang), columns(basis, "activity", f.lang, f.time),
             rows(lists["activity"], f.process, f.lang)),
            (t("bn_edges", f.lang), columns(basis, "edge", f.lang, f.time), rows(lists["edge"], f.process, f.lang))]


def warm(store: Store, process: str) -> None:
    """Start-up work: the unfiltered bottleneck lists (their bootstrap over every case is the slowest)."""
    bottleneck_lists(store, Filters(process=process))


def layout(store: Store, f: Filters) -> Any:
    p = process_profile(store, f)
    lang = f.lang
    name = labeller(f.process, lang)
    basis = p.get("time_basis")
    lists = bottleneck_lists(store, f)
    between = label(between_steps(basis), lang)
    what = between.lower() if lang == "en" else between
    intro = t("bn_intro", lang).format(what=what)
    parts: list[Any] = [html.P(intro, id="bn-intro"), html.P(t("bn_lists", lang).format(what=what), id="bn-lists"),
                        excel_button("bn", lang)]
    tables: list[Any] = []
    for kind, tid, chart in (("activity", "bn-steps", "bn-chart"), ("edge", "bn-edges", "bn-chart-edges")):
        title = t("bn_steps" if kind == "activity" else "bn_edges", lang)
        cols = columns(basis, kind, lang, f.time)
        tables += [html.H3(title), dcc.Graph(id=chart, figure=figure(lists[kind], f.process, cols[2].label, lang),
                                               config=plotly_config(lang)),
                   table(tid, cols, rows(lists[kind], f.process, lang), f=f, page=f"bottlenecks-{kind}")]
    parts.append(html.Div(tables, id="bn-table"))
    options = [{"label": f"{t('activity_kind' if b['kind'] == 'activity' else 'edge_kind', lang)}: {name(b['name'])}",
                "value": f"{b['kind']}|{b['name']}"} for kind in KINDS for b in lists[kind]]
    parts += [html.H3(t("slowest", lang)),
              dcc.Dropdown(id="bn-step", options=options, value=options[0]["value"] if options else None,
                           clearable=False),
              html.Div(id="bn-cases")]
    return html.Div(parts)


def _offered(store: Store, f: Filters) -> set[str]:
    lists = bottleneck_lists(store, f)
    return {f"{b['kind']}|{b['name']}" for kind in KINDS for b in lists[kind]}


def register(app: Dash, store: Store) -> None:
    def build(search: str | None) -> tuple[Filters, Any]:
        f = filters_of(store, search)
        return f, (sheets(store, f) if f.process else [])

    register_excel(app, "bn", "bottlenecks", build)

    @app.callback(Output("url", "search", allow_duplicate=True), Input("bn-chart", "clickData"),
                  Input("bn-chart-edges", "clickData"), State("url", "search"), prevent_initial_call=True)
    def on_bar(step_click: Any, edge_click: Any, search: Any) -> Any:
        """A click on a bar filters to the cases behind it: those that contain the step, or in which the
        second step directly follows the first; anything but a bar this page drew is ignored."""
        if not (search is None or isinstance(search, str)):
            return no_update
        kind = "activity" if ctx.triggered_id == "bn-chart" else "edge"
        name = clicked_name(step_click if kind == "activity" else edge_click)
        f = filters_of(store, search)
        if f.process is None or name is None or f"{kind}|{name}" not in _offered(store, f):
            return no_update
        return replace(f, has=tuple(dict.fromkeys((*f.has, name))), refused=()).query() if kind == "activity" \
            else replace(f, df=name, refused=()).query()

    @app.callback(Output("bn-cases", "children"), Input("bn-step", "value"), State("url", "search"))
    def on_step(value: Any, search: Any) -> Any:
        if not (search is None or isinstance(search, str)):
            return no_update
        f = filters_of(store, search)
        if f.process is None or not isinstance(value, str) or value not in _offered(store, f):
            return no_update  # not a value this page offered
        kind, step = value.split("|", 1)
        cases = slowest(store, f, step, kind)
        lang = f.lang
        p = process_profile(store, f)
        found = [{"case": str(r["case"]), "waiting": r["waiting_s"], "instances": r["instances"],
                  "throughput": r["throughput_s"]} for r in cases.to_dict("records")]
        what = label(time_term(p.get("time_basis"), kind), lang, stat="total") if kind == "activity" \
            else t("bn_edge_total", lang)
        cols = [Column("case", t("case", lang), "case"), Column("waiting", timed(what, f.time, lang), "duration"),
                Column("instances", label("activity_instances", lang), "number"),
                Column("throughput", timed(label("throughput_time", lang), f.time, lang), "duration")]
        return table("bn-slowest", cols, found, f=f, page=f"bottlenecks-slowest-{step}")
