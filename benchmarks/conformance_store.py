"""Benchmark (not a unit test): inductive mining plus alignments end to end on a stored simulated log.

    python benchmarks/conformance_store.py --store DIR [--process NAME] [--noise 0.2]

Variants from the store's Parquet (DuckDB), the inductive miner on the variants, then alignments of
every variant against the mined net (r4pm), as issue 5's 5M-event target describes (<= 3 s on 2 cores).
Make the store with `flowmine simulate procurement --cases 545000 --out p5m.parquet` and
`flowmine ingest p5m.parquet --store DIR --process p`.
"""

from __future__ import annotations

import argparse
import time

from flowmine.conformance import align
from flowmine.discovery import collect_variants, discover_model
from flowmine.models import ReferenceModel
from flowmine.store import Store


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--store", required=True)
    ap.add_argument("--process", default=None)
    ap.add_argument("--noise", type=float, default=0.2)
    args = ap.parse_args()
    st = Store(args.store, create=False)
    proc = args.process or st.processes()[0]
    t0 = time.perf_counter()
    v = collect_variants(st, proc)
    t1 = time.perf_counter()
    m = discover_model(v, algorithm="inductive", noise=args.noise)
    t2 = time.perf_counter()
    a = align(ReferenceModel(m.net, m.im, m.fm, "inductive miner"), v)
    t3 = time.perf_counter()
    print(f"{st.manifest(proc)['events']:,} events, {len(a.results):,} variants")
    print(f"variants {t1 - t0:.2f} s  inductive miner {t2 - t1:.2f} s  alignments {t3 - t2:.2f} s  "
          f"total {t3 - t0:.2f} s  fitness {a.fitness:.6f}  exact {a.exact}")


if __name__ == "__main__":
    main()
