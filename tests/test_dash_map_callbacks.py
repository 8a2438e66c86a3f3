"""The map page's callbacks answered over HTTP as a browser (or a forger) would call them: a clicked step
or path, a slider, an overlay and a statistic are checked against what the page offered; a forged
value is answered without an update (``no_update``: an empty response), never a 500.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from flowmine import Store
from flowmine.analytics import stored
from flowmine.dashboard import create_app
from flowmine.dashboard.pages.processmap import clicked_edge, clicked_step
from flowmine.discovery import map_layout, process_map
from flowmine.vocabulary import number

SAMPLES = Path(__file__).resolve().parents[1] / "sample_logs"
SEARCH = "?process=procurement"


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    from flowmine.analytics import prepare

    st = Store(tmp_path_factory.mktemp("mapcb") / "store")
    st.ingest("procurement", [str(SAMPLES / "procurement_events_gbk.csv")],
              mapping=SAMPLES / "procurement_events_gbk.mapping.toml")
    prepare(st, "procurement")
    app = create_app(st.path)
    return app.server.test_client(), st


def _call(client, output: str, inputs: list[tuple[str, str, object]], state: list[tuple[str, str, object]]):
    outputs = [{"id": o.split(".")[0], "property": o.split(".")[1]} for o in output.strip(".").split("...")]
    body = {"output": output, "outputs": outputs if len(outputs) > 1 else outputs[0],
            "inputs": [{"id": i, "property": p, "value": v} for i, p, v in inputs],
            "changedPropIds": [f"{inputs[0][0]}.{inputs[0][1]}"],
            "state": [{"id": i, "property": p, "value": v} for i, p, v in state]}
    return client.post("/_dash-update-component", json=body)


def _output(client, part: str) -> str:
    """The output string of the callback that writes ``part`` (Dash names duplicate outputs with a hash)."""
    deps = json.loads(client.get("/_dash-dependencies").get_data(as_text=True))
    return next(d["output"] for d in deps if part in d["output"])


def _refused(resp) -> bool:
    """The callback answered ``no_update`` (an empty response) or prevented the update (204)."""
    return resp.status_code == 204 or (resp.status_code == 200 and json.loads(resp.get_data(as_text=True))[
        "response"] == {})


def _click(client, customdata, activities=1.0, paths=0.8, search=SEARCH):
    return _call(client, "map-detail.children", [("map-graph", "clickData", {"points": [{"customdata": customdata}]})],
                 [("url", "search", search), ("map-activities", "value", activities), ("map-paths", "value", paths)])


def test_a_clicked_path_opens_its_detail_and_forged_clicks_are_refused(client):
    http, st = client
    log = stored(st, "procurement")
    edges = process_map(log, activities=1.0, paths=0.8, layout=map_layout(log)).edges
    e = edges[(edges.source == "Contract and purchase order") & (edges.target == "Goods receipt")].iloc[0]
    ok = _click(http, ["Contract and purchase order", "Goods receipt", 110, 0.0])
    assert ok.status_code == 200 and not _refused(ok)
    shown = json.dumps(json.loads(ok.get_data(as_text=True)), ensure_ascii=False)
    assert "Contract and purchase order → Goods receipt" in shown
    assert json.dumps(number(e["cases"])) in shown and '"110"' in shown
    step = _click(http, ["PO approval", 4862])
    assert step.status_code == 200 and "PO approval" in step.get_data(as_text=True)
    for forged in (["PO approval", "<script>x</script>", 1, 2],  # a path that is not on the map
                   ["Payment", "PO approval", 1, 2],  # a path of no case
                   ["No such step", 3], [1, 2], "x", None, {"a": 1}):
        assert _refused(_click(http, forged)), forged
    for activities, paths in ((1.5, 0.8), ("1", 0.8), (True, 0.8), (1.0, 0.33)):  # sliders the page never offers
        assert _refused(_click(http, ["Contract and purchase order", "Goods receipt", 110, 0.0], activities,
                               paths)), (activities, paths)


def test_overlay_and_statistic_are_checked(client):
    http, _ = client

    def figure(overlay, statistic):
        return _call(http, _output(http, "map-graph.figure"),
                     [("map-activities", "value", 1.0), ("map-paths", "value", 0.8), ("map-overlay", "value", overlay),
                      ("map-statistic", "value", statistic)], [("url", "search", SEARCH)])

    ok = figure("performance", "max")
    assert "&overlay=performance&stat=max" in ok.get_data(as_text=True)  # the settings go into the URL
    assert ok.status_code == 200 and "Maximum waiting time" in ok.get_data(as_text=True)
    for overlay, statistic in (("performance", "absolute"), ("frequency", "median"), ("waiting", "mean"),
                               ("cost", None), ("frequency", ["absolute"])):
        assert _refused(figure(overlay, statistic)), (overlay, statistic)
    opts = _call(http, "..map-statistic.options...map-statistic.value..", [("map-overlay", "value", "performance")],
                 [("url", "search", SEARCH + "&lang=zh")])
    assert opts.status_code == 200
    assert json.loads(opts.get_data(as_text=True))["response"]["map-statistic"] == {
        "options": [{"label": "中位数", "value": "median"}, {"label": "平均值", "value": "mean"},
                    {"label": "累计", "value": "total"}, {"label": "最大值", "value": "max"}], "value": "median"}
    forged = _call(http, "..map-statistic.options...map-statistic.value..", [("map-overlay", "value", "<x>")],
                   [("url", "search", SEARCH)])
    assert _refused(forged)


def test_click_parsers():
    assert clicked_step({"points": [{"customdata": ["Payment", 12]}]}) == "Payment"
    assert clicked_edge({"points": [{"customdata": ["A", "B", 3, None]}]}) == ("A", "B")
    for forged in (None, {}, {"points": []}, {"points": [{"customdata": ["A", 2, 3, 4]}]},
                   {"points": [{"customdata": ["A", "B", 3]}]}, {"points": [{"customdata": "AB"}]}):
        assert clicked_edge(forged) is None
    assert clicked_step({"points": [{"customdata": ["A", "B", 3, 4]}]}) is None  # an edge is not a step


def test_the_page_knows_the_virtual_nodes_by_the_discovery_names():
    from flowmine import discovery
    from flowmine.dashboard.pages import processmap

    assert (processmap.START_NODE, processmap.END_NODE) == (discovery.START_NODE, discovery.END_NODE)


def test_the_map_settings_live_in_the_url_and_a_shared_link_restores_them(client):
    from flowmine.dashboard._data import filters_of
    from flowmine.dashboard.pages import processmap

    http, st = client
    f = filters_of(st, SEARCH + "&acts=0.5&paths=0.35&overlay=performance&stat=mean&lang=zh")
    assert processmap.settings(f) == (0.5, 0.35, "performance", "mean")
    assert f.query().endswith("&lang=zh&acts=0.5&paths=0.35&overlay=performance&stat=mean")
    assert f.key() == filters_of(st, SEARCH + "&lang=zh").key()  # not a case filter
    page = processmap.layout(st, f)
    values = {c.id: c.value for c in _walk(page) if getattr(c, "id", None) in (
        "map-activities", "map-paths", "map-overlay", "map-statistic")}
    assert values == {"map-activities": 0.5, "map-paths": 0.35, "map-overlay": "performance", "map-statistic": "mean"}
    # values the page does not offer fall back to its defaults; a statistic of another overlay too
    forged = filters_of(st, SEARCH + "&acts=7&paths=<x>&overlay=waiting&stat=mean")
    assert processmap.settings(forged) == (1.0, 0.8, "frequency", "absolute")
    assert processmap.settings(filters_of(st, SEARCH + "&overlay=performance&stat=absolute")) == (
        1.0, 0.8, "performance", "median")
    # the defaults stay out of the URL; a changed global filter keeps the settings
    assert processmap.with_settings(f, 1.0, 0.8, "frequency", "absolute").query() == SEARCH + "&lang=zh"
    resp = _call(http, _output(http, "map-graph.figure"),
                 [("map-activities", "value", 0.25), ("map-paths", "value", 0.8), ("map-overlay", "value", "frequency"),
                  ("map-statistic", "value", "cases")], [("url", "search", SEARCH)])
    written = json.loads(resp.get_data(as_text=True))["response"]["url"]["search"]
    assert written == SEARCH + "&lang=en&acts=0.25&stat=cases"
    same = _call(http, _output(http, "map-graph.figure"),
                 [("map-activities", "value", 0.25), ("map-paths", "value", 0.8), ("map-overlay", "value", "frequency"),
                  ("map-statistic", "value", "cases")], [("url", "search", SEARCH + "&acts=0.25&stat=cases")])
    assert "url" not in json.loads(same.get_data(as_text=True))["response"]  # unchanged: no new history entry


def _walk(component):
    yield component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list) else [children] if children is not None else []:
        if hasattr(child, "to_plotly_json"):
            yield from _walk(child)
