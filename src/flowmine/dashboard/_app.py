"""The dashboard's app factory: a shell (navigation, global filters, language) and a page router.

Pages are modules in ``pages/`` with ``PATH``, ``TITLE_KEY``, ``layout(store, filters)`` and an
optional ``register(app, store)`` for their own callbacks. Filters live in the URL, so a manager can
share exactly what they see; every value coming back from the browser is checked in ``_state``.
Safe by default: served on 127.0.0.1 without debug mode, with a request size limit.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from types import ModuleType
from typing import Any

import dash
from dash import MATCH, Dash, Input, Output, State, dcc, html, no_update

from flowmine._params import Interval, validate_params
from flowmine.dashboard import _state
from flowmine.dashboard._data import single_flight
from flowmine.dashboard._hardening import install_hardening
from flowmine.dashboard._i18n import t
from flowmine.dashboard.pages import (
    bottlenecks,
    case,
    cases,
    conformance,
    data,
    improvement,
    overview,
    processmap,
    resources,
    steps,
    variants,
)
from flowmine.store import Store

PAGES: tuple[ModuleType, ...] = (overview, processmap, bottlenecks, conformance, steps, variants, cases, case,
                                 resources, improvement, data)
#: Largest request body a callback may send (Dash has no limit by default).
MAX_REQUEST_BYTES = 1 * 1024 * 1024

_CSS = """
body{font-family:-apple-system,'Segoe UI','PingFang SC','Microsoft YaHei',sans-serif;margin:0;color:#1f2933}
.fm-top{display:flex;gap:24px;align-items:center;padding:10px 20px;background:#0b3954;color:white;flex-wrap:wrap}
.fm-top a{color:#dfe7ee;text-decoration:none;margin-right:14px}.fm-top a:hover{color:white}
.fm-filters{display:flex;gap:16px;align-items:center;padding:10px 20px;background:#f0f4f8;flex-wrap:wrap}
.fm-page{padding:16px 20px}.fm-cards{display:flex;gap:12px;flex-wrap:wrap;margin-bottom:16px}
.fm-card{border:1px solid #d9e2ec;border-radius:6px;padding:10px 14px;min-width:150px;background:white}
.fm-card-label{font-size:12px;color:#52606d}.fm-card-value{font-size:22px;font-weight:600}
.fm-card-hint{font-size:11px;color:#7b8794}.fm-notice{color:#b44d12;padding:4px 20px}
"""


def create_app(store_path: str | Path) -> Dash:
    """Build the dashboard over the store at ``store_path`` (read-only)."""
    store = Store(store_path, create=False)
    app = Dash("flowmine.dashboard", title="flowmine", suppress_callback_exceptions=True,
               update_title="", serve_locally=True)
    app.server.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    app.index_string = app.index_string.replace("{%css%}", "{%css%}<style>" + _CSS + "</style>")
    app.layout = html.Div([
        dcc.Location(id="url", refresh=False),
        html.Div(id="shell-top", className="fm-top"),
        html.Div([
            html.Label(id="lbl-process"), dcc.Dropdown(id="flt-process", clearable=False, style={"width": 220}),
            html.Label(id="lbl-period"), dcc.DatePickerRange(id="flt-dates", display_format="YYYY-MM-DD"),
            html.Label(id="lbl-attr"),
            dcc.Dropdown(id="flt-attr", clearable=True, style={"width": 180}),
            dcc.Dropdown(id="flt-values", multi=True, clearable=True, style={"minWidth": 180}),
            html.Label(id="lbl-variant"),
            dcc.Dropdown(id="flt-variant", clearable=True, optionHeight=50, style={"width": 320}),
            html.Label(id="lbl-fit"), dcc.RadioItems(id="flt-fit", inline=True),
            html.Label(id="lbl-lang"),
            dcc.RadioItems(id="flt-lang", options=[{"label": "English", "value": "en"},
                                                   {"label": "中文", "value": "zh"}], inline=True),
        ], className="fm-filters"),
        html.Div(id="shell-notice", className="fm-notice"),
        html.Div(id="page", className="fm-page"),
    ])
    _register_shell(app, store)
    ready = app.server.config["FLOWMINE_READY"] = threading.Event()

    @app.server.route("/_flowmine/ready")
    def is_ready() -> Any:
        """200 once the start-up work is done (``serve``), else 503: for health checks and benchmarks."""
        return ({"ready": True}, 200) if ready.is_set() else ({"ready": False}, 503)

    @app.callback(Output({"type": "grid", "grid": MATCH}, "exportDataAsCsv"),
                  Input({"type": "csv-export", "grid": MATCH}, "n_clicks"), prevent_initial_call=True)
    def export_csv(n: int | None) -> bool:
        return bool(n)

    for page in PAGES:
        if hasattr(page, "register"):
            page.register(app, store)
    # after every callback: the CSP lists the hashes of Dash's inline scripts
    install_hardening(app.server, app.csp_hashes(), lambda: bool(app.server.config.get("FLOWMINE_ANY_HOST")))
    return app


def _route(pathname: str | None) -> ModuleType:
    for page in PAGES:
        if pathname == page.PATH:
            return page
    return PAGES[0]


def _options(values: Sequence[str], width: int = 0) -> list[dict[str, str]]:
    """Dropdown options; labels are text (never markup), long ones shortened for the eye only."""
    return [{"label": (v if not width or len(v) <= width else v[:width - 1] + "…"), "value": v} for v in values]


def _register_shell(app: Dash, store: Store) -> None:
    from flowmine.dashboard._data import definition_problems, filters_of, offer

    @app.callback(
        Output("page", "children"), Output("shell-top", "children"), Output("shell-notice", "children"),
        Output("flt-process", "options"), Output("flt-process", "value"),
        Output("flt-dates", "start_date"), Output("flt-dates", "end_date"), Output("flt-lang", "value"),
        Output("flt-attr", "options"), Output("flt-attr", "value"), Output("flt-values", "options"),
        Output("flt-values", "value"),
        Output("flt-variant", "options"), Output("flt-variant", "value"),
        Output("flt-fit", "options"), Output("flt-fit", "value"),
        Output("lbl-process", "children"), Output("lbl-period", "children"), Output("lbl-lang", "children"),
        Output("lbl-attr", "children"), Output("lbl-variant", "children"), Output("lbl-fit", "children"),
        Output("flt-dates", "start_date_placeholder_text"), Output("flt-dates", "end_date_placeholder_text"),
        Output("flt-attr", "placeholder"), Output("flt-values", "placeholder"), Output("flt-variant", "placeholder"),
        Input("url", "pathname"), Input("url", "search"),
    )
    def render(pathname: str | None, search: str | None) -> tuple[Any, ...]:
        processes = store.processes()
        f = filters_of(store, search)
        page = _route(pathname)
        lang = f.lang
        nav = [html.Strong(t("title", lang), style={"marginRight": 18})] + [
            dcc.Link(t(p.TITLE_KEY, lang), href=p.PATH + f.query()) for p in PAGES if getattr(p, "NAV", True)]
        notice = [html.Div(f"{t('refused', lang)}: {', '.join(f.refused)}")] if f.refused else []
        notice += [html.Div(f"{t('definition_problem', lang)}: {line}") for line in definition_problems()]
        body = _body(store, page, f) if f.process else html.P(t("no_store", lang))
        off = offer(store, f.process) if f.process else _state.NO_OFFER
        fit_opts = ([{"label": t("fit_all", lang), "value": ""}, {"label": t("fit_yes", lang), "value": "yes"},
                     {"label": t("fit_no", lang), "value": "no"}] if off.conformance else [])
        return (body, nav, notice, _options(processes), f.process, f.start, f.end, lang,
                _options(sorted(off.attributes)), f.attr, _options(off.attributes.get(f.attr or "", ())),
                list(f.values),
                _options(off.variants, 90), f.variant, fit_opts, f.fit or "",
                t("process", lang), t("period", lang), t("language", lang),
                t("attribute", lang), t("variant_filter", lang), t("fit_filter", lang) if off.conformance else "",
                t("date_from", lang), t("date_to", lang), t("choose", lang), t("choose", lang), t("choose", lang))

    @app.callback(
        Output("url", "search"),
        Input("flt-process", "value"), Input("flt-dates", "start_date"), Input("flt-dates", "end_date"),
        Input("flt-attr", "value"), Input("flt-values", "value"), Input("flt-variant", "value"),
        Input("flt-fit", "value"), Input("flt-lang", "value"), State("url", "search"), prevent_initial_call=True,
    )
    def on_filter(process: Any, start: Any, end: Any, attr: Any, values: Any, variant: Any, fit: Any, lang: Any,
                  search: str | None) -> Any:
        processes = store.processes()
        current = filters_of(store, search)
        try:
            new = _state.with_changes(current, processes, lambda p: offer(store, p), process=process, start=start,
                                      end=end, attr=attr, values=tuple(values or ()), variant=variant,
                                      fit=fit or None, lang=lang or "en")
        except (ValueError, TypeError):
            return no_update  # a forged value: refused, the page stays as it was
        return new.query() if new.query() != current.query() else no_update


def _body(store: Store, page: ModuleType, f: _state.Filters) -> Any:
    """A page's layout for the filters, cached like the data it shows (per store version and filters;
    a page whose content changes without a new version, such as the KPI history, says ``CACHE = False``)."""
    from flowmine.dashboard._data import version

    if not getattr(page, "CACHE", True):
        return page.layout(store, f)
    assert f.process is not None
    return _cached_body(str(store.path), version(store, f.process), page.PATH, replace(f, refused=()))


@single_flight(maxsize=512)
def _cached_body(store_path: str, ver: str, path: str, f: _state.Filters) -> Any:
    return _route(path).layout(Store(store_path, create=False), f)


def _warm(store: Store, ready: threading.Event) -> None:
    """Start-up work, so the first visitor does not wait: each process's relations held in memory, its
    unfiltered profile, conformance check and filter offer. ``/_flowmine/ready`` answers 200 after."""
    from flowmine.dashboard._data import conformance, metric, offer, process_map_of, process_profile, process_variants

    try:
        for process in store.processes():
            f = _state.Filters(process=process)
            process_profile(store, f)  # also holds the version in memory
            conformance(store, process)
            offer(store, process)
            process_map_of(store, f, 1.0, 0.8)  # and the map's fixed layout
            process_variants(store, f)
            metric(store, f, "workload", "resource")
            metric(store, f, "handovers", "resource")
    finally:
        ready.set()


@validate_params({"host": [str], "port": [Interval(int, 1, 65535)], "threads": [Interval(int, 1, None)]})
def serve(store_path: str | Path, host: str = "127.0.0.1", port: int = 8050, threads: int = 8,
          auth_file: str | Path | None = None) -> None:
    """Serve the dashboard with waitress (a production WSGI server; never Dash's debug mode).

    Without ``auth_file`` only 127.0.0.1 / localhost / ::1 are allowed. With it (``user:hash`` lines, see
    ``flowmine dashboard-user add``) every request needs HTTP Basic credentials and any address is allowed;
    off loopback, put a TLS reverse proxy in front (Basic auth sends the password readably).
    """
    import waitress

    from flowmine.dashboard._security import check_host, install_basic_auth, is_loopback, load_auth_file

    users = load_auth_file(auth_file) if auth_file is not None else None
    check_host(host, authenticated=users is not None)
    app = create_app(store_path)
    # a loopback dashboard answers only loopback Host names; with an auth file off loopback, every host
    app.server.config["FLOWMINE_ANY_HOST"] = users is not None and not is_loopback(host)
    if users is not None:
        install_basic_auth(app.server, users)
    threading.Thread(target=_warm, args=(Store(store_path, create=False), app.server.config["FLOWMINE_READY"]),
                     daemon=True).start()
    waitress.serve(app.server, host=host, port=port, threads=threads, max_request_body_size=MAX_REQUEST_BYTES,
                   ident="flowmine")


__all__ = ["create_app", "dash", "serve"]
