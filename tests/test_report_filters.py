"""The report of what a manager is looking at: ``build_report(..., filters=CaseFilter(...))`` covers the
cases that pass the filter (profile and conformance), says so in its header, and the dashboard's report
link hands over the URL's filters (checked like every page's)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from flowmine import Store
from flowmine.analytics import CaseFilter, profile, stored
from flowmine.report import build_report, report_data

SAMPLES = Path(__file__).resolve().parents[1] / "sample_logs"
H = {"Host": "127.0.0.1"}
MARCH = CaseFilter(started=("2025-03-01T00:00:00+08:00", "2025-04-01T00:00:00+08:00"))


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Store:
    st = Store(tmp_path_factory.mktemp("report-filters") / "store")
    st.ingest("finance", [str(SAMPLES / "finance_claims.csv")], mapping=SAMPLES / "finance_claims.mapping.toml")
    return st


def test_a_filtered_report_covers_the_filtered_cases_and_says_so(store):
    data = report_data(store, "finance", filters=MARCH)
    march = profile(stored(store, "finance").where(MARCH))
    everything = profile(stored(store, "finance"))
    assert 0 < data["perf"]["cases"] == march["cases"] < everything["cases"]
    assert data["check"]["cases"] == march["cases"]  # the conformance check covers the same cases
    assert data["filters"] == {"started": ["2025-03-01T00:00:00+08:00", "2025-04-01T00:00:00+08:00"]}
    page = build_report(store, "finance", filters=MARCH)
    covered = re.search(r"<p class='meta' id='covered'>([^<]*)</p>", page).group(1)
    assert covered.startswith("Covers the cases that pass the dashboard&#x27;s filters") and "started" in covered
    assert f"{march['cases']:,} cases" in page
    whole = build_report(store, "finance", lang="zh")
    assert "<p class='meta' id='covered'>涵盖该流程的全部案例。</p>" in whole
    assert report_data(store, "finance", filters=CaseFilter())["filters"] is None  # an empty filter: every case


def test_the_dashboard_report_link_hands_over_the_filters(store):
    from flowmine.dashboard import create_app
    from flowmine.dashboard._data import case_filter, filters_of

    client = create_app(store.path).server.test_client()
    query = "?process=finance&from=2025-03-01&to=2025-03-31&tz=Asia%2FShanghai&lang=en"
    r = client.get("/_flowmine/report" + query, headers=H)
    assert r.status_code == 200
    assert r.headers["Content-Disposition"] == 'attachment; filename="flowmine-report-finance-en-filtered.html"'
    expected = profile(stored(store, "finance").where(case_filter(store, filters_of(store, query))))["cases"]
    assert f"{expected:,} cases" in r.get_data(as_text=True)
    forged = client.get("/_flowmine/report?process=finance&variant=%3Cscript%3E", headers=H)
    assert forged.status_code == 404 and b"variant=" in forged.data  # refused like a forged page URL
