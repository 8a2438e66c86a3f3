"""ERP extraction benchmark (not a unit test): `flowmine extract sap-o2c` on a simulated VBFA of 5M rows.

Target (issue 16): a 5M-row VBFA in <= 30 s and <= 4 GB peak memory on 2 cores.

The VBFA comes from flowmine's SAP simulator (item-level fan-out, partial deliveries, combined
invoices, cancellations) and is cached between runs. Each measured command runs in a fresh process:
- flowmine: ``flowmine.extract.extract("sap-o2c", [VBFA.csv])`` -> pm4py ``OCEL`` in memory (documents,
  links, creation events, ancestors), then, timed apart, ``write_ocel`` to JSON (flowmine's DuckDB writer)
  and to SQLite (sqlite3 in batches); peak memory is read after the extraction and again after the writes;
- baseline: pm4py has no file-based SAP extractor (its ``pm4py.algo.connectors`` need a live database),
  so the side-by-side is the pandas script an analyst writes instead: ``pandas.read_csv`` of VBFA and a
  groupby that collapses items to documents with their creation time and links (no checks, no
  categories, no ancestors), then pm4py's own ``OCEL`` built from those frames;
- the floor: ``pandas.read_csv`` alone.
It prints wall time, rows/s, peak RSS, and each ratio to the baseline.

    python benchmarks/extract.py [--orders 545000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

_MAKE = """
import sys
from flowmine.simulate._erp import sap_o2c
e = sap_o2c(int(sys.argv[2]), seed=3)
e.tables["VBFA"].to_csv(sys.argv[1], index=False)
print(len(e.tables["VBFA"]))
"""

_FLOWMINE = """
import resource, sys, time
t = time.perf_counter()
from flowmine.extract import extract
r = extract("sap-o2c", [sys.argv[1]], timezone="Asia/Shanghai")
mid = time.perf_counter()
rss_extract = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
from flowmine.export import write_ocel
write_ocel(r.ocel, sys.argv[2] + ".jsonocel")
end = time.perf_counter()
write_ocel(r.ocel, sys.argv[2] + ".sqlite")
end_sqlite = time.perf_counter()
tot = r.report.totals()
assert tot["rows_read"] == tot["rows_used"] + tot["rows_quarantined"]
print(mid - t, end - mid, end_sqlite - end, rss_extract, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
      tot["rows_read"],
      len(r.ocel.objects), len(r.ocel.events), len(r.ocel.relations))
"""

_PANDAS = """
import resource, sys, time
t = time.perf_counter()
import pandas as pd
from pm4py.objects.ocel.obj import OCEL
f = pd.read_csv(sys.argv[1], dtype=str)
f["created"] = pd.to_datetime(f["ERDAT"] + f["ERZET"], format="%Y%m%d%H%M%S")
docs = f.groupby("VBELN").agg(cat=("VBTYP_N", "first"), created=("created", "min")).reset_index()
roots = f[~f["VBELV"].isin(docs["VBELN"])].groupby("VBELV")["VBTYP_V"].first().reset_index()
objects = pd.concat([docs.rename(columns={"VBELN": "ocel:oid", "cat": "ocel:type"})[["ocel:oid", "ocel:type"]],
                     roots.rename(columns={"VBELV": "ocel:oid", "VBTYP_V": "ocel:type"})])
events = docs.rename(columns={"VBELN": "ocel:eid", "cat": "ocel:activity", "created": "ocel:timestamp"})
links = f[["VBELN", "VBELV"]].drop_duplicates()
rel = pd.concat([docs[["VBELN"]].assign(ocel_oid=docs["VBELN"]), links.rename(columns={"VBELV": "ocel_oid"})])
rel = rel.rename(columns={"VBELN": "ocel:eid", "ocel_oid": "ocel:oid"}).merge(events, on="ocel:eid")
rel = rel.merge(objects, on="ocel:oid")
ocel = OCEL(events=events, objects=objects, relations=rel)
end = time.perf_counter()
print(end - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, len(f))
"""

_FLOOR = """
import resource, sys, time
t = time.perf_counter()
import pandas as pd
f = pd.read_csv(sys.argv[1], dtype=str)
print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, len(f))
"""


def _run(code: str, *args: str) -> list[float]:
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code), *args], capture_output=True, text=True,
                         check=True)
    return [float(x) for x in out.stdout.strip().splitlines()[-1].split()]  # pm4py writers print progress bars


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=545_000, help="simulated orders (545k: about 5M VBFA rows)")
    parser.add_argument("--keep", type=Path, default=None, help="folder to keep (and reuse) the generated VBFA in")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="flowmine-bench-extract-"))
    folder.mkdir(parents=True, exist_ok=True)
    vbfa = folder / f"VBFA-{args.orders}.csv"
    if not vbfa.exists():
        print(f"generating {vbfa} ...", file=sys.stderr)
        _run(_MAKE, str(vbfa), str(args.orders))
    t_extract, t_json, t_sqlite, rss, rss_all, rows, objects, events, relations = _run(
        _FLOWMINE, str(vbfa), str(folder / "o"))
    t_pandas, rss_pandas, _ = _run(_PANDAS, str(vbfa))
    t_floor, rss_floor, _ = _run(_FLOOR, str(vbfa))
    gb = 1024 * 1024
    print(f"VBFA: {int(rows):,} rows -> {int(objects):,} objects, {int(events):,} events, {int(relations):,} "
          "event-to-object relations")
    print(f"{'':34}{'seconds':>10}{'rows/s':>14}{'peak GB':>10}{'x baseline':>12}")
    for name, t, r in (("flowmine extract (to OCEL)", t_extract, rss), ("pandas script + pm4py OCEL (baseline)",
                       t_pandas, rss_pandas), ("pandas.read_csv alone (floor)", t_floor, rss_floor)):
        print(f"{name:34}{t:10.2f}{rows / t:14,.0f}{r / gb:10.2f}{t / t_pandas:12.2f}")
    print(f"{'write_ocel .jsonocel (DuckDB)':34}{t_json:10.2f}")
    print(f"{'write_ocel .sqlite (sqlite3)':34}{t_sqlite:10.2f}{'':14}{rss_all / gb:10.2f}  (peak with writes)")
    ok = t_extract <= 30 and rss / gb <= 4
    print(f"target <= 30 s and <= 4 GB: {'met' if ok else 'NOT met'} ({t_extract:.1f} s, {rss / gb:.2f} GB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
