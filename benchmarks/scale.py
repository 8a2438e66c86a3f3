"""Where one machine ends (not a unit test): a simulated log of tens of millions of events ingested,
profiled and mapped on this machine (issue 20; the figures go to docs/SCALE.md).

The log: ``flowmine simulate PROCESS`` once (about 1M events, ``--base-cases``), then tiled to
``--events``: copy k of every case gets the case id ``<id>~k`` and its times shifted by k times 37
seconds, so the copies run side by side in the simulated period: the same process with k times the
cases (the same variants, durations, resources and attributes; times stay plausible, where copies one
after another would run decades into the future and be quarantined). The tiles are streamed into one
Parquet file a copy at a time, so making it never holds more than one copy. The ingest line says
how many rows were loaded and quarantined (expected: all loaded, none quarantined).

Then, each in a fresh process whose peak memory (VmHWM) is read at its end:

- ``flowmine ingest`` of that Parquet (validate, type, sort, store): events/s;
- the profile (everything ``flowmine perf --json`` holds) cold (fresh process, cache built on first use),
  cold again (cache present), warm (best of ``--repeat`` in one process);
- the process map (``discovery.process_map``, the dashboard's map) cold and warm;
- beside them the floor: reading the three core columns and one DuckDB group-by.

Targets (issue 20, 2 cores): ingest >= 1M events/s, profile warm <= 3 s, peak memory <= 16 GB.
(The dashboard's p95 at this size: ``python benchmarks/dashboard.py --store DIR``.)

    python benchmarks/scale.py [--events 50000000] [--process procurement] [--work DIR] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TILE = r"""
import sys
import pyarrow as pa, pyarrow.compute as pc, pyarrow.parquet as pq
base, out, events = sys.argv[1], sys.argv[2], int(sys.argv[3])
table = pq.read_table(base)
times = [c for c in table.column_names if pa.types.is_timestamp(table.schema.field(c).type)]
shift = 37_000_000  # microseconds: the copies side by side in the simulated period
case = "case:concept:name"
copies = -(-events // table.num_rows)
with pq.ParquetWriter(out, table.schema) as w:
    for k in range(copies):
        ids = pc.binary_join_element_wise(table.column(case), pa.scalar(f"~{k}"), "")
        part = table if k == 0 else table.set_column(table.column_names.index(case), case, ids)
        for c in times:
            if k:
                i = part.column_names.index(c)
                moved = pc.add(part.column(c).cast(pa.int64()), k * shift).cast(part.schema.field(c).type)
                part = part.set_column(i, part.schema.field(c), moved)
        left = events - k * table.num_rows
        w.write_table(part.slice(0, min(left, part.num_rows)), row_group_size=1_000_000)
print(copies)
"""

CHILD = r"""
import json, sys, time
mode, store, process, repeat = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
times = []
t0 = time.perf_counter()
if mode == "ingest":
    from flowmine.cli import main
    import contextlib, io
    sys.argv = ["flowmine", "ingest", sys.argv[5], "--store", store, "--process", process]
    said = io.StringIO()
    try:
        with contextlib.redirect_stdout(said):
            main()
    except SystemExit as done:
        assert done.code in (0, None), done.code
    times.append(time.perf_counter() - t0)
elif mode in ("profile_cold", "profile_warm"):
    from flowmine.analytics import profile, stored
    log = stored(store, process)
    if mode == "profile_warm":
        profile(log)
    for _ in range(repeat):
        t = time.perf_counter(); p = profile(log); times.append(time.perf_counter() - t)
elif mode in ("map_cold", "map_warm"):
    from flowmine.analytics import stored
    from flowmine.discovery import process_map
    log = stored(store, process)
    if mode == "map_warm":
        process_map(log)
    for _ in range(repeat):
        t = time.perf_counter(); m = process_map(log, activities=1.0, paths=0.8); times.append(time.perf_counter() - t)
elif mode == "floor":
    import duckdb, pyarrow.parquet as pq
    from flowmine import Store
    path = Store(store, create=False).events_path(process)
    tab = pq.read_table(path, columns=["case:concept:name", "concept:name", "time:timestamp"])
    con = duckdb.connect(); con.register("t", tab)
    con.sql('SELECT "concept:name", COUNT(*), MAX("time:timestamp") FROM t GROUP BY 1').fetchall()
    times.append(time.perf_counter() - t0)
hwm = next(int(x.split()[1]) for x in open("/proc/self/status") if x.startswith("VmHWM"))
print(json.dumps({"times": times, "whole": time.perf_counter() - t0, "peak_mb": hwm / 1024,
                  "said": said.getvalue().strip() if mode == "ingest" else ""}))
"""


def child(mode: str, store: Path, process: str, repeat: int = 1, *extra: str) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, mode, str(store), process, str(repeat), *extra],
                         capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"{mode} failed (exit {out.returncode}): {out.stderr.strip().splitlines()[-1:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def line(label: str, r: dict, extra: str = "") -> None:
    t = sorted(r["times"])
    spread = f" (worst {t[-1]:.2f} s of {len(t)})" if len(t) > 1 else ""
    print(f"{label:<46}{t[0]:>9.2f} s{spread}  peak {r['peak_mb'] / 1024:>5.1f} GB  {extra}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=50_000_000)
    ap.add_argument("--process", default="procurement")
    ap.add_argument("--base-cases", type=int, default=111_111, help="cases of the simulated log that is tiled")
    ap.add_argument("--work", type=Path, default=None, help="folder for the logs and the store (default: temp)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--keep", action="store_true", help="keep the store and the tiled log")
    args = ap.parse_args()
    work = args.work or Path(tempfile.gettempdir()) / f"flowmine-bench-scale-{args.events}"
    work.mkdir(parents=True, exist_ok=True)
    base = work / "base.parquet"
    if not base.exists():
        subprocess.run([sys.executable, "-m", "flowmine", "simulate", args.process, "--cases", str(args.base_cases),
                        "--out", str(base), "--seed", "1"], check=True, capture_output=True)
    big = work / "log.parquet"
    t = time.perf_counter()
    if not big.exists():
        tmp = work / "log.parquet.part"
        out = subprocess.run([sys.executable, "-c", TILE, str(base), str(tmp), str(args.events)], check=True,
                             capture_output=True, text=True)
        os.replace(tmp, big)
        print(f"tiled {out.stdout.strip()} copies of {base.name} into {args.events:,} events in "
              f"{time.perf_counter() - t:.0f} s ({big.stat().st_size / 2**30:.1f} GB of Parquet)", flush=True)
    store = work / "store"
    shutil.rmtree(store, ignore_errors=True)
    print(f"machine: {os.cpu_count()} cores; load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    r = child("ingest", store, args.process, 1, str(big))
    rate = args.events / r["times"][0]
    print(r["said"], flush=True)
    line("flowmine ingest (Parquet -> validated store)", r,
         f"{rate:,.0f} events/s; target >= 1M/s: {'met' if rate >= 1e6 else 'NOT met'}")
    line("profile cold, first use (builds the cache)", child("profile_cold", store, args.process))
    line("profile cold (cache present)", child("profile_cold", store, args.process))
    r = child("profile_warm", store, args.process, args.repeat)
    line("profile warm", r, f"target <= 3 s: {'met' if min(r['times']) <= 3 else 'NOT met'}")
    line("process map cold", child("map_cold", store, args.process))
    line("process map warm", child("map_warm", store, args.process, args.repeat))
    line("floor: 3 columns read + one DuckDB group-by", child("floor", store, args.process))
    print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    if not args.keep:
        shutil.rmtree(store, ignore_errors=True)
        big.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
