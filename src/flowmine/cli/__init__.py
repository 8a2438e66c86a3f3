"""The ``flowmine`` command: thin commands over the public API (one module per command).

Exit codes are a contract: 0 done, 1 done but ``--strict`` found quarantined rows (or ``monitor``
found a KPI breaching its target, or ``verify`` found a damaged file), 2 an input, mapping, option,
output path or store could not be used (nothing loads from a source, the store is read-only or full, a
stored file is damaged), 3 an internal error (a bug: one line says where the traceback was written).
User errors print one line on stderr that starts with ``error:``; never a traceback. Options are
checked once, by the API function they go to (its declared parameters, :mod:`flowmine._params`): a
command passes them on as given, and an :class:`~flowmine.errors.OptionError` names the command-line
option the user typed (``error: --port: The 'port' parameter of serve must be ...``). A reader that
closes standard output early (``flowmine info | head -1``) does not turn a finished command into a
failure.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import sys
import tempfile
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import typer
from typer._click.exceptions import ClickException, NoArgsIsHelpError  # typer 0.29 vendors click

from flowmine._params import Options, check_params
from flowmine.errors import FlowmineError, OptionError

#: The Typer application every command registers on (``main`` runs it).
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


def emit_json(d: Any, json_out: Path, wrote: str) -> None:
    """A command's ``--json`` result: to standard output for ``-``, else written atomically to the file,
    followed by the one line ``wrote`` that says what was written."""
    import json

    from flowmine._atomic import write_text_atomic

    text = json.dumps(d, ensure_ascii=False, indent=1)
    if str(json_out) == "-":
        typer.echo(text)
        return
    write_text_atomic(json_out, text + "\n")
    typer.echo(wrote)


def spark_variants(store: Any, process: str, master: str | None) -> Any:
    """The process's variants computed by Spark (``--engine spark``); a missing Spark is one line, exit 2."""
    from flowmine.engines import spark_session
    from flowmine.engines import spark_variants as on_spark
    from flowmine.errors import EngineUnavailableError

    try:
        return on_spark(store, process, session=spark_session(master=master))
    except EngineUnavailableError as exc:
        fail(str(exc))
        raise  # not reached: fail exits


def log_variants(command: str, option: str, store: Any, process: str, engine: str, master: str | None) -> Any:
    """The process's variants, computed by ``engine`` (the value of the command's ``option``: one of
    ``flowmine.engines.SQL_BACKENDS``, checked by the declared-parameter validator like any API option)."""
    from flowmine.engines import SQL_BACKENDS

    check_params(command, {option: [Options(SQL_BACKENDS)]}, {option: engine})
    if engine == "spark":
        return spark_variants(store, process, master)
    from flowmine.discovery import collect_variants

    return collect_variants(store, process)


def _typed_option(exc: OptionError, argv: list[str]) -> str:
    """``--name: `` when the refused parameter is a command-line option the user typed, else ``""``."""
    if exc.parameter is None:
        return ""
    option = "--" + exc.parameter.replace("_", "-")
    return f"{option}: " if any(a == option or a.startswith(option + "=") for a in argv) else ""


#: The module of each command. Only the invoked command's module is imported (``flowmine ingest``
#: does not load Dash, pm4py or numba); ``--help`` and an unknown command load them all.
COMMANDS: dict[str, str] = {
    "annotate": "_card", "card": "_card", "check": "_check", "dashboard": "_dashboard",
    "dashboard-user": "_dashboard", "demo": "_demo",
    "discover": "_discover", "map": "_discover", "explain": "_explain", "export": "_export", "extract": "_extract",
    "info": "_info",
    "quarantine": "_info", "ingest": "_ingest",
    "mapping": "_mapping", "monitor": "_monitor", "initiative": "_monitor", "perf": "_perf",
    "processes": "_processes", "report": "_report", "simulate": "_simulate", "versions": "_versions",
    "rollback": "_versions", "verify": "_versions", "whatif": "_whatif",
}


def _register(argv: list[str] | None = None) -> None:
    """Import the modules whose commands ``argv`` (default ``sys.argv[1:]``) can invoke."""
    args = sys.argv[1:] if argv is None else argv
    first = next((a for a in args if not a.startswith("-")), None)
    wanted = {COMMANDS[first]} if first in COMMANDS and "--help" not in args[:1] else set(COMMANDS.values())
    for module in sorted(wanted):
        importlib.import_module(f"flowmine.cli.{module}")


