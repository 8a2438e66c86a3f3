"""The dashboard's app factory: a shell (navigation, global filters, language) and a page router.

Pages are modules in ``pages/`` with ``PATH``, ``TITLE_KEY``, ``layout(store, filters)`` and an
optional ``register(app, store)`` for their own callbacks. Filters live in the URL, so a manager can
share exactly what they see; every value coming back from the browser is checked in ``_state``; the filter
bar is ``_shell``, saved views ``_views``. Safe by default: served on 127.0.0.1 without debug mode, with a
request size limit. Failures stay small: a page whose layout raises is a notice in the shell (its one-line
error; the traceback goes to the log), an unknown process a notice without numbers, an unknown path a 404
page, a malformed callback a 400 (``_failures``); ``/_flowmine/ready`` is 200 only after the start-up
work succeeded. The offline report of the process is served at ``/_flowmine/report`` as a download.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from types import ModuleType
from typing import Any

import dash
from dash import MATCH, Dash, Input, Output, State, dcc, html, no_update

from flowmine._params import Interval, validate_params
from flowmine.dashboard import _shell, _state
from flowmine.dashboard._data import single_flight
from flowmine.dashboard._failures import install_failure_isolation, one_line
from flowmine.dashboard._hardening import install_hardening
from flowmine.dashboard._i18n import t
from flowmine.dashboard._shell import CONTROL_PROPS, filter_bar
from flowmine.dashboard._views import MAX_NAME, save_view, saved_views, views_list
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
    whatif,
)
from flowmine.errors import OptionError
from flowmine.store import Store

LOG = logging.getLogger("flowmine.dashboard")
PAGES: tuple[ModuleType, ...] = (overview, processmap, bottlenecks, conformance, steps, variants, cases, case,
                                 resources, improvement, whatif, data)
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
.fm-chips,.fm-tools{display:flex;gap:8px;align-items:center;padding:4px 20px;flex-wrap:wrap;font-size:13px}
.fm-chip{background:#d9e2ec;border-radius:12px;padding:2px 10px;color:#102a43;text-decoration:none}
.fm-clear{color:#b44d12}.fm-preset{margin-right:8px;font-size:13px}.fm-page-error{color:#b44d12}
"""


def create_app(store_path: str | Path) -> Dash:
    """Build the dashboard over the store at ``store_path`` (read-only; saved views go to
    ``<store>/views.json``)."""
    store = Store(store_path, create=False)
    app = Dash("flowmine.dashboard", title="flowmine", suppress_callback_exceptions=True,
               update_title="", serve_locally=True)
    app.server.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    app.index_string = app.index_string.replace("{%css%}", "{%css%}<style>" + _CSS + "</style>")
    app.layout = html.Div([
        dcc.Location(id="url", refresh=False), dcc.Store(id="fm-date-blur"), dcc.Store(id="shell-shown"),
        html.Div(id="shell-top", className="fm-top"),
        *filter_bar(),
        html.Div(_tools(), className="fm-tools"),
        html.Div(id="shell-notice", className="fm-notice"),
        dcc.Loading(html.Div(id="page", className="fm-page"), delay_show=300, type="circle"),
    ])
    _register_shell(app, store)
    _register_views(app, store)
    ready = app.server.config["FLOWMINE_READY"] = Readiness()
    failed = ready.failed

    @app.server.route("/_flowmine/ready")
    def is_ready() -> Any:
        """200 once the start-up work succeeded (``serve``); 503 before, or with the reason when it failed."""
        if failed:
            return {"ready": False, "error": failed[0]}, 503
        return ({"ready": True}, 200) if ready.is_set() else ({"ready": False}, 503)

    @app.server.route("/_flowmine/report")
    def report() -> Any:
        return _report(store)

    @app.callback(Output({"type": "grid", "grid": MATCH}, "exportDataAsCsv"),
                  Input({"type": "csv-export", "grid": MATCH}, "n_clicks"), prevent_initial_call=True)
    def export_csv(n: int | None) -> bool:
        return bool(n)

    for page in PAGES:
        if hasattr(page, "register"):
            page.register(app, store)
    install_failure_isolation(app.server, lambda path: _route(path) is not None, app.index)
    # after every callback: the CSP lists the hashes of Dash's inline scripts
    install_hardening(app.server, app.csp_hashes(), lambda: bool(app.server.config.get("FLOWMINE_ANY_HOST")))
    return app


