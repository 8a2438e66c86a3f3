"""Cases: every case of the filtered log in one grid, paged, sorted and searched on the server, each
case id a link to its case page; below, the slowest cases of one variant (the drill-down), capped
with a notice.

The grid is AG Grid's infinite row model: the browser asks for rows ``startRow``..``endRow`` with the
sort (``getRowsRequest``), one callback answers with those rows of ``flowmine.analytics.case_table`` and
the total (``getRowsResponse``), so a 100,000-case log never travels to the browser. The search box
sets the grid's filter model (on the case column), which makes the grid ask again from the first row.
Chosen over Dash's DataTable (``page_action="custom"``), which Dash 4 deprecates, and it needs no
client-side code of ours (the dashboard's CSP allows none).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

import dash_ag_grid as dag
from dash import Dash, Input, Output, State, dcc, html, no_update

from flowmine.dashboard._case_data import case_page
from flowmine.dashboard._components import local_time, locale_text, plot_text, table, zone_label
from flowmine.dashboard._data import case_events, filters_of, labeller, process_variants, variant_cases, zone_of
from flowmine.dashboard._i18n import elapsed_only, plotly_config, t, timed
from flowmine.dashboard._state import Filters
from flowmine.store import Store
from flowmine.vocabulary import duration, label, number

PATH = "/cases"
TITLE_KEY = "cases_page"
#: Rows per page of the case table.
PAGE_SIZE = 25
#: Longest search text accepted (a longer one is refused: the page offered no such search).
MAX_SEARCH = 200
#: Cases of one variant listed in the drill-down (the page says so when a variant has more).
DRILL_CAP = 200
#: Characters of a variant shown in a cell (the whole variant is its tooltip).
VARIANT_CHARS = 60
#: The columns every case table has, in order; then the case attributes and ``fitting``.
BASE = ("case", "start", "end", "throughput_s", "events", "variant", "cost")

_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!<>|~])")


def case_link(case: str, f: Filters) -> str:
    """The case page's address for ``case`` with the current filters (``/case?...&case=<id>``)."""
    return "/case" + f.query() + "&" + urlencode({"case": case})


def _md_link(case: str, f: Filters) -> str:
    """A markdown link whose text is the case id as written (every markdown character escaped)."""
    text = _MARKDOWN.sub(r"\\\1", case)
    return f"[{text}]({case_link(case, f)})"


def timeline(events: Any, lang: str, name: Any = str) -> dict[str, Any]:
    """The earlier dot-and-line timeline (one line per instance, an open one dotted to the end of the log).
    Superseded by :func:`flowmine.dashboard.pages.case.timeline_figure`; kept while a test reads it."""
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


def fields(names: list[str]) -> dict[str, str]:
    """Grid field -> case table column: the API's names for the fixed columns, ``a0``, ``a1``, ... for
    the case attributes (a name such as ``case:x.y`` would read as a nested field in the grid)."""
    out, i = {}, 0
    for name in names:
        if name in BASE or name == "fitting":
            out[name] = name
        else:
            out[f"a{i}"] = name
            i += 1
    return out


def columns(names: list[str], lang: str, zone: str = "UTC", time: str | None = None) -> list[dict[str, Any]]:
    """The grid's columns for the case table's ``names`` (times in ``zone``; the throughput time elapsed:
    ``case_table`` takes no calendar, said so when the shell shows business time)."""
    head = {"case": t("case", lang), "start": f"{t('start', lang)} ({zone_label(zone, lang)})",
            "end": f"{t('end', lang)} ({zone_label(zone, lang)})",
            "throughput_s": elapsed_only(label("throughput_time", lang), time, lang),
            "events": label("events", lang), "variant": t("variant", lang), "cost": label("cost", lang),
            "fitting": t("case_fitting", lang)}
    out = []
    for key, name in fields(names).items():
        col: dict[str, Any] = {"field": key, "headerName": head.get(name, name.removeprefix("case:"))}
        if name == "case":  # the id as a link; the search box filters on this column
            col.update(cellRenderer="markdown", filter="agTextColumnFilter", suppressHeaderMenuButton=True,
                       minWidth=130)
        if name == "variant":
            col.update(tooltipField="variant_full", minWidth=260)
        out.append(col)
    return out


