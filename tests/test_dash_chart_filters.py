"""Filters created by clicking a chart, answered over HTTP as a browser (or a forger) would call them: a
bar of the bottleneck charts filters to the cases behind it (containing the step; the second step directly
after the first), a month of the overview's trend sets the time frame to that month. Anything but a bar
or month the chart drew is answered without an update.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs

import pytest

from flowmine.dashboard._data import filters_of, log_of
from flowmine.dashboard._numbers import bottleneck_lists
from flowmine.dashboard.pages.bottlenecks import figure as bottleneck_figure
from flowmine.dashboard.pages.overview import month_window, trend_figure
from tests.test_dash_map_callbacks import _call, _refused
from tests.test_dash_map_callbacks import client as client  # the procurement store and app

SEARCH = "?process=procurement"


def _search(resp) -> dict[str, list[str]]:
    body = json.loads(resp.get_data(as_text=True))["response"]
    return parse_qs(body["url"]["search"].lstrip("?"))


def _writer(http, inputs: list[str]) -> str:
    """The output string of the callback that writes the URL from these inputs (several callbacks do)."""
    deps = json.loads(http.get("/_dash-dependencies").get_data(as_text=True))
    return next(d["output"] for d in deps if "url.search" in d["output"] and [i["id"] for i in d["inputs"]] == inputs)


def _bar(http, chart: str, customdata, search=SEARCH):
    """A click on one bar of ``chart``: that input changed, the other chart's click data stays empty."""
    click = {"points": [{"customdata": customdata}]}
    body = {"output": (output := _writer(http, ["bn-chart", "bn-chart-edges"])),
            "outputs": {"id": "url", "property": output.split(".", 1)[1]},
            "inputs": [{"id": c, "property": "clickData", "value": click if c == chart else None}
                       for c in ("bn-chart", "bn-chart-edges")],
            "changedPropIds": [f"{chart}.clickData"], "state": [{"id": "url", "property": "search", "value": search}]}
    return http.post("/_dash-update-component", json=body)


def test_a_bottleneck_bar_filters_to_its_cases(client):
    http, st = client
    f = filters_of(st, SEARCH)
    lists = bottleneck_lists(st, f)
    step, edge = lists["activity"][0]["name"], lists["edge"][0]["name"]
    fig = bottleneck_figure(lists["activity"], "procurement", "x", "en")
    assert step in fig["data"][0]["customdata"]  # the bar carries the data's own name
    got = _search(_bar(http, "bn-chart", step))
    assert got["has"] == [step] and got["process"] == ["procurement"]
    got = _search(_bar(http, "bn-chart-edges", edge))
    assert got["df"] == [edge]
    # the filter it sets keeps exactly the cases with that step
    kept = filters_of(st, "?" + "&".join(f"{k}={v}" for k, vs in _search(_bar(http, "bn-chart", step)).items()
                                        for v in vs))
    assert kept.has == (step,) and kept.refused == ()
    for forged in ("No such step", "<script>x</script>", 5, None, ["a"]):
        assert _refused(_bar(http, "bn-chart", forged)), forged
    assert _refused(_bar(http, "bn-chart-edges", step))  # a step is not a transition
    assert _refused(_bar(http, "bn-chart", step, search=5))


def test_a_month_of_the_trend_sets_the_time_frame(client):
    http, st = client
    from flowmine.dashboard._data import process_profile

    f = filters_of(st, SEARCH)
    p = process_profile(st, f)
    months = trend_figure(p, "en")["data"][0]["customdata"]
    month = months[len(months) // 2]
    output = _writer(http, ["ov-trend"])
    resp = _call(http, output, [("ov-trend", "clickData", {"points": [{"customdata": month}]})],
                 [("url", "search", SEARCH)])
    got = _search(resp)
    window = month_window(f, month)
    assert got["from"] == [window.start] and got["to"] == [window.end] and window.start == f"{month}-01"
    kept = log_of(st, filters_of(st, f"?process=procurement&from={window.start}&to={window.end}"))
    assert kept.filters  # the month is a real filter of the cases
    assert month_window(f, "2024-02").end == "2024-02-29"  # whole months, leap years too
    for forged in ("1999-01", "2025-13", "<b>", 7, None):
        resp = _call(http, output, [("ov-trend", "clickData", {"points": [{"customdata": forged}]})],
                     [("url", "search", SEARCH)])
        assert _refused(resp), forged


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_bars_keep_their_names_in_either_language(client, lang):
    _, st = client
    lists = bottleneck_lists(st, filters_of(st, SEARCH))
    fig = bottleneck_figure(lists["edge"], "procurement", "x", lang)
    assert fig["data"][0]["customdata"] == [b["name"] for b in reversed(lists["edge"])]
