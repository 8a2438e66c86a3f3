"""Variants of a log: each distinct activity sequence once, with its cases, and the one query that finds them.

:class:`Variants` is the value every engine returns (DuckDB in :func:`flowmine.discovery.variants`,
Spark in :func:`flowmine.engines.variants`): both run :func:`variants_sql`, each in its dialect, and
build the result with :meth:`Variants.of`. Events of a case are in the canonical order (``log_order``).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from flowmine._schema import ACTIVITY, CASE
from flowmine.analytics._sql import log_order


@dataclass(frozen=True)
class Variants:
    """Distinct traces of a log, most frequent first (ties by the trace itself).

    Attributes
    ----------
    traces : list of tuple of str
        Activity sequence of each variant.
    counts : numpy.ndarray
        Number of cases of each variant (int64).
    cases : list of list of str
        Case ids of each variant, sorted.
    """

    traces: list[tuple[str, ...]]
    counts: np.ndarray
    cases: list[list[str]]

    def __len__(self) -> int:
        return len(self.traces)

    @property
    def n_cases(self) -> int:
        return int(self.counts.sum())

    @property
    def activities(self) -> list[str]:
        """Every activity that occurs, sorted."""
        return sorted({a for t in self.traces for a in t})

    def renamed(self, mapping: Mapping[str, str]) -> Variants:
        """The same variants with activities renamed (traces that become equal are merged)."""
        merged: dict[tuple[str, ...], tuple[int, list[str]]] = {}
        for trace, n, ids in zip(self.traces, self.counts.tolist(), self.cases, strict=True):
            new = tuple(mapping.get(a, a) for a in trace)
            old_n, old_ids = merged.get(new, (0, []))
            merged[new] = (old_n + n, old_ids + ids)
        return Variants.of((t, n, sorted(ids)) for t, (n, ids) in merged.items())

    @classmethod
    def of(cls, rows: Iterable[tuple[tuple[str, ...], int, list[str]]]) -> Variants:
        """Variants from ``(trace, number of cases, case ids)`` rows, most frequent first (ties by trace)."""
        ordered = sorted(rows, key=lambda r: (-r[1], r[0]))
        return cls(
            traces=[tuple(r[0]) for r in ordered],
            counts=np.array([r[1] for r in ordered], dtype=np.int64),
            cases=[list(r[2]) for r in ordered],
        )

    def case_index(self) -> dict[str, int]:
        """Case id -> variant position."""
        return {c: i for i, ids in enumerate(self.cases) for c in ids}


_SQL = f"""
WITH t AS (
    SELECT "{CASE}" AS c, list("{ACTIVITY}" ORDER BY {{order}}) AS trace
    FROM {{source}} GROUP BY 1
)
SELECT trace, count(*) AS n, list(c ORDER BY c) AS cases FROM t GROUP BY trace
"""


def variants_sql(source: str, columns: Collection[str]) -> str:
    """The variants query (DuckDB SQL) over the relation ``source`` that has the log's ``columns``:
    one row per variant with ``trace`` (a list of activities), ``n`` and ``cases`` (sorted)."""
    return _SQL.format(source=source, order=log_order(columns))
