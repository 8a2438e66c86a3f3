"""What the dashboard's business-time switch costs (not a unit test): each page's data, first computed
(cold caches), in elapsed and in business time of the process calendar, wall and CPU seconds.

Business time runs on the SQL engine (the calendar's arithmetic over every instant of ``inst`` and
``cases``); elapsed time takes the compiled passes where they exist (the map, the bottlenecks, the
unfiltered profile). Builds (or reuses) the simulated store of ``benchmarks/dashboard.py``.

    python benchmarks/business_time.py [--events 1000000] [--store DIR]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from dashboard import build_store  # the benchmark store of benchmarks/dashboard.py (beside this file)


def timed(what: Callable[[Any], Any], arg: Any) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    what(arg)
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--store", type=Path, default=Path("/tmp/flowmine-bench-dashboard/store"))
    args = ap.parse_args()
    args.store.parent.mkdir(parents=True, exist_ok=True)
    build_store(args.store, args.events)
    from flowmine.dashboard import _data
    from flowmine.dashboard._numbers import bottleneck_lists
    from flowmine.dashboard._state import Filters
    from flowmine.store import Store

    store = Store(args.store, create=False)
    process = store.processes()[0]
    events = store.manifest(process)["events"]
    _data.version(store, process)  # held in memory, as the served dashboard does at start-up
    _data.offer(store, process)
    pages: dict[str, Callable[[Filters], Any]] = {
        "overview (profile by month)": lambda f: _data.process_profile(store, f),
        "bottlenecks (1000 bootstrap)": lambda f: bottleneck_lists(store, f),
        "map (all activities)": lambda f: _data.process_map_of(store, f, 1.0, 0.8),
        "map (half the activities)": lambda f: _data.process_map_of(store, f, 0.5, 0.8),
        "map node times (service_time)": lambda f: _data.metric(store, f, "service_time", "activity"),
    }
    print(f"{process}: {events:,} events; first computation per page, wall / CPU seconds")
    print(f"{'page':32} {'elapsed':>16} {'business':>16} {'ratio (wall)':>13}")
    for name, page in pages.items():
        e = timed(page, Filters(process=process))
        b = timed(page, Filters(process=process, time="business"))
        print(f"{name:32} {e[0]:7.2f} / {e[1]:6.2f} {b[0]:7.2f} / {b[1]:6.2f} {b[0] / max(e[0], 1e-9):12.1f}x")


if __name__ == "__main__":
    main()
