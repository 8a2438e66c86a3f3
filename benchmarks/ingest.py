"""Ingestion benchmark (not a unit test): `flowmine ingest` vs pandas.read_csv + pm4py.format_dataframe.

Generates CSV event logs of 1M and 5M events, then measures, each in a fresh process:
- flowmine: `flowmine ingest FILE --store DIR --process bench` (CSV -> validated, sorted Parquet store);
- pm4py: `pandas.read_csv` + `pm4py.format_dataframe` (what pm4py users do; it validates nothing);
and prints events/s, wall time, peak RSS and its ratio to the Arrow size of the loaded log.
Targets (foundation issue): >= 1M events/s on 2 cores; peak memory < 3x the Arrow size.

XES import (``--xes-sizes``, default 1M events): the CSV store is exported to XES by flowmine, then
read, each in a fresh process, by ``flowmine ingest`` (XES -> validated store), pm4py's iterparse and
chunk_regex readers, r4pm's Rust reader through pm4py (``pm4py.read_xes(variant="rustxes")``, which calls
``r4pm.df``) and alone (``r4pm.df.import_xes``, no pm4py import), and rustxes when installed, with the same
events/s and peak memory columns and the ratio of flowmine's whole ingest (parse, validate, sort, store) to
each reader's time (issue 20's target: at most 1.00 against r4pm).

Every measured command runs in a fresh process started by a parent that never holds much
memory: the CSVs are generated in a child process too. (A child started with vfork inherits
its parent's peak RSS into its own ``ru_maxrss``: measured from a parent that had just built a
5M-row table, ``python -c pass`` reported a 1 GB peak.)

    python benchmarks/ingest.py [--sizes 1000000 5000000] [--xes-sizes 1000000] [--keep]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ACTIVITIES = ["Create order", "Check credit", "Approve order", "Pick goods", "Ship goods", "Send invoice",
              "Receive payment", "Close order"]


def make_csv(path: Path, n_events: int, seed: int = 1) -> None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    rng = np.random.default_rng(seed)
    per_case = 8
    n_cases = n_events // per_case
    case = np.repeat(np.arange(n_cases), per_case)[:n_events]
    step = np.tile(np.arange(per_case), n_cases)[:n_events]
    start = 1_700_000_000 + case * 600
    ts = start + step * 3600 + rng.integers(0, 3000, n_events)
    ts_str = pc.strftime(pa.array(ts * 1_000_000, pa.int64()).cast(pa.timestamp("us")), format="%Y-%m-%d %H:%M:%S")
    table = pa.table({
        "case": pa.array(np.char.add("C", case.astype(str))),
        "activity": pa.array(np.array(ACTIVITIES)[step]),
        "timestamp": ts_str,
        "resource": pa.array(np.char.add("user", rng.integers(0, 50, n_events).astype(str))),
        "cost": pa.array(np.round(rng.gamma(2.0, 30.0, n_events), 2)),
    })
    order = rng.permutation(n_events)  # exports are rarely sorted
    pacsv.write_csv(table.take(pa.array(order)), path)


def run_measured(cmd: list[str]) -> tuple[float, float, str, float]:
    """Wall seconds, peak RSS in MB, stdout and CPU seconds (user + system) of a fresh process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    out = proc.stdout.read() if proc.stdout else ""
    err = proc.stderr.read() if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"benchmark command failed: {' '.join(cmd)}\n{err}")
    return wall, usage.ru_maxrss / 1024, out, usage.ru_utime + usage.ru_stime


PM4PY = textwrap.dedent("""
    import sys, pandas as pd, pm4py
    df = pd.read_csv(sys.argv[1], dtype={"case": str})
    df = pm4py.format_dataframe(df, case_id="case", activity_key="activity", timestamp_key="timestamp")
    print(len(df))
""")

PREPARE = textwrap.dedent("""
    import sys, flowmine.analytics as a
    a.prepare(sys.argv[1], "bench")
""")

XES_READ = textwrap.dedent("""
    import sys, warnings, pm4py
    warnings.simplefilter("ignore")
    df = pm4py.read_xes(sys.argv[1], variant=sys.argv[2])
    print(len(df))
""")

R4PM = textwrap.dedent("""
    import sys, r4pm
    df = r4pm.df.import_xes(sys.argv[1])
    print(len(df[0]) if isinstance(df, tuple) else len(df))
""")

RUSTXES = textwrap.dedent("""
    import sys, rustxes
    df = rustxes.import_xes(sys.argv[1])
    print(len(df[0]) if isinstance(df, tuple) else len(df))
""")

ARROW_SIZE = textwrap.dedent("""
    import sys, flowmine
    t = flowmine.Store(sys.argv[1], create=False).load_table("bench")
    print(t.nbytes)
""")


