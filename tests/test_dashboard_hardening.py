"""Dashboard hardening: Host names a loopback dashboard answers, security headers, throttled failed logins.

The app is exercised with Flask's test client; one test loads a page in the real (headless) Chromium to show
that the Content-Security-Policy is in force and breaks nothing.
"""

from __future__ import annotations

import base64
import time
from pathlib import Path

import pytest
from werkzeug.security import generate_password_hash

from flowmine import Store
from flowmine.dashboard import create_app
from flowmine.dashboard._hardening import LoginThrottle, content_security_policy, host_name
from flowmine.dashboard._security import BasicAuthUsers, install_basic_auth

PASSWORD = "correct horse battery"


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("hardening") / "store"
    src = path.parent / "log.csv"
    src.write_text("case,activity,timestamp\nA,Start,2024-01-01 10:00\nA,End,2024-01-02 10:00\n", encoding="utf-8")
    Store(path).ingest("p", [str(src)])
    return path


@pytest.fixture(scope="module")
def dash_app(store_path: Path):  # one app per module: each creation registers the page callbacks again
    return create_app(store_path)


@pytest.mark.parametrize(("header", "name"), [
    ("localhost:8050", "localhost"), ("127.0.0.1", "127.0.0.1"), ("[::1]:8050", "[::1]"), ("[::1]", "[::1]"),
    ("LocalHost", "localhost"), ("evil.example:80", "evil.example"), ("::1", "::1"),
])
def test_host_name_drops_the_port(header: str, name: str) -> None:
    assert host_name(header) == name


@pytest.mark.parametrize("host", ["localhost:8050", "127.0.0.1:8050", "[::1]:8050", "localhost"])
def test_loopback_host_names_are_served_with_security_headers(dash_app, host: str) -> None:
    response = dash_app.server.test_client().get("/", headers={"Host": host})
    assert response.status_code == 200
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Frame-Options"] == "DENY"
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert "script-src 'self' 'sha256-" in csp and "unsafe-eval" not in csp


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8050", "127.0.0.1.evil.example", "10.0.0.5:8050"])
def test_other_host_names_get_400_on_every_path(dash_app, host: str) -> None:
    client = dash_app.server.test_client()
    for path in ("/", "/_dash-layout", "/_flowmine/ready"):
        response = client.get(path, headers={"Host": host})
        assert response.status_code == 400, path
        assert b"only on localhost" in response.data


def test_every_header_also_on_errors_and_callbacks(dash_app) -> None:
    client = dash_app.server.test_client()
    for response in (client.get("/_dash-layout"), client.post("/_dash-update-component", data="x",
                                                              content_type="text/plain")):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_the_policy_names_exactly_the_given_inline_script_hashes() -> None:
    csp = content_security_policy(["sha256-AAA", "sha256-BBB"])
    assert "script-src 'self' 'sha256-AAA' 'sha256-BBB';" in csp
    assert content_security_policy([]).count("'self'") >= 5


# --- failed logins ------------------------------------------------------------------------------------------

class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_delay_doubles_after_the_free_failures_and_a_success_clears_it() -> None:
    clock = Clock()
    throttle = LoginThrottle(free=3, first_delay=0.5, max_delay=4.0, clock=clock)
    waits = []
    for _ in range(7):
        throttle.failed("1.2.3.4")
        waits.append(throttle.wait("1.2.3.4"))
    assert waits == [0.0, 0.0, 0.5, 1.0, 2.0, 4.0, 4.0]  # capped at max_delay
    assert throttle.wait("5.6.7.8") == 0.0  # another client is not slowed
    clock.now += 1.5
    assert throttle.wait("1.2.3.4") == pytest.approx(2.5)
    throttle.succeeded("1.2.3.4")
    assert throttle.wait("1.2.3.4") == 0.0


def test_guessing_is_answered_429_unchecked_and_a_real_user_elsewhere_is_not_slowed(store_path: Path) -> None:
    app = create_app(store_path)
    users = BasicAuthUsers({"alice": generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")})
    checked: list[str] = []
    verify = users.verify
    users.verify = lambda u, p: checked.append(p) or verify(u, p)  # type: ignore[method-assign]
    install_basic_auth(app.server, users, LoginThrottle(free=3, first_delay=0.2, max_delay=5.0))
    client = app.server.test_client()
    attacker = {"REMOTE_ADDR": "203.0.113.7"}
    codes = [client.get("/_dash-layout", headers=basic("alice", f"guess{i}"), environ_base=attacker).status_code
             for i in range(6)]
    assert codes == [401, 401, 401, 429, 429, 429]
    assert checked == ["guess0", "guess1", "guess2"]  # within the delay no password is hashed
    blocked = client.get("/_dash-layout", headers=basic("alice", PASSWORD), environ_base=attacker)
    assert blocked.status_code == 429 and blocked.headers["Retry-After"] == "1"
    t0 = time.perf_counter()
    ok = client.get("/_dash-layout", headers=basic("alice", PASSWORD), environ_base={"REMOTE_ADDR": "198.51.100.2"})
    assert ok.status_code == 200 and time.perf_counter() - t0 < 1.0  # another client: no wait, no 429
    time.sleep(0.25)  # the attacker's delay after its third failure (0.2 s) has passed
    assert client.get("/_dash-layout", headers=basic("alice", PASSWORD), environ_base=attacker).status_code == 200
    assert client.get("/_dash-layout", headers=basic("alice", "wrong"), environ_base=attacker).status_code == 401


def test_host_check_runs_before_authentication(store_path: Path) -> None:
    app = create_app(store_path)
    users = BasicAuthUsers({"alice": generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")})
    install_basic_auth(app.server, users)
    client = app.server.test_client()
    assert client.get("/", headers={"Host": "evil.example", **basic("alice", PASSWORD)}).status_code == 400
    app.server.config["FLOWMINE_ANY_HOST"] = True  # serve(): an auth file and an address off loopback
    assert client.get("/", headers={"Host": "dash.example.com", **basic("alice", PASSWORD)}).status_code == 200
    assert client.get("/", headers={"Host": "dash.example.com"}).status_code == 401


# --- in the browser -----------------------------------------------------------------------------------------

def test_the_policy_is_in_force_in_the_browser_and_breaks_no_page(dash_duo, store_path: Path) -> None:
    dash_duo.start_server(create_app(store_path))
    dash_duo.wait_for_page(url=dash_duo.server_url + "/?process=p")
    dash_duo.wait_for_element("#ov-cases", timeout=20)
    assert dash_duo.get_logs() == []  # Dash's inline scripts run by their hashes; no violation reported
    # an inline script put into the page (as injected markup would be) is refused by the browser
    ran = dash_duo.driver.execute_script(
        "var s = document.createElement('script'); s.textContent = 'window.__injected = 1';"
        "document.head.appendChild(s); return window.__injected === 1;")
    assert ran is False
    assert any("Content Security Policy" in entry["message"] for entry in dash_duo.get_logs())
