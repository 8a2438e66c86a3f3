"""``flowmine dashboard``: serve the bottleneck dashboard over a store (loopback only, no debug)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from flowmine.cli import app


@app.command()
def dashboard(
    store: Annotated[Path, typer.Option(help="Store directory.")],
    host: Annotated[str, typer.Option(help="Address to listen on (loopback only).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8050,
) -> None:
    """Serve the dashboard. / 启动仪表板。"""
    from flowmine.dashboard import serve
    from flowmine.dashboard._security import check_host

    check_host(host)
    typer.echo(f"flowmine dashboard on http://{host}:{port}/  (Ctrl+C to stop)")
    serve(store, host=host, port=port)
