"""Dashboard authentication: the auth file, HTTP Basic on every request, and where the dashboard may listen.

No network: the app is exercised with Flask's test client, and ``serve`` with waitress replaced.
"""

from __future__ import annotations

import base64
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner
from werkzeug.security import generate_password_hash

from flowmine import Store
from flowmine.cli import _register, app
from flowmine.dashboard import _security, create_app
from flowmine.dashboard._security import (
    check_host,
    install_basic_auth,
    load_auth_file,
    parse_auth_lines,
    set_user_password,
)
from flowmine.errors import AuthFileError, DashboardError
from tests.conftest import run_cli

FAST = "pbkdf2:sha256:1000"  # a recognised werkzeug format, cheap enough for tests
ALICE_PW = "correct horse battery"
BOB_PW = "tr0ub4dor&3-long"


def basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@pytest.fixture
def auth_file(tmp_path: Path) -> Path:
    path = tmp_path / "users"
    path.write_text(
        "# dashboard users\n"
        "\n"
        f"alice:{generate_password_hash(ALICE_PW, method=FAST)}\n"
        f"  bob:{generate_password_hash(BOB_PW, method='scrypt:1024:8:1')}  \n"
        "# the end\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture(scope="module")
def store_path(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("auth") / "store"
    src = path.parent / "log.csv"
    src.write_text("case,activity,timestamp\nA,Start,2024-01-01 10:00\nA,End,2024-01-02 10:00\n", encoding="utf-8")
    Store(path).ingest("p", [str(src)])
    return path


# --- the auth file ---------------------------------------------------------------------------------------------

def test_good_file_with_comments_and_blank_lines(auth_file):
    users = load_auth_file(auth_file)
    assert sorted(users.hashes) == ["alice", "bob"]
    assert users.verify("alice", ALICE_PW) and users.verify("bob", BOB_PW)
    assert not users.verify("alice", BOB_PW)
    assert not users.verify("carol", ALICE_PW)
    assert not users.verify("alice", "")


def test_malformed_line_names_file_and_line(tmp_path, auth_file):
    lines = auth_file.read_text(encoding="utf-8").splitlines()
    lines.insert(2, "just-a-name")
    bad = tmp_path / "bad"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(AuthFileError) as err:
        load_auth_file(bad)
    message = str(err.value)
    assert message.startswith(f"{bad}:3: ") and "user:password-hash" in message and "\n" not in message
    assert err.value.exit_code == 2


@pytest.mark.parametrize(("line", "needle"), [
    ("alice:secret-password", "plain-text password"),
    ("alice:$2b$12$abcdefghijklmnopqrstuuZ1H0V1z6a6YB2x6Yh5t9Cq0bLQ6d7y", "not a recognised password hash"),
    ("alice:md5$salt$0123456789abcdef0123456789abcdef", "not a recognised password hash"),
    ("alice:pbkdf2:sha1:1000$salt$" + "0" * 64, "not a recognised password hash"),
    ("al ice:" + generate_password_hash("x" * 8, method=FAST), "must not contain spaces"),
    (":" + generate_password_hash("x" * 8, method=FAST), "expected 'user:password-hash'"),
])
def test_plain_or_unknown_passwords_are_refused(line, needle):
    with pytest.raises(AuthFileError, match=needle) as err:
        parse_auth_lines(["# ok", line], "users.txt")
    assert str(err.value).startswith("users.txt:2: ")


def test_duplicate_user_empty_and_missing_files_are_refused(tmp_path):
    entry = "alice:" + generate_password_hash(ALICE_PW, method=FAST)
    with pytest.raises(AuthFileError, match=r"users:2: user 'alice' appears twice"):
        parse_auth_lines([entry, entry], "users")
    empty = tmp_path / "empty"
    empty.write_text("# nobody yet\n\n", encoding="utf-8")
    with pytest.raises(AuthFileError, match="has no users"):
        load_auth_file(empty)
    with pytest.raises(AuthFileError, match="auth file not found"):
        load_auth_file(tmp_path / "nope")


def test_unknown_users_spend_a_hash_check_and_known_logins_are_remembered(auth_file, monkeypatch):
    calls: list[str] = []
    real = _security.check_password_hash

    def counting(pwhash: str, password: str) -> bool:
        calls.append(pwhash)
        return real(pwhash, password)

    monkeypatch.setattr(_security, "check_password_hash", counting)
    users = load_auth_file(auth_file)
    assert not users.verify("mallory", ALICE_PW)
    assert len(calls) == 1 and calls[0].startswith(FAST + "$")  # a dummy hash of the same kind
    assert users.verify("alice", ALICE_PW) and users.verify("alice", ALICE_PW)
    assert len(calls) == 2  # the second request of a session does not pay the slow hash again
    assert not users.verify("alice", ALICE_PW + "x")
    assert len(calls) == 3  # failures are never remembered


def test_set_user_password_writes_atomically_with_mode_0600_and_keeps_comments(tmp_path, auth_file):
    path = tmp_path / "new-users"
    assert set_user_password(path, "carol", "carol-password") is True
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_auth_file(path).verify("carol", "carol-password")

    assert set_user_password(auth_file, "alice", "a-new-password") is False
    text = auth_file.read_text(encoding="utf-8")
    assert text.startswith("# dashboard users\n") and "# the end" in text and text.count("alice:") == 1
    users = load_auth_file(auth_file)
    assert users.verify("alice", "a-new-password") and not users.verify("alice", ALICE_PW)
    assert users.verify("bob", BOB_PW)
    assert stat.S_IMODE(auth_file.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new-users", "users"]  # no temporary file left

    with pytest.raises(AuthFileError, match="at least 8 characters"):
        set_user_password(path, "dave", "short")
    with pytest.raises(AuthFileError, match="must not be empty or contain spaces"):
        set_user_password(path, "da ve", "long-enough-password")


# --- every request needs credentials ---------------------------------------------------------------------------

@pytest.mark.parametrize("url", ["/", "/_dash-layout", "/_dash-dependencies"])
def test_every_request_needs_basic_auth(store_path, auth_file, url):
    dash_app = create_app(store_path)
    install_basic_auth(dash_app.server, load_auth_file(auth_file))
    client = dash_app.server.test_client()

    anonymous = client.get(url)
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"].startswith('Basic realm="flowmine"')
    assert b"<html" not in anonymous.data.lower() and b"layout" not in anonymous.data
    assert client.get(url, headers=basic("alice", "wrong password")).status_code == 401
    assert client.get(url, headers=basic("mallory", ALICE_PW)).status_code == 401
    assert client.get(url, headers={"Authorization": "Bearer " + ALICE_PW}).status_code == 401
    assert client.get(url, headers={"Authorization": "Basic not-base64!"}).status_code == 401

    ok = client.get(url, headers=basic("alice", ALICE_PW))
    assert ok.status_code == 200
    assert client.get(url, headers=basic("bob", BOB_PW)).status_code == 200
    if url == "/_dash-layout":
        assert "flt-process" in ok.get_data(as_text=True)


def test_assets_and_callbacks_need_auth_too(store_path, auth_file):
    dash_app = create_app(store_path)
    install_basic_auth(dash_app.server, load_auth_file(auth_file))
    client = dash_app.server.test_client()
    index = client.get("/", headers=basic("alice", ALICE_PW)).get_data(as_text=True)
    script = next(part.split('"')[0] for part in index.split('src="')[1:] if "_dash-component-suites" in part)
    assert client.get(script).status_code == 401
    assert client.get(script, headers=basic("alice", ALICE_PW)).status_code == 200
    assert client.post("/_dash-update-component", json={}).status_code == 401


def test_without_auth_file_the_app_is_open_on_loopback(store_path):
    client = create_app(store_path).server.test_client()
    assert client.get("/_dash-layout").status_code == 200


# --- where it may listen ---------------------------------------------------------------------------------------

def test_check_host_refuses_other_addresses_without_authentication():
    for host in ("127.0.0.1", "localhost", "::1"):
        check_host(host)
        check_host(host, authenticated=True)
    for host in ("0.0.0.0", "192.168.1.20", "::"):
        with pytest.raises(DashboardError, match=r"refusing to listen.*--auth-file"):
            check_host(host)
        check_host(host, authenticated=True)


def test_serve_installs_auth_and_allows_other_addresses_only_with_it(store_path, auth_file, monkeypatch):
    import waitress

    import flowmine.dashboard._app as app_module

    served: list[dict] = []
    monkeypatch.setattr(waitress, "serve", lambda wsgi, **kw: served.append({"app": wsgi, **kw}))
    monkeypatch.setattr(app_module, "_warm", lambda store, ready, **kw: ready.set())

    with pytest.raises(DashboardError, match="refusing to listen"):
        app_module.serve(store_path, host="0.0.0.0")
    assert served == []

    app_module.serve(store_path, host="0.0.0.0", port=8123, auth_file=auth_file)
    assert served[0]["host"] == "0.0.0.0" and served[0]["port"] == 8123
    client = served[0]["app"].test_client()
    assert client.get("/").status_code == 401
    assert client.get("/", headers=basic("alice", ALICE_PW)).status_code == 200

    app_module.serve(store_path, host="127.0.0.1", auth_file=auth_file)  # auth works on loopback too
    assert served[1]["app"].test_client().get("/_dash-layout").status_code == 401


# --- the command line ------------------------------------------------------------------------------------------

def _cli() -> CliRunner:
    _register()
    return CliRunner()


def test_cli_user_add_prompts_twice_or_reads_stdin(tmp_path):
    path = tmp_path / "users"
    r = _cli().invoke(app, ["dashboard-user", "add", "alice", "--auth-file", str(path)],
                      input=f"{ALICE_PW}\n{ALICE_PW}\n")
    assert r.exit_code == 0, r.output
    assert ALICE_PW not in r.output and "added 'alice'" in r.output
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_auth_file(path).verify("alice", ALICE_PW)
    assert ALICE_PW not in path.read_text(encoding="utf-8")

    mismatch = _cli().invoke(app, ["dashboard-user", "add", "bob", "--auth-file", str(path)],
                             input=f"{BOB_PW}\nsomething-else\n")
    assert mismatch.exit_code != 0 and "do not match" in mismatch.output
    assert sorted(load_auth_file(path).hashes) == ["alice"]

    piped = _cli().invoke(app, ["dashboard-user", "add", "bob", "--auth-file", str(path), "--password-stdin"],
                          input=f"{BOB_PW}\n")
    assert piped.exit_code == 0, piped.output
    assert load_auth_file(path).verify("bob", BOB_PW)

    removed = _cli().invoke(app, ["dashboard-user", "remove", "bob", "--auth-file", str(path)])
    assert removed.exit_code == 0 and sorted(load_auth_file(path).hashes) == ["alice"]


def test_cli_dashboard_with_auth_may_listen_elsewhere_and_warns_about_tls(store_path, auth_file, monkeypatch):
    import flowmine.dashboard

    calls: list[tuple] = []
    monkeypatch.setattr(flowmine.dashboard, "serve", lambda store, **kw: calls.append((store, kw)))
    r = _cli().invoke(app, ["dashboard", "--store", str(store_path), "--host", "0.0.0.0",
                            "--auth-file", str(auth_file)])
    assert r.exit_code == 0, r.output
    assert calls == [(store_path, {"host": "0.0.0.0", "port": 8050, "auth_file": auth_file, "worker": None})]
    warning = [line for line in r.stderr.splitlines() if line.startswith("warning:")]
    assert len(warning) == 1 and "TLS" in warning[0]

    loopback = _cli().invoke(app, ["dashboard", "--store", str(store_path), "--auth-file", str(auth_file)])
    assert loopback.exit_code == 0 and "warning:" not in loopback.stderr
    assert calls[1][1]["auth_file"] == auth_file
    for flag, worker in (("--no-worker", False), ("--worker", True)):  # the card worker's choice passed on
        assert _cli().invoke(app, ["dashboard", "--store", str(store_path), flag]).exit_code == 0
        assert calls[-1][1]["worker"] is worker


def test_cli_refusals_exit_2_with_one_line(tmp_path, store_path, auth_file):
    refused = run_cli("dashboard", "--store", str(store_path), "--host", "0.0.0.0")
    assert refused.returncode == 2
    assert refused.stderr.count("\n") == 1 and refused.stderr.startswith("error: refusing to listen on '0.0.0.0'")

    plain = tmp_path / "plain"
    plain.write_text("# users\nalice:hunter2hunter2\n", encoding="utf-8")
    bad = run_cli("dashboard", "--store", str(store_path), "--host", "0.0.0.0", "--auth-file", str(plain))
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "Traceback" not in bad.stderr
    assert bad.stderr.startswith(f"error: {plain}:2: a plain-text password for 'alice' is refused")

    short = subprocess.run([sys.executable, "-m", "flowmine", "dashboard-user", "add", "carol", "--auth-file",
                            str(auth_file), "--password-stdin"], input="short\n", capture_output=True, text=True,
                           timeout=120)
    assert short.returncode == 2 and "at least 8 characters" in short.stderr and "Traceback" not in short.stderr
