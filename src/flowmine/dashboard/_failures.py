"""Failure isolation at the HTTP level: unknown paths answer 404, malformed callbacks answer 400.

- A direct ``GET`` of a path that is no page (and none of Dash's or flowmine's own routes, which start
  with ``/_`` or ``/assets/``) gets the app's page with status **404**; the shell then shows "not found".
- A callback request (``POST /_dash-update-component``) whose body is not the JSON Dash sends (an object
  with ``output``, ``outputs``, ``inputs`` and ``changedPropIds``), or whose values make a callback raise
  an ``ArithmeticError``, ``AttributeError``, ``LookupError``, ``TypeError`` or ``ValueError`` (values of a
  type the page never sends),
  is answered **400** with one line; the log gets one warning line, the traceback only at DEBUG level.
  Other errors are left to Flask (500, logged with their traceback).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

LOG = logging.getLogger("flowmine.dashboard")
CALLBACK_PATH = "/_dash-update-component"
#: Errors a forged callback value raises inside a callback: answered 400, not 500.
FORGED = (ArithmeticError, AttributeError, LookupError, TypeError, ValueError)


def one_line(exc: BaseException) -> str:
    """An error as one short line: its type and the first line of its message."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text[:300]}" if text else type(exc).__name__


def well_formed(body: Any) -> bool:
    """Whether a callback body has the shape Dash's renderer sends."""
    if not isinstance(body, dict) or not isinstance(body.get("output"), str):
        return False
    if not isinstance(body.get("inputs", []), list) or not isinstance(body.get("changedPropIds", []), list):
        return False
    items = [*body.get("inputs", []), *body.get("state", [])] if isinstance(body.get("state", []), list) else None
    if items is None:
        return False
    flat = [x for item in items for x in (item if isinstance(item, list) else [item])]
    return all(isinstance(x, dict) and "id" in x and isinstance(x.get("property"), str) for x in flat)


def install_failure_isolation(server: Flask, is_page: Callable[[str], bool], index: Callable[[], Any],
                              served_prefixes: Collection[str] = ("/_", "/assets/")) -> None:
    """404 for unknown page paths (``index()`` is the app's HTML) and 400 for malformed callbacks."""
    from flask import request
    from werkzeug.exceptions import HTTPException

    def check_request() -> Any:
        if request.method == "GET" and not request.path.startswith(tuple(served_prefixes)) \
                and not is_page(request.path):
            return index(), 404
        if request.method == "POST" and request.path == CALLBACK_PATH \
                and not well_formed(request.get_json(silent=True)):
            LOG.warning("refused a malformed callback request from %s", request.remote_addr)
            return "400 Bad Request: not a callback of this dashboard\n", 400
        return None

    def forged(exc: Exception) -> Any:
        if isinstance(exc, HTTPException):
            return exc
        if request.path != CALLBACK_PATH or not isinstance(exc, FORGED):
            raise exc
        LOG.warning("refused a callback with values the page did not offer: %s", one_line(exc))
        LOG.debug("the refused callback's error", exc_info=exc)
        return "400 Bad Request: a value was not offered by the page\n", 400

    server.before_request_funcs.setdefault(None, []).append(check_request)
    server.register_error_handler(Exception, forged)
