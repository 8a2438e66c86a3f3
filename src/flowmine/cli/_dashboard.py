"""``flowmine dashboard``: serve the bottleneck dashboard over a store (no debug mode).

Loopback only unless ``--auth-file`` names a file of users (``flowmine dashboard-user add``): then every
request needs HTTP Basic credentials and another address is allowed (behind a TLS reverse proxy).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from flowmine.cli import app, dashboard_user_app

AuthFile = Annotated[Path, typer.Option("--auth-file", help="File of 'user:password-hash' lines.")]


@app.command()
def dashboard(
    store: Annotated[Path, typer.Option(help="Store directory.")],
    host: Annotated[str, typer.Option(help="Address to listen on (other than loopback only with --auth-file).")]
    = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port (1-65535).")] = 8050,
    auth_file: Annotated[Path | None, typer.Option(
        "--auth-file", help="Require HTTP Basic auth of these users ('flowmine dashboard-user add').")] = None,
    worker: Annotated[bool | None, typer.Option(
        "--worker/--no-worker", help="Step cards in a second process (default: when both fit in the free memory)."
    )] = None,
) -> None:
    """Serve the dashboard. / 启动仪表板。"""
    from flowmine._params import check_call
    from flowmine.dashboard import PLAIN_HTTP_WARNING, check_host, is_loopback, load_auth_file, serve

    check_call(serve, host=host, port=port)  # serve's own declaration, before the banner below
    users = load_auth_file(auth_file) if auth_file is not None else None
    check_host(host, authenticated=users is not None)
    if users is not None and not is_loopback(host):
        typer.echo(PLAIN_HTTP_WARNING, err=True)
    shown = f"[{host}]" if ":" in host else host
    login = f", {len(users.hashes)} user(s) from {auth_file}" if users is not None else ""
    typer.echo(f"flowmine dashboard on http://{shown}:{port}/{login}  (Ctrl+C to stop)")
    serve(store, host=host, port=port, auth_file=auth_file, worker=worker)


@dashboard_user_app.command("add")
def user_add(
    user: Annotated[str, typer.Argument(help="User name (no spaces or ':').")],
    auth_file: AuthFile,
    password_stdin: Annotated[bool, typer.Option(
        "--password-stdin", help="Read the password from the first line of standard input (for scripts).")] = False,
) -> None:
    """Add a user or change their password (asked twice, stored hashed, file mode 0600). / 添加用户或修改密码。"""
    from flowmine.dashboard import set_user_password

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password / 密码", hide_input=True, confirmation_prompt=True)
    new = set_user_password(auth_file, user, password)
    typer.echo(f"{'added' if new else 'changed the password of'} {user!r} in {auth_file}")


@dashboard_user_app.command("remove")
def user_remove(
    user: Annotated[str, typer.Argument(help="User name.")],
    auth_file: AuthFile,
) -> None:
    """Remove a user. / 删除用户。"""
    from flowmine.dashboard import remove_user

    remove_user(auth_file, user)
    typer.echo(f"removed {user!r} from {auth_file}")
