"""Where the dashboard may listen, and who may read it.

Loopback (127.0.0.1, localhost, ::1) is always allowed. Any other address needs an *auth file*: lines of
``user:hash`` where the hash is made by werkzeug's ``generate_password_hash`` (scrypt or pbkdf2; plain-text
passwords are refused), ``#`` comments and blank lines allowed. ``flowmine dashboard-user add`` writes it.
With an auth file every request (pages, ``/_dash-*``, assets) needs HTTP Basic credentials of one of its
users; the check is werkzeug's ``check_password_hash`` (constant-time), and an unknown user costs the same
hash as a known one. Basic auth sends the password readably, so off loopback it belongs behind TLS.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import secrets
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from werkzeug.security import check_password_hash, generate_password_hash

from flowmine._atomic import write_text_atomic
from flowmine.dashboard._hardening import LoginThrottle
from flowmine.errors import AuthFileError, DashboardError

if TYPE_CHECKING:
    from flask import Flask, Response

LOOPBACK = ("127.0.0.1", "localhost", "::1")
REALM = "flowmine"
MIN_PASSWORD_LENGTH = 8
PLAIN_HTTP_WARNING = ("warning: HTTP Basic auth over plain HTTP sends passwords readably; "
                      "serve the dashboard behind a TLS reverse proxy")

# werkzeug's formats: method$salt$hex-digest, with scrypt[:n:r:p] or pbkdf2[:sha256|sha512[:iterations]]
_HASH = re.compile(r"(?:scrypt(?::\d+:\d+:\d+)?|pbkdf2(?::sha(?:256|512)(?::\d+)?)?)\$[^$\s]+\$[0-9a-f]{64,128}")
_USER = re.compile(r"[^\s:#\x00-\x1f\x7f][^\s:\x00-\x1f\x7f]*")
_CACHE_SIZE = 256




def check_host(host: str, authenticated: bool = False) -> None:
    """Refuse a non-loopback address unless authentication is configured."""
    if host not in LOOPBACK and not authenticated:
        raise DashboardError(
            f"refusing to listen on {host!r} without authentication: give --auth-file (users added with "
            "'flowmine dashboard-user add'), or keep the default 127.0.0.1")


def is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback address (the only ones served without an auth file)."""
    return host in LOOPBACK


@dataclass
class BasicAuthUsers:
    """The users of an auth file and their password hashes; verifies HTTP Basic credentials."""

    hashes: dict[str, str]
    source: str = ""
    _key: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)
    _verified: dict[bytes, None] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _dummy: str | None = field(default=None, repr=False)

    def verify(self, user: str, password: str) -> bool:
        """True when ``password`` is ``user``'s. Unknown users spend a hash check too (no timing hint).

        Successful checks are remembered (as an HMAC under a per-process random key, never the password)
        so a page load's dozens of requests do not each pay a deliberately slow hash.
        """
        name = user.encode()
        token = hmac.new(self._key, len(name).to_bytes(4, "big") + name + password.encode(), hashlib.sha256).digest()
        if token in self._verified:
            return True
        stored = self.hashes.get(user)
        ok = check_password_hash(stored if stored is not None else self._dummy_hash(), password)
        if ok and stored is not None:
            with self._lock:
                if len(self._verified) >= _CACHE_SIZE:
                    self._verified.clear()
                self._verified[token] = None
            return True
        return False

    def _dummy_hash(self) -> str:
        if self._dummy is None:
            method = next(iter(self.hashes.values())).split("$", 1)[0]
            self._dummy = generate_password_hash(secrets.token_hex(16), method=method)
        return self._dummy


def parse_auth_lines(lines: list[str], source: str) -> dict[str, str]:
    """``user:hash`` lines to a dict; raises :class:`AuthFileError` naming ``source`` and the line."""
    users: dict[str, str] = {}
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        where = f"{source}:{number}"
        user, sep, pwhash = line.partition(":")
        if not sep or not user:
            raise AuthFileError(f"{where}: expected 'user:password-hash'")
        if not _USER.fullmatch(user):
            raise AuthFileError(f"{where}: user name {user!r} must not contain spaces, ':' or control characters")
        if not _HASH.fullmatch(pwhash):
            kind = "a plain-text password" if "$" not in pwhash else "not a recognised password hash"
            raise AuthFileError(f"{where}: {kind} for {user!r} is refused; only werkzeug scrypt/pbkdf2 hashes "
                                "are accepted (write entries with 'flowmine dashboard-user add')")
        if user in users:
            raise AuthFileError(f"{where}: user {user!r} appears twice")
        users[user] = pwhash
    return users


