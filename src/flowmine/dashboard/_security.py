"""Where the dashboard may listen. Loopback only until authentication is configured."""

from __future__ import annotations

from flowmine.errors import FlowmineError

LOOPBACK = ("127.0.0.1", "localhost", "::1")


class DashboardError(FlowmineError):
    """The dashboard cannot start as asked."""


def check_host(host: str) -> None:
    if host not in LOOPBACK:
        raise DashboardError(
            f"refusing to listen on {host!r}: the dashboard serves only 127.0.0.1 until authentication is "
            "configured (not available in this version); put it behind an authenticating reverse proxy instead")
