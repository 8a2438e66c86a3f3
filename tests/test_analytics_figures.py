"""Figure builders: assertions on the figure data of the hand-computed log (no images)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from tests.test_analytics import log as _log_fixture  # the hand-computed log

from flowmine._schema import ACTIVITY
from flowmine.analytics import (
    AnalyticsError,
    bottleneck_chart,
    bottlenecks,
    directly_follows,
    filter_cases,
    flow,
    map_layout,
    process_map,
    profile,
    throughput_histogram,
    throughput_time,
    trend_chart,
)

log = _log_fixture


def test_throughput_histogram_in_minutes(log):
    fig = throughput_histogram(throughput_time(log, level="case"), unit="min", bins=5)
    assert fig.data[0].type == "histogram"
    assert sorted(fig.data[0].x) == pytest.approx([10 / 60, 50 / 60, 60 / 60])  # c3 10 s, c2 50 s, c1 60 s
    assert fig.layout.xaxis.title.text == "throughput time (min)"


def test_bottleneck_chart_has_ci_error_bars_largest_on_top(log):
    rows = bottlenecks(log, kind="activity", n_boot=50)
    fig = bottleneck_chart(rows, unit="s")
    bar = fig.data[0]
    top = rows.iloc[0]
    assert bar.y[-1] == top["name"]  # horizontal bars: the last category is drawn on top
    assert bar.x[-1] == pytest.approx(top["waiting_total_s"])
    assert bar.error_x.array[-1] == pytest.approx(max(top["ci_high_s"] - top["waiting_total_s"], 0))
    assert bar.error_x.arrayminus[-1] == pytest.approx(max(top["waiting_total_s"] - top["ci_low_s"], 0))
    assert list(bar.x) == sorted(bar.x)


def test_bottleneck_chart_from_profile_records(log):
    p = profile(log, engine="sql", n_boot=20)
    fig = bottleneck_chart(p["bottlenecks"], top=2, unit="min")
    assert len(fig.data[0].y) == 2
    assert fig.data[0].x[-1] == pytest.approx(p["bottlenecks"][0]["waiting_total_s"] / 60)


def test_trend_chart_lines(log):
    periods = flow(log, by="day")
    fig = trend_chart(periods, unit="s")
    names = [t.name for t in fig.data]
    assert names == ["arrivals", "completions", "work in progress", "median throughput time (s)"]
    assert list(fig.data[0].y) == periods["arrivals"].tolist()
    assert list(fig.data[2].y) == periods["wip"].tolist()
    assert fig.data[3].yaxis == "y2"
    np.testing.assert_allclose(fig.data[3].y, periods["throughput_median_s"].to_numpy(dtype=float))


def test_process_map_frequency_and_performance(log):
    edges = directly_follows(log)
    fig = process_map(edges, overlay="frequency")
    nodes = fig.data[-1]
    assert list(nodes.text) == ["A", "B", "C", "D"]
    labels = fig.data[-2]
    assert sorted(labels.text) == sorted(f"{c:,}" for c in edges["count"])
    assert len(fig.layout.annotations) == len(edges)  # one arrow per edge (no self-loops here)
    perf = process_map(edges, overlay="performance", unit="s")
    ab = edges[(edges.source == "A") & (edges.target == "B")].iloc[0]
    i = [h.startswith("A → B") for h in perf.data[-2].hovertext].index(True)
    assert perf.data[-2].text[i] == f"{ab['duration_median_s']:,.1f} s"
    with pytest.raises(AnalyticsError, match="overlay"):
        process_map(edges, overlay="speed")


def test_layout_is_layered_deterministic_and_stable_under_filter(log):
    edges = directly_follows(log)
    pos = map_layout(edges)
    assert pos == map_layout(edges.iloc[::-1])  # row order does not matter
    assert pos["A"][1] == 0.0 and pos["A"][1] > pos["C"][1] and pos["A"][1] > pos["B"][1]
    only_c2 = filter_cases(log, variants=["A → C → B → D"])
    fig = process_map(directly_follows(only_c2), positions=pos)
    nodes = fig.data[-1]
    for name, x, y in zip(nodes.customdata, nodes.x, nodes.y, strict=True):
        assert (x, y) == pos[name]


def test_labels_are_escaped(log):
    evil = log.copy()
    evil[ACTIVITY] = evil[ACTIVITY].replace({"B": "<script>alert(1)</script>", "C": "R&D <b>"})
    edges = directly_follows(evil)
    fig = process_map(edges, profile(evil, engine="sql", n_boot=0)["activities"])
    texts = list(fig.data[-1].text) + list(fig.data[-1].hovertext) + list(fig.data[-2].hovertext)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in fig.data[-1].text
    assert "R&amp;D &lt;b&gt;" in fig.data[-1].text
    assert not any("<script>" in t or "<b>" in t for t in texts)
    chart = bottleneck_chart(bottlenecks(evil, kind="activity", n_boot=0))
    assert not any("<script>" in t for t in chart.data[0].y)
    assert not any("<script>" in t for t in chart.data[0].hovertext)


def test_empty_inputs_give_empty_figures(log):
    empty = log.iloc[0:0]
    assert len(throughput_histogram(throughput_time(empty, level="case")).data[0].x) == 0
    assert len(bottleneck_chart(pd.DataFrame(columns=["name", "waiting_total_s"])).data[0].y) == 0
    assert len(process_map(directly_follows(empty)).data[-1].x) == 0
    assert len(trend_chart(flow(empty, by="day")).data[0].y) == 0