def xes_import(flowmine_cmd: list[str], store: Path, work: Path, n: int, arrow_mb: float) -> None:
    """The same log as XES, read by flowmine, pm4py's two Python readers and r4pm's Rust reader."""
    xes = work / f"log_{n}.xes"
    run_measured([*flowmine_cmd, "export", "--store", str(store), "--process", "bench", "--out", str(xes)])
    print(f"{'':>10} XES file: {xes.stat().st_size / 1024**2:.0f} MB, written by flowmine export")
    load = os.getloadavg()[0]
    wall, peak, _, cpu = run_measured([*flowmine_cmd, "ingest", str(xes), "--store", str(work / f"xstore_{n}"),
                                       "--process", "bench", "--json", "--no-analytics-cache"])
    print(f"{n:>10,} {'flowmine ingest (XES -> store)':<34} {wall:>8.2f} {n / wall:>12,.0f} {cpu:>7.2f} "
          f"{peak:>9.0f} {peak / arrow_mb:>10.2f} {load:>5.2f}")
    readers = [("iterparse", "pm4py.read_xes iterparse", XES_READ), ("chunk_regex", "pm4py.read_xes chunk_regex",
               XES_READ), ("rustxes", "r4pm (pm4py variant rustxes)", XES_READ), ("", "r4pm.df.import_xes alone", R4PM)]
    if importlib.util.find_spec("rustxes") is not None:
        readers.append(("", "rustxes.import_xes", RUSTXES))
    else:
        print(f"{'':>10} rustxes is not installed: its line is left out")
    for variant, label, script in readers:
        load = os.getloadavg()[0]
        pwall, ppeak, out, pcpu = run_measured([sys.executable, "-c", script, str(xes), variant])
        assert int(out) == n, f"{label} read {out.strip()} events, expected {n}"
        print(f"{n:>10,} {label:<34} {pwall:>8.2f} {n / pwall:>12,.0f} {pcpu:>7.2f} {ppeak:>9.0f} "
              f"{ppeak / arrow_mb:>10.2f} {load:>5.2f}   flowmine's whole ingest takes {wall / pwall:.2f}x its time")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 5_000_000])
    ap.add_argument("--xes-sizes", type=int, nargs="*", default=[1_000_000],
                    help="sizes of the XES import comparison (each must also be in --sizes)")
    ap.add_argument("--keep", action="store_true", help="keep the generated files")
    ap.add_argument("--make", nargs=2, metavar=("PATH", "EVENTS"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.make:  # the child that writes one CSV
        make_csv(Path(args.make[0]), int(args.make[1]))
        return
    work = Path(tempfile.mkdtemp(prefix="flowmine-bench-"))
    flowmine_cmd = [sys.executable, "-m", "flowmine"]
    print(f"cores: {os.cpu_count()}  python: {sys.version.split()[0]}  (cpu s = user + system time of the "
          "process; load = 1-minute load average before the run, other work on the machine)")
    print(f"{'events':>10} {'tool':<34} {'wall s':>8} {'events/s':>12} {'cpu s':>7} {'peak MB':>9} "
          f"{'peak/arrow':>10} {'load':>5}")
    try:
        for n in args.sizes:
            csv = work / f"log_{n}.csv"
            subprocess.run([sys.executable, __file__, "--make", str(csv), str(n)], check=True)
            store = work / f"store_{n}"
            load = os.getloadavg()[0]
            # The store alone (the target); the analytics cache that `flowmine ingest` builds by default
            # afterwards is timed on its own line below.
            wall, peak, _, cpu = run_measured([*flowmine_cmd, "ingest", str(csv), "--store", str(store),
                                               "--process", "bench", "--json", "--no-analytics-cache"])
            _, _, out, _ = run_measured([sys.executable, "-c", ARROW_SIZE, str(store)])
            arrow_mb = int(out) / 1024**2
            print(f"{n:>10,} {'flowmine ingest (CSV -> store)':<34} {wall:>8.2f} {n / wall:>12,.0f} {cpu:>7.2f} "
                  f"{peak:>9.0f} {peak / arrow_mb:>10.2f} {load:>5.2f}")
            cwall, cpeak, _, ccpu = run_measured([sys.executable, "-c", PREPARE, str(store)])
            print(f"{n:>10,} {'  + analytics cache (prepare)':<34} {cwall:>8.2f} {'':>12} {ccpu:>7.2f} "
                  f"{cpeak:>9.0f}")
            load = os.getloadavg()[0]
            pwall, ppeak, _, pcpu = run_measured([sys.executable, "-c", PM4PY, str(csv)])
            print(f"{n:>10,} {'pandas.read_csv + format_dataframe':<34} {pwall:>8.2f} {n / pwall:>12,.0f} "
                  f"{pcpu:>7.2f} {ppeak:>9.0f} {ppeak / arrow_mb:>10.2f} {load:>5.2f}")
            print(f"{'':>10} arrow size of the log: {arrow_mb:.0f} MB; flowmine is {pwall / wall:.2f}x "
                  f"pm4py's speed (and validates, sorts and stores)")
            if n in args.xes_sizes:
                xes_import(flowmine_cmd, store, work, n, arrow_mb)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
