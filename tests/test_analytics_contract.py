"""Contract over every declared metric and level: declared columns, input untouched, empty log handled."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest
from tests.test_analytics import log as _log_fixture  # the hand-computed log

import flowmine.analytics as fa
from flowmine.analytics import COLUMNS

log = _log_fixture


def call(metric: str, level: str, data: object) -> pd.DataFrame:
    fn = getattr(fa, metric)
    if metric == "bottlenecks":
        return fn(data, kind=level, n_boot=20)
    if metric == "flow":
        return fn(data, by="day")
    if metric == "instances":
        return fn(data)
    if metric == "slowest_cases":  # the drill-down of the top bottleneck step
        top = fa.bottlenecks(data, kind="activity", n_boot=0)
        return fn(data, name=str(top["name"].iloc[0]) if len(top) else "none", kind="activity")
    return fn(data, level=level)


CASES = sorted(COLUMNS)


def test_every_public_metric_is_declared():
    metrics = {m for m, _ in COLUMNS}
    assert metrics == {"throughput_time", "service_time", "waiting_time", "queue_time", "sojourn_time",
                       "directly_follows", "variant_stats", "flow", "bottlenecks", "cost", "rework", "quality",
                       "workload", "handovers", "instances", "slowest_cases"}
    assert all(m in fa.__all__ for m in metrics)


@pytest.mark.parametrize(("metric", "level"), CASES)
def test_declared_columns_and_input_untouched(metric, level, log):
    before = log.copy(deep=True)
    frame = call(metric, level, log)
    assert tuple(frame.columns) == COLUMNS[(metric, level)]
    assert len(frame) > 0
    pd.testing.assert_frame_equal(log, before)


@pytest.mark.parametrize(("metric", "level"), CASES)
def test_empty_log(metric, level, log):
    frame = call(metric, level, log.iloc[0:0])
    assert tuple(frame.columns) == COLUMNS[(metric, level)]
    assert len(frame) <= 1  # log-level metrics: one row of counts 0


@pytest.mark.parametrize(("metric", "level"), CASES)
def test_arrow_input_gives_the_same_frame(metric, level, log):
    pd.testing.assert_frame_equal(call(metric, level, pa.Table.from_pandas(log, preserve_index=False)),
                                  call(metric, level, log))


def test_profile_of_empty_log(log):
    p = fa.profile(log.iloc[0:0], engine="sql")
    assert (p["cases"], p["events"], p["activities"], p["bottlenecks"]) == (0, 0, [], [])
