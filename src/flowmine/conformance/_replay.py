"""Token-based replay on variants, weighted by their case counts.

It calls pm4py's own token replayer with the parameters pm4py's ``fitness_token_based_replay``
uses, on one trace per variant, and weights every count by the number of cases. The sums are
pm4py's sums, so the figures are pm4py's. Precision (ETConformance) is ``_precision``'s.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from flowmine.discovery import Variants
from flowmine.models import ReferenceModel


def _log(traces: list[tuple[str, ...]]) -> Any:
    from pm4py.objects.log.obj import Event, EventLog, Trace

    return EventLog([Trace([Event({"concept:name": a}) for a in t]) for t in traces])


@dataclass(frozen=True)
class Replay:
    """Token replay of each variant: fitness and token counts (same order as the variants)."""

    variants: Variants
    trace_fitness: np.ndarray
    missing: np.ndarray
    consumed: np.ndarray
    remaining: np.ndarray
    produced: np.ndarray
    fit: np.ndarray

    @property
    def fitness(self) -> float:
        """pm4py's token-based ``log_fitness``."""
        w = self.variants.counts
        m, c = float(w @ self.missing), float(w @ self.consumed)
        r, p = float(w @ self.remaining), float(w @ self.produced)
        if c <= 0 or p <= 0:
            return 0.0
        return 0.5 * (1 - m / c) + 0.5 * (1 - r / p)

    @property
    def fitting_cases_share(self) -> float:
        w = self.variants.counts
        return float(w[self.fit].sum() / w.sum()) if w.sum() else 0.0

    @property
    def average_trace_fitness(self) -> float:
        w = self.variants.counts
        return float((w * self.trace_fitness).sum() / w.sum()) if w.sum() else 0.0


def token_replay(model: ReferenceModel, variants: Variants) -> Replay:
    """Replay each variant once with pm4py's token replayer (as ``pm4py.fitness_token_based_replay``)."""
    from pm4py.algo.conformance.tokenreplay import algorithm as executor
    from pm4py.algo.conformance.tokenreplay.variants import token_replay as tr

    params = {
        tr.Parameters.CONSIDER_REMAINING_IN_FITNESS: True,
        tr.Parameters.CLEANING_TOKEN_FLOOD: False,
        tr.Parameters.SHOW_PROGRESS_BAR: False,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = executor.apply(_log(variants.traces), model.net, model.im, model.fm,
                             variant=executor.Variants.TOKEN_REPLAY, parameters=params)

    def col(key: str) -> np.ndarray:
        return np.array([r[key] for r in res], dtype=float)

    return Replay(variants, col("trace_fitness"), col("missing_tokens"), col("consumed_tokens"),
                  col("remaining_tokens"), col("produced_tokens"),
                  np.array([bool(r["trace_is_fit"]) for r in res], dtype=bool))
