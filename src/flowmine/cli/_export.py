"""``flowmine export``: write a stored process as XES, CSV or Parquet (format from the extension)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from flowmine.cli import app, fail
from flowmine.store import Store


@app.command()
def export(
    store: Annotated[Path, typer.Option(help="Store directory.")],
    process: Annotated[str, typer.Option(help="Process name.")],
    out: Annotated[Path, typer.Option(help="Output file: .xes, .xes.gz, .csv or .parquet.")],
) -> None:
    """Export a process's event log. / 导出事件日志。"""
    from flowmine.api import export_log

    name = out.name.lower()
    if not name.endswith((".xes", ".xes.gz", ".csv", ".parquet")):
        fail(f"{out}: unknown export format; use .xes, .xes.gz, .csv or .parquet")
    n = export_log(Store(store, create=False), process, out)
    typer.echo(f"wrote {n:,} events to {out}")
