"""Case explorer timing (not a unit test): ``case_table`` page turns, sorts and searches on a stored log.

The first call builds the per-case rows of the log version and filters (held in memory afterwards);
then each page turn, sort or search is one query over them. Prints the build time and the median and
worst of each kind of call, unfiltered and with a start-date filter.

    python benchmarks/case_table.py STORE PROCESS [--repeat 20]
"""

from __future__ import annotations

import argparse
import statistics
import time

from flowmine.analytics import CaseFilter, case_table, hold, stored


def timed(fn, repeat: int) -> tuple[float, float]:
    took = []
    for i in range(repeat):
        t0 = time.perf_counter()
        fn(i)
        took.append((time.perf_counter() - t0) * 1000)
    return statistics.median(took), max(took)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("store")
    ap.add_argument("process")
    ap.add_argument("--repeat", type=int, default=20)
    a = ap.parse_args()
    log = stored(a.store, a.process)
    t0 = time.perf_counter()
    hold(log)
    print(f"hold (the dashboard does this at start-up): {time.perf_counter() - t0:.2f} s")
    for name, lg in (("all cases", log), ("started in March 2025", log.where(CaseFilter(
            started=("2025-03-01", "2025-04-01"))))):
        t0 = time.perf_counter()
        _, total = case_table(lg)
        print(f"{name}: {total:,} cases; first page (builds the case rows): {time.perf_counter() - t0:.2f} s")
        for what, fn in (
            ("page turn", lambda i, lg=lg, n=total: case_table(lg, offset=25 * (i * 37 % max(1, n // 25)))),
            ("sort by throughput, desc", lambda i, lg=lg: case_table(lg, sort="throughput_s", descending=True,
                                                                     offset=25 * i)),
            ("sort by variant", lambda i, lg=lg: case_table(lg, sort="variant", offset=25 * i)),
            ("search an id substring", lambda i, lg=lg: case_table(lg, search=f"{i:03d}")),
        ):
            med, worst = timed(fn, a.repeat)
            print(f"  {what}: median {med:.1f} ms, worst {worst:.1f} ms")


if __name__ == "__main__":
    main()
