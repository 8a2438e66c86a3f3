"""Figure builders: assertions on the figure data of the hand-computed log (no images)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from flowmine._schema import ACTIVITY
from flowmine.analytics import (
    bottleneck_chart,
    bottlenecks,
    flow,
    profile,
    throughput_histogram,
    throughput_time,
    trend_chart,
)
from tests.test_analytics import log as _log_fixture  # the hand-computed log

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


def test_labels_are_escaped(log):
    evil = log.copy()
    evil[ACTIVITY] = evil[ACTIVITY].replace({"B": "<script>alert(1)</script>", "C": "R&D <b>"})
    chart = bottleneck_chart(bottlenecks(evil, kind="activity", n_boot=0))
    assert not any("<script>" in t for t in chart.data[0].y)
    assert not any("<script>" in t for t in chart.data[0].hovertext)


def test_empty_inputs_give_empty_figures(log):
    empty = log.iloc[0:0]
    assert len(throughput_histogram(throughput_time(empty, level="case")).data[0].x) == 0
    assert len(bottleneck_chart(pd.DataFrame(columns=["name", "waiting_total_s"])).data[0].y) == 0
    assert len(trend_chart(flow(empty, by="day")).data[0].y) == 0