def rows(frame: Any, f: Filters, zone: str = "UTC") -> list[dict[str, Any]]:
    """Display rows (text) for a page of the case table, keyed by grid field (times in ``zone``);
    ``variant_full`` is the whole variant (the tooltip of its shortened cell)."""
    name = labeller(f.process, f.lang)
    keys = {v: k for k, v in fields(list(frame.columns)).items()}
    out = []
    for rec in frame.to_dict("records"):
        variant = name(str(rec["variant"]))
        row = {keys[k]: ("" if v is None or v != v else str(v)) for k, v in rec.items() if k not in BASE}
        row.update(case=_md_link(str(rec["case"]), f), start=local_time(rec["start"], zone, seconds=False),
                   end=local_time(rec["end"], zone, seconds=False),
                   throughput_s=duration(rec["throughput_s"], f.lang), events=number(rec["events"]),
                   variant=variant if len(variant) <= VARIANT_CHARS else variant[:VARIANT_CHARS - 1] + "…",
                   variant_full=variant, cost=number(rec["cost"], 2) if rec["cost"] == rec["cost"] else "")
        if "fitting" in rec:
            row["fitting"] = t("case_yes" if rec["fitting"] else "case_no", f.lang)
        out.append(row)
    return out


def count_text(offset: int, shown: int, total: int, lang: str) -> str:
    if not total or not shown:
        return t("case_count_none", lang)
    return t("case_count", lang).format(a=number(offset + 1), b=number(offset + shown), n=number(total))


#: AG Grid's own words (the pager, the loading row) in Chinese.
def warm(store: Store, process: str) -> None:
    """Start-up work: the case explorer's first page (the per-case rows every filter restricts)."""
    case_page(store, Filters(process=process))


def layout(store: Store, f: Filters) -> Any:
    lang = f.lang
    probe, total = case_page(store, f, limit=1)
    opts: dict[str, Any] = {"pagination": True, "paginationPageSize": PAGE_SIZE, "cacheBlockSize": PAGE_SIZE,
                            "maxBlocksInCache": 1,  # each page asked anew: the count line is always the page shown
                            "infiniteInitialRowCount": min(total, PAGE_SIZE) or 1,
                            "paginationPageSizeSelector": False, "tooltipShowDelay": 0, "rowBuffer": 0}
    if lang == "zh":
        opts["localeText"] = locale_text(lang) | {"noRowsToShow": "没有案例"}
    return html.Div([
        html.H3(t("cases_explorer", lang)),
        dcc.Input(id="cases-search", type="text", debounce=True, placeholder=t("case_search", lang),
                  maxLength=MAX_SEARCH, style={"width": 360}),
        html.Div("", id="cases-count", style={"margin": "6px 0"}),
        dag.AgGrid(id="cases-table", rowModelType="infinite",
                   columnDefs=columns(list(probe.columns), lang, zone_of(store, f), f.time),
                   defaultColDef={"sortable": True, "resizable": True, "filter": False},
                   dashGridOptions=opts, style={"height": 34 * PAGE_SIZE + 110}, filterModel={}),
        html.H3(t("cases_drill", lang)),
        _drill_down(store, f),
    ])


def _drill_down(store: Store, f: Filters) -> Any:
    vs = process_variants(store, f)
    name = labeller(f.process, f.lang)
    options = [{"label": f"{number(r['cases'])} × {name(str(r['variant']))[:120]}", "value": str(r["variant"])}
               for r in vs.head(100).to_dict("records")]
    return html.Div([
        html.Label(t("variant", f.lang)),
        dcc.Dropdown(id="cases-variant", options=options, value=options[0]["value"] if options else None,
                     clearable=False),
        html.Div(id="cases-list"),
        html.Label(t("case", f.lang)), dcc.Dropdown(id="cases-case", options=[], clearable=True),
        html.Div(id="cases-timeline"),
    ])


def _sort(model: Any, offered: dict[str, str]) -> tuple[str, bool] | None:
    """The checked sort of a grid request (None: a sort the page did not offer)."""
    if not model:
        return "start", False
    if not isinstance(model, list) or len(model) != 1 or not isinstance(model[0], dict):
        return None
    col, direction = model[0].get("colId"), model[0].get("sort")
    if col not in offered or direction not in ("asc", "desc"):
        return None
    return offered[col], direction == "desc"


def _search(model: Any) -> str | None:
    """The search text of the grid's filter model ("" for none; None: not a filter the page sets)."""
    if not model:
        return ""
    if not isinstance(model, dict) or set(model) != {"case"} or not isinstance(model["case"], dict):
        return None
    text = model["case"].get("filter")
    return text if isinstance(text, str) and len(text) <= MAX_SEARCH else None


