"""``flowmine report``: the managers' report of one process as a self-contained HTML file (the profile,
check and key steps of the cases the shared case filters keep; the KPI monitor and initiatives stay over all)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from flowmine.cli import app, fail
from flowmine.cli._filters import Filters, filter_options
from flowmine.cli._units import TimeOption, calendar_of


@app.command()
@filter_options
def report(
    store: Annotated[Path, typer.Option(help="Store directory.")],
    process: Annotated[str, typer.Option(help="Process name.")],
    out: Annotated[Path, typer.Option(help="Output HTML file.")],
    lang: Annotated[str, typer.Option(help="Language: en or zh.")] = "en",
    initiatives: Annotated[Path | None, typer.Option(help="Folder of initiative files (default: the definitions').")]
    = None,
    time: TimeOption = "elapsed",
    *,
    filters: Filters,
) -> None:
    """Write the offline HTML report for managers. / 生成管理层报告（离线HTML）。"""
    from flowmine.report import write_report
    from flowmine.store import Store

    if not filters.events.is_empty():
        fail("report takes case filters only (its KPIs and cards are of whole cases): drop --keep-activities, "
             "--drop-activities, --trim, --lifecycle and --between")
    calendar = calendar_of(time, process)
    st = Store(store, create=False)
    flt = None
    if not filters.is_empty():
        flt = filters.checked(st, process)  # unknown names, no case kept: one line, before the work
    path = write_report(st, process, out, lang=lang, initiatives=initiatives, filters=flt,
                        calendar=calendar)
    typer.echo(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB, works offline)")
