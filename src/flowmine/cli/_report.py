"""``flowmine report``: the managers' report of one process as a self-contained HTML file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from flowmine.cli import app


@app.command()
def report(
    store: Annotated[Path, typer.Option(help="Store directory.")],
    process: Annotated[str, typer.Option(help="Process name.")],
    out: Annotated[Path, typer.Option(help="Output HTML file.")],
    lang: Annotated[str, typer.Option(help="Language: en or zh.")] = "en",
    initiatives: Annotated[Path | None, typer.Option(help="Folder of initiative files (default: the definitions').")]
    = None,
) -> None:
    """Write the offline HTML report for managers. / 生成管理层报告（离线HTML）。"""
    from flowmine.report import write_report
    from flowmine.store import Store

    path = write_report(Store(store, create=False), process, out, lang=lang, initiatives=initiatives)
    typer.echo(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB, works offline)")
