"""The filter bar's new controls in a real headless Chromium: a URL with the new case filters shows the
numbers of the public API's filter and its chips; typing a top-K into its box filters and writes the URL."""

from __future__ import annotations

from pathlib import Path

import pytest

from flowmine.analytics import CaseFilter, profile, stored
from flowmine.dashboard import create_app
from flowmine.dashboard._i18n import number
from tests._browser import SERVER_THREAD, require_browser, sample_store

require_browser()

pytestmark = SERVER_THREAD


@pytest.fixture(scope="module")
def store_path(tmp_path_factory) -> Path:
    return sample_store(tmp_path_factory.mktemp("filtb") / "store", "finance", prepared=False)


def test_the_url_state_of_the_new_filters_shows_the_api_numbers(dash_duo, store_path):
    flt = CaseFilter(not_contains=["Urgent payment request"], rework=["Finance review"], case_size=(6, None))
    few = profile(stored(store_path, "finance").where(flt))
    assert 0 < few["cases"] < profile(stored(store_path, "finance"))["cases"]
    dash_duo.start_server(create_app(store_path))
    dash_duo.wait_for_page(url=dash_duo.server_url + "/?process=finance&not=Urgent+payment+request"
                           "&rework=Finance+review&size_min=6&lang=en")
    dash_duo.wait_for_text_to_equal("#ov-cases", number(few["cases"]), timeout=30)
    chips = [c.text for c in dash_duo.find_elements(".fm-chip")]
    assert len(chips) == 3 and any("without" in c for c in chips) and any("repeated" in c for c in chips)
    assert dash_duo.find_element("#flt-size-min").get_attribute("value") == "6"
    assert dash_duo.get_logs() == []


def test_a_top_k_typed_into_its_box_filters(dash_duo, store_path):
    top = profile(stored(store_path, "finance").where(CaseFilter(top_variants=2)))
    dash_duo.start_server(create_app(store_path))
    dash_duo.wait_for_page(url=dash_duo.server_url + "/?process=finance&lang=en")
    box = dash_duo.find_element("#flt-top")
    box.click()
    box.send_keys("2")
    from selenium.webdriver.common.action_chains import ActionChains

    ActionChains(dash_duo.driver).move_to_element(dash_duo.find_element("#shell-top strong")).click().perform()
    dash_duo.wait_for_text_to_equal("#ov-cases", number(top["cases"]), timeout=30)
    assert "top=2" in dash_duo.driver.current_url
    assert dash_duo.get_logs() == []


def test_the_time_frame_mode_picked_in_its_box_filters(dash_duo, store_path):
    """From cases started in March to cases active in March (in the process's zone, Asia/Shanghai)."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    zone = ZoneInfo("Asia/Shanghai")
    window = (dt.datetime(2025, 3, 1, tzinfo=zone), dt.datetime(2025, 4, 1, tzinfo=zone))
    started = profile(stored(store_path, "finance").where(CaseFilter(started=window)))
    active = profile(stored(store_path, "finance").where(CaseFilter(active=window)))
    assert started["cases"] < active["cases"]
    dash_duo.start_server(create_app(store_path))
    dash_duo.wait_for_page(url=dash_duo.server_url + "/?process=finance&from=2025-03-01&to=2025-03-31&lang=en")
    dash_duo.wait_for_text_to_equal("#ov-cases", number(started["cases"]), timeout=30)
    dash_duo.select_dcc_dropdown("#flt-frame", value="Active in")
    dash_duo.wait_for_text_to_equal("#ov-cases", number(active["cases"]), timeout=30)
    assert "frame=active" in dash_duo.driver.current_url
    assert any(c.text.startswith("Active in 2025-03-01") for c in dash_duo.find_elements(".fm-chip"))
    assert dash_duo.get_logs() == []
