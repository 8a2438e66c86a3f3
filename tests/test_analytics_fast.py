"""Contract: the compiled fast path and the SQL engine give the same profile (numbers equal to 1e-9)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from flowmine.analytics import CaseFilter, profile
from flowmine.analytics._fast import CACHE, available
from tests.test_analytics import log as _log_fixture  # the hand-computed log
from tests.test_analytics_truth import SAMPLE_PROCESSES
from tests.test_analytics_truth import samples as _samples_fixture

log = _log_fixture
samples = _samples_fixture
pytestmark = pytest.mark.skipif(not available(), reason="numba is not installed: no fast path")


def assert_same(a, b, path="profile"):
    if isinstance(a, dict):
        assert a.keys() == b.keys(), path
        for k in a:
            if k != "engine":
                assert_same(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, list):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same(x, y, f"{path}[{i}]")
    elif isinstance(a, float) and isinstance(b, float):
        assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6), (path, a, b)
    else:
        assert a == b, (path, a, b)


def test_hand_log_fast_equals_sql(log):
    assert_same(profile(log, engine="fast", by="day", n_boot=100), profile(log, engine="sql", by="day", n_boot=100))
    assert_same(profile(log.iloc[0:0], engine="fast"), profile(log.iloc[0:0], engine="sql"))


@pytest.mark.parametrize("process", SAMPLE_PROCESSES)
def test_sample_logs_fast_equals_sql(samples, process):
    from flowmine.analytics import stored

    lg = stored(samples, process)
    fast = profile(lg, engine="fast", by="week")
    assert (samples.events_path(process).parent / CACHE).exists()  # built once, memory-mapped afterwards
    assert_same(fast, profile(lg, engine="fast", by="week"))
    assert_same(fast, profile(lg, engine="sql", by="week"))


def test_filtered_fast_equals_sql(samples):
    from flowmine.analytics import stored

    flt = CaseFilter(duration_s=(86400, None))
    lg = stored(samples, "finance")
    assert_same(profile(lg, filters=flt, engine="fast"), profile(lg, filters=flt, engine="sql"))


def test_a_remembered_deal_of_cases_into_batches_is_the_fresh_deal() -> None:
    from flowmine.analytics import _bootstrap

    _bootstrap._DEALS._items.clear()
    first = _bootstrap.case_batches(10_000, 3)
    again = _bootstrap.case_batches(10_000, 3)
    _bootstrap._DEALS._items.clear()
    fresh = _bootstrap.case_batches(10_000, 3)
    assert again[0] is first[0]  # remembered
    assert np.array_equal(fresh[0], first[0]) and fresh[1] == first[1] == 500 and fresh[2] == first[2]
    assert not np.array_equal(_bootstrap.case_batches(10_000, 4)[0], first[0])  # another seed, another deal

