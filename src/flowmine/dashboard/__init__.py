"""The bottleneck dashboard: a Dash app over a store, safe by default (see ``_app``).

The door is cheap to import: :func:`create_app` and :func:`serve` load Dash on first use, so the
``flowmine dashboard-user`` commands manage an auth file (:func:`load_auth_file`,
:func:`set_user_password`, :func:`remove_user`) and ``flowmine dashboard`` checks the address
(:func:`check_host`, :func:`is_loopback`, ``PLAIN_HTTP_WARNING``) without it.
"""

from typing import TYPE_CHECKING, Any

from flowmine.dashboard._security import (
    PLAIN_HTTP_WARNING,
    check_host,
    is_loopback,
    load_auth_file,
    remove_user,
    set_user_password,
)

if TYPE_CHECKING:
    from flowmine.dashboard._app import create_app, serve


def __getattr__(name: str) -> Any:
    if name in ("create_app", "serve"):
        from flowmine.dashboard import _app

        return getattr(_app, name)
    raise AttributeError(f"module 'flowmine.dashboard' has no attribute {name!r}")


__all__ = [
    "PLAIN_HTTP_WARNING",
    "check_host",
    "create_app",
    "is_loopback",
    "load_auth_file",
    "remove_user",
    "serve",
    "set_user_password",
]
