"""Influencing factors: why a step is slow, costly or deviating (``explain``), ranked by the excess they cause.

Every effect comes with its support, an effect ratio with a bootstrap interval, a p-value corrected for
the many values tested (Benjamini-Hochberg) and the excess it is responsible for; small groups are never
findings. See ``docs/EXPLAIN.md``.

Examples
--------
>>> from flowmine.analytics import stored
>>> from flowmine.explain import explain
>>> result = explain(stored(STORE, "finance"), step="GM approval")  # STORE: a store's path
>>> result.statistic, result.unit
('median', 's')
"""

from flowmine.explain._explain import FACTOR_COLUMNS, Explanation, explain
from flowmine.explain._units import MEASURES

__all__ = [
    "FACTOR_COLUMNS",
    "MEASURES",
    "Explanation",
    "explain",
]
