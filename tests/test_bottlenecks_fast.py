"""Contract: ``bottlenecks`` from the compiled passes equals its SQL (numbers equal to 1e-9), filtered too."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import flowmine.analytics._bottlenecks as B
from flowmine.analytics import CaseFilter, bottlenecks, hold, stored
from flowmine.analytics._fast import available
from tests.test_analytics import log as _log_fixture  # the hand-computed log
from tests.test_analytics_truth import SAMPLE_PROCESSES
from tests.test_analytics_truth import samples as _samples_fixture

log = _log_fixture
samples = _samples_fixture
pytestmark = pytest.mark.skipif(not available(), reason="numba is not installed: no fast path")


def sql(monkeypatch, lg, **kw):
    with monkeypatch.context() as m:
        m.setattr(B, "_fast", lambda *a: None)
        return bottlenecks(lg, **kw)


def assert_same(fast: pd.DataFrame, slow: pd.DataFrame) -> None:
    assert list(fast.columns) == list(slow.columns)
    assert list(fast.dtypes) == list(slow.dtypes)
    assert len(fast) == len(slow) > 0
    for c in fast.columns:
        if fast[c].dtype.kind == "f":
            assert np.allclose(fast[c].to_numpy(), slow[c].to_numpy(), rtol=1e-9, atol=1e-6, equal_nan=True), c
        else:
            assert fast[c].tolist() == slow[c].tolist(), c


def test_fast_path_is_taken(monkeypatch, log):
    called = []
    real = B._fast
    monkeypatch.setattr(B, "_fast", lambda *a: called.append(a) or real(*a))
    bottlenecks(log)
    assert called and real(log, "both", 10, 0, 0.95) is not None


@pytest.mark.parametrize("kind", ["activity", "edge", "both"])
def test_hand_log_fast_equals_sql(monkeypatch, log, kind):
    assert_same(bottlenecks(log, kind=kind, n_boot=200), sql(monkeypatch, log, kind=kind, n_boot=200))
    assert_same(bottlenecks(log, kind=kind, n_boot=0, confidence=0.8),
                sql(monkeypatch, log, kind=kind, n_boot=0, confidence=0.8))


def test_hand_log_numbers(log):
    """The fast rows of the hand-computed log (tests/test_analytics.py): waiting at B 15 s over 3 instances
    (median 5) in 2 cases, C 2 s, D 0 s; 17 s of waiting in all; the edge A → C 10 s of 35 s."""
    b = bottlenecks(log, n_boot=0).set_index("name")
    top = b.loc["B"]
    assert (top["waiting_total_s"], top["instances"], top["waiting_median_s"], top["waiting_mean_s"], top["cases"]
            ) == (15, 3, 5, 5, 2)
    assert (b.loc["C", "waiting_total_s"], b.loc["D", "waiting_total_s"]) == (2, 0)
    assert top["share"] == pytest.approx(15 / 17) and b.loc["A → C", "share"] == pytest.approx(10 / 35)
    assert b.loc["A → C", "basis"] == "edge" and top["basis"] == "waiting"


@pytest.mark.parametrize("process", SAMPLE_PROCESSES)
def test_sample_logs_fast_equals_sql(monkeypatch, samples, process):
    lg = stored(samples, process)
    assert_same(bottlenecks(lg), sql(monkeypatch, lg))


@pytest.mark.parametrize("held", [False, True])
def test_filtered_fast_equals_sql(monkeypatch, samples, held):
    lg = stored(samples, "finance")
    if held:
        hold(lg)
    for flt in (CaseFilter(duration_s=(86400, None)), CaseFilter(started=("2025-03-01", "2025-05-01"))):
        assert_same(bottlenecks(lg.where(flt), confidence=0.9), sql(monkeypatch, lg.where(flt), confidence=0.9))
