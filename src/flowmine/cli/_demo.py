"""``flowmine demo``: build a store from the bundled sample logs, then run the main job.

The sample logs are the ones installed with the package (:mod:`flowmine.samples`), so the demo runs from
any folder; ``--samples DIR`` reads another folder holding a ``samples.toml``.

The main job is the dashboard: the demo prints the store summary, then serves it on 127.0.0.1.
Ingesting is
idempotent (sources already in the store are skipped by their sha256), so a second run is quick.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated, Any

import typer

from flowmine.cli import app, fail
from flowmine.cli._info import format_info
from flowmine.cli._ingest import format_report
from flowmine.store import Store


def ingest_samples(samples: Path, store: Store) -> list[str]:
    """Ingest every log listed in ``samples/samples.toml`` into ``store``; return error lines."""
    index = samples / "samples.toml"
    if not index.exists():
        fail(f"{index}: no sample index found (expected a samples.toml listing the sample logs)")
    doc = tomllib.loads(index.read_text(encoding="utf-8"))
    errors: list[str] = []
    for entry in doc.get("log", []):
        mapping = samples / entry["mapping"] if entry.get("mapping") else None
        report = store.ingest(entry["process"], [str(samples / entry["file"])], mapping=mapping)
        typer.echo(format_report(report).splitlines()[0])
        if report.version:
            from flowmine.analytics import prepare

            prepare(store, entry["process"])
        errors.extend(report.errors)
    for entry in doc.get("extract", []):
        errors.extend(extract_sample(samples, store, entry))
    return errors


def extract_sample(samples: Path, store: Store, entry: dict[str, Any]) -> list[str]:
    """An ERP export of the index: extracted to OCEL 2.0 beside the store (``<store>/../ocel/``), then
    ingested flattened on each of its object types (the first into ``process``, the others into
    ``<process>_<type>``: the same log seen from another case notion). Returns error lines."""
    import dataclasses

    from flowmine.export import write_ocel
    from flowmine.extract import extract
    from flowmine.ingest import Mapping

    result = extract(entry["profile"], [samples / entry["file"]], timezone=entry.get("timezone", "UTC"))
    totals = result.report.totals()
    typer.echo(f"{entry['file']}: extracted {totals['rows_read']:,} table rows ({totals['rows_used']:,} used, "
               f"{totals['rows_quarantined']:,} quarantined) into {sum(result.report.objects.values()):,} objects")
    folder = store.path.parent / "ocel"
    folder.mkdir(parents=True, exist_ok=True)
    ocel = write_ocel(result.ocel, folder / f"{entry['process']}.jsonocel", timezone=entry.get("timezone"))
    errors: list[str] = []
    for i, object_type in enumerate(entry["object_types"]):
        process = entry["process"] if i == 0 else f"{entry['process']}_{object_type}"
        mapping = dataclasses.replace(Mapping(), object_type=object_type)
        report = store.ingest(process, [str(ocel)], mapping=mapping)
        typer.echo(f"{process}: " + format_report(report).splitlines()[0])
        if report.version:
            from flowmine.analytics import prepare

            prepare(store, process)
        errors.extend(report.errors)
    return errors


@app.command()
def demo(
    samples: Annotated[Path | None, typer.Option(
        help="Folder with samples.toml and the sample logs (default: the ones installed with flowmine).")] = None,
    store: Annotated[Path, typer.Option(help="Store directory to build.")] = Path("build/store"),
    serve: Annotated[bool, typer.Option(help="Serve the dashboard afterwards.")] = True,
    port: Annotated[int, typer.Option(help="Dashboard port.")] = 8050,
) -> None:
    """Build a store from the sample logs and show it. / 用示例日志构建存储并展示。"""
    if samples is None:
        from flowmine.samples import folder

        samples = folder()
    st = Store(store)
    errors = ingest_samples(samples, st)
    for err in errors:
        typer.echo(f"error: {err}", err=True)
    from flowmine.monitor import monitor

    monitor(st)  # KPI history for the Improvement page (the dashboard itself only reads the store)
    typer.echo("")
    typer.echo(format_info(st.info()))
    typer.echo(f"\nstore: {store}  (flowmine info --store {store}; flowmine export --store {store} "
               "--process finance --out finance.xes)")
    if errors:
        raise typer.Exit(2)
    if serve:
        from flowmine.dashboard import serve as serve_dashboard

        typer.echo(f"\nflowmine dashboard on http://127.0.0.1:{port}/  (Ctrl+C to stop)")
        serve_dashboard(store, port=port)
