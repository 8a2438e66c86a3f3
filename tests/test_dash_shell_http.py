"""The shell's failure isolation and tools over HTTP (Flask's test client, no browser): unknown paths 404,
readiness means ready, malformed or forged callbacks answer 400 without a traceback in the log, a page
that cannot compute is a notice, an unknown process is a notice with no numbers, saved views, the report."""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path

import pytest

from flowmine import Store
from flowmine.dashboard import _app, create_app
from flowmine.dashboard._i18n import t

H = {"Host": "127.0.0.1"}
SAMPLES = Path(__file__).resolve().parents[1] / "sample_logs"


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("shell") / "store"
    src = path.parent / "log.csv"
    src.write_text("case,activity,timestamp\nA,Start,2024-01-01 10:00\nA,End,2024-01-02 10:00\n"
                   "B,Start,2024-03-01 10:00\nB,Check,2024-03-02 10:00\nB,End,2024-03-05 10:00\n", encoding="utf-8")
    Store(path).ingest("unconfigured_demo", [str(src)])  # a process without a configuration, like sales_dirty
    return path


@pytest.fixture(scope="module")
def app(store_path: Path):
    return create_app(store_path)


@pytest.fixture
def client(app):
    return app.server.test_client()


def call_shell(client, pathname: str, search: str) -> dict[str, object]:
    """Run the shell's render callback as the browser does; its outputs by ``id.property``."""
    outputs = [dict(zip(("id", "property"), name.rsplit(".", 1), strict=True)) for name in _app.SHELL_OUTPUTS]
    body = {"output": ".." + "...".join(_app.SHELL_OUTPUTS) + "..", "outputs": outputs,
            "inputs": [{"id": "url", "property": "pathname", "value": pathname},
                       {"id": "url", "property": "search", "value": search}],
            "changedPropIds": ["url.pathname"],
            "state": [{"id": "shell-shown", "property": "data", "value": None}]}
    r = client.post("/_dash-update-component", data=json.dumps(body), content_type="application/json", headers=H)
    assert r.status_code == 200, r.data[:300]
    resp = r.get_json()["response"]
    return {f"{cid}.{prop}": value for cid, props in resp.items() for prop, value in props.items()}


def text_of(component: object) -> str:
    """All text of a rendered component tree (as Dash serialises it)."""
    if isinstance(component, dict):
        return text_of(component.get("props", {}).get("children"))
    if isinstance(component, list):
        return " ".join(text_of(c) for c in component)
    return "" if component is None else str(component)


def test_unknown_paths_are_404_and_pages_200(client):
    assert client.get("/no/such/page", headers=H).status_code == 404
    assert client.get("/map", headers=H).status_code == 200
    assert client.get("/", headers=H).status_code == 200
    assert client.get("/_dash-layout", headers=H).status_code == 200  # Dash's own routes still answer


def test_an_unknown_path_shows_not_found(client):
    out = call_shell(client, "/no-such-page", "?lang=zh")
    assert t("not_found", "zh").format(path="/no-such-page") in text_of(out["page.children"])


def test_ready_is_503_with_the_reason_when_warm_up_fails(store_path, monkeypatch, caplog):
    app = create_app(store_path)
    client = app.server.test_client()
    assert client.get("/_flowmine/ready", headers=H).status_code == 503  # not warmed yet

    def broken(*args, **kwargs):
        raise OSError("disk unreadable")

    monkeypatch.setattr("flowmine.dashboard._data.process_profile", broken)
    with caplog.at_level(logging.ERROR, logger="flowmine.dashboard"):
        _app._warm(Store(store_path, create=False), app.server.config["FLOWMINE_READY"])
    r = client.get("/_flowmine/ready", headers=H)
    assert r.status_code == 503 and r.get_json() == {"ready": False, "error": "OSError: disk unreadable"}
    assert "start-up work failed" in caplog.text


def test_ready_is_200_after_a_successful_warm_up(store_path):
    app = create_app(store_path)
    ready = app.server.config["FLOWMINE_READY"]
    thread = threading.Thread(target=_app._warm, args=(Store(store_path, create=False), ready))
    thread.start()
    thread.join(120)
    r = app.server.test_client().get("/_flowmine/ready", headers=H)
    assert r.status_code == 200 and r.get_json() == {"ready": True}
    # the pages' own start-up work is done: their unfiltered numbers are remembered for the first visitor
    from flowmine.dashboard import _data, _numbers
    from flowmine.dashboard._state import Filters

    st = Store(store_path, create=False)
    for process in st.processes():
        assert _data._key(st, Filters(process=process)) in _numbers._bottlenecks.cache


@pytest.mark.parametrize("payload", ["[1, 2]", "not json", json.dumps({"output": 5, "inputs": []}),
                                     json.dumps({"output": "url.search", "inputs": [{"id": "x"}]})])
