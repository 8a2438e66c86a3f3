"""``flowmine info`` and ``flowmine quarantine``: what the store holds, and what it refused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from flowmine.cli import app
from flowmine.store import Store


def format_info(info: dict[str, Any]) -> str:
    if not info["processes"]:
        return f"{info['store']}: no processes yet"
    lines = [f"{'process':<16}{'events':>12}{'cases':>10}  {'from':<20}  {'to':<20}  {'quarantined':>11}  last ingest"]
    for p in info["processes"]:
        lines.append(f"{p['process']:<16}{p['events']:>12,}{p['cases']:>10,}  {(p['start'] or '')[:19]:<20}  "
                     f"{(p['end'] or '')[:19]:<20}  {p['rows_quarantined']:>11,}  {p['last_ingest']}")
    return "\n".join(lines)


@app.command()
def info(
    store: Annotated[Path, typer.Option(help="Store directory.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Processes, events, cases, time span and last ingest. / 存储概况。"""
    data = Store(store, create=False).info()
    typer.echo(json.dumps(data, ensure_ascii=False) if as_json else format_info(data))


@app.command()
def quarantine(
    store: Annotated[Path, typer.Option(help="Store directory.")],
    process: Annotated[str, typer.Option(help="Process name.")],
    limit: Annotated[int, typer.Option(help="Rows to show (0: all).")] = 50,
) -> None:
    """Rows that were not loaded, with their reasons. / 隔离区记录。"""
    q = Store(store, create=False).quarantine(process)
    if q.empty:
        typer.echo("no quarantined rows")
        return
    typer.echo(q.head(limit or len(q)).to_string(index=False))
    typer.echo(f"{len(q):,} quarantine records; by reason: "
               + ", ".join(f"{k} {v:,}" for k, v in q["reason"].value_counts().items()))
