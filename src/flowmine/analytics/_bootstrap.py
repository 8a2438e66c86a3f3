"""Seeded bootstrap confidence intervals of per-item totals (waiting added by a step or an edge).

Cases are the resampling unit: a case's waiting at a step is resampled with the case. To stay fast on
logs with hundreds of thousands of cases, cases are first dealt into at most ``batches`` (500) seeded random
batches (each case its own batch in smaller logs); batch totals are i.i.d., so resampling them with
replacement estimates the spread of the total exactly as resampling cases does. The interval is the
percentile interval of ``n_boot`` replicates. Both engines (SQL and fast path) call this function, so
their intervals are identical.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from flowmine.analytics._recent import Recent


def case_batches(n_cases: int, seed: int, batches: int = 500
                 ) -> tuple[npt.NDArray[np.int64], int, dict[str, Any]]:
    """The seeded batch of every case (``batch[case_idx]``), the number of batches, and the generator
    state after dealing (where the replicates are drawn from)."""
    def deal() -> tuple[npt.NDArray[np.int64], int, dict[str, Any]]:
        rng = np.random.default_rng(seed)
        g = min(batches, n_cases)
        batch = (rng.permutation(n_cases) % g).astype(np.int64)
        return batch, g, dict(rng.bit_generator.state)

    # the same deal for the same cases and seed: made once (a permutation of 5M cases costs 0.2 s)
    return _DEALS.get((n_cases, seed, batches), deal)


#: The last deals (:func:`case_batches`), by (cases, seed, batches).
_DEALS: Recent[tuple[npt.NDArray[np.int64], int, dict[str, Any]]] = Recent(2)


#: The replicates' counts (how often each batch is drawn), by generator state: the same for every item
#: list resampled from that state (a bottleneck list's steps and transitions, a filter seen again).
_COUNTS: Recent[npt.NDArray[np.float64]] = Recent(4)


def _counts(state: dict[str, Any], n_boot: int, g: int) -> npt.NDArray[np.float64]:
    """(n_boot, g): replicate r draws batch b ``counts[r, b]`` times (``g`` draws with replacement)."""
    def draw() -> npt.NDArray[np.float64]:
        rng = np.random.Generator(np.random.PCG64())
        rng.bit_generator.state = state
        draws = rng.integers(0, g, size=(n_boot, g)) + (np.arange(n_boot) * g)[:, None]
        counts = np.bincount(draws.ravel(), minlength=n_boot * g).reshape(n_boot, g).astype(np.float64)
        counts.setflags(write=False)
        return counts

    inner = state["state"]
    key = (state["bit_generator"], inner["state"], inner["inc"], state["has_uint32"], state["uinteger"], n_boot, g)
    return _COUNTS.get(key, draw)


def intervals(sums: npt.NDArray[np.float64], state: dict[str, Any], *, n_boot: int = 1000,
              confidence: float = 0.95) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Percentile interval of the per-item total from per-(batch, item) totals ``sums`` (g × items)."""
    g = sums.shape[0]
    totals = _counts(state, n_boot, g) @ sums  # (n_boot, n_items)
    alpha = (1.0 - confidence) / 2.0
    low, high = np.quantile(totals, [alpha, 1.0 - alpha], axis=0)
    return np.asarray(low, dtype=np.float64), np.asarray(high, dtype=np.float64)


def bootstrap_totals(case_idx: npt.NDArray[np.int64], item_idx: npt.NDArray[np.int64],
                     values: npt.NDArray[np.float64], n_cases: int, n_items: int, *, n_boot: int = 1000,
                     seed: int = 0, confidence: float = 0.95, batches: int = 500
                     ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Lower and upper bound of the total of ``values`` per item (one entry per item index).

    ``case_idx`` / ``item_idx`` / ``values`` are parallel arrays, one entry per (case, item) contribution,
    in any order; values must not be NaN.
    """
    if n_items == 0 or n_cases == 0 or n_boot <= 0:
        nan = np.full(n_items, np.nan)
        return nan, nan.copy()
    batch, g, state = case_batches(n_cases, seed, batches)
    key = batch[case_idx] * n_items + item_idx
    sums = np.bincount(key, weights=values, minlength=g * n_items).reshape(g, n_items).astype(np.float64, copy=False)
    return intervals(sums, state, n_boot=n_boot, confidence=confidence)
