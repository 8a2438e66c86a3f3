"""HTTP hardening of the dashboard: which ``Host`` it answers, the headers every response carries, and a
throttle on failed logins.

- **Host**: a dashboard on a loopback address answers only requests whose ``Host`` is a loopback address
  or ``localhost`` (any port); others get 400. A web page on another site cannot then reach it through
  DNS rebinding (a name that first resolves to the attacker, then to 127.0.0.1). With an auth file and
  another address (behind a reverse proxy) every host is served: the password protects it.
- **Headers**: ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: no-referrer``, ``X-Frame-Options:
  DENY`` and a Content-Security-Policy that fits Dash: scripts only from the dashboard itself plus Dash's
  own inline scripts by their hashes (``Dash.csp_hashes``), no plugins, no framing
  (``frame-ancestors 'none'``), forms and the base URL to the dashboard only. Styles allow inline
  ``style`` attributes, which Dash's components and plotly.js set on every element.
- **Failed logins** are throttled per client address: after :data:`FREE_FAILURES` failures in a row,
  each further attempt must wait a delay that doubles with every failure (up to :data:`MAX_DELAY_S`);
  an attempt within the delay is answered 429 with ``Retry-After`` before any password is checked, so
  guessing costs the attacker time and the server no hashing. A success clears the client's record.
  Other clients are not slowed.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask, Response

#: ``Host`` names a loopback dashboard answers (with any port).
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
#: Failures in a row a client may make before it has to wait.
FREE_FAILURES = 3
#: The first wait, in seconds; it doubles with each further failure.
FIRST_DELAY_S = 0.5
#: The longest wait, in seconds.
MAX_DELAY_S = 60.0
#: Clients remembered at most (the oldest record is forgotten first).
MAX_CLIENTS = 10_000


def host_name(host_header: str) -> str:
    """The name of a ``Host`` header without its port: ``localhost:8050`` -> ``localhost``,
    ``[::1]:8050`` -> ``[::1]``."""
    host = host_header.strip().lower()
    if host.startswith("["):
        end = host.find("]")
        return host[:end + 1] if end > 0 else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def content_security_policy(script_hashes: Iterable[str]) -> str:
    """The dashboard's Content-Security-Policy: scripts from itself and the given inline script hashes
    (``sha256-...``, quoted or not, as ``Dash.csp_hashes`` gives them)."""
    scripts = " ".join(["'self'", *(f"'{h.strip(chr(39))}'" for h in script_hashes)])
    return "; ".join([
        "default-src 'self'",
        f"script-src {scripts}",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


def install_hardening(server: Flask, script_hashes: Iterable[str], any_host: Callable[[], bool]) -> None:
    """Check the ``Host`` of every request (unless ``any_host()``) and add the security headers to every
    response of ``server``. The Host check runs before every other hook, authentication included."""
    from flask import request

    policy = content_security_policy(script_hashes)

    def check_host() -> Response | tuple[str, int] | None:
        if any_host() or host_name(request.host) in LOOPBACK_HOSTS:
            return None
        return "400 Bad Request: this dashboard answers only on localhost\n", 400

    def add_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "no-referrer")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Content-Security-Policy", policy)
        return response

    check_host.runs_first = True  # type: ignore[attr-defined]  # authentication goes right after it
    server.before_request_funcs.setdefault(None, []).insert(0, check_host)
    server.after_request_funcs.setdefault(None, []).append(add_headers)


@dataclass
class LoginThrottle:
    """Failed logins per client address and the delay each client must wait (see the module docstring)."""

    free: int = FREE_FAILURES
    first_delay: float = FIRST_DELAY_S
    max_delay: float = MAX_DELAY_S
    clock: Callable[[], float] = time.monotonic
    _failures: OrderedDict[str, tuple[int, float]] = field(default_factory=OrderedDict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def delay(self, failures: int) -> float:
        """Seconds a client must wait after its ``failures``-th failure in a row (0 while still free)."""
        if failures < self.free:
            return 0.0
        return min(self.max_delay, self.first_delay * 2 ** (failures - self.free))

    def wait(self, client: str) -> float:
        """Seconds ``client`` must still wait before its next attempt is checked (0: check it now)."""
        with self._lock:
            record = self._failures.get(client)
        if record is None:
            return 0.0
        failures, last = record
        return max(0.0, last + self.delay(failures) - self.clock())

    def failed(self, client: str) -> None:
        with self._lock:
            failures, _ = self._failures.pop(client, (0, 0.0))
            self._failures[client] = (failures + 1, self.clock())
            while len(self._failures) > MAX_CLIENTS:
                self._failures.popitem(last=False)

    def succeeded(self, client: str) -> None:
        with self._lock:
            self._failures.pop(client, None)
