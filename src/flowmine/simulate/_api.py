"""The public simulator entry point: :func:`simulate` returns canonical events and ground truth.

Large runs are split into replications of at most ``chunk`` cases (default 20,000), like
independent sites of one company working over the same period; each has its own random stream
from :class:`numpy.random.SeedSequence`, so the result depends on the seed and the options only
(not on ``workers``, which runs replications in parallel processes). Every replication is the
same SimPy model, so a big benchmark log has exactly the distributions of the sample logs.
"""

from __future__ import annotations

import math
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from flowmine._params import Interval, validate_params
from flowmine._schema import (
    ACTIVITY,
    CASE,
    CASE_PREFIX,
    COST,
    CURRENCY,
    QUALITY,
    RESOURCE,
    ROLE,
    START,
    TIMESTAMP,
)
from flowmine.errors import ArgumentError, OptionError
from flowmine.simulate._calendar import DAY, origin_monday, to_utc
from flowmine.simulate._catalog import PROCESSES
from flowmine.simulate._definitions import KINDS, ProcessDef
from flowmine.simulate._engine import Compact, Planted, Replication, change_day
from flowmine.simulate._truth import build_truth, factor_truth

DEFAULT_TZ = "Asia/Shanghai"
OPTIONS = ("start", "timezone", "rates", "change", "change_share", "chunk", "workers")


@dataclass
class SimulationResult:
    """Events and ground truth of one simulated log.

    Attributes
    ----------
    process : str
        Process name (``sales``, ``procurement``, ``production``, ``finance``).
    events : pandas.DataFrame
        One row per activity instance, canonical columns (see :mod:`flowmine._schema`), sorted by
        case and completion; case attributes as ``case:<name>`` columns.
    truth : dict
        Ground truth (JSON-ready): planted bottleneck, deviations, rule violations, rework,
        cost per step, change point.
    """

    process: str
    seed: int
    events: pd.DataFrame
    truth: dict[str, Any]


def get_process(process: str) -> ProcessDef:
    """The definition of a shipped process, or an OptionError (a ValueError) naming the valid ones."""
    try:
        return PROCESSES[process]
    except KeyError:
        raise OptionError(
            f"unknown process {process!r}: the 'process' parameter of simulate must be one of {sorted(PROCESSES)}",
            parameter="process", function="simulate") from None


def _plants(proc: ProcessDef, kind: str) -> bool:
    try:
        proc.deviations.step_of(kind)
    except KeyError:
        return False
    return True


def _check_rates(proc: ProcessDef, rates: dict[str, float]) -> None:
    """Every kind given a rate above 0 is one the process can plant (else one line naming both)."""
    bad = sorted(k for k, r in rates.items() if r and not _plants(proc, k))
    if bad:
        can = [k for k in KINDS if _plants(proc, k)]
        raise OptionError(f"The 'rates' option of simulate names deviation kinds {proc.name} cannot plant: {bad}; "
                          f"it plants {can}", parameter="rates", function="simulate")


def _run(args: tuple[str, int, np.random.SeedSequence, int, int, dict[str, float], int | None]) -> Any:
    name, cases, seq, first, width, rates, change_at = args
    rep = Replication(
        PROCESSES[name],
        cases,
        np.random.default_rng(seq),
        first=first,
        id_width=width,
        rates=rates,
        change_at=change_at,
    )
    rep.run()
    return rep.planted, Compact.of(rep.rec)