def _read_lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise AuthFileError(f"{path}: auth file not found (create it with 'flowmine dashboard-user add')") from None
    except UnicodeDecodeError:
        raise AuthFileError(f"{path}: auth file is not UTF-8 text") from None
    except OSError as exc:
        raise AuthFileError(f"{path}: cannot read the auth file ({exc.strerror or exc})") from None


def load_auth_file(path: str | Path) -> BasicAuthUsers:
    """Read an auth file; it must hold at least one user."""
    path = Path(path)
    users = parse_auth_lines(_read_lines(path), str(path))
    if not users:
        raise AuthFileError(f"{path}: the auth file has no users (add one with 'flowmine dashboard-user add')")
    return BasicAuthUsers(users, source=str(path))


def set_user_password(path: str | Path, user: str, password: str) -> bool:
    """Add ``user`` or change their password in the auth file (created if missing, mode 0600).

    Other lines, comments included, are kept. The file is replaced atomically (temporary file in the same
    directory, then ``os.replace``). Returns True when the user was new.
    """
    path = Path(path)
    if not _USER.fullmatch(user):
        raise AuthFileError(f"user name {user!r} must not be empty or contain spaces, ':' or control characters")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AuthFileError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    lines = _read_lines(path) if path.exists() else []
    parse_auth_lines(lines, str(path))  # a malformed file is reported, not silently rewritten
    entry = f"{user}:{generate_password_hash(password)}"
    new = True
    for i, raw in enumerate(lines):
        line = raw.strip()
        if line and not line.startswith("#") and line.partition(":")[0] == user:
            lines[i] = entry
            new = False
    if new:
        lines.append(entry)
    _write_atomically(path, "\n".join(lines) + "\n")
    return new


def remove_user(path: str | Path, user: str) -> None:
    """Remove ``user`` from the auth file (atomically, mode 0600); an unknown user is an error."""
    path = Path(path)
    lines = _read_lines(path)
    users = parse_auth_lines(lines, str(path))
    if user not in users:
        raise AuthFileError(f"{path}: no user {user!r}")
    kept = [raw for raw in lines
            if not (raw.strip() and not raw.strip().startswith("#") and raw.strip().partition(":")[0] == user)]
    _write_atomically(path, "\n".join(kept) + "\n")


def _write_atomically(path: Path, text: str) -> None:
    try:
        write_text_atomic(path, text, mode=0o600)  # password hashes: readable by the owner only
    except OSError as exc:
        raise AuthFileError(f"{path}: cannot write the auth file ({exc.strerror or exc})") from None


def install_basic_auth(server: Flask, users: BasicAuthUsers, throttle: LoginThrottle | None = None) -> None:
    """Require HTTP Basic credentials of ``users`` on every request to ``server`` (right after the Host
    check, before any other hook). Failed logins are throttled per client address (``throttle``, see
    :mod:`flowmine.dashboard._hardening`): within a client's delay an attempt is answered 429 unchecked."""
    from flask import request

    limit = throttle if throttle is not None else LoginThrottle()

    def require_auth() -> Response | None:
        client = request.remote_addr or ""
        wait = limit.wait(client)
        if wait > 0:
            return _too_many(server, wait)
        auth = request.authorization
        if auth is None or auth.type != "basic" or auth.username is None or auth.password is None:
            return _unauthorized(server)  # no credentials sent: the browser's first request, not a failure
        if users.verify(auth.username, auth.password):
            limit.succeeded(client)
            return None
        limit.failed(client)
        return _unauthorized(server)

    hooks = server.before_request_funcs.setdefault(None, [])
    hooks.insert(1 if hooks and getattr(hooks[0], "runs_first", False) else 0, require_auth)


def _too_many(server: Flask, wait: float) -> Response:
    response = server.response_class("too many failed logins: wait and try again / 登录失败次数过多，请稍后再试\n",
                                     status=429, mimetype="text/plain")
    response.headers["Retry-After"] = str(max(1, math.ceil(wait)))
    response.headers["Cache-Control"] = "no-store"
    return response


def _unauthorized(server: Flask) -> Response:
    response = server.response_class("authentication required / 需要登录\n", status=401, mimetype="text/plain")
    response.headers["WWW-Authenticate"] = f'Basic realm="{REALM}", charset="UTF-8"'
    response.headers["Cache-Control"] = "no-store"
    return response
