"""Tables in a real headless Chromium: numbers sort as numbers, the CSV holds raw numbers with units in
the header, case ids link to the case page, the grid speaks Chinese, bottleneck lists add up to at most
100 % each, KPI cards show their status, and the page loads with no console error (the CSP holds with
the grid's registered functions)."""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path

import pytest

from flowmine.analytics import profile, stored
from flowmine.dashboard import create_app
from flowmine.vocabulary import money
from tests._browser import SERVER_THREAD, require_browser, sample_store

require_browser()

pytestmark = SERVER_THREAD



@pytest.fixture(scope="module")
def store_path(tmp_path_factory) -> Path:
    return sample_store(tmp_path_factory.mktemp("dash_tables") / "store", "finance")


def _open(dash_duo, store_path, page: str, query: str) -> None:
    dash_duo.start_server(create_app(store_path))
    dash_duo.wait_for_page(url=dash_duo.server_url + page + query)


def _grid_api(grid: str) -> str:
    gid = json.dumps({"grid": grid, "type": "grid"}, separators=(",", ":"))
    return f"dash_ag_grid.getApi({json.dumps(gid)})"


def test_steps_cost_sorts_as_numbers_and_csv_holds_raw_numbers(dash_duo, store_path):
    _open(dash_duo, store_path, "/steps", "?process=finance")
    dash_duo.wait_for_element("#steps-table .ag-row", timeout=30)
    header = dash_duo.find_element('#steps-table .ag-header-cell[col-id="cost"] .ag-header-cell-label')
    header.click()  # ascending
    header.click()  # descending
    costs = [a["cost_total"] for a in profile(stored(store_path, "finance"))["activities"]]
    first = '#steps-table .ag-center-cols-container .ag-row[row-index="0"] .ag-cell[col-id="cost"]'
    dash_duo.wait_for_text_to_equal(first, money(max(costs), "CNY"), timeout=10)
    text = dash_duo.driver.execute_script(f"return {_grid_api('steps-table')}.getDataAsCsv();")
    table = list(csv.DictReader(io.StringIO(text)))
    assert "Total cost (CNY)" in table[0] and "Median service time (d)" in table[0]
    assert [float(r["Total cost (CNY)"]) for r in table] == pytest.approx(sorted(costs, reverse=True))
    dash_duo.find_element("#steps-xlsx").click()  # the workbook is built on the server from the URL
    time.sleep(2)  # a failing callback (a 500) would show in the console log
    assert dash_duo.get_logs() == []


def test_bottleneck_lists_add_up_to_at_most_100_percent_and_cases_link(dash_duo, store_path):
    _open(dash_duo, store_path, "/bottlenecks", "?process=finance")
    for grid in ("bn-steps", "bn-edges"):
        dash_duo.wait_for_element(f"#{grid} .ag-row", timeout=30)
        shares = dash_duo.driver.execute_script(
            f"const out = []; {_grid_api(grid)}.forEachNode(n => out.push(n.data.share)); return out;")
        assert shares and 0 < sum(shares) <= 100 + 1e-9
        p90 = dash_duo.driver.execute_script(
            f"const out = []; {_grid_api(grid)}.forEachNode(n => out.push(n.data.p90__text)); return out;")
        assert all(v and v != "–" for v in p90)
    link = dash_duo.wait_for_element("#bn-slowest .ag-row a.fm-case-link", timeout=30)
    assert link.get_attribute("href").split("/", 3)[3].startswith(f"case?process=finance&case={link.text}")
    assert dash_duo.get_logs() == []


def test_chinese_pager_and_kpi_status(dash_duo, store_path):
    _open(dash_duo, store_path, "/variants", "?process=finance&lang=zh")
    dash_duo.wait_for_element("#var-table .ag-paging-panel", timeout=30)
    dash_duo.wait_for_contains_text("#var-table .ag-paging-panel", "共", timeout=10)
    pager = dash_duo.find_element("#var-table .ag-paging-panel").text
    assert "of" not in pager and "Page" not in pager and "to" not in pager.split()
    dash_duo.wait_for_page(url=dash_duo.server_url + "/?process=finance&lang=zh")
    badge = dash_duo.wait_for_element("#ov-cost-status", timeout=30)
    assert badge.text in ("✓ 已达标", "✗ 未达标")
    assert dash_duo.get_logs() == []


def test_a_case_column_in_the_old_tuple_form_links_with_the_pages_process(dash_duo, store_path):
    _open(dash_duo, store_path, "/cases", "?process=finance&lang=zh")
    link = dash_duo.wait_for_element("#cases-drill .ag-row a.fm-case-link", timeout=30)
    href = link.get_attribute("href")
    assert "/case?process=finance&case=" in href and href.endswith("&lang=zh") and link.text in href
    assert dash_duo.get_logs() == []
