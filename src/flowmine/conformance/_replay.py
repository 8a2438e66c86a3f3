"""Token-based replay and precision (ETConformance) on variants, weighted by their case counts.

Both call pm4py's own token replayer with the parameters pm4py's ``fitness_token_based_replay``
and ``precision_token_based_replay`` use, on one trace per variant (replay) or one trace per
distinct prefix (precision), and weight every count by the number of cases. The sums are pm4py's
sums, so the figures are pm4py's; precision without the frequencies would be wrong.
"""

from __future__ import annotations

import hashlib
import threading
import warnings
from collections import OrderedDict
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


_ENABLED: OrderedDict[tuple[str, str], frozenset[str] | None] = OrderedDict()  # (model, prefix) → labels
_LOCK = threading.Lock()
_MAX_PREFIXES = 200_000


def _model_key(model: ReferenceModel) -> str:
    """A fingerprint of the accepting Petri net's structure (places, transitions, arcs, markings)."""
    net = model.net
    parts = [sorted(p.name for p in net.places), sorted((t.name, t.label or "") for t in net.transitions),
             sorted((a.source.name, a.target.name, a.weight) for a in net.arcs),
             sorted((p.name, n) for p, n in model.im.items()), sorted((p.name, n) for p, n in model.fm.items())]
    return hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()


def precision(model: ReferenceModel, variants: Variants) -> float:
    """ETConformance precision with variant frequencies (equals ``pm4py.precision_token_based_replay``)."""
    from pm4py.algo.conformance.tokenreplay import algorithm as executor
    from pm4py.algo.conformance.tokenreplay.variants import token_replay as tr
    from pm4py.algo.evaluation.precision import utils as precision_utils
    from pm4py.objects.petri_net.utils.align_utils import get_visible_transitions_eventually_enabled_by_marking
    from pm4py.util import constants

    prefixes: dict[str, set[str]] = {}
    counts: dict[str, int] = {}
    for trace, n in zip(variants.traces, variants.counts.tolist(), strict=True):
        for i in range(1, len(trace)):
            key = constants.DEFAULT_VARIANT_SEP.join(trace[:i])
            prefixes.setdefault(key, set()).add(trace[i])
            counts[key] = counts.get(key, 0) + n
    keys = list(prefixes)
    mkey = _model_key(model)
    with _LOCK:
        known = {k: _ENABLED[(mkey, k)] for k in keys if (mkey, k) in _ENABLED}
    todo = [k for k in keys if k not in known]
    params = {
        tr.Parameters.SHOW_PROGRESS_BAR: False,
        tr.Parameters.CONSIDER_REMAINING_IN_FITNESS: False,
        tr.Parameters.TRY_TO_REACH_FINAL_MARKING_THROUGH_HIDDEN: False,
        tr.Parameters.STOP_IMMEDIATELY_UNFIT: True,
        tr.Parameters.WALK_THROUGH_HIDDEN_TRANS: True,
        tr.Parameters.CLEANING_TOKEN_FLOOD: False,
    }
    if todo:  # the marking a prefix reaches depends on the model only: replay each prefix once
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fake = precision_utils.form_fake_log(todo)
            res = executor.apply(fake, model.net, model.im, model.fm, variant=executor.Variants.TOKEN_REPLAY,
                                 parameters=params)
        for key, r in zip(todo, res, strict=True):
            known[key] = (frozenset(t.label for t in r["enabled_transitions_in_marking"] if t.label is not None)
                          if r["trace_is_fit"] else None)
        with _LOCK:
            for key in todo:
                _ENABLED[(mkey, key)] = known[key]
            while len(_ENABLED) > _MAX_PREFIXES:
                _ENABLED.popitem(last=False)
    starts = {t[0] for t in variants.traces if t}
    initial = {t.label for t in get_visible_transitions_eventually_enabled_by_marking(model.net, model.im)}
    n_traces = variants.n_cases
    sum_at = n_traces * len(initial)
    sum_ee = n_traces * len(initial - starts)
    for key in keys:
        enabled = known[key]
        if enabled is not None:  # the prefix replays without problems
            sum_at += len(enabled) * counts[key]
            sum_ee += len(enabled - prefixes[key]) * counts[key]
    return 1 - sum_ee / sum_at if sum_at > 0 else 1.0
