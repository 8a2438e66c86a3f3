"""``flowmine versions``, ``flowmine rollback`` and ``flowmine verify``: a store's versions and integrity."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from flowmine.cli import app
from flowmine.store import KEEP_VERSIONS, Store


@app.command()
def versions(
    store: Annotated[Path, typer.Option(help="Store directory.")],
    process: Annotated[str, typer.Option(help="Process name.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON array on stdout.")] = False,
) -> None:
    """List the kept versions of a process (the live one marked). / 列出版本。"""
    rows = Store(store, create=False).versions(process)
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    typer.echo(f"{'':2}{'version':<9} {'created':<26} {'events':>12} {'cases':>10} {'sources':>8}")
    for r in rows:
        mark = "* " if r["live"] else "  "
        extra = f"  (rollback to {r['rollback_of']})" if r.get("rollback_of") else ""
        events = f"{r['events']:,}" if r["events"] is not None else "?"
        cases = f"{r['cases']:,}" if r["cases"] is not None else "?"
        typer.echo(f"{mark}{r['version']:<9} {r['created'] or '':<26} {events:>12} {cases:>10} "
                   f"{r['sources'] if r['sources'] is not None else '?':>8}{extra}")


@app.command()
def rollback(
    store: Annotated[Path, typer.Option(help="Store directory.")],
    process: Annotated[str, typer.Option(help="Process name.")],
    to: Annotated[str, typer.Option(help="The version to make live again, e.g. v000003.")],
    keep_versions: Annotated[int, typer.Option(help="Versions kept per process (the live one included).")]
    = KEEP_VERSIONS,
) -> None:
    """Make an earlier version live again, as a new version. / 回滚到早先版本。"""
    st = Store(store, create=False, keep_versions=keep_versions)
    before = st.version(process)
    new = st.rollback(process, to)
    typer.echo(f"process {process!r}: {to} is live again as {new} (was {before})")


@app.command()
def verify(
    store: Annotated[Path, typer.Option(help="Store directory.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")] = False,
) -> None:
    """Check every stored file against its digest; exit 1 naming any damaged file. / 校验存储完整性。"""
    result = Store(store, create=False).verify()
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False))
    else:
        for d in result["damaged"]:
            typer.echo(f"damaged: {d['file']}: {d['problem']}")
        for d in result["unverified"]:
            typer.echo(f"unverified: {d['file']}: {d['problem']}")
        state = "intact" if not result["damaged"] else f"{len(result['damaged'])} damaged file(s)"
        typer.echo(f"{result['store']}: {result['checked']} version(s) checked, {state}")
    if result["damaged"]:
        raise typer.Exit(1)
