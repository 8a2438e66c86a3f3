"""The dashboard in a real headless Chromium (Debian's chromium + chromedriver, via dash[testing]).

Every page loads without console errors and shows the public API's numbers for the sample store;
a filter change updates the numbers; the language switch changes labels; an activity named
<script>... stays text; a shared URL restores the filters; a forged URL value is refused.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from flowmine import Store
from flowmine.analytics import CaseFilter, profile, stored
from flowmine.dashboard import create_app
from flowmine.dashboard._i18n import number
from tests._browser import SAMPLES, SERVER_THREAD, require_browser

require_browser()

pytestmark = SERVER_THREAD

XSS = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def store_path(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("dash") / "store"
    st = Store(path)
    st.ingest("finance", [str(SAMPLES / "finance_claims.csv")], mapping=SAMPLES / "finance_claims.mapping.toml")
    xss = path.parent / "xss.csv"
    xss.write_text("case,activity,timestamp\nA,Start,2024-01-01 10:00\nA," + '"' + XSS + '"'
                   + ",2024-01-02 10:00\n", encoding="utf-8")
    st.ingest("xss", [str(xss)])
    from flowmine.analytics import prepare

    for process in st.processes():  # as flowmine ingest does: the dashboard then only reads
        prepare(st, process)
    return path


def _open(dash_duo, store_path, query: str, page: str = "/") -> None:
    dash_duo.start_server(create_app(store_path))
    dash_duo.wait_for_page(url=dash_duo.server_url + page + query)


def test_overview_shows_the_api_numbers_and_filters_update_them(dash_duo, store_path):
    p = profile(stored(store_path, "finance"))
    _open(dash_duo, store_path, "?process=finance")
    dash_duo.wait_for_text_to_equal("#ov-cases", number(p["cases"]), timeout=20)
    dash_duo.wait_for_text_to_equal("#ov-events", number(p["events"]))
    dash_duo.wait_for_text_to_equal("#ov-bottleneck", p["bottlenecks"][0]["name"])
    # dates are days in the process's time zone (finance: Asia/Shanghai, UTC+8)
    flt = CaseFilter(started=("2025-03-01T00:00:00+08:00", "2025-04-01T00:00:00+08:00"))
    q = profile(stored(store_path, "finance"), filters=flt)
    assert q["cases"] < p["cases"]
    dash_duo.wait_for_page(url=dash_duo.server_url + "/?process=finance&from=2025-03-01&to=2025-03-31")
    dash_duo.wait_for_text_to_equal("#ov-cases", number(q["cases"]), timeout=20)
    assert dash_duo.get_logs() == []


@pytest.mark.parametrize("page, element", [("/bottlenecks", "#bn-table"), ("/steps", "#steps-table"),
                                           ("/variants", "#var-table"), ("/data", "#data-sources"),
                                           ("/resources", "#res-table"), ("/cases", "#cases-table"),
                                           ("/conformance", "#conf-steps"), ("/map", "#map-graph"),
                                           ("/improvement", "#imp-initiatives"), ("/whatif", "#whatif-run")])
def test_every_page_loads_without_console_errors(dash_duo, store_path, page, element):
    _open(dash_duo, store_path, "?process=finance", page)
    dash_duo.wait_for_element(element, timeout=20)
    if page == "/bottlenecks":  # with the drill-down to the slowest cases of the top bottleneck
        from flowmine.analytics import slowest_cases

        top = profile(stored(store_path, "finance"))["bottlenecks"][0]
        dash_duo.wait_for_contains_text("#bn-table", top["name"], timeout=10)
        first = slowest_cases(stored(store_path, "finance"), top["name"], kind=top["kind"], n=1)["case"].iloc[0]
        dash_duo.wait_for_contains_text("#bn-slowest", str(first), timeout=20)
    if page == "/steps":  # with the step card of the top step bottleneck, loaded by its own callback
        dash_duo.wait_for_element("#step-card #card-el_environment", timeout=30)
        dash_duo.wait_for_element("#step-card #card-arrivals .main-svg", timeout=10)
    assert dash_duo.get_logs() == []


def test_whatif_page_predicts_one_more_approver_with_intervals(dash_duo, store_path):
    """The what-if page: pick a step and a change, Simulate; the KPIs come with their intervals, the
    as-is model's fidelity is said first, and the waiting at the step goes down."""
    from selenium.webdriver.common.by import By

    _open(dash_duo, store_path, "?process=finance", "/whatif")
    dash_duo.wait_for_element("#whatif-run", timeout=20)
    dash_duo.select_dcc_dropdown("#whatif-step", value="GM approval")
    dash_duo.find_element("#whatif-run").click()
    dash_duo.wait_for_element("#whatif-kpis .ag-row", timeout=120)
    text = dash_duo.find_element("#whatif-result").text
    assert "The as-is model" in text and "Median waiting time at GM approval" in text
    rows = dash_duo.driver.find_elements(By.CSS_SELECTOR, "#whatif-kpis .ag-center-cols-container .ag-row")
    wait = next(r.text for r in rows if "GM approval" in r.text)
    assert "…" in wait and "−" in wait.split("\n")[-1]  # an interval, and a shorter wait
    assert dash_duo.get_logs() == []


