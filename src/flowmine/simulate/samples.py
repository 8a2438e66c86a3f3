"""Rebuild ``sample_logs/`` deterministically: ``python -m flowmine.simulate.samples [FOLDER]``.

A development tool: run from the repository root it rewrites ``./sample_logs``; FOLDER writes
elsewhere (nothing here depends on where flowmine is installed).

Writes one log per process, each in a different export shape, with its mapping
(``<name>.mapping.toml``) and ground truth (``<name>.truth.json``), plus the small dirty file,
the ``samples.toml`` index and a README with the measured figures. Seeds and sizes are fixed
below, so a rebuild gives the same content (the .xlsx and .xes.gz bytes are normalised too).
"""

from __future__ import annotations

import csv
import io
import json
import re
import sys
import zipfile
from pathlib import Path
from typing import Any, Final

import pandas as pd

from flowmine._schema import ACTIVITY, CASE, COST, RESOURCE, START, TIMESTAMP, Reason
from flowmine.simulate._api import DEFAULT_TZ, SimulationResult, simulate
from flowmine.simulate._mappings import (
    dirty_mapping,
    finance_mapping,
    procurement_mapping,
    production_mapping,
    sales_mapping,
)
from flowmine.simulate._shapes import (
    finance_semicolon,
    local,
    procurement_gbk,
    sales_wide,
    sojourn_hours,
    visible_sales_events,
)
from flowmine.simulate._writers import write_truth
from flowmine.simulate._xes import write_xes

#: (process, cases, seed, file) of each sample log.
SAMPLES: tuple[tuple[str, int, int, str], ...] = (
    ("sales", 5000, 101, "sales_orders.xlsx"),
    ("procurement", 5000, 102, "procurement_events_gbk.csv"),
    ("production", 4000, 103, "production_mes.xes.gz"),
    ("finance", 6000, 104, "finance_claims.csv"),
)
DIRTY_FILE = "dirty_orders.csv"
#: The SAP-shaped order-to-cash export: (orders, seed, file, process it is ingested into, the object types it
#: is flattened on: the first into the process, each other into ``<process>_<type>``).
SAP_SAMPLE: Final = (2000, 105, "sap_o2c_export.zip", "sales_sap", ("order", "delivery", "invoice"))
FIXED_ZIP_TIME = (2025, 1, 1, 0, 0, 0)


def stem(file: str) -> str:
    """File name without its (possibly double) extension."""
    for suffix in (".xes.gz", ".xlsx", ".csv", ".zip"):
        if file.endswith(suffix):
            return file[: -len(suffix)]
    return file


def _normalise_zip(path: Path) -> None:
    """Rewrite a zip (xlsx) with fixed entry times and metadata, so rebuilds are byte-identical."""
    with zipfile.ZipFile(path) as src:
        entries = [(info.filename, src.read(info)) for info in src.infolist()]
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for name, data in entries:
            if name == "docProps/core.xml":  # openpyxl stamps the save time here
                pattern = rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)"
                data = re.sub(pattern, rb"\g<1>2025-01-01T00:00:00Z\2", data)
            dst.writestr(zipfile.ZipInfo(name, FIXED_ZIP_TIME), data, compress_type=zipfile.ZIP_DEFLATED)


def _write_sales(result: SimulationResult, path: Path, tz: str) -> dict[str, Any]:
    table = sales_wide(result.events, tz)
    with pd.ExcelWriter(path, engine="openpyxl", datetime_format="yyyy-mm-dd hh:mm") as writer:
        table.to_excel(writer, sheet_name="Orders", index=False)
        notes = pd.DataFrame(
            {
                "note": [
                    "One row per sales order; each *_at column is the completion time of a milestone "
                    f"(local time, {tz}).",
                    "Negotiation can repeat: last_negotiation_at is the last round, "
                    "negotiation_count the number of rounds.",
                    "Simulated data (flowmine.simulate), no real customers.",
                ]
            }
        )
        notes.to_excel(writer, sheet_name="Notes", index=False)
        props = writer.book.properties
        props.creator = "flowmine"
        props.created = props.modified = pd.Timestamp("2025-01-01").to_pydatetime()
    _normalise_zip(path)
    visible = visible_sales_events(table, tz)
    counts = table["negotiation_count"]
    return {
        "shape": "wide milestone table (xlsx), completion times only",
        "visible_events": len(visible),
        "visible_sojourn_total_hours": sojourn_hours(visible),
        "negotiation_rework_rate_from_count": round(float((counts >= 2).mean()), 4),
        "note": "Only the last negotiation round is a timestamp; repeats are in negotiation_count. "
        "Without start times the bottleneck shows as the largest total sojourn time.",
    }


