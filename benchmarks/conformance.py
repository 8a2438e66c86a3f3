"""Benchmark (not a unit test): discovery and conformance end to end from Parquet, flowmine vs pm4py's defaults.

Builds a synthetic log from a sample process's variants, made longer with rework loops and repeated
deliveries and perturbed (skips, swaps, inserted activities) until it has ``--variants`` distinct
variants over ``--cases`` cases, and writes it as an events Parquet file in the store's schema.
flowmine then runs from that file: variants in DuckDB straight from the Parquet (no pandas),
the inductive miner on the variants, alignments (r4pm), token replay and precision. pm4py's defaults
run on the same log (a pandas DataFrame) and model in the same run; pm4py's alignments run in a child
process that is stopped after ``--pm4py-cap`` seconds (reported as "> N s"). Figures are compared.

    python benchmarks/conformance.py --store /tmp/demo8 --process procurement --cases 13000 --variants 4000 \\
        --rework 2.0                                        # BPI-2012-sized: ~262k events
    python benchmarks/conformance.py --store /tmp/demo8 --process sales --cases 500000 --variants 4000 \\
        --rework 0 --skip-pm4py-precision                   # ~5M events

``--check`` also ingests the synthetic log into a fresh store as the process and times the whole
``flowmine.conformance.check`` (variants, labels, alignments, precision, rules, impact) with its parts.
``--real DIR`` instead times precision (ETConformance) on the real public logs in DIR (Sepsis against
``sepsis.bpmn`` and an inductive model, helpdesk, receipt, BPI 2013, road traffic, the running example),
flowmine (a fresh model: nothing remembered) next to ``pm4py.precision_token_based_replay`` on the same
stored log and model, with the ratio and whether the values are equal (relative 1e-9):

    python benchmarks/conformance.py --real ../shared/data
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from flowmine._schema import ACTIVITY, CASE, EVENT_ID, TIMESTAMP
from flowmine.conformance import align, check, precision, read_reference, replay_prefixes, token_replay
from flowmine.discovery import collect_variants, discover_model
from flowmine.models import ReferenceModel
from flowmine.processes import load_process
from flowmine.store import Store


def _loop(t: list[str], rng: np.random.Generator, mean: float) -> list[str]:
    """Repeat a random segment of 2-3 activities ~Poisson(mean) times in place (rework)."""
    if len(t) < 4 or mean <= 0:
        return t
    k = int(rng.poisson(mean))
    if not k:
        return t
    i = int(rng.integers(1, len(t) - 2))
    seg = t[i:i + int(rng.integers(2, 4))]
    return t[:i] + seg * (k + 1) + t[i + len(seg):]


def synthetic(store: str, process: str, cases: int, n_variants: int, rework: float, seed: int = 1) -> pa.Table:
    """``cases`` cases over ``n_variants`` variants: the process's variants with rework and perturbations."""
    rng = np.random.default_rng(seed)
    base = collect_variants(store, process)
    acts = base.activities
    pool_t = list(dict.fromkeys(tuple(_loop(list(t), rng, rework)) for t in base.traces))
    seen = set(pool_t)
    while len(pool_t) < n_variants:
        t = _loop(list(base.traces[int(rng.integers(0, len(base)))]), rng, rework)
        t = _loop(t, rng, rework / 2)
        for _ in range(rng.integers(1, 4)):
            k, i = rng.integers(0, 3), int(rng.integers(0, len(t)))
            if k == 0 and len(t) > 2:
                del t[i]
            elif k == 1 and i + 1 < len(t):
                t[i], t[i + 1] = t[i + 1], t[i]
            else:
                t.insert(i, acts[int(rng.integers(0, len(acts)))])
        if tuple(t) not in seen:
            seen.add(tuple(t))
            pool_t.append(tuple(t))
    weights = 1.0 / np.arange(1, len(pool_t) + 1) ** 1.1
    picks = rng.choice(len(pool_t), size=cases, p=weights / weights.sum())
    picks[: len(pool_t)] = np.arange(len(pool_t))  # every variant occurs
    lens = np.array([len(pool_t[p]) for p in picks])
    case_ids = np.repeat(np.arange(cases), lens)
    act_col = [a for p in picks for a in pool_t[p]]
    pos = np.concatenate([np.arange(n) for n in lens])
    ts = (np.datetime64("2025-01-01T00:00:00", "us") + (case_ids * 3600 + pos * 60).astype("timedelta64[s]"))
    return pa.table({
        EVENT_ID: pa.array(np.arange(len(act_col), dtype=np.int64)),
        CASE: pa.array(case_ids.astype(str)).dictionary_encode(),
        ACTIVITY: pa.array(act_col).dictionary_encode(),
        TIMESTAMP: pa.array(ts, pa.timestamp("us", tz="UTC")),
    })