def test_malformed_callback_bodies_are_400_without_traceback(client, caplog, payload):
    with caplog.at_level(logging.DEBUG):
        r = client.post("/_dash-update-component", data=payload, content_type="application/json", headers=H)
    assert r.status_code == 400
    assert "Traceback" not in caplog.text and not any(rec.exc_info for rec in caplog.records)


def test_a_forged_value_type_in_a_callback_is_400_without_traceback(store_path, caplog):
    from dash import Input, Output

    app = create_app(store_path)

    @app.callback(Output("probe-out", "children"), Input("probe-in", "value"))
    def probe(value):  # a callback that trusts the type its page sends (a dict)
        return value["name"]

    body = {"output": "probe-out.children", "outputs": {"id": "probe-out", "property": "children"},
            "inputs": [{"id": "probe-in", "property": "value", "value": 5}], "state": [],
            "changedPropIds": ["probe-in.value"]}
    client = app.server.test_client()
    with caplog.at_level(logging.DEBUG, logger="flowmine.dashboard"):
        r = client.post("/_dash-update-component", data=json.dumps(body), content_type="application/json",
                        headers=H)
    assert r.status_code == 400 and b"Traceback" not in r.data
    records = [rec for rec in caplog.records if rec.levelno >= logging.INFO]
    assert len(records) == 1 and records[0].exc_info is None and "TypeError" in records[0].getMessage()
    body["inputs"][0]["value"] = {"name": "ok"}  # the type the page sends: answered
    assert client.post("/_dash-update-component", data=json.dumps(body), content_type="application/json",
                       headers=H).status_code == 200


def test_a_forged_search_type_is_an_empty_query():
    from flowmine.dashboard._state import parse

    assert parse(123, ["p"]) == parse(None, ["p"])  # type: ignore[arg-type]


def test_a_callback_that_raises_on_a_forged_value_is_400_one_log_line(app, caplog):
    from flowmine.dashboard._failures import CALLBACK_PATH

    handler = app.server.error_handler_spec[None][None][Exception]
    with app.server.test_request_context(CALLBACK_PATH, method="POST"), caplog.at_level(logging.DEBUG):
        caplog.clear()
        body, status = handler(TypeError("unhashable type: 'list'"))
    assert status == 400 and "not offered" in body
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and warnings[0].exc_info is None and "TypeError" in warnings[0].getMessage()


def test_improvement_without_configuration_is_a_notice_not_a_blank_app(client, monkeypatch):
    from flowmine.dashboard.pages import improvement

    def fails(store, f):  # whatever a page raises, the shell shows its one line
        raise KeyError("no process configuration for 'unconfigured_demo'")

    monkeypatch.setattr(improvement, "layout", fails)
    out = call_shell(client, "/improvement", "?process=unconfigured_demo")
    notice = text_of(out["shell-notice.children"])
    assert t("page_failed", "en") in notice and "KeyError" in notice and "no process configuration" in notice
    assert out["shell-top.children"]  # the navigation is still there: the app is not blank


def test_improvement_of_an_unconfigured_process_answers(client):
    out = call_shell(client, "/improvement", "?process=unconfigured_demo")
    assert text_of(out["page.children"]).strip() and out["shell-top.children"]  # a page or a notice, never blank


def test_an_unknown_process_is_a_notice_with_no_numbers(client):
    out = call_shell(client, "/", "?process=unconfigured_dem")  # a mistyped name
    page = text_of(out["page.children"])
    assert page == t("unknown_process", "en").format(name="unconfigured_dem")
    assert out["flt-process.value"] is None
    assert "unconfigured_dem" in text_of(out["shell-notice.children"])


def test_dates_beyond_the_data_are_refused_and_the_page_still_renders(client):
    out = call_shell(client, "/", "?process=unconfigured_demo&to=9999-12-31&from=2024-01-01")
    assert "to=9999-12-31" in text_of(out["shell-notice.children"])
    assert out["flt-dates.end_date"] is None and out["flt-dates.start_date"] == "2024-01-01"
    assert (out["flt-dates.min_date_allowed"], out["flt-dates.max_date_allowed"]) == ("2024-01-01", "2024-12-31")
    assert out["flt-dates.initial_visible_month"] == "2024-01-01"  # the calendar opens on the data


def test_chips_and_clear_all_are_links_without_the_filter(client):
    out = call_shell(client, "/map", "?process=unconfigured_demo&has=Check&dur_min=3600&lang=en")
    chips = out["shell-chips.children"]
    hrefs = {c["props"]["children"]: c["props"].get("href") for c in chips if c["type"] == "Link"}
    assert hrefs["Check ✕"] == "/map?process=unconfigured_demo&dur_min=3600&lang=en"
    assert hrefs["1.0 h – … ✕"] == "/map?process=unconfigured_demo&has=Check&lang=en"
    assert hrefs[t("clear_all", "en")] == "/map?process=unconfigured_demo&lang=en"


