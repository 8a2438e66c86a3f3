"""``flowmine export``: write a stored process as XES, CSV or Parquet (format from the extension); with the
shared filter options, only the cases and events they keep."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from flowmine.cli import app, fail
from flowmine.cli._filters import Filters, filter_options
from flowmine.store import Store


@app.command()
@filter_options
def export(
    store: Annotated[Path, typer.Option(help="Store directory.")],
    process: Annotated[str, typer.Option(help="Process name.")],
    out: Annotated[Path, typer.Option(help="Output file: .xes, .xes.gz, .csv or .parquet.")],
    *,
    filters: Filters,
) -> None:
    """Export a process's event log. / 导出事件日志。"""
    from flowmine.api import export_log

    name = out.name.lower()
    if not name.endswith((".xes", ".xes.gz", ".csv", ".parquet")):
        fail(f"{out}: unknown export format; use .xes, .xes.gz, .csv or .parquet")
    st = Store(store, create=False)
    rows = None
    if not filters.is_empty():
        from flowmine.analytics import as_table

        rows = as_table(filters.log(st, process), columns=None)
    n = export_log(st, process, out, rows=rows)
    typer.echo(f"wrote {n:,} events to {out}")
