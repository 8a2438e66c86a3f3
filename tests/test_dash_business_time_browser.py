"""The elapsed / business time switch in a real headless Chromium (issue #19): flipping it puts ``time=business``
in the address and the overview's throughput-time card then shows the API's business-time median, labelled
"(business hours)"; in Chinese the switch and the label have no English; a process without a calendar shows
the switch disabled with the reason on hover."""

from __future__ import annotations

from pathlib import Path

import pytest

from flowmine import Store
from flowmine.analytics import profile, stored
from flowmine.dashboard import create_app
from flowmine.dashboard._data import working_calendar
from flowmine.vocabulary import duration
from tests._browser import SERVER_THREAD, require_browser, sample_store

require_browser()

pytestmark = SERVER_THREAD


@pytest.fixture(scope="module")
def store_path(tmp_path_factory) -> Path:
    path = sample_store(tmp_path_factory.mktemp("btimeb") / "store", "finance", prepared=False)
    plain = path.parent / "plain.csv"  # no process configuration: no calendar
    plain.write_text("case,activity,timestamp\nA,Order,2024-01-01 10:00\nA,Ship,2024-01-02 10:00\n",
                     encoding="utf-8")
    Store(path).ingest("unconfigured_demo", [str(plain)])
    return path


def _card_label(dash_duo, cid: str) -> str:
    from selenium.webdriver.common.by import By

    return str(dash_duo.find_element(f"#{cid}").find_element(By.XPATH, "../div[@class='fm-card-label']").text)


def test_flipping_the_switch_shows_the_business_median_labelled(dash_duo, store_path):
    log = stored(store_path, "finance")
    elapsed = profile(log)["throughput_time_s"]["median"]
    business = profile(log, calendar=working_calendar("finance"))["throughput_time_s"]["median"]
    assert duration(business, "en") != duration(elapsed, "en")
    dash_duo.start_server(create_app(store_path))
    dash_duo.wait_for_page(url=dash_duo.server_url + "/?process=finance")
    dash_duo.wait_for_text_to_equal("#ov-tt-median", duration(elapsed, "en"), timeout=30)
    assert _card_label(dash_duo, "ov-tt-median") == "Median throughput time"
    box = dash_duo.find_element("#flt-time-box")
    assert "working hours" in (box.get_attribute("title") or "")
    dash_duo.find_element("#flt-time input[value=business]").click()
    dash_duo.wait_for_text_to_equal("#ov-tt-median", duration(business, "en"), timeout=30)
    assert "time=business" in dash_duo.driver.current_url
    assert _card_label(dash_duo, "ov-tt-median") == "Median throughput time (business hours)"
    dash_duo.find_element("#flt-time input[value=elapsed]").click()  # and back
    dash_duo.wait_for_text_to_equal("#ov-tt-median", duration(elapsed, "en"), timeout=30)
    assert "time=" not in dash_duo.driver.current_url
    assert dash_duo.get_logs() == []


def test_chinese_switch_and_labels_and_a_process_without_calendar(dash_duo, store_path):
    dash_duo.start_server(create_app(store_path))
    dash_duo.wait_for_page(url=dash_duo.server_url + "/steps?process=finance&time=business&lang=zh")
    dash_duo.wait_for_contains_text("#steps-table", "（工作时间）", timeout=30)
    switch = dash_duo.find_element("#flt-time-box").text
    assert "日历时间" in switch and "工作时间" in switch and "time" not in switch.lower()
    assert "business" not in dash_duo.find_element("#steps-table").text.lower()
    dash_duo.wait_for_page(url=dash_duo.server_url + "/?process=unconfigured_demo")
    dash_duo.wait_for_element("#ov-cases", timeout=30)
    dash_duo.wait_for_element("#flt-time input[value=business][disabled]", timeout=30)
    assert "no [calendar]" in (dash_duo.find_element("#flt-time-box").get_attribute("title") or "")
    assert dash_duo.get_logs() == []