def test_saved_views_are_written_beside_the_data_and_listed(app, client, store_path):
    output = next(k for k in app.callback_map if "view-status.children" in k)
    body = {"output": output,
            "outputs": [{"id": "view-status", "property": "children"}, {"id": "views-list", "property": "children"}],
            "inputs": [{"id": "view-save", "property": "n_clicks", "value": 1}],
            "state": [{"id": "view-name", "property": "value", "value": "Slow <b>cases</b>"},
                      {"id": "url", "property": "pathname", "value": "/map"},
                      {"id": "url", "property": "search", "value": "?process=unconfigured_demo&has=Check&x=1"}],
            "changedPropIds": ["view-save.n_clicks"]}
    r = client.post("/_dash-update-component", data=json.dumps(body), content_type="application/json", headers=H)
    assert r.status_code == 200
    saved = json.loads((store_path / "views.json").read_text(encoding="utf-8"))
    assert saved == {"views": [{"name": "Slow <b>cases</b>", "path": "/map",
                                "query": "?process=unconfigured_demo&has=Check&lang=en"}]}
    listed = r.get_json()["response"]["views-list"]["children"]
    link = listed["props"]["children"][0]["props"]["children"]
    assert link["props"] == {"children": "Slow <b>cases</b>",  # text, never markup
                             "href": "/map?process=unconfigured_demo&has=Check&lang=en"}
    body["state"][0]["value"] = "x" * 81  # too long: refused, nothing written
    r = client.post("/_dash-update-component", data=json.dumps(body), content_type="application/json", headers=H)
    assert t("view_refused", "en") in r.get_json()["response"]["view-status"]["children"]
    assert len(json.loads((store_path / "views.json").read_text(encoding="utf-8"))["views"]) == 1


def test_report_download_for_a_known_process_only(client):
    assert client.get("/_flowmine/report?process=../etc&lang=en", headers=H).status_code == 404
    assert client.get("/_flowmine/report?process=unconfigured_demo&lang=fr", headers=H).status_code == 404
    r = client.get("/_flowmine/report?process=unconfigured_demo&lang=en", headers=H)
    assert r.status_code in (200, 409)  # a process without a configuration may have no report
    if r.status_code == 200:
        assert r.headers["Content-Disposition"] == 'attachment; filename="flowmine-report-unconfigured_demo-en.html"'


def test_the_time_frame_histogram_counts_case_starts_per_week(client):
    out = call_shell(client, "/", "?process=unconfigured_demo&from=2024-02-01")
    bars = out["flt-hist.figure"]["data"][0]
    starts = dict(zip(bars["x"], bars["y"], strict=True))
    # case A starts Monday 2024-01-01, case B on Friday 2024-03-01 (its week begins Monday 2024-02-26)
    assert {d: n for d, n in starts.items() if n} == {"2024-01-01": 1, "2024-02-26": 1}
    assert sum(starts.values()) == 2
    shade = out["flt-hist.figure"]["layout"]["shapes"][0]
    # the chosen frame, open to the last period (flow runs to the week of the last completion, 2024-03-05)
    assert (shade["x0"], shade["x1"]) == ("2024-02-01", "2024-03-04")


def test_chinese_mode_leaves_no_english_words_in_the_shell(client):
    import re

    out = call_shell(client, "/map", "?process=unconfigured_demo&has=Check&dur_min=3600&from=2024-01-01&lang=zh")
    chrome = {k: v for k, v in out.items() if k.startswith(("lbl-", "views-summary", "view-save", "view-name",
                                                             "report-link.children", "shell-chips", "flt-presets"))
              or k.endswith((".placeholder", "placeholder_text", ".labels"))}
    words: set[str] = set()
    for value in chrome.values():
        text = " ".join(value.values()) if isinstance(value, dict) else text_of(value)
        words |= set(re.findall(r"[A-Za-z]{2,}", re.sub(r"\{\w+\}", "", text)))  # not {num_selected}
    # data and standard names stay as they are: a step of the log, the zone's IANA name, the HTML format
    assert words <= {"Check", "UTC", "HTML", "flowmine"}, words
    assert out["lbl-period.children"] == f"{t('period', 'zh')} (UTC)"
    assert out["flt-values.labels"]["no_options_found"] == "没有匹配的选项"


def test_the_page_is_wrapped_in_a_loading_indicator_after_300_ms(app):
    from dash import dcc

    loading = next(c for c in app.layout.children if isinstance(c, dcc.Loading))
    assert loading.delay_show == 300 and loading.children.id == "page"


def test_a_too_large_callback_body_is_still_413(client):
    big = json.dumps({"output": "x" * (2 * 1024 * 1024)})
    r = client.post("/_dash-update-component", data=big, content_type="application/json", headers=H)
    assert r.status_code == 413


def test_filter_links_on_the_case_page_go_to_the_case_explorer(client):
    out = call_shell(client, "/case", "?process=unconfigured_demo&case=B&has=Check")
    chip = next(c for c in out["shell-chips.children"] if c["type"] == "Link")
    assert chip["props"]["href"] == "/cases?process=unconfigured_demo&lang=en"  # a list of cases, not case B