def test_improvement_page_predicts_beside_the_achieved_effect(dash_duo, store_path):
    _open(dash_duo, store_path, "?process=finance", "/improvement")
    dash_duo.wait_for_element("#imp-predict", timeout=20).click()
    dash_duo.wait_for_element("#imp-predictions .ag-row", timeout=120)
    text = dash_duo.find_element("#imp-predictions").text
    assert "A deputy general manager approves claims too" in text and "reproduces the log" in text
    assert dash_duo.get_logs() == []


def test_drill_down_from_variant_to_a_case_timeline(dash_duo, store_path):
    _open(dash_duo, store_path, "?process=finance", "/cases")
    dash_duo.wait_for_element("#cases-table", timeout=20)
    dash_duo.select_dcc_dropdown("#cases-case", index=0)
    dash_duo.wait_for_element("#cases-gantt", timeout=20)
    assert dash_duo.get_logs() == []


def test_language_switch_and_shared_url(dash_duo, store_path):
    _open(dash_duo, store_path, "?process=finance&lang=zh&from=2025-03-01&to=2025-03-31")
    dash_duo.wait_for_text_to_equal("#lbl-process", "流程", timeout=20)
    assert "案例数" in dash_duo.find_element("#page").text
    dash_duo.wait_for_contains_text("#flt-dates", "2025-03-01", timeout=10)
    dash_duo.wait_for_contains_text("#flt-attr", "请选择", timeout=10)  # placeholders follow the language too
    dash_duo.find_elements("#flt-lang input")[0].click()  # English
    dash_duo.wait_for_text_to_equal("#lbl-process", "Process", timeout=20)
    dash_duo.wait_for_contains_text("#flt-attr", "Select", timeout=10)
    assert "lang=en" in dash_duo.driver.current_url and "from=2025-03-01" in dash_duo.driver.current_url


def test_script_label_stays_text_and_forged_values_are_refused(dash_duo, store_path):
    _open(dash_duo, store_path, "?process=xss", "/steps")
    dash_duo.wait_for_contains_text("#steps-table", XSS, timeout=20)
    assert dash_duo.driver.execute_script("return document.querySelectorAll('#steps-table script').length") == 0
    dash_duo.wait_for_element("#step-card", timeout=30)  # the card of a step named like a script: text too
    assert dash_duo.driver.execute_script("return document.querySelectorAll('#step-card script').length") == 0
    dash_duo.wait_for_page(url=dash_duo.server_url + "/?process=../../etc/passwd")
    dash_duo.wait_for_contains_text("#shell-notice", "process=../../etc/passwd", timeout=20)
    assert dash_duo.get_logs() == []


def test_map_sliders_keep_nodes_in_place(dash_duo, store_path):
    _open(dash_duo, store_path, "?process=finance", "/map")
    dash_duo.wait_for_element("#map-graph .main-svg", timeout=20)

    def node_positions() -> dict:
        return dash_duo.driver.execute_script(
            "const d = document.querySelector('#map-graph .js-plotly-plot').data;"
            "const n = d.find(t => t.name === 'nodes');"
            "return Object.fromEntries(n.customdata.map((c, i) => [c[0], [n.x[i], n.y[i]]]));")

    before = node_positions()
    thumb = dash_duo.find_element("#map-activities [role=slider]")
    for _ in range(8):
        thumb.send_keys("\ue012")  # arrow left: 5 % fewer activities per step
    deadline = time.monotonic() + 20
    while len(node_positions()) >= len(before) and time.monotonic() < deadline:
        time.sleep(0.2)
    after = node_positions()
    assert after and all(after[k] == before[k] for k in after)
    assert dash_duo.get_logs() == []


