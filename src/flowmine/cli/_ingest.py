"""``flowmine ingest``: read sources into a process of the store, print the reconciliation."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from tqdm import tqdm

from flowmine.cli import app
from flowmine.errors import StrictModeError
from flowmine.ingest import Mapping, load_mapping
from flowmine.store import KEEP_VERSIONS, IngestReport, SourceReport, Store


def format_report(report: IngestReport) -> str:
    """Readable reconciliation: rows read = loaded + merged + already stored + quarantined."""
    lines = []
    for s in report.sources:
        if s.skipped:
            lines.append(f"{s.source}: skipped, {s.skipped}")
            continue
        lines.append(
            f"{s.source}: read {s.rows_read:,} rows = {s.events_loaded:,} events loaded"
            f" + {s.rows_merged:,} lifecycle rows merged + {s.rows_already_stored:,} already stored"
            f" + {s.rows_quarantined:,} quarantined; {s.cases:,} cases"
        )
        if s.duplicate_events:
            lines.append(f"    exact duplicate events (repeat an earlier one in every column): "
                         f"{s.duplicate_events:,}"
                         + (" (kept)" if not s.reasons.get("duplicate_event") else " (one of each kept)"))
        if s.replaced:
            lines.append(f"    replaced what this content stored before with another mapping ({s.replaced})")
        for reason, count in sorted(s.reasons.items()):
            lines.append(f"    quarantined {reason}: {count:,}")
        for note in s.notes:
            lines.append(f"    note: {note}")
    t = report.totals()
    if report.version is None:
        lines.append(f"process {report.process!r} holds no events: nothing was stored")
    else:
        lines.append(f"process {report.process!r} now holds {report.store_events:,} events in "
                     f"{report.store_cases:,} cases (store version {report.version})")
    if t["rows_quarantined"]:
        lines.append("see the quarantine: flowmine quarantine --store ... --process "
                     f"{report.process}  (or Store.quarantine() in Python)")
    return "\n".join(lines)


@app.command()
def ingest(
    sources: Annotated[list[str], typer.Argument(help="CSV, Excel, XES, Parquet or OCEL 2.0 (JSON, XML, SQLite) "
                                                 "files.", show_default=False)],
    store: Annotated[Path, typer.Option(help="Store directory (created if absent).")],
    process: Annotated[str, typer.Option(help="Process name, e.g. procurement.")],
    mapping: Annotated[Path | None, typer.Option(help="Mapping TOML file.")] = None,
    object_type: Annotated[str | None, typer.Option(
        help="OCEL 2.0 logs: the object type whose objects are the cases (e.g. order); flattens the log on it.",
        show_default=False)] = None,
    strict: Annotated[bool, typer.Option(help="Exit 1 if any row was quarantined.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")] = False,
    analytics_cache: Annotated[bool, typer.Option(help="Build the analytics cache of the new version.")] = True,
    keep_versions: Annotated[int, typer.Option(help="Versions kept per process (the live one included).")]
    = KEEP_VERSIONS,
) -> None:
    """Ingest SOURCES into a process of the store. / 导入事件日志。"""
    st = Store(store, keep_versions=keep_versions)
    chosen: Mapping | Path | None = mapping
    if object_type is not None:
        chosen = dataclasses.replace(load_mapping(mapping) if mapping else Mapping(), object_type=object_type)
    bar = tqdm(total=len(sources), desc=f"ingest {process}", unit="file", file=sys.stderr,
               disable=None, leave=False)
    report = st.ingest(process, sources, mapping=chosen,
                       progress=lambda rep: bar.update(1))
    bar.close()
    if analytics_cache and report.version and any(s.events_loaded for s in report.sources):
        from flowmine.analytics import prepare

        prepare(st, process)
    for err in report.errors:
        typer.echo(f"error: {err}", err=True)
    if as_json:
        typer.echo(json.dumps(report.totals(), ensure_ascii=False, default=str))
    else:
        typer.echo(format_report(report))
    if report.errors:
        raise typer.Exit(2)
    if strict and any(s.rows_quarantined for s in report.sources):
        raise StrictModeError(f"--strict: {sum(s.rows_quarantined for s in report.sources):,} rows quarantined")


__all__ = ["SourceReport", "format_report", "ingest"]
