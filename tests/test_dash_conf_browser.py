"""The conformance page in a real headless Chromium (Debian's chromium + chromedriver, via dash[testing]), on
the procurement sample with its configuration: the reference model is drawn from its BPMN diagram with
coloured tasks; a mouse click on a task, or on a rule's row, lists the cases behind it; Chinese shows the
rules and their kinds in business words."""

from __future__ import annotations

from pathlib import Path

import pytest

from flowmine.conformance import check
from flowmine.dashboard import create_app
from flowmine.processes import load_process
from tests._browser import SERVER_THREAD, require_browser, sample_store

require_browser()

pytestmark = SERVER_THREAD



@pytest.fixture(scope="module")
def store_path(tmp_path_factory) -> Path:
    return sample_store(tmp_path_factory.mktemp("dashconf") / "store", "procurement")


@pytest.fixture(scope="module")
def report(store_path):
    return check(store_path, "procurement")


def _open(dash_duo, store_path, query: str) -> None:
    dash_duo.start_server(create_app(store_path))
    dash_duo.wait_for_page(url=dash_duo.server_url + "/conformance" + query)
    dash_duo.wait_for_element("#conf-model .main-svg", timeout=30)


def test_model_is_drawn_with_coloured_tasks_and_a_click_on_a_task_lists_its_cases(dash_duo, store_path, report):
    from selenium.webdriver.common.action_chains import ActionChains

    _open(dash_duo, store_path, "?process=procurement")
    driver = dash_duo.driver
    shapes = driver.find_elements("css selector", "#conf-model .shapelayer path")
    assert len(shapes) == 16  # every shape of the diagram: 10 tasks, 4 gateways, the start and end events
    fills = {s.get_attribute("style").split("fill:")[1].split(";")[0].strip() for s in shapes}
    assert len(fills) >= 3  # white gateways, conforming tasks, deviating tasks in colour
    assert dash_duo.find_element("#conf-model .colorbar") is not None  # the colour scale's legend
    ids = driver.execute_script("return document.querySelector('#conf-model .js-plotly-plot').data[1].customdata;")
    names = driver.execute_script("return document.querySelector('#conf-model .js-plotly-plot').data[1].text;")
    i = ids.index("Task_6")
    skipped = int(report.steps.set_index("activity").loc["PO approval", "skipped"])
    assert names[i].startswith("PO approval") and f"Skipped {skipped}" in names[i]  # the check's count on the task
    points = driver.find_elements("css selector", "#conf-model .scatterlayer .trace")[1].find_elements(
        "css selector", "path.point")
    ActionChains(driver).move_to_element(points[i]).pause(0.3).click().perform()  # a real mouse click
    dash_duo.wait_for_text_to_equal("#conf-detail-title", "PO approval", timeout=20)
    expected = report.case_ids()["steps"]["PO approval"]["skipped"]
    dash_duo.wait_for_contains_text("#conf-detail", f"Skipped: {expected['total']} cases, the first 100 listed")
    dash_duo.wait_for_contains_text("#conf-detail-cases", expected["ids"][0], timeout=10)
    assert dash_duo.get_logs() == []


def test_a_rule_row_lists_its_cases_and_chinese_uses_business_words(dash_duo, store_path, report):
    cfg = load_process("procurement")
    _open(dash_duo, store_path, "?process=procurement&lang=zh")
    rules = [r["rule"] for r in report.to_dict()["rules"]]
    i = rules.index("four_eyes_requisition")
    cells = dash_duo.driver.find_elements("css selector", "#conf-rules .ag-cell[col-id='rule']")
    shown = [c.text for c in cells]
    assert set(shown) == {r.label_zh for r in cfg.rules}
    kinds = [c.text for c in dash_duo.driver.find_elements("css selector", "#conf-rules .ag-cell[col-id='kind']")]
    assert kinds and not [k for k in kinds if k.isascii() or k.replace(" ", "_") in {r.kind for r in cfg.rules}]
    cell = dash_duo.find_element(f"#conf-rules .ag-row[row-id='{i}'] .ag-cell[col-id='violating']")
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", cell)
    cell.click()
    label = next(r.label_zh for r in cfg.rules if r.id == "four_eyes_requisition")
    dash_duo.wait_for_text_to_equal("#conf-detail-title", label, timeout=20)
    in_view = ("const r = document.getElementById('conf-detail-title').getBoundingClientRect();"
               "return r.top > -2 && r.bottom <= window.innerHeight;")  # (sub-pixel scrolling)
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(dash_duo.driver, 10).until(lambda d: d.execute_script(in_view))  # the panel is brought into view
    expected = report.case_ids()["rules"]["four_eyes_requisition"]
    dash_duo.wait_for_contains_text("#conf-detail", f"共 {expected['total']} 个案例")
    dash_duo.wait_for_contains_text("#conf-detail-cases", expected["ids"][0], timeout=10)
    assert dash_duo.get_logs() == []