def timed(label: str, fn: Any, *args: Any, **kw: Any) -> tuple[Any, float]:
    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = fn(*args, **kw)
    dt = time.perf_counter() - t
    print(f"  {label:<52} {dt:8.2f} s", flush=True)
    return out, dt


def _pm4py_alignments(parquet: str, process: str, out: Any) -> None:
    import pm4py

    df = pq.read_table(parquet).to_pandas()
    df[CASE] = df[CASE].astype(str)
    df[ACTIVITY] = df[ACTIVITY].astype(str)
    model = read_reference(load_process(process).reference_model)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = time.perf_counter()
        res = pm4py.fitness_alignments(df, model.net, model.im, model.fm)
    out.put((time.perf_counter() - t, res["log_fitness"]))


def capped_pm4py_alignments(parquet: str, process: str, cap: float) -> tuple[str, float | None]:
    """pm4py's default alignments in a child process, stopped after ``cap`` seconds."""
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    proc = ctx.Process(target=_pm4py_alignments, args=(parquet, process, q))
    proc.start()
    proc.join(cap)
    if proc.is_alive():
        proc.kill()
        proc.join()
        print(f"  {'pm4py fitness_alignments':<52} {'> ' + format(cap, 'g'):>8} s (stopped)", flush=True)
        return f"> {cap:g} s (stopped)", None
    if proc.exitcode != 0:
        print(f"  pm4py fitness_alignments failed (exit code {proc.exitcode})", flush=True)
        return "failed", None
    dt, fit = q.get()
    print(f"  {'pm4py fitness_alignments':<52} {dt:8.2f} s", flush=True)
    return f"{dt:.2f} s", fit


def same(a: float | None, b: float | None) -> str:
    if a is None or b is None:
        return "n/a"
    return "equal" if abs(a - b) <= 1e-9 * max(abs(a), abs(b), 1e-300) else f"DIFFERENT ({a!r} vs {b!r})"


#: (log file, model: a file beside it, or "IM"/"IMf" for pm4py's inductive miner with noise 0 / 0.2)
REAL = [("running-example.xes", "running-example.bpmn"), ("roadtraffic100traces.xes", "IMf"),
        ("06_bpic2013_closed.xes.gz", "IM"), ("08_receipt.xes.gz", "IMf"), ("08_receipt.xes.gz", "IM"),
        ("helpdesk.xes.gz", "IMf"), ("helpdesk.xes.gz", "IM"), ("Sepsis Cases - Event Log.xes.gz", "sepsis.bpmn"),
        ("Sepsis Cases - Event Log.xes.gz", "IMf"), ("Sepsis Cases - Event Log.xes.gz", "IM")]


