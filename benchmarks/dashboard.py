"""Dashboard load benchmark (not a unit test): 20 simulated users on loopback change pages and filters.

Builds (or reuses) a simulated 1M-event store, serves `flowmine dashboard` on 127.0.0.1 in a child
process, and has N users (threads) post the page callback that a browser posts when a manager opens
a page or changes the process or date filter. Bounded in users, time and requests; loopback only.
Prints p50/p95/p99 callback latency, errors and requests. Target (issue 6): p95 <= 300 ms,
p50 <= 100 ms, zero errors, on 2 cores.

    python benchmarks/dashboard.py [--events 1000000] [--users 20] [--seconds 120] [--store DIR]
"""

from __future__ import annotations

import argparse
import json
import random
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

PAGES = ["/", "/bottlenecks", "/steps", "/variants", "/cases", "/resources", "/data"]
MAX_REQUESTS = 50_000


def build_store(store: Path, events: int) -> None:
    if (store / "flowmine-store.json").exists():
        return
    log = store.parent / f"bench_{events}.parquet"
    cases = max(1, events // 10)
    cli = [sys.executable, "-m", "flowmine"]
    if not log.exists():
        subprocess.run([*cli, "simulate", "procurement", "--cases", str(cases), "--out", str(log), "--seed", "1"],
                       check=True)
    subprocess.run([*cli, "ingest", str(log), "--store", str(store), "--process", "procurement"], check=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def windows() -> list[str]:
    """The filter choices a manager clicks: no filter, each month of 2025, each quarter."""
    out = [""]
    for m in range(1, 13):
        end = f"2025-{m + 1:02d}-01" if m < 12 else "2026-01-01"
        out.append(f"&from=2025-{m:02d}-01&to={end}")
    for q in range(4):
        out.append(f"&from=2025-{3 * q + 1:02d}-01&to=2025-{3 * q + 3:02d}-28")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--users", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=120.0)
    ap.add_argument("--store", type=Path, default=Path("/tmp/flowmine-bench-dashboard/store"))
    ap.add_argument("--process", default=None, help="process to browse (default: the store's first)")
    args = ap.parse_args()
    args.store.parent.mkdir(parents=True, exist_ok=True)
    build_store(args.store, args.events)
    from flowmine.store import Store

    process = args.process or Store(args.store, create=False).processes()[0]
    events = Store(args.store, create=False).manifest(process)["events"]
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "flowmine", "dashboard", "--store", str(args.store),
                               "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                deps = json.load(urllib.request.urlopen(base + "/_dash-dependencies", timeout=2))
                break
            except OSError:
                time.sleep(0.2)
        else:
            raise SystemExit("dashboard did not start")
        cb = next(d for d in deps if [i["id"] for i in d["inputs"]] == ["url", "url"])
        outputs = [dict(zip(("id", "property"), part.rsplit(".", 1), strict=True))
                   for part in cb["output"].strip(".").split("...")]
        choices = windows()
        latencies: list[float] = []
        errors: list[str] = []
        lock = threading.Lock()
        stop_at = time.perf_counter() + args.seconds

        def user(seed: int) -> None:
            rng = random.Random(seed)
            while time.perf_counter() < stop_at:
                with lock:
                    if len(latencies) + len(errors) >= MAX_REQUESTS:
                        return
                page, search = rng.choice(PAGES), f"?process={process}" + rng.choice(choices)
                body = json.dumps({"output": cb["output"], "outputs": outputs, "changedPropIds": ["url.search"],
                                   "inputs": [{"id": "url", "property": "pathname", "value": page},
                                              {"id": "url", "property": "search", "value": search}],
                                   "state": []}).encode()
                req = urllib.request.Request(base + "/_dash-update-component", data=body,
                                             headers={"Content-Type": "application/json"})
                t0 = time.perf_counter()
                try:
                    with urllib.request.urlopen(req, timeout=60) as resp:
                        ok = resp.status == 200 and b'"response"' in resp.read()
                    dt = time.perf_counter() - t0
                    with lock:
                        (latencies.append(dt) if ok else errors.append(f"{page}{search}: bad body"))
                except OSError as exc:
                    with lock:
                        errors.append(f"{page}{search}: {exc}")
                time.sleep(rng.uniform(0.2, 1.0))  # a person reads before the next click

        threads = [threading.Thread(target=user, args=(i,)) for i in range(args.users)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
    finally:
        server.terminate()
        server.wait(timeout=10)
    lat = sorted(latencies)

    def pct(p: float) -> float:
        return 1000 * lat[min(len(lat) - 1, int(p * len(lat)))] if lat else float("nan")

    print(f"users {args.users}, {args.seconds:.0f} s, process {process!r} with {events:,} events")
    print(f"requests {len(lat) + len(errors):,}  errors {len(errors)}")
    print(f"callback latency ms: p50 {pct(0.50):.0f}  p95 {pct(0.95):.0f}  p99 {pct(0.99):.0f}  "
          f"max {1000 * lat[-1] if lat else float('nan'):.0f}")
    print("targets: p50 <= 100 ms, p95 <= 300 ms, zero errors")
    for e in errors[:5]:
        print("  error:", e)


if __name__ == "__main__":
    main()
