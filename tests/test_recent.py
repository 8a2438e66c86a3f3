"""The small least-recently-used memo of values computed once per log version (``analytics._recent``)."""

from __future__ import annotations

import numpy as np

from flowmine.analytics._recent import Recent


def test_most_values_least_recent_dropped_first():
    r: Recent[int] = Recent(2)
    assert [r.get(k, lambda k=k: k * 10) for k in (1, 2)] == [10, 20]
    assert r.get(1, lambda: -1) == 10  # kept: not built again, and now the most recent
    r.get(3, lambda: 30)
    assert 1 in r and 3 in r and 2 not in r


def test_byte_budget():
    r: Recent[np.ndarray] = Recent(10, weigh=lambda a: a.nbytes, budget=100)
    r.get("a", lambda: np.zeros(5))  # 40 bytes
    r.get("b", lambda: np.zeros(5))  # 80
    r.get("c", lambda: np.zeros(5))  # 120 > 100: "a" goes
    assert "a" not in r and "b" in r and "c" in r
    big = r.get("d", lambda: np.zeros(50))  # 400 bytes: returned, never kept
    assert big.size == 50 and "d" not in r and "b" in r and "c" in r