def _real_model(data: Path, spec: str, df: Any) -> ReferenceModel:
    import pm4py

    if spec in ("IM", "IMf"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            net, im, fm = pm4py.discover_petri_net_inductive(df, noise_threshold=0.2 if spec == "IMf" else 0.0)
        return ReferenceModel(net, im, fm, spec)
    return read_reference(data / spec)


def real_logs(data: Path) -> None:
    """Precision on the real logs: flowmine (fresh model) vs pm4py, same stored log, same model object."""
    import pm4py

    tmp = Path(tempfile.mkdtemp(prefix="fm-bench-real-"))
    print("| log | model | cases | variants | prefixes (fitting) | flowmine | pm4py | ratio | precision | equal |\n"
          "|---|---|---:|---:|---:|---:|---:|---:|---|---|")
    logs: dict[str, tuple[Any, Any]] = {}
    for name, spec in REAL:
        if not (data / name).exists():
            print(f"| {name} | {spec} | missing in {data} | | | | | | | |")
            continue
        if name not in logs:
            st = Store(tmp / f"s{len(logs)}")
            st.ingest("real", [str(data / name)])
            logs[name] = (collect_variants(st, "real"), st.load("real"))
        v, df = logs[name]
        model = _real_model(data, spec, df)
        fresh = ReferenceModel(model.net, model.im, model.fm, model.source)  # nothing remembered for it yet
        p, t_fm = timed_quiet(replay_prefixes, fresh, v)
        ref, t_pm = timed_quiet(pm4py.precision_token_based_replay, df, model.net, model.im, model.fm)
        print(f"| {name} | {spec} | {v.n_cases:,} | {len(v):,} | {p.prefixes:,} ({p.fitting_prefixes:,}) | "
              f"{t_fm:.3f} s | {t_pm:.2f} s | {t_pm / max(t_fm, 1e-6):,.0f}x | {p.value:.12f} | {same(p.value, ref)} |",
              flush=True)


def timed_quiet(fn: Any, *args: Any) -> tuple[Any, float]:
    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = fn(*args)
    return out, time.perf_counter() - t


def full_check(table: pa.Table, process: str, tmp: Path) -> float:
    """Ingest the synthetic events into a fresh store as ``process`` and time ``check`` on it."""
    st = Store(tmp / "store")
    src = tmp / "ingest.parquet"
    pq.write_table(table.drop_columns([EVENT_ID]).cast(pa.schema([
        pa.field(CASE, pa.string()), pa.field(ACTIVITY, pa.string()), table.schema.field(TIMESTAMP)])), src)
    timed("ingest into a store (not part of the check)", st.ingest, process, [str(src)])
    marks: list[tuple[str, float]] = []
    rep, t_chk = timed("flowmine check (alignments, precision, rules, impact)", check, st, process,
                       progress=lambda phase: marks.append((phase, time.perf_counter())))
    end = marks[0][1] + t_chk if marks else 0.0  # close enough: the check starts with its first phase
    parts = {phase: (marks[i + 1][1] if i + 1 < len(marks) else end) - at for i, (phase, at) in enumerate(marks)}
    print("  parts: " + ", ".join(f"{k} {v:.2f} s" for k, v in parts.items()))
    core = sum(parts.get(k, 0.0) for k in ("events", "variants", "alignments"))
    if core > 0:  # around the alignments: reading the events, the variants and label matching (issue 20)
        print(f"  time around the alignments (events + variants) / (events + variants + alignments): "
              f"{(parts.get('events', 0.0) + parts.get('variants', 0.0)) / core:.0%}")
    print(f"  check: fitness {rep.fitness:.12f}, precision {rep.precision:.12f}, exact={rep.exact}, "
          f"{len(rep.escaping_edges):,} escaping edges, warning {rep.precision_warning}")
    return t_chk


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--real", type=Path, help="time precision on the real logs in this directory, and stop")
    ap.add_argument("--check", action="store_true", help="also time the whole check() on the synthetic log")
    ap.add_argument("--store")
    ap.add_argument("--process", default="procurement")
    ap.add_argument("--cases", type=int, default=13000)
    ap.add_argument("--variants", type=int, default=4000)
    ap.add_argument("--rework", type=float, default=2.0, help="mean extra iterations of a rework loop")
    ap.add_argument("--pm4py-cap", type=float, default=120.0, help="stop pm4py's alignments after this many s")
    ap.add_argument("--skip-pm4py", action="store_true")
    ap.add_argument("--skip-im-alignments", action="store_true", help="skip aligning against the IMf model")
    ap.add_argument("--skip-pm4py-precision", action="store_true")
    args = ap.parse_args()
    if args.real is not None:
        real_logs(args.real)
        return
    if args.store is None:
        ap.error("--store is required (or --real DIR)")
    import pm4py

    table = synthetic(args.store, args.process, args.cases, args.variants, args.rework)
    tmp = Path(tempfile.mkdtemp(prefix="fm-bench-"))
    parquet = tmp / "events.parquet"
    pq.write_table(table, parquet, row_group_size=1 << 20)
    model = read_reference(load_process(args.process).reference_model)
    print(f"{args.process}: {args.cases:,} cases, {table.num_rows:,} events "
          f"({table.num_rows / args.cases:.1f} per case), {parquet}")
    start = time.perf_counter()
    v, t_var = timed("flowmine variants (DuckDB on the Parquet)", collect_variants, parquet)
    im_model, t_im = timed("flowmine inductive miner IMf 0.2 (variants)", discover_model, v, "inductive", 0.2)
    if not args.skip_im_alignments:
        ali_im, _ = timed("flowmine alignments on the IMf model (r4pm)", align, im_model, v)
        print(f"  IMf model: fitness {ali_im.fitness:.6f}, exact={ali_im.exact}, fallback {ali_im.fallback()}")
    end_to_end = time.perf_counter() - start
    print(f"  {len(v):,} variants; Parquet -> variants -> IMf -> alignments: {end_to_end:.2f} s")
    ali, t_ali = timed("flowmine alignments vs reference (r4pm)", align, model, v)
    tbr, t_tbr = timed("flowmine token replay (variants)", token_replay, model, v)
    prec, t_prec = timed("flowmine precision (prefix trie, weighted)", precision, model, v)
    print(f"  fitness alignments {ali.fitness:.12f} (exact={ali.exact}, fallback {ali.fallback()}), "
          f"token replay {tbr.fitness:.12f}, precision {prec:.12f}")
    rows = [("variants from Parquet (DuckDB)", f"{t_var:.2f} s", "", ""),
            ("inductive miner IMf 0.2", f"{t_im:.2f} s", "", ""),
            ("Parquet → variants → IMf" + ("" if args.skip_im_alignments else " → alignments"),
             f"{end_to_end:.2f} s", "", "")]
    pm: dict[str, Any] = {}
    if not args.skip_pm4py:
        df = table.to_pandas()
        df[CASE] = df[CASE].astype(str)
        df[ACTIVITY] = df[ACTIVITY].astype(str)
        pm["im"] = timed("pm4py discover_process_tree_inductive 0.2", pm4py.discover_process_tree_inductive, df,
                         noise_threshold=0.2)[1]
        pm["tbr"] = timed("pm4py fitness_token_based_replay", pm4py.fitness_token_based_replay, df, model.net,
                          model.im, model.fm)
        if not args.skip_pm4py_precision:
            pm["prec"] = timed("pm4py precision_token_based_replay", pm4py.precision_token_based_replay, df,
                               model.net, model.im, model.fm)
        pm["ali"] = capped_pm4py_alignments(str(parquet), args.process, args.pm4py_cap)
        rows[1] = ("inductive miner IMf 0.2", f"{t_im:.2f} s", f"{pm['im']:.2f} s", "")
    tbr_ref = pm.get("tbr")
    prec_ref = pm.get("prec")
    ali_ref = pm.get("ali")
    rows += [
        ("alignments vs reference (exact fitness)", f"{t_ali:.2f} s", ali_ref[0] if ali_ref else "–",
         same(ali.fitness, ali_ref[1]) if ali_ref else "–"),
        ("token replay", f"{t_tbr:.2f} s", f"{tbr_ref[1]:.2f} s" if tbr_ref else "–",
         same(tbr.fitness, tbr_ref[0]["log_fitness"]) if tbr_ref else "–"),
        ("precision (ETConformance)", f"{t_prec:.2f} s",
         f"{prec_ref[1]:.2f} s ({prec_ref[1] / max(t_prec, 1e-6):,.0f}x)" if prec_ref else "–",
         same(prec, prec_ref[0]) if prec_ref else "–"),
    ]
    if args.check:
        rows.append(("check() end to end (store → report)", f"{full_check(table, args.process, tmp):.2f} s", "", ""))
    print(f"\n| {args.process}, {args.cases:,} cases, {len(v):,} variants, {table.num_rows:,} events "
          "| flowmine | pm4py default | figures |\n|---|---|---|---|")
    for r in rows:
        print("| " + " | ".join(r) + " |")


if __name__ == "__main__":
    main()
