"""Dashboard replay (not a unit test): the request mix of ``dashboard.py``, one request at a time, in process.

``dashboard.py`` measures latency with 20 users on a served dashboard, which on a shared machine says as
much about the other work on it as about the dashboard. This replay posts the same kinds of callbacks
(every page with the filter mix of ``dashboard.search_for``, map sliders, map clicks, case pages; no step
cards, which a served dashboard computes in its worker) to an app made by ``create_app`` through Flask's
test client, one after the other from a seeded generator, and prints the process's CPU seconds, wall
time and latency per request kind: a figure to compare two versions of the code on the same store
(run both in the same conditions). The start-up work (``_warm``) runs first and is not counted.

    python benchmarks/dashboard_replay.py [--store DIR] [--requests 500] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
import urllib.parse
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import dashboard as bench  # the served benchmark's mix and store (beside this file)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--store", type=Path, default=Path("/tmp/flowmine-bench-dashboard/store"))
    ap.add_argument("--events", type=int, default=1_000_000, help="events of the store built when missing")
    ap.add_argument("--requests", type=int, default=500)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    args.store.parent.mkdir(parents=True, exist_ok=True)
    bench.build_store(args.store, args.events)

    from flowmine.analytics import case_table, stored
    from flowmine.dashboard import create_app
    from flowmine.dashboard._app import _warm
    from flowmine.dashboard._data import offer
    from flowmine.dashboard._state import PRESETS, preset
    from flowmine.discovery import map_layout, process_map
    from flowmine.store import Store

    store = Store(args.store, create=False)
    process = store.processes()[0]
    app = create_app(args.store)
    t0 = time.perf_counter()
    _warm(store, app.server.config["FLOWMINE_READY"])
    warm_s = time.perf_counter() - t0
    client = app.server.test_client()
    deps = client.get("/_dash-dependencies").get_json()
    shell = next(d for d in deps if "page.children" in d["output"])
    map_cb = next(d for d in deps if "map-graph.figure" in d["output"])
    click_cb = next(d for d in deps if d["output"] == "map-detail.children")
    case_cb = next(d for d in deps if d["output"] == "case-body.children")
    shell_state = [{"id": "shell-shown", "property": "data", "value": None}]

    def post(cb: dict[str, Any], inputs: list[dict[str, Any]], state: list[dict[str, Any]]) -> None:
        outputs: Any = [dict(zip(("id", "property"), part.rsplit(".", 1), strict=True))
                        for part in cb["output"].strip(".").split("...")]
        if not cb["output"].startswith(".."):
            outputs = outputs[0]
        body = json.dumps({"output": cb["output"], "outputs": outputs, "inputs": inputs, "state": state,
                           "changedPropIds": [f"{i['id']}.{i['property']}" for i in inputs[:1]]})
        resp = client.post("/_dash-update-component", data=body, content_type="application/json")
        if resp.status_code not in (200, 204):
            raise SystemExit(f"HTTP {resp.status_code} for {cb['output'][:60]}")

    def url(page: str, search: str) -> list[dict[str, Any]]:
        return [{"id": "url", "property": "pathname", "value": page},
                {"id": "url", "property": "search", "value": search}]

    off = offer(store, process)
    attr_values = {a: list(v) for a, v in off.attributes.items()}
    choices = bench.windows([preset(off, name) for name in PRESETS if name != "all"])
    log = stored(store, process)
    pmap = process_map(log, layout=map_layout(log))
    steps = [str(n) for n, k in zip(pmap.nodes["node"], pmap.nodes["kind"], strict=True) if k == "activity"]
    paths = list(zip(pmap.edges["source"].astype(str), pmap.edges["target"].astype(str), strict=True))
    case_ids = case_table(log, limit=1000, offset=0, sort="case")[0]["case"].astype(str).tolist()

    def search_for(rng: random.Random) -> str:  # dashboard.py's mix
        q = [("process", process)]
        window = rng.choice(choices)
        if window:
            q += [tuple(part.split("=", 1)) for part in window.strip("&").split("&")]  # type: ignore[misc]
        if attr_values and rng.random() < 0.3:
            a = rng.choice(sorted(attr_values))
            q += [("attr", a), ("val", rng.choice(attr_values[a]))]
        if off.variants and rng.random() < 0.15:
            q.append(("variant", rng.choice(off.variants[:10])))
        if off.conformance and rng.random() < 0.15:
            q.append(("fit", rng.choice(["yes", "no"])))
        if rng.random() < 0.2:
            q.append(("lang", "zh"))
        return "?" + urllib.parse.urlencode(q)

    rng = random.Random(args.seed)
    search = search_for(rng)
    kinds: dict[str, list[float]] = {}
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(args.requests):
        r = rng.random()
        if r < 0.1:
            kind = "map sliders"
            call: tuple[Any, ...] = bench.map_sliders_call(rng, map_cb, search)
        elif r < 0.2:
            kind = "map click"
            call, _ = bench.map_click_call(rng, click_cb, search, steps, paths)
        elif r < 0.3:
            kind = "case page"
            q = urllib.parse.urlencode({"process": process, "case": rng.choice(case_ids)})
            call = (case_cb, [{"id": "url", "property": "search", "value": "?" + q},
                              {"id": "url", "property": "pathname", "value": "/case"}], [])
        else:
            page = rng.choice(bench.PAGES)
            if rng.random() < 0.5:
                search = search_for(rng)
            kind = page
            call = (shell, url(page, search), shell_state)
        t = time.perf_counter()
        post(*call)
        kinds.setdefault(kind, []).append(time.perf_counter() - t)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    lat = sorted(v for vs in kinds.values() for v in vs)

    def pct(v: list[float], p: float) -> float:
        return 1000 * v[min(len(v) - 1, int(p * len(v)))]

    print(f"process {process!r}, {args.requests} requests one at a time (seed {args.seed}); start-up {warm_s:.1f} s "
          "(not counted)")
    print(f"CPU {cpu:.1f} s ({1000 * cpu / args.requests:.0f} ms a request), wall {wall:.1f} s; latency ms: "
          f"p50 {pct(lat, 0.5):.0f}  p95 {pct(lat, 0.95):.0f}  max {1000 * lat[-1]:.0f}")
    for kind, values in sorted(kinds.items(), key=lambda kv: -sum(kv[1])):
        v = sorted(values)
        print(f"  {kind:14s} n={len(v):4d}  sum {sum(v):6.1f} s  p50 {pct(v, 0.5):6.0f}  p95 {pct(v, 0.95):6.0f}")


if __name__ == "__main__":
    main()
