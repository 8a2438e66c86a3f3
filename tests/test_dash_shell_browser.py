"""The shell in a real headless Chromium: a typed date applies without Enter, "clear all" clears, a page that
cannot compute (a process without a configuration on /improvement) is a notice in a working app, variants
show their case counts with the full text on hover, an unknown process and an unknown path are notices."""

from __future__ import annotations

from pathlib import Path

import pytest

from flowmine import Store
from flowmine.analytics import CaseFilter, profile, stored
from flowmine.dashboard import create_app
from flowmine.dashboard._i18n import number, t
from tests._browser import SERVER_THREAD, require_browser, sample_store

require_browser()

pytestmark = SERVER_THREAD



@pytest.fixture(scope="module")
def store_path(tmp_path_factory) -> Path:
    path = sample_store(tmp_path_factory.mktemp("shellb") / "store", "finance", prepared=False)
    st = Store(path)
    dirty = path.parent / "dirty.csv"  # like sales_dirty in the demo store: no process configuration
    dirty.write_text("case,activity,timestamp\nA,Order,2024-01-01 10:00\nA,Ship,2024-01-02 10:00\n"
                     "B,Order,2024-02-01 10:00\nB,Ship,2024-02-03 10:00\n", encoding="utf-8")
    st.ingest("unconfigured_demo", [str(dirty)])
    return path


def _open(dash_duo, store_path, query: str, page: str = "/") -> None:
    dash_duo.start_server(create_app(store_path))
    dash_duo.wait_for_page(url=dash_duo.server_url + page + query)


def test_a_typed_start_date_applies_when_the_field_is_left(dash_duo, store_path):
    _open(dash_duo, store_path, "?process=finance&tz=UTC")
    p = profile(stored(store_path, "finance"))
    dash_duo.wait_for_text_to_equal("#ov-cases", number(p["cases"]), timeout=30)
    box = dash_duo.find_element("input#flt-dates")  # the start date (Dash 4 gives the input the id)
    box.click()
    box.send_keys("2025-06-01")
    from selenium.webdriver.common.action_chains import ActionChains

    # leave the field as a user does, clicking elsewhere (the open calendar's overlay takes that click): no Enter
    ActionChains(dash_duo.driver).move_to_element(dash_duo.find_element("#shell-top strong")).click().perform()
    q = profile(stored(store_path, "finance"), filters=CaseFilter(started=("2025-06-01T00:00:00+00:00", None)))
    assert q["cases"] < p["cases"]
    dash_duo.wait_for_text_to_equal("#ov-cases", number(q["cases"]), timeout=30)
    assert "from=2025-06-01" in dash_duo.driver.current_url
    assert dash_duo.get_logs() == []


def test_clear_all_removes_every_filter(dash_duo, store_path):
    p = profile(stored(store_path, "finance"))
    _open(dash_duo, store_path, "?process=finance&has=Revise+claim&start=Submit+expense+claim&dur_min=3600&lang=en")
    few = profile(stored(store_path, "finance").where(CaseFilter(
        contains=["Revise claim"], start_steps=["Submit expense claim"], duration_s=(3600, None))))
    dash_duo.wait_for_text_to_equal("#ov-cases", number(few["cases"]), timeout=30)
    assert few["cases"] < p["cases"]
    assert len(dash_duo.find_elements(".fm-chip")) == 3
    dash_duo.find_element("#clear-all").click()
    dash_duo.wait_for_text_to_equal("#ov-cases", number(p["cases"]), timeout=30)
    assert dash_duo.find_elements(".fm-chip") == []
    assert "has=" not in dash_duo.driver.current_url and "process=finance" in dash_duo.driver.current_url
    assert dash_duo.get_logs() == []


def test_a_process_without_configuration_shows_a_notice_on_improvement(dash_duo, store_path):
    _open(dash_duo, store_path, "?process=unconfigured_demo", "/improvement")
    dash_duo.wait_for_contains_text("#shell-notice", t("page_failed", "en"), timeout=30)
    assert dash_duo.find_element("#shell-top").text.startswith("flowmine")  # the app still stands
    dash_duo.find_element("#shell-top a[href^='/?']").click()  # and its navigation works
    dash_duo.wait_for_element("#ov-cases", timeout=30)


def test_variants_show_case_counts_and_the_full_text_on_hover(dash_duo, store_path):
    from flowmine.analytics import variant_stats

    top = variant_stats(stored(store_path, "finance")).iloc[0]
    _open(dash_duo, store_path, "?process=finance")
    dash_duo.wait_for_element("#ov-cases", timeout=30)
    dash_duo.find_element("#flt-variant").click()
    titles = dash_duo.driver.execute_script(
        "return [...document.querySelectorAll('.dash-dropdown-option span[title]')].map(e => e.title);")
    assert f"{int(top['cases']):,} cases · {top['variant']}" in titles


def test_unknown_process_and_unknown_path_are_notices(dash_duo, store_path):
    _open(dash_duo, store_path, "?process=financ&lang=zh")
    dash_duo.wait_for_text_to_equal(".fm-unknown-process", t("unknown_process", "zh").format(name="financ"),
                                    timeout=30)
    assert dash_duo.find_elements("#ov-cases") == []  # no other process's numbers
    dash_duo.wait_for_page(url=dash_duo.server_url + "/no-such-page?process=finance")
    dash_duo.wait_for_contains_text(".fm-not-found", "/no-such-page", timeout=30)