def _tools() -> list[Any]:
    """Saved views (list and "save this view") and the offline report link; labels set by the shell."""
    return [
        html.A(id="report-link", href="", className="fm-report"),
        html.Details([
            html.Summary(id="views-summary"), html.Div(id="views-list"),
            dcc.Input(id="view-name", type="text", maxLength=MAX_NAME, debounce=False),
            html.Button(id="view-save", n_clicks=0), html.Span(id="view-status", className="fm-view-status"),
        ], className="fm-views-box"),
    ]


def _report(store: Store) -> Any:
    """The offline HTML report (``flowmine.report.build_report``) of a process for the URL's filters (checked
    like every page's: a value not offered is refused; ``time=business``: in business time of the process
    calendar, as ``flowmine report --time business``), as a download."""
    from flask import Response, request

    from flowmine.dashboard._data import case_filter, working_calendar
    from flowmine.errors import FlowmineError
    from flowmine.report import build_report

    f = _state.parse(request.query_string.decode("utf-8", "replace"), store.processes(),
                     lambda p: _offer_of(store, p))
    if f.process is None or f.unknown_process or f.refused:
        return f"404 Not Found: no such process, or a filter it does not offer ({', '.join(f.refused)[:200]})\n", 404
    try:
        page = build_report(store, f.process, lang=f.lang, filters=case_filter(store, f),
                            calendar=working_calendar(f.process) if f.time == "business" else None)
    except FlowmineError as exc:
        LOG.warning("report of %s failed: %s", f.process, one_line(exc))
        return f"409 Conflict: no report for this process ({one_line(exc)})\n", 409
    name = f"flowmine-report-{f.process}-{f.lang}{'-filtered' if f.filtered else ''}.html"
    return Response(page, mimetype="text/html", headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _route(pathname: str | None) -> ModuleType | None:
    """The page of a path; None for a path that is no page."""
    for page in PAGES:
        if pathname == page.PATH:
            return page
    return None


SHELL_OUTPUTS = ("page.children", "shell-top.children", "shell-notice.children", "flt-process.options",
                 "flt-process.value", "flt-presets.children", "flt-hist.figure", "shell-chips.children",
                 "views-list.children",
                 "views-summary.children", "view-save.children", "view-name.placeholder", "report-link.href",
                 "report-link.children", "shell-shown.data", *CONTROL_PROPS)


def _outputs(names: Sequence[str]) -> list[Output]:
    return [Output(cid, prop) for cid, prop in (name.rsplit(".", 1) for name in names)]


def _page(store: Store, page: ModuleType | None, f: _state.Filters, pathname: str) -> tuple[Any, list[Any]]:
    """The page's content and the notices it adds: "not found", an unknown process, or the one-line
    error of a page that raised (logged with its traceback), never a blank app."""
    lang = f.lang
    if page is None:
        return html.H3(t("not_found", lang).format(path=pathname[:200]), className="fm-not-found"), []
    if f.unknown_process:
        name = next((r.split("=", 1)[1] for r in f.refused if r.startswith("process=")), "")
        text = t("unknown_process", lang).format(name=name)
        return html.P(text, className="fm-unknown-process"), [html.Div(text)]
    if not f.process:
        return html.P(t("no_store", lang)), []
    try:
        return _body(store, page, f), []
    except Exception as exc:  # one page's failure must not blank the app
        LOG.exception("the page %s of %s failed", page.PATH, f.process)
        text = f"{t('page_failed', lang)}: {one_line(exc)}"
        return html.P(text, className="fm-page-error"), [html.Div(text, className="fm-page-failed")]


def _offer_of(store: Store, process: str | None) -> _state.Offer:
    from flowmine.dashboard._data import offer

    if not process:
        return _state.NO_OFFER
    try:
        return offer(store, process)
    except Exception:  # the bar then offers nothing for it; the page says why
        LOG.exception("the filter offer of %s failed", process)
        return _state.NO_OFFER


#: A typed date applies when its field is left, as with Enter or Tab (Dash's date picker commits typed text
#: on those keys only): leaving a date field sends it the Tab key its own handler listens for.
DATE_BLUR_JS = """function(path) {
  if (!window.fmDateBlur) {
    window.fmDateBlur = true;
    document.addEventListener('focusout', function(e) {
      var el = e.target;
      if (el && el.classList && el.classList.contains('dash-datepicker-input')) {
        el.dispatchEvent(new KeyboardEvent('keydown', {key: 'Tab', bubbles: true}));
      }
    }, true);
  }
  return window.dash_clientside.no_update;
}"""


def _register_shell(app: Dash, store: Store) -> None:
    from flowmine.dashboard._data import definition_problems, labeller

    app.clientside_callback(DATE_BLUR_JS, Output("fm-date-blur", "data"), Input("url", "pathname"))

    @app.callback(*_outputs(SHELL_OUTPUTS), Input("url", "pathname"), Input("url", "search"),
                  State("shell-shown", "data"))
    def render(pathname: str | None, search: str | None, shown_before: Any) -> tuple[Any, ...]:
        processes = store.processes()
        f = _state.parse(search, processes, lambda p: _offer_of(store, p))
        path = pathname or "/"
        page, lang = _route(path), f.lang
        nav = [html.Strong(t("title", lang), style={"marginRight": 18})] + [
            dcc.Link(t(p.TITLE_KEY, lang), href=p.PATH + f.query()) for p in PAGES if getattr(p, "NAV", True)]
        signature = [path, replace(f, view=()).query()]
        if shown_before == signature:  # only a page setting changed (the map's sliders): the page keeps its
            # controls (a slider being moved stays in place); the links carry the new settings
            return tuple(nav if k == "shell-top.children" else no_update for k in SHELL_OUTPUTS)
        notice = [html.Div(f"{t('refused', lang)}: {', '.join(f.refused)}")] if f.refused else []
        notice += [html.Div(f"{t('definition_problem', lang)}: {line}") for line in definition_problems()]
        body, more = _page(store, page, f, path)
        off = _offer_of(store, f.process)
        shown = labeller(f.process, lang)
        # a page off the navigation (the case page: one case) sends filter changes to the case explorer
        here = "/" if page is None else page.PATH if getattr(page, "NAV", True) else "/cases"
        out = {"page.children": body, "shell-top.children": nav, "shell-notice.children": notice + more,
               "flt-process.options": _shell.options(processes), "flt-process.value": f.process,
               "flt-presets.children": _shell.presets(here, f, off),
               "flt-hist.figure": _shell.histogram(_starts(store, f.process, off), f),
               "shell-chips.children": _shell.chips(here, f, shown),
               "views-list.children": views_list(saved_views(store), t("no_views", lang)),
               "views-summary.children": t("views", lang), "view-save.children": t("save_view", lang),
               "view-name.placeholder": t("view_name", lang),
               "report-link.href": "/_flowmine/report" + replace(f, view=()).query(),
               "report-link.children": t("report", lang), "shell-shown.data": signature,
               **_shell.controls(f, off, shown)}
        return tuple(out[k] for k in SHELL_OUTPUTS)

    @app.callback(
        Output("url", "search"),
        Input("flt-process", "value"), Input("flt-dates", "start_date"), Input("flt-dates", "end_date"),
        Input("flt-attr", "value"), Input("flt-values", "value"), Input("flt-variant", "value"),
        Input("flt-fit", "value"), Input("flt-lang", "value"), Input("flt-has", "value"), Input("flt-df", "value"),
        Input("flt-first", "value"), Input("flt-last", "value"), Input("flt-dur-min", "value"),
        Input("flt-dur-max", "value"), Input("flt-tz", "value"), Input("flt-num", "value"),
        Input("flt-num-min", "value"), Input("flt-num-max", "value"), Input("flt-not", "value"),
        Input("flt-rework", "value"), Input("flt-top", "value"), Input("flt-size-min", "value"),
        Input("flt-size-max", "value"), Input("flt-frame", "value"), Input("flt-time", "value"),
        State("url", "search"),
        prevent_initial_call=True,
    )
    def on_filter(process: Any, start: Any, end: Any, attr: Any, values: Any, variant: Any, fit: Any, lang: Any,
                  has: Any, df: Any, first: Any, last: Any, dur_min: Any, dur_max: Any, tz: Any, num: Any,
                  num_min: Any, num_max: Any, not_has: Any, rework: Any, top: Any, size_min: Any, size_max: Any,
                  frame: Any, time: Any, search: str | None) -> Any:
        processes = store.processes()
        current = _state.parse(search, processes, lambda p: _offer_of(store, p))
        try:
            if not isinstance(values, list | type(None)):
                raise OptionError("values must be a list")
            new = _state.with_changes(
                current, processes, lambda p: _offer_of(store, p), process=process, start=start, end=end,
                attr=attr, values=tuple(values or ()), variant=variant, fit=fit or None, lang=lang or "en",
                has=has or (), df=df, first=first, last=last, dur_min=_shell.to_seconds(dur_min),
                dur_max=_shell.to_seconds(dur_max), tz=_zone_change(store, current, tz), num=num,
                num_min=num_min, num_max=num_max, not_has=not_has or (), rework=rework, top=top,
                size_min=size_min, size_max=size_max, frame=None if frame in (None, "started") else frame,
                time=None if time in (None, "elapsed") else time)
        except (ValueError, TypeError):
            return no_update  # a forged value: refused, the page stays as it was
        return new.query() if new.query() != current.query() else no_update


def _starts(store: Store, process: str | None, off: _state.Offer) -> Any:
    """Cases started per week (per month over more than a year of data), None when unavailable."""
    from flowmine.dashboard._data import case_starts

    if not process or off.span is None:
        return None
    long = int(off.span[1][:4]) * 12 + int(off.span[1][5:7]) - int(off.span[0][:4]) * 12 - int(off.span[0][5:7]) > 12
    try:
        return case_starts(store, process, "month" if long else "week")
    except Exception:  # the histogram is a help, never a reason to fail the shell
        LOG.exception("the time frame histogram of %s failed", process)
        return None


def _zone_change(store: Store, f: _state.Filters, tz: Any) -> Any:
    """The ``tz`` to keep: unchanged while the zone box shows the zone already in force (the process's
    own zone stays implicit, so a link follows a changed configuration)."""
    shown = f.tz or _offer_of(store, f.process).zone
    return f.tz if tz in (None, shown) else tz


def _register_views(app: Dash, store: Store) -> None:
    @app.callback(Output("view-status", "children"), Output("views-list", "children", allow_duplicate=True),
                  Input("view-save", "n_clicks"), State("view-name", "value"), State("url", "pathname"),
                  State("url", "search"), prevent_initial_call=True)
    def on_save(n: Any, name: Any, pathname: Any, search: Any) -> Any:
        if not n or not isinstance(search, str | type(None)) or not isinstance(pathname, str | type(None)):
            return no_update, no_update
        f = _state.parse(search, store.processes(), lambda p: _offer_of(store, p))
        page = _route(pathname)
        paths = [p.PATH for p in PAGES]
        try:
            view = save_view(store, name, (page.PATH if page else "") + f.query(), paths)
        except (ValueError, OSError) as exc:
            return f"{t('view_refused', f.lang)}: {one_line(exc)}", no_update
        return (t("view_saved", f.lang).format(name=view.name),
                views_list(saved_views(store), t("no_views", f.lang)))


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
    page = _route(path)
    assert page is not None
    return page.layout(Store(store_path, create=False), f)


class Readiness(threading.Event):
    """Set when the start-up work is over; ``failed`` holds the reason (one line) when it failed."""

    def __init__(self) -> None:
        super().__init__()
        self.failed: list[str] = []


def _stop(signum: int, frame: Any) -> None:
    raise SystemExit(0)


#: Seconds of start-up a served dashboard with a worker spends on the unfiltered step cards (both languages,
#: the profile's steps in order): the first card a manager opens is usually the unfiltered one, which is the
#: slowest to compute (the whole log's instances). Steps left when the time is up are computed on request.
CARD_WARM_S = 30.0


def _warm(store: Store, ready: threading.Event, worker: bool = False, server: Any = None) -> None:
    """Start-up work, so the first visitor does not wait: each process's relations held in memory, its
    unfiltered profile, conformance check and filter offer, and each page's ``warm(store, process)`` (the
    unfiltered bottlenecks, case table, KPI history and initiatives); with a worker (and ``server``, the
    Flask app whose requests use it), the unfiltered step cards for up to :data:`CARD_WARM_S` seconds.
    ``/_flowmine/ready`` answers 200 after, or 503 with the reason (``Readiness.failed``; logged with its
    traceback) when the work failed."""
    from flowmine.dashboard import _heavy
    from flowmine.dashboard._data import (
        conformance,
        metric,
        offer,
        process_map_of,
        process_profile,
        process_variants,
        version,
        worker_warm,
    )

    try:
        # the worker process (served dashboards) does its own start-up work meanwhile, on the other core
        started = [_heavy.submit(worker_warm, str(store.path), p, version(store, p)) for p in store.processes()
                   ] if worker else []
        for process in store.processes():
            f = _state.Filters(process=process)
            process_profile(store, f)  # also holds the version in memory
            conformance(store, process)
            offer(store, process)
            process_map_of(store, f, 1.0, 0.8)  # and the map's fixed layout
            process_variants(store, f)
            metric(store, f, "workload", "resource")
            metric(store, f, "handovers", "resource")
            for page in PAGES:  # what a page computes once per version (its own ``warm(store, process)``)
                warm = getattr(page, "warm", None)
                if warm is not None:
                    warm(store, process)
        for job in started:
            job.result()
        if worker and server is not None:
            _warm_cards(store, server)
    except Exception as exc:  # reported by /_flowmine/ready, not lost in a thread
        LOG.exception("the dashboard's start-up work failed")
        if isinstance(ready, Readiness):
            ready.failed.append(one_line(exc))
    finally:
        ready.set()


def _warm_cards(store: Store, server: Any) -> None:
    """The unfiltered step cards of every process, computed in the worker (the server's app context is what
    sends them there) until :data:`CARD_WARM_S` seconds have passed."""
    import time

    from flowmine.dashboard._data import process_profile, step_card_of
    from flowmine.dashboard._i18n import LANGS

    until = time.monotonic() + CARD_WARM_S
    with server.app_context():
        for process in store.processes():
            steps = [a["activity"] for a in process_profile(store, _state.Filters(process=process))
                     .get("activities", [])]
            for step in steps:
                for lang in LANGS:
                    if time.monotonic() > until:
                        return
                    step_card_of(store, _state.Filters(process=process, lang=lang), step)


#: Request threads of the server. A step card or a step's factors keeps its request's thread waiting for the
#: worker for seconds, so eight threads (waitress's default) were at times all waiting there while the pages'
#: quick requests queued behind them (``benchmarks/dashboard.py``: maxima of 5 s on every page); the pages'
#: own work stays bounded by the interpreter lock and the single-flight memos.
SERVER_THREADS = 32


@validate_params({"host": [str], "port": [Interval(int, 1, 65535)], "threads": [Interval(int, 1, None)],
                  "worker": [bool, None]})
def serve(store_path: str | Path, host: str = "127.0.0.1", port: int = 8050, threads: int = SERVER_THREADS,
          auth_file: str | Path | None = None, worker: bool | None = None) -> None:
    """Serve the dashboard with waitress (a production WSGI server; never Dash's debug mode).

    Without ``auth_file`` only 127.0.0.1 / localhost / ::1 are allowed. With it (``user:hash`` lines, see
    ``flowmine dashboard-user add``) every request needs HTTP Basic credentials and any address is allowed;
    off loopback, put a TLS reverse proxy in front (Basic auth sends the password readably).

    ``worker``: compute step cards and factors in a second process (``flowmine.dashboard._heavy``), so the
    pages keep their core; None (the default) starts it when both processes fit in the free memory.
    """
    import waitress

    from flowmine.dashboard import _heavy
    from flowmine.dashboard._security import check_host, install_basic_auth, is_loopback, load_auth_file

    users = load_auth_file(auth_file) if auth_file is not None else None
    check_host(host, authenticated=users is not None)
    app = create_app(store_path)
    if worker is None:
        on = Store(store_path, create=False)
        events = sum(int(on.manifest(p)["events"]) for p in on.processes())
        worker = _heavy.worker_fits(events)
        if not worker:
            LOG.warning("the store holds %s events: too many for a second process in the free memory, so step "
                        "cards and factors compute in the server (pages wait while one computes)", f"{events:,}")
    app.server.config["FLOWMINE_WORKER"] = worker  # step cards and factors in a worker: the pages keep their core
    # a loopback dashboard answers only loopback Host names; with an auth file off loopback, every host
    app.server.config["FLOWMINE_ANY_HOST"] = users is not None and not is_loopback(host)
    if users is not None:
        install_basic_auth(app.server, users)
    threading.Thread(target=_warm, args=(Store(store_path, create=False), app.server.config["FLOWMINE_READY"]),
                     kwargs={"worker": worker, "server": app.server}, daemon=True).start()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _stop)  # a terminated server stops its worker too (atexit)
    waitress.serve(app.server, host=host, port=port, threads=threads, max_request_body_size=MAX_REQUEST_BYTES,
                   ident="flowmine")


__all__ = ["create_app", "dash", "serve"]