class _ClosedStdoutSafe:
    """``sys.stdout`` that survives a reader which closed the pipe (``flowmine info | head -0``).

    The work a command prints about is done by the time it prints (an ingest has committed), so a
    closed standard output is not a failure: further output goes to the null device and the exit
    code stays the command's own.
    """

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self.closed_by_reader = False

    def _closed(self) -> None:
        self.closed_by_reader = True
        devnull = os.open(os.devnull, os.O_WRONLY)
        with contextlib.suppress(OSError, ValueError):
            os.dup2(devnull, self._stream.fileno())
        os.close(devnull)

    def write(self, text: str) -> int:
        if not self.closed_by_reader:
            try:
                return int(self._stream.write(text))
            except BrokenPipeError:
                self._closed()
        return len(text)

    def flush(self) -> None:
        if not self.closed_by_reader:
            try:
                self._stream.flush()
            except BrokenPipeError:
                self._closed()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _internal_error(exc: BaseException) -> None:
    """A bug, not a user error: one line on stderr, the traceback in a file the user can send (exit 3)."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    where = Path(tempfile.gettempdir()) / f"flowmine-error-{stamp}-{os.getpid()}.txt"
    text = "".join(traceback.format_exception(exc))
    try:
        where.write_text(f"flowmine {' '.join(sys.argv[1:])}\n{text}", encoding="utf-8")
        saved = f"the traceback is in {where}"
    except OSError:
        saved = "the traceback could not be saved"
    what = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
    typer.echo(f"error: internal error ({what}); {saved}; please report it / 内部错误，请报告", err=True)
    sys.exit(INTERNAL_ERROR)


#: Exit code of an unexpected internal error (a bug): the traceback is written to a file.
INTERNAL_ERROR = 3

#: The door: ``main`` is the ``flowmine`` console script, ``app`` its Typer application. ``fail``,
#: ``spark_variants``, ``mapping_app`` and ``dashboard_user_app`` are shared by the command modules.
__all__ = ["INTERNAL_ERROR", "app", "emit_json", "main", "run"]


def run() -> None:
    """The ``flowmine`` program (and ``python -m flowmine``): :func:`main`, then an exit with its code that
    skips the interpreter's teardown. Native thread pools (Arrow's, DuckDB's) torn down while a thread is
    still winding down abort the process now and then ("terminate called without an active exception",
    exit -6 instead of the command's code, seen once in a CI run of an ingest that refused its input);
    the command's work, output and store commits are all finished by then."""
    code: int
    try:
        main()
        code = 0
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            code = int(exc.code or 0)
        else:  # a message: printed as Python would, exit status 1
            print(exc.code, file=sys.stderr)
            code = 1
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # a closed pipe has nothing left to flush
            if stream is not None:
                stream.flush()
    logging.shutdown()
    os._exit(code)


def main() -> None:
    """Run the ``flowmine`` command on ``sys.argv`` and exit with its code (see the module docstring)."""
    _register()
    if not isinstance(sys.stdout, _ClosedStdoutSafe) and sys.stdout is not None:
        sys.stdout = _ClosedStdoutSafe(sys.stdout)
    try:
        code = app(standalone_mode=False)  # click's own handling would exit 1 on a closed pipe
    except NoArgsIsHelpError as exc:
        typer.echo(exc.ctx.get_help() if exc.ctx is not None else str(exc))
        sys.exit(0)
    except ClickException as exc:  # a wrong option or argument: one line, like every other error
        ctx = getattr(exc, "ctx", None)  # usage errors know their command
        where = f" (see: {ctx.command_path} --help)" if ctx is not None else ""
        typer.echo(f"error: {exc.format_message()}{where}", err=True)
        sys.exit(exc.exit_code)
    except typer.Abort:
        typer.echo("error: aborted", err=True)
        sys.exit(130)
    except OptionError as exc:  # an option the API refused: name the command-line option it came from
        typer.echo(f"error: {_typed_option(exc, sys.argv[1:])}{exc}", err=True)
        sys.exit(exc.exit_code)
    except FlowmineError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        typer.echo("error: interrupted; the store is unchanged unless the commit had finished", err=True)
        sys.exit(130)
    except OSError as exc:  # the machine refused: a missing folder, no permission, a full disk
        name = exc.filename if exc.filename is not None else ""
        reason = exc.strerror or str(exc)
        typer.echo(f"error: {name}: {reason}" if name else f"error: {reason}", err=True)
        sys.exit(2)
    except Exception as exc:
        _internal_error(exc)
    sys.exit(code if isinstance(code, int) else 0)
