"""Benchmark: the same analytics on DuckDB (embedded) and on Spark (not a unit test).

Runs, on one stored log, in one process: the profile (everything ``flowmine perf --json`` holds) on
DuckDB (``engine="sql"``) and on Spark, and the variants discovery uses, on both; checks that the two
engines agree; prints wall times with Spark's start-up (JVM and SparkSession) shown apart, and peak
memory (VmHWM) of this Python process and of Spark's JVM.

Spark is timed twice: ``first`` reads the Parquet, orders every case and caches the per-instance
relations; ``again`` runs the profile once more inside the same ``use_spark`` block (relations
cached), which is what several metrics on one log cost after the first.

    python benchmarks/engines.py --store STORE_DIR                      # e.g. a simulated 5M-event store
    python benchmarks/engines.py --store /tmp/s --process finance --master spark://host:7077
    python benchmarks/engines.py --store /tmp/s --repeat 3 --driver-memory 4g --fast

The machine may be shared: read best times, and the spread as the load others put on it.
"""

from __future__ import annotations

import argparse
import math
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def vmhwm_mb(pid: int | str = "self") -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def java_children() -> list[int]:
    """Java processes started by this process (Spark's local-mode JVM)."""
    me, out = os.getpid(), []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == me and "java" in (entry / "comm").read_text():
                out.append(int(entry.name))
        except (OSError, IndexError, ValueError):
            continue
    return out


def timed(fn: Callable[[], Any], repeat: int) -> tuple[list[float], Any]:
    times, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return times, result


def differences(a: Any, b: Any, where: str = "") -> list[str]:
    """Where two profiles differ (floats within 1e-9 relative)."""
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            return [f"{where}: keys differ"]
        return [d for k in a if k != "engine" for d in differences(a[k], b[k], f"{where}.{k}")]
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{where}: {len(a)} vs {len(b)} items"]
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in differences(x, y, f"{where}[{i}]")]
    if isinstance(a, float) and isinstance(b, float):
        return [] if math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12) else [f"{where}: {a!r} vs {b!r}"]
    return [] if a == b else [f"{where}: {a!r} vs {b!r}"]


def fmt(times: list[float]) -> str:
    return f"{min(times):.2f} s" + (f" (worst {max(times):.2f})" if len(times) > 1 else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--store", required=True, help="store directory (e.g. a simulated 5M-event store)")
    parser.add_argument("--process", default=None, help="default: the store's first process")
    parser.add_argument("--master", default=None, help="Spark master or sc:// URL (default local[2])")
    parser.add_argument("--driver-memory", default="3g")
    parser.add_argument("--shuffle-partitions", default="8")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--fast", action="store_true", help="also time the numba engine (reference)")
    args = parser.parse_args()

    t_import = time.perf_counter()
    from flowmine.analytics import profile, stored
    from flowmine.discovery import collect_variants
    from flowmine.engines import spark_session, spark_variants, use_spark
    from flowmine.store import Store

    t_import = time.perf_counter() - t_import
    store = Store(args.store, create=False)
    process = args.process or store.processes()[0]
    log = stored(store, process)
    events = store.load_table(process, columns=["event_id"]).num_rows
    rows: list[tuple[str, str, str]] = []
    print(f"store {args.store}, process {process}: {events:,} events; imports {t_import:.2f} s; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)

    duck_times, duck = timed(lambda: profile(log, engine="sql"), args.repeat)
    rows.append(("DuckDB", "profile", fmt(duck_times)))
    dv_times, dv = timed(lambda: collect_variants(store, process), args.repeat)
    rows.append(("DuckDB", "variants", fmt(dv_times)))
    duck_mb = vmhwm_mb()
    print(f"duckdb done (python peak {duck_mb:,.0f} MB)", flush=True)
    if args.fast:
        profile(log, engine="fast")
        fast_times, _ = timed(lambda: profile(log, engine="fast"), args.repeat)
        rows.append(("numba (fast)", "profile, warm", fmt(fast_times)))

    t = time.perf_counter()
    spark = spark_session(master=args.master, conf={"spark.driver.memory": args.driver_memory,
                                                    "spark.sql.shuffle.partitions": args.shuffle_partitions})
    startup = time.perf_counter() - t
    rows.append(("Spark", f"start-up ({args.master or 'local[2]'})", f"{startup:.2f} s"))
    print(f"spark started in {startup:.1f} s", flush=True)
    with use_spark(spark):
        t = time.perf_counter()
        sp = profile(log, engine="spark")
        first = time.perf_counter() - t
        again_times, _ = timed(lambda: profile(log, engine="spark"), args.repeat)
    rows.append(("Spark", "profile, first (reads, orders, caches)", f"{first:.2f} s"))
    rows.append(("Spark", "profile, again (relations cached)", fmt(again_times)))
    sv_times, sv = timed(lambda: spark_variants(store, process, session=spark), args.repeat)
    rows.append(("Spark", "variants", fmt(sv_times)))
    jvm = [vmhwm_mb(pid) for pid in java_children()]
    diffs = differences(duck, sp)
    same_variants = dv.traces == sv.traces and dv.counts.tolist() == sv.counts.tolist() and dv.cases == sv.cases

    print(f"\n{events:,} events, {duck['cases']:,} cases, {duck['variants']:,} variants\n")
    print("| engine | what | wall time |\n|---|---|---|")
    for engine, what, value in rows:
        print(f"| {engine} | {what} | {value} |")
    jvm_text = ", ".join(f"{m:,.0f} MB" for m in jvm if m is not None) or "n/a (remote)"
    print(f"\npeak memory: python {vmhwm_mb():,.0f} MB (after DuckDB {duck_mb:,.0f} MB); Spark JVM {jvm_text}")
    print(f"profiles identical: {not diffs}" + ("" if not diffs else f" ({len(diffs)} differences: {diffs[:5]})"))
    print(f"variants identical: {same_variants}")
    print("load average (1, 5, 15 min) at the end: " + ", ".join(f"{x:.1f}" for x in os.getloadavg())
          + f" on {os.cpu_count()} cores (other jobs inflate wall times)")


if __name__ == "__main__":
    main()
