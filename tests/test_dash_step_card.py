"""The step card on the dashboard: the Steps page's card callback (the same numbers as the API, forged steps
refused, Chinese without English UI words) and the map's step detail with its influencing factors."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from flowmine import Store
from flowmine.dashboard import create_app
from tests.test_dash_map_callbacks import _call, _refused
from tests.test_dash_zh_pages import NAMES, _texts

SAMPLES = Path(__file__).resolve().parents[1] / "sample_logs"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory):
    from flowmine.analytics import prepare

    st = Store(tmp_path_factory.mktemp("card") / "store")
    st.ingest("finance", [str(SAMPLES / "finance_claims.csv")], mapping=SAMPLES / "finance_claims.mapping.toml")
    prepare(st, "finance")
    return create_app(st.path).server.test_client(), st


def _card(client, step: object, search: str = "?process=finance"):
    return _call(client, "steps-card.children", [("steps-card-step", "value", step)], [("url", "search", search)])


def _ids(node, out: set[str]) -> set[str]:
    if isinstance(node, dict):
        if isinstance(node.get("id"), str):
            out.add(node["id"])
        for v in node.values():
            _ids(v, out)
    elif isinstance(node, list):
        for v in node:
            _ids(v, out)
    return out


def test_the_card_callback_shows_the_six_elements_with_the_api_s_numbers(client) -> None:
    from flowmine.analytics import stored
    from flowmine.explain import step_card

    http, st = client
    r = _card(http, "GM approval")
    assert r.status_code == 200
    body = json.loads(r.get_data(as_text=True))["response"]["steps-card"]["children"]
    ids = _ids(body, set())
    for element in ("el_inputs", "el_processing", "el_outputs", "el_controls", "el_participants", "el_environment",
                    "el_annotations"):
        assert f"card-{element}" in ids
    api = step_card(stored(st, "finance"), "GM approval").to_dict()
    text = json.dumps(body, ensure_ascii=False)
    rework = api["processing"]["rework_rate"]
    assert f"{rework:.1%}" in text
    top = api["environment"]["factors"][0]
    assert str(top["cases"]) in text.replace(",", "")  # the grid's raw value
    assert "card-change" in ids


def test_a_forged_or_unknown_step_gets_no_update(client) -> None:
    http, _ = client
    assert _refused(_card(http, "<script>alert(1)</script>"))
    assert _refused(_card(http, {"not": "a step"}))


def test_the_card_in_chinese_has_no_english_ui_words(client) -> None:
    http, _ = client
    r = _card(http, "Finance review", "?process=finance&lang=zh")
    body = json.loads(r.get_data(as_text=True))["response"]
    allowed = set(NAMES) | {"finance", "flowmine", "annotate", "department", "expense", "type", "amount"}
    english = sorted({w for s in _texts(body, []) for w in re.findall(r"\b[A-Za-z]{3,}\b", s)} - allowed)
    assert english == [], english


def test_the_map_s_step_detail_links_to_the_card_and_loads_its_factors(client) -> None:
    from flowmine.analytics import stored
    from flowmine.explain import explain

    http, st = client
    click = {"points": [{"customdata": ["GM approval", 1]}]}
    r = _call(http, "map-detail.children", [("map-graph", "clickData", click)],
              [("url", "search", "?process=finance"), ("map-activities", "value", 1.0), ("map-paths", "value", 0.8)])
    assert r.status_code == 200
    body = json.loads(r.get_data(as_text=True))["response"]["map-detail"]["children"]
    ids = _ids(body, set())
    assert "map-d-card" in ids and "map-d-step" in ids  # the factors come in their own callback
    assert "card=GM+approval" in json.dumps(body, ensure_ascii=False)
    r = _call(http, "map-d-factors-box.children", [("map-d-step", "data", "GM approval")],
              [("url", "search", "?process=finance")])
    box = json.loads(r.get_data(as_text=True))["response"]["map-d-factors-box"]["children"]
    assert "map-d-factors" in _ids(box, set())
    top = explain(stored(st, "finance"), step="GM approval").findings.iloc[0]
    assert str(int(top["cases"])) in json.dumps(box).replace(",", "")
    assert _refused(_call(http, "map-d-factors-box.children", [("map-d-step", "data", "<b>x</b>")],
                          [("url", "search", "?process=finance")]))


def test_a_served_dashboard_computes_cards_and_factors_in_its_worker_process_with_the_same_numbers(
        client) -> None:
    """``serve`` hands the heavy callbacks to one spawned worker process (``_heavy``): the worker's card
    and factors are those computed here, and it is a process of its own. (``_heavy.run`` sends work
    there only for a request of an app ``serve`` started; ``worker=True`` asks for it here.)"""
    import os

    from flowmine.dashboard import _data, _heavy

    _http, st = client
    key = _data._key(st, _data.Filters(process="finance"))
    here = _data.card_work("Finance review", "en", *key)
    factors_here = _data.factors_work("Finance review", *key)
    try:
        assert _heavy.submit(os.getpid).result() != os.getpid()
        _heavy.submit(_data.worker_warm, *key[:3]).result()
        there = _heavy.run(_data.card_work, "Finance review", "en", *key, worker=True)
        assert there == here and there["environment"]["factors"]  # R&D's planted inbox delay, found there too
        assert _heavy.run(_data.factors_work, "Finance review", *key, worker=True) == factors_here
        assert not _heavy.served()  # outside a served app's request nothing goes to the worker
    finally:
        _heavy.shutdown()


@pytest.mark.parametrize(("free", "expected"), [(64 * 2**30, True), (2**20, False), (None, True)])
def test_serve_starts_the_worker_only_when_both_processes_fit_in_the_free_memory(
        client, monkeypatch: pytest.MonkeyPatch, free: int | None, expected: bool) -> None:
    """A worker holds a second copy of the logs: ``serve`` (worker=None) starts it when the estimate for
    the store's events fits in the free memory (or the free memory is unknown), else the cards compute in
    the server; an explicit ``worker`` is obeyed whatever the memory."""
    import waitress

    from flowmine.dashboard import _app, _heavy

    _http, st = client
    seen: list[tuple[bool, bool]] = []
    monkeypatch.setattr(_heavy, "free_memory", lambda: free)
    monkeypatch.setattr(_app, "_warm", lambda store, ready, worker=False, server=None: None)
    monkeypatch.setattr(_app.signal, "signal", lambda *a: None)  # not this test process's SIGTERM
    monkeypatch.setattr(waitress, "serve", lambda app, **kw: seen.append((app.config["FLOWMINE_WORKER"], kw["host"]
                                                                         == "127.0.0.1")))
    _app.serve(st.path, port=8765)
    _app.serve(st.path, port=8765, worker=not expected)
    assert seen == [(expected, True), (not expected, True)]
    events = st.manifest("finance")["events"]
    need = events * (_heavy.SERVER_BYTES_PER_EVENT + _heavy.WORKER_BYTES_PER_EVENT) / _heavy.MEMORY_SHARE
    assert _heavy.worker_fits(events, free=int(need * 1.01)) and not _heavy.worker_fits(events, free=int(need * 0.99))


def test_start_up_computes_the_unfiltered_step_cards_within_its_time_budget(client, monkeypatch) -> None:
    """A served dashboard with a worker computes every step's unfiltered card in both languages at start-up
    (the app's context sends them to its worker; here, without one, they compute in this process), and
    stops when :data:`CARD_WARM_S` has passed."""
    from flowmine.dashboard import _app, _data

    http, st = client
    steps = [a["activity"] for a in _data.process_profile(st, _data.Filters(process="finance"))["activities"]]
    _data._step_card.cache.clear()  # type: ignore[attr-defined]
    monkeypatch.setattr(_app, "CARD_WARM_S", 0.0)
    _app._warm_cards(st, http.application)
    assert not _data._step_card.cache  # type: ignore[attr-defined]  # no time: no card
    monkeypatch.setattr(_app, "CARD_WARM_S", 600.0)
    _app._warm_cards(st, http.application)
    cached = {(k[0], k[1]) for k in _data._step_card.cache}  # type: ignore[attr-defined]
    assert cached == {(s, lang) for s in steps for lang in ("en", "zh")}
    assert _card(http, steps[0])  # the page's callback answers from them
