"""The case explorer and the case page in a real headless Chromium (dash[testing]): a case that is not
among the slowest (nor on the first page) is searched on /cases, its id clicked, and its case page shows
the timeline with one bar or marker per instance; the case page's notice for an unknown id; no console
errors. The case page is registered the way ``_app.PAGES`` will list it (patched here)."""

from __future__ import annotations

from pathlib import Path

import pytest

from flowmine.analytics import CaseFilter, stored, throughput_time, variant_stats
from tests._browser import SERVER_THREAD, require_browser, sample_store

require_browser()

pytestmark = SERVER_THREAD



@pytest.fixture(scope="module")
def store_path(tmp_path_factory) -> Path:
    return sample_store(tmp_path_factory.mktemp("dash-cases") / "store", "finance")


@pytest.fixture
def app(store_path, monkeypatch):
    from flowmine.dashboard import _app
    from flowmine.dashboard.pages import case

    monkeypatch.setattr(_app, "PAGES", (*_app.PAGES, case))
    return _app.create_app(store_path)


def hidden_case(store_path: Path) -> str:
    """The fastest case of the most frequent variant: outside its slowest 200 and the first page."""
    log = stored(store_path, "finance")
    top = variant_stats(log)["variant"].iloc[0]
    per = throughput_time(log.where(CaseFilter(variants=[top])), level="case").sort_values(["throughput_s", "case"])
    assert len(per) > 200
    return str(per["case"].iloc[0])


def test_search_a_case_click_it_and_see_its_timeline(dash_duo, app, store_path):
    case = hidden_case(store_path)
    dash_duo.start_server(app)
    dash_duo.wait_for_page(url=dash_duo.server_url + "/cases?process=finance")
    dash_duo.wait_for_contains_text("#cases-count", "of 6,000 cases", timeout=30)
    assert case not in dash_duo.find_element("#cases-table").text
    box = dash_duo.find_element("#cases-search")
    box.send_keys(case + "\n")
    dash_duo.wait_for_contains_text("#cases-count", "1–1 of 1 cases", timeout=30)
    link = dash_duo.wait_for_element(f"#cases-table a[href*='case={case}']", timeout=30)
    assert link.text == case
    link.click()
    dash_duo.wait_for_text_to_equal("#case-title", f"Case {case}", timeout=30)
    dash_duo.wait_for_element("#case-gantt .main-svg", timeout=30)
    instances = dash_duo.driver.execute_script(
        "const d = document.querySelector('#case-gantt .js-plotly-plot').data;"
        "return d.reduce((n, t) => n + t.y.length, 0);")
    from flowmine.analytics import case_timeline

    assert instances == len(case_timeline(stored(store_path, "finance"), case))
    assert f"case={case}" in dash_duo.driver.current_url
    assert dash_duo.get_logs() == []


def test_page_turns_and_sorting_are_answered_by_the_server(dash_duo, app, store_path):
    from flowmine.analytics import case_table

    dash_duo.start_server(app)
    dash_duo.wait_for_page(url=dash_duo.server_url + "/cases?process=finance")
    dash_duo.wait_for_text_to_equal("#cases-count", "1–25 of 6,000 cases", timeout=30)
    dash_duo.find_element("#cases-table .ag-paging-button[aria-label='Next Page']").click()
    dash_duo.wait_for_text_to_equal("#cases-count", "26–50 of 6,000 cases", timeout=30)
    second, _ = case_table(stored(store_path, "finance"), offset=25, limit=25)
    dash_duo.wait_for_contains_text("#cases-table", second["case"].iloc[0], timeout=30)
    dash_duo.find_element("#cases-table .ag-paging-button[aria-label='Previous Page']").click()
    dash_duo.wait_for_text_to_equal("#cases-count", "1–25 of 6,000 cases", timeout=30)
    header = dash_duo.find_element("#cases-table .ag-header-cell[col-id='throughput_s'] .ag-header-cell-label")
    header.click()  # ascending
    header.click()  # descending: the slowest case of all 6,000 first
    slowest, _ = case_table(stored(store_path, "finance"), sort="throughput_s", descending=True, limit=1)
    dash_duo.wait_for_element(f"#cases-table .ag-row[row-index='0'] a[href*='case={slowest['case'].iloc[0]}']",
                              timeout=30)
    assert dash_duo.get_logs() == []


def test_unknown_case_gets_a_notice(dash_duo, app):
    dash_duo.start_server(app)
    dash_duo.wait_for_page(url=dash_duo.server_url + "/case?process=finance&case=%3Cscript%3Ex&lang=zh")
    dash_duo.wait_for_contains_text("#case-unknown", "中没有编号为 <script>x 的案例", timeout=30)
    assert dash_duo.driver.execute_script("return document.querySelectorAll('#case-unknown script').length") == 0
    assert dash_duo.get_logs() == []
