"""Alignments of each variant against a reference net, weighted by its number of cases.

The default engine is the Rust package r4pm (``align_variants``: all variants in one call, on all
cores), with pm4py's cost function (log and model moves 10000, silent moves 1, synchronous moves
0), so costs, per-trace fitness and log fitness are exactly pm4py's. The ``pm4py`` engine is
pm4py's own A* (state equation) per variant.

Each variant has a budget. pm4py takes a time limit per trace (``max_seconds``). r4pm counts search
states (``max_states``), so a time budget is mapped onto states with the rate this machine reaches
on this net, measured before the first run on the model (the longest variants reversed: a wide search,
timed call by call, per-call overhead included, so the rate is underestimated and the budget held); the
run then uses the smaller of both caps. A variant whose budget runs out gets the worst alignment
(every event a log move plus the shortest model run, an upper bound of its cost) and is reported
with ``exact=False`` and its number of cases, so a partial number is never presented as exact.

While a reference model object lives, the r4pm engine remembers its measured rate and each trace's
alignment under a cap (the result depends on nothing else): a long-running face that checks filtered
logs again and again (the dashboard) aligns only traces it has not aligned before.
"""

from __future__ import annotations

import math
import os
import tempfile
import time
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson

from flowmine._params import Interval, Kind, Options, validate_params
from flowmine.conformance._memo import ModelMemo
from flowmine.discovery import Variants
from flowmine.models import ReferenceModel

MOVE_COST = 10000  # pm4py's STD_MODEL_LOG_MOVE_COST
TAU_COST = 1  # pm4py's STD_TAU_COST
ALIGNMENT_ENGINES = ("r4pm", "pm4py")
#: The declared options of an alignment, shared by :func:`align` and ``check``.
ALIGNMENT_PARAMS: dict[str, list[Kind]] = {"engine": [Options(ALIGNMENT_ENGINES)],
                                          "max_seconds": [Interval(float, 0, None, closed="neither"), None]}
SYNC, LOG, MODEL = "sync", "log", "model"


@dataclass(frozen=True)
class VariantAlignment:
    """One variant's alignment: pm4py's ``cost`` and ``bwc``, fitness, and visible moves in order."""

    cost: int
    bwc: int
    fitness: float
    exact: bool
    moves: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Alignments:
    """Alignments of all variants (same order as the variants) and the log-level fitness figures."""

    variants: Variants
    results: list[VariantAlignment]
    engine: str
    max_states: int | None = None
    max_seconds: float | None = None
    states_per_second: float | None = None

    @property
    def exact(self) -> bool:
        return all(r.exact for r in self.results)

    @property
    def fitness(self) -> float:
        """pm4py's ``log_fitness``: 1 - total cost / total best-worst cost, over all cases."""
        w = self.variants.counts
        if not w.sum():
            return float("nan")  # no cases (an empty filter): undefined, not 0
        cost = float(np.dot(w, [r.cost for r in self.results]))
        bwc = float(np.dot(w, [r.bwc for r in self.results]))
        return 1.0 - cost / bwc if bwc > 0 else 0.0

    @property
    def trace_fitness(self) -> np.ndarray:
        """Fitness of each variant (the fitness of each of its cases)."""
        return np.array([r.fitness for r in self.results], dtype=float)

    @property
    def average_trace_fitness(self) -> float:
        w = self.variants.counts
        if not w.sum():
            return float("nan")  # no cases (an empty filter): no average
        return float(sum(f * n for f, n in zip(self.trace_fitness.tolist(), w.tolist(), strict=True)) / w.sum())

    @property
    def fitting_cases_share(self) -> float:
        w = self.variants.counts
        return float(w[self.trace_fitness == 1.0].sum() / w.sum()) if w.sum() else 0.0

    def fallback(self) -> dict[str, int]:
        """How many variants ran out of budget, and how many cases they cover."""
        bad = [i for i, r in enumerate(self.results) if not r.exact]
        return {"variants": len(bad), "cases": int(self.variants.counts[bad].sum()) if bad else 0}


