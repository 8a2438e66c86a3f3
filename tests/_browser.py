"""What the real-browser test files share: the Chromium check, the warning filter for dash_duo's server
thread, and a store of the bundled sample logs."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

SAMPLES = Path(__file__).resolve().parents[1] / "sample_logs"
#: the bundled sample log of each process the browser tests use (its mapping: ``<stem>.mapping.toml``)
SAMPLE_LOGS = {"finance": "finance_claims.csv", "procurement": "procurement_events_gbk.csv"}

# dash_duo stops its server thread with SystemExit; a request still computing then ends in the request
# thread (callback errors themselves are answered with a 500 by Flask and show as console errors).
SERVER_THREAD = pytest.mark.filterwarnings(
    r"ignore:Exception in thread .*process_request_thread:pytest.PytestUnhandledThreadExceptionWarning")


def require_browser() -> None:
    """Skip the calling test module without Chromium and ChromeDriver; in CI (``CI`` set), fail instead."""
    if shutil.which("chromedriver") is None or (shutil.which("chromium") is None and shutil.which("chrome") is None):
        if os.environ.get("CI"):
            pytest.fail("CI: no Chromium/ChromeDriver for the browser tests (.ci/run installs them)", pytrace=False)
        pytest.skip("no Chromium/ChromeDriver installed (apt-get install chromium chromium-driver)",
                    allow_module_level=True)


def sample_store(path: Path, *processes: str, prepared: bool = True) -> Path:
    """A store at ``path`` with the sample logs of ``processes`` ingested with their mappings (and
    prepared, as ``flowmine ingest`` does, so the dashboard only reads)."""
    from flowmine import Store
    from flowmine.analytics import prepare

    st = Store(path)
    for process in processes:
        source = SAMPLES / SAMPLE_LOGS[process]
        report = st.ingest(process, [str(source)], mapping=SAMPLES / f"{source.stem}.mapping.toml")
        assert not report.errors, report.errors
        if prepared:
            prepare(st, process)
    return path