def _write_csv(frame: pd.DataFrame, path: Path, *, encoding: str, delimiter: str) -> None:
    text = frame.to_csv(index=False, sep=delimiter, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    path.write_bytes(text.encode(encoding))


def build_dirty(folder: Path, tz: str = DEFAULT_TZ) -> dict[str, Any]:
    """Write the dirty file (50 rows) and return its truth: the planted problem rows and reasons."""
    events = simulate("sales", 5, seed=7, start="2024-02-05", change=False, rates={}).events
    rows = [
        {
            "order_id": e[CASE],
            "activity": e[ACTIVITY],
            "start_time": s.strftime("%Y-%m-%d %H:%M:%S"),
            "complete_time": t.strftime("%Y-%m-%d %H:%M:%S"),
            "resource": e[RESOURCE],
            "cost": f"{e[COST]:.2f}",
        }
        for (_, e), s, t in zip(events.iterrows(), local(events[START], tz), local(events[TIMESTAMP], tz), strict=True)
    ][:49]
    rows.insert(32, dict(rows[31]))  # spreadsheet row 34 repeats row 33 exactly
    planted = [
        (5, Reason.MISSING_CASE, "order_id", ""),
        (12, Reason.MISSING_ACTIVITY, "activity", ""),
        (19, Reason.INVALID_TIMESTAMP, "complete_time", "2024-02-30 10:15:00"),
        (26, Reason.COMPLETE_BEFORE_START, None, None),  # a relation of start_time and complete_time
        (34, Reason.DUPLICATE_EVENT, None, None),
        (42, Reason.INVALID_NUMBER, "cost", "12,5O0"),
    ]
    for row, reason, column, value in planted:
        rec = rows[row - 2]
        if reason == Reason.COMPLETE_BEFORE_START:
            start = pd.Timestamp(rec["start_time"])
            rec["complete_time"] = (start - pd.Timedelta(hours=2)).strftime("%Y-%m-%d %H:%M:%S")
        elif column is not None and value is not None:
            rec[column] = value
    _write_csv(pd.DataFrame(rows), folder / DIRTY_FILE, encoding="utf-8", delimiter=",")
    (folder / f"{stem(DIRTY_FILE)}.mapping.toml").write_text(dirty_mapping(tz), encoding="utf-8")
    truth = {
        "file": DIRTY_FILE,
        "process": "sales",
        "row_numbering": "spreadsheet: the header is row 1, the first data row is row 2",
        "rows_read": len(rows),
        "rows_loaded": len(rows) - len(planted),
        "quarantined": [
            {
                "row": row,
                "reason": reason,
                "column": column,
                "value": rows[row - 2][column] if column else None,
            }
            for row, reason, column, _ in planted
        ],
    }
    write_truth(truth, folder / f"{stem(DIRTY_FILE)}.truth.json")
    return truth


def build_sap(folder: Path, tz: str = DEFAULT_TZ) -> dict[str, Any]:
    """The SAP SD export as it arrives from a system: a ZIP of tab- and semicolon-separated tables, the
    document flow in a member named ``VBFA.zip`` (a CSV, whatever its name says); truth beside it."""
    from flowmine.simulate._erp import sap_o2c

    orders, seed, file, process, object_types = SAP_SAMPLE
    export = sap_o2c(orders, seed=seed, timezone=tz, start="2025-01-06")
    path = folder / file
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, frame in export.tables.items():
            member, sep = ("VBFA.zip", "\t") if name == "VBFA" else (f"{name}.csv", ";")
            zf.writestr(zipfile.ZipInfo(member, FIXED_ZIP_TIME), frame.to_csv(index=False, sep=sep),
                        compress_type=zipfile.ZIP_DEFLATED)
    truth = {k: v for k, v in export.truth.items() if k not in ("documents", "links")}
    truth |= {"file": file, "process": process, "object_types": list(object_types), "orders": orders,
              "links": len(export.truth["links"]), "rows": {k: len(v) for k, v in export.tables.items()}}
    write_truth(truth, folder / f"{stem(file)}.truth.json")
    return {"process": process, "file": file, "profile": "sap-o2c", "timezone": tz, "object_types": object_types,
            "bytes": path.stat().st_size, "rows": sum(truth["rows"].values())}


def build_samples(folder: Path, tz: str = DEFAULT_TZ) -> list[dict[str, Any]]:
    """Write every sample log with mapping and truth into ``folder``; return one summary per file."""
    folder.mkdir(parents=True, exist_ok=True)
    summary: list[dict[str, Any]] = []
    for process, cases, seed, file in SAMPLES:
        result = simulate(process, cases, seed=seed, timezone=tz)
        path = folder / file
        truth = dict(result.truth)
        if process == "sales":
            truth["export"] = _write_sales(result, path, tz)
            mapping = sales_mapping(tz)
        elif process == "procurement":
            _write_csv(procurement_gbk(result.events, tz), path, encoding="gbk", delimiter=",")
            truth["export"] = {"shape": "GBK CSV event table, Chinese headers and activity names"}
            mapping = procurement_mapping(tz)
        elif process == "production":
            write_xes(result.events, path)
            truth["export"] = {"shape": "XES (gzip), start and complete lifecycle events"}
            mapping = production_mapping()
        else:
            _write_csv(finance_semicolon(result.events, tz), path, encoding="utf-8", delimiter=";")
            truth["export"] = {"shape": "CSV, ';' delimiter, decimal comma, day-first minute timestamps"}
            mapping = finance_mapping(tz)
        truth["file"] = file
        (folder / f"{stem(file)}.mapping.toml").write_text(mapping, encoding="utf-8")
        write_truth(truth, folder / f"{stem(file)}.truth.json")
        summary.append(
            {
                "process": process,
                "file": file,
                "cases": cases,
                "events": len(result.events),
                "bytes": path.stat().st_size,
                "seed": seed,
            }
        )
    dirty = build_dirty(folder, tz)
    summary.append(
        {
            "process": "sales_dirty",
            "file": DIRTY_FILE,
            "cases": None,
            "events": dirty["rows_read"],
            "bytes": (folder / DIRTY_FILE).stat().st_size,
            "seed": 7,
        }
    )
    _write_index(folder, summary, [build_sap(folder, tz)])
    return summary


def _write_index(folder: Path, summary: list[dict[str, Any]], extracts: list[dict[str, Any]]) -> None:
    out = io.StringIO()
    out.write("# Sample logs shipped with flowmine: rebuilt by `python -m flowmine.simulate.samples`.\n")
    for item in summary:
        base = stem(item["file"])
        out.write(
            f'\n[[log]]\nprocess = "{item["process"]}"\nfile = "{item["file"]}"\n'
            f'mapping = "{base}.mapping.toml"\ntruth = "{base}.truth.json"\n'
        )
    out.write("\n# ERP table exports: `flowmine extract PROFILE FILE --timezone TZ`, then ingested flattened on each\n"
              "# of object_types: the first into process, the others into <process>_<type> (flowmine demo does it).\n")
    for item in extracts:
        out.write(
            f'\n[[extract]]\nprocess = "{item["process"]}"\nfile = "{item["file"]}"\nprofile = "{item["profile"]}"\n'
            f'timezone = "{item["timezone"]}"\nobject_types = {json.dumps(list(item["object_types"]))}\n'
            f'truth = "{stem(item["file"])}.truth.json"\n'
        )
    (folder / "samples.toml").write_text(out.getvalue(), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    folder = Path(args[0]) if args else Path("sample_logs")
    if not args and not folder.is_dir():
        print("usage: python -m flowmine.simulate.samples [FOLDER]  (default: ./sample_logs of a checkout)")
        return 2
    for item in build_samples(folder):
        print(f"{item['file']}: {item['cases']} cases, {item['events']} rows/events, {item['bytes']} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