def _fitness(cost: int, bwc: int) -> float:
    den = bwc // MOVE_COST
    return 1 - (cost // MOVE_COST) / den if den > 0 else 0.0


_CALIBRATION_STATES = 200_000


def states_per_second(net: Any, traces: list[tuple[str, ...]], opts: Any, sample: int = 6) -> float:
    """Search states per second of r4pm on this net (one core), at least 1000.

    Aligns the ``sample`` longest traces reversed (mostly log and model moves: a wide search), each
    capped at 200,000 states, one call at a time; call overhead counts as search time, so the rate
    is an underestimate and a time budget mapped with it is held.
    """
    from r4pm.bindings.conformance.case_centric import alignments as al

    longest = sorted(traces, key=lambda t: (-len(t), t))[:sample] or [()]
    states = 0
    start = time.perf_counter()
    for trace in longest:
        try:
            states += int(al.align_trace(net, list(reversed(trace)), {**opts, "max_states": _CALIBRATION_STATES})
                          ["states_visited"])
        except TypeError:  # r4pm raises TypeError("... LimitReached") when the cap is hit
            states += _CALIBRATION_STATES
    elapsed = time.perf_counter() - start
    return max(1000.0, states / elapsed) if elapsed > 0 else 1000.0


def state_budget(max_states: int | None, max_seconds: float | None, rate: float | None) -> int | None:
    """The r4pm state cap: the smaller of ``max_states`` and ``max_seconds`` x ``rate`` (at least 1)."""
    caps = [int(max_states)] if max_states is not None else []
    if max_seconds is not None and rate is not None:
        caps.append(max(1, math.floor(max_seconds * rate)))
    return min(caps) if caps else None


class _Remembered:
    """What the r4pm engine keeps per live reference model: the converted net, its measured rate, the
    empty trace's cost, and the alignment of each trace per state cap."""

    def __init__(self) -> None:
        self.net: Any = None
        self.rate: float | None = None
        self.empty: int | None = None
        self.traces: dict[tuple[int | None, tuple[str, ...]], VariantAlignment] = {}


#: Traces remembered per model (beyond it the memo starts afresh: a bound on memory, not a cache policy).
MAX_REMEMBERED_TRACES = 100_000
_MODELS: ModelMemo[_Remembered] = ModelMemo(lambda _model: _Remembered())


def _remembered(model: ReferenceModel) -> _Remembered:
    memo = _MODELS.get(model)
    if len(memo.traces) > MAX_REMEMBERED_TRACES:
        memo.traces.clear()
    return memo


def _r4pm(model: ReferenceModel, variants: Variants, max_states: int | None,
          max_seconds: float | None) -> tuple[list[VariantAlignment], int | None, float | None]:
    import r4pm
    from r4pm.bindings.conformance.case_centric import alignments as al

    memo = _remembered(model)
    if memo.net is None:
        memo.net = r4pm.petri_net.from_pm4py(model.net, model.im, model.fm)
    net = memo.net
    opts: Any = {"cost_fn": {"model_move_cost": MOVE_COST, "log_move_cost": MOVE_COST,
                                        "sync_move_cost": 0, "silent_move_cost": TAU_COST}}
    if max_seconds is not None and memo.rate is None:
        memo.rate = states_per_second(net, variants.traces, opts)
    rate = memo.rate if max_seconds is not None else None
    cap = state_budget(max_states, max_seconds, rate)
    if cap is not None:
        opts["max_states"] = cap
    if memo.empty is None:
        memo.empty = int(al.align_empty_trace(net, {"cost_fn": opts["cost_fn"]})["cost"])
    new = [t for t in dict.fromkeys(variants.traces) if (cap, t) not in memo.traces]
    if new:
        for trace, result in _align_traces(net, new, opts, memo.empty).items():
            memo.traces[(cap, trace)] = result
    return [memo.traces[(cap, t)] for t in variants.traces], cap, rate


def _align_traces(net: Any, traces: list[tuple[str, ...]], opts: Any, empty: int
                  ) -> dict[tuple[str, ...], VariantAlignment]:
    """Each trace's alignment against ``net`` (one r4pm call for all of them)."""
    import r4pm
    from r4pm.bindings.conformance.case_centric import alignments as al

    labels = {tid: t.get("label") for tid, t in net["transitions"].items()}
    acts = sorted({a for t in traces for a in t})
    index = {a: i for i, a in enumerate(acts)}
    projection = {"activities": acts, "act_to_index": index, "traces": [[[index[a] for a in t], 1] for t in traces]}
    fd, path = tempfile.mkstemp(suffix=".json")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(orjson.dumps(projection))  # several times faster than json on thousands of variants
        pid = r4pm.import_item("EventLogActivityProjection", path)
    finally:
        os.unlink(path)
    try:
        raw = al.align_variants(net, pid, opts)
    finally:
        r4pm.remove_item(pid)
    by_trace = {tuple(r["activities"]): r["result"] for r in raw}
    out: dict[tuple[str, ...], VariantAlignment] = {}
    for trace in traces:
        res = by_trace[trace]
        bwc = MOVE_COST * len(trace) + empty
        if "Ok" not in res:
            out[trace] = VariantAlignment(bwc, bwc, _fitness(bwc, bwc), False, tuple((LOG, a) for a in trace))
            continue
        moves: list[tuple[str, str]] = []
        for mv in res["Ok"]["moves"]:
            kind, body = next(iter(mv.items()))
            if kind == "SyncMove":
                moves.append((SYNC, trace[body["trace_event_index"]]))
            elif kind == "LogMove":
                moves.append((LOG, trace[body["trace_event_index"]]))
            elif labels.get(body["transition"]) is not None:
                moves.append((MODEL, str(labels[body["transition"]])))
        cost = int(res["Ok"]["cost"])
        out[trace] = VariantAlignment(cost, bwc, _fitness(cost, bwc), True, tuple(moves))
    return out


def _pm4py(model: ReferenceModel, variants: Variants, max_seconds: float | None) -> list[VariantAlignment]:
    from pm4py.algo.conformance.alignments.petri_net import algorithm as alignments
    from pm4py.objects.log.obj import Event, Trace

    params: dict[Any, Any] = {}
    if max_seconds is not None:
        params[alignments.Parameters.PARAM_MAX_ALIGN_TIME_TRACE] = float(max_seconds)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # numpy's matrix PendingDeprecationWarning inside pm4py's A*
        empty = alignments.apply(Trace(), model.net, model.im, model.fm)
    empty_cost = int(empty["cost"])
    out = []
    for trace in variants.traces:
        bwc = MOVE_COST * len(trace) + empty_cost
        pm_trace = Trace([Event({"concept:name": a}) for a in trace])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ali = alignments.apply(pm_trace, model.net, model.im, model.fm, parameters=dict(params))
        if ali is None:
            out.append(VariantAlignment(bwc, bwc, _fitness(bwc, bwc), False, tuple((LOG, a) for a in trace)))
            continue
        moves: list[tuple[str, str]] = []
        for log_label, model_label in ali["alignment"]:
            if log_label != ">>" and model_label != ">>":
                moves.append((SYNC, log_label))
            elif model_label == ">>":
                moves.append((LOG, log_label))
            elif model_label is not None:
                moves.append((MODEL, model_label))
        cost = int(ali["cost"])
        out.append(VariantAlignment(cost, bwc, _fitness(cost, bwc), True, tuple(moves)))
    return out


@validate_params(ALIGNMENT_PARAMS)
def align(
    model: ReferenceModel,
    variants: Variants,
    engine: str = "r4pm",
    max_states: int | None = 5_000_000,
    max_seconds: float | None = 10.0,
) -> Alignments:
    """Align every variant once against the reference model.

    Parameters
    ----------
    model : ReferenceModel
    variants : Variants
        Activities already renamed to model labels where they match.
    engine : {"r4pm", "pm4py"}
    max_states : int, optional
        Per-variant budget of the r4pm engine in search states; ``None``: unlimited.
    max_seconds : float, optional
        Per-variant time budget: pm4py's own limit, or for r4pm mapped onto search states with the
        measured rate (the smaller of both caps is used); ``None``: unlimited.

    Returns
    -------
    Alignments
    """
    if engine == "pm4py":
        return Alignments(variants, _pm4py(model, variants, max_seconds), engine, None, max_seconds, None)
    results, cap, rate = _r4pm(model, variants, max_states, max_seconds)
    return Alignments(variants, results, engine, cap, max_seconds, rate)