def answer(store: Store, url: str | None, request: Any) -> tuple[Any, str] | None:
    """The grid's rows for a ``getRowsRequest`` and the count line; None for a request the page did
    not offer (a forged sort, search or range)."""
    f = filters_of(store, url)
    if f.process is None or not isinstance(request, dict):
        return None
    lo, hi = request.get("startRow"), request.get("endRow")
    if not (isinstance(lo, int) and isinstance(hi, int)) or isinstance(lo, bool) or isinstance(hi, bool):
        return None
    if not 0 <= lo < hi:
        return None
    probe, _ = case_page(store, f, limit=1)
    sort, search = _sort(request.get("sortModel"), fields(list(probe.columns))), _search(request.get("filterModel"))
    if sort is None or search is None:
        return None
    limit = min(hi - lo, PAGE_SIZE * 4)
    frame, total = case_page(store, f, search.strip(), sort[0], sort[1], lo, limit)
    return {"rowData": rows(frame, f, zone_of(store, f)), "rowCount": total}, count_text(lo, len(frame), total, f.lang)


def register(app: Dash, store: Store) -> None:
    @app.callback(Output("cases-table", "getRowsResponse"), Output("cases-count", "children"),
                  Input("cases-table", "getRowsRequest"), State("url", "search"), prevent_initial_call=True)
    def on_rows(request: Any, url: str | None) -> Any:
        found = answer(store, url, request)
        return (no_update, no_update) if found is None else found

    @app.callback(Output("cases-table", "filterModel"), Input("cases-search", "value"), prevent_initial_call=True)
    def on_search(text: Any) -> Any:
        if text is not None and (not isinstance(text, str) or len(text) > MAX_SEARCH):
            return no_update
        text = (text or "").strip()
        return {"case": {"filterType": "text", "type": "contains", "filter": text}} if text else {}

    _register_drill_down(app, store)


def drill_down(store: Store, f: Filters, variant: str) -> tuple[list[Any], list[dict[str, str]]]:
    """The slowest cases of ``variant`` (at most :data:`DRILL_CAP`, with a notice naming the cap and the
    variant's number of cases when it has more) and the case choices for the timeline below."""
    every = variant_cases(store, f, variant)
    zone = zone_of(store, f)
    found = [{"case": str(r["case"]), "throughput": duration(r["throughput_s"], f.lang),
              "start": local_time(r["start"], zone, seconds=False), "end": local_time(r["end"], zone, seconds=False)}
             for r in every.head(DRILL_CAP).to_dict("records")]
    shown = zone_label(zone, f.lang)
    cols = [("case", t("case", f.lang)), ("throughput", timed(label("throughput_time", f.lang), f.time, f.lang)),
            ("start", f"{t('start', f.lang)} ({shown})"), ("end", f"{t('end', f.lang)} ({shown})")]
    notice = (html.P(t("cases_drill_cap", f.lang).format(shown=number(DRILL_CAP), n=number(len(every))),
                     id="cases-cap", className="fm-notice") if len(every) > DRILL_CAP else "")
    choices = [{"label": r["case"], "value": r["case"]} for r in found]
    return [notice, table("cases-drill", cols, found, f=f, page="cases-drill")], choices


def _register_drill_down(app: Dash, store: Store) -> None:
    from flowmine.dashboard.pages.case import timeline_figure

    @app.callback(Output("cases-list", "children"), Output("cases-case", "options"),
                  Input("cases-variant", "value"), State("url", "search"))
    def on_variant(variant: Any, search: str | None) -> tuple[Any, Any]:
        f = filters_of(store, search)
        offered = set(process_variants(store, f)["variant"].astype(str).head(100))
        if not isinstance(variant, str) or variant not in offered:
            return no_update, no_update  # not a value this page offered
        return drill_down(store, f, variant)

    @app.callback(Output("cases-timeline", "children"), Input("cases-case", "value"),
                  State("cases-case", "options"), State("url", "search"))
    def on_case(case: Any, options: Any, search: str | None) -> Any:
        if not case:
            return ""
        if not isinstance(case, str) or case not in {o["value"] for o in options or [] if isinstance(o, dict)}:
            return no_update
        f = filters_of(store, search)
        assert f.process is not None
        return html.Div([dcc.Link(t("case_page", f.lang) + ": " + case, href=case_link(case, f), id="cases-open"),
                         dcc.Graph(id="cases-gantt", figure=timeline_figure(case_events(store, f.process, case),
                                                                            f.lang, labeller(f.process, f.lang),
                                                                            zone=zone_of(store, f)),
                                   config=plotly_config(f.lang))])

