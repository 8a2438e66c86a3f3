"""What-if simulation benchmark (not a unit test): fidelity of the as-is model and its speed.

Fidelity: for each sample log and each real public log in ``../shared/data`` (when the folder is there),
the log is ingested into a temporary store, a model is discovered and one replication simulated; the
measures of ``flowmine.simulation.fidelity`` are printed side by side (throughput median and p90 with
their relative errors, the earth mover's distance of the throughput distributions, the activity-frequency
L1 distance, arrivals per week) with the issue's thresholds (median within 15 %, p90 within 25 %, L1 at
most 0.1), averaged over ``--seeds`` replications (one replication's median of a small or bimodal log
moves by tens of per cent from seed to seed: the spread of the median's error is printed beside it).

Speed: on a simulated procurement log of ``--cases`` cases (100k by default), discovery, one replication
on each engine (SimPy's and the default own event loop, which give the same log), then ``--runs``
replications on ``--workers`` processes, each timed in wall and CPU seconds (other work on the machine
stretches the first). Targets (issue 18, 2 cores, 100k cases): discovery <= 10 s, 10 replications <= 30 s.

    python benchmarks/whatif.py [--cases 100000] [--runs 10] [--workers 2] [--seeds 5] [--no-real] [--no-speed]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
import tomllib
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_logs"
SHARED = ROOT.parent / "shared" / "data"
REAL = ["running-example.xes", "roadtraffic100traces.xes", "08_receipt.xes.gz", "Sepsis Cases - Event Log.xes.gz",
        "helpdesk.xes.gz", "06_bpic2013_closed.xes.gz"]


def _row(name: str, f: dict) -> str:
    med, p90 = f["throughput_median_s"], f["throughput_p90_s"]

    def err(x: dict) -> str:
        return f"{x['relative_error']:+7.1%}" if x["relative_error"] is not None else "    n/a"

    return (f"{name:<34}{f['cases']['log']:>7,}{f['cases']['simulated']:>8,}  {med['log'] / 3600:>9.1f} h "
            f"{err(med)}  {p90['log'] / 3600:>9.1f} h {err(p90)}  {f['throughput_emd_hours']:>9.1f} h"
            f"  {f['activity_l1']:>6.3f}  {'ok' if f['acceptable'] else 'POOR'}")


def _mean_fidelity(runs: list[dict]) -> dict:
    """The fidelity measures averaged over replications, judged by the same tolerances."""
    import numpy as np

    from flowmine.simulation._fidelity import problems

    out = dict(runs[0])
    for key in ("throughput_median_s", "throughput_p90_s"):
        errs = [r[key]["relative_error"] for r in runs if r[key]["relative_error"] is not None]
        out[key] = {**runs[0][key], "relative_error": float(np.mean(errs)) if errs else None,
                    "sd": float(np.std(errs)) if errs else None}
    out["throughput_emd_hours"] = float(np.mean([r["throughput_emd_hours"] for r in runs]))
    out["activity_l1"] = float(np.mean([r["activity_l1"] for r in runs]))
    out["distances"] = {k: float(np.mean([r["distances"][k] for r in runs])) for k in runs[0]["distances"]}
    out["cases"] = {**runs[0]["cases"], "simulated": int(np.mean([r["cases"]["simulated"] for r in runs]))}
    out["problems"] = problems(out)  # the same tolerances, on the averages
    out["acceptable"] = not out["problems"]
    return out


def fidelity_table(real: bool, seeds: int = 5) -> None:
    import flowmine
    from flowmine.analytics import CaseFilter, stored
    from flowmine.simulation import discover, fidelity, simulate

    print(f"fidelity: mean over {seeds} replications (seeds 1..{seeds}); sd = the median error's spread")
    print(f"{'log':<34}{'cases':>7}{'sim':>8}  {'median':>11} {'error':>7}  {'p90':>11} {'error':>7}  "
          f"{'EMD':>11}  {'L1':>6}        sd")
    with tempfile.TemporaryDirectory(prefix="flowmine-whatif-") as tmp:
        st = flowmine.Store(Path(tmp) / "store")
        logs = []
        for e in tomllib.loads((SAMPLES / "samples.toml").read_text("utf-8"))["log"]:
            if e["process"] in ("sales", "procurement", "production", "finance"):
                st.ingest(e["process"], [str(SAMPLES / e["file"])], mapping=SAMPLES / e["mapping"])
                logs.append((f"sample {e['process']}", e["process"]))
        if real and SHARED.is_dir():
            for i, name in enumerate(REAL):
                if (SHARED / name).exists():
                    st.ingest(f"real{i}", [str(SHARED / name)])
                    logs.append((name, f"real{i}"))
        elif real:
            print(f"(no {SHARED}: the real logs are left out)")
        for label, process in logs:
            log = stored(st, process)
            for name, until in _periods(process):
                ref = log if until is None else log.where(CaseFilter(started=(None, until)))
                model = discover(log, until=until)
                f = _mean_fidelity([fidelity(ref, simulate(model, seed=k)) for k in range(1, seeds + 1)])
                print(_row(label + name, f) + f"  {f['throughput_median_s']['sd']:>6.1%}")
                d = f["distances"]
                print(f"{'':<34}  distances (log-distance-measures' definitions): 3-gram {d['ngram_3']:.3f}, "
                      f"absolute {d['absolute']:.1f} h, arrival {d['arrival']:.1f} h, "
                      f"circadian {d['circadian']:.2f} h, relative {d['relative']:.1f} h, "
                      f"cycle time {d['cycle_time']:.1f} h")
                for p in f["problems"]:
                    print(f"{'':<34}  {p}")


def _periods(process: str) -> list[tuple[str, str | None]]:
    """The calibration periods of a log: a sample has a process change planted at its initiative's date,
    so it is judged both before it (a stationary period) and as a whole (a mixture of two processes)."""
    import pandas as pd

    from flowmine.monitor import load_initiatives

    if process.startswith("real"):
        return [("", None)]
    (ini,) = load_initiatives(process=process)
    until = pd.Timestamp(ini.change_date.isoformat(), tz=ini.timezone).tz_convert("UTC").isoformat()
    return [(" (before)", until), (" (whole)", None)]


def _one(model_path: str, seed: int, engine: str = "heap") -> tuple[int, float]:
    """One replication: its activity instances and the CPU seconds it took (other work on the machine
    stretches the wall time, not the CPU time)."""
    from flowmine.simulation import SimulationModel, simulate

    model = SimulationModel.load(model_path)
    cpu = time.process_time()
    n = len(simulate(model, seed=seed, engine=engine))
    return n, time.process_time() - cpu


def speed(cases: int, runs: int, workers: int) -> None:
    from flowmine.analytics import stored
    from flowmine.simulation import discover

    work = Path(tempfile.gettempdir()) / f"flowmine-bench-whatif-{cases}"
    store = work / "store"
    if not (store / "flowmine-store.json").exists():
        work.mkdir(parents=True, exist_ok=True)
        log = work / "log.parquet"
        cli = [sys.executable, "-m", "flowmine"]
        subprocess.run([*cli, "simulate", "procurement", "--cases", str(cases), "--out", str(log), "--seed", "1"],
                       check=True)
        subprocess.run([*cli, "ingest", str(log), "--store", str(store), "--process", "procurement"], check=True)
    log = stored(store, "procurement")
    t = time.perf_counter()
    model = discover(log)
    took = time.perf_counter() - t
    print(f"discovery on {cases:,} cases: {took:.1f} s   target <= 10 s: {'met' if took <= 10 else 'NOT met'}")
    path = str(model.save(work / "model.json"))
    for engine in ("simpy", "heap"):
        t = time.perf_counter()
        n, cpu = _one(path, 0, engine)
        print(f"one replication, engine {engine}: {time.perf_counter() - t:.1f} s, {cpu:.1f} CPU s "
              f"({n:,} activity instances)")
    t = time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        done = list(pool.map(_one, [path] * runs, range(runs)))
    took = time.perf_counter() - t
    cpu = [c for _, c in done]
    print(f"{runs} replications on {workers} processes: {took:.1f} s ({sum(n for n, _ in done):,} instances; "
          f"{sum(cpu) / len(cpu):.1f} CPU s per replication, {min(cpu):.1f}-{max(cpu):.1f})   "
          f"target <= 30 s: {'met' if took <= 30 else 'NOT met'}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seeds", type=int, default=5, help="replications each fidelity is averaged over")
    ap.add_argument("--no-real", action="store_true")
    ap.add_argument("--no-speed", action="store_true")
    args = ap.parse_args()
    fidelity_table(real=not args.no_real, seeds=args.seeds)
    if not args.no_speed:
        speed(args.cases, args.runs, args.workers)


if __name__ == "__main__":
    main()
