"""The dashboard's app factory: a shell (navigation, global filters, language) and a page router.

Pages are modules in ``pages/`` with ``PATH``, ``TITLE_KEY``, ``layout(store, filters)`` and an
optional ``register(app, store)`` for their own callbacks. Filters live in the URL, so a manager can
share exactly what they see; every value coming back from the browser is checked in ``_state``.
Safe by default: served on 127.0.0.1 without debug mode, with a request size limit.
"""

from __future__ import annotations

import threading
from pathlib import Path
from types import ModuleType
from typing import Any

import dash
from dash import MATCH, Dash, Input, Output, State, dcc, html, no_update

from flowmine.dashboard import _state
from flowmine.dashboard._i18n import t
from flowmine.dashboard.pages import (
    bottlenecks,
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

PAGES: tuple[ModuleType, ...] = (overview, processmap, bottlenecks, conformance, steps, variants, cases,
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
            html.Label(id="lbl-lang"),
            dcc.RadioItems(id="flt-lang", options=[{"label": "English", "value": "en"},
                                                   {"label": "中文", "value": "zh"}], inline=True),
        ], className="fm-filters"),
        html.Div(id="shell-notice", className="fm-notice"),
        html.Div(id="page", className="fm-page"),
    ])
    _register_shell(app, store)

    @app.callback(Output({"type": "grid", "grid": MATCH}, "exportDataAsCsv"),
                  Input({"type": "csv-export", "grid": MATCH}, "n_clicks"), prevent_initial_call=True)
    def export_csv(n: int | None) -> bool:
        return bool(n)

    for page in PAGES:
        if hasattr(page, "register"):
            page.register(app, store)
    return app


def _route(pathname: str | None) -> ModuleType:
    for page in PAGES:
        if pathname == page.PATH:
            return page
    return PAGES[0]


def _register_shell(app: Dash, store: Store) -> None:
    @app.callback(
        Output("page", "children"), Output("shell-top", "children"), Output("shell-notice", "children"),
        Output("flt-process", "options"), Output("flt-process", "value"),
        Output("flt-dates", "start_date"), Output("flt-dates", "end_date"), Output("flt-lang", "value"),
        Output("lbl-process", "children"), Output("lbl-period", "children"), Output("lbl-lang", "children"),
        Input("url", "pathname"), Input("url", "search"),
    )
    def render(pathname: str | None, search: str | None) -> tuple[Any, ...]:
        processes = store.processes()
        f = _state.parse(search, processes)
        page = _route(pathname)
        nav = [html.Strong(t("title", f.lang), style={"marginRight": 18})] + [
            dcc.Link(t(p.TITLE_KEY, f.lang), href=p.PATH + f.query()) for p in PAGES]
        notice = f"{t('refused', f.lang)}: {', '.join(f.refused)}" if f.refused else ""
        body = page.layout(store, f) if f.process else html.P(t("no_store", f.lang))
        return (body, nav, notice, [{"label": p, "value": p} for p in processes], f.process, f.start, f.end,
                f.lang, t("process", f.lang), t("period", f.lang), t("language", f.lang))

    @app.callback(
        Output("url", "search"),
        Input("flt-process", "value"), Input("flt-dates", "start_date"), Input("flt-dates", "end_date"),
        Input("flt-lang", "value"), State("url", "search"), prevent_initial_call=True,
    )
    def on_filter(process: Any, start: Any, end: Any, lang: Any, search: str | None) -> Any:
        processes = store.processes()
        current = _state.parse(search, processes)
        try:
            new = _state.with_changes(current, processes, process=process, start=start, end=end,
                                      lang=lang or "en")
        except (ValueError, TypeError):
            return no_update  # a forged value: refused, the page stays as it was
        return new.query() if new.query() != current.query() else no_update


def _warm(store: Store) -> None:
    """Compute each process's unfiltered profile once at start, so the first visitor does not wait."""
    from flowmine.dashboard._data import conformance, process_profile

    for process in store.processes():
        process_profile(store, _state.Filters(process=process))
        conformance(store, process)


def serve(store_path: str | Path, host: str = "127.0.0.1", port: int = 8050, threads: int = 8,
          auth_file: str | Path | None = None) -> None:
    """Serve the dashboard with waitress (a production WSGI server; never Dash's debug mode).

    Without ``auth_file`` only 127.0.0.1 / localhost / ::1 are allowed. With it (``user:hash`` lines, see
    ``flowmine dashboard-user add``) every request needs HTTP Basic credentials and any address is allowed;
    off loopback, put a TLS reverse proxy in front (Basic auth sends the password readably).
    """
    import waitress

    from flowmine.dashboard._security import check_host, install_basic_auth, load_auth_file

    users = load_auth_file(auth_file) if auth_file is not None else None
    check_host(host, authenticated=users is not None)
    app = create_app(store_path)
    if users is not None:
        install_basic_auth(app.server, users)
    threading.Thread(target=_warm, args=(Store(store_path, create=False),), daemon=True).start()
    waitress.serve(app.server, host=host, port=port, threads=threads, max_request_body_size=MAX_REQUEST_BYTES,
                   ident="flowmine")


__all__ = ["create_app", "dash", "serve"]
