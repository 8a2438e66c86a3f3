"""The ``flowmine`` command: thin commands over the public API (one module per command).

Exit codes are a contract: 0 done, 1 done but ``--strict`` found quarantined rows (or a check
failed, or ``verify`` found a damaged file), 2 an input, mapping or store could not be used (nothing
loads from a source, the store is read-only or full, a stored file is damaged). User errors print
one line on stderr that starts with ``error:``; never a traceback.
"""

from __future__ import annotations

import sys
from typing import Any

import typer

from flowmine.errors import FlowmineError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="flowmine: process mining and performance analytics. / 流程挖掘与绩效分析。")
mapping_app = typer.Typer(no_args_is_help=True, help="Mapping files: which column is what. / 字段映射。")
app.add_typer(mapping_app, name="mapping")
dashboard_user_app = typer.Typer(no_args_is_help=True,
                                 help="Dashboard users: the --auth-file of `flowmine dashboard`. / 仪表板用户。")
app.add_typer(dashboard_user_app, name="dashboard-user")


def fail(message: str, code: int = 2) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def spark_variants(store: Any, process: str, master: str | None) -> Any:
    """The process's variants computed by Spark (``--engine spark``); a missing Spark is one line, exit 2."""
    from flowmine.engines import EngineUnavailableError, spark_session, variants

    try:
        return variants(store, process, session=spark_session(master=master))
    except EngineUnavailableError as exc:
        fail(str(exc))
        raise  # not reached: fail exits


def _register() -> None:
    from flowmine.cli import (  # noqa: F401
        _check,
        _dashboard,
        _demo,
        _discover,
        _export,
        _info,
        _ingest,
        _mapping,
        _monitor,
        _perf,
        _report,
        _simulate,
        _versions,
    )


def main() -> None:
    _register()
    try:
        app()
    except FlowmineError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        typer.echo("error: interrupted; the store is unchanged unless the commit had finished", err=True)
        sys.exit(130)