@validate_params({"cases": [Interval(int, 1, None)], "seed": [int]})
def simulate(process: str, cases: int, seed: int = 0, **options: Any) -> SimulationResult:
    """Simulate ``cases`` cases of a reference process.

    Parameters
    ----------
    process : str
        ``"sales"``, ``"procurement"``, ``"production"`` or ``"finance"``.
    cases : int
        Number of cases (>= 1).
    seed : int
        Seed of the random streams; the same seed and options give identical frames.
    **options
        ``start`` (``"YYYY-MM-DD"``, first arrival week; default 2025-01-06), ``timezone`` of the
        working hours (default ``"Asia/Shanghai"``; timestamps are stored in UTC), ``rates``
        (deviation kind -> share of cases, replacing the process's), ``change`` (bool, plant the
        change point; default True), ``change_share`` (share of arrivals before the change, default
        from the process), ``chunk`` (cases per replication, default 20000), ``workers`` (processes).

    Returns
    -------
    SimulationResult

    Examples
    --------
    >>> from flowmine.simulate import simulate
    >>> result = simulate("finance", cases=200, seed=1)
    >>> result.truth["bottleneck"]["step"]
    'GM approval'
    """
    proc = get_process(process)
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise ArgumentError(f"simulate got unknown options {unknown}; valid options are {list(OPTIONS)}")
    start = str(options.get("start", proc.start_date))
    tz = str(options.get("timezone", DEFAULT_TZ))
    given = options.get("rates")
    rates = dict(proc.deviations.rates if given is None else given)
    _check_rates(proc, rates)
    chunk = int(options.get("chunk", 20_000))
    workers = int(options.get("workers", 1))
    n_rep = math.ceil(cases / chunk)
    sizes = [cases // n_rep + (1 if i < cases % n_rep else 0) for i in range(n_rep)]
    share = float(options.get("change_share", proc.change.at_share))
    day = change_day(proc, max(sizes), share) if options.get("change", True) else None
    width = max(6, len(str(cases)))
    firsts = np.cumsum([1, *sizes[:-1]]).tolist()
    seqs = np.random.SeedSequence(seed).spawn(n_rep)
    jobs = [(proc.name, sizes[i], seqs[i], int(firsts[i]), width, rates, day) for i in range(n_rep)]
    if workers > 1 and n_rep > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            parts = list(pool.map(_run, jobs))
    else:
        parts = [_run(job) for job in jobs]
    origin = origin_monday(start)
    events, planted = _frame(proc, parts, firsts, origin, tz)
    change_utc = to_utc(np.array([day * DAY]), origin, tz)[0] if day is not None else None
    change_date = (origin + pd.Timedelta(days=day)).date().isoformat() if day is not None else None
    kinds = dict(zip(planted.case_ids, planted.kinds, strict=True))
    amounts = {c: float(a.get("amount", 0.0)) for c, a in zip(planted.case_ids, planted.attributes, strict=True)}
    truth = build_truth(
        proc,
        events,
        kinds,
        amounts,
        seed=seed,
        rates=rates,
        timezone=tz,
        change_utc=change_utc,
        change_date=change_date,
    )
    truth["factors"] = factor_truth(proc, planted.delays, planted.batch_waits)
    truth["replications"] = n_rep
    return SimulationResult(proc.name, seed, events, truth)


def _text(parts: list[tuple[np.ndarray, list[str]]]) -> np.ndarray:
    """Concatenate coded text columns of several replications into one object array (None kept)."""
    vocab: dict[str, int] = {}
    out = []
    for codes, words in parts:
        remap = np.asarray([vocab.setdefault(w, len(vocab)) for w in words] + [-1], dtype=np.int64)
        out.append(remap[codes])  # code -1 picks the trailing -1 (None)
    merged = np.concatenate(out) if out else np.zeros(0, dtype=np.int64)
    table = np.asarray([*vocab, None], dtype=object)
    return table[merged]


def _frame(
    proc: ProcessDef, parts: list[tuple[Planted, Compact]], firsts: list[int], origin: pd.Timestamp, tz: str
) -> tuple[pd.DataFrame, Planted]:
    planted = Planted()
    case_idx = []
    for (p, r), first in zip(parts, firsts, strict=True):
        planted.case_ids += p.case_ids
        planted.kinds += p.kinds
        planted.attributes += p.attributes
        planted.owners += p.owners
        planted.arrivals += p.arrivals
        planted.delays += p.delays
        planted.batch_waits += p.batch_waits
        # Replication-local case index -> position in the concatenated planted lists.
        order = np.empty(len(p.case_ids), dtype=np.int64)
        order[[int(c.rsplit("-", 1)[1]) - first for c in p.case_ids]] = np.arange(len(p.case_ids))
        base = len(planted.case_ids) - len(p.case_ids)
        case_idx.append(base + order[r.case])
    comp = [r for _, r in parts]
    idx = np.concatenate(case_idx) if case_idx else np.zeros(0, dtype=np.int64)
    ends = np.concatenate([r.end for r in comp])
    order = np.lexsort((ends, idx))
    text = {name: _text([r.text[name] for r in comp])[order] for name in ("activity", "resource", "role", "quality")}
    ids = np.asarray(planted.case_ids, dtype=object)
    frame = pd.DataFrame(
        {
            CASE: ids[idx[order]],
            ACTIVITY: text["activity"],
            TIMESTAMP: to_utc(ends[order], origin, tz),
            START: to_utc(np.concatenate([r.start for r in comp])[order], origin, tz),
            RESOURCE: text["resource"],
            ROLE: text["role"],
            COST: np.concatenate([r.cost for r in comp])[order],
            CURRENCY: "CNY",
            QUALITY: text["quality"],
        }
    )
    attrs = pd.DataFrame(planted.attributes)
    for col in attrs.columns:
        frame[CASE_PREFIX + str(col)] = attrs[col].to_numpy()[idx[order]]
    return frame, planted
