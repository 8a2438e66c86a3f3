"""ERP extraction benchmark (not a unit test): `flowmine extract sap-o2c` on a simulated VBFA of 5M rows.

Target (issue 16): a 5M-row VBFA in <= 30 s and <= 4 GB peak memory on 2 cores.

The VBFA comes from flowmine's SAP simulator (item-level fan-out, partial deliveries, combined
invoices, cancellations) and is cached between runs. Each measured command runs in a fresh process:
- flowmine: ``flowmine.extract.extract("sap-o2c", [VBFA.csv])`` -> pm4py ``OCEL`` in memory (documents,
  links, creation events, ancestors), then, timed apart, ``write_ocel`` to JSON and XML (flowmine's DuckDB
  writers) and to SQLite (sqlite3 in batches); peak memory is read after the extraction and again after the writes;
- baseline: pm4py has no file-based SAP extractor (its ``pm4py.algo.connectors`` need a live database),
  so the side-by-side is the pandas script an analyst writes instead: ``pandas.read_csv`` of VBFA and a
  groupby that collapses items to documents with their creation time and links (no checks, no
  categories, no ancestors), then pm4py's own ``OCEL`` built from those frames;
- the floor: ``pandas.read_csv`` alone.
It prints wall time, rows/s, peak RSS, and each ratio to the baseline.

Then the OCEL 2.0 forms, on the extract of a smaller VBFA (``--ocel-orders``, default 50,000 orders: pm4py's
XML writer would take over ten minutes on the full one): ``write_ocel`` to JSON, XML and SQLite against
pm4py's ``write_ocel2_json/xml/sqlite`` on the same ``OCEL``, and ``flowmine.read_ocel`` of each form
against pm4py's ``read_ocel2_json/xml/sqlite`` (r4pm for JSON and XML), each read in a fresh process; wall
and CPU seconds, and the ratio pm4py / flowmine.

    python benchmarks/extract.py [--orders 545000] [--ocel-orders 50000] [--part all|extract|ocel] [--keep DIR]
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
write_ocel(r.ocel, sys.argv[2] + ".xmlocel")
end_xml = time.perf_counter()
tot = r.report.totals()
assert tot["rows_read"] == tot["rows_used"] + tot["rows_quarantined"]
print(mid - t, end - mid, end_sqlite - end, end_xml - end_sqlite, rss_extract,
      resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, tot["rows_read"],
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


_WRITES = """
import sys, time
from flowmine.extract import extract
from flowmine.export import write_ocel
import pm4py
r = extract("sap-o2c", [sys.argv[1]], timezone="Asia/Shanghai")
o = r.ocel
out = []
for ext in ("jsonocel", "xmlocel", "sqlite"):
    c, t = time.process_time(), time.perf_counter()
    write_ocel(o, sys.argv[2] + "." + ext)
    out += [time.perf_counter() - t, time.process_time() - c]
for ext, writer in (("jsonocel", pm4py.write_ocel2_json), ("xmlocel", pm4py.write_ocel2_xml),
                    ("sqlite", pm4py.write_ocel2_sqlite)):
    c, t = time.process_time(), time.perf_counter()
    writer(o, sys.argv[2] + "-pm4py." + ext)
    out += [time.perf_counter() - t, time.process_time() - c]
print(*out, len(o.events), len(o.objects), len(o.relations), len(o.o2o))
"""

_READ = """
import sys, time
import pm4py, flowmine
reader = flowmine.read_ocel if sys.argv[2] == "flowmine" else {
    "jsonocel": pm4py.read_ocel2_json, "xmlocel": pm4py.read_ocel2_xml, "sqlite": pm4py.read_ocel2_sqlite}[
    sys.argv[1].rsplit(".", 1)[1]]
c, t = time.process_time(), time.perf_counter()
o = reader(sys.argv[1])
print(time.perf_counter() - t, time.process_time() - c, len(o.events))
"""


def _ocel_forms(folder: Path, orders: int) -> None:
    vbfa = folder / f"VBFA-{orders}.csv"
    if not vbfa.exists():
        print(f"generating {vbfa} ...", file=sys.stderr)
        _run(_MAKE, str(vbfa), str(orders))
    base = str(folder / f"ocel-{orders}")
    w = _run(_WRITES, str(vbfa), base)
    events, objects, relations, o2o = (int(x) for x in w[12:])
    print(f"\nOCEL 2.0 forms: extract of {orders:,} orders: {events:,} events, {objects:,} objects, "
          f"{relations:,} E2O, {o2o:,} O2O relations")
    print(f"{'':34}{'flowmine s':>11}{'(CPU)':>8}{'pm4py s':>10}{'(CPU)':>8}{'pm4py/flowmine':>16}{'(CPU)':>8}")
    for i, ext in enumerate(("jsonocel", "xmlocel", "sqlite")):
        fw, fc, pw, pc = w[2 * i], w[2 * i + 1], w[6 + 2 * i], w[7 + 2 * i]
        print(f"{'write_ocel .' + ext:34}{fw:11.2f}{fc:8.2f}{pw:10.2f}{pc:8.2f}{pw / fw:16.1f}{pc / fc:8.1f}")
    for ext in ("jsonocel", "xmlocel", "sqlite"):
        fw, fc, _ = _run(_READ, f"{base}.{ext}", "flowmine")
        pw, pc, _ = _run(_READ, f"{base}.{ext}", "pm4py")
        print(f"{'read .' + ext:34}{fw:11.2f}{fc:8.2f}{pw:10.2f}{pc:8.2f}{pw / fw:16.1f}{pc / fc:8.1f}")
    print("(flowmine's reads include its checks: the whole JSON parsed once and the XML once for safety and "
          "one-line errors; SQLite from a private copy; CPU counts every thread)")


def _run(code: str, *args: str) -> list[float]:
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code), *args], capture_output=True, text=True,
                         check=True)
    return [float(x) for x in out.stdout.strip().splitlines()[-1].split()]  # pm4py writers print progress bars


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=545_000, help="simulated orders (545k: about 5M VBFA rows)")
    parser.add_argument("--ocel-orders", type=int, default=50_000, help="orders of the extract the OCEL 2.0 "
                        "forms are written and read on, against pm4py's writers and readers")
    parser.add_argument("--part", choices=["all", "extract", "ocel"], default="all", help="what to measure")
    parser.add_argument("--keep", type=Path, default=None, help="folder to keep (and reuse) the generated VBFA in")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="flowmine-bench-extract-"))
    folder.mkdir(parents=True, exist_ok=True)
    if args.part in ("all", "extract"):
        _extract(folder, args.orders)
    if args.part in ("all", "ocel"):
        _ocel_forms(folder, args.ocel_orders)
    return 0


def _extract(folder: Path, orders: int) -> None:
    vbfa = folder / f"VBFA-{orders}.csv"
    if not vbfa.exists():
        print(f"generating {vbfa} ...", file=sys.stderr)
        _run(_MAKE, str(vbfa), str(orders))
    t_extract, t_json, t_sqlite, t_xml, rss, rss_all, rows, objects, events, relations = _run(
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
    print(f"{'write_ocel .sqlite (sqlite3)':34}{t_sqlite:10.2f}")
    print(f"{'write_ocel .xmlocel (DuckDB)':34}{t_xml:10.2f}{'':14}{rss_all / gb:10.2f}  (peak with writes)")
    ok = t_extract <= 30 and rss / gb <= 4
    print(f"target <= 30 s and <= 4 GB: {'met' if ok else 'NOT met'} ({t_extract:.1f} s, {rss / gb:.2f} GB)")


if __name__ == "__main__":
    raise SystemExit(main())