def test_browser_back_after_a_map_setting_restores_the_controls_and_the_map(dash_duo, store_path):
    """A map setting goes into the address; going back restores the setting in the controls and in the
    map, although the shell keeps the page (only a setting changed)."""
    _open(dash_duo, store_path, "?process=finance", "/map")
    dash_duo.wait_for_element("#map-graph .main-svg", timeout=20)

    def checked(control: str) -> str:
        return dash_duo.driver.execute_script(
            f"const e = document.querySelector('#{control} input:checked'); return e ? e.value : null;")

    def title() -> str:
        return dash_duo.driver.execute_script(
            "return document.querySelector('#map-graph .js-plotly-plot').layout.title.text;")

    frequency = title()
    dash_duo.find_element("#map-overlay input[value=performance]").click()
    deadline = time.monotonic() + 20
    while "overlay=performance" not in dash_duo.driver.current_url and time.monotonic() < deadline:
        time.sleep(0.2)
    assert "overlay=performance" in dash_duo.driver.current_url
    deadline = time.monotonic() + 20
    while title() == frequency and time.monotonic() < deadline:
        time.sleep(0.2)
    assert title() != frequency and checked("map-overlay") == "performance"
    dash_duo.driver.back()
    deadline = time.monotonic() + 20
    while (checked("map-overlay") != "frequency" or title() != frequency) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert "overlay=" not in dash_duo.driver.current_url
    assert checked("map-overlay") == "frequency" and title() == frequency
    assert checked("map-statistic") == "absolute"
    dash_duo.driver.forward()  # and forward again: the performance map with its default statistic
    deadline = time.monotonic() + 20
    while checked("map-overlay") != "performance" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert checked("map-overlay") == "performance" and checked("map-statistic") == "median"
    assert dash_duo.get_logs() == []


def test_browsing_every_page_never_writes_to_the_store(dash_duo, store_path):
    from flowmine.dashboard._app import PAGES

    def snapshot() -> dict:
        return {str(p.relative_to(store_path)): (p.stat().st_size, p.stat().st_mtime_ns)
                for p in sorted(store_path.rglob("*")) if p.is_file() and p.name != ".lock"}

    before = snapshot()
    _open(dash_duo, store_path, "?process=finance")
    for page in PAGES:
        dash_duo.wait_for_page(url=dash_duo.server_url + page.PATH + "?process=finance&from=2025-02-01&to=2025-05-31")
        dash_duo.wait_for_element("#page > div, #page > p", timeout=30)
    assert snapshot() == before


def test_attribute_and_conformance_filters_from_a_shared_url(dash_duo, store_path):
    from flowmine.dashboard._data import conforming_cases

    travel = profile(stored(store_path, "finance").where(CaseFilter(attributes={"case:expense_type": ["Travel"]})))
    _open(dash_duo, store_path, "?process=finance&attr=case:expense_type&val=Travel")
    dash_duo.wait_for_text_to_equal("#ov-cases", number(travel["cases"]), timeout=30)
    assert dash_duo.find_element("#flt-attr").text.strip().startswith("expense_type")  # no "case:" prefix
    assert "Travel" in dash_duo.find_element("#flt-values").text
    _, deviating = conforming_cases(Store(store_path, create=False), "finance")
    assert 0 < len(deviating) < profile(stored(store_path, "finance"))["cases"]
    dash_duo.wait_for_page(url=dash_duo.server_url + "/?process=finance&fit=no")
    dash_duo.wait_for_text_to_equal("#ov-cases", number(len(deviating)), timeout=30)
    dash_duo.wait_for_page(url=dash_duo.server_url + "/?process=finance&attr=case:expense_type&val=Bribes")
    dash_duo.wait_for_contains_text("#shell-notice", "val=Bribes", timeout=20)
    assert dash_duo.get_logs() == []


def test_chinese_shows_the_configured_activity_labels(dash_duo, store_path):
    from flowmine.processes import load_process

    label = load_process("finance").label("Finance review", "zh")
    assert label != "Finance review"
    _open(dash_duo, store_path, "?process=finance&lang=zh", "/steps")
    dash_duo.wait_for_contains_text("#steps-table", label, timeout=30)
    assert dash_duo.get_logs() == []


def test_clicking_a_map_step_opens_its_detail(dash_duo, store_path):
    p = profile(stored(store_path, "finance"))
    step = p["activities"][0]
    _open(dash_duo, store_path, "?process=finance", "/map")
    dash_duo.wait_for_element("#map-graph .main-svg", timeout=20)
    dash_duo.driver.execute_script(  # what Plotly emits when a node is clicked
        "const gd = document.querySelector('#map-graph .js-plotly-plot');"
        "const k = gd.data.findIndex(t => t.name === 'nodes'); const n = gd.data[k];"
        "const i = n.customdata.findIndex(c => c[0] === arguments[0]);"
        "gd.emit('plotly_click', {points: [{curveNumber: k, pointNumber: i, pointIndex: i,"
        " x: n.x[i], y: n.y[i], customdata: n.customdata[i]}]});", step["activity"])
    dash_duo.wait_for_text_to_equal("#map-d-title", step["activity"], timeout=20)
    dash_duo.wait_for_text_to_equal("#map-d-count", number(step["count"]), timeout=10)
    assert dash_duo.get_logs() == []
