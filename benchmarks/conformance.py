"""Benchmark (not a unit test): alignments, token replay, precision and inductive mining, flowmine vs pm4py.

Builds a synthetic log from a sample process's variants, perturbed (skips, swaps, inserted
activities) until it has about ``--cases`` cases and ``--variants`` distinct variants, then times
flowmine's variant-based conformance next to pm4py's defaults on the same log and model, and
checks that the figures agree. Usage::

    python benchmarks/conformance.py --store /tmp/demo5 --process finance --cases 13000 --variants 4000
    python benchmarks/conformance.py --store /tmp/demo5 --process sales --cases 500000   # ~5M events
    (add --pm4py-alignments to run pm4py's alignments too: > 300 s on BPI-2012-sized logs)
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd

from flowmine._schema import ACTIVITY, CASE, EVENT_ID, TIMESTAMP
from flowmine.conformance import align, precision, read_reference, token_replay
from flowmine.discovery import discover_model, variants
from flowmine.processes import load_process


def synthetic(store: str, process: str, cases: int, n_variants: int, seed: int = 1) -> pd.DataFrame:
    """A log of ``cases`` cases: the process's variants plus random perturbations of them."""
    rng = np.random.default_rng(seed)
    base = variants(store, process)
    acts = base.activities
    pool = list(base.traces)
    seen = set(pool)
    while len(pool) < n_variants:
        t = list(pool[rng.integers(0, len(base))])
        for _ in range(rng.integers(1, 4)):
            k = rng.integers(0, 3)
            i = int(rng.integers(0, len(t)))
            if k == 0 and len(t) > 2:
                del t[i]
            elif k == 1 and i + 1 < len(t):
                t[i], t[i + 1] = t[i + 1], t[i]
            else:
                t.insert(i, acts[int(rng.integers(0, len(acts)))])
        if tuple(t) not in seen:
            seen.add(tuple(t))
            pool.append(tuple(t))
    weights = 1.0 / np.arange(1, len(pool) + 1) ** 1.1
    picks = rng.choice(len(pool), size=cases, p=weights / weights.sum())
    picks[: len(pool)] = np.arange(len(pool))  # every variant occurs
    lens = np.array([len(pool[p]) for p in picks])
    case_ids = np.repeat(np.arange(cases), lens)
    act_col = [a for p in picks for a in pool[p]]
    pos = np.concatenate([np.arange(n) for n in lens])
    ts = pd.Timestamp("2025-01-01", tz="UTC") + pd.to_timedelta(case_ids * 3600 + pos * 60, unit="s")
    return pd.DataFrame({CASE: case_ids.astype(str), ACTIVITY: act_col, TIMESTAMP: ts, EVENT_ID: np.arange(len(ts))})


def timed(label: str, fn, *args, **kw):  # type: ignore[no-untyped-def]
    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = fn(*args, **kw)
    dt = time.perf_counter() - t
    print(f"  {label:<44} {dt:8.2f} s")
    return out, dt


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", required=True)
    ap.add_argument("--process", default="finance")
    ap.add_argument("--cases", type=int, default=13000)
    ap.add_argument("--variants", type=int, default=4000)
    ap.add_argument("--pm4py-alignments", action="store_true")
    ap.add_argument("--skip-pm4py", action="store_true")
    args = ap.parse_args()
    import pm4py

    df = synthetic(args.store, args.process, args.cases, args.variants)
    model = read_reference(load_process(args.process).reference_model)
    print(f"{args.process}: {df[CASE].nunique():,} cases, {len(df):,} events")
    v, _ = timed("flowmine variants (DuckDB)", variants, df)
    print(f"  {len(v):,} variants")
    ali, t_ali = timed("flowmine alignments (r4pm on variants)", align, model, v)
    tbr, _ = timed("flowmine token replay (variants)", token_replay, model, v)
    prec, _ = timed("flowmine precision (prefixes x frequency)", precision, model, v)
    _, t_im = timed("flowmine inductive miner IMf 0.2 (variants)", discover_model, v, "inductive", 0.2)
    print(f"  fitness alignments {ali.fitness:.12f} (exact={ali.exact}), token replay {tbr.fitness:.12f}, "
          f"precision {prec:.12f}; inductive + alignments {t_ali + t_im:.2f} s")
    if args.skip_pm4py:
        return
    ref, _ = timed("pm4py fitness_token_based_replay", pm4py.fitness_token_based_replay, df, model.net, model.im,
                   model.fm)
    print(f"  equal: {abs(ref['log_fitness'] - tbr.fitness) <= 1e-9 * abs(ref['log_fitness'])}")
    ref_p, _ = timed("pm4py precision_token_based_replay", pm4py.precision_token_based_replay, df, model.net,
                     model.im, model.fm)
    print(f"  equal: {abs(ref_p - prec) <= 1e-9 * abs(ref_p)}")
    timed("pm4py discover_process_tree_inductive 0.2", pm4py.discover_process_tree_inductive, df,
          noise_threshold=0.2)
    if args.pm4py_alignments:
        ref_a, _ = timed("pm4py fitness_alignments", pm4py.fitness_alignments, df, model.net, model.im, model.fm)
        print(f"  equal: {abs(ref_a['log_fitness'] - ali.fitness) <= 1e-9 * abs(ref_a['log_fitness'])}")


if __name__ == "__main__":
    main()
